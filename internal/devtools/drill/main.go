// Command drill runs cmcoord's fault drills against real PostgreSQL
// servers it starts itself (initdb, pg_ctl, pg_basebackup from the
// system's PostgreSQL 15) and the real `cmcoord serve`, driven over the
// public JSON API. Nothing is mocked:
//
//	drill failover  a synchronous streaming replica is promoted and the
//	                primary stopped under a write load (make drill-failover)
//	drill restore   a base backup and archived WAL are restored to a named
//	                point in time into a new cluster (make drill-restore)
//	drill chaos     kill -9 of the server under load, PostgreSQL restarts
//	                under load, two instances sharing the deadline job
//	                (make chaos)
//
// Each prints a table of its figures and exits 1 when a guarantee is
// broken (an acknowledged write lost or duplicated, a 5xx other than
// 503, an audit chain that does not verify, a review closed twice).
// docs/reliability.md and docs/operations.md describe what each mirrors.
// Everything lives in a temporary directory, removed afterwards unless
// -keep or a failure (the logs then explain it).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// options are the flags every drill shares.
type options struct {
	goCmd   string // the go command that builds cmcoord
	bin     string // a built cmcoord instead
	keep    bool   // keep the temporary directory
	workers int    // concurrent writers of the load
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "drill:", err)
		os.Exit(1)
	}
}

// drill is one subcommand: check validates its flags once parsed, run
// runs it.
type drill struct {
	check func() error
	run   func(ctx context.Context, e *env) (*report, error)
}

// drills maps each subcommand to the function registering its flags.
var drills = map[string]func(fs *flag.FlagSet) drill{
	"failover": failoverDrill,
	"restore":  restoreDrill,
	"chaos":    chaosDrill,
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("drill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.goCmd, "go", "", "the go command used to build cmcoord (default: go on PATH)")
	fs.StringVar(&o.bin, "bin", "", "a built cmcoord binary (default: build ./cmd/cmcoord into the temporary directory)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (clusters, logs) afterwards")
	fs.IntVar(&o.workers, "workers", 4, "concurrent writers of the write load")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: drill [flags] failover|restore|chaos [drill flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return flag.ErrHelp
	}
	register, ok := drills[fs.Arg(0)]
	if !ok {
		fs.Usage()
		return fmt.Errorf("unknown drill %q", fs.Arg(0))
	}
	if o.workers < 1 {
		return errors.New("-workers must be at least 1")
	}
	dfs := flag.NewFlagSet("drill "+fs.Arg(0), flag.ContinueOnError)
	dfs.SetOutput(stderr)
	d := register(dfs)
	if err := dfs.Parse(fs.Args()[1:]); err != nil {
		return err
	}
	if dfs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", dfs.Args())
	}
	if err := d.check(); err != nil {
		return err
	}
	e, err := newEnv(ctx, o, fs.Arg(0), stdout)
	if err != nil {
		return err
	}
	rep, err := d.run(ctx, e)
	failed := err != nil || (rep != nil && !rep.ok())
	e.close(failed)
	if rep != nil {
		rep.print(stdout)
	}
	if err != nil {
		return err
	}
	if !rep.ok() {
		return fmt.Errorf("%s: a guarantee is broken (see the table)", fs.Arg(0))
	}
	return nil
}
