package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// report gathers the runs and prints them at the end.
type report struct {
	o        options
	db       *benchDB
	settings settings
	cpus     int
	settled  settled
	probes   *probes
	missing  []*endpoint
	runs     []*loadRun
	pgbench  []pgbenchRun
	backlog  *backlogResult
}

// reportSettings prints what the figures depend on, before anything runs.
func reportSettings(w io.Writer, s settings) {
	fmt.Fprintf(w, "\nPostgreSQL %s: fsync=%s, synchronous_commit=%s (bench database sessions), shared_buffers=%s, shared_preload_libraries='%s'\n",
		s.version, s.fsync, s.syncCommit, s.sharedBuffers, s.preload)
	if s.fsync != "on" {
		fmt.Fprintln(w, "  creates are NOT durable: fsync is off on this server (a throwaway test cluster?); set TEST_DATABASE_URL to a server with fsync on to measure durable creates")
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(w, "load average before the run: %s\n", strings.TrimSpace(string(load)))
}

func (r *report) errors() (int, string) {
	n, first := 0, ""
	add := func(runs ...*loadRun) {
		for _, run := range runs {
			if run == nil {
				continue
			}
			for _, s := range run.stats {
				n += s.errs
				if first == "" && s.firstErr != "" {
					first = s.ep.key + ": " + s.firstErr
				}
			}
		}
	}
	add(r.runs...)
	if r.backlog != nil {
		add(r.backlog.quiet, r.backlog.during)
	}
	return n, first
}

func (r *report) print(w io.Writer) {
	o, db := r.o, r.db
	seeded := "reused"
	if !db.reused {
		seeded = "seeded in " + db.seedTime.Round(100*time.Millisecond).String()
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(w, "\ncmcoord load run (-mode %s): %d requests (%d in %s), %d events (%s); %d keep-alive clients, %s per run after %s warm-up; %d CPUs shared by server, PostgreSQL and clients; load average now %s\n",
		o.mode, db.requests, db.opRequests, db.opCode, db.events, seeded, o.clients, o.duration, o.warmup, r.cpus, strings.TrimSpace(string(load)))
	if r.settled.busy > 0 {
		fmt.Fprintf(w, "WARNING: -settle 0 and %d requests were overdue when the runs started: the deadline job was BUSY during them (not quiet figures)\n", r.settled.busy)
	} else if r.settled.first > 0 {
		fmt.Fprintf(w, "before the runs the deadline job expired %d overdue seeded requests in %.1f s (%.0f/s); every run below had it idle\n",
			r.settled.first, r.settled.took.Seconds(), float64(r.settled.first)/r.settled.took.Seconds())
	}
	fmt.Fprintln(w)

	// Throughput and latency.
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "endpoint\tgzip\tcount\terrors\treq/s\tp50\tp90\tp99\tmax\tKiB/answer\tissue 17 target\tverdict\tPRODUCT §7 p99 ≤ %s\n", ms(o.target))
	for _, run := range r.runs {
		for _, s := range run.stats {
			rps := float64(len(s.lat)) / run.elapsed.Seconds()
			p99 := pct(s.lat, 99)
			verdict := "-"
			if t := s.ep.target; t.rps > 0 && o.mode == "each" {
				verdict = "PASS"
				if rps < t.rps || t.p99 > 0 && p99 > t.p99 || len(s.lat) == 0 {
					verdict = "FAIL"
				}
			}
			s7 := "-"
			if s.ep.section7 {
				s7 = "PASS"
				if p99 > o.target || len(s.lat) == 0 {
					s7 = "FAIL"
				}
			}
			errs := fmt.Sprint(s.errs)
			if s.errs > 0 {
				var parts []string
				for st, n := range s.statuses {
					parts = append(parts, fmt.Sprintf("%d×%d", n, st))
				}
				errs += " (" + strings.Join(parts, " ") + ")"
			}
			kib := 0.0
			if c := s.count(); c > 0 {
				kib = float64(s.bytes) / float64(c) / 1024
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.0f\t%s\t%s\t%s\t%s\t%.1f\t%s\t%s\t%s\n", s.ep.key, onOff(run.gz), len(s.lat), errs, rps,
				ms(pct(s.lat, 50)), ms(pct(s.lat, 90)), ms(p99), ms(pct(s.lat, 100)), kib, s.ep.target, verdict, s7)
		}
	}
	for _, ep := range r.missing {
		fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t%s\tnot available (404: route not built yet)\t-\n", ep.key, ep.target)
	}
	tw.Flush()
	if o.mode == "mixed" {
		fmt.Fprintln(w, "(-mode mixed: the endpoints shared the clients; issue 17's per-endpoint targets apply to -mode each)")
	}
	r.printGzip(w)

	// What explains them.
	pr := r.probes
	fmt.Fprintf(w, "\nwhat the runs cost, per request served (CPU from /proc/<pid>/stat; %% of the %d CPUs over the run):\n\n", r.cpus)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "run\tserver CPU\tPostgreSQL CPU\tclient CPU\tCPU split server/PG/client\tstatements\tPG exec\tpool acquires\tallocs\talloc KiB\tpeak RSS")
	peak := int64(0)
	for _, run := range r.runs {
		e := run.ex
		n := e.requests
		wall := e.elapsed.Seconds() * float64(r.cpus)
		share := func(d time.Duration, ok bool) string {
			if !ok {
				return "n/a"
			}
			return fmt.Sprintf("%.0f%%", 100*d.Seconds()/wall)
		}
		perMS := func(d time.Duration, ok bool) string {
			if !ok {
				return "n/a"
			}
			return fmt.Sprintf("%.3f ms", perReq(d, n))
		}
		stmts, exec := "n/a", "n/a"
		if e.pgssOK && n > 0 {
			stmts = fmt.Sprintf("%.1f", float64(e.calls)/float64(n))
			exec = fmt.Sprintf("%.3f ms", e.execMS/float64(n))
		}
		allocs, kib, acq := "n/a", "n/a", "n/a"
		if e.promOK && n > 0 {
			allocs = fmt.Sprintf("%.0f", e.mallocs/float64(n))
			kib = fmt.Sprintf("%.1f", e.bytes/float64(n)/1024)
			acq = fmt.Sprintf("%.1f", e.acquires/float64(n))
		}
		peak = max(peak, e.peakKiB)
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s/%s/%s\t%s\t%s\t%s\t%s\t%s\t%s\n", run.name, gzSuffix(run.gz),
			perMS(e.server, e.serverOK), perMS(e.pg, e.pgOK), perMS(e.self, true),
			share(e.server, e.serverOK), share(e.pg, e.pgOK), share(e.self, true),
			stmts, exec, acq, allocs, kib, mib(e.peakKiB))
	}
	tw.Flush()
	fmt.Fprintf(w, "server peak RSS over the whole load: %s (issue 17: ≤ 150 MiB)\n", mib(peak))
	if pr.postmaster == 0 {
		fmt.Fprintf(w, "PostgreSQL CPU: n/a (%s)\n", pr.pgWhyNot)
	}
	if !pr.pgss {
		fmt.Fprintf(w, "statements, PG exec: n/a (pg_stat_statements %s)\n", pr.pgssWhyNot)
	}
	fmt.Fprintln(w, "round trips: the server counts none; statements (pg_stat_statements calls, BEGIN/COMMIT and each statement of a pgx batch included) bound them from above, pool acquires (cmcoord_pgxpool_acquire_total) from below")

	if pr.pgss {
		fmt.Fprintln(w, "\ntop 5 statements by total execution time, per run (calls per request, ms per call):")
		for _, run := range r.runs {
			fmt.Fprintf(w, "  %s%s:\n", run.name, gzSuffix(run.gz))
			for _, s := range run.ex.top {
				per := 0.0
				if s.calls > 0 {
					per = s.total / float64(s.calls)
				}
				fmt.Fprintf(w, "    %5.2f/req  %7.3f ms  %s\n", float64(s.calls)/float64(max(1, run.ex.requests)), per, s.query)
			}
		}
	}
	if o.cpuprofile != "" {
		fmt.Fprintln(w, "\nprofiles (perf record -e cpu-clock -g -p <server>, for -duration; perf's own cost is in these runs' figures):")
		for _, run := range r.runs {
			fmt.Fprintf(w, "  %s%s: %s\n", run.name, gzSuffix(run.gz), run.ex.profile)
		}
	}
	r.printPgbench(w)
	if r.backlog != nil {
		r.backlog.print(w, o)
	}
}

// printGzip prints each HTML page's throughput with gzip against without.
func (r *report) printGzip(w io.Writer) {
	plain := map[string]float64{}
	for _, run := range r.runs {
		if len(run.stats) == 1 && !run.gz {
			plain[run.name] = float64(len(run.stats[0].lat)) / run.elapsed.Seconds()
		}
	}
	first := true
	for _, run := range r.runs {
		if len(run.stats) != 1 || !run.gz || plain[run.name] == 0 {
			continue
		}
		if first {
			fmt.Fprintln(w, "\nAccept-Encoding: gzip against none (issue 17: the HTML pages lose ≤ 10 %):")
			first = false
		}
		g := float64(len(run.stats[0].lat)) / run.elapsed.Seconds()
		loss := 100 * (1 - g/plain[run.name])
		verdict := "PASS"
		if loss > 10 {
			verdict = "FAIL"
		}
		fmt.Fprintf(w, "  %-12s %6.0f → %6.0f req/s: %+.1f %% loss  %s\n", run.name, plain[run.name], g, loss, verdict)
	}
}

// printPgbench prints the server's throughput against PostgreSQL alone
// running the page's main query.
func (r *report) printPgbench(w io.Writer) {
	if len(r.pgbench) == 0 {
		return
	}
	rps := map[string]float64{}
	for _, run := range r.runs {
		if len(run.stats) == 1 && !run.gz {
			rps[run.name] = float64(len(run.stats[0].lat)) / run.elapsed.Seconds()
		}
	}
	fmt.Fprintf(w, "\nPostgreSQL alone: pgbench -n -M prepared -c %d -j 2 -T %.0f on the bench database, the page's main query as the store sends it"+
		" (create: internal/devtools/bench/pgbench/create-*.sql):\n", r.o.clients, r.o.duration.Seconds())
	for _, p := range r.pgbench {
		if p.label != "" {
			fmt.Fprintf(w, "  %s, %s:\n", p.key, p.label)
		}
		if p.err != nil {
			fmt.Fprintf(w, "  %-6s n/a: %v\n", p.key, p.err)
			continue
		}
		fmt.Fprintf(w, "  %-6s %8.0f tps; the server %6.0f req/s = %.1f %% of it\n", p.key, p.tps, rps[p.key], 100*rps[p.key]/p.tps)
		fmt.Fprintf(w, "         script: %.200s\n", strings.Join(strings.Fields(p.script), " "))
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func gzSuffix(gz bool) string {
	if gz {
		return "+gzip"
	}
	return ""
}
