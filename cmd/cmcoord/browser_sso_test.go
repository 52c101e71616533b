package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
	"github.com/cmcoord/cmcoord/internal/testutil/oidcop"
)

// atProvider signs in on the test provider's own login page (not
// cmcoord's: outside Do, so its markup is not held to cmcoord's
// accessibility checks) after clicking sel, and waits until the browser
// is back on cmcoord and wait is visible.
func atProvider(b *browser.Browser, t *testing.T, sel, username, password, wait string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(sel)),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), username),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(wait)),
	); err != nil {
		b.SaveArtifacts("sso-provider")
		t.Fatalf("signing in at the provider as %s: %v", username, err)
	}
}

// TestBrowserSSO: an administrator adds the organisation's identity
// provider on the admin pages; a person signs in with it through the
// provider's own login page (a real OpenID provider, zitadel/oidc),
// lands signed in and signs out; someone whose e-mail the provider has
// not verified, and someone at a domain it does not vouch for (the
// administrator's), are refused with the reason on the sign-in page.
func TestBrowserSSO(t *testing.T) {
	t.Parallel()
	// The redirect URL is the configured base URL's: serve on a known
	// address and give it as -base-url.
	ln := listen(t)
	addr := ln.Addr().String()
	ln.Close()
	srv := startServer(t, "-addr", addr, "-base-url", "http://"+addr)
	svc := services(t, srv.DB)
	ctx := t.Context()
	admin, err := svc.directory.CreateAdmin(ctx, "admin@example.org", "Ada Admin", browserPassword, domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatal(err)
	}
	by, err := svc.access.Actor(ctx, admin.ID, admin.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	device := enrol(t, svc, admin) // administrators need a second factor
	ana, _, err := svc.directory.CreateUser(ctx, by, service.NewUser{User: domain.User{Email: "ana@wfp.org", Name: "Ana Requester",
		OrganizationID: admin.OrganizationID, Language: "en"}, Password: browserPassword})
	if err != nil {
		t.Fatal(err)
	}
	op := oidcop.Start(t, srv.URL+"/login/sso/acme/callback",
		oidcop.User{Subject: "s-ana", Username: "ana", Password: "idp pass", Email: "ana@wfp.org", EmailVerified: true, Name: "Ana Idp"},
		oidcop.User{Subject: "s-eve", Username: "eve", Password: "idp pass", Email: "ana@wfp.org", EmailVerified: false, Name: "Eve"},
		oidcop.User{Subject: "s-admin", Username: "admin", Password: "idp pass", Email: "admin@example.org", EmailVerified: true, Name: "Not Ada"})

	b := browser.New(t)
	b.Do(
		signInWithCode(srv.URL, "admin@example.org", browserPassword, device),
		chromedp.Navigate(srv.URL+"/admin"),
		browser.ClickAndLoad(`[data-testid="admin-link-sso"] a`),
		browser.ClickAndLoad(`[data-testid="new-sso-provider"]`),
		chromedp.SendKeys(chromedp.CSS(`#name`), "Acme ID"),
		chromedp.SendKeys(chromedp.CSS(`#slug`), "acme"),
		chromedp.SendKeys(chromedp.CSS(`#issuer_url`), op.Issuer),
		chromedp.SendKeys(chromedp.CSS(`#client_id`), op.ClientID),
		chromedp.SendKeys(chromedp.CSS(`#client_secret`), op.ClientSecret),
		chromedp.SendKeys(chromedp.CSS(`#trusted_domains`), "wfp.org"),
		browser.ClickAndLoad(`[data-testid="sso-provider-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sso-provider-acme"]`)),
	)
	if got := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="sso-provider-acme"]`))); !strings.Contains(got, srv.URL+"/login/sso/acme/callback") ||
		!strings.Contains(got, "wfp.org") {
		t.Errorf("provider row = %q, want the redirect URL to register and the trusted domain", got)
	}
	b.Do(browser.ClickAndLoad(`[data-testid="sso-provider-acme"] a`))
	if got := browser.Get(b, chromedp.Value(chromedp.CSS(`#client_secret`))); got != "" {
		t.Errorf("the edit form shows the client secret back: %q", got)
	}
	b.Do(
		browser.ClickAndLoad(`[data-testid="signout"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sso-acme"]`)),
	)
	b.SaveArtifacts("sso-sign-in-page")

	// Sign in with the provider: linked by the verified e-mail, signed in.
	atProvider(b, t, `[data-testid="sso-acme"]`, "ana", "idp pass", `[data-testid="user-name"]`)
	b.Do()
	if got := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="user-name"]`))); got != "Ana Requester" {
		t.Errorf("signed in through the provider as %q", got)
	}
	b.Do(
		browser.ClickAndLoad(`[data-testid="signout"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		chromedp.Navigate(srv.URL+"/profile"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
	)

	// An e-mail the provider has not verified is refused, and said so.
	atProvider(b, t, `[data-testid="sso-acme"]`, "eve", "idp pass", `[data-testid="error-summary"]`)
	b.Do()
	if got := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="error-summary"]`))); !strings.Contains(got, "not verified your e-mail") {
		t.Errorf("refusal shows %q", got)
	}
	if n := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="user-name"]').length`)); n != 0 {
		t.Error("the refused person is signed in")
	}
	b.SaveArtifacts("sso-unverified")

	// The provider vouches only for wfp.org: its word for the
	// administrator's e-mail (example.org) signs nobody in.
	atProvider(b, t, `[data-testid="sso-acme"]`, "admin", "idp pass", `[data-testid="error-summary"]`)
	b.Do()
	if got := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="error-summary"]`))); !strings.Contains(got, "does not vouch for e-mail addresses at this domain") {
		t.Errorf("refusal shows %q", got)
	}
	if n := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="user-name"]').length`)); n != 0 {
		t.Error("the administrator's e-mail at another domain signed in")
	}

	// With a second factor, the provider is the first step only: the code
	// follows, and nothing is open before it.
	anaDevice := enrol(t, svc, ana)
	atProvider(b, t, `[data-testid="sso-acme"]`, "ana", "idp pass", `[data-testid="factor-form"]`)
	b.Do(
		chromedp.Navigate(srv.URL+"/profile"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		chromedp.Navigate(srv.URL+"/login/2fa"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="factor-form"]`)),
		typeCode(anaDevice),
		browser.ClickAndLoad(`[data-testid="factor-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-name"]`)),
	)
	b.NoConsoleErrors()
}
