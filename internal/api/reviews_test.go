package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// reviewJSON mirrors the documented Review.
type reviewJSON struct {
	ID            int64      `json:"id"`
	RequestID     int64      `json:"request_id"`
	Round         int        `json:"round"`
	State         string     `json:"state"`
	Reopening     bool       `json:"reopening"`
	OpenedAt      time.Time  `json:"opened_at"`
	Deadline      time.Time  `json:"deadline"`
	AfterNeed     bool       `json:"closes_after_required_by"`
	RemindAt      time.Time  `json:"remind_at"`
	ClosedAt      *time.Time `json:"closed_at"`
	QuorumPercent int        `json:"quorum_percent"`
	PassRule      string     `json:"pass_rule"`
	Sealed        bool       `json:"sealed"`
	Visibility    string     `json:"visibility"`
	Eligible      []string   `json:"eligible"`
	Recused       []string   `json:"recused"`
	Turnout       struct {
		Voted    int `json:"voted"`
		Eligible int `json:"eligible"`
	} `json:"turnout"`
	NotVoted []string   `json:"not_voted"`
	Votes    []voteJSON `json:"votes"`
	Tally    *struct {
		Support        int  `json:"support"`
		WithConditions int  `json:"with_conditions"`
		Object         int  `json:"object"`
		Abstain        int  `json:"abstain"`
		Recused        int  `json:"recused"`
		QuorumBase     int  `json:"quorum_base"`
		Counting       int  `json:"counting"`
		QuorumMet      bool `json:"quorum_met"`
		Passed         bool `json:"passed"`
	} `json:"tally"`
	History   []voteJSON    `json:"history"`
	MyVote    *voteJSON     `json:"my_vote"`
	CanVote   bool          `json:"can_vote"`
	CanClose  bool          `json:"can_close"`
	CanReopen bool          `json:"can_reopen"`
	CanDecide bool          `json:"can_decide"`
	Decision  *decisionJSON `json:"decision"`
}

type voteJSON struct {
	Organization struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"organization"`
	Value   string `json:"value"`
	Comment string `json:"comment"`
	CastBy  struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"cast_by"`
	CastAt time.Time `json:"cast_at"`
}

type decisionJSON struct {
	ID         int64  `json:"id"`
	RequestID  int64  `json:"request_id"`
	ReviewID   int64  `json:"review_id"`
	Outcome    string `json:"outcome"`
	Rationale  string `json:"rationale"`
	Conditions string `json:"conditions"`
	DecidedBy  struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"decided_by"`
	DecidedAt time.Time `json:"decided_at"`
}

// reviewsFixture adds to the requests fixture (requester of Relief NGO,
// officer, viewer, an outsider requester of Other NGO) the HCT: two
// members of Alpha Agency, one of Beta Aid, one of Relief NGO (the
// requesting organisation, recused), and the HC. Operation NPL-EQ has
// the default policy: quorum 50 %, consensus, sealed votes.
type reviewsFixture struct {
	*requestsFixture
	hctA, hctA2, hctB, ownHCT, hc string
}

func newReviewsFixture(t testing.TB) *reviewsFixture {
	t.Helper()
	f := &reviewsFixture{requestsFixture: newRequestsFixture(t)}
	alpha := f.mustOrg(t, "Alpha Agency", domain.OrgUNAgency)
	beta := f.mustOrg(t, "Beta Aid", domain.OrgINGO)
	member := func(email string, orgID int64, role domain.Role) string {
		u := f.mustUserIn(t, email, orgID)
		f.mustMember(t, "NPL-EQ", u, role)
		return f.mustToken(t, u)
	}
	f.hctA = member("alma@example.org", alpha.ID, domain.RoleHCTMember)
	f.hctA2 = member("arno@example.org", alpha.ID, domain.RoleHCTMember)
	f.hctB = member("bea@example.org", beta.ID, domain.RoleHCTMember)
	f.ownHCT = member("reza@example.org", f.requesterUser.OrganizationID, domain.RoleHCTMember)
	f.hc = member("hugo@example.org", f.org.ID, domain.RoleHC)
	return f
}

// mustSubmitted creates and submits a complete request; it is at version 1.
func (f *reviewsFixture) mustSubmitted(t testing.TB, title string) int64 {
	t.Helper()
	r := f.mustCreate(t, f.requester, completeBody(title))
	f.mustAct(t, f.requester, r.ID, "submit", map[string]any{"version": 1})
	return r.ID
}

// mustOpen opens the review of submitted request id as the officer.
func (f *reviewsFixture) mustOpen(t testing.TB, id int64) reviewJSON {
	t.Helper()
	return decode[reviewJSON](t, f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/review", id), Token: f.officer,
		Body: map[string]any{"version": 1}}).want(t, http.StatusCreated))
}

// review is GET /requests/{id}/review as token: the decoded view and the
// raw body (to check what it does not contain).
func (f *reviewsFixture) review(t testing.TB, token string, id int64) (reviewJSON, response) {
	t.Helper()
	r := f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d/review", id), Token: token}).want(t, http.StatusOK)
	return decode[reviewJSON](t, r), r
}

func (f *reviewsFixture) vote(t testing.TB, token string, id int64, value, comment string) response {
	t.Helper()
	return f.call(t, req{Method: "PUT", Path: fmt.Sprintf("/requests/%d/vote", id), Token: token,
		Body: map[string]any{"value": value, "comment": comment}})
}

func (f *reviewsFixture) mustVote(t testing.TB, token string, id int64, value, comment string) voteJSON {
	t.Helper()
	return decode[voteJSON](t, f.vote(t, token, id, value, comment).want(t, http.StatusOK))
}

func (f *reviewsFixture) close(t testing.TB, id int64) response {
	t.Helper()
	return f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/review/close", id), Token: f.officer,
		Body: map[string]any{"version": 1}})
}

func (f *reviewsFixture) decide(t testing.TB, id int64, body map[string]any) response {
	t.Helper()
	return f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/decision", id), Token: f.hc, Body: body})
}

// wantMessage fails t unless the error's message ID is id.
func wantMessage(t testing.TB, e apiError, id string) {
	t.Helper()
	if e.Error.MessageID != id {
		t.Errorf("message_id = %q, want %q", e.Error.MessageID, id)
	}
}

// keys returns the top-level keys of a JSON object body.
func keys(t testing.TB, r response) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// wantSealed fails t unless the view shows the turnout and nothing of
// the values: no votes, no tally, no history, and (unless nonVoters) no
// list of who has not voted.
func wantSealed(t testing.TB, who string, v reviewJSON, r response, nonVoters bool, secrets ...string) {
	t.Helper()
	m := keys(t, r)
	for _, k := range []string{"votes", "tally", "history"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s sees %s in a sealed open review: %.400s", who, k, r.Body)
		}
	}
	if _, ok := m["not_voted"]; ok != nonVoters {
		t.Errorf("%s: not_voted present = %v, want %v", who, ok, nonVoters)
	}
	for _, s := range secrets {
		if bytes.Contains(r.Body, []byte(s)) {
			t.Errorf("%s sees %q in a sealed open review: %.400s", who, s, r.Body)
		}
	}
	want := map[bool]string{false: "turnout", true: "non_voters"}[nonVoters]
	if v.Visibility != want {
		t.Errorf("%s: visibility = %q, want %q", who, v.Visibility, want)
	}
}

func TestReviews_Lifecycle(t *testing.T) {
	t.Parallel()
	f := newReviewsFixture(t)
	id := f.mustSubmitted(t, "Reviewed and approved")
	p := fmt.Sprintf("/requests/%d", id)

	e := f.call(t, req{Method: "GET", Path: p + "/review", Token: f.officer}).wantError(t, http.StatusNotFound, "not_found", nil)
	wantMessage(t, e, "review.none")

	// Open.
	r := f.call(t, req{Method: "POST", Path: p + "/review", Token: f.officer, Body: map[string]any{"version": 1}}).want(t, http.StatusCreated)
	if loc := r.Header.Get("Location"); loc != "/api/v1"+p+"/review" {
		t.Errorf("Location = %q, want /api/v1%s/review", loc, p)
	}
	opened := decode[reviewJSON](t, r)
	if opened.RequestID != id || opened.Round != 1 || opened.State != "open" || opened.ClosedAt != nil || opened.Reopening ||
		opened.QuorumPercent != 50 || opened.PassRule != "consensus" || !opened.Sealed {
		t.Errorf("opened = %+v, want round 1 open, quorum 50 consensus sealed", opened)
	}
	if !slices.Equal(opened.Eligible, []string{"Alpha Agency", "Beta Aid"}) || !slices.Equal(opened.Recused, []string{"Relief NGO"}) {
		t.Errorf("eligible %v, recused %v; want [Alpha Agency Beta Aid], [Relief NGO]", opened.Eligible, opened.Recused)
	}
	if opened.Turnout.Voted != 0 || opened.Turnout.Eligible != 2 || !slices.Equal(opened.NotVoted, []string{"Alpha Agency", "Beta Aid"}) ||
		opened.CanVote || opened.CanClose || opened.CanDecide || opened.MyVote != nil || opened.Decision != nil {
		t.Errorf("officer's view after opening = %+v", opened)
	}
	if d := opened.Deadline.Sub(opened.OpenedAt); d < 71*time.Hour || d > 72*time.Hour {
		t.Errorf("deadline %v after opening, want the operation's 72 review hours", d)
	}
	if got := decode[requestJSON](t, f.call(t, req{Method: "GET", Path: p, Token: f.officer}).want(t, http.StatusOK)); got.Status != "hct_review" {
		t.Errorf("request status = %s, want hct_review", got.Status)
	}
	f.call(t, req{Method: "POST", Path: p + "/review", Token: f.officer, Body: map[string]any{"version": 1}}).
		wantError(t, http.StatusConflict, "conflict", nil)

	// Vote, sealed.
	const conditions = "Daylight flights only, from the civilian airstrip."
	v := f.mustVote(t, f.hctA, id, "support_with_conditions", conditions)
	if v.Organization.Name != "Alpha Agency" || v.Value != "support_with_conditions" || v.Comment != conditions ||
		v.CastBy.Name != "alma" || v.CastAt.IsZero() {
		t.Errorf("vote = %+v, want Alpha Agency's support with conditions by alma", v)
	}
	for who, token := range map[string]string{"Beta Aid's HCT member": f.hctB, "the requester": f.requester, "the viewer": f.viewer,
		"the recused HCT member": f.ownHCT} {
		got, raw := f.review(t, token, id)
		wantSealed(t, who, got, raw, false, conditions, "support_with_conditions")
		if got.Turnout.Voted != 1 || got.Turnout.Eligible != 2 || got.MyVote != nil {
			t.Errorf("%s: turnout %+v, my_vote %+v; want 1/2 and no vote of their own", who, got.Turnout, got.MyVote)
		}
	}
	if got, _ := f.review(t, f.hctB, id); !got.CanVote || got.CanClose {
		t.Errorf("Beta Aid: can_vote %v, can_close %v; want true, false", got.CanVote, got.CanClose)
	}
	if got, _ := f.review(t, f.ownHCT, id); got.CanVote {
		t.Error("the requesting organisation's HCT member may vote")
	}
	// Alpha's other member sees Alpha's own vote, and only that.
	alpha2, raw := f.review(t, f.hctA2, id)
	wantSealed(t, "Alpha's other member", alpha2, raw, false)
	if alpha2.MyVote == nil || alpha2.MyVote.Value != "support_with_conditions" || alpha2.MyVote.Comment != conditions {
		t.Errorf("Alpha's my_vote = %+v, want its own vote", alpha2.MyVote)
	}
	// The officer and the HC see who has not voted.
	for who, token := range map[string]string{"the officer": f.officer, "the HC": f.hc} {
		got, raw := f.review(t, token, id)
		wantSealed(t, who, got, raw, true, conditions, "support_with_conditions")
		if !slices.Equal(got.NotVoted, []string{"Beta Aid"}) {
			t.Errorf("%s: not_voted = %v, want [Beta Aid]", who, got.NotVoted)
		}
	}
	if got, _ := f.review(t, f.officer, id); !got.CanClose { // 1 of 2 organisations is the 50 % quorum
		t.Error("officer: can_close = false with quorum met")
	}
	if got, _ := f.review(t, f.hc, id); got.CanDecide || got.CanClose {
		t.Errorf("HC: can_decide %v, can_close %v during the review", got.CanDecide, got.CanClose)
	}

	// Alpha's other member changes the vote; the recused organisation and
	// the viewer cannot vote.
	if v := f.mustVote(t, f.hctA2, id, "support", ""); v.CastBy.Name != "arno" || v.Value != "support" {
		t.Errorf("changed vote = %+v, want support by arno", v)
	}
	wantMessage(t, f.vote(t, f.ownHCT, id, "support", "").wantError(t, http.StatusForbidden, "forbidden", nil), "review.not_eligible")
	f.vote(t, f.viewer, id, "support", "").wantError(t, http.StatusForbidden, "forbidden", nil)
	f.vote(t, f.officer, id, "support", "").wantError(t, http.StatusForbidden, "forbidden", nil)
	f.vote(t, f.outsider, id, "support", "").wantError(t, http.StatusNotFound, "not_found", nil)
	f.call(t, req{Method: "POST", Path: p + "/review/close", Token: f.hc, Body: map[string]any{"version": 1}}).wantError(t, http.StatusForbidden, "forbidden", nil)

	// Close: the votes and the tally become visible to everyone.
	closed := decode[reviewJSON](t, f.close(t, id).want(t, http.StatusOK))
	if closed.State != "closed" || closed.ClosedAt == nil || closed.Visibility != "values" || closed.CanClose || closed.CanVote {
		t.Errorf("closed = %+v", closed)
	}
	if tl := closed.Tally; tl == nil || tl.Support != 1 || tl.WithConditions != 0 || tl.Object != 0 || !tl.QuorumMet || !tl.Passed ||
		tl.QuorumBase != 2 || tl.Counting != 1 {
		t.Errorf("tally = %+v, want 1 support of 2, quorum met, passed", closed.Tally)
	}
	if len(closed.Votes) != 1 || closed.Votes[0].Organization.Name != "Alpha Agency" || closed.Votes[0].Value != "support" {
		t.Errorf("votes = %+v, want Alpha Agency's support", closed.Votes)
	}
	if len(closed.History) != 2 || closed.History[0].Value != "support_with_conditions" || closed.History[1].Value != "support" {
		t.Errorf("history = %+v, want the conditional support, then the support", closed.History)
	}
	wantMessage(t, f.vote(t, f.hctB, id, "object", "Too late").wantError(t, http.StatusConflict, "conflict", nil), "review.closed")
	wantMessage(t, f.vote(t, f.hctA, id, "object", "Changed my mind").wantError(t, http.StatusConflict, "conflict", nil), "review.closed")
	wantMessage(t, f.close(t, id).wantError(t, http.StatusConflict, "conflict", nil), "request.wrong_state")
	member, _ := f.review(t, f.hctB, id)
	if member.Visibility != "values" || len(member.Votes) != 1 || member.Tally == nil || len(member.History) != 2 || !slices.Equal(member.NotVoted, []string{"Beta Aid"}) {
		t.Errorf("Beta Aid's view after close = %+v, want the values", member)
	}
	if got, _ := f.review(t, f.hc, id); !got.CanDecide || got.CanReopen {
		t.Errorf("HC after close: can_decide %v, can_reopen %v", got.CanDecide, got.CanReopen)
	}
	if got, _ := f.review(t, f.officer, id); got.CanReopen || got.CanDecide {
		t.Errorf("officer after a passed review: can_reopen %v, can_decide %v", got.CanReopen, got.CanDecide)
	}

	// Decide.
	f.call(t, req{Method: "POST", Path: p + "/decision", Token: f.officer,
		Body: map[string]any{"version": 1, "outcome": "approved", "rationale": "x"}}).wantError(t, http.StatusForbidden, "forbidden", nil)
	wantMessage(t, f.decide(t, id, map[string]any{"outcome": "approved", "rationale": "No version"}).
		wantError(t, http.StatusBadRequest, "malformed", map[string]string{"version": "field.version_required"}), "request.version_missing")
	d := decode[decisionJSON](t, f.decide(t, id, map[string]any{"version": 1, "outcome": "approved",
		"rationale": "No civilian heavy-lift capacity before the road reopens.", "conditions": "Daylight flights only."}).
		want(t, http.StatusCreated))
	if d.ID == 0 || d.RequestID != id || d.ReviewID != closed.ID || d.Outcome != "approved" || d.Conditions != "Daylight flights only." ||
		d.DecidedBy.Name != "hugo" || d.DecidedAt.IsZero() {
		t.Errorf("decision = %+v", d)
	}
	after, _ := f.review(t, f.viewer, id)
	if after.Decision == nil || after.Decision.ID != d.ID || after.Decision.DecidedBy.Name != "hugo" || after.CanDecide {
		t.Errorf("viewer after the decision: decision %+v, can_decide %v", after.Decision, after.CanDecide)
	}
	if got, _ := f.review(t, f.hc, id); got.CanDecide {
		t.Error("HC: can_decide after deciding")
	}
	if got := decode[requestJSON](t, f.call(t, req{Method: "GET", Path: p, Token: f.requester}).want(t, http.StatusOK)); got.Status != "approved" {
		t.Errorf("request status = %s, want approved", got.Status)
	}
	f.decide(t, id, map[string]any{"version": 1, "outcome": "rejected", "rationale": "Again"}).wantError(t, http.StatusConflict, "conflict", nil)
}

func TestReviews_FailedReview(t *testing.T) {
	t.Parallel()
	f := newReviewsFixture(t)
	id := f.mustSubmitted(t, "Objected to")
	f.mustOpen(t, id)

	f.vote(t, f.hctA, id, "object", "  ").
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"comment": "vote.reason_required"})
	f.vote(t, f.hctB, id, "support_with_conditions", "").
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"comment": "vote.conditions_required"})
	f.vote(t, f.hctB, id, "maybe", "").wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"value": "field.choose"})
	f.call(t, req{Method: "PUT", Path: fmt.Sprintf("/requests/%d/vote", id), Token: f.hctB, Body: map[string]any{"comment": "x"}}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"value": "field.choose"})
	f.mustVote(t, f.hctA, id, "object", "A civilian operator is available next week.")
	f.mustVote(t, f.hctB, id, "support", "")

	closed := decode[reviewJSON](t, f.close(t, id).want(t, http.StatusOK))
	if tl := closed.Tally; tl == nil || !tl.QuorumMet || tl.Passed || tl.Object != 1 || tl.Support != 1 {
		t.Fatalf("tally = %+v, want quorum met, not passed (an objection under consensus)", closed.Tally)
	}
	if closed.CanReopen {
		t.Error("can_reopen after a review that met quorum")
	}
	wantMessage(t, f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/review/reopen", id), Token: f.officer,
		Body: map[string]any{"version": 1}}).wantError(t, http.StatusConflict, "conflict", nil), "review.reopen_quorum_met")

	wantMessage(t, f.decide(t, id, map[string]any{"version": 1, "outcome": "approved", "rationale": "Needed anyway."}).
		wantError(t, http.StatusConflict, "conflict", nil), "decision.review_not_passed")
	f.decide(t, id, map[string]any{"version": 1, "outcome": "rejected"}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"rationale": "field.required"})
	f.decide(t, id, map[string]any{"version": 1, "outcome": "maybe", "rationale": "x"}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"outcome": "field.choose"})
	d := decode[decisionJSON](t, f.decide(t, id, map[string]any{"version": 1, "outcome": "rejected",
		"rationale": "A civilian operator can fly it next week."}).want(t, http.StatusCreated))
	if d.Outcome != "rejected" || d.Conditions != "" {
		t.Errorf("decision = %+v, want rejected without conditions", d)
	}
}

// TestReviews_Reopen closes a review at its deadline without quorum, re-
// opens it once with a deadline of the officer's choosing, and refuses a
// second re-opening.
func TestReviews_Reopen(t *testing.T) {
	t.Parallel()
	f := newReviewsFixture(t)
	id := f.mustSubmitted(t, "Nobody voted")
	first := f.mustOpen(t, id)
	reopen := func(body map[string]any) response {
		t.Helper()
		return f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/review/reopen", id), Token: f.officer, Body: body})
	}
	wantMessage(t, reopen(map[string]any{"version": 1}).wantError(t, http.StatusConflict, "conflict", nil), "request.wrong_state")
	wantMessage(t, f.close(t, id).wantError(t, http.StatusConflict, "conflict", nil), "review.cannot_close_early")

	f.clock.Advance(first.Deadline.Sub(first.OpenedAt) + time.Minute)
	if rep, err := f.reviews.RunDue(t.Context()); err != nil || rep.Closed != 1 {
		t.Fatalf("RunDue = %+v, %v; want one review closed", rep, err)
	}
	closed, _ := f.review(t, f.officer, id)
	if closed.State != "closed" || closed.Tally == nil || closed.Tally.QuorumMet || !closed.CanReopen || closed.Turnout.Voted != 0 {
		t.Fatalf("after the deadline: %+v, want closed without quorum, re-openable", closed)
	}
	if got, _ := f.review(t, f.hc, id); got.CanReopen || !got.CanDecide {
		t.Errorf("HC: can_reopen %v, can_decide %v; want false, true", got.CanReopen, got.CanDecide)
	}
	f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/review/reopen", id), Token: f.hc,
		Body: map[string]any{"version": 1}}).wantError(t, http.StatusForbidden, "forbidden", nil)
	wantMessage(t, reopen(map[string]any{}).wantError(t, http.StatusBadRequest, "malformed", map[string]string{"version": "field.version_required"}), "request.version_missing")
	reopen(map[string]any{"version": 1, "deadline": "next week"}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"deadline": "field.invalid"})

	deadline := f.clock.Now().Add(2 * time.Hour).UTC().Truncate(time.Minute)
	r := reopen(map[string]any{"version": 1, "deadline": deadline.Format(time.RFC3339)}).want(t, http.StatusCreated)
	second := decode[reviewJSON](t, r)
	if second.Round != 2 || !second.Reopening || second.State != "open" || !second.Deadline.Equal(deadline) ||
		second.Turnout.Voted != 0 || second.ID == closed.ID || r.Header.Get("Location") == "" {
		t.Errorf("re-opened = %+v (Location %q), want round 2, re-opening, open until %v", second, r.Header.Get("Location"), deadline)
	}
	f.mustVote(t, f.hctA, id, "abstain", "")

	f.clock.Advance(3 * time.Hour)
	if rep, err := f.reviews.RunDue(t.Context()); err != nil || rep.Closed != 1 {
		t.Fatalf("RunDue = %+v, %v; want one review closed", rep, err)
	}
	if got, _ := f.review(t, f.officer, id); got.CanReopen || got.Tally == nil || got.Tally.Abstain != 1 {
		t.Errorf("after the second round: can_reopen %v, tally %+v", got.CanReopen, got.Tally)
	}
	wantMessage(t, reopen(map[string]any{"version": 1}).wantError(t, http.StatusConflict, "conflict", nil), "review.reopen_once")
}

// TestReviews_CompetingDecisions sends an approval and a rejection at
// once: one is recorded, the other is refused with 409.
func TestReviews_CompetingDecisions(t *testing.T) {
	t.Parallel()
	f := newReviewsFixture(t)
	for round := range 3 {
		id := f.mustSubmitted(t, fmt.Sprintf("Contested %d", round))
		f.mustOpen(t, id)
		f.mustVote(t, f.hctA, id, "support", "")
		f.mustVote(t, f.hctB, id, "support", "")
		f.close(t, id).want(t, http.StatusOK)

		var wg sync.WaitGroup
		statuses := make([]int, 2)
		errs := make([]error, 2)
		for i, outcome := range []string{"approved", "rejected"} {
			wg.Go(func() {
				statuses[i], errs[i] = f.post(t, f.hc, fmt.Sprintf("/requests/%d/decision", id),
					map[string]any{"version": 1, "outcome": outcome, "rationale": "Decided " + outcome})
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{http.StatusCreated, http.StatusConflict}) {
			t.Fatalf("round %d: statuses = %v, want one 201 and one 409", round, statuses)
		}
		got, _ := f.review(t, f.viewer, id)
		if got.Decision == nil {
			t.Fatalf("round %d: no decision recorded", round)
		}
		if st := decode[requestJSON](t, f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d", id), Token: f.viewer}).
			want(t, http.StatusOK)).Status; st != got.Decision.Outcome {
			t.Errorf("round %d: request status %s, decision %s", round, st, got.Decision.Outcome)
		}
	}
}

// post sends body as JSON and returns the status; it is safe to call
// from several goroutines (it never stops the test, only reports
// departures from the OpenAPI document).
func (f *fixture) post(t testing.TB, token, path string, body any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	r, err := http.NewRequest(http.MethodPost, f.srv.URL+"/api/v1"+path, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+token)
	resp, err := f.contract.Client(t, nil).Do(r)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestReviews_OpenDeadline checks the optional deadline of POST /review.
func TestReviews_OpenDeadline(t *testing.T) {
	t.Parallel()
	f := newReviewsFixture(t)
	id := f.mustSubmitted(t, "Deadlines")
	open := func(body map[string]any) response {
		t.Helper()
		return f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/review", id), Token: f.officer, Body: body})
	}
	now := f.clock.Now().UTC()
	for _, c := range []struct {
		deadline any
		key      string
	}{
		{now.Add(-time.Hour).Format(time.RFC3339), "review.deadline_past"},
		{now.Add(31 * 24 * time.Hour).Format(time.RFC3339), "review.deadline_too_far"},
		{"tomorrow", "field.invalid"},
		{now.Add(24 * time.Hour).Format(time.DateOnly), "field.invalid"},
		{"0000-01-01T00:00:00Z", "field.invalid"},
	} {
		open(map[string]any{"version": 1, "deadline": c.deadline}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"deadline": c.key})
	}
	open(map[string]any{"version": 1, "deadline": 24}).wantError(t, http.StatusBadRequest, "malformed", map[string]string{"deadline": "field.text"})
	wantMessage(t, open(map[string]any{"deadline": nil}).wantError(t, http.StatusBadRequest, "malformed", map[string]string{"version": "field.version_required"}), "request.version_missing")

	deadline := now.Add(36 * time.Hour).Truncate(time.Minute)
	// A deadline in another zone is stored and shown in UTC.
	got := decode[reviewJSON](t, open(map[string]any{"version": 1, "deadline": deadline.In(time.FixedZone("NPT", 345*60)).Format(time.RFC3339)}).
		want(t, http.StatusCreated))
	if !got.Deadline.Equal(deadline) || got.Deadline.Location() != time.UTC {
		t.Errorf("deadline = %v, want %v in UTC", got.Deadline, deadline)
	}
}

// TestReviews_Authorization is the review routes' authorization matrix
// on a submitted request without a review, with empty bodies (as
// cmd/cmcoord/authz_test.go sends them): 401 without credentials, 404
// for whoever cannot see the request, 403 for members who may not act,
// and for the one role that may, the service's answer to `{}`.
func TestReviews_Authorization(t *testing.T) {
	t.Parallel()
	f := newReviewsFixture(t)
	id := f.mustSubmitted(t, "Matrix")
	elsewhere := func() string { // an officer of another operation only
		f.mustOperation(t, "HTI-EQ")
		u := f.mustUser(t, "olaf@example.org")
		f.mustMember(t, "HTI-EQ", u, domain.RoleOfficer)
		return f.mustToken(t, u)
	}()
	hrddp := func() string {
		u := f.mustUser(t, "hana@example.org")
		f.mustMember(t, "NPL-EQ", u, domain.RoleHRDDPReviewer)
		return f.mustToken(t, u)
	}()
	// The HCT member of the requesting organisation stands for the
	// matrix's, whose callers all belong to one organisation.
	callers := []struct{ name, token string }{{"anonymous", ""}, {"requester", f.requester}, {"officer", f.officer},
		{"hct_member", f.hctA}, {"hct_member of the requesting organisation", f.ownHCT}, {"hc", f.hc},
		{"hrddp_reviewer", hrddp}, {"viewer", f.viewer}, {"outsider", f.outsider}, {"officer_elsewhere", elsewhere},
		{"admin", f.adminToken}}
	// want lists the status per caller, in the order above.
	routes := []struct {
		method, path string
		want         []int
	}{
		{"GET", "/review", []int{401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404}},
		{"POST", "/review", []int{401, 403, 400, 403, 403, 403, 403, 403, 404, 404, 404}}, // the officer: version required
		{"PUT", "/vote", []int{401, 403, 403, 409, 409, 403, 403, 403, 404, 404, 404}},
		{"POST", "/review/close", []int{401, 403, 409, 403, 403, 403, 403, 403, 404, 404, 404}},
		{"POST", "/review/reopen", []int{401, 403, 409, 403, 403, 403, 403, 403, 404, 404, 404}},
		{"POST", "/review/remind", []int{401, 403, 409, 403, 403, 403, 403, 403, 404, 404, 404}},
		{"POST", "/decision", []int{401, 403, 403, 403, 403, 409, 403, 403, 404, 404, 404}},
	}
	for _, rt := range routes {
		for i, c := range callers {
			rq := req{Method: rt.method, Path: fmt.Sprintf("/requests/%d%s", id, rt.path), Token: c.token}
			if rt.method != "GET" {
				rq.Body = "{}"
			}
			if got := f.call(t, rq); got.Status != rt.want[i] {
				t.Errorf("%s %s as %s: status = %d, want %d; body %.200s", rt.method, rt.path, c.name, got.Status, rt.want[i], got.Body)
			}
		}
	}
	// Whoever cannot see the request gets exactly the answer for a missing one.
	missing := f.call(t, req{Method: "GET", Path: "/requests/999999/review", Token: f.outsider}).wantError(t, http.StatusNotFound, "not_found", nil)
	if e := f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d/review", id), Token: f.outsider}).
		wantError(t, http.StatusNotFound, "not_found", nil); e.Error.MessageID != missing.Error.MessageID {
		t.Errorf("outsider: message_id %q, want %q as for a missing request", e.Error.MessageID, missing.Error.MessageID)
	}
}

// TestReviews_Malformed sends broken bodies to every review route that
// reads one: each answer is a 4xx error envelope, never a 500.
func TestReviews_Malformed(t *testing.T) {
	t.Parallel()
	f := newReviewsFixture(t)
	fresh := f.mustSubmitted(t, "Not yet reviewed")
	open := f.mustSubmitted(t, "Under review")
	f.mustOpen(t, open)
	routes := []struct {
		method, path, token string
	}{
		{"POST", fmt.Sprintf("/requests/%d/review", fresh), f.officer},
		{"POST", fmt.Sprintf("/requests/%d/review/reopen", open), f.officer},
		{"POST", fmt.Sprintf("/requests/%d/review/close", open), f.officer},
		{"PUT", fmt.Sprintf("/requests/%d/vote", open), f.hctA},
		{"POST", fmt.Sprintf("/requests/%d/decision", open), f.hc},
	}
	bodies := []string{
		`{`, `}`, `null`, `[]`, `[{}]`, `"text"`, `42`, `true`, `{"version": "1"}`, `{"version": 1.5}`, `{"version": 1e400}`,
		`{"version": 99999999999999999999}`, `{"version": -1}`, `{"version": 1, "colour": "blue"}`, `{"version": 1, "deadline": 5}`,
		`{"version": 1, "deadline": "soon"}`, `{"version": 1, "deadline": "2026-13-01T00:00:00Z"}`, `{"version": 1, "deadline": "9999-12-31T23:59:59-05:00"}`,
		`{"value": 1}`, `{"value": "support", "comment": ["x"]}`, `{"value": "SUPPORT"}`, `{"value": "object", "comment": ""}`,
		`{"value": "support", "comment": "` + strings.Repeat("x", 2001) + `"}`, `{"value": "support"} {"value": "object"}`,
		`{"value": "support", "version": 999}`, `{"outcome": "approved"}`, `{"version": 1, "outcome": "approved", "rationale": 7}`,
		`{"version": 1, "outcome": "approved", "rationale": "ok", "conditions": null, "extra": 1}`, `{"version": 1, "title": "\u0000"}`,
	}
	for _, rt := range routes {
		for _, body := range bodies {
			got := f.call(t, req{Method: rt.method, Path: rt.path, Token: rt.token, Body: body})
			if got.Status < 400 || got.Status >= 500 {
				t.Errorf("%s %s %s: status %d; body %.300s", rt.method, rt.path, body, got.Status, got.Body)
				continue
			}
			if e := decode[apiError](t, got); e.Error.Code == "" || e.Error.Code == "internal" {
				t.Errorf("%s %s %s: error %+v", rt.method, rt.path, body, e.Error)
			}
		}
		got := f.call(t, req{Method: rt.method, Path: rt.path, Token: rt.token, Body: "{}", Header: map[string]string{"Content-Type": "text/plain"}})
		if got.Status != http.StatusUnsupportedMediaType {
			t.Errorf("%s %s as text/plain: status %d, want 415", rt.method, rt.path, got.Status)
		}
	}
	// Nothing above changed the review.
	if got, _ := f.review(t, f.officer, open); got.State != "open" || got.Turnout.Voted != 0 || got.Round != 1 {
		t.Errorf("after the malformed calls: %+v", got)
	}
	f.call(t, req{Method: "GET", Path: "/requests/abc/review", Token: f.officer}).wantError(t, http.StatusNotFound, "not_found", nil)
	f.call(t, req{Method: "DELETE", Path: fmt.Sprintf("/requests/%d/review", open), Token: f.officer}).
		wantError(t, http.StatusMethodNotAllowed, "method_not_allowed", nil)
}

// TestReviews_DeadlineAfterRequiredBy: a deadline after the request's
// required-by time is refused at "deadline" unless after_required_by
// confirms it; the review then says so to every reader, and its
// reminder falls in its second half.
func TestReviews_DeadlineAfterRequiredBy(t *testing.T) {
	t.Parallel()
	f := newReviewsFixture(t)
	id := f.mustSubmitted(t, "Needed soon")
	p := fmt.Sprintf("/requests/%d", id)
	r := decode[requestJSON](t, f.call(t, req{Method: "GET", Path: p, Token: f.officer}).want(t, http.StatusOK))
	late := r.RequiredBy.Add(time.Hour).UTC().Format(time.RFC3339)
	f.call(t, req{Method: "POST", Path: p + "/review", Token: f.officer, Body: map[string]any{"version": 1, "deadline": late}}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"deadline": "review.deadline_after_required_by"})
	rv := decode[reviewJSON](t, f.call(t, req{Method: "POST", Path: p + "/review", Token: f.officer,
		Body: map[string]any{"version": 1, "deadline": late, "after_required_by": true}}).want(t, http.StatusCreated))
	if !rv.AfterNeed || rv.RemindAt.Before(rv.OpenedAt.Add(rv.Deadline.Sub(rv.OpenedAt)/2)) || rv.RemindAt.After(rv.Deadline) {
		t.Errorf("review = after need %v, opened %v, remind %v, deadline %v", rv.AfterNeed, rv.OpenedAt, rv.RemindAt, rv.Deadline)
	}
	if v, _ := f.review(t, f.hctB, id); !v.AfterNeed {
		t.Error("the voter is not told the review closes after the need")
	}
}
