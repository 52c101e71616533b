package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/cmcoord/cmcoord/internal/config"
	"github.com/cmcoord/cmcoord/internal/pgserver"
)

// runDev is what `make run` does on a fresh machine: find or start a
// PostgreSQL (DATABASE_URL; else a server on 127.0.0.1:5432; else a
// private cluster under <data-dir>/postgres, installing PostgreSQL with apt
// when missing and root), migrate, load the demo data on first run, then
// serve and print the URL and the demo logins. On Ctrl-C it drains the
// server and stops a cluster it started, unless -keep-db.
func runDev(ctx context.Context, e env, cfg config.Config, _ []string) error {
	log := newLogger(cfg, e.stderr)
	slog.SetDefault(log)
	dbURL, cluster, err := pgserver.Resolve(ctx, pgserver.ResolveOptions{
		DatabaseURL: cfg.DatabaseURL,
		DataDir:     filepath.Join(cfg.DataDir, "postgres"),
		DBName:      "cmcoord",
		Out:         e.stdout,
		Log:         log,
	})
	if err != nil {
		return err
	}
	if cluster != nil && !cluster.StartedHere() {
		defer fmt.Fprintf(e.stdout, "PostgreSQL in %s was already running before this run; left running.\n", cluster.Dir)
	}
	if cluster != nil && cluster.StartedHere() {
		defer func() {
			if cfg.KeepDB {
				fmt.Fprintf(e.stdout, "PostgreSQL in %s left running (-keep-db); the next `make run` reuses it.\n", cluster.Dir)
				return
			}
			// ctx is already cancelled here: stopping needs its own deadline.
			stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := cluster.Stop(stopCtx); err != nil {
				log.Error("stop PostgreSQL", "dir", cluster.Dir, "err", err)
				return
			}
			fmt.Fprintf(e.stdout, "PostgreSQL in %s stopped.\n", cluster.Dir)
		}()
	}
	cfg.DatabaseURL = dbURL
	if cfg.MetricsAddr == "" && cfg.MetricsToken == "" {
		// Development: the metrics on a loopback port of their own,
		// printed with the URL, never on the address pages are served at.
		cfg.MetricsAddr = "127.0.0.1:0"
	}
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return stoppedWhileStarting(ctx, err, log)
	}
	defer hardStopAfter(ctx, cfg.ShutdownTimeout+time.Second, log, e.exit)()
	defer a.close()
	res, err := a.loadDemo(ctx)
	if err != nil {
		return err
	}
	return a.serve(ctx, e, cfg, func(baseURL string) {
		printDemo(e.stdout, res, baseURL)
		fmt.Fprintf(e.stdout, "  Database: %s\n  (set DATABASE_URL to it for `cmcoord admin create`, `token create`, `migrate`)\n\n", redactURL(dbURL))
	})
}
