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
	// LastSeenAt moves at most every SessionSeenInterval.
	LastSeenAt time.Time
	// Current marks the session of the request that lists them.
	Current bool
}

// SessionSeenInterval is how often a session's last-seen time and
// address are written, for idle timeout idle: every minute — rarely
// enough to spare a write per request — or every half of a shorter idle
// timeout, so a session in use never looks idle. The idle timeout is
// measured from the last sighting written, so it holds to within one
// interval (ending a session at most that much early, never late).
func SessionSeenInterval(idle time.Duration) time.Duration {
	return min(time.Minute, idle/2)
}

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
