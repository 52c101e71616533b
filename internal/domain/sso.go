package domain

import (
	"regexp"
	"strings"
	"time"
)

// SSOProvider is an organisation's OpenID Connect identity provider, as
// an administrator configured it. Its client secret is kept by the store
// and the service only: it is not a field here, so no page or answer can
// show it back.
type SSOProvider struct {
	ID        int64
	Slug      string // the URL segment: /login/sso/{slug}
	Name      string // shown on the sign-in button
	IssuerURL string
	ClientID  string
	Enabled   bool
	// ProvisionOrgID, when non-zero, is the organisation in which a
	// verified e-mail with no account gets one (with no roles); zero
	// means an account is never created through this provider.
	ProvisionOrgID int64
	// HasSecret says a client secret is stored (never the secret).
	HasSecret bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Directory log actions on providers (target kind TargetSSOProvider).
const (
	DirSSOProviderCreated = "sso_provider.created"
	DirSSOProviderUpdated = "sso_provider.updated"
)

// SSO refusals: the reason a completed sign-in at the provider does not
// become a session. Each is recorded (DirSignInFailed, "reason") and
// shown as the message "sso.refused.<reason>".
const (
	SSORefusedState      = "state"      // no sign-in was started here, or it was another one
	SSORefusedProvider   = "provider"   // the provider answered with an error, or its answer did not verify
	SSORefusedUnverified = "unverified" // the provider does not vouch for the e-mail
	SSORefusedNoAccount  = "no_account" // no account, and the provider does not provision
	SSORefusedDisabled   = "disabled"   // the account is disabled
	SSORefusedLinked     = "linked"     // the account is linked to another identity at this provider
)

// SSORefusal is the error of a refused single sign-on: CodeUnauthorized
// with the reason's message.
func SSORefusal(reason string) error {
	return &Error{Code: CodeUnauthorized, Message: "sso.refused." + reason, Data: map[string]any{"Reason": reason}}
}

// SSORefusalReason returns the reason of an SSORefusal error, or "".
func SSORefusalReason(err error) string {
	e, ok := err.(*Error)
	if !ok || e.Code != CodeUnauthorized || !strings.HasPrefix(e.Message, "sso.refused.") {
		return ""
	}
	return strings.TrimPrefix(e.Message, "sso.refused.")
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// NormalizeSSOProvider trims p's text fields and lower-cases its slug.
func NormalizeSSOProvider(p *SSOProvider) {
	p.Slug = strings.ToLower(strings.TrimSpace(p.Slug))
	p.Name = strings.TrimSpace(p.Name)
	p.IssuerURL = strings.TrimRight(strings.TrimSpace(p.IssuerURL), "/")
	p.ClientID = strings.TrimSpace(p.ClientID)
}

// ValidateSSOProvider checks an administrator's provider p and, when
// secretRequired (a new provider) or secret is given, its client secret.
// The issuer must be https, except on this machine's loopback (a
// provider run beside cmcoord, and the tests'): OpenID Connect Discovery
// requires TLS, and the issuer is what ID tokens are checked against.
func ValidateSSOProvider(p SSOProvider, secret string, secretRequired bool) error {
	f := fieldErrors{}
	if !slugPattern.MatchString(p.Slug) {
		f.add("slug", "sso.slug_invalid")
	}
	checkText(f, "name", p.Name, 100, true)
	checkText(f, "issuer_url", p.IssuerURL, 500, true)
	if _, ok := f["issuer_url"]; !ok && !issuerAllowed(p.IssuerURL) {
		f.add("issuer_url", "sso.issuer_invalid")
	}
	checkText(f, "client_id", p.ClientID, 500, true)
	checkText(f, "client_secret", secret, 1000, secretRequired)
	if p.ProvisionOrgID < 0 {
		f.add("provision_org_id", "field.choose")
	}
	return f.err()
}

// issuerAllowed is the issuer rule of ValidateSSOProvider.
func issuerAllowed(u string) bool {
	if strings.ContainsAny(u, " \t\r\n?#") {
		return false
	}
	if rest, ok := strings.CutPrefix(u, "https://"); ok {
		return rest != "" && !strings.HasPrefix(rest, "/")
	}
	rest, ok := strings.CutPrefix(u, "http://")
	if !ok {
		return false
	}
	host := rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host = rest[:i]
	}
	if strings.HasPrefix(host, "[::1]") {
		return true
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return host == "localhost" || host == "127.0.0.1"
}

// SSOClaims is what cmcoord reads of a verified ID token (or the
// provider's userinfo answer for the same subject).
type SSOClaims struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// SSOAccountName is the name a provisioned account gets: the provider's
// name for the person, else the e-mail's local part.
func SSOAccountName(c SSOClaims) string {
	if n := strings.TrimSpace(c.Name); n != "" {
		return n
	}
	local, _, _ := strings.Cut(c.Email, "@")
	return local
}

// SSOOutcome is what a verified single sign-on does.
type SSOOutcome int

// SSO outcomes.
const (
	SSORefuse    SSOOutcome = iota // with a reason
	SSOSignIn                      // the subject is linked to an enabled account
	SSOLink                        // link the subject to the account with its e-mail, then sign in
	SSOProvision                   // create the account in the provider's organisation, link, sign in
)

// SSODecide is the rule of a verified sign-in at a provider: claims c,
// the account already linked to c's subject (nil for none), the account
// with c's e-mail (nil for none), whether that account is already linked
// to another subject at this provider, and the provider's provisioning
// organisation (0: never). The provider must vouch for the e-mail
// (email_verified), every time; a disabled account never signs in; an
// account is created only where the provider provisions. It returns the
// refusal's reason with SSORefuse.
func SSODecide(c SSOClaims, linked, byEmail *User, emailLinkedHere bool, provisionOrg int64) (SSOOutcome, string) {
	switch {
	case !c.EmailVerified || strings.TrimSpace(c.Email) == "":
		return SSORefuse, SSORefusedUnverified
	case linked != nil && linked.Disabled:
		return SSORefuse, SSORefusedDisabled
	case linked != nil:
		return SSOSignIn, ""
	case byEmail != nil && byEmail.Disabled:
		return SSORefuse, SSORefusedDisabled
	case byEmail != nil && emailLinkedHere:
		return SSORefuse, SSORefusedLinked
	case byEmail != nil:
		return SSOLink, ""
	case provisionOrg != 0:
		return SSOProvision, ""
	}
	return SSORefuse, SSORefusedNoAccount
}

// SSOProviderAudit returns p's fields as the directory log records them;
// never the client secret.
func SSOProviderAudit(p SSOProvider) map[string]any {
	return map[string]any{"slug": p.Slug, "name": p.Name, "issuer_url": p.IssuerURL, "client_id": p.ClientID,
		"enabled": p.Enabled, "provision_org_id": p.ProvisionOrgID}
}
