package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Querier is satisfied by *pgxpool.Pool and pgx.Tx, so every store method
// runs unchanged on the pool or inside a transaction.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, t pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Store runs cmcoord's SQL on a pool or, inside InTx, on one transaction.
type Store struct {
	db   Querier
	pool *pgxpool.Pool // nil inside a transaction
	tx   *txState      // inside InTx: the idempotency key it claimed
	// cache, when set, answers the reads it keeps (Cache) outside
	// transactions.
	cache *Cache
}

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{db: pool, pool: pool}
}

// maxTxRetries bounds InTxWith's retries of a transaction the database
// aborted to resolve a conflict (a deadlock or a serialization failure).
const maxTxRetries = 4

// InTx runs fn in a read-committed transaction and commits when fn returns
// nil. Nested calls join the outer transaction.
func (s *Store) InTx(ctx context.Context, fn func(*Store) error) error {
	return s.InTxWith(ctx, pgx.TxOptions{}, fn)
}

// InTxWith runs fn in a transaction with opts (a read-only snapshot, or a
// serializable transaction for a predicate that spans rows). A transaction
// the database aborted to resolve a conflict with another one — a deadlock
// (SQLSTATE 40P01) or a serialization failure (40001) — is run again from
// the start after a short random pause, a bounded number of times, so fn
// must be safe to run again (it writes only through its Store). One that
// still conflicts after that is the database's overload: 503, never 500.
// A read-only transaction is not run again (503 at once): its fn may have
// streamed what it read.
func (s *Store) InTxWith(ctx context.Context, opts pgx.TxOptions, fn func(*Store) error) error {
	if s.pool == nil {
		return fn(s)
	}
	for attempt := 0; ; attempt++ {
		state := &txState{}
		err := pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
			return fn(&Store{db: tx, tx: state})
		})
		if err == nil {
			state.committed() // the key claimed in it is now bound to the change
		}
		if unavailable(err) { // beginning or committing: the database cannot serve
			return errUnavailable()
		}
		if !Conflicted(err) {
			return err
		}
		// A read-only transaction is never run again: it may have streamed
		// what it read (an export) and would send it twice. On a primary
		// it cannot conflict; on a standby, replay cancelled it.
		if attempt == maxTxRetries || opts.AccessMode == pgx.ReadOnly {
			return errUnavailable()
		}
		txRetries.Add(1)
		// 5–20 ms, then twice as long each time: the other transaction
		// usually finishes within the first pause.
		pause := time.Duration(5<<attempt)*time.Millisecond + rand.N(time.Duration(15<<attempt)*time.Millisecond)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// txRetries counts the transactions run again after a conflict, for
// /metrics (TxRetries).
var txRetries atomic.Int64

// TxRetries is how many transactions this process ran again after the
// database aborted them to resolve a conflict (InTxWith).
func TxRetries() int64 { return txRetries.Load() }

// Conflicted reports whether err is the database aborting a transaction
// to resolve a conflict with another: a deadlock or a serialization
// failure, which running the transaction again resolves.
func Conflicted(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == pgDeadlock || pgErr.Code == pgSerialization)
}

// Savepoint runs fn inside a savepoint of the current transaction: when
// fn fails, what it wrote is undone and the transaction goes on. Outside a
// transaction it is InTx.
func (s *Store) Savepoint(ctx context.Context, fn func(*Store) error) error {
	tx, ok := s.db.(pgx.Tx)
	if !ok {
		return s.InTx(ctx, fn)
	}
	var before txState
	if s.tx != nil {
		before = *s.tx
	}
	err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error { return fn(&Store{db: sp, tx: s.tx}) })
	if err != nil && s.tx != nil {
		*s.tx = before // a claim made inside the savepoint was undone with it
	}
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}
