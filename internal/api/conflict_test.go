package api_test

import (
	"fmt"
	"net/http"
	"testing"
)

// TestRequests_StalePatch: a PATCH based on a version someone has since
// saved over is 409 with the current version and, per field the other
// change touched, its value now and the value this PATCH would have given
// it; nothing is saved. Sent again with the current version, it is
// accepted. A stale PATCH that would change nothing (a retry of a save
// that went through) is answered with the request as it is.
func TestRequests_StalePatch(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	r := f.mustCreate(t, f.requester, completeBody("Airlift"))
	path := fmt.Sprintf("/requests/%d", r.ID)
	patch := func(body map[string]any) response {
		return f.call(t, req{Method: "PATCH", Path: path, Token: f.requester, Body: body})
	}
	theirs := decode[requestJSON](t, patch(map[string]any{"version": r.Version, "title": "Airlift, theirs",
		"poc": map[string]any{"phone": "+977 1 555 0199"}}).want(t, http.StatusOK))
	if theirs.Version != r.Version+1 {
		t.Fatalf("a saved edit left the version at %d, want %d", theirs.Version, r.Version+1)
	}

	e := patch(map[string]any{"version": r.Version, "title": "Airlift, mine", "need": "Mine too."}).
		wantError(t, http.StatusConflict, "conflict", nil)
	if e.Error.MessageID != "request.edited_meanwhile" || e.Error.Conflict == nil || e.Error.Conflict.Version != theirs.Version {
		t.Fatalf("error = %+v, want request.edited_meanwhile with conflict.version %d", e.Error, theirs.Version)
	}
	got := map[string][2]any{}
	for _, c := range e.Error.Conflict.Changes {
		got[c.Field] = [2]any{c.Now, c.Yours}
	}
	want := map[string][2]any{
		"title":     {"Airlift, theirs", "Airlift, mine"},
		"poc.phone": {"+977 1 555 0199", "+977 1 555 0199"}, // not in this PATCH: it keeps theirs
	}
	if len(got) != len(want) {
		t.Errorf("changes = %v, want %v", got, want)
	}
	for field, w := range want {
		if got[field] != w {
			t.Errorf("change of %s = %v, want now/yours %v", field, got[field], w)
		}
	}
	now := decode[requestJSON](t, f.call(t, req{Method: "GET", Path: path, Token: f.requester}).want(t, http.StatusOK))
	if now.Title != "Airlift, theirs" || now.Need == "Mine too." || now.Version != theirs.Version {
		t.Fatalf("the refused PATCH changed the request: %q %q v%d", now.Title, now.Need, now.Version)
	}

	// A retry of the save that went through changes nothing: answered as is.
	same := decode[requestJSON](t, patch(map[string]any{"version": r.Version, "title": "Airlift, theirs"}).want(t, http.StatusOK))
	if same.Version != theirs.Version {
		t.Errorf("a repeated save moved the version to %d", same.Version)
	}
	// Re-applied on the current version: accepted.
	mine := decode[requestJSON](t, patch(map[string]any{"version": e.Error.Conflict.Version, "title": "Airlift, mine"}).want(t, http.StatusOK))
	if mine.Title != "Airlift, mine" || mine.Version != theirs.Version+1 {
		t.Errorf("re-applied: %q v%d", mine.Title, mine.Version)
	}
}
