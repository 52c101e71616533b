package service_test

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/notify"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
)

// dueWorld is one database seeded with every kind of item the deadline
// job meets, at t0+5d+2h.
type dueWorld struct {
	f        *reviewFixture
	ids      []int64                 // every request, by ID
	inStatus map[domain.Status]int64 // a request expiring from each status
	closing  int64                   // review past its deadline, need not passed: closed, with a vote
	remind   int64                   // review due its reminder, one organisation voted
	notDue   int64                   // submitted, needed later
}

// newDueWorld seeds, with the server's notifier (in-app and e-mail), one
// request in each status the expiry leaves from, all past their need (the
// one in review with its review still open: cancelled), a review to
// close at its deadline with a vote cast, a review due its reminder and a
// request not due, then sets the clock to when all are due at once.
func newDueWorld(t *testing.T) dueWorld {
	t.Helper()
	ctx := t.Context()
	f := newReviewFixture(t, 3)
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.reviews = service.NewReviews(store.New(f.pool), f.clock.now, log,
		notify.New(catalog, true, "https://cmcoord.example.org", log).WithClock(f.clock.now))
	w := dueWorld{f: f, inStatus: map[domain.Status]int64{}}
	vote := func(by domain.Actor, r domain.Request, v domain.VoteValue, comment string) {
		t.Helper()
		if _, err := f.reviews.Vote(ctx, by, r.ID, service.VoteInput{Value: v, Comment: comment}); err != nil {
			t.Fatal(err)
		}
	}
	t0 := f.clock.t
	// Needed at t0+5d.
	w.inStatus[domain.StatusSubmitted] = f.submitted(t, "Plain").ID
	r := f.submitted(t, "Returned")
	if _, err := f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionReturn,
		domain.TransitionInput{Version: r.Version, Reason: "Which road?"}); err != nil {
		t.Fatal(err)
	}
	w.inStatus[domain.StatusReturned] = r.ID
	r = f.submitted(t, "Late review")
	if _, err := f.reviews.Open(ctx, f.officer, r.ID, service.OpenInput{Version: r.Version,
		Deadline: r.RequiredBy.Add(time.Hour), AfterRequiredBy: true}); err != nil {
		t.Fatal(err)
	}
	vote(f.hct[2], r, domain.VoteObject, "Trucks can go")
	w.inStatus[domain.StatusHCTReview] = r.ID
	r = f.submitted(t, "Awaiting decision")
	f.open(t, r)
	for i, h := range f.hct {
		vote(h, r, domain.VoteSupport, fmt.Sprintf("Yes %d", i))
	}
	if _, err := f.reviews.Close(ctx, f.officer, r.ID, r.Version); err != nil {
		t.Fatal(err)
	}
	w.inStatus[domain.StatusHCDecision] = r.ID
	// Needed at t0+6d, the review closing at t0+4d.
	f.clock.t = t0.Add(24 * time.Hour)
	r = f.submitted(t, "Closing")
	f.open(t, r)
	vote(f.hct[0], r, domain.VoteSupportConditions, "Unarmed crew only")
	vote(f.hct[1], r, domain.VoteAbstain, "")
	w.closing = r.ID
	// Opened at t0+2d12h: reminder at t0+5d, deadline t0+5d12h, needed
	// at t0+7d12h; the first organisation voted.
	f.clock.t = t0.Add(60 * time.Hour)
	r = f.submitted(t, "Reminded")
	f.open(t, r)
	vote(f.hct[0], r, domain.VoteSupport, "")
	w.remind = r.ID
	w.notDue = f.submitted(t, "Not due").ID
	f.clock.t = t0.Add(5*24*time.Hour + 2*time.Hour)

	t.Logf("expire from %v", w.inStatus)
	ex, _ := domain.TransitionFor(domain.ActionExpire)
	for _, s := range ex.From {
		id, ok := w.inStatus[s]
		if !ok {
			t.Fatalf("the expiry leaves from %s, and this test seeds no request in it", s)
		}
		if got := f.status(t, id); got != s {
			t.Fatalf("request %d is %s, want %s", id, got, s)
		}
	}
	rows, err := f.pool.Query(ctx, `SELECT id FROM requests ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		w.ids = append(w.ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return w
}

// dump returns, table by table, every row the job may write, as text,
// in an order that does not depend on the order the job wrote them in
// (no generated IDs but the requests' and reviews').
func dump(t *testing.T, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	queries := map[string]string{
		"requests": `SELECT to_jsonb(r)::text FROM requests r ORDER BY id`,
		"reviews":  `SELECT to_jsonb(v)::text FROM reviews v ORDER BY id`,
		"events": `SELECT concat_ws(' | ', request_id, seq, actor_id, action, payload, at, encode(prev_hash, 'hex'), encode(hash, 'hex'))
			FROM events ORDER BY request_id, seq`,
		"notifications": `SELECT concat_ws(' | ', request_id, user_id, kind, data, created_at, read_at)
			FROM notifications ORDER BY 1`,
		// An e-mail's action links are random: compared by the links
		// stored for them (purpose, value, expiry), not their tokens.
		"outbox": `SELECT concat_ws(' | ', n.request_id, n.user_id, n.kind, o.to_address, o.subject,
			regexp_replace(o.body, '/act/[A-Za-z0-9_-]+', '/act/TOKEN', 'g'), o.created_at,
			o.next_attempt_at, o.attempts) FROM outbox o LEFT JOIN notifications n ON n.id = o.notification_id ORDER BY 1`,
		"action_links": `SELECT concat_ws(' | ', user_id, request_id, review_id, round, purpose, value, created_at, expires_at, used_at)
			FROM action_links ORDER BY 1`,
	}
	out := map[string][]string{}
	for table, q := range queries {
		rows, err := pool.Query(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestRunDueAgreesWithSettle: the same seeded situation (every kind the
// job meets) settled once request by request with the per-request path
// (Reviews.Settle, which a refused step runs) and once by RunDue's
// set-based batches ends in the same requests, reviews, events (payloads,
// hashes: the chains are the same and verify), notifications and
// e-mails, byte for byte.
func TestRunDueAgreesWithSettle(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	one, set := newDueWorld(t), newDueWorld(t)
	if !slices.Equal(one.ids, set.ids) {
		t.Fatalf("the two worlds differ: %v and %v", one.ids, set.ids)
	}
	if before, after := dump(t, one.f.pool), dump(t, set.f.pool); fmt.Sprint(before) != fmt.Sprint(after) {
		t.Fatal("the two worlds differ before settling")
	}

	// One request at a time; then the job finds only the reminder left.
	done := map[int64]domain.Action{}
	for _, id := range one.ids {
		a, err := one.f.reviews.Settle(ctx, id)
		if err != nil {
			t.Fatalf("Settle(%d): %v", id, err)
		}
		done[id] = a
	}
	for s, id := range one.inStatus {
		if done[id] != domain.ActionExpire {
			t.Errorf("request in %s: Settle took %q, want an expiry", s, done[id])
		}
	}
	if done[one.closing] != domain.ActionCloseReview || done[one.remind] != "" || done[one.notDue] != "" {
		t.Errorf("Settle took %v", done)
	}
	if rep, err := one.f.reviews.RunDue(ctx); err != nil || rep != (service.JobReport{Reminded: 1}) {
		t.Fatalf("RunDue after Settle = %+v, %v; want the reminder only", rep, err)
	}

	// The set-based job, everything at once.
	rep, err := set.f.reviews.RunDue(ctx)
	if err != nil || rep != (service.JobReport{Closed: 1, Reminded: 1, Expired: len(set.inStatus)}) {
		t.Fatalf("RunDue = %+v, %v", rep, err)
	}

	a, b := dump(t, one.f.pool), dump(t, set.f.pool)
	for _, table := range []string{"requests", "reviews", "events", "notifications", "outbox"} {
		if len(a[table]) == 0 {
			t.Errorf("%s: nothing to compare", table)
		}
		for i := range max(len(a[table]), len(b[table])) {
			var x, y string
			if i < len(a[table]) {
				x = a[table][i]
			}
			if i < len(b[table]) {
				y = b[table][i]
			}
			if x != y {
				t.Errorf("%s row %d:\n per request: %s\n set-based:   %s", table, i, x, y)
			}
		}
	}
	for _, w := range []dueWorld{one, set} {
		if rep, err := w.f.reqs.VerifyAudit(ctx); err != nil || rep.Break != nil {
			t.Fatalf("VerifyAudit = %+v, %v", rep, err)
		}
	}
	// What each kind received, once (the two worlds agree).
	kinds := map[string]int{}
	for _, n := range b["notifications"] {
		for _, k := range []domain.NoticeKind{domain.NoticeExpired, domain.NoticeReviewClosed, domain.NoticeReviewReminder} {
			if strings.Contains(n, " | "+string(k)+" | ") {
				kinds[string(k)]++
			}
		}
	}
	// Expired: each requester and the officer (the requester is also the
	// author of all: 4 requests × 2), plus the 3 voters of the open review
	// cancelled; closed: the HC and the officer for the system's close,
	// the HC alone for the officer's close while seeding (the officer is
	// not told of their own action); reminder: the HCT members
	// of the two organisations that had not voted.
	want := map[string]int{string(domain.NoticeExpired): 4*2 + 3, string(domain.NoticeReviewClosed): 1 + 2,
		string(domain.NoticeReviewReminder): 2}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("notices by kind %v, want %v", kinds, want)
	}
}
