// Package apicontract checks HTTP exchanges with the JSON API against the
// OpenAPI document the server serves, with kin-openapi (a maintained
// validator of OpenAPI 3.1 and JSON Schema 2020-12): the document stays the
// contract, and every test request is a test of it. The API tests and the
// authorization matrix send their requests through Transport.
package apicontract

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Prefix is where the web server mounts the API.
const Prefix = "/api/v1"

// Contract is a loaded OpenAPI document with its router.
type Contract struct {
	Doc    *openapi3.T
	router routers.Router
	errors *openapi3.Schema // the error envelope, for paths no operation has
}

// contracts caches loaded documents by their content: every fixture
// fetches the served document, but it is parsed once per distinct text.
var contracts sync.Map // [sha256.Size]byte → func() (*Contract, error)

// checked counts the exchanges Transport checked in this test binary.
var checked atomic.Int64

// Checked returns how many exchanges the Transports counting them have
// checked so far in this test binary.
func Checked() int64 { return checked.Load() }

// Load parses the document raw, closes its objects (strictObjects),
// validates it (every example against its schema too) and builds its
// router. A document is loaded once per test binary.
func Load(raw []byte) (*Contract, error) {
	load, _ := contracts.LoadOrStore(sha256.Sum256(raw), sync.OnceValues(func() (*Contract, error) {
		strict, err := strictObjects(raw)
		if err != nil {
			return nil, err
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(strict)
		if err != nil {
			return nil, fmt.Errorf("load the served OpenAPI document: %w", err)
		}
		if err := doc.Validate(loader.Context, openapi3.EnableExamplesValidation()); err != nil {
			return nil, fmt.Errorf("the served OpenAPI document is invalid: %w", err)
		}
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			return nil, err
		}
		envelope := doc.Components.Schemas["Error"]
		if envelope == nil || envelope.Value == nil {
			return nil, errors.New("the served OpenAPI document has no Error schema")
		}
		return &Contract{Doc: doc, router: router, errors: envelope.Value}, nil
	}))
	return load.(func() (*Contract, error))()
}

// strictObjects returns the document raw with every object schema closed:
// a key the schema does not name is a mismatch. The served document leaves
// most objects open, as clients should tolerate fields added later; the
// tests hold the server to naming every field it sends (and the server
// refuses unknown fields in request bodies anyway).
//
// unevaluatedProperties (JSON Schema 2020-12) rather than
// additionalProperties, so that a schema composed with allOf sees the
// properties of all its parts. A component that is itself a part of an
// allOf (User inside UserCreated) stays open there, and is closed where it
// is used on its own by wrapping the $ref: {"allOf": [ref], "unevaluated…"}.
func strictObjects(raw []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	parts := map[string]bool{} // "#/components/schemas/X" used as an allOf part
	var findParts func(v any)
	findParts = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if all, ok := v["allOf"].([]any); ok {
				for _, p := range all {
					if ref, ok := p.(map[string]any)["$ref"].(string); ok {
						parts[ref] = true
					}
				}
			}
			for _, c := range v {
				findParts(c)
			}
		case []any:
			for _, c := range v {
				findParts(c)
			}
		}
	}
	findParts(doc)

	// walk closes the schema v and the schemas inside it; part is whether
	// v is an allOf part, which must stay open.
	var walk func(v any, part bool) any
	walk = func(v any, part bool) any {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				switch k {
				case "example", "examples", "default", "enum", "const":
					// Values, not schemas.
				case "properties":
					props, _ := c.(map[string]any)
					for name, p := range props {
						props[name] = walk(p, false)
					}
				case "allOf":
					all, _ := c.([]any)
					for i, p := range all {
						all[i] = walk(p, true)
					}
				default:
					v[k] = walk(c, false)
				}
			}
			if ref, ok := v["$ref"].(string); ok && parts[ref] && !part {
				return map[string]any{"allOf": []any{v}, "unevaluatedProperties": false}
			}
			_, props := v["properties"]
			_, all := v["allOf"]
			_, additional := v["additionalProperties"]
			_, unevaluated := v["unevaluatedProperties"]
			if (props || all) && !additional && !unevaluated && !part {
				v["unevaluatedProperties"] = false
			}
			return v
		case []any:
			for i, c := range v {
				v[i] = walk(c, false)
			}
		}
		return v
	}
	components, _ := doc["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	for name, s := range schemas {
		schemas[name] = walk(s, parts["#/components/schemas/"+name])
	}
	for k, v := range components {
		if k != "schemas" {
			components[k] = walk(v, false)
		}
	}
	for k, v := range doc {
		if k != "components" {
			doc[k] = walk(v, false)
		}
	}
	return json.Marshal(doc)
}

// Transport sends requests through Base and checks every exchange under
// /api/v1 against Contract, reporting mismatches to T:
//   - the request must fit its operation (parameters, credentials, body),
//     unless the server refused it: tests send malformed requests on
//     purpose, and a request the document forbids must not succeed;
//   - the response status must be one the operation documents, and the
//     body must fit that status's schema exactly;
//   - a path or method no operation has must be answered 404 or 405 with
//     the error envelope.
type Transport struct {
	Base     http.RoundTripper // nil: http.DefaultTransport
	Contract *Contract
	T        testing.TB
	Count    bool // add the exchange to Checked
}

// RoundTrip sends r and checks the exchange.
func (ct Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	base := ct.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if !strings.HasPrefix(r.URL.Path, Prefix+"/") {
		return base.RoundTrip(r)
	}
	var reqBody []byte
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if ct.Count {
		checked.Add(1)
	}
	for _, problem := range ct.Contract.Check(r, reqBody, resp, respBody) {
		ct.T.Errorf("OpenAPI: %s %s → %d: %s", r.Method, r.URL.RequestURI(), resp.StatusCode, problem)
	}
	return resp, nil
}

// Check returns how the exchange departs from the document: r (whose body
// is reqBody) answered with resp (whose body is respBody).
func (c *Contract) Check(r *http.Request, reqBody []byte, resp *http.Response, respBody []byte) []string {
	ctx := context.Background()
	// The router matches the document's relative server URL against the
	// path only.
	routed := r.Clone(ctx)
	routed.URL = &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	routed.Host = ""
	routed.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := c.router.FindRoute(routed)
	if err != nil {
		return c.checkUnrouted(err, resp, respBody)
	}
	var problems []string
	in := &openapi3filter.RequestValidationInput{
		Request: routed, PathParams: params, Route: route,
		Options: &openapi3filter.Options{
			// A body sent to an operation that documents none is ignored by
			// the server, as the document allows: not a mismatch.
			AuthenticationFunc: hasCredentials, SkipSettingDefaults: true, MultiError: true,
		},
	}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && resp.StatusCode < 300 {
		problems = append(problems, "request: "+err.Error())
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		problems = append(problems, "response: "+err.Error())
	}
	// kin-openapi checks a body against the documented content, but not
	// that there is a body exactly when some content is documented.
	if doc := route.Operation.Responses.Status(resp.StatusCode); doc != nil && doc.Value != nil && r.Method != http.MethodHead {
		switch documented := len(doc.Value.Content) > 0; {
		case documented && len(respBody) == 0:
			problems = append(problems, "response: empty body, the document describes one")
		case !documented && len(respBody) > 0:
			problems = append(problems, fmt.Sprintf("response: body %.200q, the document describes none", respBody))
		}
	}
	return problems
}

// checkUnrouted checks the answer to a path or method the document does
// not have: 404 or 405, as the error envelope.
func (c *Contract) checkUnrouted(routeErr error, resp *http.Response, body []byte) []string {
	want := http.StatusNotFound
	if errors.Is(routeErr, routers.ErrMethodNotAllowed) {
		want = http.StatusMethodNotAllowed
	}
	if resp.StatusCode != want {
		return []string{fmt.Sprintf("%v, so the answer must be %d", routeErr, want)}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []string{fmt.Sprintf("%v: the body is not JSON: %v", routeErr, err)}
	}
	if err := c.errors.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors()); err != nil {
		return []string{fmt.Sprintf("%v: the body is not the error envelope: %v", routeErr, err)}
	}
	return nil
}

// hasCredentials is the document's security schemes as a client sees
// them: the credential must be present (whether it is valid is the
// server's to decide, and a 401 is then checked as a response).
func hasCredentials(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	switch s := in.SecurityScheme; {
	case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"):
		if scheme, _, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "bearer") {
			return nil
		}
	case s.Type == "apiKey" && s.In == "cookie":
		if _, err := r.Cookie(s.Name); err == nil {
			return nil
		}
	default:
		return fmt.Errorf("security scheme %s %s is not known to the test harness", s.Type, s.Scheme)
	}
	return fmt.Errorf("no %s credential", in.SecuritySchemeName)
}

// Client returns c (nil: a plain client) sending through a counting
// Transport reporting to t. The copy shares c's cookie jar.
func (ct *Contract) Client(t testing.TB, c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	out.Transport = Transport{Base: out.Transport, Contract: ct, T: t, Count: true}
	return &out
}

// Fetch loads the document the server at baseURL serves.
func Fetch(t testing.TB, baseURL string) *Contract {
	t.Helper()
	resp, err := http.Get(baseURL + Prefix + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/openapi.json: status %d", Prefix, resp.StatusCode)
	}
	c, err := Load(raw)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The security log's export is JSON lines, which the validator reads as
// the plain text its schema says it is.
func init() {
	openapi3filter.RegisterBodyDecoder("application/jsonl", openapi3filter.PlainBodyDecoder)
}
