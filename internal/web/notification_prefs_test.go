package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// TestNotificationPrefsPage: the page lists the kinds the user's roles
// receive, each with its current delivery checked and its default
// marked; one POST saves them; a tampered value is refused.
func TestNotificationPrefsPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustOperation(t, "OPA", domain.ContextMixed)
	ana := f.mustUser(t, "ana@example.org", 0)
	f.mustMember(t, "OPA", ana, domain.RoleOfficer)
	c := f.signIn(t, "ana@example.org")

	if href := testid(doc(t, f.get(t, c, "/profile")), "notification-prefs-link").AttrOr("href", ""); href != "/profile/notifications" {
		t.Errorf("the profile links to %q, want /profile/notifications", href)
	}
	r := f.get(t, c, "/profile/notifications")
	wantStatus(t, r, http.StatusOK)
	d := doc(t, r)
	isChecked := func(id string) bool { _, ok := testid(d, id).Attr("checked"); return ok }
	for id, want := range map[string]bool{"pref-submitted-email": true, "pref-submitted-digest": false, "pref-comment-digest": true,
		"pref-review_closed-email": true} {
		if got := isChecked(id); got != want {
			t.Errorf("%s checked = %v, want %v", id, got, want)
		}
	}
	if testid(d, "pref-submitted-email-default").Length() != 1 || testid(d, "pref-submitted-digest-default").Length() != 0 {
		t.Error("the default of submissions (e-mail now) is not marked, or is marked elsewhere")
	}
	if testid(d, "pref-tasked").Length() != 0 || testid(d, "pref-account_password").Length() != 0 {
		t.Error("the page offers a requester's kind or an account kind to an officer")
	}

	wantRedirect(t, f.post(t, c, "/profile/notifications", url.Values{"pref.submitted": {"digest"}, "pref.comment": {"email"},
		"pref.review_closed": {"email"}}), "/profile/notifications")
	d = doc(t, f.get(t, c, "/profile/notifications"))
	for id, want := range map[string]bool{"pref-submitted-digest": true, "pref-submitted-email": false, "pref-comment-email": true} {
		if got := isChecked(id); got != want {
			t.Errorf("after saving, %s checked = %v, want %v", id, got, want)
		}
	}
	if testid(d, "pref-submitted-email-default").Length() != 1 {
		t.Error("after saving, the default is no longer marked")
	}
	var stored int
	if err := f.pool.QueryRow(t.Context(), `SELECT count(*) FROM notification_preferences WHERE user_id = $1`, ana.ID).Scan(&stored); err != nil || stored != 2 {
		t.Errorf("%d preferences stored (%v), want 2 (the default chosen again is not)", stored, err)
	}
	wantStatus(t, f.post(t, c, "/profile/notifications", url.Values{"pref.submitted": {"pigeon"}}), http.StatusUnprocessableEntity)
	wantStatus(t, f.post(t, c, "/profile/notifications", url.Values{"pref.account_password": {"inapp"}}), http.StatusUnprocessableEntity)
}

// TestDigestUnsubscribe: the digest's link, opened (GET), only asks;
// posted (one click, no session), it turns the user's digest kinds to
// in-app only; a link not signed by the installation is 404.
func TestDigestUnsubscribe(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustOperation(t, "OPA", domain.ContextMixed)
	ana := f.mustUser(t, "ana@example.org", 0)
	f.mustMember(t, "OPA", ana, domain.RoleOfficer)
	key, err := store.New(f.pool).InstanceSecret(t.Context(), domain.DigestUnsubscribeSecret, []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	path := "/unsubscribe/digest/" + domain.DigestUnsubscribeToken(key, ana.ID)
	comments := func() string {
		var d string
		err := f.pool.QueryRow(t.Context(), `SELECT coalesce((SELECT delivery FROM notification_preferences WHERE user_id = $1 AND kind = 'comment'), 'default')`, ana.ID).Scan(&d)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	anon := f.client(t)
	r := f.get(t, anon, path)
	wantStatus(t, r, http.StatusOK)
	d := doc(t, r)
	if action := testid(d, "unsubscribe-form").AttrOr("action", ""); action != path {
		t.Errorf("the confirmation posts to %q, want %q", action, path)
	}
	if got := comments(); got != "default" {
		t.Fatalf("after the GET, comments go %q, want the default still", got)
	}
	wantStatus(t, f.get(t, anon, path+"x"), http.StatusNotFound)
	wantStatus(t, f.post(t, anon, path+"x", url.Values{"List-Unsubscribe": {"One-Click"}}), http.StatusNotFound)

	r = f.post(t, anon, path, url.Values{"List-Unsubscribe": {"One-Click"}})
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(testid(doc(t, r), "unsubscribe-done").Text(), "stopped") {
		t.Error("the POST does not say the digest stopped")
	}
	if got := comments(); got != "inapp" {
		t.Fatalf("after the POST, comments go %q, want inapp", got)
	}
	// The token never expires: the log keeps the route, never the path.
	if strings.Contains(f.logs.String(), strings.TrimPrefix(path, "/unsubscribe/digest/")) {
		t.Error("the unsubscribe token was logged")
	}
}

// TestDigestUnsubscribe_Language: the link's pages, the confirmation and
// the one-click POST's answer, speak the token's user's language to an
// anonymous visitor who chose none; the visitor's own choice (the
// language switcher's cookie) wins.
func TestDigestUnsubscribe_Language(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustOperation(t, "OPA", domain.ContextMixed)
	ana := f.mustUser(t, "ana@example.org", 0)
	f.mustMember(t, "OPA", ana, domain.RoleOfficer)
	if _, err := f.pool.Exec(t.Context(), `UPDATE users SET language = 'es' WHERE id = $1`, ana.ID); err != nil {
		t.Fatal(err)
	}
	key, err := store.New(f.pool).InstanceSecret(t.Context(), domain.DigestUnsubscribeSecret, []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	path := "/unsubscribe/digest/" + domain.DigestUnsubscribeToken(key, ana.ID)

	d := doc(t, f.get(t, f.client(t), path))
	if got := d.Find("html").AttrOr("lang", ""); got != "es" || !strings.Contains(d.Find("title").Text(), "Detener el resumen diario") {
		t.Errorf("the confirmation is in %q (title %q), want the user's es", got, d.Find("title").Text())
	}
	fr := f.client(t)
	u, _ := url.Parse(f.srv.URL)
	fr.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: "fr", Path: "/"}})
	if got := doc(t, f.get(t, fr, path)).Find("html").AttrOr("lang", ""); got != "fr" {
		t.Errorf("with the switcher's fr the confirmation is in %q", got)
	}
	r := f.post(t, f.client(t), path, url.Values{"List-Unsubscribe": {"One-Click"}})
	wantStatus(t, r, http.StatusOK)
	d = doc(t, r)
	if got := d.Find("html").AttrOr("lang", ""); got != "es" || !strings.Contains(testid(d, "unsubscribe-done").Text(), "El resumen diario se detuvo") {
		t.Errorf("the one-click answer is in %q: %q, want es", got, testid(d, "unsubscribe-done").Text())
	}
}

// TestNotificationPrefsPage_DefaultMark: the default's mark is set apart
// from its delivery's label by a space, in every language.
func TestNotificationPrefsPage_DefaultMark(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustOperation(t, "OPA", domain.ContextMixed)
	ana := f.mustUser(t, "ana@example.org", 0)
	f.mustMember(t, "OPA", ana, domain.RoleOfficer)
	c := f.signIn(t, "ana@example.org")
	for lang, want := range map[string]string{"en": "E-mail now (default)", "fr": "E-mail immédiat (par défaut)",
		"es": "Correo inmediato (predeterminado)", "ar": "بريد إلكتروني فوري (افتراضي)"} {
		if _, err := f.pool.Exec(t.Context(), `UPDATE users SET language = $2 WHERE id = $1`, ana.ID, lang); err != nil {
			t.Fatal(err)
		}
		d := doc(t, f.get(t, c, "/profile/notifications"))
		got := strings.Join(strings.Fields(d.Find(`label[for="pref-submitted-email"]`).Text()), " ")
		if got != want {
			t.Errorf("%s: the default delivery reads %q, want %q", lang, got, want)
		}
	}
}
