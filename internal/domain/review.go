package domain

import (
	"slices"
	"strings"
	"time"
)

// The HCT review (PRODUCT.md §4, Voting): one vote per eligible
// organisation, frozen when the review opens; the tally and its pass
// rules are pure functions here and nowhere else.

// VoteValue is an organisation's position on a request under review.
type VoteValue string

// Vote values.
const (
	VoteSupport           VoteValue = "support"
	VoteSupportConditions VoteValue = "support_with_conditions" // conditions required
	VoteObject            VoteValue = "object"                  // reason required
	VoteAbstain           VoteValue = "abstain"
	VoteRecuse            VoteValue = "recuse" // conflict of interest
)

// VoteValues lists every vote value in display order.
var VoteValues = []VoteValue{VoteSupport, VoteSupportConditions, VoteObject, VoteAbstain, VoteRecuse}

// Review is one HCT review of a request: the rules and the eligible
// organisations copied when it opened, so a later change of the
// operation's policy or membership never alters a running review.
type Review struct {
	ID        int64
	RequestID int64
	// Round counts the reviews of the request: a review re-opened after
	// a failed quorum, or a request resubmitted after a return, starts a
	// new round whose votes begin empty.
	Round    int
	Policy   ReviewPolicy
	Eligible []int64 // organisation IDs, requesting organisation excluded
	Recused  []int64 // recused automatically at opening (the requesting organisation)
	OpenedBy int64
	OpenedAt time.Time
	Deadline time.Time
	ClosedAt time.Time // zero while open
	// Cancelled marks a review that ended without a tally: the request
	// left the review (returned, withdrawn, expired) before it closed.
	Cancelled bool
	// Tally is frozen at close.
	Tally *Tally
	// Reopening marks a review re-opened after a failed quorum; such a
	// review cannot be re-opened again.
	Reopening bool
	// RemindAt is when the organisations that have not voted are
	// reminded (ReminderAt, fixed at opening); RemindedAt is zero until
	// the reminder went out.
	RemindAt   time.Time
	RemindedAt time.Time
	// ManualRemindedAt is when an officer last reminded the organisations
	// that have not voted (ActionRemindVoters); zero when never.
	ManualRemindedAt time.Time
}

// RemindAgainAfter is how long after a review's last reminder an
// officer may remind the organisations that have not voted again.
const RemindAgainAfter = 6 * time.Hour

// LastReminder is when the review's organisations that have not voted
// were last reminded, by the schedule or by an officer; zero when never.
func (r Review) LastReminder() time.Time {
	if r.ManualRemindedAt.After(r.RemindedAt) {
		return r.ManualRemindedAt
	}
	return r.RemindedAt
}

// RemindAgainAt is when an officer may remind again: RemindAgainAfter
// after the last reminder; zero when none went out yet.
func (r Review) RemindAgainAt() time.Time {
	if last := r.LastReminder(); !last.IsZero() {
		return last.Add(RemindAgainAfter)
	}
	return time.Time{}
}

// Open reports whether the review still takes votes at now.
func (r Review) Open() bool { return r.ClosedAt.IsZero() }

// PastDeadline reports whether the review is still open at now although
// its deadline has come: it takes no more votes and only the system
// closes it (Overdue), as of its deadline.
func (r Review) PastDeadline(now time.Time) bool { return r.Open() && !now.Before(r.Deadline) }

// IsEligible reports whether organisation orgID votes in the review.
func (r Review) IsEligible(orgID int64) bool {
	for _, id := range r.Eligible {
		if id == orgID {
			return true
		}
	}
	return false
}

// Vote is an organisation's current vote.
type Vote struct {
	ReviewID       int64
	OrganizationID int64
	OrgName        string // read-only, joined for display
	Value          VoteValue
	Comment        string // conditions, objection reason or remark
	CastBy         int64
	CastByName     string // read-only, joined for display
	CastAt         time.Time
}

// ValidateVote checks a vote's value and the text it requires.
func ValidateVote(v VoteValue, comment string) error {
	f := fieldErrors{}
	if !oneOf(v, VoteValues) {
		f.add("value", "field.choose")
	}
	checkText(f, "comment", comment, maxNote, false)
	if key := VoteNeedsComment(v); key != "" && strings.TrimSpace(comment) == "" {
		f.add("comment", key)
	}
	return f.err()
}

// VoteNeedsComment returns, for a value whose vote must say something
// (the conditions, the objection's reason), the message key of its
// absence; "" for a value whose comment is optional.
func VoteNeedsComment(v VoteValue) string {
	switch v {
	case VoteSupportConditions:
		return "vote.conditions_required"
	case VoteObject:
		return "vote.reason_required"
	}
	return ""
}

// Tally is the count of a review's votes and what it means.
type Tally struct {
	Eligible  int `json:"eligible"`        // eligible organisations
	Voted     int `json:"voted"`           // organisations that cast any vote (turnout)
	Support   int `json:"support"`         // support and support with conditions
	WithConds int `json:"with_conditions"` // of Support, with conditions
	Object    int `json:"object"`          // objections
	Abstain   int `json:"abstain"`         // abstentions
	Recused   int `json:"recused"`         // recused by vote
	// QuorumBase is the eligible organisations that are not recused;
	// Counting those that voted support, conditions or object.
	QuorumBase int  `json:"quorum_base"`
	Counting   int  `json:"counting"`
	QuorumMet  bool `json:"quorum_met"`
	Passed     bool `json:"passed"`
}

// CountVotes tallies votes (at most one per organisation; votes from
// organisations not eligible are ignored) under policy.
//
// Quorum: organisations voting (not recused, not abstaining) divided by
// eligible non-recused organisations ≥ the quorum percent; with no
// non-recused organisation there is no quorum. Consensus passes with
// quorum and no objection; majority with quorum and more support
// (with or without conditions) than objections.
func CountVotes(policy ReviewPolicy, eligible []int64, votes []Vote) Tally {
	t := Tally{Eligible: len(eligible)}
	isEligible := make(map[int64]bool, len(eligible))
	for _, id := range eligible {
		isEligible[id] = true
	}
	seen := map[int64]bool{}
	for _, v := range votes {
		if !isEligible[v.OrganizationID] || seen[v.OrganizationID] {
			continue
		}
		seen[v.OrganizationID] = true
		t.Voted++
		switch v.Value {
		case VoteSupport:
			t.Support++
		case VoteSupportConditions:
			t.Support++
			t.WithConds++
		case VoteObject:
			t.Object++
		case VoteAbstain:
			t.Abstain++
		case VoteRecuse:
			t.Recused++
		}
	}
	t.QuorumBase = t.Eligible - t.Recused
	t.Counting = t.Support + t.Object
	// counting/base ≥ percent/100, in integers.
	t.QuorumMet = t.QuorumBase > 0 && t.Counting*100 >= policy.QuorumPercent*t.QuorumBase
	switch policy.PassRule {
	case PassConsensus:
		t.Passed = t.QuorumMet && t.Object == 0 && t.Support > 0
	case PassMajority:
		t.Passed = t.QuorumMet && t.Support > t.Object
	}
	return t
}

// AllVoted reports whether every eligible organisation has voted.
func (t Tally) AllVoted() bool { return t.Voted == t.Eligible }

// DeadlineChoice is what the officer chooses of a review's deadline
// when opening it.
type DeadlineChoice struct {
	// Explicit is the deadline; zero takes the operation's review hours.
	Explicit time.Time
	// AfterRequiredBy confirms a deadline after the request's required-by
	// time: the request may expire undecided while its review is open.
	AfterRequiredBy bool
}

// ReviewDeadline is when a review of r opened at now closes: explicit
// when given (it must be after now and no later than 30 days), otherwise
// the operation's review hours, or its urgent hours for a life-saving
// request. A deadline after r's required-by time (ClosesAfterNeed) is
// refused unless the officer confirmed it (AfterRequiredBy).
func ReviewDeadline(p ReviewPolicy, r Request, c DeadlineChoice, now time.Time) (time.Time, error) {
	dl := now.UTC().Truncate(time.Minute)
	switch explicit := c.Explicit; {
	case explicit.IsZero():
		hours := p.ReviewHours
		if r.Priority == PriorityLifesaving {
			hours = p.UrgentReviewHours
		}
		dl = dl.Add(time.Duration(hours) * time.Hour)
	case !explicit.After(now):
		return time.Time{}, invalidField("deadline", "review.deadline_past")
	case explicit.Sub(now) > MaxReviewTime:
		return time.Time{}, invalidField("deadline", "review.deadline_too_far")
	default:
		// Deadlines are whole minutes, taken down to the minute; what is
		// left must be a whole minute at least.
		if dl = explicit.UTC().Truncate(time.Minute); dl.Sub(now) < time.Minute {
			return time.Time{}, invalidField("deadline", "review.deadline_too_soon")
		}
	}
	if ClosesAfterNeed(dl, r.RequiredBy) && !c.AfterRequiredBy {
		return time.Time{}, invalidField("deadline", "review.deadline_after_required_by")
	}
	return dl, nil
}

// ClosesAfterNeed reports whether a review closing at deadline closes
// after the request's required-by time (zero: none): the request would
// expire undecided if the review ran its course. Voters are told so.
func ClosesAfterNeed(deadline, requiredBy time.Time) bool {
	return !requiredBy.IsZero() && deadline.After(requiredBy)
}

// ReminderShare is the part of a review, from its opening, in which no
// reminder goes out: a reminder comes at the earliest half-way through.
const ReminderShare = 2

// ReminderAt is when a review opened at opened and closing at deadline
// reminds the organisations that have not voted: before its deadline by
// before, but never in the first half of the review — a 6-hour review
// with a 12-hour notice reminds 3 hours before it closes, not a minute
// after it opened.
func ReminderAt(opened, deadline time.Time, before time.Duration) time.Time {
	lead := max(min(before, deadline.Sub(opened)/ReminderShare), 0)
	return deadline.Add(-lead)
}

// MaxReviewTime bounds an explicit review deadline.
const MaxReviewTime = 30 * 24 * time.Hour

func invalidField(field, key string) error {
	return &Error{Code: CodeInvalid, Message: "error.invalid", Fields: map[string]string{field: key}}
}

// EligibleOrganizations returns the organisations that vote: those with
// an HCT member in the operation (hctOrgs, any order, repeats allowed),
// without the requesting organisation, which is recused automatically.
// The result is sorted and has no repeats.
func EligibleOrganizations(hctOrgs []int64, requestingOrg int64) (eligible, recused []int64) {
	seen := map[int64]bool{}
	for _, id := range hctOrgs {
		if seen[id] {
			continue
		}
		seen[id] = true
		if id == requestingOrg {
			recused = append(recused, id)
			continue
		}
		eligible = append(eligible, id)
	}
	slices.Sort(eligible)
	return eligible, recused
}

// CheckOpenReview decides whether a review may open on r now, beyond the
// transition's own rules: an HRDDP assessment required and missing
// blocks it (until the assessment exists, LR18 answered yes by a UN
// entity requester blocks it until the HRDDP reviewer's assessment
// exists, and an assessment concluding "no support" blocks it for good),
// and there must be someone to vote.
func CheckOpenReview(ev Evaluation, eligible []int64, assessment *Assessment) error {
	if HRDDPRequired(ev) {
		switch {
		case assessment == nil:
			return Errorf(CodeConflict, "review.hrddp_required")
		case assessment.Outcome == "no_support":
			return Errorf(CodeConflict, "review.hrddp_no_support")
		}
	}
	if len(eligible) == 0 {
		return Errorf(CodeConflict, "review.no_voters")
	}
	return nil
}

// VoteVisibility says how much of a review's votes a member sees.
type VoteVisibility int

// Levels of VoteVisibility, each including the ones before.
const (
	SeeTurnout  VoteVisibility = iota // how many organisations voted
	SeeNonVoter                       // and which have not
	SeeValues                         // and every vote with its comment
)

// VotesVisible returns what a member with roles sees of r's votes:
// while a sealed review is open, HCT members (and everyone else) see the
// turnout only, and the officer and the HC also who has not voted;
// nobody sees values. A sealed review that was cancelled (the request
// left it before it closed) stays sealed for good: a cancellation never
// reveals values, comments or voters. Unsealed, or closed with its tally,
// everyone in the operation sees everything.
func VotesVisible(roles RoleSet, r Review) VoteVisibility {
	sealed := r.Policy.SealedVotes && (r.Open() || r.Cancelled)
	if !sealed {
		return SeeValues
	}
	if roles.Has(RoleOfficer) || roles.Has(RoleHC) {
		return SeeNonVoter
	}
	return SeeTurnout
}

// CanCloseEarly reports whether the officer may close r before its
// deadline, given its live tally t.
//
// Whether the control is offered must not tell the officer anything they
// may not see. Quorum counts neither abstentions nor recusals, so "quorum
// met" is a function of the vote values: on a sealed review, offering
// "close early" on quorum would reveal, e.g., that the last vote was an
// abstention. So the rule reads only what the officer is entitled to see
// (VotesVisible). With the values visible (an unsealed review): every
// eligible organisation voted, or quorum is met. While the votes are
// sealed to the officer: every eligible organisation voted, or the
// turnout alone reaches the quorum percent of the eligible
// organisations. The turnout ratio is never below the quorum ratio, so
// the control is offered whenever quorum is met, and also when
// abstentions or recusals leave it unmet — the officer then closes
// knowing only the turnout, and a review that fails quorum may be
// re-opened once.
func CanCloseEarly(r Review, t Tally) bool {
	if t.AllVoted() {
		return true
	}
	if VotesVisible(RoleSet{RoleOfficer}, r) != SeeValues {
		return t.Eligible > 0 && t.Voted*100 >= r.Policy.QuorumPercent*t.Eligible
	}
	return t.QuorumMet
}

// Decision is the Humanitarian Coordinator's reasoned decision.
type Decision struct {
	ID            int64
	RequestID     int64
	ReviewID      int64
	Outcome       Status // StatusApproved or StatusRejected
	Rationale     string
	Conditions    string
	DecidedBy     int64
	DecidedByName string // read-only, joined for display
	DecidedAt     time.Time
	// ActingHCID is the acting period the decider was HC under (0: the
	// HC by membership decided); ActingNamedByName and ActingUntil are
	// read-only, joined for display ("acting HC, named by …, until …").
	ActingHCID        int64
	ActingNamedByName string
	ActingUntil       time.Time
}

// ValidateDecision checks a decision's fields: an outcome and a
// rationale. Whether the outcome may be taken (approval only when the
// review passed) is the rulebook's (ActionApprove's guard).
func ValidateDecision(d Decision) error {
	f := fieldErrors{}
	if d.Outcome != StatusApproved && d.Outcome != StatusRejected {
		f.add("outcome", "field.choose")
	}
	checkText(f, "rationale", d.Rationale, maxLongText, true)
	checkText(f, "conditions", d.Conditions, maxLongText, false)
	return f.err()
}
