package service_test

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/migrations"
)

var t0 = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

func newSystem(pool *pgxpool.Pool, want uint) *service.System {
	return service.NewSystem(store.New(pool), want, func() time.Time { return t0 }, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func TestSystemReady(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	tests := []struct {
		name string
		want uint
		err  string
	}{
		{"OK", migrations.Latest(), ""},
		{"ErrBehind", migrations.Latest() + 1, "behind"},
		{"ErrAhead", migrations.Latest() - 1, "ahead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := newSystem(pool, tt.want).Ready(t.Context())
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("Ready = %v, want nil", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("Ready = %v, want an error containing %q", err, tt.err)
			}
		})
	}
	t.Run("ErrDatabaseGone", func(t *testing.T) {
		t.Parallel()
		closed := testdb.New(t)
		closed.Close()
		if err := newSystem(closed, migrations.Latest()).Ready(t.Context()); err == nil || !strings.Contains(err.Error(), "unreachable") {
			t.Fatalf("Ready on a closed pool = %v, want database unreachable", err)
		}
	})
}

func TestSystemDemoClaim(t *testing.T) {
	t.Parallel()
	sys := newSystem(testdb.New(t), migrations.Latest())
	ctx := t.Context()
	if at, err := sys.DemoLoadedAt(ctx); err != nil || !at.IsZero() {
		t.Fatalf("DemoLoadedAt before any load = %v, %v; want zero, nil", at, err)
	}
	first, err := sys.ClaimDemoLoad(ctx)
	if err != nil || !first {
		t.Fatalf("first ClaimDemoLoad = %v, %v; want true", first, err)
	}
	again, err := sys.ClaimDemoLoad(ctx)
	if err != nil || again {
		t.Fatalf("second ClaimDemoLoad = %v, %v; want false", again, err)
	}
	if at, err := sys.DemoLoadedAt(ctx); err != nil || !at.Equal(t0) {
		t.Fatalf("DemoLoadedAt = %v, %v; want %v", at, err, t0)
	}
	if err := sys.ReleaseDemoClaim(ctx); err != nil {
		t.Fatal(err)
	}
	if first, err := sys.ClaimDemoLoad(ctx); err != nil || !first {
		t.Fatalf("ClaimDemoLoad after release = %v, %v; want true", first, err)
	}
}

func asDomainError(err error, target **domain.Error) bool { return errors.As(err, target) }

func TestSystemHousekeep(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := t.Context()
	for _, q := range []string{
		`INSERT INTO sessions (token, data, expiry) VALUES ('expired', '\x00', $1::timestamptz - interval '1 second'), ('live', '\x00', $1::timestamptz + interval '1 hour')`,
		`INSERT INTO rate_events (bucket, at) VALUES
		   ('sign_in.account:old@example.org', $1::timestamptz - interval '25 hours'),
		   ('sign_in.account:recent@example.org', $1::timestamptz - interval '10 minutes')`,
	} {
		if _, err := pool.Exec(ctx, q, t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := newSystem(pool, migrations.Latest()).Housekeep(ctx); err != nil {
		t.Fatalf("Housekeep: %v", err)
	}
	var sessions, attempts string
	if err := pool.QueryRow(ctx, `SELECT string_agg(token, ',' ORDER BY token) FROM sessions`).Scan(&sessions); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT string_agg(bucket, ',' ORDER BY bucket) FROM rate_events`).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if sessions != "live" || attempts != "sign_in.account:recent@example.org" {
		t.Errorf("after Housekeep: sessions %q, attempts %q; want only the live session and the recent attempt", sessions, attempts)
	}
}
