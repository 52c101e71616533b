package domain_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestSSODecide walks every combination of the rule's inputs: verified
// or not, an e-mail inside the provider's trusted domains or not, a
// linked account (enabled, disabled, administrator, none), an account
// with the e-mail (the same four; already linked here or not), and
// provisioning or not. The expected outcome is stated as the rule's
// order of precedence, so each row is checked against it; every refusal
// reason but those decided before the claims exist (state, provider) is
// reached.
func TestSSODecide(t *testing.T) {
	t.Parallel()
	accounts := map[string]*domain.User{"none": nil, "enabled": {ID: 1}, "disabled": {ID: 2, Disabled: true},
		"admin": {ID: 3, IsAdmin: true}}
	reached := map[string]bool{domain.SSORefusedState: true, domain.SSORefusedProvider: true}
	for _, verified := range []bool{true, false} {
		for _, email := range []string{"a@wfp.org", "a@WFP.Org", "a@example.org", "a@sub.wfp.org"} {
			inDomain := strings.HasSuffix(strings.ToLower(email), "@wfp.org")
			for ln, linked := range accounts {
				for en, byEmail := range accounts {
					for _, linkedHere := range []bool{false, true} {
						for _, org := range []int64{0, 7} {
							c := domain.SSOClaims{Subject: "s", Email: email, EmailVerified: verified}
							p := domain.SSOProvider{TrustedDomains: []string{"unicef.org", "wfp.org"}, ProvisionOrgID: org}
							got, reason := domain.SSODecide(c, p, linked, byEmail, linkedHere)
							want, wantReason := domain.SSORefuse, ""
							switch {
							case !verified:
								wantReason = domain.SSORefusedUnverified
							case !inDomain:
								wantReason = domain.SSORefusedDomain
							case linked != nil && linked.Disabled:
								wantReason = domain.SSORefusedDisabled
							case linked != nil: // an administrator's identity already linked too
								want = domain.SSOSignIn
							case byEmail != nil && byEmail.Disabled:
								wantReason = domain.SSORefusedDisabled
							case byEmail != nil && linkedHere:
								wantReason = domain.SSORefusedLinked
							case byEmail != nil && byEmail.IsAdmin:
								wantReason = domain.SSORefusedAdmin
							case byEmail != nil:
								want = domain.SSOLink
							case org != 0:
								want = domain.SSOProvision
							default:
								wantReason = domain.SSORefusedNoAccount
							}
							if got != want || reason != wantReason {
								t.Errorf("verified %v, %s, linked %s, by e-mail %s (linked here %v), org %d: %v %q, want %v %q",
									verified, email, ln, en, linkedHere, org, got, reason, want, wantReason)
							}
							reached[reason] = true
						}
					}
				}
			}
		}
	}
	for _, r := range domain.SSORefusals() {
		if !reached[r] {
			t.Errorf("refusal %q is never decided", r)
		}
	}
	// No e-mail at all is never verified.
	p := domain.SSOProvider{TrustedDomains: []string{"wfp.org"}, ProvisionOrgID: 7}
	if got, reason := domain.SSODecide(domain.SSOClaims{Subject: "s", EmailVerified: true}, p, nil, nil, false); got != domain.SSORefuse || reason != domain.SSORefusedUnverified {
		t.Errorf("no e-mail: %v %q", got, reason)
	}
	// A provider with no trusted domain (one disabled by migration 000024)
	// vouches for nobody.
	if got, reason := domain.SSODecide(domain.SSOClaims{Subject: "s", Email: "a@wfp.org", EmailVerified: true}, domain.SSOProvider{}, &domain.User{ID: 1}, nil, false); got != domain.SSORefuse || reason != domain.SSORefusedDomain {
		t.Errorf("no trusted domains: %v %q", got, reason)
	}
}

// TestSSOVouchesFor: the part after the last "@" matches a trusted
// domain exactly, in any case; never a subdomain, a parent or a suffix.
func TestSSOVouchesFor(t *testing.T) {
	t.Parallel()
	p := domain.SSOProvider{TrustedDomains: []string{"wfp.org", "un.org"}}
	for email, want := range map[string]bool{
		"ana@wfp.org":            true,
		"ANA@WFP.ORG":            true,
		"ana@un.org":             true,
		"ana@field.wfp.org":      false,
		"ana@wfp.org.evil.com":   false,
		"ana@notwfp.org":         false,
		"ana@org":                false,
		"wfp.org":                false,
		"@wfp.org":               false,
		"ana@":                   false,
		"":                       false,
		"\"a@wfp.org\"@evil.com": false,
		"ana@evil.com@wfp.org":   true, // the domain is after the last "@"
	} {
		if got := p.VouchesFor(email); got != want {
			t.Errorf("VouchesFor(%q) = %v, want %v", email, got, want)
		}
	}
}

// TestValidateSSOProvider_Domains: one or more domain names, normalised
// to lower case without repeats or a leading "@".
func TestValidateSSOProvider_Domains(t *testing.T) {
	t.Parallel()
	for typed, want := range map[string][]string{
		"wfp.org":                       {"wfp.org"},
		"WFP.org, @unicef.org\nwfp.org": {"wfp.org", "unicef.org"},
		" a-b.example.org ; x.y.z ":     {"a-b.example.org", "x.y.z"},
	} {
		p := domain.SSOProvider{Slug: "wfp", Name: "WFP", IssuerURL: "https://x.org", ClientID: "c", TrustedDomains: domain.ParseTrustedDomains(typed)}
		domain.NormalizeSSOProvider(&p)
		if !slices.Equal(p.TrustedDomains, want) {
			t.Errorf("%q normalised to %q, want %q", typed, p.TrustedDomains, want)
		}
		if err := domain.ValidateSSOProvider(p, "s", true); err != nil {
			t.Errorf("%q: %v", typed, err)
		}
	}
	many := make([]string, domain.MaxTrustedDomains+1)
	for i := range many {
		many[i] = "d" + strconv.Itoa(i) + ".org"
	}
	for name, tc := range map[string]struct {
		domains []string
		key     string
	}{
		"none":         {nil, "sso.domains_required"},
		"blank":        {[]string{" ", "@"}, "sso.domains_required"},
		"single label": {[]string{"org"}, "sso.domain_invalid"},
		"wildcard":     {[]string{"*.wfp.org"}, "sso.domain_invalid"},
		"an e-mail":    {[]string{"ana@wfp.org"}, "sso.domain_invalid"},
		"hyphen edge":  {[]string{"-wfp.org"}, "sso.domain_invalid"},
		"url":          {[]string{"https://wfp.org"}, "sso.domain_invalid"},
		"one bad":      {[]string{"wfp.org", "wfp..org"}, "sso.domain_invalid"},
		"too many":     {many, "sso.domains_too_many"},
	} {
		p := domain.SSOProvider{Slug: "wfp", Name: "WFP", IssuerURL: "https://x.org", ClientID: "c", TrustedDomains: tc.domains}
		domain.NormalizeSSOProvider(&p)
		err := domain.ValidateSSOProvider(p, "s", true)
		e, ok := err.(*domain.Error)
		if !ok || e.Fields["trusted_domains"] != tc.key {
			t.Errorf("%s: %v, want %s on trusted_domains", name, err, tc.key)
		}
	}
}

// TestValidateSSOProvider_Issuer: https anywhere, http on the loopback only.
func TestValidateSSOProvider_Issuer(t *testing.T) {
	t.Parallel()
	for issuer, ok := range map[string]bool{
		"https://login.example.org":            true,
		"https://login.example.org/realms/wfp": true,
		"http://127.0.0.1:5556":                true,
		"http://localhost:8080/dex":            true,
		"http://[::1]:9000":                    true,
		"http://idp.example.org":               false,
		"http://127.0.0.1.example.org":         false,
		"ftp://idp.example.org":                false,
		"https://":                             false,
		"https://idp.example.org/?x=1":         false,
		"https://idp example.org":              false,
	} {
		p := domain.SSOProvider{Slug: "wfp", Name: "WFP", IssuerURL: issuer, ClientID: "c", TrustedDomains: []string{"wfp.org"}}
		domain.NormalizeSSOProvider(&p)
		err := domain.ValidateSSOProvider(p, "secret", true)
		if (err == nil) != ok {
			t.Errorf("issuer %q: %v, want ok %v", issuer, err, ok)
		}
	}
	if err := domain.ValidateSSOProvider(domain.SSOProvider{Slug: "wfp", Name: "WFP", IssuerURL: "https://x.org", ClientID: "c", TrustedDomains: []string{"wfp.org"}}, "", false); err != nil {
		t.Errorf("an edit without a new secret: %v", err)
	}
}
