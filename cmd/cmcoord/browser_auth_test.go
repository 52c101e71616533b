package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
)

// TestBrowserSignIn signs in through the real form in Chromium: a wrong
// password shows the error summary with focus on it and keeps the e-mail;
// the right one lands on the dashboard; signing out returns to the
// sign-in page and protected pages send the browser back there.
func TestBrowserSignIn(t *testing.T) {
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
	if _, err := svc.directory.CreateOperation(ctx, by, domain.Operation{Code: "NPL-EQ-2015", Name: "Nepal earthquake",
		CountryISO3: "NPL", Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48}); err != nil {
		t.Fatal(err)
	}
	ana, _, err := svc.directory.CreateUser(ctx, by, service.NewUser{
		User:     domain.User{Email: "ana@example.org", Name: "Ana Requester", OrganizationID: admin.OrganizationID, Language: "en"},
		Password: "ana's long password",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.directory.SetMember(ctx, by, "NPL-EQ-2015", ana.ID, domain.RoleSet{domain.RoleRequester}); err != nil {
		t.Fatal(err)
	}

	b := browser.New(t)
	b.SetViewport(browser.Phone)
	// A protected page sends an anonymous visitor to sign in first.
	b.Do(
		chromedp.Navigate(srv.URL+"/operations/NPL-EQ-2015"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
	)
	if loc := browser.Get(b, chromedp.Location()); !strings.Contains(loc, "/login?next=") {
		t.Fatalf("anonymous visit landed on %s, want the sign-in page with next", loc)
	}
	b.Do(
		chromedp.SendKeys(chromedp.CSS(`#email`), "ana@example.org"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "not her password"),
		browser.ClickAndLoad(`[data-testid="login-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-summary"]`)),
	)
	if got := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="error-summary"]`))); !strings.Contains(got, "not right") {
		t.Errorf("error summary = %q", got)
	}
	if got := browser.Get(b, chromedp.Value(chromedp.CSS(`#email`))); got != "ana@example.org" {
		t.Errorf("e-mail after a failed sign-in = %q, want it kept", got)
	}
	b.SaveArtifacts("login-failed")

	b.Do(
		chromedp.SendKeys(chromedp.CSS(`#password`), "ana's long password"),
		browser.ClickAndLoad(`[data-testid="login-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="operation-page"]`)),
	)
	if got := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="user-name"]`))); got != "Ana Requester" {
		t.Errorf("signed-in header shows %q", got)
	}
	b.Do(
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="operation-NPL-EQ-2015"]`)),
	)
	b.SaveArtifacts("dashboard-phone")

	b.Do(
		browser.ClickAndLoad(`[data-testid="signout"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
	)
	if got := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="flash"]`))); !strings.Contains(got, "signed out") {
		t.Errorf("flash after sign-out = %q", got)
	}
	b.Do(
		chromedp.Navigate(srv.URL+"/operations/NPL-EQ-2015"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
	)
	b.NoConsoleErrors()
}
