// Package testclock is a clock for tests: the real time, moved on by
// whatever a test needs to skip (a review's deadline, a code's time step,
// a comment's edit window). Pass Clock.Now to the services as their clock.
package testclock

import (
	"sync"
	"time"
)

// Clock is a "now" that follows the real time and that tests can move on.
// Its zero value is the real time; it is safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the real time moved on by every Advance.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}
