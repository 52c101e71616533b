package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/cmcoord/cmcoord/internal/i18n"
)

// TestWriteError_Internal checks that an unexpected error is logged once,
// with the request ID, and reaches the client only as a generic message.
func TestWriteError_Internal(t *testing.T) {
	t.Parallel()
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	catalog.OnMissing(func(lang, id string) { t.Errorf("missing translation %s:%s", lang, id) })
	tests := []struct {
		name    string
		err     error
		expired bool
		status  int
		code    string
		logged  string
	}{
		{"ErrInternal", fmt.Errorf("store: get user 7: %w", fmt.Errorf("dial tcp 10.0.0.5:5432: secret detail")),
			false, http.StatusInternalServerError, "internal", "level=ERROR"},
		{"ErrTimeout", fmt.Errorf("store: list users: %w", context.DeadlineExceeded),
			true, http.StatusGatewayTimeout, "timeout", "level=WARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			a := New(Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
			ctx := context.WithValue(t.Context(), middleware.RequestIDKey, "req-42")
			ctx = i18n.WithLocalizer(ctx, catalog.Localizer("en"))
			if tt.expired {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 0)
				defer cancel()
			}
			rec := httptest.NewRecorder()
			a.WriteError(rec, httptest.NewRequest(http.MethodGet, "/users", nil).WithContext(ctx), tt.err)

			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			if strings.Contains(rec.Body.String(), "secret") || strings.Contains(rec.Body.String(), "store:") {
				t.Errorf("body leaks the error: %s", rec.Body)
			}
			var got errorEnvelope
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Error.Code != tt.code || got.Error.RequestID != "req-42" || got.Error.Message == got.Error.MessageID {
				t.Errorf("error = %+v, want code %s, request ID req-42, a translated message", got.Error, tt.code)
			}
			if n := strings.Count(logs.String(), "\n"); n != 1 || !strings.Contains(logs.String(), "request_id=req-42") ||
				!strings.Contains(logs.String(), tt.logged) {
				t.Errorf("log = %q, want one %s line with request_id=req-42", logs.String(), tt.logged)
			}
		})
	}
}

// TestOwnStack: the API answers what its own middleware refuses — a
// panic, a cross-origin state-changing request — as the JSON envelope,
// with the request ID and the security headers, without the HTML face.
func TestOwnStack(t *testing.T) {
	t.Parallel()
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a := New(Options{Log: slog.New(slog.NewTextHandler(&logs, nil)), Catalog: catalog})
	boom := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("secret detail") })
	h := chi.Chain(a.stack.Middleware(a.WriteError)...).Handler(boom)
	cross := httptest.NewRequest(http.MethodPost, "/me/tokens", strings.NewReader("{}"))
	cross.Header.Set("Sec-Fetch-Site", "cross-site")
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		code   string
	}{
		{"panic", httptest.NewRequest(http.MethodGet, "/me", nil), http.StatusInternalServerError, "internal"},
		{"cross-origin", cross, http.StatusForbidden, "forbidden"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, tc.req)
		var env errorEnvelope
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
			t.Fatalf("%s: not the JSON envelope: %v\n%s", tc.name, err, rec.Body)
		}
		if rec.Code != tc.status || env.Error.Code != tc.code || env.Error.RequestID == "" {
			t.Errorf("%s: %d %+v, want %d %s with a request ID", tc.name, rec.Code, env.Error, tc.status, tc.code)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no security headers", tc.name)
		}
		if strings.Contains(rec.Body.String(), "secret") {
			t.Errorf("%s: body leaks the panic", tc.name)
		}
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Errorf("the panic is logged %d times at ERROR, want once:\n%s", n, logs.String())
	}
}

// TestSetPasswordURLIgnoresHost: a set-password link is built on the
// configured base URL, whatever Host or X-Forwarded-Proto the caller
// sends (a poisoned link would hand the secret to another site).
func TestSetPasswordURLIgnoresHost(t *testing.T) {
	t.Parallel()
	a := New(Options{BaseURL: "https://cmcoord.example.org/"})
	r := httptest.NewRequest("POST", "http://evil.example/api/v1/users/7/password-link", nil)
	r.Host = "evil.example"
	r.Header.Set("X-Forwarded-Proto", "https")
	if got, want := a.setPasswordURL(r, "s3cret"), "https://cmcoord.example.org/set-password/s3cret"; got != want {
		t.Fatalf("setPasswordURL = %q, want %q", got, want)
	}
}
