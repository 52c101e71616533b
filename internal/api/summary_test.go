package api_test

import (
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestSummaryAPI: the summary's figures as JSON, each answer checked
// against openapi.json, for each kind of caller.
func TestSummaryAPI(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	ctx := t.Context()
	for _, title := range []string{"Airlift", "Sealift"} {
		r, _, err := f.reqs.Create(ctx, f.requesterActor, f.op.Code, fx.Request(title, f.clock.Now()), "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.reqs.Transition(ctx, f.requesterActor, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version}); err != nil {
			t.Fatal(err)
		}
	}
	const route, path = "GET /operations/{code}/summary", "/operations/NPL-EQ/summary"
	got := f.checkContract(t, route, req{Path: path, Token: f.viewer}, 200)
	if got["submitted"] != 2.0 || got["operation"] != "NPL-EQ" || got["approval_rate"] != nil || got["median_hours_to_decision"] != nil {
		t.Errorf("summary = %v", got)
	}
	if st, _ := got["by_status"].([]any); len(st) != 1 || st[0].(map[string]any)["code"] != "submitted" || st[0].(map[string]any)["count"] != 2.0 {
		t.Errorf("by_status = %v", got["by_status"])
	}
	if sec, _ := got["by_sector"].([]any); len(sec) != 2 {
		t.Errorf("by_sector = %v", got["by_sector"])
	}
	f.checkContract(t, route, req{Path: path + "?from=2020-01-01&to=2020-01-31", Token: f.officer}, 200)
	f.checkContract(t, route, req{Path: path}, 401)
	f.checkContract(t, route, req{Path: path, Token: f.requester}, 403)
	f.checkContract(t, route, req{Path: path, Token: f.adminToken}, 404) // admin, not a member
	f.checkContract(t, route, req{Path: "/operations/NOPE/summary", Token: f.officer}, 404)
	f.checkContract(t, route, req{Path: path + "?from=2026-02-30", Token: f.officer}, 422)
	f.checkContract(t, route, req{Path: path + "?from=2026-03-01&to=2026-02-01", Token: f.officer}, 422)
}
