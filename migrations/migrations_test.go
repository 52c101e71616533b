package migrations_test

import (
	"testing"

	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/migrations"
)

// TestUpDownUp proves every migration is reversible: up, all the way down,
// and up again on an empty database.
func TestUpDownUp(t *testing.T) {
	t.Parallel()
	url := testdb.EmptyURL(t)
	latest := migrations.Latest()
	if latest == 0 {
		t.Fatal("Latest() = 0, want at least one embedded migration")
	}
	wantVersion := func(want uint) {
		t.Helper()
		got, dirty, err := migrations.Version(url)
		if err != nil {
			t.Fatalf("Version: %v", err)
		}
		if got != want || dirty {
			t.Fatalf("Version = %d (dirty %v), want %d (clean)", got, dirty, want)
		}
	}
	wantVersion(0)
	if err := migrations.Up(url); err != nil {
		t.Fatalf("Up: %v", err)
	}
	wantVersion(latest)
	if err := migrations.Up(url); err != nil {
		t.Fatalf("second Up (no change) = %v, want nil", err)
	}
	if err := migrations.Down(url, 1000); err != nil {
		t.Fatalf("Down all: %v", err)
	}
	wantVersion(0)
	if err := migrations.Down(url, 1); err != nil {
		t.Fatalf("Down on an empty schema = %v, want nil", err)
	}
	if err := migrations.Up(url); err != nil {
		t.Fatalf("Up again: %v", err)
	}
	wantVersion(latest)
}

func TestDownRejectsZero(t *testing.T) {
	t.Parallel()
	if err := migrations.Down("postgres://127.0.0.1:1/none", 0); err == nil {
		t.Fatal("Down(0) = nil, want an error")
	}
}

func TestHashIsStable(t *testing.T) {
	t.Parallel()
	a, b := migrations.Hash(), migrations.Hash()
	if a != b || len(a) != 64 {
		t.Fatalf("Hash() = %q then %q, want one stable 64-char hex digest", a, b)
	}
}
