package service_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/notify"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// reviewFixture adds to the requests fixture HCT members of other
// organisations (and one of the requesting organisation, recused), an HC
// and the Reviews service.
type reviewFixture struct {
	*requestsFixture
	reviews *service.Reviews
	hct     []domain.Actor // one per voting organisation
	ownHCT  domain.Actor   // HCT member of the requesting organisation
	hc      domain.Actor
	orgs    []domain.Organization
}

func newReviewFixture(t *testing.T, voters int) *reviewFixture {
	t.Helper()
	f := &reviewFixture{requestsFixture: newRequestsFixture(t)}
	f.reviews = service.NewReviews(store.New(f.pool), f.clock.now, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	for i := range voters {
		org, err := f.dir.CreateOrganization(t.Context(), f.admin, domain.Organization{Name: fmt.Sprintf("Agency %02d", i),
			Acronym: fmt.Sprintf("AG%02d", i), Type: domain.OrgUNAgency})
		if err != nil {
			t.Fatal(err)
		}
		f.orgs = append(f.orgs, org)
		f.hct = append(f.hct, f.member(t, fmt.Sprintf("hct%02d@example.org", i), org.ID, domain.RoleHCTMember))
	}
	f.ownHCT = f.member(t, "own-hct@example.org", f.requester.OrganizationID, domain.RoleHCTMember)
	f.hc = f.member(t, "hc@example.org", f.officer.OrganizationID, domain.RoleHC)
	return f
}

// submitted creates and submits a complete request.
func (f *reviewFixture) submitted(t *testing.T, title string) domain.Request {
	t.Helper()
	r := f.create(t, fixture.Request(title, f.clock.now()))
	out, err := f.reqs.Transition(t.Context(), f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return out
}

func (f *reviewFixture) open(t *testing.T, r domain.Request) domain.Review {
	t.Helper()
	rv, err := f.reviews.Open(t.Context(), f.officer, r.ID, service.OpenInput{Version: r.Version})
	if err != nil {
		t.Fatalf("open review: %v", err)
	}
	return rv
}

func (f *reviewFixture) status(t *testing.T, id int64) domain.Status {
	t.Helper()
	d, err := f.reqs.Get(t.Context(), f.officer, id)
	if err != nil {
		t.Fatal(err)
	}
	return d.Request.Status
}

func TestReviewLifecycle(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 2)
	ctx := t.Context()
	r := f.submitted(t, "Airlift")
	rv := f.open(t, r)
	if f.status(t, r.ID) != domain.StatusHCTReview || rv.Round != 1 {
		t.Fatalf("after open: %s, round %d", f.status(t, r.ID), rv.Round)
	}
	if fmt.Sprint(rv.Eligible) != fmt.Sprint([]int64{f.orgs[0].ID, f.orgs[1].ID}) || fmt.Sprint(rv.Recused) != fmt.Sprint([]int64{f.requester.OrganizationID}) {
		t.Fatalf("eligible %v recused %v", rv.Eligible, rv.Recused)
	}
	p := domain.DefaultReviewPolicy
	if rv.Policy.QuorumPercent != p.QuorumPercent || rv.Policy.PassRule != p.PassRule || rv.Policy.SealedVotes != p.SealedVotes ||
		!rv.Deadline.Equal(f.clock.now().Truncate(time.Minute).Add(72*time.Hour)) {
		t.Fatalf("policy %+v deadline %v", rv.Policy, rv.Deadline)
	}
	// A second open is a conflict; the requesting organisation cannot vote.
	_, err := f.reviews.Open(ctx, f.officer, r.ID, service.OpenInput{Version: r.Version})
	wantCode(t, err, domain.CodeConflict, "request.wrong_state")
	_, err = f.reviews.Vote(ctx, f.ownHCT, r.ID, service.VoteInput{Value: domain.VoteSupport})
	wantCode(t, err, domain.CodeForbidden, "review.not_eligible")
	_, err = f.reviews.Vote(ctx, f.hct[0], r.ID, service.VoteInput{Value: domain.VoteObject})
	wantCode(t, err, domain.CodeInvalid, "")
	// Too early to close: nobody voted.
	_, err = f.reviews.Close(ctx, f.officer, r.ID, r.Version)
	wantCode(t, err, domain.CodeConflict, "review.cannot_close_early")

	if _, err := f.reviews.Vote(ctx, f.hct[0], r.ID, service.VoteInput{Value: domain.VoteObject, Comment: "Trucks can go"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reviews.Vote(ctx, f.hct[0], r.ID, service.VoteInput{Value: domain.VoteSupportConditions, Comment: "Unarmed crew only"}); err != nil {
		t.Fatal(err)
	}
	// Sealed: an HCT member sees the turnout only, the officer also who
	// has not voted; nobody sees a value.
	st, err := f.reviews.State(ctx, f.hct[1], r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Visibility != domain.SeeTurnout || st.Votes != nil || st.NotVoted != nil || st.Tally.Voted != 1 || !st.CanVote {
		t.Fatalf("HCT member sees %+v", st)
	}
	st, _ = f.reviews.State(ctx, f.officer, r.ID)
	if st.Visibility != domain.SeeNonVoter || st.Votes != nil || fmt.Sprint(st.NotVoted) != "[Agency 01]" || !st.CanClose {
		t.Fatalf("officer sees %+v", st)
	}
	// The trail says who voted, never how.
	evs, err := f.reqs.Events(ctx, f.officer, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Action == domain.EventVote && (contains(e.Payload, "support") || contains(e.Payload, "Unarmed")) {
			t.Fatalf("a vote's value leaked into the trail: %s", e.Payload)
		}
	}

	tally, err := f.reviews.Close(ctx, f.officer, r.ID, r.Version)
	if err != nil {
		t.Fatal(err)
	}
	if !tally.QuorumMet || !tally.Passed || tally.WithConds != 1 || f.status(t, r.ID) != domain.StatusHCDecision {
		t.Fatalf("tally %+v, status %s", tally, f.status(t, r.ID))
	}
	_, err = f.reviews.Vote(ctx, f.hct[1], r.ID, service.VoteInput{Value: domain.VoteSupport})
	wantCode(t, err, domain.CodeConflict, "review.closed")
	st, _ = f.reviews.State(ctx, f.hct[1], r.ID)
	if st.Visibility != domain.SeeValues || len(st.Votes) != 1 || len(st.History) != 2 || !st.Review.ClosedAt.Equal(f.clock.now()) {
		t.Fatalf("after close an HCT member sees %+v", st)
	}

	// The decision: rationale required; the HC only.
	r2, _ := f.reqs.Get(ctx, f.hc, r.ID)
	_, err = f.reviews.Decide(ctx, f.officer, r.ID, service.DecisionInput{Version: r2.Request.Version, Outcome: domain.StatusApproved, Rationale: "x"})
	wantCode(t, err, domain.CodeForbidden, "")
	_, err = f.reviews.Decide(ctx, f.hc, r.ID, service.DecisionInput{Version: r2.Request.Version, Outcome: domain.StatusApproved})
	wantCode(t, err, domain.CodeInvalid, "")
	d, err := f.reviews.Decide(ctx, f.hc, r.ID, service.DecisionInput{Version: r2.Request.Version, Outcome: domain.StatusApproved,
		Rationale: "No civilian helicopter can land there before the snow.", Conditions: "Unarmed crew only"})
	if err != nil || d.ID == 0 || f.status(t, r.ID) != domain.StatusApproved {
		t.Fatalf("decide = %+v, %v; status %s", d, err, f.status(t, r.ID))
	}
	if _, err := f.reqs.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

func TestReviewDeadlineJobAndReopen(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 3)
	ctx := t.Context()
	r := f.submitted(t, "Bridge")
	f.open(t, r)
	if _, err := f.reviews.Vote(ctx, f.hct[0], r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
		t.Fatal(err)
	}
	// Nothing is due yet.
	if rep, err := f.reviews.RunDue(ctx); err != nil || rep.Closed != 0 {
		t.Fatalf("RunDue before the deadline = %+v, %v", rep, err)
	}
	// After the deadline (the server was down meanwhile): closed by the system.
	f.clock.t = f.clock.t.Add(73 * time.Hour)
	rep, err := f.reviews.RunDue(ctx)
	if err != nil || rep.Closed != 1 {
		t.Fatalf("RunDue = %+v, %v", rep, err)
	}
	st, _ := f.reviews.State(ctx, f.officer, r.ID)
	if st.Review.Open() || st.Tally.QuorumMet || !st.CanReopen || f.status(t, r.ID) != domain.StatusHCDecision {
		t.Fatalf("after the deadline: %+v, status %s", st, f.status(t, r.ID))
	}
	cur, _ := f.reqs.Get(ctx, f.hc, r.ID)
	_, err = f.reviews.Decide(ctx, f.hc, r.ID, service.DecisionInput{Version: cur.Request.Version, Outcome: domain.StatusApproved, Rationale: "r"})
	wantCode(t, err, domain.CodeConflict, "decision.review_not_passed")

	// Re-opened once, with its own deadline and empty votes.
	rv2, err := f.reviews.Reopen(ctx, f.officer, r.ID, service.OpenInput{Version: cur.Request.Version, Deadline: f.clock.now().Add(24 * time.Hour)})
	if err != nil || rv2.Round != 2 || !rv2.Reopening {
		t.Fatalf("reopen = %+v, %v", rv2, err)
	}
	st, _ = f.reviews.State(ctx, f.officer, r.ID)
	if st.Tally.Voted != 0 {
		t.Fatalf("votes carried over: %+v", st.Tally)
	}
	f.clock.t = f.clock.t.Add(25 * time.Hour)
	if rep, err := f.reviews.RunDue(ctx); err != nil || rep.Closed != 1 {
		t.Fatalf("RunDue = %+v, %v", rep, err)
	}
	_, err = f.reviews.Reopen(ctx, f.officer, r.ID, service.OpenInput{Version: cur.Request.Version})
	wantCode(t, err, domain.CodeConflict, "review.reopen_once")
	if _, err := f.reviews.Decide(ctx, f.hc, r.ID, service.DecisionInput{Version: cur.Request.Version, Outcome: domain.StatusRejected,
		Rationale: "The HCT did not reach quorum twice."}); err != nil {
		t.Fatal(err)
	}
	if f.status(t, r.ID) != domain.StatusRejected {
		t.Fatalf("status %s", f.status(t, r.ID))
	}
}

func TestReturnDuringReviewCancelsIt(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 2)
	ctx := t.Context()
	r := f.submitted(t, "Field hospital")
	f.open(t, r)
	if _, err := f.reviews.Vote(ctx, f.hct[0], r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionReturnReview, domain.TransitionInput{Version: r.Version,
		Reason: "The MoH hospital reopened; say what is still missing."}); err != nil {
		t.Fatal(err)
	}
	resub, err := f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version})
	if err != nil {
		t.Fatal(err)
	}
	rv := f.open(t, resub)
	st, _ := f.reviews.State(ctx, f.officer, r.ID)
	if rv.Round != 2 || st.Tally.Voted != 0 {
		t.Fatalf("the resubmitted request's review: round %d, tally %+v (votes must not carry over)", rv.Round, st.Tally)
	}
}

// TestCancelledReviewStaysSealed: for every way a person takes a request
// out of its review without closing it (the workflow's rows from
// hct_review other than the close), the sealed votes stay sealed for
// good: nobody sees values, comments, the history or a tally beyond the
// turnout, and the trail names no voter — except the voting
// organisation, which sees its own vote.
func TestCancelledReviewStaysSealed(t *testing.T) {
	t.Parallel()
	for _, tr := range domain.Transitions() {
		if !slices.Contains(tr.From, domain.StatusHCTReview) || tr.To == domain.StatusHCDecision || len(tr.Roles) == 0 {
			continue
		}
		t.Run(string(tr.Action), func(t *testing.T) {
			t.Parallel()
			f := newReviewFixture(t, 2)
			ctx := t.Context()
			r := f.submitted(t, "Sealed")
			f.open(t, r)
			const secret = "never revealed by a cancellation"
			if _, err := f.reviews.Vote(ctx, f.hct[0], r.ID, service.VoteInput{Value: domain.VoteObject, Comment: secret}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.reqs.Transition(ctx, f.officer, r.ID, tr.Action, domain.TransitionInput{Version: r.Version, Reason: "Leaving the review."}); err != nil {
				t.Fatal(err)
			}
			readers := map[string]domain.Actor{"voter": f.hct[0], "other-hct": f.hct[1], "own-hct": f.ownHCT, "officer": f.officer,
				"hc": f.hc, "requester": f.requester}
			for name, a := range readers {
				st, err := f.reviews.State(ctx, a, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				own := a.OrganizationID == f.hct[0].OrganizationID
				if !st.Review.Cancelled || st.Visibility == domain.SeeValues || st.Votes != nil || st.History != nil ||
					st.Tally != (domain.Tally{Eligible: 2, Voted: 1}) || (st.MyVote != nil) != own {
					t.Errorf("%s sees the cancelled review as %+v", name, st)
				}
				evs, err := f.reqs.Events(ctx, a, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range evs {
					if contains(e.Payload, secret) || contains(e.Payload, "object") {
						t.Errorf("%s: the trail reveals the vote: %s", name, e.Payload)
					}
					if e.Action == domain.EventVote && !own && e.ActorID != 0 {
						t.Errorf("%s: the trail names the voter of a sealed vote: %+v", name, e)
					}
				}
			}
		})
	}
}

func TestOpenReviewBlockedByHRDDP(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 1)
	ctx := t.Context()
	un, err := f.dir.CreateOrganization(ctx, f.admin, domain.Organization{Name: "UN Agency", Acronym: "UNA", Type: domain.OrgUNAgency, UNEntity: true})
	if err != nil {
		t.Fatal(err)
	}
	rq := f.member(t, "un@example.org", un.ID, domain.RoleRequester)
	req := fixture.Request("Fuel for the force", f.clock.now())
	req.Checklist["LR18"] = domain.Answer{Value: "yes", Note: "Fuel for the helicopters"}
	r, _, err := f.reqs.Create(ctx, rq, f.op.Code, req, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.reqs.Transition(ctx, rq, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 1}); err != nil {
		t.Fatal(err)
	}
	_, err = f.reviews.Open(ctx, f.officer, r.ID, service.OpenInput{Version: 1})
	wantCode(t, err, domain.CodeConflict, "review.hrddp_required")
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 1)
	ctx := t.Context()
	r := f.submitted(t, "Too late")
	f.open(t, r)
	f.clock.t = r.RequiredBy.Add(time.Minute)
	rep, err := f.reviews.RunDue(ctx)
	if err != nil || rep.Expired != 1 {
		t.Fatalf("RunDue = %+v, %v", rep, err)
	}
	if f.status(t, r.ID) != domain.StatusExpired {
		t.Fatalf("status %s", f.status(t, r.ID))
	}
}

// TestConcurrentVotes fires 64 concurrent votes and changes and one close
// at one review: every vote accepted before the close counts exactly
// once, votes after it are refused, the frozen tally equals the history,
// and two competing decisions give one winner and one 409.
func TestConcurrentVotes(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 16)
	ctx := t.Context()
	// Four HCT members per organisation: 64 voters on 16 organisations.
	var voters []domain.Actor
	for i, org := range f.orgs {
		voters = append(voters, f.hct[i])
		for j := range 3 {
			voters = append(voters, f.member(t, fmt.Sprintf("hct%02d-%d@example.org", i, j), org.ID, domain.RoleHCTMember))
		}
	}
	r := f.submitted(t, "Contested")
	f.open(t, r)
	// Quorum first, so the close is allowed while votes still arrive.
	for i := range 8 {
		if _, err := f.reviews.Vote(ctx, f.hct[i], r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
			t.Fatal(err)
		}
	}
	// Values that keep an organisation counting towards quorum, so the
	// close is allowed whenever it runs (an abstention could drop quorum
	// below the threshold and make the close's outcome depend on timing).
	values := []domain.VoteValue{domain.VoteSupport, domain.VoteObject, domain.VoteSupportConditions, domain.VoteObject}
	var (
		wg               sync.WaitGroup
		mu               sync.Mutex
		accepted, closed int
		start            = make(chan struct{})
	)
	for i, v := range voters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := f.reviews.Vote(context.Background(), v, r.ID, service.VoteInput{Value: values[i%4], Comment: "because"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				accepted++
			case domain.ErrorMessage(err) == "review.closed":
				closed++
			default:
				t.Errorf("vote %d: %v", i, err)
			}
		}()
		if i == 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, err := f.reviews.Close(context.Background(), f.officer, r.ID, r.Version); err != nil {
					t.Errorf("close: %v", err)
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	if accepted+closed != len(voters) {
		t.Fatalf("accepted %d + refused %d ≠ %d", accepted, closed, len(voters))
	}
	st, err := f.reviews.State(ctx, f.officer, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The history holds the 8 first votes and every accepted one; the
	// frozen tally equals the last vote of each organisation in it.
	if len(st.History) != 8+accepted {
		t.Fatalf("history has %d entries, want %d", len(st.History), 8+accepted)
	}
	last := map[int64]domain.Vote{}
	for _, v := range st.History {
		last[v.OrganizationID] = v
	}
	var final []domain.Vote
	for _, v := range last {
		final = append(final, v)
	}
	if want := domain.CountVotes(st.Review.Policy, st.Review.Eligible, final); want != *st.Review.Tally {
		t.Fatalf("frozen tally %+v, history says %+v", *st.Review.Tally, want)
	}
	t.Logf("%d votes accepted before the close, %d refused after it", accepted, closed)

	// Two competing decisions: one wins, the other is a conflict.
	cur, _ := f.reqs.Get(ctx, f.hc, r.ID)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := f.reviews.Decide(context.Background(), f.hc, r.ID, service.DecisionInput{Version: cur.Request.Version,
				Outcome: domain.StatusRejected, Rationale: "Objections about access stand."})
			errs <- err
		}()
	}
	e1, e2 := <-errs, <-errs
	if (e1 == nil) == (e2 == nil) || domain.ErrorCode(firstNonNil(e1, e2)) != domain.CodeConflict {
		t.Fatalf("competing decisions: %v and %v; want one success and one conflict", e1, e2)
	}
}

func firstNonNil(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// TestRunDueSeveralInstances: two instances running the job at once close
// every due review exactly once.
func TestRunDueSeveralInstances(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 2)
	for i := range 6 {
		f.open(t, f.submitted(t, fmt.Sprintf("Due %d", i)))
	}
	f.clock.t = f.clock.t.Add(73 * time.Hour)
	other := service.NewReviews(store.New(f.pool), f.clock.now, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	reps := make(chan service.JobReport, 2)
	for _, s := range []*service.Reviews{f.reviews, other} {
		go func() {
			rep, err := s.RunDue(context.Background())
			if err != nil {
				t.Error(err)
			}
			reps <- rep
		}()
	}
	a, b := <-reps, <-reps
	if a.Closed+b.Closed != 6 {
		t.Fatalf("closed %d + %d, want 6 in all", a.Closed, b.Closed)
	}
}

// TestReviewNotices: with the real notifier, opening a review tells the
// eligible organisations' HCT members (not the recused one), closing it
// tells the HC (not the officer who closed it), the decision the requester, officers and voters,
// and a return the requester; e-mail goes to the outbox when enabled.
func TestReviewNotices(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 2)
	ctx := t.Context()
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	n := notify.New(catalog, true, "https://cmcoord.example.org", log)
	st := store.New(f.pool)
	f.reviews = service.NewReviews(st, f.clock.now, log, n)
	f.reqs = service.NewRequests(st, f.clock.now, log).WithNotifier(n).WithActionLimits(nil)
	count := func(userID int64, kind domain.NoticeKind) int {
		t.Helper()
		var c int
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = $2`, userID, string(kind)).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	r := f.submitted(t, "Notified")
	f.open(t, r)
	for _, a := range f.hct {
		if count(a.UserID, domain.NoticeReviewOpened) != 1 {
			t.Errorf("HCT member %d not told of the review", a.UserID)
		}
	}
	if count(f.ownHCT.UserID, domain.NoticeReviewOpened) != 0 {
		t.Error("the recused organisation's member was asked to vote")
	}
	for _, a := range f.hct {
		if _, err := f.reviews.Vote(ctx, a, r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.reviews.Close(ctx, f.officer, r.ID, r.Version); err != nil {
		t.Fatal(err)
	}
	// The HC is told; the officer who closed it is not told of their own
	// action (domain.Notice.Actor).
	if count(f.hc.UserID, domain.NoticeReviewClosed) != 1 || count(f.officer.UserID, domain.NoticeReviewClosed) != 0 {
		t.Error("the HC was not told the review closed, or the officer who closed it was")
	}
	cur, _ := f.reqs.Get(ctx, f.hc, r.ID)
	if _, err := f.reviews.Decide(ctx, f.hc, r.ID, service.DecisionInput{Version: cur.Request.Version, Outcome: domain.StatusApproved, Rationale: "Passed."}); err != nil {
		t.Fatal(err)
	}
	if count(f.requester.UserID, domain.NoticeDecision) != 1 || count(f.officer.UserID, domain.NoticeDecision) != 1 {
		t.Error("the requester and the officer were not told of the decision")
	}
	r2 := f.submitted(t, "Returned")
	if _, err := f.reqs.Transition(ctx, f.officer, r2.ID, domain.ActionReturn, domain.TransitionInput{Version: r2.Version, Reason: "More detail"}); err != nil {
		t.Fatal(err)
	}
	if count(f.requester.UserID, domain.NoticeReturned) != 1 {
		t.Error("the requester was not told of the return")
	}
	var mails int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE body LIKE '%https://cmcoord.example.org/requests/%'`).Scan(&mails); err != nil || mails == 0 {
		t.Errorf("outbox has %d messages with a link (%v)", mails, err)
	}
}

// TestReviewDeadlineRespectsRequiredBy: a deadline after the request's
// required-by time is refused at the deadline unless the officer
// confirms it; confirmed, the trail records it and every reader of the
// review is told the request may expire first.
func TestReviewDeadlineRespectsRequiredBy(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 2)
	ctx := t.Context()
	r := f.submitted(t, "Needed before the review ends")
	late := r.RequiredBy.Add(time.Hour)
	_, err := f.reviews.Open(ctx, f.officer, r.ID, service.OpenInput{Version: r.Version, Deadline: late})
	wantCode(t, err, domain.CodeInvalid, "")
	if e, _ := err.(*domain.Error); e.Fields["deadline"] != "review.deadline_after_required_by" {
		t.Fatalf("refusal = %v, want it at the deadline", err)
	}
	if _, err := f.reviews.Open(ctx, f.officer, r.ID, service.OpenInput{Version: r.Version, Deadline: late, AfterRequiredBy: true}); err != nil {
		t.Fatal(err)
	}
	for _, who := range append([]domain.Actor{f.officer, f.hc, f.requester}, f.hct...) {
		st, err := f.reviews.State(ctx, who, r.ID)
		if err != nil || !st.ClosesAfterNeed {
			t.Errorf("user %d is not told the review closes after the need: %+v, %v", who.UserID, st.ClosesAfterNeed, err)
		}
	}
	evs, err := f.reqs.Events(ctx, f.officer, r.ID)
	if err != nil || !strings.Contains(string(evs[len(evs)-1].Payload), `"after_required_by"`) {
		t.Fatalf("the confirmation is not in the trail: %v", err)
	}
	// A deadline before the need needs no confirmation, and says nothing.
	r2 := f.submitted(t, "In time")
	f.open(t, r2)
	if st, _ := f.reviews.State(ctx, f.officer, r2.ID); st.ClosesAfterNeed {
		t.Error("a review closing before the need is flagged")
	}
}

// TestExpiryIsNotSilent: a request whose required-by time passes during
// its review expires with the system's reason, and the requester, the
// officers and the review's voters (not the recused organisation) are
// told; its review is cancelled.
func TestExpiryIsNotSilent(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 2)
	ctx := t.Context()
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	n := notify.New(catalog, true, "https://cmcoord.example.org", log)
	f.reviews = service.NewReviews(store.New(f.pool), f.clock.now, log, n)
	r := f.submitted(t, "Too late")
	if _, err := f.reviews.Open(ctx, f.officer, r.ID, service.OpenInput{Version: r.Version, Deadline: r.RequiredBy.Add(time.Hour), AfterRequiredBy: true}); err != nil {
		t.Fatal(err)
	}
	f.clock.t = r.RequiredBy.Add(time.Minute)
	if rep, err := f.reviews.RunDue(ctx); err != nil || rep.Expired != 1 {
		t.Fatalf("RunDue = %+v, %v", rep, err)
	}
	d, err := f.reqs.Get(ctx, f.requester, r.ID)
	if err != nil || d.Request.Status != domain.StatusExpired || d.Request.StatusReasonCode != domain.ReasonRequiredByPassed {
		t.Fatalf("after expiry: %s %q, %v", d.Request.Status, d.Request.StatusReasonCode, err)
	}
	count := func(userID int64) int {
		t.Helper()
		var c int
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = $2 AND request_id = $3`,
			userID, string(domain.NoticeExpired), r.ID).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, who := range append([]domain.Actor{f.requester, f.officer}, f.hct...) {
		if count(who.UserID) != 1 {
			t.Errorf("user %d was not told of the expiry", who.UserID)
		}
	}
	if count(f.ownHCT.UserID) != 0 || count(f.hc.UserID) != 0 {
		t.Error("the expiry was told to someone with no part in it")
	}
	st, _ := f.reviews.State(ctx, f.officer, r.ID)
	if st.Review.Open() || !st.Review.Cancelled {
		t.Errorf("the review is not cancelled: %+v", st.Review)
	}
}

// TestReminderNeverEarly: a 6-hour review with the 12-hour notice is
// not reminded a minute after it opens, but half-way through; a long
// review 12 hours before its deadline.
func TestReminderNeverEarly(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 1)
	ctx := t.Context()
	t0 := f.clock.t
	short := f.submitted(t, "Short review")
	if _, err := f.reviews.Open(ctx, f.officer, short.ID, service.OpenInput{Version: short.Version, Deadline: t0.Add(6 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	long := f.submitted(t, "Long review")
	f.open(t, long) // the operation's 72 hours
	for _, c := range []struct {
		after    time.Duration
		reminded int
	}{
		{time.Minute, 0},
		{3*time.Hour - time.Minute, 0},
		{3*time.Hour + time.Minute, 1}, // the short one, half-way
		{60*time.Hour - time.Minute, 0},
		{60*time.Hour + time.Minute, 1}, // the long one, 12 hours before
	} {
		f.clock.t = t0.Add(c.after)
		rep, err := f.reviews.RunDue(ctx)
		if err != nil || rep.Reminded != c.reminded {
			t.Errorf("%v after opening: RunDue = %+v, %v; want %d reminded", c.after, rep, err, c.reminded)
		}
	}
}

// TestLeavingReviewTellsVoters walks every generic step of the rulebook
// that takes a request out of an open HCT review (return, withdrawals):
// the review is cancelled and each voting organisation's HCT members are
// told their ballot is void, with the step's reason; the recused
// organisation's member and the HC are not.
func TestLeavingReviewTellsVoters(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	walked := 0
	for _, rule := range domain.GenericTransitions() {
		if !slices.Contains(rule.From, domain.StatusHCTReview) || rule.To == domain.StatusHCTReview {
			continue
		}
		t.Run(string(rule.Action), func(t *testing.T) {
			f := newReviewFixture(t, 2)
			catalog, err := i18n.Load()
			if err != nil {
				t.Fatal(err)
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			f.reqs = f.reqs.WithNotifier(notify.New(catalog, true, "https://cmcoord.example.org", log))
			r := f.submitted(t, "Leaves the review")
			f.open(t, r)
			cur, err := f.reqs.Get(ctx, f.officer, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			var by domain.Actor
			for _, who := range []domain.Actor{f.requester, f.officer, f.hc} {
				if domain.Can(who, rule.Action, domain.OnRequest(cur.Request)) == nil {
					by = who
					break
				}
			}
			if by.UserID == 0 {
				t.Fatalf("no fixture actor may take %s: add one", rule.Action)
			}
			in := domain.TransitionInput{Version: cur.Request.Version}
			if rule.NeedsReason {
				in.Reason = "Leaving: " + string(rule.Action)
			}
			if rule.NeedsReference {
				in.CivilianReference = "LOG-CLUSTER-1"
			}
			if _, err := f.reqs.Transition(ctx, by, r.ID, rule.Action, in); err != nil {
				t.Fatal(err)
			}
			count := func(userID int64) int {
				t.Helper()
				var c int
				if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = $2 AND request_id = $3`,
					userID, string(domain.NoticeReviewCancelled), r.ID).Scan(&c); err != nil {
					t.Fatal(err)
				}
				return c
			}
			for _, who := range f.hct {
				if count(who.UserID) != 1 {
					t.Errorf("voter %d was not told the review was cancelled", who.UserID)
				}
			}
			if count(f.ownHCT.UserID) != 0 || count(f.hc.UserID) != 0 {
				t.Error("the cancellation was told to someone who had no vote in it")
			}
		})
		walked++
	}
	if walked == 0 {
		t.Fatal("no generic step leaves an HCT review: the walk proves nothing")
	}
}
