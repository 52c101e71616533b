package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/api"
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/apicontract"
)

// oaDoc is the parsed document, kept as generic JSON so the test checks
// what is written rather than what a typed model would accept.
type oaDoc map[string]any

func loadDoc(t testing.TB) oaDoc {
	t.Helper()
	var d oaDoc
	if err := json.Unmarshal(api.OpenAPI(), &d); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return d
}

// resolve follows a local $ref ("#/components/schemas/X") in d.
func (d oaDoc) resolve(ref string) (any, error) {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %q is not local", ref)
	}
	var cur any = map[string]any(d)
	for _, part := range strings.Split(p, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: %q is not inside an object", ref, part)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("$ref %q does not resolve: no %q", ref, part)
		}
	}
	return cur, nil
}

// deref returns v with a top-level $ref followed.
func (d oaDoc) deref(t testing.TB, v any) map[string]any {
	t.Helper()
	m, _ := v.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		r, err := d.resolve(ref)
		if err != nil {
			t.Fatal(err)
		}
		return d.deref(t, r)
	}
	return m
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// operations returns the document's operations by "METHOD /path".
func (d oaDoc) operations() map[string]map[string]any {
	out := map[string]map[string]any{}
	paths, _ := d["paths"].(map[string]any)
	for path, item := range paths {
		item, _ := item.(map[string]any)
		for _, m := range httpMethods {
			if op, ok := item[m].(map[string]any); ok {
				out[strings.ToUpper(m)+" "+path] = op
			}
		}
	}
	return out
}

func TestOpenAPI_MatchesRoutes(t *testing.T) {
	t.Parallel()
	routes, ok := api.New(api.Options{}).Routes().(chi.Routes)
	if !ok {
		t.Fatal("Routes() is not a chi.Routes")
	}
	var inRouter []string
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		inRouter = append(inRouter, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	documented := loadDoc(t).operations()
	for _, r := range inRouter {
		if _, ok := documented[r]; !ok {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for r := range documented {
		if !slices.Contains(inRouter, r) {
			t.Errorf("openapi.json documents %s, which the router does not have", r)
		}
	}
	if len(inRouter) != len(documented) {
		t.Errorf("router has %d routes, openapi.json %d operations", len(inRouter), len(documented))
	}
}

func TestOpenAPI_Document(t *testing.T) {
	t.Parallel()
	d := loadDoc(t)
	if d["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", d["openapi"])
	}
	info, _ := d["info"].(map[string]any)
	if info["title"] != "cmcoord API" || info["version"] != "1" {
		t.Errorf("info = %v, want title cmcoord API, version 1", info)
	}
	if servers, _ := d["servers"].([]any); len(servers) != 1 || d.deref(t, servers[0])["url"] != "/api/v1" {
		t.Errorf("servers = %v, want [/api/v1]", d["servers"])
	}

	t.Run("Valid", func(t *testing.T) {
		t.Parallel()
		// kin-openapi loads the served document, validates it (OpenAPI 3.1,
		// JSON Schema 2020-12) and checks every example against its schema,
		// with objects closed as the contract harness closes them.
		if _, err := apicontract.Load(api.OpenAPI()); err != nil {
			t.Error(err)
		}
	})

	t.Run("RefsResolve", func(t *testing.T) {
		t.Parallel()
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch v := v.(type) {
			case map[string]any:
				if ref, ok := v["$ref"].(string); ok {
					if _, err := d.resolve(ref); err != nil {
						t.Errorf("%s: %v", path, err)
					}
				}
				for k, c := range v {
					walk(path+"/"+k, c)
				}
			case []any:
				for i, c := range v {
					walk(path+"/"+strconv.Itoa(i), c)
				}
			}
		}
		walk("#", map[string]any(d))
	})

	for name, op := range d.operations() {
		t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
			t.Parallel()
			checkOperation(t, d, name, op)
		})
	}
}

// checkOperation checks one operation: an ID, path parameters that match
// the template, examples, and the responses.
func checkOperation(t testing.TB, d oaDoc, name string, op map[string]any) {
	if id, _ := op["operationId"].(string); id == "" {
		t.Error("no operationId")
	}
	path := strings.SplitN(name, " ", 2)[1]
	var declared []string
	params, _ := op["parameters"].([]any)
	for _, p := range params {
		p := d.deref(t, p)
		if p["in"] == "path" {
			declared = append(declared, p["name"].(string))
			if p["required"] != true {
				t.Errorf("path parameter %v is not required", p["name"])
			}
		}
	}
	var inTemplate []string
	for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
		inTemplate = append(inTemplate, m[1])
	}
	sort.Strings(declared)
	sort.Strings(inTemplate)
	if !slices.Equal(declared, inTemplate) {
		t.Errorf("path parameters = %v, want %v", declared, inTemplate)
	}

	if body, ok := op["requestBody"]; ok {
		for ct, media := range d.deref(t, body)["content"].(map[string]any) {
			checkExample(t, "request body "+ct, media.(map[string]any))
		}
	}

	responses, _ := op["responses"].(map[string]any)
	success, withExample := 0, 0
	for status, resp := range responses {
		resp := d.deref(t, resp)
		if desc, _ := resp["description"].(string); desc == "" {
			t.Errorf("response %s has no description", status)
		}
		content, _ := resp["content"].(map[string]any)
		for ct, media := range content {
			if checkExample(t, "response "+status+" "+ct, media.(map[string]any)) && status[0] == '2' {
				withExample++
			}
		}
		if status[0] == '2' {
			success++
			if status != "204" && content == nil {
				t.Errorf("response %s has no content", status)
			}
		} else if status != "default" && d.deref(t, resp)["content"] == nil {
			t.Errorf("error response %s has no body", status)
		}
	}
	switch {
	case success == 0:
		t.Error("no 2xx response")
	case withExample == 0 && responses["204"] == nil:
		t.Error("no 2xx response with an example")
	}
	if name == "GET /openapi.json" {
		if sec, ok := op["security"].([]any); !ok || len(sec) != 0 {
			t.Errorf("security = %v, want [] (public)", op["security"])
		}
	} else if _, ok := responses["401"]; !ok {
		t.Error("no 401 response, yet the route needs credentials")
	}
}

// checkExample reports whether media has an example, and fails t when it
// has none. Whether the example fits its schema is kin-openapi's to check
// (TestOpenAPI_Document/Valid).
func checkExample(t testing.TB, what string, media map[string]any) bool {
	t.Helper()
	if _, ok := media["example"]; !ok {
		t.Errorf("%s has no example", what)
		return false
	}
	return true
}

func TestOpenAPI_Served(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	api.New(api.Options{}).Routes().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q, want application/json; charset=utf-8", ct)
	}
	if rec.Body.String() != string(api.OpenAPI()) {
		t.Error("served document differs from the embedded one")
	}
}

// TestOpenAPI_FromRulebook: what the document says of the workflow is the
// rulebook's — the status and action enums and a route per generic
// transition, with the roles and states of its row.
func TestOpenAPI_FromRulebook(t *testing.T) {
	t.Parallel()
	d := loadDoc(t)
	enum := func(schema string) []string {
		s := d.deref(t, map[string]any{"$ref": "#/components/schemas/" + schema})
		var out []string
		for _, v := range s["enum"].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	var statuses, actions []string
	for _, s := range domain.Statuses() {
		statuses = append(statuses, string(s))
	}
	for _, a := range domain.Steps() {
		actions = append(actions, string(a))
	}
	if got := enum("RequestStatus"); !slices.Equal(got, statuses) {
		t.Errorf("RequestStatus enum = %v, want %v", got, statuses)
	}
	if got := enum("RequestAction"); !slices.Equal(got, actions) {
		t.Errorf("RequestAction enum = %v, want %v", got, actions)
	}
	var states []string
	for _, st := range domain.ItemStates {
		states = append(states, string(st))
	}
	item := d.deref(t, map[string]any{"$ref": "#/components/schemas/ChecklistItemResult"})
	var got []string
	for _, v := range item["properties"].(map[string]any)["state"].(map[string]any)["enum"].([]any) {
		got = append(got, v.(string))
	}
	if !slices.Equal(got, states) {
		t.Errorf("ChecklistItemResult.state enum = %v, want %v", got, states)
	}
	// The notice kinds a user may choose the delivery of, and the
	// deliveries: the domain's table, in its order.
	var kinds, deliveries []string
	for _, a := range domain.NoticeAudiences {
		kinds = append(kinds, string(a.Kind))
	}
	for _, dl := range domain.Deliveries {
		deliveries = append(deliveries, string(dl))
	}
	if got := enum("NoticeKind"); !slices.Equal(got, kinds) {
		t.Errorf("NoticeKind enum = %v, want %v", got, kinds)
	}
	if got := enum("Delivery"); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(deliveries))) {
		t.Errorf("Delivery enum = %v, want %v", got, deliveries)
	}
	ops := d.operations()
	for _, tr := range domain.GenericTransitions() {
		op, ok := ops["POST /requests/{id}/"+tr.Path]
		if !ok {
			t.Errorf("%s: POST /requests/{id}/%s is not documented", tr.Action, tr.Path)
			continue
		}
		desc, _ := op["description"].(string)
		for _, want := range append([]string{string(tr.To)}, func() []string {
			var s []string
			for _, f := range tr.From {
				s = append(s, string(f))
			}
			return s
		}()...) {
			if !strings.Contains(desc, want) {
				t.Errorf("%s: the description does not name status %s", tr.Action, want)
			}
		}
	}
}

// TestOpenAPI_ReasonCodes ties every documented *_reason_code enum to the
// domain's list of system reasons (and "" for a person's reason).
func TestOpenAPI_ReasonCodes(t *testing.T) {
	t.Parallel()
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	want := []string{""}
	for _, c := range domain.SystemReasons {
		want = append(want, string(c))
	}
	seen := 0
	for name, s := range doc.Components.Schemas {
		for prop, p := range s.Properties {
			if !strings.HasSuffix(prop, "_reason_code") {
				continue
			}
			seen++
			if !slices.Equal(p.Enum, want) {
				t.Errorf("%s.%s enum = %q, want %q (domain.SystemReasons)", name, prop, p.Enum, want)
			}
		}
	}
	if seen == 0 {
		t.Error("no *_reason_code property documented")
	}
}
