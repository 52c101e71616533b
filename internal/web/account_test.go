package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cmcoord/cmcoord/internal/domain"
)

func TestProfile(t *testing.T) {
	t.Parallel()

	t.Run("Show", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustOperation(t, "OPA", domain.ContextMixed)
		ana := f.mustUser(t, "ana@example.org", 0)
		f.mustMember(t, "OPA", ana, domain.RoleRequester, domain.RoleViewer)
		c := f.signIn(t, "ana@example.org")
		r := f.get(t, c, "/profile")
		wantStatus(t, r, http.StatusOK)
		d := doc(t, r)
		if got := testid(d, "profile-email").Text(); got != "ana@example.org" {
			t.Errorf("e-mail = %q", got)
		}
		if got := testid(d, "profile-organization").Text(); !strings.Contains(got, "OCHA") {
			t.Errorf("organisation = %q", got)
		}
		if got := testid(d, "membership-OPA").Text(); !strings.Contains(got, "Requester, Viewer") {
			t.Errorf("membership = %q", got)
		}
		if got := d.Find(`nav a[aria-current="page"]`).Text(); got != "Profile" {
			t.Errorf("current nav item = %q", got)
		}
		for id, want := range map[string]string{"current_password": "current-password", "new_password": "new-password", "password_confirm": "new-password"} {
			if got := d.Find("#"+id).AttrOr("autocomplete", ""); got != want {
				t.Errorf("#%s autocomplete = %q, want %q", id, got, want)
			}
		}
		// Each language is named in itself.
		var names []string
		d.Find("#language option").Each(func(_ int, s *goquery.Selection) { names = append(names, s.Text()) })
		if strings.Join(names, "|") != "English|Français|Español|العربية" {
			t.Errorf("languages = %q", names)
		}
	})

	t.Run("Language", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustUser(t, "ana@example.org", 0)
		c := f.signIn(t, "ana@example.org")
		if got := selected(doc(t, f.get(t, c, "/profile")), "language"); got != "en" {
			t.Fatalf("language = %q, want en", got)
		}
		wantRedirect(t, f.post(t, c, "/profile/language", url.Values{"language": {"fr"}}), "/profile")
		d := doc(t, f.get(t, c, "/profile"))
		if got := selected(d, "language"); got != "fr" {
			t.Errorf("language after saving = %q, want fr", got)
		}
		// The pages now speak French.
		if got := d.Find("html").AttrOr("lang", ""); got != "fr" {
			t.Errorf("html lang = %q, want fr", got)
		}
		r := f.post(t, c, "/profile/language", url.Values{"language": {"xx"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "language", "Choisissez")
	})

	t.Run("PasswordChange", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustUser(t, "ana@example.org", 0)
		here := f.signIn(t, "ana@example.org")
		elsewhere := f.signIn(t, "ana@example.org")
		const next = "a brand new long password"

		r := f.post(t, here, "/profile/password", url.Values{"current_password": {testPassword}, "new_password": {next}, "password_confirm": {"something else"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		d := doc(t, r)
		wantFieldError(t, d, "password_confirm", "not the same")
		for _, id := range []string{"current_password", "new_password", "password_confirm"} {
			wantValue(t, d, id, "")
		}
		r = f.post(t, here, "/profile/password", url.Values{"current_password": {"not my password"}, "new_password": {next}, "password_confirm": {next}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "current_password", "not right")
		r = f.post(t, here, "/profile/password", url.Values{"current_password": {testPassword}, "new_password": {"short"}, "password_confirm": {"short"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "new_password", "at least 12")

		before := sessionCookie(t, f, here).Value
		wantRedirect(t, f.post(t, here, "/profile/password", url.Values{"current_password": {testPassword}, "new_password": {next}, "password_confirm": {next}}), "/profile")
		if sessionCookie(t, f, here).Value == before {
			t.Error("the session token was not renewed after the password change")
		}
		r = f.get(t, here, "/profile")
		wantStatus(t, r, http.StatusOK)
		wantFlashText(t, doc(t, r), "password is changed")
		wantRedirect(t, f.get(t, elsewhere, "/profile"), "/login?next=%2Fprofile")
		wantStatus(t, f.post(t, f.client(t), "/login", url.Values{"email": {"ana@example.org"}, "password": {next}}), http.StatusSeeOther)
	})

	t.Run("Tokens", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustUser(t, "ana@example.org", 0)
		c := f.signIn(t, "ana@example.org")
		if testid(doc(t, f.get(t, c, "/profile")), "no-tokens").Length() != 1 {
			t.Error("no 'no tokens' message")
		}
		r := f.post(t, c, "/profile/tokens", url.Values{"token_name": {"Sync script"}})
		wantStatus(t, r, http.StatusCreated)
		d := doc(t, r)
		secret := strings.TrimSpace(testid(d, "new-token-secret").Text())
		if !strings.HasPrefix(secret, "cmc_") {
			t.Fatalf("secret = %q", secret)
		}
		if !strings.Contains(testid(d, "new-token").Text(), "not be shown again") {
			t.Error("the one-time note is missing")
		}
		wantValue(t, d, "token_name", "")
		if a, err := f.access.ActorForToken(t.Context(), secret); err != nil || a.Email != "ana@example.org" {
			t.Fatalf("the shown token does not work: %v", err)
		}
		r = f.get(t, c, "/profile")
		if strings.Contains(r.body, secret) || testid(doc(t, r), "new-token").Length() != 0 {
			t.Fatal("the secret is shown again on reload")
		}
		d = doc(t, r)
		row := d.Find(`[data-testid="tokens"] tbody tr`)
		if row.Length() != 1 || !strings.Contains(row.Text(), "Sync script") || !strings.Contains(row.Text(), secret[:12]+"…") {
			t.Fatalf("token row = %q", row.Text())
		}
		if got := strings.TrimSpace(row.Find(`[data-testid="token-status"]`).Text()); got != "Active" {
			t.Errorf("status = %q", got)
		}
		action := row.Find(`form`).AttrOr("action", "")
		wantRedirect(t, f.post(t, c, action, url.Values{}), "/profile")
		d = doc(t, f.get(t, c, "/profile"))
		wantFlashText(t, d, "revoked")
		row = d.Find(`[data-testid="tokens"] tbody tr`)
		if got := row.Find(`[data-testid="token-status"]`).Text(); !strings.HasPrefix(got, "Revoked") {
			t.Errorf("status after revoking = %q", got)
		}
		if row.Find(`[data-testid="token-revoke"]`).Length() != 0 {
			t.Error("a revoked token still offers a revoke button")
		}
		if _, err := f.access.ActorForToken(t.Context(), secret); domain.ErrorCode(err) != domain.CodeUnauthorized {
			t.Errorf("revoked token: err = %v", err)
		}

		// Someone else's token is not found.
		f.mustUser(t, "bea@example.org", 0)
		wantStatus(t, f.post(t, f.signIn(t, "bea@example.org"), action, url.Values{}), http.StatusNotFound)

		r = f.post(t, c, "/profile/tokens", url.Values{"token_name": {strings.Repeat("x", 101)}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "token_name", "too long")
	})

	t.Run("ErrAnonymous", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		wantRedirect(t, f.get(t, f.client(t), "/profile"), "/login?next=%2Fprofile")
		wantRedirect(t, f.post(t, f.client(t), "/profile/tokens", url.Values{"token_name": {"x"}}), "/login")
	})
}
