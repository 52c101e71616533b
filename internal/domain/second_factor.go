package domain

import "time"

// The second factor (ASVS V2.8): TOTP as RFC 6238 with SHA-1, six digits
// and 30-second steps, which every authenticator app reads from the
// otpauth URI; a code of the step before or after the current one is
// accepted (clock drift), a step at or before the last accepted one never
// (replay).
const (
	TOTPDigits = 6
	TOTPPeriod = 30 * time.Second
	TOTPSkew   = 1 // steps either side of the current one
	// TOTPIssuer names cmcoord in the authenticator app.
	TOTPIssuer = "cmcoord"
	// RecoveryCodeCount is how many single-use recovery codes a confirmed
	// factor has; regenerating replaces them all.
	RecoveryCodeCount = 10
	// SecondStepLifetime is how long a sign-in whose password was accepted
	// waits for its second step (a code, or enrolment) before it must
	// start again.
	SecondStepLifetime = 5 * time.Minute
	// RecentSignIn is how recently a session must have opened for a user
	// with no password (single sign-on only) to change their own
	// authenticators: there is no password to ask them again (ASVS 3.7.1).
	RecentSignIn = 10 * time.Minute
)

// SecondFactorRoles are the roles an operation's policy requires a second
// factor of (the operation's RequireSecondFactor).
var SecondFactorRoles = []Role{RoleOfficer, RoleHC}

// NeedsSecondFactor is the one rule of who must sign in with a second
// factor: a global administrator always; anyone else when they hold a
// role of SecondFactorRoles in an operation whose policy requires it
// (Membership.RequireSecondFactor). Anyone may enrol one regardless.
func NeedsSecondFactor(u User, ms []Membership) bool {
	if u.IsAdmin {
		return true
	}
	for _, m := range ms {
		if !m.RequireSecondFactor {
			continue
		}
		for _, r := range SecondFactorRoles {
			if m.Roles.Has(r) {
				return true
			}
		}
	}
	return false
}

// SecondFactor is a user's factor as the pages show it: never its secret
// once confirmed.
type SecondFactor struct {
	Enrolled bool // a confirmed factor
	// Required is NeedsSecondFactor of the user.
	Required bool
	// RecoveryLeft is how many unused recovery codes remain.
	RecoveryLeft int
	ConfirmedAt  time.Time
}

// Enrolment is a pending (unconfirmed) factor: what the user copies into
// an authenticator app.
type Enrolment struct {
	// Secret is the shared secret, base32.
	Secret string
	// URI is the otpauth:// URI the QR code holds.
	URI string
	// QR is a PNG image of URI.
	QR []byte
	// HasPassword: confirming it from the profile asks for the password;
	// a user with none must have signed in within RecentSignIn.
	HasPassword bool
}
