package httpface

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5/middleware"
)

// TestClientIP: behind one trusted proxy the client is the address the
// proxy appended to X-Forwarded-For; a request without such an entry, or
// with one that is not an address, is its peer's — never "", which would
// put every such request in one bucket of the per-address limits. With
// no proxy configured the header is ignored.
func TestClientIP(t *testing.T) {
	t.Parallel()
	cases := []struct {
		proxies int
		xff     []string
		want    string
	}{
		{1, []string{"198.51.100.7"}, "198.51.100.7"},
		{1, []string{"203.0.113.9, 198.51.100.7"}, "198.51.100.7"},
		{1, []string{"2001:db8::1"}, "2001:db8::1"},
		{1, nil, "192.0.2.1"},
		{1, []string{"junk"}, "192.0.2.1"},
		{1, []string{""}, "192.0.2.1"},
		{1, []string{"[2001:db8::1]"}, "192.0.2.1"},
		{2, []string{"198.51.100.7"}, "192.0.2.1"}, // fewer entries than proxies
		{0, []string{"198.51.100.7"}, "192.0.2.1"},
	}
	for _, c := range cases {
		var got string
		h := Stack{TrustedProxies: c.proxies}.clientIP()(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			got = middleware.GetClientIP(r.Context())
		}))
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = "192.0.2.1:40000"
		if c.xff != nil {
			r.Header["X-Forwarded-For"] = c.xff
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if got != c.want {
			t.Errorf("%d proxies, X-Forwarded-For %q: client %q, want %q", c.proxies, c.xff, got, c.want)
		}
	}
}
