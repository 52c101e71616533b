package store

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// DBClock is the database server's clock, read from this process: every
// time rule (a review's deadline, a request's expiry, a session's idle
// time, a link's validity) is judged by it, so that all instances, and
// the database's own checks using now(), agree on what time it is
// whatever their machines' clocks say. It measures the difference
// between the database's clock_timestamp() and the local clock, halving
// the round trip, and applies it to the local clock between measures;
// its error is at most half the fastest of its round trips (logged).
type DBClock struct {
	pool   *pgxpool.Pool
	log    *slog.Logger
	offset atomic.Int64 // database minus local, in nanoseconds
}

// NewDBClock measures the database's clock once: the caller then keeps
// it in step with Run.
func NewDBClock(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (*DBClock, error) {
	c := &DBClock{pool: pool, log: log}
	off, rtt, err := c.measure(ctx)
	if err != nil {
		return nil, err
	}
	c.offset.Store(int64(off))
	log.Info("clock: using the database's clock", "offset_ms", off.Milliseconds(), "uncertainty_ms", float64(rtt/2)/1e6)
	return c, nil
}

// Now is the database's current time, as well as this process knows it.
func (c *DBClock) Now() time.Time {
	return time.Now().Add(time.Duration(c.offset.Load()))
}

// Offset is how far the database's clock is ahead of this machine's.
func (c *DBClock) Offset() time.Duration { return time.Duration(c.offset.Load()) }

// clockSamples is how many round trips a measure takes; the fastest
// one's reading is kept, as NTP does.
const clockSamples = 3

// measure reads the database's clock clockSamples times and returns the
// offset seen on the fastest round trip, and that round trip.
func (c *DBClock) measure(ctx context.Context) (offset, rtt time.Duration, err error) {
	rtt = -1
	for range clockSamples {
		var db time.Time
		t0 := time.Now()
		if err := c.pool.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&db); err != nil {
			return 0, 0, fmt.Errorf("store: read the database's clock: %w", dbErr(err, "clock"))
		}
		d := time.Since(t0)
		if rtt < 0 || d < rtt {
			rtt, offset = d, db.Sub(t0.Add(d/2))
		}
	}
	return offset, rtt, nil
}

// Run measures the database's clock every interval until ctx ends. A
// failed measure keeps the last offset; a jump of more than a second (a
// clock stepped on either machine) is logged as a warning.
func (c *DBClock) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		off, _, err := c.measure(ctx)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn("clock: cannot read the database's clock; keeping the last offset", "err", err)
			}
			continue
		}
		if prev := time.Duration(c.offset.Swap(int64(off))); (off - prev).Abs() > time.Second {
			c.log.Warn("clock: the database's clock moved against this machine's", "offset_ms", off.Milliseconds(), "previous_ms", prev.Milliseconds())
		}
	}
}
