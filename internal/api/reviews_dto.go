package api

import (
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// reviewDTO is a request's latest HCT review as one caller may see it.
// What the votes reveal follows Visibility (domain.VotesVisible): with
// "turnout" (HCT members and everyone else while a sealed review is
// open) only Turnout; with "non_voters" (the officer and the HC) also
// NotVoted; with "values" (unsealed, or closed) also Votes and Tally,
// and History once the review has closed. A key the caller may not see
// is absent, never null or empty, so nothing sealed can leak through a
// zero count.
type reviewDTO struct {
	ID        int64     `json:"id"`
	RequestID int64     `json:"request_id"`
	Round     int       `json:"round"`
	State     string    `json:"state"` // open, closed or cancelled
	Reopening bool      `json:"reopening"`
	OpenedAt  time.Time `json:"opened_at"`
	Deadline  time.Time `json:"deadline"`
	// ClosesAfterRequiredBy: the request's required-by time comes before
	// the deadline, so it may expire undecided first.
	ClosesAfterRequiredBy bool         `json:"closes_after_required_by"`
	RemindAt              time.Time    `json:"remind_at"`
	ClosedAt              *time.Time   `json:"closed_at"`
	QuorumPercent         int          `json:"quorum_percent"`
	PassRule              string       `json:"pass_rule"`
	Sealed                bool         `json:"sealed"`
	Visibility            string       `json:"visibility"`
	Eligible              []string     `json:"eligible"`
	Recused               []string     `json:"recused"`
	Turnout               turnoutDTO   `json:"turnout"`
	NotVoted              []string     `json:"not_voted,omitzero"`
	Votes                 []voteDTO    `json:"votes,omitzero"`
	Tally                 *tallyDTO    `json:"tally,omitzero"`
	History               []voteDTO    `json:"history,omitzero"`
	MyVote                *voteDTO     `json:"my_vote"`
	CanVote               bool         `json:"can_vote"`
	CanClose              bool         `json:"can_close"`
	CanReopen             bool         `json:"can_reopen"`
	CanDecide             bool         `json:"can_decide"`
	Decision              *decisionDTO `json:"decision"`
}

// turnoutDTO is how many of the eligible organisations have voted (any
// value, recusal and abstention included).
type turnoutDTO struct {
	Voted    int `json:"voted"`
	Eligible int `json:"eligible"`
}

// tallyDTO is the count of the votes by value and what it means under
// the review's rules: live while the review is open, frozen at close.
type tallyDTO struct {
	Support        int  `json:"support"`         // support, with or without conditions
	WithConditions int  `json:"with_conditions"` // of support, with conditions
	Object         int  `json:"object"`
	Abstain        int  `json:"abstain"`
	Recused        int  `json:"recused"`
	QuorumBase     int  `json:"quorum_base"` // eligible organisations not recused
	Counting       int  `json:"counting"`    // support and object: what counts toward quorum
	QuorumMet      bool `json:"quorum_met"`
	Passed         bool `json:"passed"`
}

// voteDTO is an organisation's vote, or one entry of the vote history.
type voteDTO struct {
	Organization refDTO    `json:"organization"`
	Value        string    `json:"value"`
	Comment      string    `json:"comment"`
	CastBy       refDTO    `json:"cast_by"`
	CastAt       time.Time `json:"cast_at"`
}

// decisionDTO is the HC's decision on the request after its review.
type decisionDTO struct {
	ID         int64     `json:"id"`
	RequestID  int64     `json:"request_id"`
	ReviewID   int64     `json:"review_id"`
	Outcome    string    `json:"outcome"` // approved or rejected
	Rationale  string    `json:"rationale"`
	Conditions string    `json:"conditions"`
	DecidedBy  refDTO    `json:"decided_by"`
	DecidedAt  time.Time `json:"decided_at"`
	// Acting is the acting HC period the decider held the HC role under;
	// null for the HC's own decision.
	Acting *decisionActingDTO `json:"acting"`
}

// decisionActingDTO says a decision was taken by an acting HC: under
// which period, named by whom, until when.
type decisionActingDTO struct {
	PeriodID int64     `json:"period_id"`
	NamedBy  string    `json:"named_by"`
	Until    time.Time `json:"until"`
}

// visibilityNames are the Visibility values of reviewDTO.
var visibilityNames = map[domain.VoteVisibility]string{
	domain.SeeTurnout:  "turnout",
	domain.SeeNonVoter: "non_voters",
	domain.SeeValues:   "values",
}

// newReviewDTO shows st, the review of request requestID. It copies only
// what st.Visibility allows, whatever else st may hold.
func newReviewDTO(requestID int64, st service.ReviewState) reviewDTO {
	rv := st.Review
	out := reviewDTO{
		ID: rv.ID, RequestID: requestID, Round: rv.Round, State: reviewState(rv), Reopening: rv.Reopening,
		OpenedAt: utc(rv.OpenedAt), Deadline: utc(rv.Deadline), ClosedAt: timeOrNil(rv.ClosedAt),
		ClosesAfterRequiredBy: st.ClosesAfterNeed, RemindAt: utc(rv.RemindAt),
		QuorumPercent: rv.Policy.QuorumPercent, PassRule: string(rv.Policy.PassRule), Sealed: rv.Policy.SealedVotes,
		Visibility: visibilityNames[st.Visibility],
		Eligible:   append([]string{}, st.Eligible...), Recused: append([]string{}, st.RecusedOrgs...),
		Turnout: turnoutDTO{Voted: st.Tally.Voted, Eligible: st.Tally.Eligible},
		CanVote: st.CanVote, CanClose: st.CanClose, CanReopen: st.CanReopen, CanDecide: st.CanDecide,
	}
	if st.Visibility >= domain.SeeNonVoter {
		out.NotVoted = append([]string{}, st.NotVoted...)
	}
	if st.Visibility == domain.SeeValues {
		out.Votes = make([]voteDTO, 0, len(st.Votes))
		for _, v := range st.Votes {
			out.Votes = append(out.Votes, newVoteDTO(v))
		}
		t := st.Tally
		out.Tally = &tallyDTO{Support: t.Support, WithConditions: t.WithConds, Object: t.Object, Abstain: t.Abstain,
			Recused: t.Recused, QuorumBase: t.QuorumBase, Counting: t.Counting, QuorumMet: t.QuorumMet, Passed: t.Passed}
		if !rv.Open() {
			out.History = make([]voteDTO, 0, len(st.History))
			for _, v := range st.History {
				out.History = append(out.History, newVoteDTO(v))
			}
		}
	}
	if st.MyVote != nil {
		v := newVoteDTO(*st.MyVote)
		out.MyVote = &v
	}
	if st.Decision != nil {
		d := newDecisionDTO(*st.Decision)
		out.Decision = &d
	}
	return out
}

// reviewState names where a review stands: open; closed with its tally
// frozen; or cancelled (closed without a tally, when the request was
// returned or expired during the review).
func reviewState(rv domain.Review) string {
	switch {
	case rv.Open():
		return "open"
	case rv.Tally != nil:
		return "closed"
	}
	return "cancelled"
}

func newVoteDTO(v domain.Vote) voteDTO {
	return voteDTO{Organization: refDTO{ID: v.OrganizationID, Name: v.OrgName}, Value: string(v.Value), Comment: v.Comment,
		CastBy: refDTO{ID: v.CastBy, Name: v.CastByName}, CastAt: utc(v.CastAt)}
}

func newDecisionDTO(d domain.Decision) decisionDTO {
	out := decisionDTO{ID: d.ID, RequestID: d.RequestID, ReviewID: d.ReviewID, Outcome: string(d.Outcome),
		Rationale: d.Rationale, Conditions: d.Conditions, DecidedBy: refDTO{ID: d.DecidedBy, Name: d.DecidedByName},
		DecidedAt: utc(d.DecidedAt)}
	if d.ActingHCID != 0 {
		out.Acting = &decisionActingDTO{PeriodID: d.ActingHCID, NamedBy: d.ActingNamedByName, Until: utc(d.ActingUntil)}
	}
	return out
}
