package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// reviewSteps are the steps a member may try on a request in review,
// each as the role that may take it: every time-barred row of the
// rulebook from hct_review.
func reviewSteps(f *reviewFixture) map[domain.Action]func(ctx context.Context, r domain.Request) error {
	return map[domain.Action]func(ctx context.Context, r domain.Request) error{
		domain.ActionVote: func(ctx context.Context, r domain.Request) error {
			_, err := f.reviews.Vote(ctx, f.hct[1], r.ID, service.VoteInput{Value: domain.VoteSupport})
			return err
		},
		domain.ActionCloseReview: func(ctx context.Context, r domain.Request) error {
			_, err := f.reviews.Close(ctx, f.officer, r.ID, r.Version)
			return err
		},
		domain.ActionRemindVoters: func(ctx context.Context, r domain.Request) error {
			_, err := f.reviews.Remind(ctx, f.officer, r.ID, r.Version)
			return err
		},
		domain.ActionReturnReview: func(ctx context.Context, r domain.Request) error {
			_, err := f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionReturnReview, domain.TransitionInput{Version: r.Version, Reason: "Fuel plan?"})
			return err
		},
		domain.ActionWithdraw: func(ctx context.Context, r domain.Request) error {
			_, err := f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionWithdraw, domain.TransitionInput{Version: r.Version, Reason: "Road open."})
			return err
		},
	}
}

// TestDeadlineHeldWithoutTheJob: once a review's deadline has come, every
// step the rulebook lets time overtake in hct_review is refused with the
// reason, though no job has run; the refusal closes the review at once,
// with only the votes cast before the deadline, so the record is true
// before the job's next run (and the job then finds nothing to do).
func TestDeadlineHeldWithoutTheJob(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 2)
	steps := reviewSteps(f)
	// Every time-barred step from hct_review is in the walk.
	for _, rule := range domain.Rules {
		if slices.Contains(rule.From, domain.StatusHCTReview) && len(rule.Roles) > 0 && !rule.Reads &&
			(rule.To != "" || rule.Stage == domain.StageReview) && steps[rule.Action] == nil {
			t.Fatalf("%s may be taken in review but is not walked here", rule.Action)
		}
	}
	for action, step := range steps {
		t.Run(string(action), func(t *testing.T) {
			ctx := t.Context()
			r := f.submitted(t, "Bridge "+string(action))
			f.clock.t = f.clock.t.Add(time.Minute)
			rv := f.open(t, r)
			r, _ = getRequest(t, f, r.ID)
			if _, err := f.reviews.Vote(ctx, f.hct[0], r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
				t.Fatal(err)
			}
			r, _ = getRequest(t, f, r.ID)
			saved := f.clock.t
			f.clock.t = rv.Deadline // the deadline's first instant: too late
			defer func() { f.clock.t = saved }()
			err := step(ctx, r)
			wantCode(t, err, domain.CodeConflict, "review.deadline_passed")
			// Settled at once: closed by the system, with the one vote cast in time.
			st, err := f.reviews.State(ctx, f.officer, r.ID)
			if err != nil || st.Review.Open() || st.Review.Tally == nil || st.Review.Tally.Voted != 1 || f.status(t, r.ID) != domain.StatusHCDecision {
				t.Fatalf("after the refused %s: review %+v, status %s, %v", action, st.Review, f.status(t, r.ID), err)
			}
			evs, err := f.reqs.Events(ctx, f.officer, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			last := evs[len(evs)-1]
			var p map[string]any
			_ = json.Unmarshal(last.Payload, &p)
			if last.Action != string(domain.ActionCloseReview) || last.ActorID != 0 || p["deadline"] != rv.Deadline.UTC().Format(time.RFC3339) {
				t.Errorf("last event = %s by %d %v, want the system's close at the deadline", last.Action, last.ActorID, p)
			}
			if rep, err := f.reviews.RunDue(ctx); err != nil || rep.Closed != 0 {
				t.Errorf("RunDue after the settle = %+v, %v; want nothing left to do", rep, err)
			}
		})
	}
}

// TestRequiredByHeldWithoutTheJob: a decision on a request whose
// required-by time has passed is refused though the expiry job has not
// run, and the request expires at once.
func TestRequiredByHeldWithoutTheJob(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 2)
	ctx := t.Context()
	r := f.submitted(t, "Airlift")
	f.open(t, r)
	for _, h := range f.hct {
		if _, err := f.reviews.Vote(ctx, h, r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
			t.Fatal(err)
		}
	}
	r, _ = getRequest(t, f, r.ID)
	if _, err := f.reviews.Close(ctx, f.officer, r.ID, r.Version); err != nil {
		t.Fatal(err)
	}
	r, _ = getRequest(t, f, r.ID)
	f.clock.t = r.RequiredBy
	_, err := f.reviews.Decide(ctx, f.hc, r.ID, service.DecisionInput{Version: r.Version, Outcome: domain.StatusApproved, Rationale: "Passed."})
	wantCode(t, err, domain.CodeConflict, "request.required_by_passed")
	if got := f.status(t, r.ID); got != domain.StatusExpired {
		t.Fatalf("status after the refused decision = %s, want expired", got)
	}
}

// TestReviewDeadlineInTheCurrentMinute: a deadline that, in whole minutes,
// has already begun is a validation error on the deadline field.
func TestReviewDeadlineInTheCurrentMinute(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 2)
	r := f.submitted(t, "Bridge")
	f.clock.t = f.clock.t.Truncate(time.Minute).Add(45 * time.Second)
	// 20 s away, in this minute; 70 s away, but 15 s once taken down to
	// the minute: both leave less than a whole minute.
	for _, ahead := range []time.Duration{20 * time.Second, 70 * time.Second} {
		_, err := f.reviews.Open(t.Context(), f.officer, r.ID, service.OpenInput{Version: r.Version, Deadline: f.clock.t.Add(ahead)})
		var e *domain.Error
		if !errors.As(err, &e) || e.Code != domain.CodeInvalid || e.Fields["deadline"] != "review.deadline_too_soon" {
			t.Fatalf("Open with a deadline %v ahead = %v, want invalid deadline review.deadline_too_soon", ahead, err)
		}
	}
	// 75 s away: a whole minute is left at the minute.
	if _, err := f.reviews.Open(t.Context(), f.officer, r.ID, service.OpenInput{Version: r.Version, Deadline: f.clock.t.Add(75 * time.Second)}); err != nil {
		t.Fatalf("Open with a deadline a whole minute away: %v", err)
	}
}

func getRequest(t *testing.T, f *reviewFixture, id int64) (domain.Request, error) {
	t.Helper()
	d, err := f.reqs.Get(t.Context(), f.officer, id)
	if err != nil {
		t.Fatal(err)
	}
	return d.Request, nil
}

// TestJobAndUsersConcurrently runs the deadline job against votes,
// closes, returns and decisions on the same requests at once, half of
// them past their review's deadline: every answer is a result or a
// refusal the user can act on (never a deadlock, a 500-class error or a
// 503), each review ends once, nothing is left overdue, and the audit
// trail verifies.
func TestJobAndUsersConcurrently(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 3)
	ctx := t.Context()
	start := f.clock.t
	var inReview, inDecision []domain.Request
	for i := range 12 {
		r := f.submitted(t, fmt.Sprintf("Convoy %02d", i))
		// Deadlines one or three hours away: at two hours, half have passed.
		dl := start.Add(time.Duration(1+2*(i%2)) * time.Hour).Truncate(time.Minute).Add(time.Minute)
		if _, err := f.reviews.Open(ctx, f.officer, r.ID, service.OpenInput{Version: r.Version, Deadline: dl}); err != nil {
			t.Fatal(err)
		}
		for _, h := range f.hct[:2] {
			if _, err := f.reviews.Vote(ctx, h, r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
				t.Fatal(err)
			}
		}
		r, _ = getRequest(t, f, r.ID)
		if i%3 == 2 { // closed already: the HC decides while the job runs
			if _, err := f.reviews.Close(ctx, f.officer, r.ID, r.Version); err != nil {
				t.Fatal(err)
			}
			r, _ = getRequest(t, f, r.ID)
			inDecision = append(inDecision, r)
			continue
		}
		inReview = append(inReview, r)
	}
	f.clock.t = start.Add(2 * time.Hour)

	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ok  = map[string]int{}
		bad []string
	)
	record := func(what string, err error) {
		mu.Lock()
		defer mu.Unlock()
		var e *domain.Error
		switch {
		case err == nil:
			ok[what]++
		case errors.As(err, &e) && (e.Code == domain.CodeConflict || e.Code == domain.CodeInvalid):
			ok[what+" refused"]++
		default:
			bad = append(bad, fmt.Sprintf("%s: %v", what, err))
		}
	}
	gate := make(chan struct{})
	run := func(what string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			record(what, fn(context.Background()))
		}()
	}
	for range 3 {
		run("job", func(ctx context.Context) error { _, err := f.reviews.RunDue(ctx); return err })
	}
	for i, r := range inReview {
		run("vote", func(ctx context.Context) error {
			_, err := f.reviews.Vote(ctx, f.hct[2], r.ID, service.VoteInput{Value: domain.VoteObject, Comment: "Escort issue."})
			return err
		})
		run("vote change", func(ctx context.Context) error {
			_, err := f.reviews.Vote(ctx, f.hct[0], r.ID, service.VoteInput{Value: domain.VoteAbstain})
			return err
		})
		run("close", func(ctx context.Context) error {
			_, err := f.reviews.Close(ctx, f.officer, r.ID, r.Version)
			return err
		})
		if i%2 == 0 {
			run("return", func(ctx context.Context) error {
				_, err := f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionReturnReview, domain.TransitionInput{Version: r.Version, Reason: "Fuel plan?"})
				return err
			})
		}
	}
	for _, r := range inDecision {
		run("decide", func(ctx context.Context) error {
			_, err := f.reviews.Decide(ctx, f.hc, r.ID, service.DecisionInput{Version: r.Version, Outcome: domain.StatusApproved, Rationale: "Passed."})
			return err
		})
		run("reject", func(ctx context.Context) error {
			_, err := f.reviews.Decide(ctx, f.hc, r.ID, service.DecisionInput{Version: r.Version, Outcome: domain.StatusRejected, Rationale: "Road open."})
			return err
		})
	}
	close(gate)
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("answers that are neither a result nor a refusal:\n%v", bad)
	}
	t.Logf("outcomes: %v", ok)
	if _, err := f.reviews.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range append(inReview, inDecision...) {
		st, err := f.reviews.State(ctx, f.officer, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Review.Open() && !f.clock.t.Before(st.Review.Deadline) {
			t.Errorf("%s: review still open after its deadline", r.Reference)
		}
		evs, err := f.reqs.Events(ctx, f.officer, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		ends, decisions := 0, 0
		for _, e := range evs {
			switch domain.Action(e.Action) {
			case domain.ActionCloseReview, domain.ActionReturnReview:
				ends++
			case domain.ActionApprove, domain.ActionReject:
				decisions++
			}
		}
		if ends != 1 || decisions > 1 {
			t.Errorf("%s: the review ended %d times and was decided %d times; want once and at most once", r.Reference, ends, decisions)
		}
	}
	if _, err := f.reqs.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}
