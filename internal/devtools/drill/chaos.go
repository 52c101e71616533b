package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"
)

// chaosDrill is `drill chaos` (make chaos), three fault tests on one
// cluster and database:
//
//   - kill: the server is killed with SIGKILL repeatedly under a write
//     load and started again; every acknowledged write must be stored
//     once (the client retries with the same Idempotency-Key);
//   - restart: PostgreSQL is restarted under the load, once with
//     pg_ctl restart -m fast and once stopped immediately (a crash) and
//     started; the server must answer 503, never another 5xx, and lose
//     nothing;
//   - deadline: a second instance joins on the same database, both
//     running the review deadline job every second; reviews whose
//     deadline passes during the run must each be closed exactly once,
//     by the system.
//
// Then `cmcoord audit verify` checks every chain.
func chaosDrill(fs *flag.FlagSet) drill {
	kills := fs.Int("kills", 5, "SIGKILLs of the server")
	every := fs.Duration("every", 3*time.Second, "time between faults")
	reviews := fs.Int("reviews", 60, "reviews whose deadline passes during the deadline test")
	rate := fs.Int("rate", 20, "new writes a second")
	return drill{
		check: func() error {
			if *rate < 1 || *kills < 0 || *reviews < 1 || *every <= 0 {
				return errors.New("-rate and -reviews must be at least 1, -kills at least 0, -every positive")
			}
			return nil
		},
		run: func(ctx context.Context, e *env) (*report, error) {
			return runChaos(ctx, e, *kills, *every, *reviews, *rate)
		},
	}
}

// runChaos runs the chaos drill with its parsed flags.
func runChaos(ctx context.Context, e *env, kills int, every time.Duration, reviews, rate int) (*report, error) {
	c, err := e.cluster(ctx, "chaos")
	if err != nil {
		return nil, err
	}
	url, tok, err := e.prepare(ctx, c, writersFor(rate))
	if err != nil {
		return nil, err
	}
	job := []string{"-review-job-interval", "1s", "-db-connect-timeout", "2s"}
	a, err := e.startServer(ctx, "cmcoord-a", url, job...)
	if err != nil {
		return nil, err
	}
	rep := &report{title: fmt.Sprintf("drill chaos — %s, %d writes/s by %d workers, a fault every %s", version(c), rate, e.o.workers, every)}
	stamp := time.Now().Unix()

	// kill -9 under load.
	rep.section(fmt.Sprintf("kill -9 of cmcoord serve, %d times under the write load", kills))
	l := newLoad(a.baseURL, tok.writers, operation, fmt.Sprintf("kill%d", stamp), e.o.workers, rate)
	defer l.close()
	var faults []time.Time
	var restartTook []time.Duration
	err = underLoad(ctx, l, every, func() error {
		for i := range kills {
			faults = append(faults, time.Now())
			a.kill()
			start := time.Now()
			if err := a.start(ctx); err != nil {
				return err
			}
			restartTook = append(restartTook, time.Since(start))
			e.logf("kill %d/%d: cmcoord killed and serving again after %s", i+1, kills, secs(restartTook[i]))
			sleep(ctx, every)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	t, err := check(ctx, url, l)
	if err != nil {
		return nil, err
	}
	rep.loadRows(l.figures(), t)
	rep.info("process start after a kill (worst)", secs(worst(restartTook)))
	rep.info("seconds until writes succeed after a kill (worst)", outages(l, faults))

	// PostgreSQL restarts under load.
	rep.section("PostgreSQL restarted under the write load: pg_ctl restart -m fast, then an immediate stop and a start")
	l2 := newLoad(a.baseURL, tok.writers, operation, fmt.Sprintf("pgrestart%d", stamp), e.o.workers, rate)
	defer l2.close()
	var fast, crash time.Time
	var crashDown time.Duration
	err = underLoad(ctx, l2, every, func() error {
		fast = time.Now()
		if err := restartFast(ctx, c); err != nil {
			return err
		}
		e.logf("PostgreSQL restarted (fast) in %s", secs(time.Since(fast)))
		sleep(ctx, every)
		crash = time.Now()
		if err := stopImmediate(ctx, c); err != nil {
			return err
		}
		sleep(ctx, time.Second) // down for a moment, as after a crash
		if err := startAgain(ctx, c); err != nil {
			return err
		}
		crashDown = time.Since(crash)
		e.logf("PostgreSQL stopped (immediate) and started again: down %s", secs(crashDown))
		sleep(ctx, every)
		return nil
	})
	if err != nil {
		return nil, err
	}
	t2, err := check(ctx, url, l2)
	if err != nil {
		return nil, err
	}
	rep.loadRows(l2.figures(), t2)
	rep.info("seconds until writes succeed after the fast restart", outages(l2, []time.Time{fast}))
	rep.info("PostgreSQL down after the immediate stop (crash recovery included)", secs(crashDown))
	rep.info("seconds until writes succeed after the immediate stop", outages(l2, []time.Time{crash}))

	// Two instances share the deadline job.
	rep.section(fmt.Sprintf("two instances running the deadline job every second; %d reviews reach their deadline", reviews))
	b, err := e.startServer(ctx, "cmcoord-b", url, job...)
	if err != nil {
		return nil, err
	}
	// Requests are submitted first; then all reviews are opened at once,
	// with the same deadline: deadlines are kept to the minute, and this
	// one is 15 to 75 seconds away. Both instances serve the calls.
	base := func(i int) string {
		if i%2 == 1 {
			return b.baseURL()
		}
		return a.baseURL()
	}
	reqs := make([]submitted, reviews)
	ids := make([]int64, reviews)
	var g errgroup.Group
	g.SetLimit(e.o.workers)
	for i := range reviews {
		g.Go(func() error {
			var err error
			reqs[i], err = submitRequest(ctx, base(i), tok.writers[i%len(tok.writers)], fmt.Sprintf("deadline%d-%d", stamp, i))
			ids[i] = reqs[i].ID
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(75 * time.Second).Truncate(time.Minute)
	for i := range reviews {
		g.Go(func() error { return openReview(ctx, base(i+1), tok.officer, reqs[i], deadline.Add(30*time.Second)) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	e.logf("%d reviews open, closing at %s (in %s)", len(ids), deadline.Format(time.TimeOnly), secs(time.Until(deadline)))
	err = waitFor(ctx, time.Until(deadline)+time.Minute, func() (bool, error) {
		var open int
		err := queryRow2(ctx, url, "SELECT count(*) FROM reviews WHERE request_id = ANY($1) AND closed_at IS NULL", []any{ids}, &open)
		return open == 0, err
	})
	if err != nil {
		return nil, fmt.Errorf("the reviews were not all closed: %w", err)
	}
	var twice, never, byPerson, notDecisionStage int
	var lateness time.Duration
	if err := withConn(ctx, url, func(conn *pgx.Conn) error {
		if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE n > 1), count(*) FILTER (WHERE n = 0) FROM (
			SELECT r.id, count(ev.id) AS n FROM requests r
			LEFT JOIN events ev ON ev.request_id = r.id AND ev.action = 'request.review.close'
			WHERE r.id = ANY($1) GROUP BY r.id) x`, ids).Scan(&twice, &never); err != nil {
			return err
		}
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM reviews WHERE request_id = ANY($1) AND closed_by IS NOT NULL`, ids).Scan(&byPerson); err != nil {
			return err
		}
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM requests WHERE id = ANY($1) AND status <> 'hc_decision'`, ids).Scan(&notDecisionStage); err != nil {
			return err
		}
		var ms float64
		if err := conn.QueryRow(ctx, `SELECT coalesce(max(extract(epoch FROM closed_at - deadline)), 0) FROM reviews WHERE request_id = ANY($1)`, ids).Scan(&ms); err != nil {
			return err
		}
		lateness = time.Duration(ms * float64(time.Second))
		return nil
	}); err != nil {
		return nil, err
	}
	rep.info("reviews", len(ids))
	rep.zero("reviews closed twice (two close events)", twice)
	rep.zero("reviews never closed", never)
	rep.zero("reviews closed by a person rather than the job", byPerson)
	rep.zero("requests not moved to hc_decision", notDecisionStage)
	rep.info("closed by instance a / b (their logs)", fmt.Sprintf("%d / %d", jobClosed(a), jobClosed(b)))
	rep.info("latest close after the deadline", secs(lateness))
	failed := append(a.logLines(`"review job failed"`), b.logLines(`"review job failed"`)...)
	unavailable := 0
	for _, line := range failed {
		if strings.Contains(line, `"err":"unavailable`) {
			unavailable++
		}
	}
	rep.info("review job runs that found the database unavailable (during the restarts)", unavailable)
	rep.zero("review job runs failed otherwise (a deadlock, a conflict)", len(failed)-unavailable)

	rep.section("the database afterwards")
	auditOK, audit := e.auditVerify(ctx, url)
	rep.must("cmcoord audit verify", audit, "OK", auditOK)
	return rep, nil
}

// underLoad runs l until faults returns, with every of load before the
// first fault, then waits for the load's writes in hand to finish.
func underLoad(ctx context.Context, l *load, every time.Duration, faults func() error) error {
	hard, cancelHard := context.WithCancel(ctx)
	defer cancelHard()
	stopLoad, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.runFor(hard, stopLoad)
	}()
	sleep(ctx, every)
	err := faults()
	stop()
	if err != nil {
		cancelHard()
		<-done
		return err
	}
	// Writes in hand are retried until acknowledged, for at most 2 minutes.
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		cancelHard()
		<-done
	}
	return nil
}

// outages formats the worst time until writes succeeded after each fault.
func outages(l *load, faults []time.Time) string {
	var worstOne time.Duration
	for _, f := range faults {
		d, ok := l.outage(f)
		if !ok {
			return "never"
		}
		worstOne = max(worstOne, d)
	}
	return secs(worstOne)
}

func worst(ds []time.Duration) time.Duration {
	var w time.Duration
	for _, d := range ds {
		w = max(w, d)
	}
	return w
}

// jobClosed sums the reviews the instance's review job reports closing.
func jobClosed(s *server) int {
	n := 0
	for _, line := range s.logLines(`"msg":"review job"`) {
		var entry struct {
			Closed int `json:"closed"`
		}
		if json.Unmarshal([]byte(strings.TrimSpace(line)), &entry) == nil {
			n += entry.Closed
		}
	}
	return n
}

// withConn runs f on a connection to databaseURL.
func withConn(ctx context.Context, databaseURL string, f func(*pgx.Conn) error) error {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return f(conn)
}

// queryRow2 is queryRow with arguments.
func queryRow2(ctx context.Context, databaseURL, q string, args []any, dest ...any) error {
	return withConn(ctx, databaseURL, func(conn *pgx.Conn) error { return conn.QueryRow(ctx, q, args...).Scan(dest...) })
}
