package domain

import (
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Sign-in throttling: the sixth failed sign-in within LoginWindow, for one
// account or from one address, waits until enough failures age out.
const (
	MaxLoginFailures = 5
	LoginWindow      = 15 * time.Minute
)

// LoginWait returns how long a sign-in must wait given the times of
// recent failures (for one account, or from one address) at now; zero
// means it may proceed. Failures outside the window are ignored.
func LoginWait(failures []time.Time, now time.Time) time.Duration {
	var recent []time.Time
	for _, f := range failures {
		if !f.After(now) && now.Sub(f) < LoginWindow {
			recent = append(recent, f)
		}
	}
	if len(recent) < MaxLoginFailures {
		return 0
	}
	sort.Slice(recent, func(i, j int) bool { return recent[i].Before(recent[j]) })
	// Enough of the oldest failures must age out to leave MaxLoginFailures-1.
	until := recent[len(recent)-MaxLoginFailures].Add(LoginWindow)
	return until.Sub(now)
}

// ValidateSignIn checks what a sign-in form gives before anything is
// looked up: an address and a password, each text PostgreSQL can hold
// (no NUL, only UTF-8).
func ValidateSignIn(email, password string) error {
	f := fieldErrors{}
	checkText(f, "email", email, 254, true)
	switch {
	case password == "":
		f.add("password", "field.required")
	case !utf8.ValidString(password) || strings.ContainsRune(password, 0):
		f.add("password", "field.invalid")
	}
	return f.err()
}
