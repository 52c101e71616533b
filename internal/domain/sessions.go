package domain

import "time"

// UserSession is one signed-in browser session of a user, as the profile
// lists it. The session's secret token never leaves the store.
type UserSession struct {
	ID        int64
	UserID    int64
	Device    string // a short label of browser and system, "" when unknown
	UserAgent string // the User-Agent it was read from, cut short
	Address   string // the client address it was last seen from
	CreatedAt time.Time
	// LastSeenAt moves at most every SessionSeenEvery.
	LastSeenAt time.Time
	// Current marks the session of the request that lists them.
	Current bool
}

// SessionSeenEvery is how often a session's last-seen time and address
// are written: often enough for the profile to tell an idle browser from
// a live one, rarely enough to spare a write per request.
const SessionSeenEvery = time.Minute

// Session timeouts by default: a working day in the field, and two hours
// without a request end a session (ASVS 3.3.1, 3.3.2).
const (
	DefaultSessionLifetime = 12 * time.Hour
	DefaultSessionIdle     = 2 * time.Hour
)

// Limits of what a session row keeps about its browser.
const (
	MaxDeviceLabel = 100
	MaxUserAgent   = 256
)
