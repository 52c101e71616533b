package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
)

// TestBrowserRequestFlow drives the heart of cmcoord in Chromium on a
// 360 px phone: a requester fills the one-page form, is told at the items
// what stops submission, completes it and submits; the CMCoord officer
// finds it in the screening queue and returns it with a reason; the
// requester sees it in "returned to me" with the reason on the form.
func TestBrowserRequestFlow(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := services(t, srv.DB)
	ctx := t.Context()
	const pw = "violet kettle harbour at dawn"
	root, err := svc.directory.CreateAdmin(ctx, "admin@example.org", "Ada Admin", pw, domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatal(err)
	}
	by, err := svc.access.Actor(ctx, root.ID, root.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.directory.CreateOperation(ctx, by, domain.Operation{Code: "NPL-EQ", Name: "Nepal earthquake",
		CountryISO3: "NPL", Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48}); err != nil {
		t.Fatal(err)
	}
	wfp, err := svc.directory.CreateOrganization(ctx, by, domain.Organization{Name: "World Food Programme", Acronym: "WFP", Type: domain.OrgUNAgency, UNEntity: true})
	if err != nil {
		t.Fatal(err)
	}
	for email, role := range map[string]domain.Role{"rita@example.org": domain.RoleRequester, "omar@example.org": domain.RoleOfficer} {
		org := root.OrganizationID
		if role == domain.RoleRequester {
			org = wfp.ID
		}
		u, _, err := svc.directory.CreateUser(ctx, by, service.NewUser{User: domain.User{Email: email, Name: strings.Split(email, "@")[0],
			OrganizationID: org, Language: "en"}, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.directory.SetMember(ctx, by, "NPL-EQ", u.ID, domain.RoleSet{role}); err != nil {
			t.Fatal(err)
		}
	}

	b := browser.New(t)
	b.SetViewport(browser.Phone)
	noSideways := func(page string) {
		t.Helper()
		if browser.Get(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)) {
			t.Errorf("%s scrolls sideways at %d px", page, browser.Phone.Width)
		}
	}
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
	byName := func(name string) chromedp.CSS { return chromedp.CSS(`[name="` + name + `"]`) }

	// The requester starts a request from the operation's list.
	signIn("rita@example.org")
	b.Do(
		chromedp.Navigate(srv.URL+"/operations/NPL-EQ/requests"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="no-requests"]`)),
		browser.ClickAndLoad(`[data-testid="new-request"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="request-form"]`)),
		chromedp.SendKeys(byName("title"), "Airlift of shelter kits to Upper Rasuwa"),
		chromedp.SendKeys(byName("need"), "4,000 families without shelter above 3,000 m; snow expected within 10 days."),
	)
	noSideways("the request form")
	// Help for a criterion is one tap away.
	b.Do(chromedp.Click(chromedp.CSS(`[data-testid="item-LR2"] details.help summary`)))
	if got := text(`[data-testid="item-LR2"] details.help`); !strings.Contains(got, "Oslo Guidelines") {
		t.Errorf("LR2 help = %q, want its source", got)
	}
	// Save a draft, come back to it, answer that the asset is not unique
	// (a hard gate) and try to submit.
	b.Do(
		browser.ClickAndLoad(`[data-testid="save-draft"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="edit-request"]`)),
	)
	if got := text(`[data-testid="flash"]`); !strings.Contains(got, "saved") {
		t.Errorf("flash after saving the draft = %q", got)
	}
	b.Do(
		browser.ClickAndLoad(`[data-testid="edit-request"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="request-form"]`)),
		chromedp.Click(chromedp.CSS(`[id="checklist.LR3-no"]`)),
		browser.ClickAndLoad(`[data-testid="save-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-summary"]`)),
	)
	if got := text(`[data-testid="error-summary"]`); !strings.Contains(got, "No civilian alternative") || !strings.Contains(got, "Unique capability") {
		t.Errorf("error summary = %q, want the failing checklist items", got)
	}
	if got := text(`[data-testid="error-checklist.LR3"]`); !strings.Contains(got, "Blocks submission") {
		t.Errorf("LR3 says %q, want it blocking, at the item", got)
	}
	if got := browser.Get(b, chromedp.Evaluate[string](`document.activeElement.dataset.testid || ""`)); got != "error-summary" {
		t.Errorf("focus is on %q, want the error summary", got)
	}
	if got := browser.Get(b, chromedp.Value(byName("title"))); got != "Airlift of shelter kits to Upper Rasuwa" {
		t.Errorf("title after the refused submission = %q (nothing typed may be lost)", got)
	}
	b.SaveArtifacts("request-form-refused-phone")

	// Complete it: every field a phone user fills, then submit.
	fields := completeRequestFields(time.Now().UTC().Add(5 * 24 * time.Hour))
	fields["capability"] = "Heavy-lift helicopter with under-slung load."
	for name, val := range fields {
		// SetValue suits date inputs, whose typing differs by locale.
		b.Do(chromedp.SetValue(byName(name), val))
	}
	b.Do(
		chromedp.SetValue(byName("task_category"), "air_rotary"),
		chromedp.SetValue(byName("support_type"), "indirect"),
		chromedp.SetValue(byName("priority"), "life_sustaining"),
		chromedp.SetValue(byName("civilian.unhas.result"), "not_available"),
		chromedp.Click(chromedp.CSS(`#sector-SHL`)),
	)
	// LR3 is fixed: the capability is unique after all.
	for id, val := range completeChecklist {
		b.Do(chromedp.Click(chromedp.CSS(`[id="checklist.` + id + `-` + val + `"]`)))
	}
	b.Do(chromedp.SetValue(byName("checklist.LR4.note"), "UNHAS next free slot in three weeks; snow in ten days."))
	b.Do(
		browser.ClickAndLoad(`[data-testid="save-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="timeline"]`)),
	)
	if got := text(`[data-testid="flash"]`); !strings.Contains(got, "submitted") {
		t.Fatalf("flash after submitting = %q; summary: %q", got, browser.Get(b, chromedp.Evaluate[string](
			`(document.querySelector('[data-testid="error-summary"]')||{}).innerText||""`)))
	}
	ref := text(`[data-testid="reference"]`)
	if ref != "NPL-RFA-0001" {
		t.Errorf("reference = %q", ref)
	}
	noSideways("the request page")
	b.SaveArtifacts("request-submitted-phone")
	b.Do(
		browser.ClickAndLoad(`[data-testid="signout"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
	)

	// The officer screens it and returns it with a reason.
	signIn("omar@example.org")
	b.Do(
		chromedp.Navigate(srv.URL+"/operations/NPL-EQ/screening"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="screen-`+ref+`"]`)),
	)
	noSideways("the screening queue")
	b.SaveArtifacts("screening-phone")
	reason := "Say which commercial operators you asked."
	b.Do(
		chromedp.Click(chromedp.CSS(`[data-testid="screen-`+ref+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="action-return"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="action-return"] summary`)),
		chromedp.SendKeys(chromedp.CSS(`#return-reason`), reason),
		browser.ClickAndLoad(`[data-testid="do-return"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="status-reason"]`)),
	)
	if got := text(`[data-testid="status"]`); !strings.HasPrefix(got, "Returned") {
		t.Errorf("status after return = %q", got)
	}
	b.Do(
		browser.ClickAndLoad(`[data-testid="signout"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
	)

	// The requester finds it waiting, with the reason on the form.
	signIn("rita@example.org")
	b.Do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="queue-returned_to_me"]`)))
	if got := text(`[data-testid="queue-returned_to_me"]`); !strings.Contains(got, ref) {
		t.Errorf("returned queue = %q, want %s", got, ref)
	}
	b.Do(
		chromedp.Click(chromedp.CSS(`[data-testid="queue-returned_to_me"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="edit-request"]`)),
		browser.ClickAndLoad(`[data-testid="edit-request"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="form-notice"]`)),
	)
	if got := text(`[data-testid="form-notice"]`); !strings.Contains(got, reason) {
		t.Errorf("form notice = %q, want the officer's reason", got)
	}
	noSideways("the returned request's form")
	b.SaveArtifacts("request-returned-phone")
	b.NoConsoleErrors()
}
