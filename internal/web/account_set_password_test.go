package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestSetPasswordLink follows a user created without a password: the
// admin sees the one-time link once, the user opens it, sets a password,
// signs in with it, and the link then no longer works.
func TestSetPasswordLink(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	admin := f.signIn(t, "admin@example.org")
	r := f.post(t, admin, "/admin/users/new", url.Values{"email": {"cleo@example.org"}, "name": {"Cleo New"},
		"organization_id": {strconv.FormatInt(f.org.ID, 10)}, "language": {"en"}})
	wantStatus(t, r, http.StatusCreated)
	d := doc(t, r)
	link := strings.TrimSpace(testid(d, "password-link-secret").Text())
	if !strings.HasPrefix(link, f.srv.URL+"/set-password/") {
		t.Fatalf("link = %q, want it under %s/set-password/", link, f.srv.URL)
	}
	if !strings.Contains(testid(d, "password-link").Text(), "not be shown again") {
		t.Error("the page does not say the link is shown once")
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q: a page with a secret must not be cached", got)
	}
	if got := r.Header.Get("Set-Cookie"); strings.Contains(got, "set-password") {
		t.Error("the link went into a cookie")
	}
	users := f.get(t, admin, "/admin/users")
	if strings.Contains(users.body, link) {
		t.Error("the link is shown again in the user list")
	}
	if !strings.Contains(users.body, "Not set yet") {
		t.Error("the list does not say the new user has no password yet")
	}
	path := strings.TrimPrefix(link, f.srv.URL)
	secret := strings.TrimPrefix(path, "/set-password/")

	c := f.client(t)
	r = f.get(t, c, path)
	wantStatus(t, r, http.StatusOK)
	d = doc(t, r)
	if got := testid(d, "set-password-user").Text(); !strings.Contains(got, "Cleo New") || !strings.Contains(got, "cleo@example.org") {
		t.Errorf("the page does not say whose password it sets: %q", got)
	}
	for _, id := range []string{"password", "password_confirm"} {
		if got := d.Find("#"+id).AttrOr("autocomplete", ""); got != "new-password" {
			t.Errorf("#%s autocomplete = %q", id, got)
		}
	}

	r = f.post(t, c, path, url.Values{"password": {"a long enough password"}, "password_confirm": {"a long enough passw0rd"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	d = doc(t, r)
	wantFieldError(t, d, "password_confirm", "not the same")
	wantValue(t, d, "password", "")
	r = f.post(t, c, path, url.Values{"password": {"short"}, "password_confirm": {"short"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantFieldError(t, doc(t, r), "password", "at least 12")

	r = f.post(t, c, path, url.Values{"password": {"a long enough password"}, "password_confirm": {"a long enough password"}})
	wantRedirect(t, r, "/login")
	r = f.get(t, c, "/login")
	wantFlashText(t, doc(t, r), "password is set")
	r = f.post(t, c, "/login", url.Values{"email": {"cleo@example.org"}, "password": {"a long enough password"}})
	wantRedirect(t, r, "/")

	if logs := f.logs.String(); strings.Contains(logs, secret) {
		t.Errorf("the one-time secret was logged:\n%s", logs)
	} else if !strings.Contains(logs, "path=/set-password/{secret}") {
		t.Errorf("no redacted request line for the link in the logs:\n%s", logs)
	}

	for _, p := range []string{path, "/set-password/no-such-link"} {
		r = f.get(t, f.client(t), p)
		wantStatus(t, r, http.StatusNotFound)
		if got := doc(t, r).Find(`[data-testid="error-page"]`).Text(); !strings.Contains(got, "no longer works") {
			t.Errorf("GET %s: 404 page does not explain the link: %q", p, strings.Join(strings.Fields(got), " "))
		}
		r = f.post(t, f.client(t), p, url.Values{"password": {"another long password"}, "password_confirm": {"another long password"}})
		wantStatus(t, r, http.StatusNotFound)
	}
	r = f.post(t, f.client(t), "/login", url.Values{"email": {"cleo@example.org"}, "password": {"another long password"}})
	wantStatus(t, r, http.StatusUnauthorized)
}

// TestSetPasswordPage_LanguageAndRules: the page speaks the language of
// the user the link belongs to, unless the visitor chose another with the
// switcher; a common password is refused next to the field, in that
// language; the reset ends the user's sessions and tokens.
func TestSetPasswordPage_LanguageAndRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	admin := f.signIn(t, "admin@example.org")
	r := f.post(t, admin, "/admin/users/new", url.Values{"email": {"dora@example.org"}, "name": {"Dora Nueva"},
		"organization_id": {strconv.FormatInt(f.org.ID, 10)}, "language": {"es"}})
	wantStatus(t, r, http.StatusCreated)
	path := strings.TrimPrefix(strings.TrimSpace(testid(doc(t, r), "password-link-secret").Text()), f.srv.URL)

	c := f.client(t)
	d := doc(t, f.get(t, c, path))
	if got := d.Find("html").AttrOr("lang", ""); got != "es" {
		t.Errorf("the link's page is in %q, want the user's es", got)
	}
	r = f.post(t, c, path, url.Values{"password": {"qwerty123456"}, "password_confirm": {"qwerty123456"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	d = doc(t, r)
	if got := d.Find("html").AttrOr("lang", ""); got != "es" {
		t.Errorf("the refused form is in %q, want es", got)
	}
	wantFieldError(t, d, "password", "contraseñas comunes")
	// The visitor's own choice wins.
	fr := f.client(t)
	u, _ := url.Parse(f.srv.URL)
	fr.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: "fr", Path: "/"}})
	if got := doc(t, f.get(t, fr, path)).Find("html").AttrOr("lang", ""); got != "fr" {
		t.Errorf("with the switcher's fr the page is in %q", got)
	}
}
