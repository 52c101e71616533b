package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
	"github.com/cmcoord/cmcoord/internal/testutil/totptest"
)

// TestBrowserSecondFactorNoJavaScript: with JavaScript off in Chromium on
// a phone, a new administrator signs in with their password, lands on the
// enrolment page (nothing else is open), reads the key the page shows as
// text (the QR code is an image of this origin), types the code an
// authenticator computes from it, is shown the ten recovery codes and
// goes on signed in; signed out and in again, the second step asks for
// the code, refuses a wrong one at the field, and takes the right one.
func TestBrowserSecondFactorNoJavaScript(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := services(t, srv.DB)
	if _, err := svc.directory.CreateAdmin(t.Context(), "admin@example.org", "Ada Admin", browserPassword,
		domain.Organization{Name: "OCHA"}); err != nil {
		t.Fatal(err)
	}
	b := browser.New(t)
	b.SetViewport(browser.Phone)
	assertScriptsOff(t, b)
	text := func(sel string) string {
		t.Helper()
		return strings.TrimSpace(browser.Get(b, chromedp.Text(chromedp.CSS(sel))))
	}
	noScripts := func(page string) {
		t.Helper()
		if n := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('script:not([src^="/static/js/offline."][defer])').length`)); n != 0 {
			t.Errorf("%s has %d <script> elements besides the deferred offline one", page, n)
		}
	}
	password := func() {
		t.Helper()
		noJS(b,
			chromedp.Navigate(srv.URL+"/login"),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
			chromedp.SendKeys(chromedp.CSS(`#email`), "admin@example.org"),
			chromedp.SendKeys(chromedp.CSS(`#password`), browserPassword),
			chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		)
	}
	typeCode := func(code func() (string, error), submit string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			c, err := code()
			if err != nil {
				return err
			}
			if _, err := chromedp.SendKeys(chromedp.CSS(`#code`), c)(ctx, tg); err != nil {
				return err
			}
			_, err = chromedp.Click(chromedp.CSS(submit))(ctx, tg)
			return err
		})
	}

	// The password: the enrolment page, and nothing else.
	password()
	noJS(b, chromedp.WaitVisible(chromedp.CSS(`[data-testid="enrol-form"]`)))
	noScripts("the enrolment page")
	if !strings.HasSuffix(browser.Get(b, chromedp.Location()), "/login/enrol") {
		t.Fatalf("after the password: %s, want the enrolment page", browser.Get(b, chromedp.Location()))
	}
	// The image loads after the page (a second request): wait for it.
	qrLoaded := `(() => { const i = document.querySelector('[data-testid="factor-qr"]'); return i.complete && i.naturalWidth > 0 })()`
	browser.Get(b, chromedp.Poll[bool](qrLoaded, chromedp.WithPollingTimeout(10*time.Second)))
	if w := browser.Get(b, chromedp.Evaluate[int](`document.querySelector('[data-testid="factor-qr"]').naturalWidth`)); w < 100 {
		t.Errorf("the QR code image did not load (width %d)", w)
	}
	secret := text(`[data-testid="factor-secret"]`)
	if uri := text(`[data-testid="factor-uri"]`); !strings.HasPrefix(uri, "otpauth://totp/") {
		t.Errorf("otpauth URI shown: %q", uri)
	}
	noJS(b, chromedp.Navigate(srv.URL+"/admin"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)))
	device := totptest.NewDevice(secret, nil)

	// The code from the key: signed in, with the recovery codes once.
	noJS(b,
		chromedp.Navigate(srv.URL+"/login/enrol"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="enrol-form"]`)),
		typeCode(device.Next, `[data-testid="enrol-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="recovery-codes"]`)),
	)
	noScripts("the recovery codes page")
	if n := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="recovery-code"]').length`)); n != domain.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown, want %d", n, domain.RecoveryCodeCount)
	}
	noJS(b,
		chromedp.Click(chromedp.CSS(`[data-testid="codes-continue"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-name"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="signout"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
	)

	// Next sign-in: the code, refused when wrong, at the field.
	password()
	noJS(b,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="factor-form"]`)),
		typeCode(func() (string, error) { return "000000", nil }, `[data-testid="factor-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`#code[aria-invalid="true"]`)),
	)
	noScripts("the second step")
	noJS(b,
		typeCode(device.Next, `[data-testid="factor-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-name"]`)),
	)
	b.NoConsoleErrors()
}
