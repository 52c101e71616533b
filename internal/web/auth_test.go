package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

func sessionCookie(t *testing.T, f *fixture, c *http.Client) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(f.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "cmcoord_session" {
			return ck
		}
	}
	return nil
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustOperation(t, "NPL-EQ-2015", domain.ContextNaturalDisaster)
		u := f.mustUser(t, "ana@example.org", 0)
		f.mustMember(t, "NPL-EQ-2015", u, domain.RoleRequester, domain.RoleViewer)

		c := f.client(t)
		r := f.get(t, c, "/login?next=/operations/NPL-EQ-2015")
		wantStatus(t, r, http.StatusOK)
		if got := doc(t, r).Find(`input[name="next"]`).AttrOr("value", ""); got != "/operations/NPL-EQ-2015" {
			t.Fatalf("next = %q", got)
		}
		// A planted session cookie must not survive sign-in (no fixation).
		base, _ := url.Parse(f.srv.URL)
		c.Jar.SetCookies(base, []*http.Cookie{{Name: "cmcoord_session", Value: "planted-by-an-attacker", Path: "/"}})
		r = f.post(t, c, "/login", url.Values{"email": {"ANA@example.org"}, "password": {testPassword}, "next": {"/operations/NPL-EQ-2015"}})
		wantStatus(t, r, http.StatusSeeOther)
		if got := r.Header.Get("Location"); got != "/operations/NPL-EQ-2015" {
			t.Fatalf("redirect to %q, want the next page", got)
		}
		var raw string
		for _, h := range r.Header.Values("Set-Cookie") {
			if strings.HasPrefix(h, "cmcoord_session=") {
				raw = h
			}
		}
		if !strings.Contains(raw, "HttpOnly") || !strings.Contains(raw, "SameSite=Lax") || strings.Contains(raw, "Secure") {
			t.Fatalf("session cookie %q: want HttpOnly, SameSite=Lax and (without TLS) not Secure", raw)
		}
		if ck := sessionCookie(t, f, c); ck == nil || ck.Value == "planted-by-an-attacker" {
			t.Fatal("session token was not renewed on sign-in")
		}
		var n int
		if err := f.pool.QueryRow(t.Context(), `SELECT count(*) FROM sessions`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("sessions in the database = %d (%v), want 1: sessions live server-side", n, err)
		}
		r = f.get(t, c, "/")
		wantStatus(t, r, http.StatusOK)
		d := doc(t, r)
		if got := d.Find(`[data-testid="user-name"]`).Text(); got != "ana" {
			t.Errorf("header user = %q, want ana", got)
		}
		if d.Find(`[data-testid="operation-NPL-EQ-2015"]`).Length() != 1 || d.Find(`[data-testid="queue-my_drafts"]`).Length() != 1 {
			t.Errorf("dashboard lacks the operation or the requester's queue:\n%s", r.body)
		}
		if d.Find(`[data-testid="queue-awaiting_screening"]`).Length() != 0 {
			t.Error("a requester sees the officer's screening queue")
		}
		if got := d.Find(`[data-testid="flash"]`).Text(); !strings.Contains(got, "signed in") {
			t.Errorf("flash = %q", got)
		}
	})

	t.Run("ErrWrongPasswordAndUnknownEmailLookAlike", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustUser(t, "ana@example.org", 0)
		var bodies []string
		for _, email := range []string{"ana@example.org", "nobody@example.org"} {
			r := f.post(t, f.client(t), "/login", url.Values{"email": {email}, "password": {"not the password"}})
			wantStatus(t, r, http.StatusUnauthorized)
			d := doc(t, r)
			if got := d.Find(`input[name="email"]`).AttrOr("value", ""); got != email {
				t.Errorf("typed e-mail not kept: %q", got)
			}
			if got := d.Find(`input[name="password"]`).AttrOr("value", ""); got != "" {
				t.Error("password echoed back")
			}
			bodies = append(bodies, d.Find(`[data-testid="error-summary"]`).Text())
		}
		if bodies[0] != bodies[1] || !strings.Contains(bodies[0], "not right") {
			t.Fatalf("messages differ or are unclear: %q vs %q", bodies[0], bodies[1])
		}
	})

	t.Run("ErrEmptyFields", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		r := f.post(t, f.client(t), "/login", url.Values{})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		d := doc(t, r)
		for _, id := range []string{"email", "password"} {
			if d.Find(`[data-testid="error-`+id+`"]`).Length() != 1 {
				t.Errorf("no message next to %s", id)
			}
			if got := d.Find("#"+id).AttrOr("aria-describedby", ""); got != id+"-error" {
				t.Errorf("#%s aria-describedby = %q", id, got)
			}
		}
	})

	t.Run("ErrThrottled", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustUser(t, "ana@example.org", 0)
		for i := range domain.LimitSignInAccount.Max {
			r := f.post(t, f.client(t), "/login", url.Values{"email": {"ana@example.org"}, "password": {"wrong"}})
			if r.StatusCode != http.StatusUnauthorized {
				t.Fatalf("failure %d: status %d", i+1, r.StatusCode)
			}
		}
		r := f.post(t, f.client(t), "/login", url.Values{"email": {"ana@example.org"}, "password": {testPassword}})
		wantStatus(t, r, http.StatusTooManyRequests)
		if got := doc(t, r).Find(`[data-testid="error-summary"]`).Text(); !strings.Contains(got, "Wait 15 minutes") {
			t.Fatalf("throttle message = %q", got)
		}
	})

	t.Run("UnsafeNextIgnored", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustUser(t, "ana@example.org", 0)
		for _, next := range []string{"//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)"} {
			r := f.post(t, f.client(t), "/login", url.Values{"email": {"ana@example.org"}, "password": {testPassword}, "next": {next}})
			if got := r.Header.Get("Location"); got != "/" {
				t.Errorf("next %q redirected to %q, want /", next, got)
			}
		}
	})
}

func TestSignOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustUser(t, "ana@example.org", 0)
	c := f.signIn(t, "ana@example.org")
	old := sessionCookie(t, f, c)
	r := f.post(t, c, "/logout", url.Values{})
	wantStatus(t, r, http.StatusSeeOther)
	if got := r.Header.Get("Location"); got != "/login" {
		t.Fatalf("sign-out redirects to %q", got)
	}
	// Replaying the old cookie gets nowhere: the session is gone server-side.
	replay := f.client(t)
	base, _ := url.Parse(f.srv.URL)
	replay.Jar.SetCookies(base, []*http.Cookie{old})
	r = f.get(t, replay, "/operations/ANY")
	wantStatus(t, r, http.StatusSeeOther)
	if got := r.Header.Get("Location"); !strings.HasPrefix(got, "/login") {
		t.Fatalf("old cookie after sign-out reached %q", got)
	}
	// Signing out without a session is harmless.
	wantStatus(t, f.post(t, f.client(t), "/logout", url.Values{}), http.StatusSeeOther)
}

func TestForgedPostRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustUser(t, "ana@example.org", 0)
	c := f.signIn(t, "ana@example.org")
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/logout", strings.NewReader(""))
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged sign-out POST: status %d, want 403", resp.StatusCode)
	}
	// Still signed in: the forged request did nothing.
	if r := f.get(t, c, "/"); doc(t, r).Find(`[data-testid="user-name"]`).Length() != 1 {
		t.Fatal("the forged request signed the user out")
	}
}

func TestOperationVisibility(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustOperation(t, "NPL-EQ-2015", domain.ContextNaturalDisaster)
	f.mustOperation(t, "SSD-CE-2024", domain.ContextComplexEmergency)
	u := f.mustUser(t, "ana@example.org", 0)
	f.mustMember(t, "NPL-EQ-2015", u, domain.RoleRequester)
	c := f.signIn(t, "ana@example.org")
	wantStatus(t, f.get(t, c, "/operations/NPL-EQ-2015"), http.StatusOK)
	hidden := f.get(t, c, "/operations/SSD-CE-2024")
	missing := f.get(t, c, "/operations/NOPE-0000")
	wantStatus(t, hidden, http.StatusNotFound)
	wantStatus(t, missing, http.StatusNotFound)
	strip := func(s string) string { return strings.ReplaceAll(s, "SSD-CE-2024", "X") }
	if strip(doc(t, hidden).Find("main").Text()) != strip(doc(t, missing).Find("main").Text()) {
		t.Error("an operation the user cannot see answers differently from a missing one")
	}
	if doc(t, f.get(t, c, "/operations/NPL-EQ-2015")).Find(`[data-testid="members-link"]`).Length() != 0 {
		t.Error("a requester is offered the members page")
	}
}

// TestTrustedBrowserOutlivesLockout: five failures from a stranger lock
// an account; its owner still signs in on the browser they signed in on
// before (its device cookie, HttpOnly and kept across sign-out), while a
// fresh browser is told to wait (429 with Retry-After).
func TestTrustedBrowserOutlivesLockout(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustUser(t, "ana@example.org", 0)
	own := f.signIn(t, "ana@example.org")
	var device *http.Cookie
	u, _ := url.Parse(f.srv.URL)
	for _, c := range own.Jar.Cookies(u) {
		if c.Name == "cmcoord_device" {
			device = c
		}
	}
	if device == nil || device.Value == "" {
		t.Fatal("no trusted-device cookie after signing in")
	}
	wantRedirect(t, f.post(t, own, "/logout", nil), "/login")
	stranger := f.client(t)
	for range domain.LimitSignInAccount.Max {
		wantStatus(t, f.post(t, stranger, "/login", url.Values{"email": {"ana@example.org"}, "password": {"a stranger's guess"}}), http.StatusUnauthorized)
	}
	fresh := f.client(t)
	r := f.post(t, fresh, "/login", url.Values{"email": {"ana@example.org"}, "password": {testPassword}})
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	wantRedirect(t, f.post(t, own, "/login", url.Values{"email": {"ana@example.org"}, "password": {testPassword}}), "/")
}

// TestFormTooLarge: a form body over the pages' limit is a 413 with the
// error page saying so, signed in or not, as the API answers 413.
func TestFormTooLarge(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustUser(t, "ana@example.org", 0)
	big := strings.Repeat("x", 900<<10)
	for name, c := range map[string]*http.Client{"anonymous": f.client(t), "signed in": f.signIn(t, "ana@example.org")} {
		paths := []string{"/login"}
		if name == "signed in" { // signed out, a signed-in page's form goes to sign in first
			paths = append(paths, "/profile/password", "/profile/tokens")
		}
		for _, path := range paths {
			r := f.post(t, c, path, url.Values{"email": {"ana@example.org"}, "password": {big}, "current_password": {big}})
			if r.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(r.body), "too large") {
				t.Errorf("%s, %s with 900 KB: %d, want 413 saying it is too large: %.200s", name, path, r.StatusCode, r.body)
			}
		}
	}
}
