// Package migrations holds cmcoord's database schema as numbered, reversible
// golang-migrate SQL files embedded in the binary, and the functions that
// apply them. It imports no other cmcoord package.
package migrations

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5" // registers the pgx5:// scheme
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

//go:embed *.sql
var files embed.FS

// open returns a migrate instance on the embedded files for databaseURL
// (postgres:// or postgresql://). The caller closes it.
func open(databaseURL string) (*migrate.Migrate, error) {
	src, err := iofs.New(files, ".")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("migrations: parse database url: %w", err)
	}
	switch u.Scheme {
	case "postgres", "postgresql", "pgx5":
	default:
		return nil, fmt.Errorf("migrations: database url must start with postgres://, not %q", u.Scheme+"://")
	}
	u.Scheme = "pgx5" // golang-migrate's pgx/v5 driver
	m, err := migrate.NewWithSourceInstance("iofs", src, u.String())
	if err != nil {
		return nil, fmt.Errorf("migrations: connect: %w", err)
	}
	return m, nil
}

func closeMigrate(m *migrate.Migrate, err *error) {
	srcErr, dbErr := m.Close()
	if *err == nil {
		*err = errors.Join(srcErr, dbErr)
	}
}

// Up applies every pending migration to the database at databaseURL.
// It is a no-op when the schema is current.
func Up(databaseURL string) (err error) {
	m, err := open(databaseURL)
	if err != nil {
		return err
	}
	defer closeMigrate(m, &err)
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrations: up: %w", err)
	}
	return nil
}

// Down reverts the n most recent migrations (n ≥ 1). Reverting more
// migrations than are applied reverts them all.
func Down(databaseURL string, n int) (err error) {
	if n < 1 {
		return fmt.Errorf("migrations: down: n must be at least 1, got %d", n)
	}
	m, err := open(databaseURL)
	if err != nil {
		return err
	}
	defer closeMigrate(m, &err)
	v, _, verr := m.Version()
	if errors.Is(verr, migrate.ErrNilVersion) {
		return nil // nothing applied
	}
	if verr != nil {
		return fmt.Errorf("migrations: down: %w", verr)
	}
	if applied := appliedCount(v); n > applied {
		n = applied
	}
	if err := m.Steps(-n); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrations: down %d: %w", n, err)
	}
	return nil
}

// Version reports the schema version of the database at databaseURL and
// whether a failed migration left it dirty. Version 0 means no migration
// has been applied.
func Version(databaseURL string) (version uint, dirty bool, err error) {
	m, err := open(databaseURL)
	if err != nil {
		return 0, false, err
	}
	defer closeMigrate(m, &err)
	v, d, err := m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("migrations: version: %w", err)
	}
	return v, d, nil
}

// versions lists the embedded migration versions in ascending order.
func versions() []uint {
	names, _ := fs.Glob(files, "*.up.sql") // the pattern is constant and valid
	var out []uint
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		if !ok {
			continue
		}
		v, err := strconv.ParseUint(num, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, uint(v))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Versions lists the embedded migration versions in ascending order
// (numbers may skip: a version is a file's number).
func Versions() []uint { return versions() }

// appliedCount is how many embedded migrations are at or below version v.
func appliedCount(v uint) int {
	n := 0
	for _, x := range versions() {
		if x <= v {
			n++
		}
	}
	return n
}

// Latest returns the highest embedded migration version: the version a
// current database reports.
func Latest() uint {
	vs := versions()
	if len(vs) == 0 {
		return 0
	}
	return vs[len(vs)-1]
}

// Hash returns a hex SHA-256 over the sorted names and contents of every
// embedded migration. Test helpers name their template database after it,
// so a changed migration yields a fresh template.
func Hash() string {
	names, _ := fs.Glob(files, "*.sql")
	sort.Strings(names)
	h := sha256.New()
	for _, name := range names {
		b, _ := files.ReadFile(name) // embedded: cannot fail for a globbed name
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}
