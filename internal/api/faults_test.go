package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/api"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// TestReadOnlyDatabase: with the database read-only (a standby, or a
// primary being switched over), reads answer as before — a token's use
// is not a write they need — and writes answer 503 with Retry-After and
// the JSON error, never 500.
func TestReadOnlyDatabase(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	f.call(t, req{Method: "GET", Path: "/me", Token: f.requester}).want(t, http.StatusOK)
	if _, err := f.pool.Exec(t.Context(), `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END $$`); err != nil {
		t.Fatal(err)
	}
	f.pool.Reset()            // new connections see the setting
	f.clock.Advance(2 * 60e9) // a use of the token is due to be written: it cannot be
	f.call(t, req{Method: "GET", Path: "/me", Token: f.requester}).want(t, http.StatusOK)
	f.call(t, req{Method: "GET", Path: "/operations/NPL-EQ/requests", Token: f.requester}).want(t, http.StatusOK)
	r := f.call(t, req{Method: "POST", Path: "/operations/NPL-EQ/requests", Token: f.requester, Body: map[string]any{"title": "During the switch-over"}})
	r.wantError(t, http.StatusServiceUnavailable, "unavailable", nil)
	if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 1 {
		t.Errorf("Retry-After = %q", r.Header.Get("Retry-After"))
	}
}

// TestClientGoneIsNotAFailure: a client that goes away while its request
// waits on the database (here a lock held on the requests table) is
// recorded as 499, not as the server's 500, in the metrics.
func TestClientGoneIsNotAFailure(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	ctx := t.Context()
	testdb.LockTable(t, f.pool, "requests")
	cctx, cancel := context.WithCancel(ctx)
	rq, _ := http.NewRequestWithContext(cctx, http.MethodGet, f.srv.URL+"/api/v1/operations/NPL-EQ/requests", nil)
	rq.Header.Set("Authorization", "Bearer "+f.requester)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(rq)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	scrape := func() string {
		rec := httptest.NewRecorder()
		f.metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		b, _ := io.ReadAll(rec.Body)
		return string(b)
	}
	// The request is in: its connection waits for the lock.
	for !strings.Contains(waitingQueries(t, f.fixture), "requests") {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the cancelled request got an answer")
	}
	var m string
	for m = scrape(); !strings.Contains(m, `code="499"`) && !strings.Contains(m, `code="500"`); m = scrape() {
		if ctx.Err() != nil {
			t.Fatal("the gone client's request was never recorded")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(m, `code="500"`) || !strings.Contains(m, `code="499"`) {
		t.Errorf("a client going away was counted as a 500:\n%s", m)
	}
}

// waitingQueries is the text of the queries waiting on a lock in the
// fixture's database.
func waitingQueries(t testing.TB, f *fixture) string {
	t.Helper()
	var q string
	if err := f.pool.QueryRow(t.Context(), `SELECT coalesce(string_agg(query, ' | '), '') FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&q); err != nil {
		t.Fatal(err)
	}
	return q
}

// TestHungDatabaseIsBounded: a database that stops answering while a
// token is checked (here: the tokens table locked, with no lock_timeout to
// end the wait) holds the call no longer than the request's bound — 504
// with the JSON error — rather than as long as the database hangs.
func TestHungDatabaseIsBounded(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	ctx := t.Context()
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	bounded := api.New(api.Options{Access: f.access, Directory: f.dir, Requests: f.reqs, Reviews: f.reviews, Lifecycle: f.life,
		Catalog: catalog, RequestTimeout: time.Second})
	srv := httptest.NewServer(httpface.Mux(bounded.Routes(), http.NotFoundHandler()))
	defer srv.Close()
	testdb.LockTable(t, f.pool, "api_tokens")
	// A call, and a download (bounded by progress once it flows, by the
	// same wall bound until its first byte).
	for _, path := range []string{"/api/v1/me", "/api/v1/operations/NPL-EQ/exports/requests.csv"} {
		rq, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		rq.Header.Set("Authorization", "Bearer "+f.requester)
		resp, err := http.DefaultClient.Do(rq) // would wait for the lock for ever
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(string(body), `"code":"timeout"`) {
			t.Errorf("%s with a hung token check = %d %s; want 504 with the JSON error", path, resp.StatusCode, body)
		}
	}
}
