package domain_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

func TestCountVotes(t *testing.T) {
	t.Parallel()
	consensus := domain.ReviewPolicy{QuorumPercent: 50, PassRule: domain.PassConsensus}
	majority := domain.ReviewPolicy{QuorumPercent: 50, PassRule: domain.PassMajority}
	eligible := []int64{1, 2, 3, 4}
	votes := func(vals ...domain.VoteValue) []domain.Vote {
		out := make([]domain.Vote, len(vals))
		for i, v := range vals {
			out[i] = domain.Vote{OrganizationID: int64(i + 1), Value: v}
		}
		return out
	}
	const (
		S = domain.VoteSupport
		C = domain.VoteSupportConditions
		O = domain.VoteObject
		A = domain.VoteAbstain
		R = domain.VoteRecuse
	)
	tests := []struct {
		name     string
		policy   domain.ReviewPolicy
		eligible []int64
		votes    []domain.Vote
		quorum   bool
		passed   bool
		base     int
		voted    int
	}{
		{"NoVotes", consensus, eligible, nil, false, false, 4, 0},
		{"QuorumExactlyAtThreshold", consensus, eligible, votes(S, S), true, true, 4, 2},
		{"JustBelowThreshold", domain.ReviewPolicy{QuorumPercent: 51, PassRule: domain.PassConsensus}, eligible, votes(S, S), false, false, 4, 2},
		{"ConsensusOneObjection", consensus, eligible, votes(S, S, O), true, false, 4, 3},
		{"ConsensusWithConditions", consensus, eligible, votes(S, C), true, true, 4, 2},
		{"MajorityWithObjection", majority, eligible, votes(S, S, O), true, true, 4, 3},
		{"MajorityTie", majority, eligible, votes(S, O), true, false, 4, 2},
		{"AllAbstain", consensus, eligible, votes(A, A, A, A), false, false, 4, 4},
		{"AbstainCountsForTurnoutNotQuorum", majority, eligible, votes(S, A, A, A), false, false, 4, 4},
		{"EveryoneRecused", consensus, eligible, votes(R, R, R, R), false, false, 0, 4},
		{"RecusalShrinksTheBase", consensus, eligible, votes(S, R, R), true, true, 2, 3},
		{"NoEligibleOrganisations", consensus, nil, nil, false, false, 0, 0},
		{"VotesOfOthersIgnored", consensus, []int64{1}, votes(S, O, O), true, true, 1, 1},
		{"FullQuorum", domain.ReviewPolicy{QuorumPercent: 100, PassRule: domain.PassMajority}, eligible, votes(S, S, O, A), false, false, 4, 4},
		{"FullQuorumMet", domain.ReviewPolicy{QuorumPercent: 100, PassRule: domain.PassMajority}, eligible, votes(S, S, O, R), true, true, 3, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := domain.CountVotes(tt.policy, tt.eligible, tt.votes)
			if got.QuorumMet != tt.quorum || got.Passed != tt.passed || got.QuorumBase != tt.base || got.Voted != tt.voted {
				t.Fatalf("CountVotes = %+v, want quorum %v passed %v base %d voted %d", got, tt.quorum, tt.passed, tt.base, tt.voted)
			}
		})
	}
}

func TestCountVotesOneVotePerOrganisation(t *testing.T) {
	t.Parallel()
	p := domain.ReviewPolicy{QuorumPercent: 50, PassRule: domain.PassMajority}
	got := domain.CountVotes(p, []int64{1, 2}, []domain.Vote{
		{OrganizationID: 1, Value: domain.VoteSupport}, {OrganizationID: 1, Value: domain.VoteObject},
	})
	if got.Voted != 1 || got.Support != 1 || got.Object != 0 {
		t.Fatalf("a second vote of one organisation was counted: %+v", got)
	}
}

func TestValidateVote(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		value   domain.VoteValue
		comment string
		field   string
	}{
		{"Support", domain.VoteSupport, "", ""},
		{"ConditionsNeedText", domain.VoteSupportConditions, "  ", "comment"},
		{"Conditions", domain.VoteSupportConditions, "Only unarmed crews", ""},
		{"ObjectionNeedsReason", domain.VoteObject, "", "comment"},
		{"Objection", domain.VoteObject, "Civilian trucks can do it", ""},
		{"Abstain", domain.VoteAbstain, "", ""},
		{"Recuse", domain.VoteRecuse, "", ""},
		{"Unknown", domain.VoteValue("maybe"), "", "value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := domain.ValidateVote(tt.value, tt.comment)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("ValidateVote = %v, want nil", err)
				}
				return
			}
			e, ok := err.(*domain.Error)
			if !ok || e.Fields[tt.field] == "" {
				t.Fatalf("ValidateVote = %v, want a message on %s", err, tt.field)
			}
		})
	}
}

func TestReviewDeadline(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 10, 30, 15, 0, time.UTC)
	p := domain.ReviewPolicy{ReviewHours: 72, UrgentReviewHours: 12}
	needed := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC) // 2 days and 1.5 hours after now
	tests := []struct {
		name       string
		priority   domain.Priority
		requiredBy time.Time
		choice     domain.DeadlineChoice
		want       time.Time
		field      string
	}{
		{"Normal", domain.PriorityHigh, time.Time{}, domain.DeadlineChoice{}, time.Date(2026, 12, 5, 10, 30, 0, 0, time.UTC), ""},
		{"LifesavingIsUrgent", domain.PriorityLifesaving, time.Time{}, domain.DeadlineChoice{}, time.Date(2026, 12, 2, 22, 30, 0, 0, time.UTC), ""},
		{"Explicit", domain.PriorityNormal, time.Time{}, domain.DeadlineChoice{Explicit: now.Add(36 * time.Hour)}, time.Date(2026, 12, 3, 22, 30, 0, 0, time.UTC), ""},
		{"ExplicitPast", domain.PriorityNormal, time.Time{}, domain.DeadlineChoice{Explicit: now.Add(-time.Minute)}, time.Time{}, "deadline"},
		{"ExplicitTooFar", domain.PriorityNormal, time.Time{}, domain.DeadlineChoice{Explicit: now.Add(31 * 24 * time.Hour)}, time.Time{}, "deadline"},
		// The required-by time bounds the deadline, default or chosen,
		// unless the officer confirms.
		{"DefaultAfterNeed", domain.PriorityNormal, needed, domain.DeadlineChoice{}, time.Time{}, "deadline"},
		{"DefaultAfterNeedConfirmed", domain.PriorityNormal, needed, domain.DeadlineChoice{AfterRequiredBy: true}, time.Date(2026, 12, 5, 10, 30, 0, 0, time.UTC), ""},
		{"UrgentBeforeNeed", domain.PriorityLifesaving, needed, domain.DeadlineChoice{}, time.Date(2026, 12, 2, 22, 30, 0, 0, time.UTC), ""},
		{"ExplicitAtNeed", domain.PriorityNormal, needed, domain.DeadlineChoice{Explicit: needed}, needed, ""},
		{"ExplicitAfterNeed", domain.PriorityNormal, needed, domain.DeadlineChoice{Explicit: needed.Add(time.Minute)}, time.Time{}, "deadline"},
		{"ExplicitAfterNeedConfirmed", domain.PriorityNormal, needed, domain.DeadlineChoice{Explicit: needed.Add(time.Minute), AfterRequiredBy: true}, needed.Add(time.Minute), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := domain.Request{Priority: tt.priority, RequiredBy: tt.requiredBy}
			got, err := domain.ReviewDeadline(p, r, tt.choice, now)
			if tt.field != "" {
				if e, ok := err.(*domain.Error); !ok || e.Fields[tt.field] == "" {
					t.Fatalf("err = %v, want a message on %s", err, tt.field)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("ReviewDeadline = %v, %v; want %v", got, err, tt.want)
			}
			if domain.ClosesAfterNeed(got, r.RequiredBy) != tt.choice.AfterRequiredBy {
				t.Errorf("ClosesAfterNeed = %v, want %v (confirmed exactly when it closes after the need)", !tt.choice.AfterRequiredBy, tt.choice.AfterRequiredBy)
			}
		})
	}
}

// TestReminderAt: a reminder comes ReminderBefore ahead of the deadline,
// but never in the first half of the review, whatever its length.
func TestReminderAt(t *testing.T) {
	t.Parallel()
	opened := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		duration time.Duration
		before   time.Duration
		want     time.Duration // after opening
	}{
		{"LongReviewRemindsBefore", 72 * time.Hour, 12 * time.Hour, 60 * time.Hour},
		{"ExactlyTwiceTheNotice", 24 * time.Hour, 12 * time.Hour, 12 * time.Hour},
		{"ShortReviewHalfWay", 6 * time.Hour, 12 * time.Hour, 3 * time.Hour},
		{"UrgentReviewHalfWay", 12 * time.Hour, 12 * time.Hour, 6 * time.Hour},
		{"OneHourReview", time.Hour, 12 * time.Hour, 30 * time.Minute},
		{"NoNotice", 6 * time.Hour, 0, 6 * time.Hour},
		{"DeadlineBeforeOpening", -time.Hour, 12 * time.Hour, -time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			deadline := opened.Add(tt.duration)
			got := domain.ReminderAt(opened, deadline, tt.before)
			if want := opened.Add(tt.want); !got.Equal(want) {
				t.Fatalf("ReminderAt = %v, want %v", got, want)
			}
			if tt.duration > 0 && (got.Before(opened.Add(tt.duration/domain.ReminderShare)) || got.After(deadline)) {
				t.Errorf("ReminderAt %v outside the second half of the review", got)
			}
		})
	}
}

func TestEligibleOrganizations(t *testing.T) {
	t.Parallel()
	eligible, recused := domain.EligibleOrganizations([]int64{7, 3, 5, 3, 9}, 5)
	if fmt.Sprint(eligible) != "[3 7 9]" || fmt.Sprint(recused) != "[5]" {
		t.Fatalf("eligible %v recused %v", eligible, recused)
	}
	eligible, recused = domain.EligibleOrganizations(nil, 5)
	if len(eligible) != 0 || len(recused) != 0 {
		t.Fatalf("no HCT members: eligible %v recused %v", eligible, recused)
	}
}

func TestVotesVisible(t *testing.T) {
	t.Parallel()
	open := domain.Review{Policy: domain.ReviewPolicy{SealedVotes: true}}
	closed := open
	closed.ClosedAt = time.Now()
	unsealed := domain.Review{Policy: domain.ReviewPolicy{SealedVotes: false}}
	cancelled := closed
	cancelled.Cancelled = true
	cancelledUnsealed := unsealed
	cancelledUnsealed.ClosedAt, cancelledUnsealed.Cancelled = time.Now(), true
	tests := []struct {
		name   string
		roles  domain.RoleSet
		review domain.Review
		want   domain.VoteVisibility
	}{
		{"HCTMemberSealed", domain.RoleSet{domain.RoleHCTMember}, open, domain.SeeTurnout},
		{"ViewerSealed", domain.RoleSet{domain.RoleViewer}, open, domain.SeeTurnout},
		{"RequesterSealed", domain.RoleSet{domain.RoleRequester}, open, domain.SeeTurnout},
		{"OfficerSealed", domain.RoleSet{domain.RoleOfficer}, open, domain.SeeNonVoter},
		{"HCSealed", domain.RoleSet{domain.RoleHC}, open, domain.SeeNonVoter},
		{"HCTMemberClosed", domain.RoleSet{domain.RoleHCTMember}, closed, domain.SeeValues},
		{"HCTMemberUnsealed", domain.RoleSet{domain.RoleHCTMember}, unsealed, domain.SeeValues},
		{"HCTMemberCancelled", domain.RoleSet{domain.RoleHCTMember}, cancelled, domain.SeeTurnout},
		{"OfficerCancelled", domain.RoleSet{domain.RoleOfficer}, cancelled, domain.SeeNonVoter},
		{"HCTMemberCancelledUnsealed", domain.RoleSet{domain.RoleHCTMember}, cancelledUnsealed, domain.SeeValues},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := domain.VotesVisible(tt.roles, tt.review); got != tt.want {
				t.Fatalf("VotesVisible = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidateDecision(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		d    domain.Decision
		code domain.Code
	}{
		{"Approve", domain.Decision{Outcome: domain.StatusApproved, Rationale: "No civilian helicopter"}, ""},
		{"ApproveWithConditions", domain.Decision{Outcome: domain.StatusApproved, Rationale: "r", Conditions: "Unarmed crews only"}, ""},
		{"Reject", domain.Decision{Outcome: domain.StatusRejected, Rationale: "Objections stand"}, ""},
		{"NoRationale", domain.Decision{Outcome: domain.StatusRejected, Rationale: "  "}, domain.CodeInvalid},
		{"BadOutcome", domain.Decision{Outcome: domain.StatusWithdrawn, Rationale: "r"}, domain.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := domain.ErrorCode(domain.ValidateDecision(tt.d)); got != tt.code {
				t.Fatalf("ValidateDecision code = %q, want %q", got, tt.code)
			}
		})
	}
}

// TestCan_Decision: approval only after a review that passed, rejection
// after any closed review (the rulebook's guards).
func TestCan_Decision(t *testing.T) {
	t.Parallel()
	r := requestIn(domain.StatusHCDecision)
	for _, tt := range []struct {
		name    string
		tally   *domain.Tally
		approve string // "" allowed, else the message key
		reject  string
	}{
		{"Passed", &domain.Tally{QuorumMet: true, Passed: true}, "", ""},
		{"Failed", &domain.Tally{QuorumMet: true}, "decision.review_not_passed", ""},
		{"NoQuorum", &domain.Tally{}, "decision.review_not_passed", ""},
		{"NoClosedReview", nil, "request.wrong_state", "request.wrong_state"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := allow(r, domain.ActionApprove)
			s.Review.Tally = tt.tally
			for action, want := range map[domain.Action]string{domain.ActionApprove: tt.approve, domain.ActionReject: tt.reject} {
				err := domain.Can(hcActor, action, s)
				if (err == nil) != (want == "") || (err != nil && domain.ErrorMessage(err) != want) {
					t.Errorf("%s: Can = %v, want %q", action, err, want)
				}
			}
		})
	}
}

func TestCheckOpenReview(t *testing.T) {
	t.Parallel()
	hrddp := domain.Evaluation{Flags: []domain.Flag{domain.FlagHRDDP}}
	if domain.ErrorMessage(domain.CheckOpenReview(hrddp, []int64{1}, nil)) != "review.hrddp_required" {
		t.Error("an HRDDP-flagged request opened a review without an assessment")
	}
	if domain.ErrorMessage(domain.CheckOpenReview(hrddp, []int64{1}, &domain.Assessment{Outcome: "no_support"})) != "review.hrddp_no_support" {
		t.Error("a review opened after an assessment concluding no support")
	}
	if err := domain.CheckOpenReview(hrddp, []int64{1}, &domain.Assessment{Outcome: "support_with_mitigation"}); err != nil {
		t.Errorf("with an assessment: %v", err)
	}
	if domain.ErrorMessage(domain.CheckOpenReview(domain.Evaluation{}, nil, nil)) != "review.no_voters" {
		t.Error("a review opened with nobody to vote")
	}
	if err := domain.CheckOpenReview(domain.Evaluation{Flags: []domain.Flag{domain.FlagArmedEscort}}, []int64{1}, nil); err != nil {
		t.Errorf("CheckOpenReview = %v", err)
	}
}
