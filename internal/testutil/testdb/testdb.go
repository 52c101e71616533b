// Package testdb gives each test its own PostgreSQL database, cloned from a
// migrated template database that is built once per schema (named after
// migrations.Hash). It reads the server from TEST_DATABASE_URL, which
// `make test` sets to a throwaway cluster; without it tests fail loudly.
package testdb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", used by pgtestdb
	"github.com/peterldowns/pgtestdb"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/migrations"
)

// EnvVar names the variable holding the test server's admin URL.
const EnvVar = "TEST_DATABASE_URL"

// pgMigrator builds the template database with cmcoord's embedded
// migrations; pgtestdb names the template after Hash.
type pgMigrator struct{}

func (pgMigrator) Hash() (string, error) { return migrations.Hash() + "-" + workflowHash(), nil }

// workflowHash changes when the workflow's transitions do, so a template
// built with an older table is not reused.
func workflowHash() string {
	h := sha256.New()
	for _, p := range domain.StatusPairs() {
		fmt.Fprintf(h, "%s>%s;", p[0], p[1])
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func (pgMigrator) Migrate(ctx context.Context, _ *sql.DB, conf pgtestdb.Config) error {
	return store.Migrate(ctx, conf.URL())
}

// serverConfig reads TEST_DATABASE_URL into a pgtestdb.Config.
func serverConfig(t testing.TB) pgtestdb.Config {
	t.Helper()
	raw := os.Getenv(EnvVar)
	if raw == "" {
		t.Fatalf("testdb: %s is not set; run the tests with `make test`, which starts a throwaway PostgreSQL, or point %s at a server", EnvVar, EnvVar)
	}
	pc, err := pgconn.ParseConfig(raw)
	if err != nil {
		t.Fatalf("testdb: parse %s: %v", EnvVar, err)
	}
	db := pc.Database
	if db == "" {
		db = "postgres"
	}
	return pgtestdb.Config{
		DriverName:                "pgx",
		Host:                      pc.Host,
		Port:                      strconv.Itoa(int(pc.Port)),
		User:                      pc.User,
		Password:                  pc.Password,
		Database:                  db,
		Options:                   "sslmode=disable",
		ForceTerminateConnections: true,
	}
}

// URL returns the URL of a fresh database private to t, migrated to the
// latest schema. The database is dropped when t passes and kept, with its
// URL logged, when t fails.
func URL(t testing.TB) string {
	t.Helper()
	conf := pgtestdb.Custom(t, serverConfig(t), pgMigrator{})
	return conf.URL()
}

// EmptyURL returns the URL of a fresh database private to t with no
// migration applied, for tests of the migrations themselves.
func EmptyURL(t testing.TB) string {
	t.Helper()
	conf := pgtestdb.Custom(t, serverConfig(t), pgtestdb.NoopMigrator{})
	return conf.URL()
}

// New returns a pool on a fresh, migrated database private to t (see URL).
// The pool is closed before the database is dropped.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return Pool(t, URL(t))
}

// Pool opens a pool on databaseURL and closes it when t ends.
func Pool(t testing.TB, databaseURL string) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		t.Fatalf("testdb: ping %s: %v", redact(databaseURL), err)
	}
	t.Cleanup(pool.Close) // runs before pgtestdb drops the database
	return pool
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}

// LockTable holds an ACCESS EXCLUSIVE lock on table from a connection of
// pool, standing for a database that stops answering whoever touches the
// table, until the returned release is called (or the test ends).
func LockTable(t testing.TB, pool *pgxpool.Pool, table string) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		conn.Release()
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE `+pgx.Identifier{table}.Sanitize()+` IN ACCESS EXCLUSIVE MODE`); err != nil {
		_ = tx.Rollback(ctx)
		conn.Release()
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			_ = tx.Rollback(ctx)
			conn.Release()
		})
	}
	t.Cleanup(release)
	return release
}
