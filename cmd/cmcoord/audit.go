package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cmcoord/cmcoord/internal/config"
)

// errAuditBroken is returned (exit status 1) when an audit chain does not
// verify; the details are already on stdout.
var errAuditBroken = errors.New("audit trail does not verify")

// runAudit handles `cmcoord audit verify`: it walks every request's chain
// of events, recomputing each hash, and names the first event that does
// not verify. It never migrates or changes anything.
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
	if b := rep.Break; b != nil {
		fmt.Fprintf(e.stdout, "BROKEN: request %d, event %d (seq %d): %s\n", b.RequestID, b.EventID, b.Seq, b.Problem)
		fmt.Fprintf(e.stdout, "Checked %d events in %d chains before the break.\n", rep.Events, rep.Requests)
		return errAuditBroken
	}
	fmt.Fprintf(e.stdout, "OK: %d events in %d request chains verify.\n", rep.Events, rep.Requests)
	return nil
}
