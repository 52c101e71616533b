package apicontract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cmcoord/cmcoord/internal/api"
)

// The tests are inside the package, to check single exchanges without a
// server; they load the document the API serves.

// servedContract loads the document the API serves, without a database.
func servedContract(t *testing.T) *Contract {
	t.Helper()
	rec := httptest.NewRecorder()
	api.New(api.Options{}).Routes().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /openapi.json: status %d", rec.Code)
	}
	c, err := Load(rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// exchange is one documented answer of one operation, built from the
// document's own examples: a request that fits and a response that fits.
type exchange struct {
	name        string // "GET /me 200"
	method      string
	path        string // with the path parameters filled in
	reqBody     []byte
	status      int
	contentType string
	body        any // the decoded example; nil for no body
}

// documentedExchanges walks every operation and every documented status
// with a JSON example (or no content at all).
func documentedExchanges(t *testing.T, c *Contract) []exchange {
	t.Helper()
	var out []exchange
	for path, item := range c.Doc.Paths.Map() {
		for method, op := range item.Operations() {
			filled := path
			for _, p := range op.Parameters {
				if p.Value.In == openapi3.ParameterInPath {
					filled = strings.ReplaceAll(filled, "{"+p.Value.Name+"}", paramExample(t, p.Value))
				}
			}
			var reqBody []byte
			if op.RequestBody != nil {
				media := op.RequestBody.Value.Content.Get("application/json")
				if media == nil && op.RequestBody.Value.Content.Get("multipart/form-data") != nil {
					// An upload is not JSON: the API's own tests drive it
					// against the served document (TestOpenAPI_AttachmentResponses).
					continue
				}
				if media == nil || media.Example == nil {
					t.Fatalf("%s %s: no JSON request example", method, path)
				}
				reqBody, _ = json.Marshal(media.Example)
			}
			for status, resp := range op.Responses.Map() {
				var code int
				if _, err := fmt.Sscan(status, &code); err != nil {
					t.Fatalf("%s %s: status %q", method, path, status)
				}
				x := exchange{name: method + " " + path + " " + status, method: method, path: filled, reqBody: reqBody, status: code}
				if len(resp.Value.Content) == 0 {
					out = append(out, x)
					continue
				}
				for ct, media := range resp.Value.Content {
					if (ct == "application/json" || strings.HasPrefix(ct, "application/json;")) && media.Example != nil { // not JSON lines
						x.contentType, x.body = "application/json; charset=utf-8", roundTrip(t, media.Example)
						out = append(out, x)
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// paramExample is a value for a path parameter that fits its schema.
func paramExample(t *testing.T, p *openapi3.Parameter) string {
	t.Helper()
	s := p.Schema.Value
	switch {
	case p.Example != nil:
		return fmt.Sprint(p.Example)
	case s.Example != nil:
		return fmt.Sprint(s.Example)
	case len(s.Examples) > 0:
		return fmt.Sprint(s.Examples[0])
	case len(s.Enum) > 0:
		return fmt.Sprint(s.Enum[0])
	case s.Type.Is(openapi3.TypeInteger):
		return "1"
	}
	t.Fatalf("path parameter %s: no example to fill it with", p.Name)
	return ""
}

// roundTrip returns v as the decoder would see it on the wire.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// run checks x, with body in place of x's example, as the transport would.
func (c *Contract) run(x exchange, status int, body any, rawBody []byte) []string {
	r := httptest.NewRequest(x.method, Prefix+x.path, bytes.NewReader(x.reqBody))
	r.Header.Set("Authorization", "Bearer cmc_test")
	if x.reqBody != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	resp := &http.Response{StatusCode: status, Header: http.Header{}}
	if body != nil {
		rawBody, _ = json.Marshal(body)
	}
	if rawBody != nil {
		resp.Header.Set("Content-Type", x.contentType)
	}
	return c.Check(r, x.reqBody, resp, rawBody)
}

// TestCheck walks every documented answer of every operation:
// the document's own example passes the harness, and the same answer with
// an undocumented field, a field of the wrong type, a missing required
// field, an undocumented status or a body where none is documented (or
// none where one is) does not. So the harness cannot pass silently.
func TestCheck(t *testing.T) {
	t.Parallel()
	c := servedContract(t)
	for _, x := range documentedExchanges(t, c) {
		t.Run(strings.ReplaceAll(x.name, "/", "_"), func(t *testing.T) {
			t.Parallel()
			if problems := c.run(x, x.status, x.body, nil); len(problems) > 0 {
				t.Fatalf("the document's own example is refused: %v", problems)
			}
			wantCaught := func(what string, problems []string) {
				t.Helper()
				if len(problems) == 0 {
					t.Errorf("%s: not caught", what)
				}
			}
			wantCaught("an undocumented status", c.run(x, 418, x.body, nil))
			if x.body == nil {
				wantCaught("a body where the document has none", c.run(x, x.status, nil, []byte(`{"undocumented":1}`)))
				return
			}
			wantCaught("no body where the document has one", c.run(x, x.status, nil, nil))
			obj, ok := x.body.(map[string]any)
			if !ok || isFreeForm(c, x) {
				return
			}
			wantCaught("an undocumented field", c.run(x, x.status, with(obj, "undocumented_canary", true), nil))
			for k, v := range obj {
				wantCaught("field "+k+" of the wrong type", c.run(x, x.status, with(obj, k, wrongType(v)), nil))
			}
			if required := responseSchema(c, x).Required; len(required) > 0 {
				wantCaught("required field "+required[0]+" missing", c.run(x, x.status, without(obj, required[0]), nil))
			}
		})
	}
}

// TestTransport sends answers through Transport
// and checks it reports them to the test: a nested undocumented field, an
// answer to a path the document lacks that is not the error envelope,
// and a request the document forbids that the server accepted.
func TestTransport(t *testing.T) {
	t.Parallel()
	c := servedContract(t)
	member := map[string]any{"user": map[string]any{"id": 7, "email": "a@example.org", "name": "A",
		"organization": map[string]any{"id": 1, "name": "OCHA", "acronym": "OCHA"}, "secret": "leaked"}, "roles": []any{"viewer"}}
	tests := []struct {
		name, method, path, reqBody string
		status                      int
		body                        any
		want                        string
	}{
		{"ErrNestedField", "GET", "/operations/NPL-EQ-2015/members", "", 200,
			map[string]any{"items": []any{member}}, "secret"},
		{"ErrUnroutedNotEnvelope", "GET", "/nowhere", "", 404, map[string]any{"message": "not found"}, "error envelope"},
		{"ErrUnroutedAnswered", "GET", "/nowhere", "", 200, map[string]any{}, "must be 404"},
		{"ErrForbiddenRequestAccepted", "POST", "/me/tokens", `{"name": "ci", "undocumented": 1}`, 201,
			map[string]any{"token": "cmc_x", "id": 1, "name": "ci", "created_at": "2026-01-01T00:00:00Z"}, "request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body, _ := json.Marshal(tt.body)
			fake := roundTripperFunc(func(*http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: tt.status, Body: io.NopCloser(bytes.NewReader(body)),
					Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}}, nil
			})
			rec := &recordingTB{TB: t}
			client := &http.Client{Transport: Transport{Base: fake, Contract: c, T: rec}}
			r, err := http.NewRequest(tt.method, "http://api.test"+Prefix+tt.path, strings.NewReader(tt.reqBody))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Authorization", "Bearer cmc_test")
			if tt.reqBody != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			resp, err := client.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := io.ReadAll(resp.Body); !bytes.Equal(got, body) {
				t.Errorf("body passed on = %s, want %s", got, body)
			}
			if !strings.Contains(rec.errors(), tt.want) {
				t.Errorf("reported %q, want a mismatch mentioning %q", rec.errors(), tt.want)
			}
		})
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// recordingTB records Errorf instead of failing the test.
type recordingTB struct {
	testing.TB
	mu  sync.Mutex
	got []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, fmt.Sprintf(format, args...))
}

func (r *recordingTB) errors() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.got, "\n")
}

// responseSchema is the schema of x's documented body.
func responseSchema(c *Contract, x exchange) *openapi3.Schema {
	route, _, err := c.router.FindRoute(httptest.NewRequest(x.method, Prefix+x.path, nil))
	if err != nil {
		panic(err)
	}
	return route.Operation.Responses.Status(x.status).Value.Content.Get("application/json").Schema.Value
}

// isFreeForm reports whether x's body is an object the document leaves
// open on purpose (the document itself).
func isFreeForm(c *Contract, x exchange) bool {
	s := responseSchema(c, x)
	return len(s.Properties) == 0 && len(s.AllOf) == 0
}

func with(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for key, val := range m {
		out[key] = val
	}
	out[k] = v
	return out
}

func without(m map[string]any, k string) map[string]any {
	out := with(m, k, nil)
	delete(out, k)
	return out
}

// wrongType returns a value of another JSON type than v's.
func wrongType(v any) any {
	switch v.(type) {
	case string:
		return []any{v}
	case nil:
		return map[string]any{"not": "null"}
	default:
		return fmt.Sprintf("%v", v) + "\x00"
	}
}
