package main

import (
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// metricsToken is the -metrics-token of the tests.
const metricsToken = "scraper-secret-0123456789"

// scrape GETs url with the Authorization header auth ("" for none) and
// returns the status and body.
func scrape(t *testing.T, url, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// metricsURLIn finds the metrics URL a server printed.
var metricsURLIn = regexp.MustCompile(`Metrics: (http://\S+/metrics)`)

// TestMetricsAccess: nothing diagnostic for anonymous callers. Without
// configuration /metrics is served nowhere; with -metrics-token only to
// who sends it; with -metrics-addr only on that listener (which also
// wants the token when one is set), never on the main one. A refusal
// says nothing but its status.
func TestMetricsAccess(t *testing.T) {
	t.Parallel()
	wrong := []string{"", "Bearer", "Bearer ", "Bearer wrong-token-0123456789", "Bearer " + metricsToken + "x",
		"Bearer " + metricsToken[:len(metricsToken)-1], "Basic " + metricsToken, "bearer " + metricsToken, metricsToken}
	right := "Bearer " + metricsToken
	wantMetrics := func(t *testing.T, url string) {
		t.Helper()
		code, body := scrape(t, url, right)
		if code != http.StatusOK || !strings.Contains(body, "cmcoord_http_requests_total") || !strings.Contains(body, "go_goroutines") {
			t.Fatalf("GET %s with the token: %d\n%.300s", url, code, body)
		}
	}
	wantRefused := func(t *testing.T, url string, want int) {
		t.Helper()
		for _, auth := range wrong {
			code, body := scrape(t, url, auth)
			if code != want {
				t.Errorf("GET %s with Authorization %q: %d, want %d", url, auth, code, want)
			}
			if strings.Contains(body, "cmcoord_http_requests_total") || strings.Contains(body, "go_goroutines") {
				t.Errorf("GET %s with Authorization %q shows metrics: %.200s", url, auth, body)
			}
		}
	}

	t.Run("Off", func(t *testing.T) {
		t.Parallel()
		s := startServer(t)
		wantRefused(t, s.URL+"/metrics", http.StatusNotFound)
		if code, _ := scrape(t, s.URL+"/metrics", right); code != http.StatusNotFound {
			t.Errorf("GET /metrics with a token nobody configured: %d, want 404", code)
		}
		if !strings.Contains(s.Out.String(), "Metrics: off") {
			t.Errorf("serve does not say metrics are off:\n%s", s.Out.String())
		}
	})
	t.Run("Token", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, "-metrics-token", metricsToken)
		wantRefused(t, s.URL+"/metrics", http.StatusUnauthorized)
		wantMetrics(t, s.URL+"/metrics")
		if !strings.Contains(s.Out.String(), "Metrics: "+s.URL+"/metrics") {
			t.Errorf("serve does not say where the metrics are:\n%s", s.Out.String())
		}
		if strings.Contains(s.Out.String(), metricsToken) {
			t.Error("serve prints the metrics token")
		}
	})
	for _, tt := range []struct {
		name  string
		args  []string
		token bool
	}{
		{"Addr", []string{"-metrics-addr", "127.0.0.1:0"}, false},
		{"AddrAndToken", []string{"-metrics-addr", "127.0.0.1:0", "-metrics-token", metricsToken}, true},
		{"AddrTokenAndProfiler", []string{"-metrics-addr", "127.0.0.1:0", "-metrics-token", metricsToken, "-pprof"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, tt.args...)
			m := metricsURLIn.FindStringSubmatch(s.Out.String())
			if m == nil || strings.HasPrefix(m[1], s.URL) {
				t.Fatalf("serve does not print a metrics address of its own:\n%s", s.Out.String())
			}
			metricsURL := m[1]
			// The main listener answers as if there were no metrics at all.
			wantRefused(t, s.URL+"/metrics", http.StatusNotFound)
			if code, _ := scrape(t, s.URL+"/metrics", right); code != http.StatusNotFound {
				t.Errorf("main listener /metrics with the token: %d, want 404", code)
			}
			if tt.token {
				wantRefused(t, metricsURL, http.StatusUnauthorized)
			} else if code, _ := scrape(t, metricsURL, ""); code != http.StatusOK {
				t.Errorf("GET %s: %d, want 200", metricsURL, code)
			}
			wantMetrics(t, metricsURL)
			// The metrics listener serves nothing else, but the profiler
			// when asked for, behind the same token; the main listener never.
			base := strings.TrimSuffix(metricsURL, "/metrics")
			profiling := slices.Contains(tt.args, "-pprof")
			if code, _ := scrape(t, base+"/debug/pprof/", right); (code == http.StatusOK) != profiling {
				t.Errorf("metrics listener GET /debug/pprof/ with -pprof %v: %d", profiling, code)
			}
			if code, _ := scrape(t, s.URL+"/debug/pprof/", right); code != http.StatusNotFound {
				t.Errorf("main listener GET /debug/pprof/: %d, want 404", code)
			}
			if profiling {
				wantRefused(t, base+"/debug/pprof/", http.StatusUnauthorized)
			}
			for _, p := range []string{"/", "/healthz", "/login", "/api/v1/me"} {
				if code, _ := scrape(t, base+p, right); code != http.StatusNotFound {
					t.Errorf("metrics listener GET %s: %d, want 404", p, code)
				}
			}
		})
	}
}
