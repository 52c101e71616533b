package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/cmcoord/cmcoord/internal/config"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/migrations"
)

var errNoDatabase = errors.New("DATABASE_URL (or -database-url) is required; `make run` finds or starts a PostgreSQL for you")

// runMigrate applies (up), reverts (down [N], default 1) or reports
// (version) the embedded migrations.
func runMigrate(ctx context.Context, e env, cfg config.Config, args []string) error {
	if cfg.DatabaseURL == "" {
		return errNoDatabase
	}
	if len(args) == 0 {
		return fmt.Errorf("migrate: say up, down [N] or version")
	}
	switch args[0] {
	case "up":
		if err := store.Migrate(ctx, cfg.DatabaseURL); err != nil {
			return err
		}
	case "down":
		n := 1
		if len(args) > 1 {
			v, err := strconv.Atoi(args[1])
			if err != nil || v < 1 {
				return fmt.Errorf("migrate down: N must be a whole number ≥ 1, got %q", args[1])
			}
			n = v
		}
		if err := migrations.Down(cfg.DatabaseURL, n); err != nil {
			return err
		}
	case "version":
	default:
		return fmt.Errorf("migrate: unknown action %q: say up, down [N] or version", args[0])
	}
	v, dirty, err := migrations.Version(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	state := "clean"
	if dirty {
		state = "DIRTY: a migration failed half-way; fix it, then force the version"
	}
	_, err = fmt.Fprintf(e.stdout, "schema version %d of %d (%s)\n", v, migrations.Latest(), state)
	return err
}
