package domain

import (
	"sort"
	"time"
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
