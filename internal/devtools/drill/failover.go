package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
)

// failoverDrill is `drill failover`: a primary and a synchronous streaming
// replica (PostgreSQL's own replication: pg_basebackup -R,
// synchronous_standby_names = '*', synchronous_commit = on), cmcoord
// serving with a two-host DATABASE_URL and target_session_attrs=read-write,
// a write load; then the primary is stopped at once (as a crash would)
// and the replica promoted. Every acknowledged write must be on the
// promoted replica, none twice, and the audit trail must verify; the
// table gives how long writes failed.
func failoverDrill(fs *flag.FlagSet) drill {
	before := fs.Duration("before", 5*time.Second, "write load before the primary fails")
	after := fs.Duration("after", 10*time.Second, "write load after the replica is promoted")
	promoteDelay := fs.Duration("promote-delay", time.Second, "time between the primary's stop and the promotion (an operator's or a failover manager's reaction)")
	rate := fs.Int("rate", 20, "new writes a second")
	return drill{
		check: func() error {
			if *rate < 1 || *before <= 0 || *after <= 0 || *promoteDelay < 0 {
				return errors.New("-rate must be at least 1, -before and -after positive, -promote-delay not negative")
			}
			return nil
		},
		run: func(ctx context.Context, e *env) (*report, error) {
			return runFailover(ctx, e, *before, *after, *promoteDelay, *rate)
		},
	}
}

// runFailover runs the failover drill with its parsed flags.
func runFailover(ctx context.Context, e *env, before, after, promoteDelay time.Duration, rate int) (*report, error) {
	primary, err := e.cluster(ctx, "primary")
	if err != nil {
		return nil, err
	}
	_, tok, err := e.prepare(ctx, primary, writersFor(rate))
	if err != nil {
		return nil, err
	}
	standbyDir := filepath.Join(e.tmp, "standby")
	if err := baseBackup(ctx, primary, standbyDir, "-R"); err != nil {
		return nil, err
	}
	standby, err := e.adopt(ctx, "standby")
	if err != nil {
		return nil, err
	}
	// Commits now wait for the standby to have flushed them.
	if err := execSQL(ctx, primary.URL, "ALTER SYSTEM SET synchronous_standby_names = '*'",
		"ALTER SYSTEM SET synchronous_commit = 'on'", "SELECT pg_reload_conf()"); err != nil {
		return nil, err
	}
	if err := waitFor(ctx, 30*time.Second, func() (bool, error) {
		var state string
		err := queryRow(ctx, primary.URL, "SELECT coalesce(max(sync_state), '') FROM pg_stat_replication", &state)
		return state == "sync", err
	}); err != nil {
		return nil, fmt.Errorf("the standby never became synchronous: %w", err)
	}
	e.logf("standby on 127.0.0.1:%d streams synchronously from the primary on 127.0.0.1:%d", standby.Port, primary.Port)

	multi := fmt.Sprintf("postgres://postgres@127.0.0.1:%d,127.0.0.1:%d/%s?sslmode=disable&target_session_attrs=read-write",
		primary.Port, standby.Port, dbName)
	srv, err := e.startServer(ctx, "cmcoord", multi, "-db-connect-timeout", "2s")
	if err != nil {
		return nil, err
	}
	l := newLoad(srv.baseURL, tok.writers, operation, fmt.Sprintf("failover%d", time.Now().Unix()), e.o.workers, rate)
	defer l.close()
	hard, cancelHard := context.WithTimeout(ctx, before+promoteDelay+after+2*time.Minute)
	defer cancelHard()
	stopLoad, stop := context.WithCancel(ctx)
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		l.runFor(hard, stopLoad)
	}()
	e.logf("write load running with %d writers", e.o.workers)
	sleep(ctx, before)

	failedAt := time.Now()
	if err := stopImmediate(ctx, primary); err != nil {
		stop()
		<-loadDone
		return nil, err
	}
	e.logf("primary stopped (immediate); %d writes acknowledged so far", l.figures().acked)
	sleep(ctx, promoteDelay)
	promoteStart := time.Now()
	if err := ctl(ctx, standby, "-w", "-t", "60", "promote"); err != nil {
		stop()
		<-loadDone
		return nil, err
	}
	promoted := time.Since(promoteStart)
	e.logf("standby promoted in %s", secs(promoted))
	sleep(ctx, after)
	stop()
	<-loadDone
	f := l.figures()
	outage, recovered := l.outage(failedAt)
	e.logf("write load stopped: %d acknowledged", f.acked)

	newURL := dbURL(standby, dbName)
	t, err := check(ctx, newURL, l)
	if err != nil {
		return nil, err
	}
	auditOK, audit := e.auditVerify(ctx, newURL)

	rep := &report{title: fmt.Sprintf("drill failover — %s primary and synchronous standby, %d writes/s by %d workers, %s before the failure, %s after the promotion",
		version(primary), rate, e.o.workers, before, after)}
	rep.loadRows(f, t)
	rep.info("time from the primary's stop to the promotion", secs(promoteDelay))
	rep.info("pg_ctl promote took", secs(promoted))
	if recovered {
		rep.info("seconds from the primary's stop until writes succeed again", secs(outage))
	} else {
		rep.must("writes succeed again after the promotion", "never", "yes", false)
	}
	rep.must("cmcoord audit verify on the promoted standby", audit, "OK", auditOK)
	return rep, nil
}

// execSQL runs statements, each in its own transaction, on databaseURL.
func execSQL(ctx context.Context, databaseURL string, stmts ...string) error {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// queryRow runs one query on databaseURL and scans its row into dest.
func queryRow(ctx context.Context, databaseURL, q string, dest ...any) error {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.QueryRow(ctx, q).Scan(dest...)
}

// waitFor polls cond every 100 ms until it holds, for at most limit.
func waitFor(ctx context.Context, limit time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	var last error
	for {
		ok, err := cond()
		if ok && err == nil {
			return nil
		}
		last = err
		if time.Now().After(deadline) {
			if last == nil {
				last = errors.New("timed out")
			}
			return fmt.Errorf("after %s: %w", limit, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
