package web_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/internal/web"
	webassets "github.com/cmcoord/cmcoord/web"
)

// newServer returns a test server over real services on pool.
func newServer(t *testing.T, pool *pgxpool.Pool) *httptest.Server {
	t.Helper()
	return newFixtureOn(t, pool).srv
}

type response struct {
	*http.Response
	body string
}

func do(t *testing.T, method, url string, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp, string(b)}
}

func doc(t *testing.T, r response) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func wantStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s %s: status = %d, want %d; body:\n%.500s", r.Request.Method, r.Request.URL.Path, r.StatusCode, want, r.body)
	}
}

func TestPages(t *testing.T) {
	t.Parallel()
	srv := newServer(t, testdb.New(t))

	t.Run("Home", func(t *testing.T) {
		t.Parallel()
		r := do(t, "GET", srv.URL+"/", nil)
		wantStatus(t, r, http.StatusOK)
		d := doc(t, r)
		if got := d.Find("html").AttrOr("lang", ""); got != "en" {
			t.Errorf("html lang = %q, want en", got)
		}
		if got := d.Find("html").AttrOr("dir", ""); got != "ltr" {
			t.Errorf("html dir = %q, want ltr", got)
		}
		if got := d.Find(`[data-testid="page-title"]`).Text(); got != "Civil-military coordination requests" {
			t.Errorf("title = %q", got)
		}
		if n := d.Find(`[data-testid="site-header"] .brand`).Length(); n != 1 {
			t.Errorf("brand links = %d, want 1", n)
		}
		if got := d.Find(`nav a[aria-current="page"]`).Text(); got != "Home" {
			t.Errorf("current nav item = %q, want Home", got)
		}
		css := d.Find(`link[rel="stylesheet"]`).AttrOr("href", "")
		if !regexp.MustCompile(`^/static/css/app\.[0-9a-f]{10}\.css$`).MatchString(css) {
			t.Errorf("stylesheet href = %q, want a content-hashed /static URL", css)
		}
		if d.Find("script").Length() != 0 || d.Find("[style]").Length() != 0 {
			t.Error("page has a <script> or a style attribute; the CSP forbids both")
		}
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", got)
		}
	})

	t.Run("SecurityHeaders", func(t *testing.T) {
		t.Parallel()
		r := do(t, "GET", srv.URL+"/", nil)
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "same-origin",
		} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		csp := r.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("CSP %q allows inline code", csp)
		}
		if got := r.Header.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("HSTS %q sent although TLS is not configured", got)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		r := do(t, "GET", srv.URL+"/no/such/page", nil)
		wantStatus(t, r, http.StatusNotFound)
		d := doc(t, r)
		if got := d.Find(`[data-testid="error-page"]`).AttrOr("data-status", ""); got != "404" {
			t.Errorf("error page status = %q, want 404", got)
		}
		if got := d.Find(`[data-testid="page-title"]`).Text(); got != "Not found" {
			t.Errorf("title = %q, want Not found", got)
		}
		if d.Find(`[data-testid="request-id"]`).Length() != 0 {
			t.Error("a 404 page shows a request ID; only 5xx pages do")
		}
		if d.Find(`[data-testid="site-header"]`).Length() != 1 {
			t.Error("404 page lacks the shell")
		}
	})

	t.Run("MethodNotAllowed", func(t *testing.T) {
		t.Parallel()
		r := do(t, "DELETE", srv.URL+"/", map[string]string{"Sec-Fetch-Site": "same-origin"})
		wantStatus(t, r, http.StatusMethodNotAllowed)
		if doc(t, r).Find(`[data-testid="error-page"]`).Length() != 1 {
			t.Error("405 is not the friendly error page")
		}
	})

	t.Run("Compressed", func(t *testing.T) {
		t.Parallel()
		req, _ := http.NewRequest("GET", srv.URL+"/", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
			t.Fatalf("Content-Encoding = %q, want gzip", got)
		}
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil || !strings.Contains(string(b), "</html>") {
			t.Fatalf("gzip body does not decode to a page (err %v)", err)
		}
	})

	t.Run("Robots", func(t *testing.T) {
		t.Parallel()
		r := do(t, "GET", srv.URL+"/robots.txt", nil)
		wantStatus(t, r, http.StatusOK)
		if !strings.Contains(r.body, "Disallow: /") {
			t.Errorf("robots.txt = %q", r.body)
		}
		r = do(t, "GET", srv.URL+"/favicon.ico", nil)
		wantStatus(t, r, http.StatusMovedPermanently)
		if got := r.Header.Get("Location"); got != webassets.Asset("icon.svg") {
			t.Errorf("favicon redirects to %q", got)
		}
	})
}

func TestStatic(t *testing.T) {
	t.Parallel()
	srv := newServer(t, testdb.New(t))
	url := webassets.Asset("css/app.css")
	r := do(t, "GET", srv.URL+url, nil)
	wantStatus(t, r, http.StatusOK)
	if got := r.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control = %q", got)
	}
	if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/css") {
		t.Errorf("Content-Type = %q, want text/css", got)
	}
	if !strings.Contains(r.body, "--blue: #1F69B3") {
		t.Error("served stylesheet is not app.css")
	}
	etag := r.Header.Get("ETag")
	if r := do(t, "GET", srv.URL+url, map[string]string{"If-None-Match": etag}); r.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET with ETag %s: status %d, want 304", etag, r.StatusCode)
	}
	for _, path := range []string{"/static/css/app.css", "/static/css/app.0000000000.css", "/static/../go.mod"} {
		if r := do(t, "GET", srv.URL+path, nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, r.StatusCode)
		}
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, testdb.New(t))
		wantStatus(t, do(t, "GET", srv.URL+"/healthz", nil), http.StatusOK)
		r := do(t, "GET", srv.URL+"/readyz", nil)
		wantStatus(t, r, http.StatusOK)
		if strings.TrimSpace(r.body) != "ready" {
			t.Errorf("readyz body = %q", r.body)
		}
	})
	t.Run("ErrSchemaBehind", func(t *testing.T) {
		t.Parallel()
		f := newFixtureOn(t, testdb.Pool(t, testdb.EmptyURL(t)))
		wantStatus(t, do(t, "GET", f.srv.URL+"/healthz", nil), http.StatusOK)
		r := do(t, "GET", f.srv.URL+"/readyz", nil)
		wantStatus(t, r, http.StatusServiceUnavailable)
		// Nothing diagnostic for an anonymous caller: the reason is in
		// the log only.
		if strings.TrimSpace(r.body) != "not ready" {
			t.Errorf("readyz body = %q, want only \"not ready\"", r.body)
		}
		if !strings.Contains(f.logs.String(), "behind") {
			t.Errorf("the log does not say why it is not ready: %s", f.logs.String())
		}
	})
}

// TestMetrics: /metrics is served here only behind its bearer token
// (MetricsToken), keyed by route pattern; without a token it is not
// served at all (cmd's TestMetricsAccess walks every configuration).
func TestMetrics(t *testing.T) {
	t.Parallel()
	const token = "metrics-token-0123456789"
	srv := newFixtureOn(t, testdb.New(t), func(o *web.Options) { o.MetricsToken = token }).srv
	do(t, "GET", srv.URL+"/", nil)
	do(t, "GET", srv.URL+"/missing-1", nil)
	do(t, "GET", srv.URL+"/missing-2", nil)
	wantStatus(t, do(t, "GET", srv.URL+"/metrics", nil), http.StatusUnauthorized)
	wantStatus(t, do(t, "GET", srv.URL+"/metrics", map[string]string{"Authorization": "Bearer nope"}), http.StatusUnauthorized)
	r := do(t, "GET", srv.URL+"/metrics", map[string]string{"Authorization": "Bearer " + token})
	wantStatus(t, r, http.StatusOK)
	for _, want := range []string{
		`cmcoord_http_requests_total{code="200",method="GET",route="/"} 1`,
		`cmcoord_http_requests_total{code="404",method="GET",route="unmatched"} 2`,
		`cmcoord_http_requests_total{code="401",method="GET",route="/metrics"} 2`,
		`cmcoord_http_request_duration_seconds_bucket{method="GET",route="/",le="0.05"}`,
		`cmcoord_pgxpool_total_connections`,
		`cmcoord_pgxpool_acquire_total`,
		`go_goroutines`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(r.body, "missing-1") {
		t.Error("/metrics labels carry raw paths; they must use route patterns")
	}
	wantStatus(t, do(t, "GET", newServer(t, testdb.New(t)).URL+"/metrics", map[string]string{"Authorization": "Bearer " + token}),
		http.StatusNotFound)
}

// TestCrossOrigin proves a forged state-changing request is refused with
// 403 before it reaches any handler, while same-origin requests pass.
func TestCrossOrigin(t *testing.T) {
	t.Parallel()
	srv := newServer(t, testdb.New(t))
	tests := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"ErrCrossSiteFetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"ErrForeignOrigin", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"SameOrigin", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusMethodNotAllowed},
		{"NoBrowserHeaders", nil, http.StatusMethodNotAllowed}, // curl, API clients
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := do(t, "POST", srv.URL+"/", tt.header)
			wantStatus(t, r, tt.want)
		})
	}
	r := do(t, "POST", srv.URL+"/", map[string]string{"Sec-Fetch-Site": "cross-site"})
	if got := doc(t, r).Find(`[data-testid="error-page"] p`).Eq(1).Text(); !strings.Contains(got, "another site") {
		t.Errorf("403 page message = %q", got)
	}
}

// TestBadBytes sends text PostgreSQL cannot store (bytes that are not
// UTF-8, NUL) to pages that would pass it on: a form shows itself again
// (422) with the message next to the field, as the API names it; a path
// that names nothing is a 404 page; never a 500.
func TestBadBytes(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustOperation(t, "NPL-EQ", domain.ContextNaturalDisaster)
	admin := f.signIn(t, "admin@example.org")
	tests := []struct {
		name   string
		method string
		path   string
		form   url.Values
		want   int
		field  string // the input whose message the form shows; "" for an error page
	}{
		{"LoginEmailNotUTF8", "POST", "/login", url.Values{"email": {"a\xffb@example.org"}, "password": {"x"}}, http.StatusUnprocessableEntity, "email"},
		{"LoginEmailNUL", "POST", "/login", url.Values{"email": {"a\x00b@example.org"}, "password": {"x"}}, http.StatusUnprocessableEntity, "email"},
		{"LoginPasswordNUL", "POST", "/login", url.Values{"email": {"a@example.org"}, "password": {"x\x00"}}, http.StatusUnprocessableEntity, "password"},
		{"OperationCodeNotUTF8", "GET", "/operations/%FF", nil, http.StatusNotFound, ""},
		{"OperationEditNotUTF8", "GET", "/operations/%FF/edit", nil, http.StatusNotFound, ""},
		{"OrganizationNameNotUTF8", "POST", "/admin/organizations/new", url.Values{"name": {"\xfe\xff"}, "type": {"ngo"}}, http.StatusUnprocessableEntity, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.send(t, admin, tt.method, tt.path, tt.form)
			wantStatus(t, r, tt.want)
			d := doc(t, r)
			if tt.field == "" && d.Find(`[data-testid="error-page"]`).Length() != 1 {
				t.Errorf("%s %s: no error page in the answer", tt.method, tt.path)
			}
			if tt.field != "" && strings.TrimSpace(testid(d, "error-"+tt.field).Text()) == "" {
				t.Errorf("%s %s: no message next to %s", tt.method, tt.path, tt.field)
			}
		})
	}
}
