package service_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/testutil/oidcop"
)

const ssoRedirect = "http://127.0.0.1:1/login/sso/acme/callback" // never requested: SignIn stops at it

// The people of the test provider, by username.
var ssoPeople = []oidcop.User{
	{Subject: "sub-ana", Username: "ana", Password: pw, Email: "ana@wfp.org", EmailVerified: true, Name: "Ana Idp"},
	{Subject: "sub-mallory", Username: "mallory", Password: pw, Email: "ana@wfp.org", EmailVerified: false, Name: "Mallory"},
	{Subject: "sub-ana2", Username: "ana2", Password: pw, Email: "ANA@wfp.org", EmailVerified: true, Name: "Ana Again"},
	{Subject: "sub-new", Username: "new", Password: pw, Email: "new@wfp.org", EmailVerified: true, Name: "Nour New"},
	// People at domains the provider does not vouch for (at first): the
	// instance's administrator, a colleague of another organisation, and
	// someone with no account.
	{Subject: "sub-admin", Username: "admin", Password: pw, Email: "admin@example.org", EmailVerified: true, Name: "Not Ada"},
	{Subject: "sub-boss", Username: "boss", Password: pw, Email: "boss@example.org", EmailVerified: true, Name: "Bo Boss"},
	{Subject: "sub-outsider", Username: "outsider", Password: pw, Email: "someone@field.wfp.org", EmailVerified: true, Name: "Out Sider"},
}

type ssoFixture struct {
	*accessFixture
	sso  *service.SSO
	op   *oidcop.OP
	prov domain.SSOProvider
	seen map[string]bool // the refusal reasons wantRefused saw
}

func (f *accessFixture) withSSO(t *testing.T) *ssoFixture {
	t.Helper()
	sf := &ssoFixture{accessFixture: f, op: oidcop.Start(t, ssoRedirect, ssoPeople...)}
	sf.sso = service.NewSSO(f.st, f.dir, f.clock.now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	p, err := sf.sso.CreateProvider(t.Context(), f.admin, domain.SSOProvider{Slug: "acme", Name: "Acme ID", IssuerURL: sf.op.Issuer,
		ClientID: sf.op.ClientID, Enabled: true, TrustedDomains: []string{"wfp.org"}}, sf.op.ClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	sf.prov = p
	return sf
}

// signIn runs the whole flow as username at the provider; tamper, when
// not nil, changes what the callback brings before Complete sees it.
func (f *ssoFixture) signIn(t *testing.T, username string, tamper func(*service.SSOPending, *service.SSOCallback)) (domain.User, error) {
	t.Helper()
	ctx := t.Context()
	authURL, pend, err := f.sso.Begin(ctx, "acme", ssoRedirect, "/next")
	if err != nil {
		t.Fatal(err)
	}
	q := f.op.SignIn(t, authURL, username, pw)
	cb := service.SSOCallback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error")}
	if tamper != nil {
		tamper(&pend, &cb)
	}
	return f.sso.Complete(ctx, "acme", ssoRedirect, pend, cb, "192.0.2.7")
}

// newest returns the last n entries of the security log, oldest first.
func (f *ssoFixture) newest(t *testing.T, n int) []domain.DirectoryEvent {
	t.Helper()
	page, err := f.dir.DirectoryLog(t.Context(), f.admin, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]domain.DirectoryEvent, len(page.Items))
	for i, e := range page.Items {
		out[len(out)-1-i] = e
	}
	return out
}

func payloadOf(t *testing.T, e domain.DirectoryEvent) map[string]any {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantLog checks that the newest entries are actions, in order, each by
// and about user id (0: none) from the callback's address, and every
// sign-in and failure names the method and the provider.
func (f *ssoFixture) wantLog(t *testing.T, id int64, actions ...string) {
	t.Helper()
	for i, e := range f.newest(t, len(actions)) {
		p := payloadOf(t, e)
		if e.Action != actions[i] || e.Target.ID != id || e.ActorID != id || p["address"] != "192.0.2.7" {
			t.Errorf("log entry %d = %s on %v by %d %s, want %s on user %d", i, e.Action, e.Target, e.ActorID, e.Payload, actions[i], id)
		}
		if (e.Action == domain.DirSignedIn || e.Action == domain.DirSignInFailed) && (p["method"] != "sso" || p["provider"] != "acme") {
			t.Errorf("%s payload %s, want method sso and provider acme", e.Action, e.Payload)
		}
	}
}

// wantRefused checks a refusal's reason and its log entry: about user
// id (0: no account), from the callback's address, by nobody — whoever
// came back from the provider is not known to be the account's owner,
// as after a wrong password. It records the reason in seen.
func (f *ssoFixture) wantRefused(t *testing.T, err error, reason string, id int64) {
	t.Helper()
	if got := domain.SSORefusalReason(err); got != reason {
		t.Fatalf("refusal = %v (reason %q), want reason %q", err, got, reason)
	}
	e := f.newest(t, 1)[0]
	p := payloadOf(t, e)
	if e.Action != domain.DirSignInFailed || e.Target.ID != id || e.ActorID != 0 || p["address"] != "192.0.2.7" ||
		p["method"] != "sso" || p["provider"] != "acme" || p["reason"] != "sso.refused."+reason {
		t.Errorf("refusal %s logged as %s on %v by %d %s; want %s on user %d by nobody", reason, e.Action, e.Target, e.ActorID, e.Payload,
			domain.DirSignInFailed, id)
	}
	if f.seen == nil {
		f.seen = map[string]bool{}
	}
	f.seen[reason] = true
}

// TestSSO walks a provider's life against a real OpenID provider: link
// by verified e-mail, the link reused, a second subject for a linked
// account, an unverified e-mail, an unknown one without and with
// provisioning, a disabled account, and tampered callbacks.
func TestSSO(t *testing.T) {
	t.Parallel()
	f := newAccessFixture(t).withSSO(t)
	ctx := t.Context()

	// Link by verified e-mail (cmcoord has "Ana@WFP.org"; the provider
	// says "ana@wfp.org": e-mail is matched in any case).
	u, err := f.signIn(t, "ana", nil)
	if err != nil || u.ID != f.user.ID {
		t.Fatalf("first sign-in = %+v, %v; want Ana linked", u, err)
	}
	// The sign-in itself is logged when its session opens
	// (Access.StartSession, from the web face).
	f.wantLog(t, f.user.ID, domain.DirSSOLinked)
	linkedAt := f.newest(t, 1)[0].Seq

	// The link is reused: the same subject signs in, nothing new linked.
	if u, err = f.signIn(t, "ana", nil); err != nil || u.ID != f.user.ID {
		t.Fatalf("second sign-in = %+v, %v", u, err)
	}
	if now := f.newest(t, 1)[0].Seq; now != linkedAt {
		t.Errorf("a sign-in by a linked subject logged %d entries, want none before its session opens", now-linkedAt)
	}

	// Another subject presenting the linked account's e-mail is refused.
	_, err = f.signIn(t, "ana2", nil)
	f.wantRefused(t, err, domain.SSORefusedLinked, f.user.ID)

	// An unverified e-mail is refused, whatever account it names.
	_, err = f.signIn(t, "mallory", nil)
	f.wantRefused(t, err, domain.SSORefusedUnverified, 0)

	// An unknown e-mail: refused while the provider does not provision.
	_, err = f.signIn(t, "new", nil)
	f.wantRefused(t, err, domain.SSORefusedNoAccount, 0)
	if _, err := f.st.GetUserByEmail(ctx, "new@wfp.org"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("an account was created silently: %v", err)
	}

	// Provisioning into a named organisation creates the account there,
	// with no roles, logged as created by the new user.
	org, err := f.dir.CreateOrganization(ctx, f.admin, domain.Organization{Name: "Relief NGO", Acronym: "RNG", Type: domain.OrgINGO})
	if err != nil {
		t.Fatal(err)
	}
	p := f.prov
	p.ProvisionOrgID = org.ID
	if f.prov, err = f.sso.UpdateProvider(ctx, f.admin, p, ""); err != nil {
		t.Fatal(err)
	}
	nu, err := f.signIn(t, "new", nil)
	if err != nil || nu.OrganizationID != org.ID || nu.Email != "new@wfp.org" || nu.Name != "Nour New" || nu.HasPassword {
		t.Fatalf("provisioned = %+v, %v", nu, err)
	}
	if ms, err := f.st.ListMemberships(ctx, nu.ID, time.Now()); err != nil || len(ms) != 0 {
		t.Errorf("provisioned account's memberships = %v, %v; want none", ms, err)
	}
	f.wantLog(t, nu.ID, domain.DirUserCreated, domain.DirSSOLinked)
	if again, err := f.signIn(t, "new", nil); err != nil || again.ID != nu.ID {
		t.Errorf("provisioned account signs in again as %+v, %v", again, err)
	}

	// A provider vouches only for its trusted domains, whatever the
	// account: not for the instance's administrator, a colleague at
	// another organisation's domain, nor a subdomain of its own; and not
	// by provisioning an account there either (it provisions now).
	for _, username := range []string{"admin", "boss", "outsider"} {
		_, err = f.signIn(t, username, nil)
		f.wantRefused(t, err, domain.SSORefusedDomain, 0)
	}
	if _, err := f.st.GetUserByEmail(ctx, "someone@field.wfp.org"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("an account was provisioned outside the provider's domains: %v", err)
	}

	// Trusting example.org too: an administrator's account is still
	// never linked by single sign-on; another account there is.
	p = f.prov
	p.TrustedDomains = []string{"wfp.org", "Example.org"}
	if f.prov, err = f.sso.UpdateProvider(ctx, f.admin, p, ""); err != nil {
		t.Fatal(err)
	}
	if got := f.newest(t, 1)[0]; got.Action != domain.DirSSOProviderUpdated || !strings.Contains(string(got.Payload), "example.org") {
		t.Errorf("a change of trusted domains logged as %s %s", got.Action, got.Payload)
	}
	_, err = f.signIn(t, "admin", nil)
	f.wantRefused(t, err, domain.SSORefusedAdmin, f.admin.UserID)
	boss, _, err := f.dir.CreateUser(ctx, f.admin, service.NewUser{User: domain.User{Email: "boss@example.org", Name: "Bo",
		OrganizationID: f.user.OrganizationID}, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := f.signIn(t, "boss", nil); err != nil || u.ID != boss.ID {
		t.Fatalf("boss links as %+v, %v", u, err)
	}
	// An identity linked before its account became an administrator's
	// still signs in (the second factor follows, at the face).
	boss.IsAdmin = true
	if boss, err = f.dir.UpdateUser(ctx, f.admin, boss); err != nil {
		t.Fatal(err)
	}
	if u, err := f.signIn(t, "boss", nil); err != nil || u.ID != boss.ID || !u.IsAdmin {
		t.Fatalf("a linked administrator signs in as %+v, %v", u, err)
	}
	// Dropping a domain refuses the identities already linked there.
	p = f.prov
	p.TrustedDomains = []string{"wfp.org"}
	f.clock.t = f.clock.t.Add(time.Minute)
	if f.prov, err = f.sso.UpdateProvider(ctx, f.admin, p, ""); err != nil {
		t.Fatal(err)
	}
	_, err = f.signIn(t, "boss", nil)
	f.wantRefused(t, err, domain.SSORefusedDomain, 0)

	// A disabled account is refused, linked or not.
	ana := f.user
	ana.Disabled = true
	ana.UpdatedAt = f.user.UpdatedAt
	if _, err := f.dir.UpdateUser(ctx, f.admin, ana); err != nil {
		t.Fatal(err)
	}
	_, err = f.signIn(t, "ana", nil)
	f.wantRefused(t, err, domain.SSORefusedDisabled, f.user.ID)

	// Tampered callbacks: each is refused and logged, none signs in.
	for _, tc := range []struct {
		name   string
		reason string
		tamper func(*service.SSOPending, *service.SSOCallback)
	}{
		{"state", domain.SSORefusedState, func(_ *service.SSOPending, cb *service.SSOCallback) { cb.State += "x" }},
		{"no state kept", domain.SSORefusedState, func(p *service.SSOPending, _ *service.SSOCallback) { *p = service.SSOPending{} }},
		{"other provider's flow", domain.SSORefusedState, func(p *service.SSOPending, _ *service.SSOCallback) { p.Provider = "other" }},
		{"too late", domain.SSORefusedState, func(p *service.SSOPending, _ *service.SSOCallback) {
			p.Started = p.Started.Add(-service.SSOPendingLifetime - time.Second)
		}},
		{"nonce", domain.SSORefusedProvider, func(p *service.SSOPending, _ *service.SSOCallback) { p.Nonce += "x" }},
		{"PKCE verifier", domain.SSORefusedProvider, func(p *service.SSOPending, _ *service.SSOCallback) { p.Verifier += "x" }},
		{"code", domain.SSORefusedProvider, func(_ *service.SSOPending, cb *service.SSOCallback) { cb.Code += "x" }},
		{"provider error", domain.SSORefusedProvider, func(_ *service.SSOPending, cb *service.SSOCallback) {
			cb.Code, cb.Error = "", "access_denied"
		}},
	} {
		_, err := f.signIn(t, "new", tc.tamper)
		f.wantRefused(t, err, tc.reason, 0)
	}

	// Every refusal was walked, each logged by nobody.
	for _, r := range domain.SSORefusals() {
		if !f.seen[r] {
			t.Errorf("refusal %q not walked", r)
		}
	}
}

// TestSSOProviders: only administrators configure providers; the secret
// is stored, never read back or logged; a disabled provider cannot be
// used; bad input is a field error.
func TestSSOProviders(t *testing.T) {
	t.Parallel()
	f := newAccessFixture(t).withSSO(t)
	ctx := t.Context()
	ana, err := f.access.Actor(ctx, f.user.ID, f.user.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.sso.ListProviders(ctx, ana); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("a non-admin lists providers: %v", err)
	}
	if _, err := f.sso.CreateProvider(ctx, ana, domain.SSOProvider{Slug: "x", Name: "X", IssuerURL: "https://x.example", ClientID: "c"}, "s"); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("a non-admin creates a provider: %v", err)
	}
	created := f.newest(t, 1)[0] // the provider's creation; refusals log nothing
	if created.Action != domain.DirSSOProviderCreated || created.Target.Kind != domain.TargetSSOProvider {
		t.Errorf("creation logged as %+v", created)
	}
	if strings.Contains(string(created.Payload), f.op.ClientSecret) {
		t.Errorf("the log holds the client secret: %s", created.Payload)
	}
	d := []string{"wfp.org"}
	for name, tc := range map[string]struct {
		p      domain.SSOProvider
		secret string
		field  string
	}{
		"slug":           {domain.SSOProvider{Slug: "Not a slug!", Name: "X", IssuerURL: "https://x.example", ClientID: "c", TrustedDomains: d}, "s", "slug"},
		"plain http":     {domain.SSOProvider{Slug: "x", Name: "X", IssuerURL: "http://idp.example.org", ClientID: "c", TrustedDomains: d}, "s", "issuer_url"},
		"no secret":      {domain.SSOProvider{Slug: "x", Name: "X", IssuerURL: "https://x.example", ClientID: "c", TrustedDomains: d}, "", "client_secret"},
		"taken slug":     {domain.SSOProvider{Slug: "acme", Name: "X", IssuerURL: "https://x.example", ClientID: "c", TrustedDomains: d}, "s", "slug"},
		"no such org":    {domain.SSOProvider{Slug: "x", Name: "X", IssuerURL: "https://x.example", ClientID: "c", ProvisionOrgID: 999999, TrustedDomains: d}, "s", "provision_org_id"},
		"name":           {domain.SSOProvider{Slug: "x", IssuerURL: "https://x.example", ClientID: "c", TrustedDomains: d}, "s", "name"},
		"client":         {domain.SSOProvider{Slug: "x", Name: "X", IssuerURL: "https://x.example", TrustedDomains: d}, "s", "client_id"},
		"no domains":     {domain.SSOProvider{Slug: "x", Name: "X", IssuerURL: "https://x.example", ClientID: "c"}, "s", "trusted_domains"},
		"bad domain":     {domain.SSOProvider{Slug: "x", Name: "X", IssuerURL: "https://x.example", ClientID: "c", TrustedDomains: []string{"*.wfp.org"}}, "s", "trusted_domains"},
		"issuer missing": {domain.SSOProvider{Slug: "x", Name: "X", ClientID: "c", TrustedDomains: d}, "s", "issuer_url"},
	} {
		_, err := f.sso.CreateProvider(ctx, f.admin, tc.p, tc.secret)
		var de *domain.Error
		if e, ok := err.(*domain.Error); ok {
			de = e
		}
		if de == nil || de.Code != domain.CodeInvalid || de.Fields[tc.field] == "" {
			t.Errorf("%s: %v, want a field error on %s", name, err, tc.field)
		}
	}
	// A new secret is logged as changed, not shown; an empty one keeps it.
	p := f.prov
	if _, err := f.sso.UpdateProvider(ctx, f.admin, p, "a new secret"); err != nil {
		t.Fatal(err)
	}
	e := f.newest(t, 1)[0]
	if e.Action != domain.DirSSOProviderUpdated || strings.Contains(string(e.Payload), "a new secret") {
		t.Errorf("secret change logged as %s %s", e.Action, e.Payload)
	}
	// The flow now presents the wrong secret: the provider refuses it.
	if _, err := f.signIn(t, "ana", nil); domain.SSORefusalReason(err) != domain.SSORefusedProvider {
		t.Errorf("sign-in with a wrong client secret: %v", err)
	}
	// A disabled provider is no longer offered nor usable.
	p, err = f.sso.GetProvider(ctx, f.admin, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	p.Enabled = false
	f.clock.t = f.clock.t.Add(time.Minute) // a later save, a later version
	if _, err := f.sso.UpdateProvider(ctx, f.admin, p, f.op.ClientSecret); err != nil {
		t.Fatal(err)
	}
	if ps, err := f.sso.EnabledProviders(ctx); err != nil || len(ps) != 0 {
		t.Errorf("enabled providers = %v, %v", ps, err)
	}
	if _, _, err := f.sso.Begin(ctx, "acme", ssoRedirect, "/"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("a disabled provider starts a sign-in: %v", err)
	}
	// A stale edit is refused.
	p.Name = "Renamed"
	if _, err := f.sso.UpdateProvider(ctx, f.admin, p, ""); domain.ErrorCode(err) != domain.CodeConflict {
		t.Errorf("stale edit: %v", err)
	}
}
