package main

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
)

// uaClient is an HTTP client with its own cookies that says it is ua.
type uaClient struct {
	*http.Client
	ua string
}

func (c uaClient) get(t *testing.T, u string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// signInWith signs in through the form as a client saying it is ua.
func signInWith(t *testing.T, base, email, password, ua string) uaClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := uaClient{&http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, ua}
	req, err := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(url.Values{"email": {email}, "password": {password}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", ua)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s (%s): %d", email, ua, resp.StatusCode)
	}
	return c
}

// stillSignedIn reports whether c's session still opens the profile.
func (c uaClient) stillSignedIn(t *testing.T, base string) bool {
	t.Helper()
	return c.get(t, base+"/profile").StatusCode == http.StatusOK
}

// TestBrowserSessions: in Chromium, the profile lists where the user is
// signed in — this browser marked, the two others with their browser and
// system and address —; End signs one out at once, "Sign out all other
// sessions" the rest, and this browser stays signed in. Checked with axe
// and on a phone.
func TestBrowserSessions(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := services(t, srv.DB)
	ctx := t.Context()
	const pw = "violet kettle harbour at dawn"
	admin, err := svc.directory.CreateAdmin(ctx, "admin@example.org", "Ada Admin", pw, domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatal(err)
	}
	by, err := svc.access.Actor(ctx, admin.ID, admin.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	ana, _, err := svc.directory.CreateUser(ctx, by, service.NewUser{
		User:     domain.User{Email: "ana@example.org", Name: "Ana Field", OrganizationID: admin.OrganizationID, Language: "en"},
		Password: pw,
	})
	if err != nil {
		t.Fatal(err)
	}
	laptop := signInWith(t, srv.URL, ana.Email, pw, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0")
	phone := signInWith(t, srv.URL, ana.Email, pw,
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36")

	b := browser.New(t)
	b.Do(
		chromedp.Navigate(srv.URL+"/login?next=/profile"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), ana.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), pw),
		browser.ClickAndLoad(`[data-testid="login-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sessions"]`)),
	)
	rows := func() int {
		return browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="sessions"] tbody tr').length`))
	}
	if n := rows(); n != 3 {
		t.Fatalf("sessions listed = %d, want 3", n)
	}
	text := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="sessions"] tbody`)))
	for _, want := range []string{"Firefox 128 · Windows", "Chrome 131 · Android · Pixel 8", "Headless Chrome", "127.0.0.1", "This browser"} {
		if !strings.Contains(text, want) {
			t.Errorf("sessions list lacks %q:\n%s", want, text)
		}
	}
	current := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="session-current"]`)))
	if current != "This browser" {
		t.Errorf("current session badge = %q", current)
	}
	b.CheckA11y()
	b.SaveArtifacts("sessions")

	// End the phone's session with its own button.
	sessions, err := svc.access.ListSessions(ctx, mustActorOf(t, svc, ana), "")
	if err != nil {
		t.Fatal(err)
	}
	var phoneID int64
	for _, s := range sessions {
		if strings.Contains(s.Device, "Android") {
			phoneID = s.ID
		}
	}
	b.Do(
		browser.ClickAndLoad(`[data-testid="session-`+strconv.FormatInt(phoneID, 10)+`"] [data-testid="session-end"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	)
	if got := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="flash"]`))); !strings.Contains(got, "session was ended") {
		t.Errorf("flash after ending a session = %q", got)
	}
	if n := rows(); n != 2 {
		t.Errorf("sessions listed after ending one = %d, want 2", n)
	}
	if phone.stillSignedIn(t, srv.URL) {
		t.Error("the ended session still opens the profile")
	}
	if !laptop.stillSignedIn(t, srv.URL) {
		t.Fatal("ending the phone's session signed the laptop out")
	}

	// Then every other one, on a phone-sized screen.
	b.SetViewport(browser.Phone)
	b.Do(
		chromedp.Navigate(srv.URL+"/profile"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sessions-end-others"]`)),
	)
	b.CheckPhoneLayout()
	b.Do(
		browser.ClickAndLoad(`[data-testid="sessions-end-others"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sessions-only-this"]`)),
	)
	if n := rows(); n != 1 {
		t.Errorf("sessions listed after signing out the others = %d, want 1", n)
	}
	if laptop.stillSignedIn(t, srv.URL) {
		t.Error("the laptop's session outlived 'sign out all other sessions'")
	}
	b.Do(
		chromedp.Navigate(srv.URL+"/profile"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="session-current"]`)),
	)
	b.NoConsoleErrors()
}

func mustActorOf(t *testing.T, svc testServices, u domain.User) domain.Actor {
	t.Helper()
	a, err := svc.access.Actor(t.Context(), u.ID, u.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
