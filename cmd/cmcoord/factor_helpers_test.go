package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
	"github.com/cmcoord/cmcoord/internal/testutil/totptest"
)

// enrol gives u a second factor through the service (administrators need
// one) and returns the authenticator holding it, on the real clock.
func enrol(t *testing.T, svc testServices, u domain.User) *totptest.Device {
	t.Helper()
	d, _ := totptest.Enrol(t, svc.access, u.ID, nil)
	return d
}

var factorSecretRe = regexp.MustCompile(`data-testid="factor-secret"[^>]*>([A-Z2-7 ]+)<`)

// secondStep completes, over HTTP, a sign-in whose password answer sent
// client c to loc: the code of d at /login/2fa, or an enrolment at
// /login/enrol with the key the page shows (then the returned device
// holds it). Any other loc needs nothing.
func secondStep(t *testing.T, c *http.Client, base, loc string, d *totptest.Device) *totptest.Device {
	t.Helper()
	post := func(path string, form url.Values) *http.Response {
		t.Helper()
		resp, err := c.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	switch loc {
	case "/login/2fa":
		if d == nil {
			t.Fatal("asked for a second factor's code; the test holds no device")
		}
		if resp := post("/login/2fa", url.Values{"code": {d.Code(t)}}); resp.StatusCode != http.StatusSeeOther ||
			strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Fatalf("second step: status %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	case "/login/enrol":
		resp, err := c.Get(base + "/login/enrol")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := factorSecretRe.FindSubmatch(b)
		if m == nil {
			t.Fatalf("enrolment page shows no key: status %d", resp.StatusCode)
		}
		d = totptest.NewDevice(string(m[1]), nil)
		if resp := post("/login/enrol", url.Values{"code": {d.Code(t)}}); resp.StatusCode != http.StatusOK {
			t.Fatalf("enrolment: status %d", resp.StatusCode)
		}
	}
	return d
}

// signInWithCode signs email in through the sign-in form at base and the
// second step's form, typing the code d shows then.
func signInWithCode(base, email, password string, d *totptest.Device) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		browser.ClickAndLoad(`[data-testid="login-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="factor-form"]`)),
		typeCode(d),
		browser.ClickAndLoad(`[data-testid="factor-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-name"]`)),
	)
}

// typeCode types into the second step's code field the code device d
// shows at that moment.
func typeCode(d *totptest.Device) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		code, err := d.Next()
		if err != nil {
			return err
		}
		_, err = chromedp.SendKeys(chromedp.CSS(`#code`), code)(ctx, tg)
		return err
	})
}
