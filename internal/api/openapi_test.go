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
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/api"
	"github.com/cmcoord/cmcoord/internal/domain"
)

// oaDoc is the parsed document, kept as generic JSON so the test checks
// what is written rather than what a typed model would accept.
type oaDoc map[string]any

func loadDoc(t *testing.T) oaDoc {
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
func (d oaDoc) deref(t *testing.T, v any) map[string]any {
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
// the template, examples that fit their schemas, and the responses.
func checkOperation(t *testing.T, d oaDoc, name string, op map[string]any) {
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
			checkExample(t, d, "request body "+ct, media.(map[string]any))
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
			if checkExample(t, d, "response "+status+" "+ct, media.(map[string]any)) && status[0] == '2' {
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

// checkExample reports whether media has an example, and fails t when
// that example does not fit the media's schema.
func checkExample(t *testing.T, d oaDoc, what string, media map[string]any) bool {
	t.Helper()
	ex, ok := media["example"]
	if !ok {
		t.Errorf("%s has no example", what)
		return false
	}
	for _, problem := range d.validate(media["schema"], ex, "$") {
		t.Errorf("%s example: %s", what, problem)
	}
	return true
}

// validate checks v against schema with the subset of JSON Schema the
// document uses: $ref, allOf, type (or a list of types), enum, required,
// properties, items and format date-time. Objects are checked strictly:
// a key the schema does not name is a problem, so an undocumented field
// in a response is caught.
func (d oaDoc) validate(schema any, v any, at string) []string {
	s, _ := schema.(map[string]any)
	if ref, ok := s["$ref"].(string); ok {
		r, err := d.resolve(ref)
		if err != nil {
			return []string{err.Error()}
		}
		return d.validate(r, v, at)
	}
	var problems []string
	if all, ok := s["allOf"].([]any); ok {
		// Each part sees only its own keys; the union must cover v.
		props := d.properties(s)
		if obj, ok := v.(map[string]any); ok {
			for k := range obj {
				if _, ok := props[k]; !ok {
					problems = append(problems, fmt.Sprintf("%s.%s is not documented", at, k))
				}
			}
			for _, part := range all {
				sub := map[string]any{}
				for k := range d.properties(part) {
					if x, ok := obj[k]; ok {
						sub[k] = x
					}
				}
				problems = append(problems, d.validate(part, sub, at)...)
			}
			return problems
		}
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		problems = append(problems, fmt.Sprintf("%s = %v, not one of %v", at, v, enum))
	}
	if typ, ok := s["type"]; ok && !typeMatches(typ, v) {
		return append(problems, fmt.Sprintf("%s = %v (%T), want type %v", at, v, v, typ))
	}
	switch v := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		extra, _ := s["additionalProperties"].(map[string]any)
		for _, r := range asStrings(s["required"]) {
			if _, ok := v[r]; !ok {
				problems = append(problems, fmt.Sprintf("%s.%s is required", at, r))
			}
		}
		for k, x := range v {
			switch {
			case props[k] != nil:
				problems = append(problems, d.validate(props[k], x, at+"."+k)...)
			case extra != nil:
				problems = append(problems, d.validate(extra, x, at+"."+k)...)
			case s["type"] == "object" && len(props) == 0:
				// A free-form object (the document itself).
			default:
				problems = append(problems, fmt.Sprintf("%s.%s is not documented", at, k))
			}
		}
	case []any:
		for i, x := range v {
			problems = append(problems, d.validate(s["items"], x, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case string:
		if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				problems = append(problems, fmt.Sprintf("%s = %q is not an RFC 3339 time", at, v))
			}
		}
	}
	return problems
}

// properties returns the properties a schema names, through $ref and allOf.
func (d oaDoc) properties(schema any) map[string]any {
	s, _ := schema.(map[string]any)
	if ref, ok := s["$ref"].(string); ok {
		r, err := d.resolve(ref)
		if err != nil {
			return nil
		}
		return d.properties(r)
	}
	out := map[string]any{}
	if p, ok := s["properties"].(map[string]any); ok {
		for k, v := range p {
			out[k] = v
		}
	}
	all, _ := s["allOf"].([]any)
	for _, part := range all {
		for k, v := range d.properties(part) {
			out[k] = v
		}
	}
	return out
}

func typeMatches(typ any, v any) bool {
	for _, t := range asStrings(typ) {
		switch {
		case t == "object" && isA[map[string]any](v), t == "array" && isA[[]any](v),
			t == "string" && isA[string](v), t == "boolean" && isA[bool](v), t == "null" && v == nil,
			t == "number" && isA[float64](v):
			return true
		case t == "integer":
			if f, ok := v.(float64); ok && f == float64(int64(f)) {
				return true
			}
		}
	}
	return false
}

func isA[T any](v any) bool { _, ok := v.(T); return ok }

func asStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return nil
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
