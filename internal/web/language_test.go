package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestLanguageSwitcher: the footer's switcher on every page names each
// language in itself; an anonymous visitor's choice is kept in a cookie
// and beats Accept-Language; a signed-in user's choice is saved to the
// profile; the way back is a local path only; an unknown language is
// refused.
func TestLanguageSwitcher(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustOperation(t, "OPA", domain.ContextMixed)
	ana := f.mustUser(t, "ana@example.org", 0)
	f.mustMember(t, "OPA", ana, domain.RoleRequester)

	htmlLang := func(r response) (string, string) {
		d := doc(t, r).Find("html")
		return d.AttrOr("lang", ""), d.AttrOr("dir", "")
	}
	anon := f.client(t)
	r := do(t, http.MethodGet, f.srv.URL+"/login", map[string]string{"Accept-Language": "es-ES,es;q=0.9"})
	if lang, dir := htmlLang(r); lang != "es" || dir != "ltr" {
		t.Errorf("Accept-Language es: lang %q dir %q", lang, dir)
	}
	d := doc(t, f.get(t, anon, "/login"))
	sw := testid(d, "language-switch")
	if sw.AttrOr("action", "") != "/language" || sw.Find(`input[name="return"]`).AttrOr("value", "") != "/login" {
		t.Errorf("switcher form = %s", sw.AttrOr("action", ""))
	}
	if got := sw.Find(`option[value="ar"]`); got.Text() != "العربية" || got.AttrOr("lang", "") != "ar" {
		t.Errorf("Arabic option = %q lang %q", got.Text(), got.AttrOr("lang", ""))
	}
	if sw.Find("label[for=footer-language]").Length() != 1 {
		t.Error("the select has no label")
	}

	r = f.post(t, anon, "/language", url.Values{"language": {"ar"}, "return": {"/login?next=%2F"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=%2F" {
		t.Fatalf("switch: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	r = f.get(t, anon, "/login")
	if lang, dir := htmlLang(r); lang != "ar" || dir != "rtl" {
		t.Errorf("after choosing Arabic: lang %q dir %q", lang, dir)
	}
	if got := testid(doc(t, r), "language-switch").Find("option[selected]").AttrOr("value", ""); got != "ar" {
		t.Errorf("selected = %q", got)
	}

	// Off-site and malformed ways back go home.
	for _, ret := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example", ""} {
		r = f.post(t, anon, "/language", url.Values{"language": {"fr"}, "return": {ret}})
		if r.Header.Get("Location") != "/" {
			t.Errorf("return %q: Location %q", ret, r.Header.Get("Location"))
		}
	}
	wantStatus(t, f.post(t, anon, "/language", url.Values{"language": {"tlh"}, "return": {"/"}}), http.StatusUnprocessableEntity)

	// Signed in: the profile language changes.
	c := f.signIn(t, "ana@example.org")
	r = f.post(t, c, "/language", url.Values{"language": {"fr"}, "return": {"/profile"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/profile" {
		t.Fatalf("signed-in switch: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	u, err := f.dir.GetUser(t.Context(), f.admin, ana.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.Language != "fr" {
		t.Errorf("profile language = %q", u.Language)
	}
	if lang, _ := htmlLang(f.get(t, c, "/profile")); lang != "fr" {
		t.Errorf("page language = %q", lang)
	}
}
