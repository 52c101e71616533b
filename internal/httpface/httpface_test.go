package httpface_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
)

// TestMuxLogsRoutePatterns: behind the top-level router each face logs
// the route pattern of its own routes — so a path holding a secret is
// logged by pattern, and the API's routes carry their /api/v1 prefix.
func TestMuxLogsRoutePatterns(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	fail := func(w http.ResponseWriter, _ *http.Request, err error) {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }
	web := chi.NewRouter()
	web.Use(httpface.Stack{Log: log, SecretRoutes: []string{"/set-password/{secret}"}}.Middleware(fail)...)
	web.Get("/set-password/{secret}", ok)
	api := chi.NewRouter()
	api.Use(httpface.Stack{Log: log}.Middleware(fail)...)
	api.Get("/requests/{id}", ok)
	h := httpface.Mux(api, web)
	for _, tc := range []struct{ path, logged, hidden string }{
		{"/set-password/s3cr3t", "path=/set-password/{secret}", "s3cr3t"},
		{"/api/v1/requests/7", "route=/api/v1/requests/{id}", ""},
	} {
		logs.Reset()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != http.StatusNoContent {
			t.Fatalf("%s: status %d", tc.path, rec.Code)
		}
		if !strings.Contains(logs.String(), tc.logged) || (tc.hidden != "" && strings.Contains(logs.String(), tc.hidden)) {
			t.Errorf("%s logged as %s", tc.path, logs.String())
		}
	}
}

// TestParseExportQuery walks the export query's parameters: each is read
// into the typed filter, an unknown or repeated one is 400 and an
// unreadable value 422 naming it.
func TestParseExportQuery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		query string
		code  domain.Code
		field string
	}{
		{"", "", ""},
		{"status=submitted,approved&status=tasked&sector=LOG&priority=high&date_field=submitted&from=2026-01-01&to=2026-02-01&hxl=1&public=true&labels=fr,ar", "", ""},
		{"stauts=submitted", domain.CodeMalformed, "stauts"},
		{"sector=LOG&sector=HEA", domain.CodeMalformed, "sector"},
		{"from=yesterday", domain.CodeInvalid, "from"},
		{"to=2026-13-01", domain.CodeInvalid, "to"},
		{"hxl=yes", domain.CodeInvalid, "hxl"},
		{"public=2", domain.CodeInvalid, "public"},
	} {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		f, o, err := httpface.ParseExportQuery(q)
		if domain.ErrorCode(err) != tc.code {
			t.Errorf("%q: err %v, want code %q", tc.query, err, tc.code)
			continue
		}
		var de *domain.Error
		if tc.field != "" && (!errors.As(err, &de) || de.Fields[tc.field] == "") {
			t.Errorf("%q: %v does not name %s", tc.query, err, tc.field)
		}
		if tc.code == "" && tc.query != "" {
			if len(f.Statuses) != 3 || f.Sector != "LOG" || f.Priority != "high" || f.DateField != "submitted" ||
				f.From.IsZero() || f.To.IsZero() || !o.HXLKeys || !o.Public || len(o.Labels) != 2 {
				t.Errorf("%q read as %+v %+v", tc.query, f, o)
			}
		}
	}
}
