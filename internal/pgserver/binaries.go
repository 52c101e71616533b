package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/sysdeps"
)

// Bins holds the absolute paths of the PostgreSQL server programs, all taken
// from one directory so that their versions match.
type Bins struct {
	Dir      string // directory holding the programs (symlinks resolved)
	Initdb   string // path of initdb
	PgCtl    string // path of pg_ctl
	Postgres string // path of postgres
	Major    int    // major version (e.g. 15), 0 when unknown
}

// defaultSearchGlobs are the well-known per-version install locations
// searched in addition to PATH.
var defaultSearchGlobs = []string{
	"/usr/lib/postgresql/*/bin",          // Debian, Ubuntu
	"/usr/pgsql-*/bin",                   // RHEL, Fedora (PGDG)
	"/usr/local/pgsql/bin",               // source builds
	"/opt/homebrew/opt/postgresql@*/bin", // Homebrew, Apple silicon
	"/usr/local/opt/postgresql@*/bin",    // Homebrew, Intel
}

// ErrBinariesNotFound is wrapped by the errors of FindBinaries and
// EnsureBinaries when no usable PostgreSQL server installation exists.
var ErrBinariesNotFound = errors.New("PostgreSQL server programs (initdb, pg_ctl, postgres) not found")

// FindBinaries finds initdb, pg_ctl and postgres. It considers directories
// reached through PATH (symlinks resolved) and the well-known install
// locations such as /usr/lib/postgresql/*/bin; a directory qualifies only
// when it holds all three programs. The highest major version wins; at
// equal versions a directory found through PATH wins. The error wraps
// ErrBinariesNotFound when nothing qualifies.
func FindBinaries() (Bins, error) {
	return findBinaries(os.Getenv("PATH"), defaultSearchGlobs, 0)
}

// findBinaries implements FindBinaries with explicit search roots. When
// want is not 0, an installation of major version want is preferred over
// any other.
func findBinaries(pathEnv string, globs []string, want int) (Bins, error) {
	type candidate struct {
		dir      string
		fromPATH bool
	}
	var cands []candidate
	seen := map[string]bool{}
	add := func(dir string, fromPATH bool) {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return
		}
		if real, err = filepath.Abs(real); err != nil || seen[real] {
			return
		}
		seen[real] = true
		cands = append(cands, candidate{dir: real, fromPATH: fromPATH})
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			continue
		}
		for _, prog := range []string{"initdb", "pg_ctl"} {
			p := filepath.Join(dir, prog)
			if !isExecutable(p) {
				continue
			}
			if real, err := filepath.EvalSymlinks(p); err == nil {
				add(filepath.Dir(real), true)
			}
		}
	}
	for _, g := range globs {
		matches, err := filepath.Glob(g)
		if err != nil {
			continue
		}
		for _, m := range matches {
			add(m, false)
		}
	}

	var best Bins
	bestFromPATH := false
	found := false
	for _, c := range cands {
		b := Bins{
			Dir:      c.dir,
			Initdb:   filepath.Join(c.dir, "initdb"),
			PgCtl:    filepath.Join(c.dir, "pg_ctl"),
			Postgres: filepath.Join(c.dir, "postgres"),
		}
		if !isExecutable(b.Initdb) || !isExecutable(b.PgCtl) || !isExecutable(b.Postgres) {
			continue
		}
		b.Major = majorVersion(b)
		better := b.Major > best.Major || (b.Major == best.Major && c.fromPATH && !bestFromPATH)
		if want != 0 && (b.Major == want) != (best.Major == want) {
			better = b.Major == want
		}
		if !found || better {
			best, bestFromPATH, found = b, c.fromPATH, true
		}
	}
	if !found {
		return Bins{}, fmt.Errorf("pgserver: %w on PATH or in %s", ErrBinariesNotFound, strings.Join(globs, ", "))
	}
	return best, nil
}

// isExecutable reports whether path is a regular file with an execute bit.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// pathVersion matches a major version embedded in an install directory,
// e.g. /usr/lib/postgresql/15/bin, /usr/pgsql-16/bin, postgresql@17/bin.
var pathVersion = regexp.MustCompile(`[/@-](\d+)(?:\.\d+)?/bin$`)

// outputVersion matches the version in "pg_ctl (PostgreSQL) 15.8 (Debian ...)".
var outputVersion = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// majorVersion returns the major version of b, taken from its directory
// name when that carries one and otherwise from "pg_ctl --version"; it
// returns 0 when neither works.
func majorVersion(b Bins) int {
	if m := pathVersion.FindStringSubmatch(filepath.ToSlash(b.Dir)); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			return n
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, b.PgCtl, "--version").Output()
	if err != nil {
		return 0
	}
	if m := outputVersion.FindSubmatch(out); m != nil {
		if n, err := strconv.Atoi(string(bytes.TrimSpace(m[1]))); err == nil {
			return n
		}
	}
	return 0
}

// EnsureBinaries returns the result of FindBinaries. When the programs are
// missing and the process is root on a system with apt-get, it first
// installs Debian's "postgresql" package (apt output goes to out) and
// searches again. Otherwise the error wraps ErrBinariesNotFound and tells
// the user what to install.
func EnsureBinaries(ctx context.Context, out io.Writer) (Bins, error) {
	if out == nil {
		out = io.Discard
	}
	bins, err := FindBinaries()
	if err == nil {
		return bins, nil
	}
	if !errors.Is(err, ErrBinariesNotFound) {
		return Bins{}, err
	}
	if _, aptErr := exec.LookPath("apt-get"); aptErr != nil || !sysdeps.IsRoot() {
		return Bins{}, fmt.Errorf("%w; install the PostgreSQL server (Debian/Ubuntu: sudo apt-get install -y postgresql; macOS: brew install postgresql@16) or set DATABASE_URL to an existing server", err)
	}
	fmt.Fprintln(out, "pgserver: PostgreSQL server not found; installing Debian package postgresql")
	if err := sysdeps.AptInstall(ctx, out, "postgresql"); err != nil {
		return Bins{}, fmt.Errorf("pgserver: install postgresql: %w", err)
	}
	bins, err = FindBinaries()
	if err != nil {
		return Bins{}, fmt.Errorf("pgserver: after installing postgresql: %w", err)
	}
	return bins, nil
}
