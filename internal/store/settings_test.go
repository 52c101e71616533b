package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/migrations"
)

var t0 = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

func TestSettings(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		st := store.New(testdb.New(t))
		ctx := t.Context()
		if err := st.PutSetting(ctx, "demo.loaded_at", "a", t0); err != nil {
			t.Fatal(err)
		}
		if err := st.PutSetting(ctx, "demo.loaded_at", "b", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, err := st.GetSetting(ctx, "demo.loaded_at")
		if err != nil {
			t.Fatal(err)
		}
		if got.Value != "b" || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("GetSetting = %+v, want value b at %v", got, t0.Add(time.Hour))
		}
		if err := st.DeleteSetting(ctx, "demo.loaded_at"); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteSetting(ctx, "demo.loaded_at"); err != nil {
			t.Fatalf("deleting a missing key = %v, want nil", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		st := store.New(testdb.New(t))
		_, err := st.GetSetting(t.Context(), "never.set")
		if code := domain.ErrorCode(err); code != domain.CodeNotFound {
			t.Fatalf("ErrorCode = %q, want not_found (err %v)", code, err)
		}
	})
	t.Run("ErrCheckConstraint", func(t *testing.T) {
		t.Parallel()
		st := store.New(testdb.New(t))
		err := st.PutSetting(t.Context(), "Bad Key!", "x", t0)
		if code := domain.ErrorCode(err); code != domain.CodeConflict {
			t.Fatalf("ErrorCode = %q, want conflict from the CHECK constraint (err %v)", code, err)
		}
	})
	t.Run("InsertOnceHasOneWinner", func(t *testing.T) {
		t.Parallel()
		st := store.New(testdb.New(t))
		const n = 16
		var wg sync.WaitGroup
		wins := make(chan bool, n)
		for range n {
			wg.Go(func() {
				won, err := st.InsertSettingOnce(context.Background(), "demo.loaded_at", "x", t0)
				if err != nil {
					t.Error(err)
				}
				wins <- won
			})
		}
		wg.Wait()
		close(wins)
		count := 0
		for w := range wins {
			if w {
				count++
			}
		}
		if count != 1 {
			t.Fatalf("%d of %d concurrent InsertSettingOnce calls won, want exactly 1", count, n)
		}
	})
}

func TestInTx(t *testing.T) {
	t.Parallel()
	st := store.New(testdb.New(t))
	ctx := t.Context()
	boom := errors.New("boom")
	err := st.InTx(ctx, func(tx *store.Store) error {
		if err := tx.PutSetting(ctx, "tx.rolled_back", "x", t0); err != nil {
			return err
		}
		// A nested InTx joins the outer transaction.
		return tx.InTx(ctx, func(inner *store.Store) error {
			if err := inner.PutSetting(ctx, "tx.nested", "x", t0); err != nil {
				return err
			}
			return boom
		})
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	for _, key := range []string{"tx.rolled_back", "tx.nested"} {
		if _, err := st.GetSetting(ctx, key); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("%s survived a rolled-back transaction (err %v)", key, err)
		}
	}
	err = st.InTxWith(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadOnly}, func(tx *store.Store) error {
		return tx.PutSetting(ctx, "tx.read_only", "x", t0)
	})
	if err == nil {
		t.Fatal("a write in a read-only transaction succeeded")
	}
}

func TestSchemaVersion(t *testing.T) {
	t.Parallel()
	t.Run("Migrated", func(t *testing.T) {
		t.Parallel()
		v, dirty, err := store.New(testdb.New(t)).SchemaVersion(t.Context())
		if err != nil || v != migrations.Latest() || dirty {
			t.Fatalf("SchemaVersion = %d, %v, %v; want %d, false, nil", v, dirty, err, migrations.Latest())
		}
	})
	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		v, dirty, err := store.New(testdb.Pool(t, testdb.EmptyURL(t))).SchemaVersion(t.Context())
		if err != nil || v != 0 || dirty {
			t.Fatalf("SchemaVersion on an empty database = %d, %v, %v; want 0, false, nil", v, dirty, err)
		}
	})
}
