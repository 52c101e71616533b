package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestReadOnlyDatabasePage: with the database read-only, pages still
// read, and a form that writes gets the 503 page — what happened, try
// again, the request id — with Retry-After, never a 500.
func TestReadOnlyDatabasePage(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	page := "/requests/" + strconv.FormatInt(w.submitted(t, "Field hospital").ID, 10)
	if _, err := w.pool.Exec(t.Context(), `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END $$`); err != nil {
		t.Fatal(err)
	}
	w.pool.Reset()
	wantStatus(t, w.get(t, w.hct, page), http.StatusOK)
	r := w.post(t, w.hct, page+"/comments", url.Values{"body": {"Is the MoH field hospital not enough?"}})
	wantStatus(t, r, http.StatusServiceUnavailable)
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After on the 503 page")
	}
	if !strings.Contains(r.body, "Temporarily unavailable") || !strings.Contains(r.body, "try again in a few seconds") {
		t.Errorf("the 503 page does not say what happened: %.400s", r.body)
	}
}
