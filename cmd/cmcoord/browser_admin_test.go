package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
)

// TestBrowserAdminCreatesUserAndMember drives the administration in
// Chromium on a phone: an admin signs in through the real form, creates a
// user, adds them to an operation as a requester, sees them in the member
// table, and signs out. The pages fit 360 px without sideways scrolling.
func TestBrowserAdminCreatesUserAndMember(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := services(t, srv.DB)
	ctx := t.Context()
	admin, err := svc.directory.CreateAdmin(ctx, "admin@example.org", "Ada Admin", "violet kettle harbour at dawn", domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatal(err)
	}
	by, err := svc.access.Actor(ctx, admin.ID, admin.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	device := enrol(t, svc, admin)
	if _, err := svc.directory.CreateOperation(ctx, by, domain.Operation{Code: "NPL-EQ-2015", Name: "Nepal earthquake",
		CountryISO3: "NPL", Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48}); err != nil {
		t.Fatal(err)
	}

	b := browser.New(t)
	b.SetViewport(browser.Phone)
	noSideways := func(page string) {
		t.Helper()
		if browser.Get(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)) {
			t.Errorf("%s scrolls sideways at %d px", page, browser.Phone.Width)
		}
	}
	b.Do(
		signInWithCode(srv.URL, "admin@example.org", "violet kettle harbour at dawn", device),
	)

	// Create a user through the admin form.
	b.Do(
		chromedp.Navigate(srv.URL+"/admin/users/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "bea@example.org"),
		chromedp.SendKeys(chromedp.CSS(`#name`), "Bea Field"),
		chromedp.SetValue(chromedp.CSS(`#organization_id`), strconv.FormatInt(admin.OrganizationID, 10)),
		chromedp.SendKeys(chromedp.CSS(`#password`), "bea's long initial password"),
	)
	noSideways("the user form")
	b.SaveArtifacts("admin-user-form-phone")
	b.Do(
		browser.ClickAndLoad(`[data-testid="user-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="users"]`)),
	)
	if got := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="flash"]`))); !strings.Contains(got, "created") {
		t.Errorf("flash after creating the user = %q", got)
	}
	if got := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="users"] tbody`))); !strings.Contains(got, "bea@example.org") {
		t.Errorf("user list = %q, want the new user", got)
	}
	noSideways("the user list")
	b.SaveArtifacts("admin-users-phone")

	// Add her to the operation as a requester.
	b.Do(
		chromedp.Navigate(srv.URL+"/operations/NPL-EQ-2015/members"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="member-add-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "bea@example.org"),
		chromedp.Click(chromedp.CSS(`#roles-requester`)),
		browser.ClickAndLoad(`[data-testid="member-add"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="members"]`)),
	)
	if got := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="members"] [data-testid="member-name"]`))); got != "Bea Field" {
		t.Errorf("member = %q, want Bea Field", got)
	}
	if got := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="members"] [data-testid="member-roles"]`))); got != "Requester" {
		t.Errorf("member roles = %q, want Requester", got)
	}
	noSideways("the member page")
	b.SaveArtifacts("members-phone")
	b.SetViewport(browser.Desktop)
	b.SaveArtifacts("members-desktop")

	b.Do(
		browser.ClickAndLoad(`[data-testid="signout"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
	)
	b.NoConsoleErrors()
}
