package web_test

import (
	"net/http"
	"net/url"
	"strconv"
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

		r = f.post(t, here, "/profile/password", url.Values{"current_password": {testPassword}, "new_password": {"Password2024!"}, "password_confirm": {"Password2024!"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "new_password", "common or breached")
		r = f.post(t, here, "/profile/password", url.Values{"current_password": {testPassword}, "new_password": {"ana@example.org"}, "password_confirm": {"ana@example.org"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "new_password", "e-mail address")

		// Two live tokens are offered to keep, neither ticked; one is kept.
		keep, kept, err := f.access.IssueTokenForEmail(t.Context(), "ana@example.org", domain.NewToken{Name: "Keep me", Scope: domain.TokenRead})
		if err != nil {
			t.Fatal(err)
		}
		drop, _, err := f.access.IssueTokenForEmail(t.Context(), "ana@example.org", domain.NewToken{Name: "Drop me", Scope: domain.TokenFull})
		if err != nil {
			t.Fatal(err)
		}
		boxes := doc(t, f.get(t, here, "/profile")).Find(`[data-testid="keep-tokens"] input[type="checkbox"]`)
		if boxes.Length() != 2 || boxes.Filter("[checked]").Length() != 0 {
			t.Errorf("%d keep boxes (%d ticked), want 2 unticked", boxes.Length(), boxes.Filter("[checked]").Length())
		}
		keepID := strconv.FormatInt(kept.ID, 10)
		r = f.post(t, here, "/profile/password", url.Values{"current_password": {testPassword}, "new_password": {"short"}, "password_confirm": {"short"}, "keep_token": {keepID}})
		if testid(doc(t, r), "keep-token-"+keepID).AttrOr("checked", "none") == "none" {
			t.Error("a refused form forgot the token the user chose to keep")
		}

		before := sessionCookie(t, f, here).Value
		wantRedirect(t, f.post(t, here, "/profile/password", url.Values{"current_password": {testPassword}, "new_password": {next}, "password_confirm": {next},
			"keep_token": {keepID}}), "/profile")
		if _, err := f.access.ActorForToken(t.Context(), keep); err != nil {
			t.Errorf("the kept token: %v", err)
		}
		if _, err := f.access.ActorForToken(t.Context(), drop); domain.ErrorCode(err) != domain.CodeUnauthorized {
			t.Errorf("the token not kept: %v, want unauthorized", err)
		}
		if sessionCookie(t, f, here).Value == before {
			t.Error("the session token was not renewed after the password change")
		}
		r = f.get(t, here, "/profile")
		wantStatus(t, r, http.StatusOK)
		wantFlashText(t, doc(t, r), "password is changed")
		wantRedirect(t, f.get(t, elsewhere, "/profile"), "/login?next=%2Fprofile")
		wantStatus(t, f.post(t, f.client(t), "/login", url.Values{"email": {"ana@example.org"}, "password": {next}}), http.StatusSeeOther)
		if notes := doc(t, f.get(t, here, "/notifications")).Find(`[data-testid="notification-summary"]`).Text(); !strings.Contains(notes, "Your password was changed") {
			t.Errorf("notifications = %q, want the password change", notes)
		}
	})

	t.Run("Tokens", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustUser(t, "ana@example.org", 0)
		c := f.signIn(t, "ana@example.org")
		if testid(doc(t, f.get(t, c, "/profile")), "no-tokens").Length() != 1 {
			t.Error("no 'no tokens' message")
		}
		d := doc(t, f.get(t, c, "/profile"))
		// Least by default: read-only, 90 days.
		if sc, ex := selected(d, "token_scope"), selected(d, "token_expires"); sc != "read" || ex != "90" {
			t.Errorf("token form defaults: scope %q, expiry %q; want read, 90", sc, ex)
		}
		r := f.post(t, c, "/profile/tokens", url.Values{"token_name": {"Sync script"}, "token_scope": {"full"}, "token_expires": {"never"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "token_password", "Enter")
		r = f.post(t, c, "/profile/tokens", url.Values{"token_name": {"Sync script"}, "token_scope": {"full"}, "token_expires": {"never"},
			"token_password": {"not my password"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "token_password", "not right")
		wantValue(t, doc(t, r), "token_name", "Sync script")
		r = f.post(t, c, "/profile/tokens", url.Values{"token_name": {"Sync script"}, "token_scope": {"full"}, "token_expires": {"never"},
			"token_password": {testPassword}})
		wantStatus(t, r, http.StatusCreated)
		d = doc(t, r)
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
		if sc, ex := strings.TrimSpace(row.Find(`[data-testid="token-scope"]`).Text()), strings.TrimSpace(row.Find(`[data-testid="token-expires"]`).Text()); sc != "Read and write" || ex != "Never" {
			t.Errorf("scope %q, expiry %q; want Read and write, Never", sc, ex)
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

		r = f.post(t, c, "/profile/tokens", url.Values{"token_name": {strings.Repeat("x", 101)}, "token_scope": {"read"}, "token_expires": {"30"}, "token_password": {testPassword}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "token_name", "too long")
		r = f.post(t, c, "/profile/tokens", url.Values{"token_scope": {"read"}, "token_expires": {"7"}, "token_password": {testPassword}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "token_expires", "Choose")

		// A read-only token for 30 days: its row says so, and it reads but does not write.
		r = f.post(t, c, "/profile/tokens", url.Values{"token_name": {"Reader"}, "token_scope": {"read"}, "token_expires": {"30"}, "token_password": {testPassword}})
		wantStatus(t, r, http.StatusCreated)
		reader := strings.TrimSpace(testid(doc(t, r), "new-token-secret").Text())
		a, err := f.access.ActorForToken(t.Context(), reader)
		if err != nil || !a.ReadOnly {
			t.Errorf("the read-only token's actor: %+v, %v", a, err)
		}
		row = doc(t, f.get(t, c, "/profile")).Find(`[data-testid="tokens"] tbody tr`).First()
		if sc, ex := strings.TrimSpace(row.Find(`[data-testid="token-scope"]`).Text()), row.Find(`[data-testid="token-expires"]`).Text(); sc != "Read only" || ex == "Never" {
			t.Errorf("scope %q, expiry %q; want Read only, a date", sc, ex)
		}
		// Each new token was told to its user.
		notes := doc(t, f.get(t, c, "/notifications")).Find(`[data-testid="notification-summary"]`).Text()
		if strings.Count(notes, "new API token") != 2 {
			t.Errorf("notifications = %q, want two new-token notices", notes)
		}
	})

	t.Run("ErrAnonymous", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		wantRedirect(t, f.get(t, f.client(t), "/profile"), "/login?next=%2Fprofile")
		wantRedirect(t, f.post(t, f.client(t), "/profile/tokens", url.Values{"token_name": {"x"}}), "/login")
	})
}
