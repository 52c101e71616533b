package pgserver

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeInstall creates dir with executable initdb, pg_ctl and postgres
// stubs (omitting those in skip).
func fakeInstall(t *testing.T, dir string, skip ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
outer:
	for _, prog := range []string{"initdb", "pg_ctl", "postgres"} {
		for _, s := range skip {
			if s == prog {
				continue outer
			}
		}
		if err := os.WriteFile(filepath.Join(dir, prog), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFindBinariesPicksHighestMajor(t *testing.T) {
	root := t.TempDir()
	fakeInstall(t, filepath.Join(root, "lib/postgresql/9.6/bin"))
	fakeInstall(t, filepath.Join(root, "lib/postgresql/15/bin"))
	fakeInstall(t, filepath.Join(root, "lib/postgresql/16/bin"))
	fakeInstall(t, filepath.Join(root, "lib/postgresql/17/bin"), "postgres") // incomplete
	glob := filepath.Join(root, "lib/postgresql/*/bin")

	b, err := findBinaries("", []string{glob}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b.Major != 16 || b.Dir != filepath.Join(root, "lib/postgresql/16/bin") || b.PgCtl != filepath.Join(b.Dir, "pg_ctl") {
		t.Errorf("findBinaries = %+v, want version 16", b)
	}

	// A wanted version beats a higher one.
	if b, err := findBinaries("", []string{glob}, 9); err != nil || b.Major != 9 {
		t.Errorf("findBinaries(want 9) = %+v, %v; want version 9", b, err)
	}

	// PATH is searched too, through symlinks, and competes on version.
	pathDir := filepath.Join(root, "bin")
	if err := os.MkdirAll(pathDir, 0o755); err != nil {
		t.Fatal(err)
	}
	fakeInstall(t, filepath.Join(root, "lib/postgresql/18/bin"))
	if err := os.Symlink(filepath.Join(root, "lib/postgresql/18/bin/pg_ctl"), filepath.Join(pathDir, "pg_ctl")); err != nil {
		t.Fatal(err)
	}
	if b, err := findBinaries(pathDir, []string{glob}, 0); err != nil || b.Major != 18 {
		t.Errorf("findBinaries with PATH = %+v, %v; want version 18", b, err)
	}

	if _, err := findBinaries("", []string{filepath.Join(root, "nothing/*/bin")}, 0); err == nil {
		t.Error("findBinaries with no installs succeeded, want an error")
	}
}
