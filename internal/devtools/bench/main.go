// Command bench is cmcoord's load run (PRODUCT.md §7, "Fast at scale"):
//
//	go run ./internal/devtools/testenv -- go run ./internal/devtools/bench [flags]
//
// It creates (or, with -keep, reuses) a throwaway database on the server
// in TEST_DATABASE_URL (else DATABASE_URL), migrates it with
// store.Migrate, loads the demo data through the services, seeds
// -requests requests over the demo operations and -events audit events
// (package seed), builds cmcoord and runs the real `cmcoord serve` on it,
// signs in the demo officer and requester, and drives -clients
// concurrent clients for -duration against the request list and the
// request page, HTML and JSON. It prints count, errors, p50/p90/p99/max
// latency and requests per second per endpoint, and PASS or FAIL against
// p99 ≤ 50 ms. An endpoint whose route answers 404 is reported as not
// available (the feature is not built yet), not as a failure.
//
// Before the load (unless -exports=false), the exports phase downloads
// every operation's full CSV, then XLSX, export through the API as the
// officer, one at a time, and prints rows, seconds, rows per second,
// bytes and the server process's resident memory before and at its peak
// during each download, and PASS or FAIL against PRODUCT.md §7's CSV
// export of 100,000 requests in ≤ 3 s.
//
// The exit status is 1 when anything fails (setup, a request error);
// a missed latency or export target is reported, not an error.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// options are the command's flags.
type options struct {
	requests int
	events   int
	clients  int
	duration time.Duration
	warmup   time.Duration
	keep     bool
	name     string
	bin      string
	goCmd    string
	target   time.Duration
	workers  int
	only     []string // endpoint keys; empty for the mode's default
	mode     string   // each or mixed
	gzip     string   // off, on or both
	// What explains the figures.
	cpuprofile string
	pgbench    bool
	deepPages  int
	writers    int
	settle     time.Duration
	backlog    int
	// The exports phase.
	exports      bool
	exportTarget time.Duration
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.requests, "requests", 100_000, "requests to seed")
	fs.IntVar(&o.events, "events", 1_000_000, "audit events to seed")
	fs.IntVar(&o.clients, "clients", 16, "concurrent clients (keep-alive connections)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured load per endpoint (-mode each) or for the mix")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load before each measured run")
	fs.StringVar(&o.mode, "mode", "each", "each: every endpoint loaded alone in turn; mixed: the endpoints together, each client taking them in turn")
	fs.StringVar(&o.gzip, "gzip", "off", "off: no Accept-Encoding; on: Accept-Encoding: gzip; both: the HTML pages twice, without and with gzip, and the loss")
	fs.BoolVar(&o.keep, "keep", false, "keep the seeded database, and reuse it on the next run with the same sizes")
	fs.StringVar(&o.name, "name", "", "database name, starting with cmcoord_bench (default cmcoord_bench_<requests>_<events>)")
	fs.StringVar(&o.bin, "bin", "", "a built cmcoord binary to serve with (default: build ./cmd/cmcoord into a temporary directory)")
	fs.StringVar(&o.goCmd, "go", "", "the go command used to build cmcoord (default: go on PATH)")
	fs.DurationVar(&o.target, "target", 50*time.Millisecond, "p99 latency target of the list and request pages (PRODUCT.md §7)")
	fs.IntVar(&o.workers, "seed-workers", 2, "parallel COPY streams for the events")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "record the server's CPU with perf during each measured run into DIR/<endpoint>.perf.data (and a text report DIR/<endpoint>.txt)")
	fs.BoolVar(&o.pgbench, "pgbench", true, "run pgbench with the list and request pages' main queries, and with what a creation sends (pgbench/create-*.sql), for the ratio (-mode each)")
	fs.IntVar(&o.deepPages, "deep-pages", 100, "how many pages down list.deep is")
	fs.IntVar(&o.writers, "writers", 1000, "requester accounts the create load spreads over (each may create 20 a minute, domain.LimitDrafts)")
	fs.DurationVar(&o.settle, "settle", 20*time.Minute, "longest wait for the deadline job to clear what is overdue before the quiet runs; 0: no wait, the runs say the job was busy")
	fs.IntVar(&o.backlog, "backlog", 0, "after the quiet runs, make this many undecided requests overdue and load the list and request pages while the deadline job clears them")
	fs.BoolVar(&o.exports, "exports", true, "before the load, download every operation's full CSV and XLSX export and measure them")
	fs.DurationVar(&o.exportTarget, "export-target", 3*time.Second, "target for the CSV export of 100,000 requests (PRODUCT.md §7)")
	only := fs.String("endpoints", "", "comma-separated endpoints: list, list.json, show, show.json, operation, dashboard, list.deep, list.search, create, or all (default: all with -mode each, the first four with -mode mixed)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if *only != "" {
		known := map[string]bool{}
		for _, ep := range endpoints() {
			known[ep.key] = true
		}
		for _, k := range strings.Split(*only, ",") {
			if k == "all" {
				o.only = nil
				for _, ep := range endpoints() {
					o.only = append(o.only, ep.key)
				}
				break
			}
			if !known[k] {
				return o, fmt.Errorf("-endpoints: unknown endpoint %q", k)
			}
			o.only = append(o.only, k)
		}
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.mode != "each" && o.mode != "mixed" {
		return o, fmt.Errorf("-mode %q: each or mixed", o.mode)
	}
	if o.gzip != "off" && o.gzip != "on" && o.gzip != "both" {
		return o, fmt.Errorf("-gzip %q: off, on or both", o.gzip)
	}
	if o.requests < 1 || o.events < 0 || o.clients < 1 || o.duration <= 0 {
		return o, errors.New("-requests and -clients must be at least 1, -events at least 0, -duration positive")
	}
	if o.writers < 1 {
		return o, errors.New("-writers must be at least 1 (create spreads over them)")
	}
	if o.name == "" {
		o.name = fmt.Sprintf("cmcoord_bench_%d_%d", o.requests, o.events)
	}
	// The database is dropped and recreated at will: refuse a name that
	// could be somebody's real database.
	if !strings.HasPrefix(o.name, "cmcoord_bench") {
		return o, fmt.Errorf("-name %q must start with cmcoord_bench", o.name)
	}
	return o, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	serverURL := getenv("TEST_DATABASE_URL")
	if serverURL == "" {
		serverURL = getenv("DATABASE_URL")
	}
	if serverURL == "" {
		return errors.New("no PostgreSQL: set TEST_DATABASE_URL or DATABASE_URL, or run through `go run ./internal/devtools/testenv --` (make bench does)")
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stdout, "bench: "+format+"\n", a...)
	}
	eps := o.selected()
	changed := false // by -backlog: the kept database is no longer the seed

	// Whatever happens from here on, the database goes unless -keep (an
	// interrupted seed has no marker, so a kept one is seeded afresh).
	defer func() {
		if o.keep && changed {
			logf("kept database %s (-keep), changed by -backlog: the next run seeds it again", o.name)
			return
		}
		if o.keep {
			logf("kept database %s (-keep); the next run with the same sizes reuses it", o.name)
			return
		}
		dropCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := dropDatabase(dropCtx, serverURL, o.name); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return
		}
		logf("dropped database %s", o.name)
	}()
	db, err := prepareDatabase(ctx, serverURL, o, wantsCreate(eps), logf)
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, db.url)
	if err != nil {
		return err
	}
	defer pool.Close()
	settings, err := readSettings(ctx, pool)
	if err != nil {
		return err
	}
	reportSettings(stdout, settings)
	var drafts int64
	// Since the create load writes into writeOperation, only a database
	// kept from before holds its drafts in the measured operation.
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM requests r JOIN users u ON u.id = r.created_by
		JOIN operations o ON o.id = r.operation_id
		WHERE u.email LIKE 'writer%@bench.example.org' AND o.code = $1`, benchOperation).Scan(&drafts); err == nil && drafts > 0 {
		fmt.Fprintf(stdout, "  the kept database holds %d requests in %s created by earlier runs' create load (drafts: the requester's list shows them, the officer's list query scans past them); seed afresh to compare with other runs\n", drafts, benchOperation)
	}

	metricsTok := randomToken()
	srv, err := startServer(ctx, o, db.url, metricsTok, logf)
	if err != nil {
		return err
	}
	defer srv.stop(logf)
	rep := &report{o: o, db: db, settings: settings, cpus: runtime.NumCPU()}

	if o.exports {
		ds, err := runExports(ctx, srv.baseURL, db, srv.cmd.Process.Pid, logf)
		if err != nil {
			srv.keepLog = true
			return fmt.Errorf("%w; server log: %s", err, srv.logPath)
		}
		reportExports(stdout, o, ds)
	}
	if rep.settled, err = settle(ctx, pool, o.settle, logf); err != nil {
		return err
	}
	env, err := setupLoad(ctx, o, srv.baseURL, db, db.writerTokens, logf)
	if err != nil {
		return err
	}
	pr := findProbes(ctx, pool, srv.cmd.Process.Pid, srv.baseURL, metricsTok, o.cpuprofile)
	rep.probes = pr
	// With -mode each, pgbench runs between the reads and create: the
	// drafts create adds are the newest rows of the officer's list index,
	// which its main query then scans past.
	reads, writes := eps, []*endpoint(nil)
	if o.mode == "each" {
		isCreate := func(e *endpoint) bool { return e.key == "create" }
		reads = slices.DeleteFunc(slices.Clone(eps), isCreate)
		if i := slices.IndexFunc(eps, isCreate); i >= 0 {
			writes = eps[i : i+1]
		}
	}
	if len(reads) > 0 {
		if err := runLoad(ctx, o, env, pr, reads, rep, logf); err != nil {
			return err
		}
	}
	if o.mode == "each" && o.pgbench && (slices.ContainsFunc(eps, func(e *endpoint) bool { return e.key == "list" || e.key == "show" })) {
		rep.pgbench = runPgbench(ctx, db.url, db, o.clients, o.duration, logf)
	}
	if len(writes) > 0 {
		if err := runLoad(ctx, o, env, pr, writes, rep, logf); err != nil {
			return err
		}
		if o.pgbench {
			rep.pgbench = append(rep.pgbench, runCreatePgbench(ctx, db.url, pool, o.clients, o.duration, logf)...)
		}
	}
	if o.backlog > 0 {
		changed = true
		if rep.backlog, err = runBacklog(ctx, o, env, pool, srv, serverURL, rep, logf); err != nil {
			return err
		}
	}
	rep.print(stdout)
	if n, first := rep.errors(); n > 0 {
		srv.keepLog = true
		return fmt.Errorf("%d requests failed (first: %s); server log: %s", n, first, srv.logPath)
	}
	return nil
}

// selected returns the endpoints to load, in the order they run.
func (o options) selected() []*endpoint {
	var out []*endpoint
	for _, ep := range endpoints() {
		switch {
		case len(o.only) > 0 && !slices.Contains(o.only, ep.key):
			continue
		case len(o.only) == 0 && o.mode == "mixed" && !ep.defaultMixed:
			continue
		}
		out = append(out, &ep)
	}
	return out
}

func wantsCreate(eps []*endpoint) bool {
	return slices.ContainsFunc(eps, func(e *endpoint) bool { return e.key == "create" })
}

// randomToken is the server's -metrics-token for this run.
func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
