package pages

import "context"

// SessionsView is the profile's list of the user's signed-in browser
// sessions, each with a button that ends it.
type SessionsView struct {
	// Idle and Lifetime say, in words, how long a session lasts unused
	// and at most.
	Idle, Lifetime string
	Rows           []SessionRow
	// EndOthersURL signs out every other session; "" when there is none.
	EndOthersURL string
	// NoPassword: the user has no password to change (single sign-on).
	NoPassword bool
}

// hintKey is the message saying how long sessions last: a user without a
// password is told how they sign in again.
func (v SessionsView) hintKey() string {
	if v.NoPassword {
		return "sessions.hint_sso"
	}
	return "sessions.hint"
}

// SessionRow is one signed-in session. Device is "" when the browser
// did not say what it is.
type SessionRow struct {
	ID       string
	Device   string
	Address  string
	Started  string
	LastSeen string
	// Current marks the browser looking at the page; it has no EndURL
	// (signing out ends it).
	Current bool
	EndURL  string
}

// deviceOr is the device's label, or the words for an unknown one.
func deviceOr(ctx context.Context, device string) string {
	if device == "" {
		return T(ctx, "sessions.unknown_device")
	}
	return device
}
