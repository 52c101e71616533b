package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// SchemaVersion reports the migration version recorded by golang-migrate
// and whether a failed migration left the schema dirty. A database that was
// never migrated reports version 0.
func (s *Store) SchemaVersion(ctx context.Context) (version uint, dirty bool, err error) {
	var v int64
	err = s.db.QueryRow(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&v, &dirty)
	if errors.Is(err, pgx.ErrNoRows) || isUndefinedTable(err) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, dbErr(err, "schema version")
	}
	return uint(v), dirty, nil
}
