package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/internal/web"
)

// TestReadOnlyDatabasePage: with the database read-only, pages still
// read, and a form that writes gets the 503 page — what happened, try
// again, the request id — with Retry-After, never a 500.
func TestReadOnlyDatabasePage(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	page := "/requests/" + strconv.FormatInt(w.submitted(t, "Field hospital").ID, 10)
	// A step done just before: its flash waits in the session for the next
	// page, which an error page must neither show nor use up.
	wantStatus(t, w.post(t, w.hct, page+"/comments", url.Values{"body": {"Before the switch-over."}}), http.StatusSeeOther)
	if _, err := w.pool.Exec(t.Context(), `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END $$`); err != nil {
		t.Fatal(err)
	}
	w.pool.Reset()
	r := w.post(t, w.hct, page+"/comments", url.Values{"body": {"Is the MoH field hospital not enough?"}})
	wantStatus(t, r, http.StatusServiceUnavailable)
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After on the 503 page")
	}
	if !strings.Contains(r.body, "Temporarily unavailable") || !strings.Contains(r.body, "try again in a few seconds") {
		t.Errorf("the 503 page does not say what happened: %.400s", r.body)
	}
	if strings.Contains(r.body, `data-testid="flash"`) {
		t.Errorf("the 503 page shows an earlier step's flash: %.2000s", r.body)
	}
	// Reads answer; the flash is still there for the next page.
	r = w.get(t, w.hct, page)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.body, `data-testid="flash"`) {
		t.Errorf("the earlier step's flash was used up by the error page: %.2000s", r.body)
	}
}

// TestSessionStoreFailurePage: a session that cannot load is the error
// page with its request id — 503 with Retry-After when the database cannot
// serve in time (a lock held on the sessions table past lock_timeout), the
// generic error page when the store is broken — never a bare "Internal
// Server Error".
func TestSessionStoreFailurePage(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	ctx := t.Context()
	page := "/requests/" + strconv.FormatInt(w.submitted(t, "Field hospital").ID, 10)
	wantStatus(t, w.get(t, w.hct, page), http.StatusOK) // signed in: the session exists

	if _, err := w.pool.Exec(ctx, `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET lock_timeout = ''200ms''', current_database()); END $$`); err != nil {
		t.Fatal(err)
	}
	w.pool.Reset()
	release := testdb.LockTable(t, w.pool, "sessions")
	r := w.get(t, w.hct, page)
	release()
	wantStatus(t, r, http.StatusServiceUnavailable)
	if r.Header.Get("Retry-After") == "" || !strings.Contains(r.body, `data-testid="error-page"`) || !strings.Contains(r.body, `data-testid="request-id"`) {
		t.Errorf("a session that cannot load in time: Retry-After %q, page %.600s", r.Header.Get("Retry-After"), r.body)
	}

	if _, err := w.pool.Exec(ctx, `ALTER TABLE sessions RENAME TO sessions_gone`); err != nil {
		t.Fatal(err)
	}
	r = w.get(t, w.hct, page)
	wantStatus(t, r, http.StatusInternalServerError)
	if !strings.Contains(r.body, `data-testid="error-page"`) || !strings.Contains(r.body, `data-testid="request-id"`) {
		t.Errorf("a broken session store: want the error page with a request id, got %.600s", r.body)
	}
}

// TestHungDatabaseIsBounded: a database that stops answering (here: the
// sessions table locked, with no lock_timeout to end the wait) holds a
// page no longer than the request's bound — the timeout page with its
// request id — rather than as long as the database hangs.
func TestHungDatabaseIsBounded(t *testing.T) {
	t.Parallel()
	w := newRequestWorldOn(t, newFixtureOn(t, testdb.New(t), func(o *web.Options) { o.RequestTimeout = time.Second }))
	page := "/requests/" + strconv.FormatInt(w.submitted(t, "Field hospital").ID, 10)
	wantStatus(t, w.get(t, w.hct, page), http.StatusOK)
	testdb.LockTable(t, w.pool, "sessions")
	r := w.get(t, w.hct, page) // would wait for the lock for ever
	wantStatus(t, r, http.StatusGatewayTimeout)
	if !strings.Contains(r.body, `data-testid="error-page"`) || !strings.Contains(r.body, `data-testid="request-id"`) {
		t.Errorf("a hung session load: want the error page with a request id, got %.600s", r.body)
	}
}
