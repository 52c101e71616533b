package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cmcoord/cmcoord/internal/config"
)

// errAuditBroken is returned (exit status 1) when an audit chain (a
// request's events or the directory log) does not verify; the details
// are already on stdout.
var errAuditBroken = errors.New("audit trail does not verify")

// runAudit handles `cmcoord audit verify`: it walks every request's chain
// of events and the directory log's chain, recomputing each hash, and
// names the first entry of each that does not verify. It never migrates
// or changes anything.
func runAudit(ctx context.Context, e env, cfg config.Config, _ []string) error {
	log := newLogger(cfg, e.stderr)
	slog.SetDefault(log)
	cfg.NoMigrate = true
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	rep, err := a.requests.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	dir, err := a.directory.VerifyDirectoryLog(ctx)
	if err != nil {
		return err
	}
	broken := false
	if b := rep.Break; b != nil {
		fmt.Fprintf(e.stdout, "BROKEN: request %d, event %d (seq %d): %s\n", b.RequestID, b.EventID, b.Seq, b.Problem)
		fmt.Fprintf(e.stdout, "Checked %d events in %d chains before the break.\n", rep.Events, rep.Requests)
		broken = true
	} else {
		fmt.Fprintf(e.stdout, "OK: %d events in %d request chains verify.\n", rep.Events, rep.Requests)
	}
	if b := dir.Break; b != nil {
		fmt.Fprintf(e.stdout, "BROKEN: directory log, entry %d (seq %d): %s\n", b.EventID, b.Seq, b.Problem)
		fmt.Fprintf(e.stdout, "Checked %d directory log entries before the break.\n", dir.Events-1)
		broken = true
	} else {
		fmt.Fprintf(e.stdout, "OK: %d directory log entries verify.\n", dir.Events)
	}
	if broken {
		return errAuditBroken
	}
	return nil
}
