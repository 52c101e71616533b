package store_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// TestConflictsRetried: two transactions that lock two rows in opposite
// orders deadlock; PostgreSQL aborts one, which is run again and
// succeeds, so both callers see success. A transaction that keeps
// conflicting ends as 503, never a raw error; a read-only one is never run
// again (it may have streamed what it read).
func TestConflictsRetried(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	st := store.New(pool)
	ctx := t.Context()
	if _, err := pool.Exec(ctx, `CREATE TABLE pair (id int PRIMARY KEY, v int NOT NULL); INSERT INTO pair VALUES (1, 0), (2, 0)`); err != nil {
		t.Fatal(err)
	}
	var (
		runs     atomic.Int32
		both     sync.WaitGroup
		wg       sync.WaitGroup
		errs     = make([]error, 2)
		lockStep = func(st *store.Store, first, second int) error {
			n := runs.Add(1)
			if err := st.Exec(ctx, `UPDATE pair SET v = v + 1 WHERE id = $1`, first); err != nil {
				return err
			}
			if n <= 2 { // first attempts: each holds its first row before taking the second
				both.Done()
				both.Wait()
			}
			return st.Exec(ctx, `UPDATE pair SET v = v + 1 WHERE id = $1`, second)
		}
	)
	both.Add(2)
	for i, order := range [][2]int{{1, 2}, {2, 1}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.InTx(ctx, func(st *store.Store) error { return lockStep(st, order[0], order[1]) })
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("deadlocked transactions: %v, %v; want both to succeed after a retry", errs[0], errs[1])
	}
	// One victim run again; on a busy machine both backends may run their
	// deadlock check at once and both abort, each then run again.
	if got := runs.Load(); got != 3 && got != 4 {
		t.Errorf("ran %d times, want 3 (one deadlock victim run again) or 4 (both)", got)
	}
	var sum int
	if err := pool.QueryRow(ctx, `SELECT sum(v) FROM pair`).Scan(&sum); err != nil || sum != 4 {
		t.Errorf("sum = %d (%v), want 4: each transaction's two updates once", sum, err)
	}

	raise := `DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$`
	for _, tc := range []struct {
		name     string
		opts     pgx.TxOptions
		wantRuns int32
	}{
		{"read-write", pgx.TxOptions{}, 5},
		{"read-only", pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, 1},
	} {
		runs.Store(0)
		err := st.InTxWith(ctx, tc.opts, func(st *store.Store) error {
			runs.Add(1)
			return st.Exec(ctx, raise)
		})
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.CodeUnavailable {
			t.Errorf("%s: always conflicting = %v, want unavailable", tc.name, err)
		}
		if got := runs.Load(); got != tc.wantRuns {
			t.Errorf("%s: ran %d times, want %d", tc.name, got, tc.wantRuns)
		}
	}
}
