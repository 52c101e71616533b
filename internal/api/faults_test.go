package api_test

import (
	"net/http"
	"strconv"
	"testing"
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
