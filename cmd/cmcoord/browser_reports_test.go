package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestBrowserReports: the officer reaches the operation summary from the
// operation page and finds accessible charts (SVG with a title) beside
// tables with the figures, and the export form filled with the period,
// on a desktop and on a 360 px phone; then opens a decided request's
// printable record, which shows the decision's rationale, the closed
// review's votes and the head of the audit chain, and prints without
// the site's navigation.
func TestBrowserReports(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := services(t, srv.DB)
	ctx := t.Context()
	const pw = browserPassword
	actors := ssdOperation(t, svc, map[string]ssdMember{
		"rita@example.org": {orgWFP, domain.RoleRequester}, "omar@example.org": {orgOCHA, domain.RoleOfficer},
		"hana@example.org": {orgNGO, domain.RoleHCTMember}, "hc@example.org": {orgOCHA, domain.RoleHC},
	})
	// A request decided through the services: submitted, reviewed, voted
	// on, closed and approved with a rationale and conditions.
	const (
		comment    = "Roads cut for three weeks; no civilian airlift left."
		rationale  = "Last resort shown: the HCT supports it and no civilian asset can fly."
		conditions = "No armed personnel on board."
	)
	r, _, err := svc.requests.Create(ctx, actors["rita@example.org"], "SSD-CE", fixture.Request("Airstrip repair in Bentiu", time.Now()), "")
	if err != nil {
		t.Fatal(err)
	}
	if r, err = svc.requests.Transition(ctx, actors["rita@example.org"], r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.reviews.Open(ctx, actors["omar@example.org"], r.ID, service.OpenInput{Version: r.Version}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.reviews.Vote(ctx, actors["hana@example.org"], r.ID, service.VoteInput{Value: domain.VoteSupport, Comment: comment}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.reviews.Close(ctx, actors["omar@example.org"], r.ID, r.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.reviews.Decide(ctx, actors["hc@example.org"], r.ID, service.DecisionInput{Version: 1,
		Outcome: domain.StatusApproved, Rationale: rationale, Conditions: conditions}); err != nil {
		t.Fatal(err)
	}

	b := browser.New(t)
	text := func(sel string) string {
		t.Helper()
		return browser.Get(b, chromedp.Text(chromedp.CSS(sel)))
	}
	js := func(expr string) string {
		t.Helper()
		return browser.Get(b, chromedp.Evaluate[string](expr))
	}
	b.Do(
		signIn(srv.URL, "omar@example.org", pw),
	)

	// The operation page links to the summary; the summary's figures and charts.
	b.Do(
		chromedp.Navigate(srv.URL+"/operations/SSD-CE"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="export-link"]`)),
		browser.ClickAndLoad(`[data-testid="summary-link"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="chart-status"]`)),
	)
	if got := text(`[data-testid="page-title"]`); got != "SSD-CE: operation summary" {
		t.Errorf("the summary link opened %q", got)
	}
	for id, want := range map[string]string{"submitted": "1", "decided": "1"} {
		if got := text(`[data-testid="figure-` + id + `"] dd strong`); got != want {
			t.Errorf("figure %s = %q, want %s", id, got, want)
		}
	}
	if got := js(`document.querySelector('[data-testid="chart-status"] svg[role="img"] > title').textContent`); got != "Requests by status" {
		t.Errorf("status chart title = %q", got)
	}
	if got := js(`document.querySelector('[data-testid="chart-status"] svg desc').textContent`); got != "Bar chart. Requests by status: Approved: 1." {
		t.Errorf("status chart description = %q", got)
	}
	if got := js(`[...document.querySelectorAll('[data-testid="chart-status"] table tbody tr')].map(tr => tr.innerText.replace(/\s+/g, ' ').trim()).join('|')`); got != "Approved 1" {
		t.Errorf("status table rows = %q, want Approved 1", got)
	}
	if got := js(`[...document.querySelectorAll('[data-testid="chart-sector"] table tbody th')].map(th => th.textContent).join('|')`); !strings.Contains(got, "Logistics") {
		t.Errorf("sector table rows = %q", got)
	}
	period := text(`[data-testid="summary-period-text"]`)
	from := js(`document.querySelector('#export-from').value`)
	// The period is written in words ("4 Sep 2026"), the form's dates are ISO.
	fromDate, err := time.Parse(time.DateOnly, from)
	if err != nil || !strings.Contains(period, fromDate.Format("2 Jan 2006")) || js(`document.querySelector('#export-to').value`) != time.Now().UTC().Format(time.DateOnly) {
		t.Errorf("export dates %q to %q, period %q", from, js(`document.querySelector('#export-to').value`), period)
	}
	if got := js(`document.querySelector('[data-testid="export-xlsx"]').formAction`); got != srv.URL+"/operations/SSD-CE/exports/requests.xlsx" {
		t.Errorf("the XLSX button submits to %q", got)
	}
	b.SaveArtifacts("summary")

	// The export link lands on the form; the page fits a 360 px phone.
	b.SetViewport(browser.Phone)
	b.Do(
		chromedp.Navigate(srv.URL+"/operations/SSD-CE"),
		chromedp.Click(chromedp.CSS(`[data-testid="export-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="export-form"]`)),
	)
	if got := js(`location.pathname + location.hash`); got != "/operations/SSD-CE/summary#export" {
		t.Errorf("the export link opened %q", got)
	}
	if browser.Get(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)) {
		t.Errorf("the summary scrolls sideways at %d px", browser.Phone.Width)
	}
	if w := browser.Get(b, chromedp.Evaluate[float64](`document.querySelector('[data-testid="chart-status"] svg').getBoundingClientRect().width`)); w <= 0 || w > float64(browser.Phone.Width) {
		t.Errorf("the status chart is %v px wide on a phone", w)
	}
	b.SaveArtifacts("summary-phone")

	// The request page links to its record: rationale, votes, chain head.
	b.SetViewport(browser.Desktop)
	b.Do(
		chromedp.Navigate(srv.URL+"/requests/"+strconv.FormatInt(r.ID, 10)),
		browser.ClickAndLoad(`[data-testid="record-link"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="record-head"]`)),
	)
	if got := js(`location.pathname`); got != "/requests/"+strconv.FormatInt(r.ID, 10)+"/record" {
		t.Errorf("the record link opened %q", got)
	}
	if got := text(`[data-testid="decision"]`); !strings.Contains(got, "Approved") || !strings.Contains(got, rationale) || !strings.Contains(got, conditions) {
		t.Errorf("decision = %q", got)
	}
	if got := text(`[data-testid="votes"] tbody`); !strings.Contains(got, "Relief NGO") || !strings.Contains(got, "Support") || !strings.Contains(got, comment) {
		t.Errorf("votes = %q", got)
	}
	head := text(`[data-testid="head-hash"] code`)
	last := js(`[...document.querySelectorAll('[data-testid="hash"]')].pop().textContent`)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(head) || head != last {
		t.Errorf("chain head %q, last event's hash %q", head, last)
	}
	b.SaveArtifacts("record")

	// Printed: no site navigation, the decision still there.
	b.Do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		return t.Call(ctx, "Emulation.setEmulatedMedia", map[string]string{"media": "print"}, nil)
	}))
	if got := js(`getComputedStyle(document.querySelector('.site-header')).display`); got != "none" {
		t.Errorf("printed, the site header's display is %q", got)
	}
	if got := js(`getComputedStyle(document.querySelector('[data-testid="decision"]')).display`); got == "none" {
		t.Error("printed, the decision is hidden")
	}
	b.SaveArtifacts("record-print")
	b.NoConsoleErrors()
}
