package domain

import (
	"regexp"
	"slices"
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
	// TrustedDomains are the e-mail domains the provider vouches for
	// (lower-case, e.g. "wfp.org"): a sign-in whose e-mail is at any other
	// domain is refused (SSORefusedDomain), whatever account it names.
	TrustedDomains []string
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
	SSORefusedDomain     = "domain"     // the e-mail is outside the domains the provider vouches for
	SSORefusedAdmin      = "admin"      // an administrator's account is never linked by single sign-on
)

// SSORefusals lists every refusal reason, for the tests and catalogues
// that must cover them all.
func SSORefusals() []string {
	return []string{SSORefusedState, SSORefusedProvider, SSORefusedUnverified, SSORefusedDomain, SSORefusedNoAccount,
		SSORefusedDisabled, SSORefusedLinked, SSORefusedAdmin}
}

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

// domainPattern is a trusted e-mail domain: two or more DNS labels of
// lower-case letters, digits and inner hyphens (no wildcard: a domain is
// matched exactly, so "wfp.org" does not cover "field.wfp.org").
var domainPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// MaxTrustedDomains bounds a provider's trusted e-mail domains.
const MaxTrustedDomains = 50

// ParseTrustedDomains splits an administrator's list of e-mail domains
// (separated by spaces, commas, semicolons or new lines) as typed; the
// domains are normalised by NormalizeSSOProvider.
func ParseTrustedDomains(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\r' || r == '\n'
	})
}

// NormalizeSSOProvider trims p's text fields, lower-cases its slug and
// its trusted domains (dropping a leading "@", blanks and repeats).
func NormalizeSSOProvider(p *SSOProvider) {
	p.Slug = strings.ToLower(strings.TrimSpace(p.Slug))
	p.Name = strings.TrimSpace(p.Name)
	p.IssuerURL = strings.TrimRight(strings.TrimSpace(p.IssuerURL), "/")
	p.ClientID = strings.TrimSpace(p.ClientID)
	domains := make([]string, 0, len(p.TrustedDomains))
	for _, d := range p.TrustedDomains {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if d != "" && !slices.Contains(domains, d) {
			domains = append(domains, d)
		}
	}
	p.TrustedDomains = domains
}

// VouchesFor reports whether p may vouch for email: the part after its
// last "@" is exactly one of p's trusted domains, in any case. This is
// the one rule every sign-in through p asks (SSODecide), whether it would
// find a linked account, link one or create one: a provider speaks only
// for its own organisation's addresses.
func (p SSOProvider) VouchesFor(email string) bool {
	i := strings.LastIndexByte(email, '@')
	if i <= 0 || i == len(email)-1 {
		return false
	}
	d := email[i+1:]
	for _, t := range p.TrustedDomains {
		if strings.EqualFold(d, t) {
			return true
		}
	}
	return false
}

// ValidateSSOProvider checks an administrator's provider p (normalised
// by NormalizeSSOProvider: one or more trusted e-mail domains, each a
// lower-case domain name) and, when
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
	switch {
	case len(p.TrustedDomains) == 0:
		f.add("trusted_domains", "sso.domains_required")
	case len(p.TrustedDomains) > MaxTrustedDomains:
		f.add("trusted_domains", "sso.domains_too_many")
	}
	for _, d := range p.TrustedDomains {
		if len(d) > 253 || !domainPattern.MatchString(d) {
			f.add("trusted_domains", "sso.domain_invalid")
		}
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

// SSODecide is the rule of a verified sign-in at provider p: claims c,
// the account already linked to c's subject (nil for none), the account
// with c's e-mail (nil for none), and whether that account is already
// linked to another subject at p. In order:
//   - the provider must vouch for the e-mail (email_verified), every time;
//   - and the e-mail must be at one of p's trusted domains
//     (p.VouchesFor), every time, before any account is looked at;
//   - a disabled account never signs in; an identity already linked
//     signs in (an administrator's too: their second factor follows);
//   - an account is linked by e-mail only when not yet linked at p, and
//     never an administrator's (SSORefusedAdmin);
//   - an account is created only where p provisions (p.ProvisionOrgID).
//
// It returns the refusal's reason with SSORefuse.
func SSODecide(c SSOClaims, p SSOProvider, linked, byEmail *User, emailLinkedHere bool) (SSOOutcome, string) {
	switch {
	case !c.EmailVerified || strings.TrimSpace(c.Email) == "":
		return SSORefuse, SSORefusedUnverified
	case !p.VouchesFor(c.Email):
		return SSORefuse, SSORefusedDomain
	case linked != nil && linked.Disabled:
		return SSORefuse, SSORefusedDisabled
	case linked != nil:
		return SSOSignIn, ""
	case byEmail != nil && byEmail.Disabled:
		return SSORefuse, SSORefusedDisabled
	case byEmail != nil && emailLinkedHere:
		return SSORefuse, SSORefusedLinked
	case byEmail != nil && byEmail.IsAdmin:
		return SSORefuse, SSORefusedAdmin
	case byEmail != nil:
		return SSOLink, ""
	case p.ProvisionOrgID != 0:
		return SSOProvision, ""
	}
	return SSORefuse, SSORefusedNoAccount
}

// SSOProviderAudit returns p's fields as the directory log records them
// (the trusted domains as one text, as the form shows them); never the
// client secret.
func SSOProviderAudit(p SSOProvider) map[string]any {
	return map[string]any{"slug": p.Slug, "name": p.Name, "issuer_url": p.IssuerURL, "client_id": p.ClientID,
		"enabled": p.Enabled, "provision_org_id": p.ProvisionOrgID, "trusted_domains": strings.Join(p.TrustedDomains, ", ")}
}
