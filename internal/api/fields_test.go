package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/api"
)

// probe is a body holding one value of the wrong type, and the JSON path
// of that value.
type probe struct {
	path string
	body any
}

// fieldProbes returns a probe for every field of struct type t, walked
// down nested objects, lists of objects and maps (an embedded struct's
// fields are t's own, as encoding/json reads them).
func fieldProbes(t reflect.Type) []probe {
	var out []probe
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := strings.Split(sf.Tag.Get("json"), ",")[0]
		if sf.Anonymous && tag == "" {
			out = append(out, fieldProbes(sf.Type)...)
			continue
		}
		if !sf.IsExported() || tag == "-" {
			continue
		}
		name := tag
		if name == "" {
			name = sf.Name
		}
		for _, p := range valueProbes(sf.Type) {
			out = append(out, probe{path: join(name, p.path), body: map[string]any{name: p.body}})
		}
	}
	return out
}

// objectProbes are the probes of an object of struct type t: its fields'
// and an unknown key.
func objectProbes(t reflect.Type) []probe {
	return append(fieldProbes(t), probe{path: "zz_unknown", body: map[string]any{"zz_unknown": 1}})
}

// valueProbes returns the probes of a value of type t: one of the wrong
// type for the value itself, and, for an object, a list of objects or a
// map, those of what it holds.
func valueProbes(t reflect.Type) []probe {
	for {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
			continue
		}
		// optional[T] (a merge patch's key) holds its value in v.
		if t.Kind() == reflect.Struct && strings.HasPrefix(t.Name(), "optional[") {
			if v, ok := t.FieldByName("v"); ok {
				t = v.Type
				continue
			}
		}
		break
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return []probe{{body: true}}
		}
		return append([]probe{{body: "not an object"}}, objectProbes(t)...)
	case reflect.Slice:
		out := []probe{{body: "not a list"}}
		if t.Elem().Kind() == reflect.Struct {
			for _, p := range objectProbes(t.Elem()) {
				out = append(out, probe{path: p.path, body: []any{p.body}})
			}
		}
		return out
	case reflect.Map:
		out := []probe{{body: "not an object"}}
		for _, p := range valueProbes(t.Elem()) {
			out = append(out, probe{path: join("LR4", p.path), body: map[string]any{"LR4": p.body}})
		}
		return out
	case reflect.String:
		return []probe{{body: 5}}
	case reflect.Bool:
		return []probe{{body: "yes"}}
	}
	return []probe{{body: "many"}} // numbers
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	return a + "." + b
}

// TestInputErrors_NameJSONFields: every API route that reads a JSON body
// (found by sending every POST, PUT and PATCH route a body that is not
// JSON) has its input type in api.BodyTypes; every field of that type,
// walked by reflection down nested objects, lists and the checklist, sent
// with a value of the wrong type is refused 400 naming exactly that field
// by its JSON path (origin.lat, checklist.LR4.note) — the API's field
// names, never a Go identifier — and an unknown key, at any depth, is
// refused naming its path (origin.zz_unknown) as unknown (field.unknown).
// A request's fields (api.OnePassBodies) report a wrong type as a field
// problem with every other: TestRequestInput_UnreadableWithEveryOtherProblem.
func TestInputErrors_NameJSONFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	types := api.BodyTypes()
	params := strings.NewReplacer("{id}", "1", "{code}", "NPL-EQ", "{user_id}", "1", "{comment_id}", "1", "{invitation_id}", "1")
	routes, _ := api.New(api.Options{}).Routes().(chi.Routes)
	var reading []string
	if err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method != http.MethodPost && method != http.MethodPut && method != http.MethodPatch {
			return nil
		}
		key := method + " " + route
		r := f.call(t, req{Method: method, Path: params.Replace(route), Token: f.adminToken, Body: "not json"})
		if r.Status == http.StatusBadRequest {
			if e := decode[apiError](t, r); e.Error.FieldMessageIDs["body"] != "" {
				reading = append(reading, key)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, key := range reading {
		if _, ok := types[key]; !ok {
			t.Errorf("%s reads a JSON body not listed in api.BodyTypes", key)
		}
	}
	for key := range types {
		if !slices.Contains(reading, key) {
			t.Errorf("api.BodyTypes lists %s, which reads no body", key)
		}
	}
	for _, key := range reading {
		method, route, _ := strings.Cut(key, " ")
		path := params.Replace(route)
		in := reflect.TypeOf(types[key])
		onePass := slices.Contains(api.OnePassBodies(), key)
		for _, p := range objectProbes(in) {
			if onePass && !strings.HasSuffix(p.path, "zz_unknown") {
				continue // a field problem reported with the others: TestRequestInput_UnreadableWithEveryOtherProblem
			}
			r := f.call(t, req{Method: method, Path: path, Token: f.adminToken, Body: p.body})
			what := fmt.Sprintf("%s with %v", key, p.body)
			if r.Status != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400; %.300s", what, r.Status, r.Body)
				continue
			}
			e := decode[apiError](t, r)
			if len(e.Error.FieldMessageIDs) != 1 || e.Error.FieldMessageIDs[p.path] == "" {
				t.Errorf("%s: error names %v, want exactly %q", what, e.Error.FieldMessageIDs, p.path)
			}
			if strings.HasSuffix(p.path, "zz_unknown") && e.Error.FieldMessageIDs[p.path] != "field.unknown" {
				t.Errorf("%s: %q, want field.unknown (the field is not accepted here)", what, e.Error.FieldMessageIDs[p.path])
			}
		}
	}
}

// TestRequestInput_UnreadableWithEveryOtherProblem walks every field of a
// request's input (requestInput, by reflection, down nested objects, the
// civilian options and the checklist) on create and on PATCH: a value of
// the wrong JSON type in that field, sent with values the rules refuse in
// other fields (a date that is not one, an unknown priority, civilian
// option and checklist answer), is ONE 422 naming the unreadable field by
// its JSON path with a message saying what to send, and every other
// problem — the same as those values alone report, each under its own
// key. An unknown key stays 400 (TestInputErrors_NameJSONFields).
func TestRequestInput_UnreadableWithEveryOtherProblem(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	types := api.BodyTypes()
	others := map[string]any{
		"exit_strategy":    map[string]any{"date": "notadate"},
		"priority":         "mega",
		"civilian_options": []any{map[string]any{"option": "zzz", "result": "q"}},
		"checklist":        map[string]any{"LR4": map[string]any{"answer": "maybe"}},
		"start_date":       "next Tuesday",
	}
	draft := f.mustCreate(t, f.requester, map[string]any{"title": "Probed"})
	routes := map[string]struct {
		method, path string
		extra        map[string]any
	}{
		"POST /operations/{code}/requests": {"POST", "/operations/NPL-EQ/requests", map[string]any{"title": "Probed"}},
		"PATCH /requests/{id}":             {"PATCH", fmt.Sprintf("/requests/%d", draft.ID), map[string]any{"version": draft.Version}},
	}
	if len(routes) != len(api.OnePassBodies()) {
		t.Fatalf("routes %v, want api.OnePassBodies %v", routes, api.OnePassBodies())
	}
	for _, key := range api.OnePassBodies() {
		rt, ok := routes[key]
		if !ok {
			t.Fatalf("no test route for %s", key)
		}
		for _, p := range fieldProbes(reflect.TypeOf(types[key])) {
			if strings.HasSuffix(p.path, "zz_unknown") || p.path == "version" {
				continue
			}
			probed := p.body.(map[string]any)
			body := map[string]any{}
			for k, v := range rt.extra {
				body[k] = v
			}
			rest := map[string]any{}
			for k, v := range others {
				if _, clash := probed[k]; !clash {
					rest[k] = v
				}
			}
			// What the other values alone are refused for.
			alone := map[string]any{}
			for k, v := range body {
				alone[k] = v
			}
			for k, v := range rest {
				alone[k] = v
				body[k] = v
			}
			for k, v := range probed {
				body[k] = v
			}
			what := fmt.Sprintf("%s with %v", key, probed)
			base := decode[apiError](t, f.call(t, req{Method: rt.method, Path: rt.path, Token: f.requester, Body: alone}).
				want(t, http.StatusUnprocessableEntity))
			for k := range rest {
				found := false
				for field := range base.Error.FieldMessageIDs {
					found = found || field == k || strings.HasPrefix(field, k+".")
				}
				if !found {
					t.Errorf("%s: the other value %s=%v is not refused alone: %v", what, k, rest[k], base.Error.FieldMessageIDs)
				}
			}
			r := f.call(t, req{Method: rt.method, Path: rt.path, Token: f.requester, Body: body})
			if r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s: status %d, want 422; %.300s", what, r.Status, r.Body)
				continue
			}
			e := decode[apiError](t, r)
			msg := e.Error.FieldMessageIDs[p.path]
			if msg == "" || msg == "field.invalid" || e.Error.Fields[p.path] == msg {
				t.Errorf("%s: %s: message %q (%q), want one saying what to send", what, p.path, msg, e.Error.Fields[p.path])
			}
			for field, id := range base.Error.FieldMessageIDs {
				if e.Error.FieldMessageIDs[field] != id {
					t.Errorf("%s: %s = %q, want %q as alone: not every problem in one answer (%v)", what, field, e.Error.FieldMessageIDs[field], id, e.Error.FieldMessageIDs)
				}
			}
		}
	}
	if got := decode[requestJSON](t, f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d", draft.ID), Token: f.requester}).want(t, http.StatusOK)); got.Version != draft.Version {
		t.Errorf("a refused PATCH changed the draft: version %d, want %d", got.Version, draft.Version)
	}
}
