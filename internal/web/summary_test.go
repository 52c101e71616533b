package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestSummaryPage: the summary renders its figures and each chart as an
// accessible inline SVG (title, desc, text labels) beside a table with
// the same numbers; only the roles allowed see it.
func TestSummaryPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	ctx := t.Context()
	op := f.mustOperation(t, "NPL-EQ", domain.ContextNaturalDisaster)
	ngo := f.mustOrg(t, "Relief NGO", domain.OrgINGO)
	requester := f.mustUser(t, "rita@example.org", ngo.ID)
	f.mustMember(t, op.Code, requester, domain.RoleRequester)
	viewer := f.mustUser(t, "vera@example.org", 0)
	f.mustMember(t, op.Code, viewer, domain.RoleViewer)

	ra := f.mustActor(t, requester)
	r, _, err := f.reqs.Create(ctx, ra, op.Code, fx.Request("Airlift", f.clock.Now()), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.reqs.Transition(ctx, ra, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version}); err != nil {
		t.Fatal(err)
	}

	const path = "/operations/NPL-EQ/summary"
	c := f.signIn(t, "vera@example.org")
	res := f.get(t, c, path)
	wantStatus(t, res, http.StatusOK)
	d := doc(t, res)
	if got := d.Find(`[data-testid="figure-submitted"] dd strong`).Text(); got != "1" {
		t.Errorf("submitted = %q, want 1", got)
	}
	status := d.Find(`[data-testid="chart-status"]`)
	svg := status.Find(`svg[role="img"]`)
	if svg.Length() != 1 || svg.Find("title").Text() != "Requests by status" ||
		svg.Find("desc").Text() != "Bar chart. Requests by status: Submitted: 1." {
		t.Errorf("status chart svg: title %q desc %q", svg.Find("title").Text(), svg.Find("desc").Text())
	}
	if svg.Find("text.bar-label").Text() != "Submitted" || svg.Find("rect.bar").Length() != 1 {
		t.Errorf("status chart bars: %q", svg.Find("text").Text())
	}
	if row := status.Find("table tbody tr"); row.Length() != 1 || row.Find("th").Text() != "Submitted" || row.Find("td").Text() != "1" {
		t.Errorf("status table: %q", row.Text())
	}
	if got := d.Find(`[data-testid="chart-sector"] table tbody tr`).Length(); got != 2 {
		t.Errorf("sector rows = %d, want 2", got)
	}
	if d.Find(`script:not([src^="/static/js/offline."][defer])`).Length() != 0 {
		t.Error("the summary page has a script (besides the deferred offline one, which the chart does not need)")
	}

	// A bad date shows the default period with the problem at the form.
	res = f.get(t, c, path+"?from=2026-02-30")
	wantStatus(t, res, http.StatusOK)
	if d := doc(t, res); d.Find(`[data-testid="figure-submitted"] dd strong`).Text() != "1" ||
		!strings.Contains(d.Find("main").Text(), "Enter a date as YYYY-MM-DD") {
		t.Errorf("bad date page: %.600s", res.body)
	}

	// Who may see it.
	wantStatus(t, f.get(t, f.client(t), path), http.StatusSeeOther)
	wantStatus(t, f.get(t, f.signIn(t, "rita@example.org"), path), http.StatusForbidden)
	wantStatus(t, f.get(t, f.signIn(t, "admin@example.org"), path), http.StatusNotFound)
	wantStatus(t, f.get(t, c, "/operations/NOPE/summary"), http.StatusNotFound)
}
