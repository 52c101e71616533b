package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// probes are the sources the figures are explained from, found once.
type probes struct {
	serverPID  int
	postmaster int    // 0: PostgreSQL not measurable from here
	pgWhyNot   string // why postmaster is 0
	pool       *pgxpool.Pool
	pgss       bool   // pg_stat_statements usable in the bench database
	pgssWhyNot string // why not
	baseURL    string
	metricsTok string
	profileDir string // -cpuprofile
	perf       bool   // perf record works
	perfWhyNot string
}

// snapshot is the counters read before and after a run.
type snapshot struct {
	at               time.Time
	server, pg, self time.Duration
	serverOK, pgOK   bool
	prom             promSample
	promOK           bool
}

func (p *probes) take(ctx context.Context) snapshot {
	s := snapshot{at: time.Now(), self: selfCPU()}
	if v, err := processCPU(p.serverPID); err == nil {
		s.server, s.serverOK = v, true
	}
	if p.postmaster != 0 {
		if v, err := clusterCPU(p.postmaster); err == nil {
			s.pg, s.pgOK = v, true
		}
	}
	if v, err := scrape(ctx, p.baseURL, p.metricsTok); err == nil {
		s.prom, s.promOK = v, true
	}
	return s
}

// statement is one pg_stat_statements row of a run.
type statement struct {
	calls int64
	total float64 // ms
	query string
}

// explanation is what a run cost, per request served.
type explanation struct {
	requests int
	elapsed  time.Duration
	// CPU time over the run (0 with ok false: not measurable).
	server, pg, self time.Duration
	serverOK, pgOK   bool
	mallocs, bytes   float64
	acquires         float64
	promOK           bool
	calls            int64   // statements executed (pg_stat_statements)
	execMS           float64 // their total execution time
	top              []statement
	pgssOK           bool
	peakKiB          int64  // the server's VmHWM during the run
	profile          string // the profile written, or why none
}

// measure resets what can be reset, runs f (which returns the requests
// it sent), and explains the run. name names the profile file.
func (p *probes) measure(ctx context.Context, name string, d time.Duration, f func() int) explanation {
	var e explanation
	if p.pgss {
		if _, err := p.pool.Exec(ctx, `SELECT pg_stat_statements_reset()`); err != nil {
			p.pgss, p.pgssWhyNot = false, "reset failed: "+err.Error()
		}
	}
	_ = resetPeak(p.serverPID)
	var perfDone chan string
	if p.profileDir != "" {
		perfDone = make(chan string, 1)
		go func() { perfDone <- p.profile(ctx, name, d) }()
	}
	before := p.take(ctx)
	e.requests = f()
	after := p.take(ctx)
	e.elapsed = after.at.Sub(before.at)
	e.self = after.self - before.self
	if before.serverOK && after.serverOK {
		e.server, e.serverOK = after.server-before.server, true
	}
	if before.pgOK && after.pgOK {
		e.pg, e.pgOK = after.pg-before.pg, true
	}
	if before.promOK && after.promOK {
		e.promOK = true
		e.mallocs = after.prom.mallocs - before.prom.mallocs
		e.bytes = after.prom.allocBytes - before.prom.allocBytes
		e.acquires = after.prom.acquires - before.prom.acquires
	}
	if _, hwm, err := procStatus(p.serverPID); err == nil {
		e.peakKiB = hwm
	}
	if p.pgss {
		e.pgssOK = true
		if err := p.statements(ctx, &e); err != nil {
			e.pgssOK = false
		}
	}
	if perfDone != nil {
		e.profile = <-perfDone
	}
	return e
}

// statements reads the run's pg_stat_statements: the totals and the top 5
// by total execution time, in the bench database, the bench's own
// queries about the statistics left out.
func (p *probes) statements(ctx context.Context, e *explanation) error {
	const mine = `dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND query NOT LIKE '%pg_stat_statements%'`
	if err := p.pool.QueryRow(ctx, `SELECT coalesce(sum(calls), 0)::bigint, coalesce(sum(total_exec_time), 0)::float8
		FROM pg_stat_statements WHERE `+mine).Scan(&e.calls, &e.execMS); err != nil {
		return err
	}
	rows, _ := p.pool.Query(ctx, `SELECT calls, total_exec_time, left(regexp_replace(query, '\s+', ' ', 'g'), 110)
		FROM pg_stat_statements WHERE `+mine+` ORDER BY total_exec_time DESC LIMIT 5`)
	top, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (statement, error) {
		var s statement
		return s, r.Scan(&s.calls, &s.total, &s.query)
	})
	e.top = top
	return err
}

// profile records the server's CPU for d with perf (call graphs, the
// cpu-clock software event, which works in VMs without hardware
// counters) into DIR/<name>.perf.data and writes the flat and caller
// report beside it (DIR/<name>.txt). It returns what it wrote, or why
// nothing.
func (p *probes) profile(ctx context.Context, name string, d time.Duration) string {
	if !p.perf {
		return "no profile: " + p.perfWhyNot
	}
	data := filepath.Join(p.profileDir, name+".perf.data")
	secs := fmt.Sprintf("%.1f", d.Seconds())
	out, err := exec.CommandContext(ctx, "perf", "record", "-q", "-e", "cpu-clock", "-F", "499", "-g",
		"-p", fmt.Sprint(p.serverPID), "-o", data, "--", "sleep", secs).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("no profile: perf record: %v: %s", err, strings.TrimSpace(string(out)))
	}
	report, err := exec.CommandContext(ctx, "perf", "report", "-i", data, "--stdio", "--no-children",
		"--percent-limit", "0.5", "--sort", "symbol", "-g", "none").Output()
	if err != nil {
		return data + " (perf report failed: " + err.Error() + ")"
	}
	txt := filepath.Join(p.profileDir, name+".txt")
	if err := os.WriteFile(txt, report, 0o644); err != nil {
		return data
	}
	return data + ", " + txt
}

// findProbes locates the server's and PostgreSQL's processes, checks
// pg_stat_statements and perf.
func findProbes(ctx context.Context, pool *pgxpool.Pool, serverPID int, baseURL, metricsTok, profileDir string) *probes {
	p := &probes{serverPID: serverPID, pool: pool, baseURL: baseURL, metricsTok: metricsTok, profileDir: profileDir}
	var backend int
	if err := pool.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		p.pgWhyNot = err.Error()
	} else if p.postmaster, err = findPostmaster(backend); err != nil {
		p.pgWhyNot = err.Error()
	}
	var preload string
	_ = pool.QueryRow(ctx, `SELECT current_setting('shared_preload_libraries')`).Scan(&preload)
	switch {
	case !strings.Contains(preload, "pg_stat_statements"):
		p.pgssWhyNot = "not preloaded (shared_preload_libraries = '" + preload + "')"
	default:
		if _, err := pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
			p.pgssWhyNot = "CREATE EXTENSION: " + err.Error()
		} else {
			p.pgss = true
		}
	}
	if profileDir != "" {
		if err := os.MkdirAll(profileDir, 0o755); err != nil {
			p.perfWhyNot = err.Error()
		} else if _, err := exec.LookPath("perf"); err != nil {
			p.perfWhyNot = "perf is not installed (Debian: linux-perf)"
		} else if out, err := exec.CommandContext(ctx, "perf", "record", "-q", "-e", "cpu-clock", "-o", "/dev/null", "--", "true").CombinedOutput(); err != nil {
			p.perfWhyNot = "perf record does not work here: " + strings.TrimSpace(string(out))
		} else {
			p.perf = true
		}
	}
	return p
}
