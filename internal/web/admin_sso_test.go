package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/oidcop"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/internal/web"
)

// ssoBase is the fixture's -base-url in the single sign-on tests: the
// provider's redirect goes there, and the test carries the answer to the
// test server itself (the provider never requests it).
const ssoBase = "http://cmcoord.test"

// newSSOFixture is a fixture with single sign-on wired, as serve does.
func newSSOFixture(t *testing.T) *fixture {
	t.Helper()
	pool := testdb.New(t)
	return newFixtureOn(t, pool, func(o *web.Options) {
		o.SSO = service.NewSSO(store.New(pool), o.Directory, time.Now, o.Log)
		o.BaseURL = ssoBase
	}).withAdmin(t)
}

// ssoSignIn runs a sign-in at provider slug as username with client c
// and returns cmcoord's answer to the provider's redirect.
func (f *fixture) ssoSignIn(t *testing.T, c *http.Client, op *oidcop.OP, slug, username, password string) response {
	t.Helper()
	r := f.get(t, c, "/login/sso/"+slug+"?next=%2Fprofile")
	wantStatus(t, r, http.StatusSeeOther)
	q := op.SignIn(t, r.Header.Get("Location"), username, password)
	return f.get(t, c, "/login/sso/"+slug+"/callback?"+q.Encode())
}

// TestAdminSSO: the provider form shows the redirect URL's placeholder
// readably and requires trusted e-mail domains; the list and the edit
// form show them; a sign-in at a domain the provider does not vouch for
// is refused with its reason, whatever account it names; a person linked
// by single sign-on, who has no password, is told on the profile how
// they sign in and that a token needs a password, with no form asking
// for one.
func TestAdminSSO(t *testing.T) {
	t.Parallel()
	f := newSSOFixture(t)
	ctx := t.Context()
	admin := f.signIn(t, "admin@example.org")

	d := doc(t, f.get(t, admin, "/admin/sso/new"))
	hint := d.Find("#slug-hint").Text()
	if !strings.Contains(hint, ssoBase+"/login/sso/<short name>/callback") || strings.Contains(hint, "%") {
		t.Errorf("slug hint = %q, want the redirect URL with a readable placeholder", hint)
	}
	if d.Find("#trusted_domains[required]").Length() != 1 {
		t.Error("the form has no required trusted domains field")
	}

	const pass = "idp pass"
	op := oidcop.Start(t, ssoBase+"/login/sso/acme/callback",
		oidcop.User{Subject: "s-ana", Username: "ana", Password: pass, Email: "ana@WFP.org", EmailVerified: true, Name: "Ana Idp"},
		oidcop.User{Subject: "s-admin", Username: "admin", Password: pass, Email: "admin@example.org", EmailVerified: true, Name: "Not Ada"},
		oidcop.User{Subject: "s-viewer", Username: "viewer", Password: pass, Email: "viewer@unicef.org", EmailVerified: true, Name: "Vi"})
	form := url.Values{"name": {"Acme ID"}, "slug": {"acme"}, "issuer_url": {op.Issuer}, "client_id": {op.ClientID},
		"client_secret": {op.ClientSecret}, "enabled": {"true"}}
	r := f.post(t, admin, "/admin/sso/new", form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if msg := doc(t, r).Find("#trusted_domains-error").Text(); !strings.Contains(msg, "at least one e-mail domain") {
		t.Errorf("no domains: message %q", msg)
	}
	form.Set("trusted_domains", "*.wfp.org")
	r = f.post(t, admin, "/admin/sso/new", form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if msg := doc(t, r).Find("#trusted_domains-error").Text(); !strings.Contains(msg, "domain names only") {
		t.Errorf("a wildcard: message %q", msg)
	}
	form.Set("trusted_domains", "WFP.org, @unhcr.org")
	wantRedirect(t, f.post(t, admin, "/admin/sso/new", form), "/admin/sso")
	d = doc(t, f.get(t, admin, "/admin/sso"))
	if got := testid(d, "sso-provider-acme").Find(`[data-testid="sso-domains"]`).Text(); strings.TrimSpace(got) != "wfp.org, unhcr.org" {
		t.Errorf("listed domains = %q", got)
	}
	ps, err := f.dir.DirectoryLog(ctx, f.admin, 0, 1)
	if err != nil || len(ps.Items) != 1 || !strings.Contains(string(ps.Items[0].Payload), "wfp.org, unhcr.org") {
		t.Errorf("the log's entry for the new provider = %+v, %v; want its domains", ps.Items, err)
	}
	href, _ := testid(d, "sso-provider-acme").Find("a").Attr("href")
	wantValue(t, doc(t, f.get(t, admin, href)), "trusted_domains", "wfp.org, unhcr.org")

	// Outside the provider's domains: refused with the reason, whether
	// the e-mail is the administrator's or nobody's here.
	for _, who := range []string{"admin", "viewer"} {
		c := f.client(t)
		r := f.ssoSignIn(t, c, op, "acme", who, pass)
		wantStatus(t, r, http.StatusUnauthorized)
		if msg := testid(doc(t, r), "error-summary").Text(); !strings.Contains(msg, "does not vouch for e-mail addresses at this domain") {
			t.Errorf("%s: refusal shows %q", who, msg)
		}
		wantRedirect(t, f.get(t, c, "/profile"), "/login?next=%2Fprofile")
	}

	// Ana has an account with no password (created for single sign-on)
	// and is linked by her verified e-mail.
	ana, _, err := f.dir.CreateUser(ctx, f.admin, service.NewUser{User: domain.User{Email: "ana@wfp.org", Name: "Ana Requester",
		OrganizationID: f.org.ID, Language: "en"}, SSO: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	c := f.client(t)
	wantRedirect(t, f.ssoSignIn(t, c, op, "acme", "ana", pass), "/profile")
	d = doc(t, f.get(t, c, "/profile"))
	if !strings.Contains(testid(d, "sso-only").Text(), "sign in with your organisation's sign-in service") {
		t.Errorf("the profile does not say how Ana signs in:\n%s", testid(d, "sso-only").Text())
	}
	if testid(d, "password-form").Length() != 0 || testid(d, "token-form").Length() != 0 || d.Find("#current_password, #token_password").Length() != 0 {
		t.Error("the profile asks a user with no password for one")
	}
	if !strings.Contains(testid(d, "token-needs-password").Text(), "set-password link") {
		t.Errorf("token creation does not say how to get a password: %q", testid(d, "token-needs-password").Text())
	}
	// A set-password link from an administrator brings the forms back.
	link := f.post(t, admin, "/admin/users/"+strconv.FormatInt(ana.ID, 10)+"/password-link", url.Values{})
	if link.StatusCode >= 400 {
		t.Fatalf("set-password link: %d", link.StatusCode)
	}
	linkURL := testid(doc(t, link), "password-link-secret").Text()
	secret := linkURL[strings.LastIndex(linkURL, "/")+1:]
	if _, err := f.access.SetPasswordWithLink(ctx, secret, testPassword, "10.0.0.1"); err != nil {
		t.Fatalf("set password with %q: %v", linkURL, err)
	}
	d = doc(t, f.get(t, f.signIn(t, "ana@wfp.org"), "/profile"))
	if testid(d, "password-form").Length() != 1 || testid(d, "token-form").Length() != 1 || testid(d, "sso-only").Length() != 0 {
		t.Error("a user with a password has no password or token form")
	}
}
