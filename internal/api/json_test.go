package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestProtocol covers what every route shares: body decoding, the error
// envelope, unknown paths and methods, and cross-site protection.
func TestProtocol(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	valid := `{"name": "World Food Programme", "acronym": "WFP", "type": "un_agency"}`

	tests := []struct {
		name   string
		body   string
		header map[string]string
		status int
		fields map[string]string
	}{
		{"ErrSyntax", `{"name": "WFP",`, nil, http.StatusBadRequest, map[string]string{"body": "field.invalid"}},
		{"ErrNotJSON", `name=WFP`, nil, http.StatusBadRequest, map[string]string{"body": "field.invalid"}},
		{"ErrEmpty", ``, nil, http.StatusBadRequest, map[string]string{"body": "field.required"}},
		{"ErrUnknownField", `{"name": "WFP", "acronym": "WFP", "type": "un_agency", "colour": "blue"}`, nil,
			http.StatusBadRequest, map[string]string{"colour": "field.unknown"}},
		{"ErrWrongType", `{"name": 42}`, nil, http.StatusBadRequest, map[string]string{"name": "field.text"}},
		{"ErrArray", `[` + valid + `]`, nil, http.StatusBadRequest, map[string]string{"body": "field.object"}},
		{"ErrTwoValues", valid + valid, nil, http.StatusBadRequest, map[string]string{"body": "field.invalid"}},
		{"ErrTrailingGarbage", valid + ` x`, nil, http.StatusBadRequest, map[string]string{"body": "field.invalid"}},
		{"ErrTooLarge", `{"name": "` + strings.Repeat("x", 1<<20) + `"}`, nil,
			http.StatusRequestEntityTooLarge, map[string]string{"body": "field.too_long"}},
		// Content types other than JSON are 415, documented in openapi.json.
		{"ErrFormContentType", valid, map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			http.StatusUnsupportedMediaType, map[string]string{"content_type": "field.invalid"}},
		{"ErrTextContentType", valid, map[string]string{"Content-Type": "text/plain"},
			http.StatusUnsupportedMediaType, map[string]string{"content_type": "field.invalid"}},
		{"ErrNoContentType", valid, map[string]string{"Content-Type": ""},
			http.StatusUnsupportedMediaType, map[string]string{"content_type": "field.invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := f.call(t, req{Method: "POST", Path: "/organizations", Token: f.adminToken, Body: tt.body, Header: tt.header})
			e := r.wantError(t, tt.status, "malformed", tt.fields)
			if e.Error.MessageID != "error.malformed" {
				t.Errorf("message_id = %q, want error.malformed", e.Error.MessageID)
			}
		})
	}
	t.Run("OKContentTypeWithCharset", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "POST", Path: "/organizations", Token: f.adminToken, Body: valid,
			Header: map[string]string{"Content-Type": "application/json; charset=utf-8"}}).want(t, http.StatusCreated)
	})
	t.Run("OKEnvelope", func(t *testing.T) {
		t.Parallel()
		e := f.call(t, req{Method: "POST", Path: "/organizations", Token: f.adminToken, Body: `{"type": "un_agency"}`}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"name": "field.required"})
		if e.Error.MessageID != "error.invalid" || e.Error.Fields["name"] != "Enter a value." || e.Error.RequestID == "" {
			t.Errorf("error = %+v, want error.invalid, English field text, a request ID", e.Error)
		}
	})
	t.Run("ErrUnknownPath", func(t *testing.T) {
		t.Parallel()
		for _, path := range []string{"/nope", "/", "/me/nope", "/users/1/nope"} {
			f.call(t, req{Method: "GET", Path: path, Token: f.adminToken}).wantError(t, http.StatusNotFound, "not_found", nil)
		}
		// Anonymous callers get JSON too.
		f.call(t, req{Method: "GET", Path: "/nope"}).wantError(t, http.StatusNotFound, "not_found", nil)
	})
	t.Run("ErrMethodNotAllowed", func(t *testing.T) {
		t.Parallel()
		r := f.call(t, req{Method: "DELETE", Path: "/organizations/1", Token: f.adminToken})
		r.wantError(t, http.StatusMethodNotAllowed, "method_not_allowed", nil)
		if got := r.Header.Values("Allow"); !slices.Equal(got, []string{"GET", "PATCH"}) {
			t.Errorf("Allow = %v, want [GET PATCH]", got)
		}
	})
	t.Run("ErrCrossSite", func(t *testing.T) {
		t.Parallel()
		c := f.signIn(t, "admin@example.org")
		body := `{"name": "Forged", "acronym": "F", "type": "other"}`
		f.call(t, req{Method: "POST", Path: "/organizations", Client: c, Body: body,
			Header: map[string]string{"Sec-Fetch-Site": "cross-site"}}).want(t, http.StatusForbidden)
		// The same request from the site itself goes through.
		f.call(t, req{Method: "POST", Path: "/organizations", Client: c, Body: body,
			Header: map[string]string{"Sec-Fetch-Site": "same-origin"}}).want(t, http.StatusCreated)
	})
}
