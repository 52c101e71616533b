package main

import (
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

// TestBrowserLifecycle: the officer takes an approved request from
// consent to hand-over on a phone, with a declined tasking re-tasked; an
// HRDDP-triggered request cannot enter review until the HRDDP reviewer
// records the assessment.
func TestBrowserLifecycle(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := services(t, srv.DB)
	ctx := t.Context()
	const pw = browserPassword
	actors := ssdOperation(t, svc, map[string]ssdMember{
		"rita@example.org": {orgWFP, domain.RoleRequester}, "omar@example.org": {orgOCHA, domain.RoleOfficer},
		"hana@example.org": {orgNGO, domain.RoleHCTMember}, "hc@example.org": {orgOCHA, domain.RoleHC},
		"hugo@example.org": {orgOCHA, domain.RoleHRDDPReviewer},
	})
	submit := func(req domain.Request) domain.Request {
		t.Helper()
		r, _, err := svc.requests.Create(ctx, actors["rita@example.org"], "SSD-CE", req, "")
		if err != nil {
			t.Fatal(err)
		}
		if r, err = svc.requests.Transition(ctx, actors["rita@example.org"], r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 1}); err != nil {
			t.Fatal(err)
		}
		return r
	}
	// An approved request, through the services.
	r := submit(fixture.Request("Airstrip repair in Bentiu", time.Now()))
	if _, err := svc.reviews.Open(ctx, actors["omar@example.org"], r.ID, service.OpenInput{Version: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.reviews.Vote(ctx, actors["hana@example.org"], r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.reviews.Close(ctx, actors["omar@example.org"], r.ID, r.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.reviews.Decide(ctx, actors["hc@example.org"], r.ID, service.DecisionInput{Version: 1, Outcome: domain.StatusApproved, Rationale: "Passed."}); err != nil {
		t.Fatal(err)
	}
	// An armed escort paid in fuel by a UN entity: HRDDP required.
	esc := fixture.Request("Armed escort to Pibor", time.Now())
	esc.Checklist["LR19"] = domain.Answer{Value: "yes"}
	esc.Escort = domain.Escort{NeedCriticality: "Only route", ResponsibleAuthority: "Police absent", SecurityAssessment: "UNDSS SRA 7",
		DiscontinuationPlan: "Stop when safe", CommonPositionConsulted: true, Compensation: "fuel"}
	escort := submit(esc)

	b := browser.New(t)
	b.SetViewport(browser.Phone)
	signIn := func(email string) {
		t.Helper()
		b.Do(
			signIn(srv.URL, email, pw),
		)
	}
	text := func(sel string) string {
		t.Helper()
		return browser.Get(b, chromedp.Text(chromedp.CSS(sel)))
	}
	page := srv.URL + "/requests/" + strconv.FormatInt(r.ID, 10)
	today := time.Now().UTC().Format(time.DateOnly)
	// A step with its own form (step-…) or one of the rulebook's generic
	// steps (action-…).
	open := func(step string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`[data-testid="step-` + step + `"] summary, [data-testid="action-` + step + `"] summary`))
	}

	signIn("omar@example.org")
	b.Do(chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`[data-testid="lifecycle"]`)))
	if n := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="tasking-form"]').length`)); n != 0 {
		t.Error("tasking is offered before consent")
	}
	b.Do(
		open("consent"),
		chromedp.SetValue(chromedp.CSS(`#consent-status`), "consented"),
		chromedp.SendKeys(chromedp.CSS(`#consent-authority`), "Relief and Rehabilitation Commission"),
		chromedp.SetValue(chromedp.CSS(`#consent-date`), today),
		chromedp.SendKeys(chromedp.CSS(`#consent-reference`), "RRC/2026/19"),
		browser.ClickAndLoad(`[data-testid="do-consent"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="consent"]`)),
	)
	task := func(iso3, unit string) {
		t.Helper()
		b.Do(
			open("tasking"),
			chromedp.SendKeys(chromedp.CSS(`#tasking-provider_iso3`), iso3),
			chromedp.SendKeys(chromedp.CSS(`#tasking-unit`), unit),
			chromedp.SendKeys(chromedp.CSS(`#tasking-asset_type`), "Engineering company"),
			chromedp.SendKeys(chromedp.CSS(`#tasking-asset_count`), "1"),
			browser.ClickAndLoad(`[data-testid="do-tasking"]`),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="taskings"]`)),
		)
	}
	task("KEN", "Kenya Defence Forces engineers")
	b.Do(
		open("decline"),
		chromedp.SendKeys(chromedp.CSS(`#decline-reason`), "The unit was redeployed."),
		browser.ClickAndLoad(`[data-testid="do-decline"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	)
	task("RWA", "Rwanda Defence Force engineers")
	if got := text(`[data-testid="taskings"]`); !strings.Contains(got, "redeployed") || !strings.Contains(got, "RWA") {
		t.Errorf("taskings = %q, want the declined one with its reason and the new one", got)
	}
	b.Do(open("execution"), browser.ClickAndLoad(`[data-testid="do-execution"]`), chromedp.WaitVisible(chromedp.CSS(`[data-testid="step-report"]`)))
	b.Do(
		open("report"),
		chromedp.SetValue(chromedp.CSS(`#report-date`), today),
		chromedp.SendKeys(chromedp.CSS(`#report-sorties`), "12"),
		chromedp.SendKeys(chromedp.CSS(`#report-tonnes`), "40.5"),
		browser.ClickAndLoad(`[data-testid="do-report"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="report-totals"]`)),
	)
	if got := text(`[data-testid="report-totals"]`); !strings.Contains(got, "40.5") {
		t.Errorf("totals = %q", got)
	}
	b.Do(open("completion"), browser.ClickAndLoad(`[data-testid="do-completion"]`), chromedp.WaitVisible(chromedp.CSS(`[data-testid="step-handover"]`)))
	b.Do(
		open("handover"),
		chromedp.SetValue(chromedp.CSS(`#handover-date`), today),
		browser.ClickAndLoad(`[data-testid="do-handover"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="handover"]`)),
	)
	if got := text(`[data-testid="status"]`); !strings.HasPrefix(got, "Handed over") {
		t.Errorf("status = %q, want handed over", got)
	}
	if browser.Get(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)) {
		t.Errorf("the request page scrolls sideways at %d px", browser.Phone.Width)
	}
	b.SaveArtifacts("handed-over-phone")

	// The escort request: no review before the HRDDP assessment.
	escortPage := srv.URL + "/requests/" + strconv.FormatInt(escort.ID, 10)
	// The control is not offered; the page says why in its place.
	b.Do(
		chromedp.Navigate(escortPage),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="review-blocked"]`)),
	)
	if got := text(`[data-testid="review-blocked"]`); !strings.Contains(got, "Human Rights Due Diligence") {
		t.Errorf("before the assessment the review panel says %q", got)
	}
	if n := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="review-open"]').length`)); n != 0 {
		t.Error("opening the review is offered before the assessment")
	}
	b.Do(browser.ClickAndLoad(`[data-testid="signout"]`), chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)))

	signIn("hugo@example.org")
	if got := text(`[data-testid="queue-awaiting_hrddp"]`); !strings.Contains(got, escort.Reference) {
		t.Errorf("awaiting HRDDP = %q", got)
	}
	b.Do(chromedp.Navigate(escortPage+"/hrddp"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="assessment-form"]`)))
	fields := map[string]string{"receiving_entity": "SSPDF 3rd Division", "support_description": "Fuel for escort vehicles",
		"grave_violations": "OHCHR 2025: none attributed to this unit", "accountability": "Military justice cases opened in 2025",
		"benefits_and_risks": "Food reaches 40,000 people", "mitigation": "Fuel handed over at checkpoints only",
		"monitoring_plan": "Monthly review with the mission's human rights section", "intervention_process": "Suspend on any credible allegation"}
	for name, val := range fields {
		b.Do(chromedp.SetValue(chromedp.CSS(`[name="`+name+`"]`), val))
	}
	b.Do(
		chromedp.SetValue(chromedp.CSS(`[name="support_category"]`), "logistical"),
		chromedp.SetValue(chromedp.CSS(`[name="risk_level"]`), "medium"),
		chromedp.SetValue(chromedp.CSS(`[name="outcome"]`), "support_with_mitigation"),
		browser.ClickAndLoad(`[data-testid="assessment-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	)
	b.Do(browser.ClickAndLoad(`[data-testid="signout"]`), chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)))

	signIn("omar@example.org")
	b.Do(
		chromedp.Navigate(escortPage),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="review-open"]`)),
		browser.ClickAndLoad(`[data-testid="review-open-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="turnout"]`)),
	)
	if got := text(`[data-testid="status"]`); !strings.HasPrefix(got, "Under HCT review") && !strings.Contains(got, "review") {
		t.Errorf("status after opening = %q", got)
	}
	b.NoConsoleErrors()
}
