package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// backlogResult is the backlog phase's measurements.
type backlogResult struct {
	asked, made int
	restored    int           // of made: requests the settle step had expired, put back as submitted
	cleared     time.Duration // from the commit making them overdue to none overdue
	done        bool          // false: still overdue when the phase gave up
	left        int64
	batches     int // "review job batch" lines the server logged meanwhile
	quiet       *loadRun
	during      *loadRun
}

// runBacklog makes o.backlog undecided requests overdue (the bench
// operation's first, then the others' when it has too few), then loads the list and request pages together while the
// server's own deadline job (every second) expires them, until none is
// overdue; it compares the pages' p99 with a quiet run of the same mix
// just before. Which requests: first those the settle step expired (put
// back as submitted, their status_reason cleared, the status trigger off
// for that one transaction, as the seeder inserts), then undecided ones
// not yet due. The data is no longer the seed's afterwards: the kept
// database's marker is changed, so the next run seeds again.
func runBacklog(ctx context.Context, o options, env *loadEnv, pool *pgxpool.Pool, srv *server, serverURL string, rep *report, logf func(string, ...any)) (*backlogResult, error) {
	res := &backlogResult{asked: o.backlog}
	var group []*endpoint
	for _, ep := range endpoints() {
		if ep.key == "list" || ep.key == "show" {
			group = append(group, &ep)
		}
	}
	logf("backlog: a quiet run of list and show together (%s) to compare with", o.duration)
	drive(ctx, env, o.clients, o.warmup, group, false, nil)
	res.quiet = &loadRun{name: "list+show quiet"}
	res.quiet.stats, res.quiet.elapsed = drive(ctx, env, o.clients, o.duration, group, false, nil)

	op := 0
	if err := pool.QueryRow(ctx, `SELECT id FROM operations WHERE code = $1`, env.db.opCode).Scan(&op); err != nil {
		return nil, err
	}
	// Mark the database first: whatever happens next, it is not the seed.
	if _, err := pool.Exec(ctx, `UPDATE app_settings SET value = value || ' (changed by -backlog: reseed)' WHERE key = $1`, markerKey); err != nil {
		return nil, err
	}
	before := countInLog(srv.logPath, "review job batch")
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	rows, _ := tx.Query(ctx, `SELECT id, status = 'expired' FROM requests
		WHERE status = 'expired' OR status = ANY($2) AND required_by > now()
		ORDER BY operation_id = $1 DESC, status = 'expired' DESC, id LIMIT $3`, op, expirable(), o.backlog)
	type pick struct {
		id       int64
		restored bool
	}
	picks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pick, error) {
		var p pick
		return p, r.Scan(&p.id, &p.restored)
	})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(picks))
	for i, p := range picks {
		ids[i] = p.id
		if p.restored {
			res.restored++
		}
	}
	res.made = len(ids)
	if _, err := tx.Exec(ctx, `ALTER TABLE requests DISABLE TRIGGER requests_check_status`); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE requests SET
		    status = CASE WHEN status = 'expired' THEN $2 ELSE status END,
		    status_reason = CASE WHEN status = 'expired' THEN '' ELSE status_reason END,
		    required_by = now() - interval '1 hour'
		WHERE id = ANY($1)`, ids, string(domain.StatusSubmitted)); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `ALTER TABLE requests ENABLE TRIGGER requests_check_status`); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	start := time.Now()
	logf("backlog: %d requests overdue (%d of them put back from expired); loading list and show until the deadline job clears them", res.made, res.restored)

	limit := max(10*time.Minute, o.duration)
	var clearedAt time.Time
	cleared := func() bool {
		var n int64
		if err := pool.QueryRow(ctx, overdueSQL, expirable()).Scan(&n); err != nil {
			return false
		}
		res.left = n
		if n == 0 {
			clearedAt = time.Now()
			return true
		}
		if time.Since(start) > limit {
			return true
		}
		return false
	}
	res.during = &loadRun{name: "list+show during the backlog"}
	res.during.stats, res.during.elapsed = drive(ctx, env, o.clients, 0, group, false, cleared)
	if !clearedAt.IsZero() {
		res.done, res.cleared = true, clearedAt.Sub(start)
	} else {
		res.cleared = time.Since(start)
	}
	res.batches = countInLog(srv.logPath, "review job batch") - before
	logf("backlog: cleared=%v in %s, %d job batch lines", res.done, res.cleared.Round(100*time.Millisecond), res.batches)
	return res, ctx.Err()
}

// countInLog counts the lines of the server's log holding s.
func countInLog(path, s string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), s)
}

func (b *backlogResult) print(w interface{ Write([]byte) (int, error) }, o options) {
	fmt.Fprintf(w, "\nbacklog (-backlog %d): %d requests made overdue (%d put back from expired, the rest undecided and not yet due), the server's deadline job every 1 s\n",
		b.asked, b.made, b.restored)
	if b.done {
		fmt.Fprintf(w, "  cleared in %.1f s (%.0f requests/s; issue 17: 25,000 in ≤ 10 s), %d `review job batch` log lines\n",
			b.cleared.Seconds(), float64(b.made)/b.cleared.Seconds(), b.batches)
	} else {
		fmt.Fprintf(w, "  NOT cleared: %d still overdue after %.0f s; %d `review job batch` log lines\n", b.left, b.cleared.Seconds(), b.batches)
	}
	for i, s := range b.during.stats {
		q := b.quiet.stats[i]
		qp, dp := pct(q.lat, 99), pct(s.lat, 99)
		ratio := 0.0
		if qp > 0 {
			ratio = float64(dp) / float64(qp)
		}
		verdict := "PASS"
		if ratio > 1.5 || len(s.lat) == 0 {
			verdict = "FAIL"
		}
		fmt.Fprintf(w, "  %-20s quiet p99 %s (%.0f req/s)  during p99 %s (%.0f req/s, %d requests, %d errors)  ×%.2f  (≤ 1.5×: %s)\n",
			s.ep.key, ms(qp), float64(q.count())/b.quiet.elapsed.Seconds(), ms(dp), float64(s.count())/b.during.elapsed.Seconds(), len(s.lat), s.errs, ratio, verdict)
	}
	fmt.Fprintf(w, "  the database's seed marker now says it was changed: the next -keep run seeds it again\n")
}
