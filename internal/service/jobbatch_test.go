package service_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/syncbuf"
)

// backlog is a set of overdue requests, by the step domain.Overdue makes
// due on each once the clock is past every required-by time of the first
// day's requests.
type backlog struct {
	closing []int64 // review deadline passed, required-by not yet: closed
	late    []int64 // review closing after the need, required-by passed first: expired
	plain   []int64 // submitted, no review, required-by passed: expired
}

// newBacklog builds, from t0, late and plain requests needed at t0+5d (the
// late ones in a review confirmed to close an hour after the need), then a
// day later closing requests needed at t0+6d in reviews closing at t0+4d;
// it sets the clock to t0+5d+2h, when all of them are overdue at once.
func newBacklog(t *testing.T, f *reviewFixture, closing, late, plain int) backlog {
	t.Helper()
	ctx := t.Context()
	var b backlog
	t0 := f.clock.t
	for i := range plain {
		b.plain = append(b.plain, f.submitted(t, fmt.Sprintf("Plain %d", i)).ID)
	}
	for i := range late {
		r := f.submitted(t, fmt.Sprintf("Late %d", i))
		if _, err := f.reviews.Open(ctx, f.officer, r.ID, service.OpenInput{Version: r.Version,
			Deadline: r.RequiredBy.Add(time.Hour), AfterRequiredBy: true}); err != nil {
			t.Fatal(err)
		}
		b.late = append(b.late, r.ID)
	}
	f.clock.t = t0.Add(24 * time.Hour)
	for i := range closing {
		r := f.submitted(t, fmt.Sprintf("Closing %d", i))
		f.open(t, r) // the operation's 72 hours, before the need
		b.closing = append(b.closing, r.ID)
	}
	f.clock.t = t0.Add(5*24*time.Hour + 2*time.Hour)
	return b
}

// check asserts each request of b has exactly the one system step
// domain.Overdue made due on it in its trail (closing: one close; late
// and plain: one expiry), nothing else from the system, and that every
// audit chain verifies.
func (b backlog) check(t *testing.T, f *reviewFixture) {
	t.Helper()
	ctx := t.Context()
	rows, err := f.pool.Query(ctx, `SELECT request_id, action, count(*) FROM events
		WHERE action IN ($1, $2) GROUP BY request_id, action`, string(domain.ActionCloseReview), string(domain.ActionExpire))
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]map[string]int{}
	for rows.Next() {
		var (
			id     int64
			action string
			n      int
		)
		if err := rows.Scan(&id, &action, &n); err != nil {
			t.Fatal(err)
		}
		if got[id] == nil {
			got[id] = map[string]int{}
		}
		got[id][action] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := func(ids []int64, action domain.Action, status domain.Status) {
		t.Helper()
		for _, id := range ids {
			if g := got[id]; len(g) != 1 || g[string(action)] != 1 {
				t.Errorf("request %d: system steps %v, want one %s", id, g, action)
			}
		}
		var n int
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM requests WHERE id = ANY ($1) AND status = $2`,
			ids, string(status)).Scan(&n); err != nil || n != len(ids) {
			t.Errorf("%d of %d requests %s, %v", n, len(ids), status, err)
		}
	}
	want(b.closing, domain.ActionCloseReview, domain.StatusHCDecision)
	want(b.late, domain.ActionExpire, domain.StatusExpired)
	want(b.plain, domain.ActionExpire, domain.StatusExpired)
	if len(got) != len(b.closing)+len(b.late)+len(b.plain) {
		t.Errorf("%d requests have a system step, want %d", len(got), len(b.closing)+len(b.late)+len(b.plain))
	}
	if rep, err := f.reqs.VerifyAudit(ctx); err != nil || rep.Break != nil {
		t.Fatalf("VerifyAudit = %+v, %v", rep, err)
	}
}

// TestRunDueClearsBacklogInBatches: a backlog of 450 overdue requests,
// more than two batches, is cleared by one RunDue: each request gets the
// one step domain.Overdue says came first (a review whose deadline came
// before the need is closed; one closing after the need, and a request
// with no review, expire), the chains verify, each batch is logged, and
// a second run finds nothing to do.
func TestRunDueClearsBacklogInBatches(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 2)
	ctx := t.Context()
	b := newBacklog(t, f, 40, 30, 380)
	var logged syncbuf.Buffer
	f.reviews = service.NewReviews(store.New(f.pool), f.clock.now, slog.New(slog.NewTextHandler(&logged, nil)), nil)
	rep, err := f.reviews.RunDue(ctx)
	if err != nil || rep != (service.JobReport{Closed: 40, Expired: 410}) {
		t.Fatalf("RunDue = %+v, %v; want 40 closed, 410 expired", rep, err)
	}
	b.check(t, f)
	// The 70 past their review deadline in one batch (40 closed, the 30
	// needed before it expired), the 380 others in two (200, 180).
	if n := strings.Count(logged.String(), "review job batch"); n != 3 {
		t.Errorf("%d batches logged, want 3:\n%s", n, logged.String())
	}
	if !strings.Contains(logged.String(), "total_expired=410") {
		t.Errorf("the last batch does not log the total:\n%s", logged.String())
	}
	if rep, err := f.reviews.RunDue(ctx); err != nil || rep != (service.JobReport{}) {
		t.Fatalf("second RunDue = %+v, %v; want nothing", rep, err)
	}
}

// TestRunDueBatchesSeveralInstances: two instances clearing one backlog
// at once, in small batches, settle each request exactly once between
// them.
func TestRunDueBatchesSeveralInstances(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 2)
	b := newBacklog(t, f, 30, 20, 130)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reps := make(chan service.JobReport, 2)
	var wg sync.WaitGroup
	for range 2 {
		s := service.NewReviews(store.New(f.pool), f.clock.now, log, nil)
		s.Batch = 16
		wg.Go(func() {
			rep, err := s.RunDue(context.Background())
			if err != nil {
				t.Error(err)
			}
			reps <- rep
		})
	}
	wg.Wait()
	x, y := <-reps, <-reps
	if x.Closed+y.Closed != 30 || x.Expired+y.Expired != 150 {
		t.Fatalf("reports %+v and %+v; want 30 closed and 150 expired between them", x, y)
	}
	b.check(t, f)
}

// TestRunDueStopsBetweenBatches: a cancelled context stops the job
// between batches, every committed batch whole, and the next run
// finishes the backlog.
func TestRunDueStopsBetweenBatches(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 1)
	b := newBacklog(t, f, 0, 0, 30)
	f.reviews.Batch = 10
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rep, err := f.reviews.RunDue(ctx)
	if err == nil || rep.Expired > 10 {
		t.Fatalf("RunDue with a cancelled context = %+v, %v; want it stopped", rep, err)
	}
	rep2, err := f.reviews.RunDue(t.Context())
	if err != nil || rep.Expired+rep2.Expired != 30 {
		t.Fatalf("the next RunDue = %+v, %v; want the rest of 30", rep2, err)
	}
	b.check(t, f)
}
