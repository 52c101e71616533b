package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/api"
	"github.com/cmcoord/cmcoord/internal/domain"
)

// hostileValues are JSON texts sent in every field, whatever it holds:
// null, the wrong kinds, numbers no Go number holds, and nesting past the
// decoder's depth.
var hostileValues = []string{
	`null`, `{}`, `[]`, `true`, `1e400`, `-9223372036854775809`, `0.5`, `-1`, `{"zz": {"zz": "\u0000"}}`,
	strings.Repeat("[", 10_001) + strings.Repeat("]", 10_001),
}

// hasNUL reports whether the JSON text v carries a NUL in a string.
func hasNUL(v string) bool { return strings.Contains(v, `\u0000`) }

// leaf is a place in a body: its path (keys, 0 for a list's first item,
// LR4 for a map's entry) and whether it holds text.
type leaf struct {
	path []string
	text bool
}

func (l leaf) String() string { return strings.Join(l.path, ".") }

// leaves returns every field of struct type t, walked down nested
// objects, lists and maps as encoding/json reads them (see fieldProbes):
// each field itself, and what it holds.
func leaves(t reflect.Type, prefix []string) []leaf {
	var out []leaf
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := strings.Split(sf.Tag.Get("json"), ",")[0]
		if sf.Anonymous && tag == "" {
			out = append(out, leaves(sf.Type, prefix)...)
			continue
		}
		if !sf.IsExported() || tag == "-" {
			continue
		}
		name := tag
		if name == "" {
			name = sf.Name
		}
		out = append(out, valueLeaves(sf.Type, append(slices.Clone(prefix), name))...)
	}
	return out
}

func valueLeaves(t reflect.Type, path []string) []leaf {
	for {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
			continue
		}
		if t.Kind() == reflect.Struct && strings.HasPrefix(t.Name(), "optional[") {
			if v, ok := t.FieldByName("v"); ok {
				t = v.Type
				continue
			}
		}
		break
	}
	self := leaf{path: path, text: t.Kind() == reflect.String || t == reflect.TypeFor[time.Time]()}
	switch {
	case t.Kind() == reflect.Struct && t != reflect.TypeFor[time.Time]():
		return append([]leaf{self}, leaves(t, path)...)
	case t.Kind() == reflect.Slice:
		return append([]leaf{self}, valueLeaves(t.Elem(), append(slices.Clone(path), "0"))...)
	case t.Kind() == reflect.Map:
		return append([]leaf{self}, valueLeaves(t.Elem(), append(slices.Clone(path), "LR4"))...)
	}
	return []leaf{self}
}

// hostileMark stands, in a marshalled body, for the raw JSON text of the
// value probed.
const hostileMark = "@@hostile@@"

// with returns body (a decoded JSON object) as JSON text with raw at
// path, creating the objects and lists on the way.
func with(t testing.TB, body map[string]any, path []string, raw string) string {
	t.Helper()
	var set func(cur any, path []string) any
	set = func(cur any, path []string) any {
		if len(path) == 0 {
			return hostileMark
		}
		if i, err := strconv.Atoi(path[0]); err == nil {
			l, _ := cur.([]any)
			l = slices.Clone(l)
			for len(l) <= i {
				l = append(l, map[string]any{})
			}
			l[i] = set(l[i], path[1:])
			return l
		}
		m := map[string]any{}
		if old, ok := cur.(map[string]any); ok {
			for k, v := range old {
				m[k] = v
			}
		}
		m[path[0]] = set(m[path[0]], path[1:])
		return m
	}
	b, err := json.Marshal(set(body, path))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(string(b), `"`+hostileMark+`"`, raw, 1)
}

// withRepeated returns body as JSON text with key given a second time,
// as raw, after the first.
func withRepeated(t testing.TB, body map[string]any, key, raw string) string {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(b), "}")
	if len(body) > 0 {
		s += ","
	}
	k, _ := json.Marshal(key)
	return s + string(k) + ":" + raw + "}"
}

// send sends body (JSON text) as is: no contract check, the bodies are
// meant to break it.
func (f *fixture) send(t testing.TB, method, path, token, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequest(method, f.srv.URL+"/api/v1"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// wantNoServerError fails t when r is a 5xx (or no status the API
// gives), or a 4xx without the error envelope, and when a NUL sent in
// text was stored (2xx) or refused without naming the field (a 400 or
// 422 that does not name path). It reports whether r was a 2xx.
func wantNoServerError(t testing.TB, what string, r response, nul bool, path string) bool {
	t.Helper()
	if r.Status < 200 || r.Status >= 500 {
		t.Errorf("%s: status %d, want 2xx or 4xx: %.300s", what, r.Status, r.Body)
		return false
	}
	if r.Status < 300 {
		if nul {
			t.Errorf("%s: a NUL was accepted (%d), want it refused naming %s", what, r.Status, path)
		}
		return true
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("%s: %d with Content-Type %q, want the JSON error envelope", what, r.Status, ct)
		return false
	}
	var e apiError
	if err := json.Unmarshal(r.Body, &e); err != nil || e.Error.Code == "" || e.Error.MessageID == "" || e.Error.Message == "" {
		t.Errorf("%s: %d is not the error envelope (%v): %.300s", what, r.Status, err, r.Body)
		return false
	}
	if nul && path != "" && (r.Status == http.StatusBadRequest || r.Status == http.StatusUnprocessableEntity) &&
		(e.Error.Code == string(domain.CodeInvalid) || e.Error.Code == string(domain.CodeMalformed)) && !names(e, path) {
		t.Errorf("%s: %d %s names %v, want %s", what, r.Status, e.Error.MessageID, e.Error.FieldMessageIDs, path)
	}
	return false
}

// names reports whether e names the field at path: itself, or what
// holds it where the domain names a whole answer (checklist.LR4 for its
// answer) or list (sectors); an item of a list may be named at another
// index, the domain's order of the items (civilian_options.2.note).
func names(e apiError, path string) bool {
	list := path
	for i, seg := range strings.Split(path, ".") {
		if _, err := strconv.Atoi(seg); err == nil {
			list = strings.Join(strings.Split(path, ".")[:i], ".") + "."
			break
		}
	}
	for field := range e.Error.FieldMessageIDs {
		if field == path || strings.HasPrefix(path, field+".") || strings.HasPrefix(field, list) {
			return true
		}
	}
	return false
}

// target is where a body route's probes are sent: a path, the caller,
// and the valid body they are made from. fresh, when set, makes a new
// target after a probe was accepted (the request moved on).
type target struct {
	method, path, token string
	body                map[string]any
	fresh               func(t testing.TB) target
}

// renew replaces tg, after a probe was accepted, with a fresh target of
// the same route.
func (tg *target) renew(t testing.TB) {
	method := tg.method
	*tg = tg.fresh(t)
	tg.method = method
}

// bodyTargets returns every API route that reads a JSON body (the keys
// of api.BodyTypes, sorted) and where its probes are sent: a workflow
// step on a request where the rulebook lets a caller take it (found by
// the walk of every state and caller, as TestActions_AdvertisedSucceed),
// the OpenAPI example elsewhere, sent by the first caller it is accepted
// from.
func bodyTargets(t testing.TB, w *actionWalk, callers []actionCaller, user domain.User) ([]string, map[string]*target) {
	t.Helper()
	types := api.BodyTypes()
	doc := loadDoc(t)
	documented := doc.operations()

	// Where each step may be taken: the first state and caller the API
	// advertises it to.
	stepRoute := map[string]domain.Action{}
	for _, a := range domain.Steps() {
		sc := w.stepFor(t, a, 0, 1)
		stepRoute[sc.method+" "+strings.Replace(sc.path, "/requests/0", "/requests/{id}", 1)] = a
	}
	type place struct {
		s situation
		c actionCaller
	}
	where := map[domain.Action]place{}
	versionOf := func(t testing.TB, c actionCaller, id int64) (int, []string) {
		r := w.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d", id), Token: c.token})
		if r.Status != http.StatusOK {
			return 0, nil
		}
		got := decode[requestJSON](t, r)
		return got.Version, got.Actions
	}
	for _, s := range w.situations() {
		id := s.build(t)
		for _, c := range callers {
			_, actions := versionOf(t, c, id)
			for _, a := range actions {
				if _, ok := where[domain.Action(a)]; !ok {
					where[domain.Action(a)] = place{s, c}
				}
			}
		}
	}
	var stepTarget func(t testing.TB, a domain.Action, p place, id int64) target
	stepTarget = func(t testing.TB, a domain.Action, p place, id int64) target {
		version, actions := versionOf(t, p.c, id)
		if !slices.Contains(actions, string(a)) { // the last probe moved it on
			id = p.s.build(t)
			version, _ = versionOf(t, p.c, id)
		}
		sc := w.stepFor(t, a, id, version)
		return target{path: sc.path, token: p.c.token, body: sc.body,
			fresh: func(t testing.TB) target { return stepTarget(t, a, p, id) }}
	}

	// The other routes' objects.
	params := map[string]string{"{code}": "NPL-EQ", "{user_id}": strconv.FormatInt(user.ID, 10)}
	ids := map[string]string{"/organizations/": strconv.FormatInt(w.org.ID, 10), "/users/": strconv.FormatInt(user.ID, 10)}
	example := func(t testing.TB, key string) map[string]any {
		op := documented[key]
		rb := doc.deref(t, op["requestBody"])
		content, _ := rb["content"].(map[string]any)
		media, _ := content["application/json"].(map[string]any)
		ex, ok := media["example"].(map[string]any)
		if !ok {
			t.Fatalf("%s: no example body in openapi.json", key)
		}
		b, _ := json.Marshal(ex)
		var out map[string]any
		_ = json.Unmarshal(b, &out) // a copy
		return out
	}

	keys := make([]string, 0, len(types))
	for k := range types {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ops := 0
	targets := map[string]*target{}
	for _, key := range keys {
		method, route, _ := strings.Cut(key, " ")
		var tg target
		switch a, isStep := stepRoute[key]; {
		case isStep:
			p, ok := where[a]
			if !ok {
				t.Errorf("%s: %s is advertised nowhere in the walk", key, a)
				continue
			}
			tg = stepTarget(t, a, p, p.s.build(t))
		case strings.Contains(route, "{comment_id}"):
			// A comment of the caller's own, on a request they may comment.
			p := where[domain.ActionComment]
			var mk func(t testing.TB) target
			mk = func(t testing.TB) target {
				sc := w.stepFor(t, domain.ActionComment, p.s.build(t), 1)
				r := w.call(t, req{Method: sc.method, Path: sc.path, Token: p.c.token, Body: sc.body}).want(t, http.StatusCreated)
				var c struct {
					ID int64 `json:"id"`
				}
				if err := json.Unmarshal(r.Body, &c); err != nil || c.ID == 0 {
					t.Fatalf("comment: %v %s", err, r.Body)
				}
				return target{path: fmt.Sprintf("%s/%d", sc.path, c.ID), token: p.c.token, body: example(t, key), fresh: mk}
			}
			tg = mk(t)
		default:
			// An operation of its own (a probe may close it), where the
			// requester may ask; the first caller the valid body is
			// accepted from.
			ops++
			code := fmt.Sprintf("PRB-%02d", ops)
			w.mustOperation(t, code)
			w.mustMember(t, code, w.requesterUser, domain.RoleRequester)
			path := strings.ReplaceAll(route, "{code}", code)
			for k, v := range params {
				path = strings.ReplaceAll(path, k, v)
			}
			for prefix, id := range ids {
				if strings.HasPrefix(path, prefix) {
					path = strings.Replace(path, "{id}", id, 1)
				}
			}
			if strings.Contains(path, "{") {
				t.Errorf("%s: no object for %s", key, path)
				continue
			}
			tg = target{path: path, body: example(t, key)}
			for _, c := range callers {
				b, _ := json.Marshal(tg.body)
				if r := w.send(t, method, path, c.token, string(b)); r.Status < 300 {
					tg.token = c.token
					break
				}
			}
			if tg.token == "" {
				// Refused for what it names (a user who is not there, or
				// not a member): the probes are an admin's, and still checked.
				t.Logf("%s: the OpenAPI example is accepted from no caller at %s; probed as the admin", key, path)
				tg.token = w.adminToken
			}
		}
		tg.method = method
		targets[key] = &tg
	}
	return keys, targets
}

// TestHostileInput_NoServerError: every API route that reads a JSON body
// (those of api.BodyTypes, checked against the router by
// TestInputErrors_NameJSONFields), sent a valid body — a workflow step's
// on a request where the rulebook lets a caller take it (found by the
// walk of every state and caller, as TestActions_AdvertisedSucceed), the
// OpenAPI example elsewhere — with each field, found by reflection down
// nested objects, lists and the checklist, replaced by each hostile
// value (NUL, lone surrogates, control and bidi characters, 100 000
// characters, null, wrong kinds, huge numbers, nesting past the
// decoder's depth) and each top-level key repeated with a NUL, answers
// 2xx or 4xx with the error envelope, never 5xx; a NUL in text is never
// stored, and where refused as invalid input the field is named by its
// JSON path. Every GET route with NUL (%00) in each path parameter and
// in each documented query parameter answers a 4xx envelope or 2xx.
func TestHostileInput_NoServerError(t *testing.T) {
	t.Parallel()
	w, callers := newActionWalk(t)
	types := api.BodyTypes()
	doc := loadDoc(t)
	documented := doc.operations()
	user := w.mustUser(t, "probed@example.org")
	params := map[string]string{"{code}": "NPL-EQ", "{user_id}": strconv.FormatInt(user.ID, 10)}
	ids := map[string]string{"/organizations/": strconv.FormatInt(w.org.ID, 10), "/users/": strconv.FormatInt(user.ID, 10)}
	keys, targets := bodyTargets(t, w, callers, user)
	probes := 0
	for _, key := range keys {
		tg := targets[key]
		if tg == nil {
			continue
		}
		method := tg.method
		try := func(what, body string, nul bool, path string) {
			probes++
			r := w.send(t, method, tg.path, tg.token, body)
			if wantNoServerError(t, key+" "+what, r, nul, path) && tg.fresh != nil {
				tg.renew(t)
			}
		}
		for _, l := range leaves(reflect.TypeOf(types[key]), nil) {
			values := hostileValues
			if l.text {
				values = append(slices.Clone(api.HostileTexts()), hostileValues...)
			}
			for _, v := range values {
				try(fmt.Sprintf("%s = %.40s", l, v), with(t, tg.body, l.path, v), l.text && strings.HasPrefix(v, `"`) && hasNUL(v), l.String())
			}
		}
		for k := range tg.body {
			try(fmt.Sprintf("%s repeated with a NUL", k), withRepeated(t, tg.body, k, `"\u0000"`), false, "")
		}
		for _, body := range []string{`{"` + "\\u0000" + `": 1}`, `{}`, `{"a":1,"a":2}`, `[` + strings.Repeat(`{},`, 1000) + `{}]`} {
			try(fmt.Sprintf("body %.40s", body), body, false, "")
		}
	}

	// Path and query parameters with NUL, on every GET route.
	routes, _ := api.New(api.Options{}).Routes().(chi.Routes)
	if err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method != http.MethodGet {
			return nil
		}
		var query []string
		if op, ok := documented[method+" "+route]; ok {
			ps, _ := op["parameters"].([]any)
			for _, p := range ps {
				pm := doc.deref(t, p)
				if pm["in"] == "query" {
					query = append(query, pm["name"].(string))
				}
			}
		}
		base := route
		for k, v := range params {
			base = strings.ReplaceAll(base, k, v)
		}
		for prefix, id := range ids {
			if strings.HasPrefix(base, prefix) {
				base = strings.Replace(base, "{id}", id, 1)
			}
		}
		base = fillParams(base)
		for _, p := range strings.Split(route, "/") {
			if strings.HasPrefix(p, "{") {
				path := strings.Replace(route, p, "a%00b", 1)
				for k, v := range params {
					path = strings.ReplaceAll(path, k, v)
				}
				path = fillParams(path)
				probes++
				wantNoServerError(t, "GET "+path, w.send(t, method, path, w.adminToken, ""), false, "")
			}
		}
		for _, q := range query {
			for _, v := range []string{"a\x00b", "\x00", strings.Repeat("x", 10_000), "\u202e", "-1", "1e400"} {
				path := base + "?" + url.Values{q: {v}}.Encode()
				probes++
				wantNoServerError(t, "GET "+route+" ?"+q+"="+fmt.Sprintf("%.20q", v), w.send(t, method, path, w.adminToken, ""), false, "")
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d hostile calls", probes)
}

// fillParams fills the path parameters left in path with 1.
func fillParams(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") {
			parts[i] = "1"
		}
	}
	return strings.Join(parts, "/")
}
