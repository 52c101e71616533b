package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
)

// TestBrowserCredentialsEndTogether: in Chromium, without a script of
// ours, a user creates a read-only API token (which needs their password),
// is refused a common new password next to the field, then changes their
// password keeping nothing: the token and their other session are dead,
// this browser stays signed in, and the notifications page tells of the
// token and the change.
func TestBrowserCredentialsEndTogether(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := services(t, srv.DB)
	ctx := t.Context()
	const pw, next = "violet kettle harbour at dawn", "a fresh and long passphrase"
	admin, err := svc.directory.CreateAdmin(ctx, "admin@example.org", "Ada Admin", pw, domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatal(err)
	}
	by := mustActorOf(t, svc, admin)
	ana, _, err := svc.directory.CreateUser(ctx, by, service.NewUser{
		User:     domain.User{Email: "ana@example.org", Name: "Ana Field", OrganizationID: admin.OrganizationID, Language: "en"},
		Password: pw,
	})
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := signInWith(t, srv.URL, ana.Email, pw, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0")

	b := browser.New(t)
	b.Do(
		chromedp.Navigate(srv.URL+"/login?next=/profile"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), ana.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), pw),
		browser.ClickAndLoad(`[data-testid="login-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="token-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`#token_name`), "Reporting"),
		chromedp.SendKeys(chromedp.CSS(`#token_password`), pw),
		browser.ClickAndLoad(`[data-testid="token-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="new-token-secret"]`)),
	)
	secret := strings.TrimSpace(browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="new-token-secret"]`))))
	tok, err := svc.access.ActorForToken(ctx, secret)
	if err != nil || !tok.ReadOnly {
		t.Fatalf("the token made on the page: %+v, %v; want a working read-only token", tok, err)
	}
	b.CheckA11y()

	// A common password is refused next to its field.
	b.Do(
		chromedp.Navigate(srv.URL+"/profile"),
		chromedp.SendKeys(chromedp.CSS(`#current_password`), pw),
		chromedp.SendKeys(chromedp.CSS(`#new_password`), "Password2024!"),
		chromedp.SendKeys(chromedp.CSS(`#password_confirm`), "Password2024!"),
		browser.ClickAndLoad(`[data-testid="password-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-new_password"]`)),
	)
	if msg := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="error-new_password"]`))); !strings.Contains(msg, "common or breached") {
		t.Errorf("message next to the new password = %q", msg)
	}
	kept := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="keep-tokens"] input:checked').length`))
	if kept != 0 {
		t.Errorf("%d tokens ticked to keep by default, want none", kept)
	}
	b.Do(
		chromedp.SendKeys(chromedp.CSS(`#current_password`), pw),
		chromedp.SendKeys(chromedp.CSS(`#new_password`), next),
		chromedp.SendKeys(chromedp.CSS(`#password_confirm`), next),
		browser.ClickAndLoad(`[data-testid="password-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	)
	if _, err := svc.access.ActorForToken(ctx, secret); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Errorf("the token after the password change: %v, want unauthorized", err)
	}
	if elsewhere.stillSignedIn(t, srv.URL) {
		t.Error("the other browser is still signed in after the password change")
	}
	b.Do(
		chromedp.Navigate(srv.URL+"/notifications"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="notifications"]`)),
	)
	notes := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="notifications"]`)))
	for _, want := range []string{"Your password was changed", "new API token, “Reporting”"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notifications lack %q:\n%s", want, notes)
		}
	}
	b.SaveArtifacts("credentials")
}
