package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/migrations"
)

// Migrate brings the database at databaseURL to this binary's schema and
// writes the rules the schema reads from the domain (the workflow's
// status changes). Every path that migrates — serve, `cmcoord migrate
// up`, the test template — goes through it.
func Migrate(ctx context.Context, databaseURL string) error {
	if err := migrations.Up(databaseURL); err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer pool.Close()
	return New(pool).SyncWorkflow(ctx, domain.StatusPairs())
}
