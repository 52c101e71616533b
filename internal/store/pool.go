package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// PoolOptions bound the pool's connections (config.DBSettings).
type PoolOptions struct {
	MaxConns         int
	ConnectTimeout   time.Duration
	StatementTimeout time.Duration // 0: none
	LockTimeout      time.Duration
	// Cache, when set, traces the pool's statements: a change committed
	// through it forgets the cache's entries it made stale (Cache.Tracer).
	Cache *Cache
}

// OpenPool returns a pool on databaseURL whose every connection is
// bounded: opening it (ConnectTimeout), each statement (statement_timeout;
// long reads lift it, ForLongRead) and each wait for a lock
// (lock_timeout). At most MaxConns connections are open; a request that
// finds them all busy waits for one, within its own deadline.
func OpenPool(ctx context.Context, databaseURL string, o PoolOptions) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = int32(min(o.MaxConns, 1000))
	}
	if o.ConnectTimeout > 0 {
		cfg.ConnConfig.ConnectTimeout = o.ConnectTimeout
	}
	params := cfg.ConnConfig.RuntimeParams
	if o.StatementTimeout > 0 {
		params["statement_timeout"] = strconv.FormatInt(o.StatementTimeout.Milliseconds(), 10)
	}
	if o.LockTimeout > 0 {
		params["lock_timeout"] = strconv.FormatInt(o.LockTimeout.Milliseconds(), 10)
	}
	if o.Cache != nil {
		cfg.ConnConfig.Tracer = o.Cache.Tracer()
	}
	return pgxpool.NewWithConfig(ctx, cfg)
}

// Classify returns err as the store's CodeUnavailable *domain.Error when
// it says the database cannot serve (Unavailable), and err otherwise: for
// errors from code that reaches the database without the store (the
// session manager's store).
func Classify(err error) error {
	if unavailable(err) {
		return errUnavailable()
	}
	return err
}

// Unavailable reports whether err says the database cannot serve now
// (down, starting, failing over, read-only) rather than that a request
// was wrong: worth trying again shortly.
func Unavailable(err error) bool {
	return unavailable(err) || domainUnavailable(err)
}
