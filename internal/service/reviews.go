package service

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// Notifier tells users about what happened, in-app and by e-mail. It is
// called inside the transaction of the change it tells of, with that
// transaction's store, so a notice exists exactly when its change does.
type Notifier interface {
	Notify(ctx context.Context, st *store.Store, n domain.Notice) error
}

// Reviews is the HCT review and the HC's decision. Every change locks the
// request row first — votes, closing and deciding on one request are
// serialised there — then decides with the domain, saves, appends the
// audit event and queues the notices, in one transaction.
type Reviews struct {
	store  *store.Store
	now    func() time.Time
	log    *slog.Logger
	notify Notifier
	// ReminderBefore is how long before the deadline the reminder goes
	// to organisations that have not voted, at most: never in the first
	// half of a review (domain.ReminderAt).
	ReminderBefore time.Duration
	// Batch is how many items RunDue claims per transaction; 0 is
	// JobBatch.
	Batch int
}

// NewReviews returns the Reviews service; notify may be nil (no notices).
func NewReviews(st *store.Store, now func() time.Time, log *slog.Logger, notify Notifier) *Reviews {
	return &Reviews{store: st, now: now, log: log, notify: notify, ReminderBefore: 12 * time.Hour}
}

func (s *Reviews) tell(ctx context.Context, st *store.Store, n domain.Notice) error {
	if s.notify == nil || len(n.Recipients) == 0 {
		return nil
	}
	return s.notify.Notify(ctx, st, n)
}

// ReviewState is a request's current review as one caller may see it.
type ReviewState struct {
	Review     domain.Review
	Exists     bool
	Visibility domain.VoteVisibility
	// Tally is live while open, frozen once closed, and as Visibility
	// allows (domain.TallyFor): the turnout only while sealed.
	Tally domain.Tally
	// Votes are shown only with SeeValues; NotVoted (organisation names)
	// from SeeNonVoter.
	Votes    []domain.Vote
	History  []domain.Vote
	NotVoted []string
	// MyVote is the caller's organisation's vote, when it is eligible.
	MyVote    *domain.Vote
	CanVote   bool
	CanClose  bool // the officer may close it now
	CanReopen bool
	// CanRemind: the officer may remind the organisations that have not
	// voted now (domain.ActionRemindVoters); RemindAgainAt is when the
	// last reminder allows the next one (zero when none went out).
	CanRemind     bool
	RemindAgainAt time.Time
	Decision      *domain.Decision
	CanDecide     bool
	Eligible      []string // organisation names
	RecusedOrgs   []string
	// ClosesAfterNeed: the review closes after the request's required-by
	// time (domain.ClosesAfterNeed), so the request may expire undecided
	// first; what voters are told.
	ClosesAfterNeed bool
}

// State returns request id's latest review as by may see it.
func (s *Reviews) State(ctx context.Context, by domain.Actor, id int64) (ReviewState, error) {
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return ReviewState{}, err
	}
	if err := domain.Can(by, domain.ActionViewRequest, domain.OnRequest(r)); err != nil {
		return ReviewState{}, err
	}
	return s.state(ctx, s.store, by, r)
}

func (s *Reviews) state(ctx context.Context, st *store.Store, by domain.Actor, r domain.Request) (ReviewState, error) {
	subj, err := subject(ctx, st, r, domain.AllFacts, s.now())
	if err != nil || subj.Review == nil {
		return ReviewState{}, err
	}
	rv := *subj.Review
	votes, err := st.ListVotes(ctx, rv.ID)
	if err != nil {
		return ReviewState{}, err
	}
	names, err := st.OrganizationNames(ctx, append(slices.Clone(rv.Eligible), rv.Recused...))
	if err != nil {
		return ReviewState{}, err
	}
	var history []domain.Vote
	if domain.VotesVisible(by.RolesIn(r.OperationID), rv) == domain.SeeValues && !rv.Open() {
		if history, err = st.VoteHistory(ctx, rv.ID); err != nil {
			return ReviewState{}, err
		}
	}
	d, hasDecision, err := st.LatestDecision(ctx, r.ID)
	if err != nil {
		return ReviewState{}, err
	}
	return reviewState(by, subj, votes, names, history, d, hasDecision), nil
}

// reviewState is what by may see of review rv of request r and may do
// in it: votes are r's current votes, names the eligible and recused
// organisations' names, history the review's vote history (read once it
// is closed), d the request's latest decision when hasDecision.
func reviewState(by domain.Actor, subj domain.Subject, votes []domain.Vote, names map[int64]string,
	history []domain.Vote, d domain.Decision, hasDecision bool) ReviewState {
	r, rv := *subj.Request, *subj.Review
	out := ReviewState{Review: rv, Exists: true, ClosesAfterNeed: domain.ClosesAfterNeed(rv.Deadline, r.RequiredBy)}
	roles := by.RolesIn(r.OperationID)
	out.Visibility = domain.VotesVisible(roles, rv)
	tally := domain.CountVotes(rv.Policy, rv.Eligible, votes)
	if rv.Tally != nil {
		tally = *rv.Tally
	}
	out.Tally = domain.TallyFor(out.Visibility, tally)
	for _, id := range rv.Eligible {
		out.Eligible = append(out.Eligible, names[id])
	}
	for _, id := range rv.Recused {
		out.RecusedOrgs = append(out.RecusedOrgs, names[id])
	}
	voted := map[int64]bool{}
	for i, v := range votes {
		voted[v.OrganizationID] = true
		if v.OrganizationID == by.OrganizationID && domain.VoteShown(by, roles, rv, v) {
			out.MyVote = &votes[i] // an organisation always sees its own vote
		}
	}
	if out.Visibility >= domain.SeeNonVoter {
		for _, id := range rv.Eligible {
			if !voted[id] {
				out.NotVoted = append(out.NotVoted, names[id])
			}
		}
	}
	if out.Visibility == domain.SeeValues {
		out.Votes = votes
		if !rv.Open() {
			out.History = history
		}
	}
	can := func(a domain.Action) bool { return domain.Can(by, a, subj) == nil }
	out.CanVote = can(domain.ActionVote)
	out.CanClose = can(domain.ActionCloseReview)
	out.CanReopen = can(domain.ActionReopenReview)
	out.CanRemind, out.RemindAgainAt = can(domain.ActionRemindVoters), rv.RemindAgainAt()
	out.CanDecide = can(domain.ActionReject) || can(domain.ActionApprove)
	if hasDecision && d.ReviewID == rv.ID {
		out.Decision = &d
	}
	return out
}

// OpenInput is what the officer sends to open a review.
type OpenInput struct {
	Version  int
	Deadline time.Time // zero: the operation's review hours
	// AfterRequiredBy confirms a deadline after the request's required-by
	// time (domain.ReviewDeadline refuses it otherwise).
	AfterRequiredBy bool
}

// Open starts the HCT review of submitted request id: the deadline, the
// eligible organisations (the operation's HCT member organisations, the
// requesting one recused) and the operation's rules are frozen on the
// review now.
func (s *Reviews) Open(ctx context.Context, by domain.Actor, id int64, in OpenInput) (domain.Review, error) {
	var out domain.Review
	err := s.store.InTx(ctx, func(st *store.Store) error {
		r, err := st.LockRequest(ctx, id)
		if err != nil {
			return err
		}
		subj, err := authorize(ctx, st, by, domain.ActionOpenReview, r, s.now())
		if err != nil {
			return err
		}
		if err := domain.CheckVersion(r, in.Version); err != nil {
			return err
		}
		now := s.now()
		out, err = s.open(ctx, st, by, &r, subj, in, false, now)
		if err != nil {
			return err
		}
		payload, err := r.Apply(by, domain.ActionOpenReview, subj, domain.TransitionInput{Version: r.Version}, now)
		if err != nil {
			return err
		}
		return s.afterOpen(ctx, st, by, r, out, payload, domain.ActionOpenReview, now)
	})
	return out, settleAfter(ctx, s.store, s.now, s.log, s.notify, id, err)
}

// open inserts the review of r (locked, its opening allowed on subj by
// domain.Can): the eligible organisations, deadline and rules frozen now.
// subj carries every fact (the opening rules' guards read them): the
// operation's rules, its HCT organisations and the latest review.
func (s *Reviews) open(ctx context.Context, st *store.Store, by domain.Actor, r *domain.Request, subj domain.Subject, in OpenInput, reopening bool, now time.Time) (domain.Review, error) {
	op := subj.Operation
	eligible, recused := domain.EligibleOrganizations(subj.Voters, r.RequestingOrgID)
	dl, err := domain.ReviewDeadline(op.Policy, *r, domain.DeadlineChoice{Explicit: in.Deadline, AfterRequiredBy: in.AfterRequiredBy}, now)
	if err != nil {
		return domain.Review{}, err
	}
	round := 1
	if subj.Review != nil {
		round = subj.Review.Round + 1
	}
	return st.InsertReview(ctx, domain.Review{RequestID: r.ID, Round: round, Policy: op.Policy, Eligible: eligible,
		Recused: recused, OpenedBy: by.UserID, OpenedAt: now, Deadline: dl, Reopening: reopening,
		RemindAt: domain.ReminderAt(now, dl, s.ReminderBefore)})
}

func (s *Reviews) afterOpen(ctx context.Context, st *store.Store, by domain.Actor, r domain.Request, rv domain.Review, payload map[string]any, action domain.Action, now time.Time) error {
	if err := st.UpdateRequest(ctx, r); err != nil {
		return err
	}
	payload["review_id"], payload["round"] = rv.ID, rv.Round
	payload["deadline"] = rv.Deadline.UTC().Format(time.RFC3339)
	if domain.ClosesAfterNeed(rv.Deadline, r.RequiredBy) {
		// The officer confirmed a review that closes after the need.
		payload["after_required_by"] = r.RequiredBy.UTC().Format(time.RFC3339)
	}
	payload["eligible"], payload["recused"] = rv.Eligible, nonNilIDs(rv.Recused)
	payload["quorum_percent"], payload["pass_rule"], payload["sealed"] = rv.Policy.QuorumPercent, string(rv.Policy.PassRule), rv.Policy.SealedVotes
	if err := appendEvent(ctx, st, r.ID, by.UserID, string(action), payload, now); err != nil {
		return err
	}
	voters, err := st.MembersWithRole(ctx, r.OperationID, domain.RoleHCTMember, rv.Eligible, now)
	if err != nil {
		return err
	}
	data := map[string]string{"Deadline": rv.Deadline.UTC().Format(time.RFC3339)}
	if domain.ClosesAfterNeed(rv.Deadline, r.RequiredBy) {
		// Voters are told the request is needed before the review closes.
		data["RequiredBy"] = r.RequiredBy.UTC().Format(time.RFC3339)
	}
	return s.tell(ctx, st, domain.Notice{Kind: domain.NoticeReviewOpened, RequestID: r.ID, Reference: r.Reference, Title: r.Title,
		Recipients: voters, Data: data, Actor: by.UserID, Links: domain.VoteLinks(rv)})
}

func nonNilIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// VoteInput is an HCT member's vote for their organisation; Version,
// when given (above 0), must be the request's.
type VoteInput struct {
	Value   domain.VoteValue
	Comment string
	Version int
}

// Vote casts or changes by's organisation's vote on request id's open
// review. A vote after the review closed is refused (409).
func (s *Reviews) Vote(ctx context.Context, by domain.Actor, id int64, in VoteInput) (domain.Vote, error) {
	var out domain.Vote
	err := s.store.InTx(ctx, func(st *store.Store) error {
		r, err := st.LockRequest(ctx, id)
		if err != nil {
			return err
		}
		out, err = s.castVote(ctx, st, by, r, in, nil)
		return err
	})
	return out, settleAfter(ctx, s.store, s.now, s.log, s.notify, id, err)
}

// castVote is Vote on request r, locked in st's transaction; via, when
// set, adds to the event where the vote came from (an e-mail link).
func (s *Reviews) castVote(ctx context.Context, st *store.Store, by domain.Actor, r domain.Request, in VoteInput, via map[string]any) (domain.Vote, error) {
	subj, err := authorize(ctx, st, by, domain.ActionVote, r, s.now())
	if err != nil {
		return domain.Vote{}, err
	}
	if err := domain.CheckStepVersion(domain.ActionVote, r, in.Version); err != nil {
		return domain.Vote{}, err
	}
	rv := *subj.Review
	if err := domain.ValidateVote(in.Value, in.Comment); err != nil {
		return domain.Vote{}, err
	}
	now := s.now()
	out := domain.Vote{ReviewID: rv.ID, OrganizationID: by.OrganizationID, Value: in.Value, Comment: in.Comment,
		CastBy: by.UserID, CastAt: now}
	changed, err := st.SaveVote(ctx, out)
	if err != nil {
		return domain.Vote{}, err
	}
	// The trail records that the organisation voted, never how: the
	// values are sealed until close, when the closing event lists them.
	payload := map[string]any{"review_id": rv.ID, "organization_id": by.OrganizationID, "changed": changed}
	for k, v := range via {
		payload[k] = v
	}
	return out, appendEvent(ctx, st, r.ID, by.UserID, domain.EventVote, payload, now)
}

// Close closes request id's open review early (the officer), once every
// eligible organisation voted or quorum is met; version is the request's
// version the officer saw, as for every step.
func (s *Reviews) Close(ctx context.Context, by domain.Actor, id int64, version int) (domain.Tally, error) {
	var out domain.Tally
	err := s.store.InTx(ctx, func(st *store.Store) error {
		r, err := st.LockRequest(ctx, id)
		if err != nil {
			return err
		}
		subj, err := authorize(ctx, st, by, domain.ActionCloseReview, r, s.now())
		if err != nil {
			return err
		}
		rv := *subj.Review
		votes, err := st.ListVotes(ctx, rv.ID)
		if err != nil {
			return err
		}
		t := domain.CountVotes(rv.Policy, rv.Eligible, votes)
		now := s.now()
		payload, err := r.Apply(by, domain.ActionCloseReview, subj, domain.TransitionInput{Version: version}, now)
		if err != nil {
			return err
		}
		out = t
		return s.close(ctx, st, by.UserID, r, rv, votes, t, payload, now)
	})
	return out, settleAfter(ctx, s.store, s.now, s.log, s.notify, id, err)
}

// Remind reminds, on demand (the officer), the HCT members of the
// organisations that have not voted in request id's open review — the
// notice the scheduled reminder sends (reminder), to the same people —
// and records it on the review and in the request's audit trail. It is
// refused (409) while the review's last reminder is less than
// domain.RemindAgainAfter old, the refusal saying from when, and once
// every organisation voted. version is the request's version the officer
// saw (0: none checked). It returns how many organisations were reminded.
func (s *Reviews) Remind(ctx context.Context, by domain.Actor, id int64, version int) (int, error) {
	var out int
	err := s.store.InTx(ctx, func(st *store.Store) error {
		out = 0 // InTx may retry
		r, err := st.LockRequest(ctx, id)
		if err != nil {
			return err
		}
		subj, err := authorize(ctx, st, by, domain.ActionRemindVoters, r, s.now())
		if err != nil {
			return err
		}
		if err := domain.CheckStepVersion(domain.ActionRemindVoters, r, version); err != nil {
			return err
		}
		rv, now := *subj.Review, s.now()
		f, err := st.JobFacts(ctx, []int64{id}, []domain.Role{domain.RoleHCTMember}, now)
		if err != nil {
			return err
		}
		notice, ok := reminder(r, rv, f.Votes[rv.ID], f.MembersWithRole)
		if !ok {
			return domain.Errorf(domain.CodeConflict, "review.remind_all_voted")
		}
		if err := st.MarkRemindedManually(ctx, rv.ID, now); err != nil {
			return err
		}
		out = subj.Tally.Eligible - subj.Tally.Voted
		if err := appendEvent(ctx, st, id, by.UserID, domain.EventVotersReminded,
			map[string]any{"review_id": rv.ID, "organizations": out, "recipients": len(notice.Recipients)}, now); err != nil {
			return err
		}
		return s.tell(ctx, st, notice)
	})
	return out, settleAfter(ctx, s.store, s.now, s.log, s.notify, id, err)
}

// close freezes the tally, moves the request (already applied to r) to
// hc_decision and tells the HC and the officers.
func (s *Reviews) close(ctx context.Context, st *store.Store, byID int64, r domain.Request, rv domain.Review, votes []domain.Vote, t domain.Tally, payload map[string]any, now time.Time) error {
	if err := st.CloseReview(ctx, rv.ID, now, byID, "closed", &t); err != nil {
		return err
	}
	if err := st.UpdateRequest(ctx, r); err != nil {
		return err
	}
	hc, err := st.MembersWithRole(ctx, r.OperationID, domain.RoleHC, nil, now)
	if err != nil {
		return err
	}
	officers, err := st.MembersWithRole(ctx, r.OperationID, domain.RoleOfficer, nil, now)
	if err != nil {
		return err
	}
	notice := closedReview(r, rv, votes, t, payload, hc, officers, now)
	if !slices.Contains(hc, byID) {
		// The officer who closed it early (0: the deadline) is not told,
		// unless they must decide next (an officer who is acting HC).
		notice.Actor = byID
	}
	if err := appendEvent(ctx, st, r.ID, byID, string(domain.ActionCloseReview), payload, now); err != nil {
		return err
	}
	return s.tell(ctx, st, notice)
}

// closedReview completes payload, the close of review rv of request r
// with votes (its current ones) and tally t, for the trail, and returns
// the notice to the HC and the officers: the officer's close and the
// system's (closeStep) record and tell the same.
func closedReview(r domain.Request, rv domain.Review, votes []domain.Vote, t domain.Tally, payload map[string]any, hc, officers []int64, now time.Time) domain.Notice {
	list := make([]map[string]any, len(votes))
	for i, v := range votes {
		list[i] = map[string]any{"organization_id": v.OrganizationID, "value": string(v.Value), "comment": v.Comment}
	}
	payload["review_id"], payload["tally"], payload["votes"] = rv.ID, t, list
	result := "failed"
	if t.Passed {
		result = "passed"
	}
	return domain.Notice{Kind: domain.NoticeReviewClosed, RequestID: r.ID, Reference: r.Reference, Title: r.Title,
		Recipients: append(slices.Clone(hc), officers...), Data: map[string]string{"Outcome": result,
			"Turnout": strconv.Itoa(t.Voted) + "/" + strconv.Itoa(t.Eligible)},
		Links: domain.DecideLinks(rv, t, r.RequiredBy, now, hc)}
}

// Reopen re-opens request id's review once after it failed quorum, with
// a new deadline (zero: the operation's review hours).
func (s *Reviews) Reopen(ctx context.Context, by domain.Actor, id int64, in OpenInput) (domain.Review, error) {
	var out domain.Review
	err := s.store.InTx(ctx, func(st *store.Store) error {
		r, err := st.LockRequest(ctx, id)
		if err != nil {
			return err
		}
		subj, err := authorize(ctx, st, by, domain.ActionReopenReview, r, s.now())
		if err != nil {
			return err
		}
		if err := domain.CheckVersion(r, in.Version); err != nil {
			return err
		}
		now := s.now()
		if out, err = s.open(ctx, st, by, &r, subj, in, true, now); err != nil {
			return err
		}
		payload, err := r.Apply(by, domain.ActionReopenReview, subj, domain.TransitionInput{Version: r.Version}, now)
		if err != nil {
			return err
		}
		return s.afterOpen(ctx, st, by, r, out, payload, domain.ActionReopenReview, now)
	})
	return out, settleAfter(ctx, s.store, s.now, s.log, s.notify, id, err)
}

// DecisionInput is the HC's decision.
type DecisionInput struct {
	Version    int
	Outcome    domain.Status // approved or rejected
	Rationale  string
	Conditions string
}

// Decide records the HC's decision on request id after its review
// closed: approval only when the review passed; a rationale always.
// Two competing decisions: one wins, the other gets 409.
func (s *Reviews) Decide(ctx context.Context, by domain.Actor, id int64, in DecisionInput) (domain.Decision, error) {
	var out domain.Decision
	err := s.store.InTx(ctx, func(st *store.Store) error {
		r, err := st.LockRequest(ctx, id)
		if err != nil {
			return err
		}
		out, err = s.decide(ctx, st, by, r, in, nil)
		return err
	})
	return out, settleAfter(ctx, s.store, s.now, s.log, s.notify, id, err)
}

// decide is Decide on request r, locked in st's transaction; via, when
// set, adds to the event where the decision came from (an e-mail link).
func (s *Reviews) decide(ctx context.Context, st *store.Store, by domain.Actor, r domain.Request, in DecisionInput, via map[string]any) (domain.Decision, error) {
	id := r.ID
	action := domain.ActionReject
	if in.Outcome == domain.StatusApproved {
		action = domain.ActionApprove
	}
	subj, err := authorize(ctx, st, by, action, r, s.now())
	if err != nil {
		return domain.Decision{}, err
	}
	if err := domain.CheckVersion(r, in.Version); err != nil {
		return domain.Decision{}, err
	}
	rv := *subj.Review
	now := s.now()
	d := domain.Decision{RequestID: id, ReviewID: rv.ID, Outcome: in.Outcome, Rationale: in.Rationale,
		Conditions: in.Conditions, DecidedBy: by.UserID, DecidedAt: now}
	if err := domain.ValidateDecision(d); err != nil {
		return domain.Decision{}, err
	}
	// An acting HC's decision names the period it was taken under.
	acting, actingFor, isActing, err := actingDecider(ctx, st, by, r.OperationID, now)
	if err != nil {
		return domain.Decision{}, err
	}
	if isActing {
		d.ActingHCID, d.ActingNamedByName, d.ActingUntil = acting.ID, acting.NamedByName, acting.Until()
	}
	payload, err := r.Apply(by, action, subj, domain.TransitionInput{Version: r.Version, Reason: in.Rationale}, now)
	if err != nil {
		return domain.Decision{}, err
	}
	out, err := st.InsertDecision(ctx, d)
	if err != nil {
		return domain.Decision{}, err
	}
	out.DecidedByName = by.Name
	if err := st.UpdateRequest(ctx, r); err != nil {
		return domain.Decision{}, err
	}
	payload["decision_id"], payload["review_id"], payload["rationale"] = out.ID, rv.ID, in.Rationale
	if in.Conditions != "" {
		payload["conditions"] = in.Conditions
	}
	if isActing {
		payload["acting"], payload["acting_for"], payload["acting_hc_id"] = true, actingFor, acting.ID
		payload["acting_named_by"], payload["acting_until"] = acting.NamedBy, acting.Until().UTC().Format(time.RFC3339)
	}
	for k, v := range via {
		payload[k] = v
	}
	if err := appendEvent(ctx, st, id, by.UserID, string(action), payload, now); err != nil {
		return domain.Decision{}, err
	}
	officers, err := st.MembersWithRole(ctx, r.OperationID, domain.RoleOfficer, nil, now)
	if err != nil {
		return domain.Decision{}, err
	}
	// The voters too: every HCT member of the decided review's
	// eligible organisations (domain.NoticeDecision).
	var voters []int64
	if len(rv.Eligible) > 0 {
		if voters, err = st.MembersWithRole(ctx, r.OperationID, domain.RoleHCTMember, rv.Eligible, now); err != nil {
			return domain.Decision{}, err
		}
	}
	to := append(append([]int64{r.CreatedBy}, officers...), voters...)
	return out, s.tell(ctx, st, domain.Notice{Kind: domain.NoticeDecision, RequestID: id, Reference: r.Reference, Title: r.Title,
		Recipients: to, Actor: by.UserID, Data: map[string]string{"Outcome": string(in.Outcome),
			"Rationale": in.Rationale, "Conditions": in.Conditions}})
}
