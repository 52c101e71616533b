package pages

import "github.com/cmcoord/cmcoord/web/components"

// SecondStepView is the second step of a sign-in: a code from the
// authenticator app, or a recovery code.
type SecondStepView struct {
	Shell  components.Shell
	Code   components.Field
	Errors []components.FormError
}

// EnrolView is the enrolment of a second factor: the QR code (an image
// served from QRURL, same origin), the same key as text, in groups of
// four, and the otpauth URI, then the form to confirm it with a code.
type EnrolView struct {
	Shell components.Shell
	// Required says the user may do nothing else until enrolled (at
	// sign-in); false on the profile, where it is a choice.
	Required bool
	// Replacing: a new key for a factor already set up (the profile's
	// replacement); the current one works until this is confirmed.
	Replacing bool
	QRURL     string
	Secret    string // grouped
	URI       string
	Action    string // where the form posts
	Code      components.Field
	// Password asks for the current password (from the profile, when the
	// user has one); nil otherwise.
	Password *components.Field
	Errors   []components.FormError
}

// RecoveryCodesView shows a factor's recovery codes, this once.
type RecoveryCodesView struct {
	Shell    components.Shell
	Codes    []string
	Continue string // where to go next
}

// FactorPanel is the second factor's part of the profile page.
type FactorPanel struct {
	Enrolled bool
	Required bool
	// NoPassword: the user signs in only through their organisation's
	// identity provider (the texts say so, not "your password").
	NoPassword   bool
	Since        string
	RecoveryLeft int
	// RegenerateCode, ReplaceCode and RemoveCode are the current-code
	// fields of the three forms.
	RegenerateCode components.Field
	ReplaceCode    components.Field
	RemoveCode     components.Field
}

// UserFactorView is the second factor's part of an administrator's user
// page.
type UserFactorView struct {
	Enrolled bool
	Required bool
	ResetURL string
}
