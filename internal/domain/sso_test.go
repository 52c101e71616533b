package domain_test

import (
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestSSODecide walks every combination of the rule's inputs: verified
// or not, a linked account (enabled, disabled, none), an account with
// the e-mail (enabled, disabled, none; already linked here or not), and
// provisioning or not. The expected outcome is stated as the rule's
// order of precedence, so each row is checked against it.
func TestSSODecide(t *testing.T) {
	t.Parallel()
	enabled, disabled := &domain.User{ID: 1}, &domain.User{ID: 2, Disabled: true}
	accounts := map[string]*domain.User{"none": nil, "enabled": enabled, "disabled": disabled}
	for _, verified := range []bool{true, false} {
		for ln, linked := range accounts {
			for en, byEmail := range accounts {
				for _, linkedHere := range []bool{false, true} {
					for _, org := range []int64{0, 7} {
						c := domain.SSOClaims{Subject: "s", Email: "a@b.org", EmailVerified: verified}
						got, reason := domain.SSODecide(c, linked, byEmail, linkedHere, org)
						want, wantReason := domain.SSORefuse, ""
						switch {
						case !verified:
							wantReason = domain.SSORefusedUnverified
						case linked != nil && linked.Disabled:
							wantReason = domain.SSORefusedDisabled
						case linked != nil:
							want = domain.SSOSignIn
						case byEmail != nil && byEmail.Disabled:
							wantReason = domain.SSORefusedDisabled
						case byEmail != nil && linkedHere:
							wantReason = domain.SSORefusedLinked
						case byEmail != nil:
							want = domain.SSOLink
						case org != 0:
							want = domain.SSOProvision
						default:
							wantReason = domain.SSORefusedNoAccount
						}
						if got != want || reason != wantReason {
							t.Errorf("verified %v, linked %s, by e-mail %s (linked here %v), org %d: %v %q, want %v %q",
								verified, ln, en, linkedHere, org, got, reason, want, wantReason)
						}
					}
				}
			}
		}
	}
	// No e-mail at all is never verified.
	if got, reason := domain.SSODecide(domain.SSOClaims{Subject: "s", EmailVerified: true}, nil, nil, false, 7); got != domain.SSORefuse || reason != domain.SSORefusedUnverified {
		t.Errorf("no e-mail: %v %q", got, reason)
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
		p := domain.SSOProvider{Slug: "wfp", Name: "WFP", IssuerURL: issuer, ClientID: "c"}
		domain.NormalizeSSOProvider(&p)
		err := domain.ValidateSSOProvider(p, "secret", true)
		if (err == nil) != ok {
			t.Errorf("issuer %q: %v, want ok %v", issuer, err, ok)
		}
	}
	if err := domain.ValidateSSOProvider(domain.SSOProvider{Slug: "wfp", Name: "WFP", IssuerURL: "https://x.org", ClientID: "c"}, "", false); err != nil {
		t.Errorf("an edit without a new secret: %v", err)
	}
}
