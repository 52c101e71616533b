package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pingTimeout bounds a single connection attempt.
const pingTimeout = 3 * time.Second

// connect opens a connection to dbURL, giving up after pingTimeout.
func connect(ctx context.Context, dbURL string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > pingTimeout {
		cfg.ConnectTimeout = pingTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return pgx.ConnectConfig(ctx, cfg)
}

// Ping connects to dbURL (giving up after 3 seconds) and runs SELECT 1.
func Ping(ctx context.Context, dbURL string) error {
	conn, err := connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("pgserver: connect to %s: %w", redact(dbURL), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("pgserver: ping %s: %w", redact(dbURL), err)
	}
	return nil
}

// serverVersion connects to dbURL and returns the server_version it
// reports at connection time, without its distribution suffix.
func serverVersion(ctx context.Context, dbURL string) (string, error) {
	conn, err := connect(ctx, dbURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	v, _, _ := strings.Cut(conn.PgConn().ParameterStatus("server_version"), " ")
	return v, nil
}

// EnsureDatabase connects to serverURL (a postgres:// URL for a role
// allowed to create databases), creates database name unless it exists,
// and returns serverURL with its path replaced by /name. It is idempotent
// and tolerates a concurrent creator.
func EnsureDatabase(ctx context.Context, serverURL, name string) (string, error) {
	if name == "" {
		return "", errors.New("pgserver: EnsureDatabase: empty database name")
	}
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("pgserver: EnsureDatabase: %q is not a postgres:// URL", redact(serverURL))
	}
	conn, err := connect(ctx, serverURL)
	if err != nil {
		return "", fmt.Errorf("pgserver: connect to %s: %w", redact(serverURL), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("pgserver: look up database %s: %w", name, err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			var pgErr *pgconn.PgError
			// 42P04 duplicate_database; 23505 when a concurrent CREATE won.
			if !errors.As(err, &pgErr) || (pgErr.Code != "42P04" && pgErr.Code != "23505") {
				return "", fmt.Errorf("pgserver: create database %s: %w", name, err)
			}
		}
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// redact returns dbURL with any password replaced, for messages.
func redact(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil || u.Scheme == "" {
		return "(unparsable database URL)"
	}
	return u.Redacted()
}
