package store

import (
	"context"
	"errors"
	"fmt"

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
}

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{db: pool, pool: pool}
}

// maxSerializationRetries bounds InTxWith's retries on SQLSTATE 40001.
const maxSerializationRetries = 3

// InTx runs fn in a read-committed transaction and commits when fn returns
// nil. Nested calls join the outer transaction.
func (s *Store) InTx(ctx context.Context, fn func(*Store) error) error {
	return s.InTxWith(ctx, pgx.TxOptions{}, fn)
}

// InTxWith runs fn in a transaction with opts (a read-only snapshot, or a
// serializable transaction for a predicate that spans rows). A serializable
// transaction that fails with a serialization error (SQLSTATE 40001) is
// retried a bounded number of times, so fn must be safe to run again.
func (s *Store) InTxWith(ctx context.Context, opts pgx.TxOptions, fn func(*Store) error) error {
	if s.pool == nil {
		return fn(s)
	}
	var err error
	for attempt := 0; attempt <= maxSerializationRetries; attempt++ {
		state := &txState{}
		err = pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
			return fn(&Store{db: tx, tx: state})
		})
		if err == nil {
			state.committed() // the key claimed in it is now bound to the change
		}
		if unavailable(err) { // beginning or committing: the database cannot serve
			return errUnavailable()
		}
		var pgErr *pgconn.PgError
		if opts.IsoLevel != pgx.Serializable || !errors.As(err, &pgErr) || pgErr.Code != "40001" {
			return err
		}
	}
	return fmt.Errorf("store: transaction gave up after %d serialization retries: %w", maxSerializationRetries, err)
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
