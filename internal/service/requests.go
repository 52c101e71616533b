package service

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// Requests is the use cases of requests for assistance: drafting,
// editing, the workflow's transitions, comments, lists and the audit
// trail. Every change is one transaction that locks the request row,
// decides with the domain, saves and appends its audit event.
type Requests struct {
	store  *store.Store
	now    func() time.Time
	log    *slog.Logger
	notify Notifier
	limits actionLimits
	attach *Attachments
}

// WithAttachments shows the request's documents on its page (Page),
// under attach's settings; it returns s.
func (s *Requests) WithAttachments(attach *Attachments) *Requests {
	s.attach = attach
	return s
}

// WithActionLimits replaces the per-user limits of the service's business
// actions (domain.ActionLimits); nil turns them off, for a test fixture
// that seeds data. It returns s.
func (s *Requests) WithActionLimits(l map[domain.Action]domain.Limit) *Requests {
	s.limits = l
	return s
}

// WithNotifier makes the service tell who must act of its steps: the
// officers (and HRDDP reviewers) of a submission, the requester of a
// return, the start of execution and the completion, the participants
// of a comment, the voters of a cancelled review; it returns s.
func (s *Requests) WithNotifier(n Notifier) *Requests {
	s.notify = n
	return s
}

// NewRequests returns the Requests service.
func NewRequests(st *store.Store, now func() time.Time, log *slog.Logger) *Requests {
	return &Requests{store: st, now: now, log: log, limits: domain.ActionLimits}
}

// RequestDetail is a request with what its page needs: the operation,
// the checklist's evaluation, the history and what the caller may do.
type RequestDetail struct {
	Request   domain.Request
	Operation domain.Operation
	UNEntity  bool // the requesting organisation is a UN entity (HRDDP applies)
	// Evaluation is the checklist's verdict given Recorded, what was
	// recorded since the answers (consent, HRDDP assessment).
	Evaluation domain.Evaluation
	Recorded   domain.Recorded
	// NeedsUrgencyReason: submitted now, the request would give less
	// notice than the operation's lead time.
	NeedsUrgencyReason bool
	// Actions are the request actions the caller may take now
	// (domain.AvailableActions): the controls a page shows.
	Actions []domain.Action
	// Blocked are the request actions the caller would take but for the
	// rule's guard, with why (domain.Blocked): what a page says in place
	// of the control.
	Blocked    map[domain.Action]error
	CanEdit    bool
	CanComment bool
	// ContactHidden: the caller may not see the point of contact, which
	// is blanked in Request.
	ContactHidden bool
	Comments      []domain.Comment
	Events        []domain.Event
	// ExtensionOf is the request this one extends (nil for an original,
	// or one the caller may not see); Extensions the requests extending
	// it that the caller may see (another organisation's drafts are not).
	ExtensionOf *domain.RequestRef
	Extensions  []domain.RequestRef
	// Resubmission is what changed between the request's previous
	// submission and its latest (domain.SinceSubmission), as the caller
	// may see it (domain.ResubmissionFor); nil unless it was submitted
	// at least twice.
	Resubmission *domain.Resubmission
}

// Can reports whether the caller may take action on the request now.
func (d RequestDetail) Can(action domain.Action) bool { return slices.Contains(d.Actions, action) }

// Create stores a new draft in operation opCode for by's organisation.
// With a non-empty idempotency key, a retry with the same key returns the
// request the first call created (created is then false).
func (s *Requests) Create(ctx context.Context, by domain.Actor, opCode string, in domain.Request, key string) (out domain.Request, created bool, err error) {
	return s.createIn(ctx, by, opCode, in, key, nil)
}

// CreateDetail is Create answering with the new request as Get shows it
// to by. A new draft has no review, vote, consent, HRDDP assessment or
// link and was never submitted, so only the operation, the requesting
// organisation and the operation's HCT organisations are read, in one
// round trip, instead of the request and all its facts
// (TestCreateDetailIsGet). A replayed key is answered by Get.
func (s *Requests) CreateDetail(ctx context.Context, by domain.Actor, opCode string, in domain.Request, key string) (RequestDetail, bool, error) {
	r, created, err := s.createIn(ctx, by, opCode, in, key, nil)
	if err != nil {
		return RequestDetail{}, false, err
	}
	if !created {
		d, err := s.Get(ctx, by, r.ID)
		return d, false, err
	}
	facts, err := s.store.NewRequestFacts(ctx, r.ID)
	if err != nil {
		return RequestDetail{}, false, err
	}
	return s.detailFrom(by, r, facts, store.RequestLinks{}, nil), true, nil // never submitted
}

// createIn is Create, running within (when not nil) in the creation's
// transaction after the insert.
func (s *Requests) createIn(ctx context.Context, by domain.Actor, opCode string, in domain.Request, key string,
	within func(st *store.Store, out domain.Request, now time.Time) error) (out domain.Request, created bool, err error) {
	op, err := s.memberOperation(ctx, by, opCode)
	if err != nil {
		return domain.Request{}, false, err
	}
	if err := domain.Can(by, domain.ActionCreateRequest, domain.OnOperation(op)); err != nil {
		return domain.Request{}, false, err
	}
	ctx, own, err := s.keyed(ctx, by, key)
	if err != nil {
		return domain.Request{}, false, err
	}
	if own {
		if id, err := s.store.IdempotentRequest(ctx, by.UserID, key); err != nil || id != 0 {
			if err != nil {
				return domain.Request{}, false, err
			}
			return s.replayed(ctx, id, op.ID)
		}
	}
	return s.create(ctx, by, op, in, own, 0, within)
}

// keyed checks key and, when the caller's context carries no
// Idempotency-Key yet (a caller other than the HTTP faces, whose
// middleware claims and replays keys itself), returns ctx carrying key:
// the creation's first audit event claims it (store.Claim). own reports
// that this service answers the key's replays.
func (s *Requests) keyed(ctx context.Context, by domain.Actor, key string) (context.Context, bool, error) {
	if err := domain.CheckIdempotencyKey(key); err != nil {
		return ctx, false, err
	}
	if key == "" || store.ClaimFrom(ctx) != nil {
		return ctx, false, nil
	}
	return store.WithClaim(ctx, &store.Claim{UserID: by.UserID, Key: key}), true, nil
}

// create stores draft in of operation op, extending request extends
// (0 for none); within, when not nil, runs in the same transaction after
// the insert. own: a concurrent call claimed ctx's key first is answered
// with the request it created.
func (s *Requests) create(ctx context.Context, by domain.Actor, op domain.Operation, in domain.Request, own bool, extends int64,
	within func(st *store.Store, out domain.Request, now time.Time) error) (out domain.Request, created bool, err error) {
	r := in
	r.ExtensionOf = extends
	r.Checklist = withoutOfficerAnswers(r.Checklist, nil)
	domain.NormalizeRequest(&r)
	if err := domain.ValidateDraft(r); err != nil {
		return domain.Request{}, false, err
	}
	now := s.now()
	r.OperationID, r.RequestingOrgID, r.CreatedBy = op.ID, by.OrganizationID, by.UserID
	r.Status, r.Version, r.CreatedAt, r.UpdatedAt = domain.StatusDraft, 1, now, now
	err = s.store.InTx(ctx, func(st *store.Store) error {
		if err := s.limits.limitAction(ctx, st, by, domain.ActionCreateRequest, now); err != nil {
			return err
		}
		// Everything that can be done before the operation's numbering
		// lock is: it is held to the commit, and serialises the
		// operation's creations, so only the number, the insert (which
		// returns the row as stored), the first event and the commit
		// run under it.
		if r.ID, err = st.NewRequestID(ctx); err != nil {
			return err
		}
		if err := st.ClaimRequest(ctx, r.ID); err != nil {
			return err
		}
		n, err := st.NextRequestNumber(ctx, op.ID)
		if err != nil {
			return err
		}
		r.Reference = domain.FormatReference(op.CountryISO3, n)
		if out, err = st.InsertRequest(ctx, r, n); err != nil {
			return err
		}
		payload := domain.Snapshot(out)
		payload["reference"] = out.Reference
		if out.ExtensionOf != 0 {
			payload["extension_of"] = out.ExtensionOf
		}
		// The first link of a chain just begun: nothing to read before it,
		// while the operation's numbering lock is held.
		ev, err := domain.NewEvent(nil, out.ID, by.UserID, domain.EventCreated, payload, now)
		if err != nil {
			return err
		}
		if _, err := st.InsertEvent(ctx, ev); err != nil {
			return err
		}
		if within != nil {
			if err := within(st, out, now); err != nil {
				return err
			}
		}
		return nil
	})
	if own && store.KeyTaken(err) {
		id, err := s.store.IdempotentRequest(ctx, by.UserID, store.ClaimFrom(ctx).Key)
		if err != nil {
			return domain.Request{}, false, err
		}
		return s.replayed(ctx, id, op.ID)
	}
	return out, err == nil, err
}

// replayed returns request id, created earlier under the same
// idempotency key, when it belongs to operation opID; a key reused for
// another operation is the client's error, not a replay.
func (s *Requests) replayed(ctx context.Context, id, opID int64) (domain.Request, bool, error) {
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return domain.Request{}, false, err
	}
	if r.OperationID != opID {
		return domain.Request{}, false, &domain.Error{Code: domain.CodeConflict, Message: "request.idempotency_key_reused",
			Fields: map[string]string{"idempotency_key": "request.idempotency_key_reused"}}
	}
	return r, false, nil
}

// withoutOfficerAnswers returns answers with the items the officer fills
// (LR17) taken from kept instead: a requester cannot set them.
func withoutOfficerAnswers(answers, kept map[string]domain.Answer) map[string]domain.Answer {
	out := maps.Clone(answers)
	if out == nil {
		out = map[string]domain.Answer{}
	}
	for _, item := range domain.Checklist {
		if !item.ByOfficer {
			continue
		}
		delete(out, item.ID)
		if a, ok := kept[item.ID]; ok {
			out[item.ID] = a
		}
	}
	return out
}

// memberOperation returns operation code when by is a member of it;
// otherwise CodeNotFound, as if it did not exist.
func (s *Requests) memberOperation(ctx context.Context, by domain.Actor, code string) (domain.Operation, error) {
	if by.Anonymous() {
		return domain.Operation{}, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	op, err := s.store.GetOperationByCode(ctx, code)
	if err != nil {
		return domain.Operation{}, err
	}
	if !by.IsMember(op.ID) {
		return domain.Operation{}, domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	return op, nil
}

// Get returns request id as by may see it on screen (domain.RequestFor:
// the contact blanked when by may not see it), with its evaluation.
func (s *Requests) Get(ctx context.Context, by domain.Actor, id int64) (RequestDetail, error) {
	r, facts, links, rounds, err := s.store.RequestView(ctx, id, nil)
	if err != nil {
		return RequestDetail{}, err
	}
	if err := domain.Can(by, domain.ActionViewRequest, domain.OnRequest(r)); err != nil {
		return RequestDetail{}, err
	}
	return s.detailFrom(by, r, facts, links, rounds), nil
}

// Detail is Get with the comments and the audit trail, each event as by
// may see it (domain.EventFor).
func (s *Requests) Detail(ctx context.Context, by domain.Actor, id int64) (RequestDetail, error) {
	d, err := s.Get(ctx, by, id)
	if err != nil {
		return d, err
	}
	if d.Comments, err = s.store.ListComments(ctx, id); err != nil {
		return d, err
	}
	events, err := s.store.ListEvents(ctx, id)
	if err != nil {
		return d, err
	}
	reviews, err := s.store.ListReviews(ctx, id)
	if err != nil {
		return d, err
	}
	d.Events = eventsFor(by, d.Request, events, reviews)
	return d, nil
}

// eventsFor returns the events of request r (as by sees it) as by sees
// them on screen; reviews are r's reviews.
func eventsFor(by domain.Actor, r domain.Request, events []domain.Event, reviews []domain.Review) []domain.Event {
	byID := make(map[int64]domain.Review, len(reviews))
	for _, rv := range reviews {
		byID[rv.ID] = rv
	}
	for i := range events {
		events[i] = domain.EventFor(by, r.Ref(), events[i], domain.ChannelScreen, byID)
	}
	return events
}

// detail is request r (as the caller just read or wrote it) as by may
// see it, its facts and links read in one round trip.
func (s *Requests) detail(ctx context.Context, by domain.Actor, r domain.Request) (RequestDetail, error) {
	r, facts, links, rounds, err := s.store.RequestView(ctx, r.ID, &r)
	if err != nil {
		return RequestDetail{}, err
	}
	return s.detailFrom(by, r, facts, links, rounds), nil
}

// detailFrom is request r as by may see it, from its facts, links and
// the events of its last two submissions (store.RequestView).
func (s *Requests) detailFrom(by domain.Actor, r domain.Request, facts store.RequestFactsData, links store.RequestLinks, rounds []domain.Event) RequestDetail {
	d := s.detailOf(by, subjectOf(r, facts, s.now()), facts.Organization)
	d.ExtensionOf, d.Extensions = linksFor(by, links)
	d.Resubmission = resubmissionFor(by, r, rounds)
	return d
}

// resubmissionFor is what changed between request r's previous
// submission and its latest, from its stored events (unredacted: a field
// changed back is told from one hidden), as by may see it on screen; nil
// unless it was submitted at least twice. The page, the record and the
// API all answer with it.
func resubmissionFor(by domain.Actor, r domain.Request, events []domain.Event) *domain.Resubmission {
	rs, ok := domain.SinceSubmission(events)
	if !ok {
		return nil
	}
	rs = domain.ResubmissionFor(by, r.Ref(), rs, domain.ChannelScreen)
	return &rs
}

// linksFor is what by may see of a request's extension links: each
// linked request only when by may view it.
func linksFor(by domain.Actor, l store.RequestLinks) (*domain.RequestRef, []domain.RequestRef) {
	sees := func(ref domain.RequestRef) bool {
		return domain.Can(by, domain.ActionViewRequest, domain.OnRef(ref)) == nil
	}
	var parent *domain.RequestRef
	if l.ExtensionOf != nil && sees(*l.ExtensionOf) {
		parent = l.ExtensionOf
	}
	var exts []domain.RequestRef
	for _, e := range l.Extensions {
		if sees(e) {
			exts = append(exts, e)
		}
	}
	return parent, exts
}

// detailOf is request subj.Request, requested by org, as by may see it
// (without comments and events); subj carries every fact
// (domain.AllFacts).
func (s *Requests) detailOf(by domain.Actor, subj domain.Subject, org domain.Organization) RequestDetail {
	r, op := *subj.Request, subj.Operation
	d := RequestDetail{
		Request: r, Operation: op, UNEntity: org.UNEntity,
		Evaluation: subj.Evaluation, Recorded: recordedOf(subj),
		NeedsUrgencyReason: domain.NeedsUrgencyReason(r, op, s.now()),
		Actions:            domain.AvailableActions(by, subj),
	}
	d.Blocked = domain.BlockedActions(by, subj)
	d.CanEdit = d.Can(domain.ActionEditRequest)
	d.CanComment = d.Can(domain.ActionComment)
	var hidden []domain.Guard
	d.Request, hidden = domain.RequestFor(by, r, domain.ChannelScreen)
	d.ContactHidden = slices.Contains(hidden, domain.GuardContact)
	return d
}

// Evaluate returns the checklist's evaluation of r as it would stand in
// operation opCode for by's organisation, given rec (what was recorded on
// the saved request; none for a new one), without saving anything (the
// form's live evaluation of unsaved answers).
func (s *Requests) Evaluate(ctx context.Context, by domain.Actor, opCode string, r domain.Request, rec domain.Recorded) (domain.Evaluation, error) {
	op, err := s.memberOperation(ctx, by, opCode)
	if err != nil {
		return domain.Evaluation{}, err
	}
	org, err := s.store.GetOrganization(ctx, by.OrganizationID)
	if err != nil {
		return domain.Evaluation{}, err
	}
	domain.NormalizeRequest(&r)
	return domain.Evaluate(r, op.Context, org.UNEntity, rec), nil
}

// Edit changes request id's fields: apply sets them on the stored request
// (the HTML form replaces them all, the API's PATCH only those it names).
// version must be the request's current version (the one the editor
// loaded; none is CodeMalformed, domain.CheckVersion): an older one is CodeConflict with domain.StaleEdit's list of
// what changed since, and nothing is saved. A saved edit moves the
// version on by one; its event lists every changed field with its old and
// new value and the new version; an edit that changes nothing records
// nothing and keeps the version.
func (s *Requests) Edit(ctx context.Context, by domain.Actor, id int64, version int, apply func(*domain.Request) error) (domain.Request, error) {
	var out domain.Request
	err := s.store.InTx(ctx, func(st *store.Store) error {
		r, err := st.LockRequest(ctx, id)
		if err != nil {
			return err
		}
		if err := domain.Can(by, domain.ActionEditRequest, domain.OnRequest(r)); err != nil {
			return err
		}
		if version > 0 && version < r.Version {
			// Someone saved since: refuse, saying what they changed, so
			// nothing is overwritten unseen.
			yours, aerr := edited(r, apply)
			if aerr != nil {
				yours = r
			} else if len(domain.Diff(r, yours)) == 0 {
				out = r // already as this edit would leave it (a repeated save)
				return nil
			}
			events, err := st.ListEvents(ctx, id)
			if err != nil {
				return err
			}
			return domain.StaleEdit(r, version, events, yours)
		}
		if err := domain.CheckVersion(r, version); err != nil {
			return err // none given, or one the request never had
		}
		old := cloneRequest(r)
		r, err = edited(r, apply)
		if err != nil {
			// A value apply could not read: every other problem too,
			// in the same answer.
			return domain.WithUnreadable(err, domain.ValidateDraft(r))
		}
		if err := domain.ValidateDraft(r); err != nil {
			return err
		}
		changes := domain.Diff(old, r)
		if len(changes) == 0 {
			out = old
			return nil
		}
		now := s.now()
		r.UpdatedAt, r.Version = now, old.Version+1
		if err := st.UpdateRequest(ctx, r); err != nil {
			return err
		}
		out = r
		return appendEvent(ctx, st, r.ID, by.UserID, domain.EventEdited, map[string]any{"changes": changes, "version": r.Version}, now)
	})
	return out, err
}

// edited returns r as apply leaves it, normalised, with the fields the
// requester does not own as they were — also when apply fails (a value
// it could not read), so the rest can still be checked.
func edited(r domain.Request, apply func(*domain.Request) error) (domain.Request, error) {
	old := cloneRequest(r)
	r = cloneRequest(r)
	err := apply(&r)
	r.ID, r.OperationID, r.Reference, r.Status, r.Version = old.ID, old.OperationID, old.Reference, old.Status, old.Version
	r.RequestingOrgID, r.CreatedBy, r.SubmittedAt, r.CreatedAt = old.RequestingOrgID, old.CreatedBy, old.SubmittedAt, old.CreatedAt
	r.StatusReason, r.CivilianReference, r.ExtensionOf = old.StatusReason, old.CivilianReference, old.ExtensionOf
	r.Checklist = withoutOfficerAnswers(r.Checklist, old.Checklist)
	domain.NormalizeRequest(&r)
	return r, err
}

// cloneRequest copies r deeply enough that changing the copy's slices
// and maps leaves r as it was.
func cloneRequest(r domain.Request) domain.Request {
	c := r
	c.Sectors = slices.Clone(r.Sectors)
	c.CivilianOptions = slices.Clone(r.CivilianOptions)
	c.Checklist = maps.Clone(r.Checklist)
	return c
}

// Transition takes a generic transition (domain.Rule.Generic: submit,
// return, redirect, withdraw, decline, start, completion, cancel, and any
// row added to the rulebook) on request id for by. It locks the row,
// asks domain.Can (CodeConflict when the state moved on; for a
// submission, the rule's guard checks the required fields and the
// checklist: CodeInvalid listing every problem) and checks the version;
// then it saves the new status,
// runs the step's effects and appends the event.
func (s *Requests) Transition(ctx context.Context, by domain.Actor, id int64, action domain.Action, in domain.TransitionInput) (domain.Request, error) {
	if t, ok := domain.RuleFor(action); !ok || !t.Generic() {
		// System-only, unknown, or a step with its own use case and
		// inputs (reviews, decisions, tasking, hand-over).
		return domain.Request{}, domain.Errorf(domain.CodeForbidden, "error.forbidden")
	}
	var out domain.Request
	err := s.store.InTx(ctx, func(st *store.Store) error {
		r, err := st.LockRequest(ctx, id)
		if err != nil {
			return err
		}
		now := s.now()
		need := domain.NeedsOf(action)
		if action == domain.ActionSubmit {
			need |= domain.FactEvaluation // its flags go into the event
		}
		subj, err := subject(ctx, st, r, need, now)
		if err != nil {
			return err
		}
		if err := domain.Can(by, action, subj); err != nil {
			// When only the rule's guard stands in the way (a submission
			// of an incomplete request: CheckSubmittable's answer, every
			// field and item), a stale or versionless step is told so
			// first: what it would refuse may have changed meanwhile.
			if domain.Blocked(by, action, subj) != nil {
				if verr := domain.CheckVersion(r, in.Version); verr != nil {
					return verr
				}
			}
			return err
		}
		from := r.Status
		payload, err := r.Apply(by, action, subj, in, now)
		if err != nil {
			return err
		}
		if action == domain.ActionSubmit {
			flags := make([]string, len(subj.Evaluation.Flags))
			for i, f := range subj.Evaluation.Flags {
				flags[i] = string(f)
			}
			payload["flags"] = flags
		}
		if err := st.UpdateRequest(ctx, r); err != nil {
			return err
		}
		var cancelled *domain.Review
		if from == domain.StatusHCTReview {
			// Leaving the review (returned, withdrawn): it is cancelled and
			// its votes never carry over to a changed request.
			if rv, ok, err := st.LatestReview(ctx, r.ID); err != nil {
				return err
			} else if ok && rv.Open() {
				if err := st.CloseReview(ctx, rv.ID, now, by.UserID, "cancelled", nil); err != nil {
					return err
				}
				payload["review_id"] = rv.ID
				cancelled = &rv
			}
		}
		if effect := transitionEffects[action]; effect != nil {
			if err := effect(ctx, st, r, in, now); err != nil {
				return err
			}
		}
		out = r
		if err := appendEvent(ctx, st, r.ID, by.UserID, string(action), payload, now); err != nil {
			return err
		}
		if s.notify == nil {
			return nil
		}
		if cancelled != nil {
			// The voters are told their ballot is void, and why.
			voters, err := st.MembersWithRole(ctx, r.OperationID, domain.RoleHCTMember, cancelled.Eligible, now)
			if err != nil {
				return err
			}
			err = s.notify.Notify(ctx, st, domain.Notice{Kind: domain.NoticeReviewCancelled, RequestID: r.ID, Reference: r.Reference,
				Title: r.Title, Recipients: voters, Data: map[string]string{"Reason": r.StatusReason}, Actor: by.UserID})
			if err != nil {
				return err
			}
		}
		if r.Status == domain.StatusReturned {
			return s.notify.Notify(ctx, st, domain.Notice{Kind: domain.NoticeReturned, RequestID: r.ID, Reference: r.Reference,
				Title: r.Title, Recipients: []int64{r.CreatedBy}, Data: map[string]string{"Reason": r.StatusReason}, Actor: by.UserID})
		}
		notices, err := transitionNotices(ctx, st, by, action, from, r, subj.Evaluation, now)
		if err != nil {
			return err
		}
		return tellEach(ctx, st, s.notify, notices...)
	})
	return out, settleAfter(ctx, s.store, s.now, s.log, s.notify, id, err)
}

// transitionEffects are what a generic transition changes beyond the
// request's status, in the same transaction: the tasking's own record.
var transitionEffects = map[domain.Action]func(ctx context.Context, st *store.Store, r domain.Request, in domain.TransitionInput, now time.Time) error{
	domain.ActionDecline: func(ctx context.Context, st *store.Store, r domain.Request, in domain.TransitionInput, now time.Time) error {
		return st.DeclineTasking(ctx, r.ID, now, in.Reason, "")
	},
	domain.ActionStartExecution: func(ctx context.Context, st *store.Store, r domain.Request, _ domain.TransitionInput, now time.Time) error {
		return st.StartTasking(ctx, r.ID, now)
	},
}

// RecordBriefing records the officer's answer to LR17 (the providing
// force was briefed on humanitarian principles) on a request under
// screening or later; version, when given (above 0), must be the
// request's.
func (s *Requests) RecordBriefing(ctx context.Context, by domain.Actor, id int64, version int, a domain.Answer) (domain.Request, error) {
	var out domain.Request
	err := s.store.InTx(ctx, func(st *store.Store) error {
		r, err := st.LockRequest(ctx, id)
		if err != nil {
			return err
		}
		if _, err := authorize(ctx, st, by, domain.ActionRecordBriefing, r, s.now()); err != nil {
			return err
		}
		if err := domain.CheckStepVersion(domain.ActionRecordBriefing, r, version); err != nil {
			return err
		}
		item, _ := domain.ChecklistItemByID("LR17")
		old := cloneRequest(r)
		r.Checklist = maps.Clone(r.Checklist)
		if r.Checklist == nil {
			r.Checklist = map[string]domain.Answer{}
		}
		r.Checklist[item.ID] = a
		domain.NormalizeRequest(&r)
		// Every problem at once: the answer the officer must choose, and
		// what the request's rules say of the note.
		err = domain.ValidateDraft(r)
		if a.Value == "" || !slices.Contains(item.Answer.Values(), a.Value) {
			fields := map[string]string{}
			if de := (*domain.Error)(nil); errors.As(err, &de) {
				maps.Copy(fields, de.Fields)
			}
			fields["checklist.LR17"] = "field.choose"
			return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: fields}
		}
		if err != nil {
			return err
		}
		changes := domain.Diff(old, r)
		if len(changes) == 0 {
			out = old
			return nil
		}
		now := s.now()
		r.UpdatedAt = now
		if err := st.UpdateRequest(ctx, r); err != nil {
			return err
		}
		out = r
		return appendEvent(ctx, st, r.ID, by.UserID, domain.EventBriefing, map[string]any{"changes": changes}, now)
	})
	return out, err
}

// AddComment adds by's comment to request id.
func (s *Requests) AddComment(ctx context.Context, by domain.Actor, id int64, body string) (domain.Comment, error) {
	return s.addComment(ctx, by, id, body, "")
}

// CommentViaEmail is the channel AddCommentVia records for a comment
// that came as a reply to a notification e-mail (service.Replies).
const CommentViaEmail = "email"

// AddCommentVia is AddComment for a comment that came by channel via
// (CommentViaEmail): the same rules, and the audit event says so.
func (s *Requests) AddCommentVia(ctx context.Context, by domain.Actor, id int64, body, via string) (domain.Comment, error) {
	return s.addComment(ctx, by, id, body, via)
}

func (s *Requests) addComment(ctx context.Context, by domain.Actor, id int64, body, via string) (domain.Comment, error) {
	var out domain.Comment
	err := s.store.InTx(ctx, func(st *store.Store) error {
		r, err := st.LockRequest(ctx, id)
		if err != nil {
			return err
		}
		if err := domain.Can(by, domain.ActionComment, domain.OnRequest(r)); err != nil {
			return err
		}
		if err := domain.ValidateComment(body); err != nil {
			return err
		}
		now := s.now()
		// The same text from the same author moments ago is a repeated
		// post (a double click, a retry on a lost answer): answer with it.
		prev, err := st.ListComments(ctx, id)
		if err != nil {
			return err
		}
		for i := len(prev) - 1; i >= 0; i-- {
			if c := prev[i]; c.AuthorID == by.UserID {
				if c.Body == body && now.Sub(c.CreatedAt) < domain.RepeatWindow {
					out = c
					return nil
				}
				break
			}
		}
		if err := s.limits.limitAction(ctx, st, by, domain.ActionComment, now); err != nil {
			return err
		}
		if out, err = st.InsertComment(ctx, domain.Comment{RequestID: id, AuthorID: by.UserID, Body: body, CreatedAt: now}); err != nil {
			return err
		}
		payload := map[string]any{"comment_id": out.ID, "body": body}
		if via != "" {
			payload["via"] = via
		}
		if err := appendEvent(ctx, st, id, by.UserID, domain.EventComment, payload, now); err != nil {
			return err
		}
		if s.notify == nil {
			return nil
		}
		commenters := make([]int64, len(prev))
		for i, c := range prev {
			commenters[i] = c.AuthorID
		}
		notice, err := commentNotice(ctx, st, by, r, commenters, body, now)
		if err != nil {
			return err
		}
		return tellEach(ctx, st, s.notify, notice)
	})
	return out, err
}

// EditComment corrects comment commentID of request id: its author only,
// within domain.CommentEditWindow; the event keeps the old text. seen,
// when not zero, is when the comment was saved as the editor saw it
// (domain.Comment.SavedAt): corrected since (in another window), nothing
// is saved and the refusal holds the text now.
func (s *Requests) EditComment(ctx context.Context, by domain.Actor, id, commentID int64, body string, seen time.Time) (domain.Comment, error) {
	var out domain.Comment
	err := s.store.InTx(ctx, func(st *store.Store) error {
		r, err := st.LockRequest(ctx, id)
		if err != nil {
			return err
		}
		if err := domain.Can(by, domain.ActionComment, domain.OnRequest(r)); err != nil {
			return err
		}
		c, err := st.GetComment(ctx, commentID)
		if err != nil {
			return err
		}
		if c.RequestID != id {
			return domain.Errorf(domain.CodeNotFound, "error.not_found")
		}
		now := s.now()
		if err := domain.CanEditComment(by, c, now); err != nil {
			return err
		}
		if err := domain.ValidateComment(body); err != nil {
			return err
		}
		if !seen.IsZero() && !seen.Equal(c.SavedAt()) && body != c.Body {
			return domain.CommentEditedMeanwhile(c.Body, body)
		}
		old := c.Body
		c.Body, c.EditedAt = body, now
		if err := st.UpdateComment(ctx, c); err != nil {
			return err
		}
		out = c
		return appendEvent(ctx, st, id, by.UserID, domain.EventCommentEdited, map[string]any{"comment_id": c.ID, "old": old, "new": body}, now)
	})
	return out, err
}

// Events returns request id's audit trail, each event as by may see it
// (domain.EventFor).
func (s *Requests) Events(ctx context.Context, by domain.Actor, id int64) ([]domain.Event, error) {
	d, err := s.Detail(ctx, by, id)
	return d.Events, err
}

// List returns a page of operation opCode's requests that by may see.
func (s *Requests) List(ctx context.Context, by domain.Actor, opCode string, f domain.RequestFilter) (domain.Operation, domain.RequestPage, error) {
	op, err := s.memberOperation(ctx, by, opCode)
	if err != nil {
		return op, domain.RequestPage{}, err
	}
	if err := domain.NormalizeFilter(&f); err != nil {
		return op, domain.RequestPage{}, err
	}
	f.OperationID = op.ID
	roles := by.RolesIn(op.ID)
	f.DraftsOf = 0
	if roles.Has(domain.RoleRequester) {
		f.DraftsOf = by.OrganizationID
	}
	if !domain.SeesAllRequests(roles) {
		f.OrgID = by.OrganizationID // a requester sees their organisation's requests only
	}
	page, err := s.store.ListRequests(ctx, f)
	return op, page, err
}

// QueueLimit is how many requests a home-page queue shows.
const QueueLimit = 10

// Queue returns the requests of operation opID waiting for by in queue q
// (the home page's lists), most pressing first.
func (s *Requests) Queue(ctx context.Context, by domain.Actor, opID int64, q domain.Queue) ([]domain.RequestSummary, error) {
	out, err := s.Queues(ctx, by, []QueueRef{{OperationID: opID, Queue: q}})
	if err != nil {
		return nil, err
	}
	return out[0].Items, nil
}

// Queued is a queue's first QueueLimit requests, most pressing first, and
// whether more wait behind them (a page says "10+", never a count it
// did not make).
type Queued struct {
	Items []domain.RequestSummary
	More  bool
}

// QueueRef names one queue of one operation.
type QueueRef struct {
	OperationID int64
	Queue       domain.Queue
}

// Queues is Queue for each of refs, in the order of refs, with every
// queue read by a filter in one round trip (a dashboard shows every queue
// of every operation its user belongs to).
func (s *Requests) Queues(ctx context.Context, by domain.Actor, refs []QueueRef) ([]Queued, error) {
	out := make([]Queued, len(refs))
	var (
		filters []domain.RequestFilter
		at      []int // filters[i] answers refs[at[i]]
	)
	for i, ref := range refs {
		f, err := s.queueFilter(by, ref.OperationID, ref.Queue)
		if err != nil {
			return nil, err
		}
		if ref.Queue == domain.QueueAwaitingAssessment { // pages through the screening queue
			if out[i], err = s.awaitingAssessment(ctx, ref.OperationID); err != nil {
				return nil, err
			}
			continue
		}
		filters, at = append(filters, f), append(at, i)
	}
	if len(filters) == 0 {
		return out, nil
	}
	pages, err := s.store.ListRequestsBatch(ctx, filters)
	if err != nil {
		return nil, err
	}
	for i, p := range pages {
		out[at[i]] = Queued{Items: p.Items, More: p.NextCursor != ""}
	}
	return out, nil
}

// queueFilter is the filter of queue q of operation opID for by;
// CodeForbidden for a queue none of by's roles there has.
func (s *Requests) queueFilter(by domain.Actor, opID int64, q domain.Queue) (domain.RequestFilter, error) {
	roles := by.RolesIn(opID)
	if !slices.ContainsFunc(domain.QueuesFor(roles), func(x domain.Queue) bool { return x == q }) {
		return domain.RequestFilter{}, domain.Errorf(domain.CodeForbidden, "error.forbidden")
	}
	f := domain.RequestFilter{OperationID: opID, Limit: QueueLimit, DraftsOf: by.OrganizationID}
	switch q {
	case domain.QueueMyDrafts:
		f.Statuses, f.OrgID, f.CreatedBy, f.Sort = []domain.Status{domain.StatusDraft}, by.OrganizationID, by.UserID, domain.SortUpdated
	case domain.QueueReturned:
		f.Statuses, f.OrgID, f.Sort = []domain.Status{domain.StatusReturned}, by.OrganizationID, domain.SortUpdated
	case domain.QueueAwaitingScreening:
		f.Statuses, f.Sort = []domain.Status{domain.StatusSubmitted}, domain.SortUrgency
	case domain.QueueAwaitingVote:
		f.Statuses, f.AwaitingVoteOf, f.Sort = []domain.Status{domain.StatusHCTReview}, by.OrganizationID, domain.SortUrgency
	case domain.QueueClosingSoon:
		f.Statuses, f.ReviewClosingBy, f.Sort = []domain.Status{domain.StatusHCTReview}, s.now().Add(domain.ClosingSoon), domain.SortUrgency
	case domain.QueueAwaitingAssessment:
		// read by awaitingAssessment
	case domain.QueueTasksEnding:
		f.Statuses = []domain.Status{domain.StatusApproved, domain.StatusTasked, domain.StatusInExecution}
		f.EndingBy, f.Sort = s.now().Add(domain.EndingSoon), domain.SortRequiredBy
	case domain.QueueAwaitingDecision:
		f.Statuses, f.Sort = []domain.Status{domain.StatusHCDecision}, domain.SortUrgency
	default:
		return domain.RequestFilter{}, domain.Errorf(domain.CodeForbidden, "error.forbidden")
	}
	return f, nil
}

// appendEvent appends the next event of request requestID's chain. The
// caller holds the request's row lock, so the chain cannot fork.
func appendEvent(ctx context.Context, st *store.Store, requestID, actorID int64, action string, payload map[string]any, at time.Time) error {
	prev, err := st.LastEvent(ctx, requestID)
	if err != nil {
		return err
	}
	ev, err := domain.NewEvent(prev, requestID, actorID, action, payload, at)
	if err != nil {
		return err
	}
	_, err = st.InsertEvent(ctx, ev)
	return err
}

// readOnlySnapshot reads many rows as of one moment.
var readOnlySnapshot = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// AuditReport is the outcome of verifying every audit chain.
type AuditReport struct {
	Requests int // chains checked
	Events   int // events checked
	Break    *domain.ChainBreak
}

// VerifyAudit walks every request's chain of events, streaming, and
// stops at the first event that does not verify.
func (s *Requests) VerifyAudit(ctx context.Context) (AuditReport, error) {
	var (
		rep  AuditReport
		prev *domain.Event
	)
	errStop := errors.New("stop")
	err := s.store.InTxWith(ctx, readOnlySnapshot, func(st *store.Store) error {
		if err := st.ForLongRead(ctx); err != nil {
			return err
		}
		return st.EachEvent(ctx, func(e domain.Event) error {
			if prev != nil && prev.RequestID != e.RequestID {
				prev = nil
			}
			if prev == nil {
				rep.Requests++
			}
			rep.Events++
			if brk := domain.VerifyNext(prev, e); brk != nil {
				rep.Break = brk
				return errStop
			}
			ev := e
			prev = &ev
			return nil
		})
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return rep, err
}

// SubmitProblems returns what stops request id from being submitted now
// by by (the fields and checklist items, as CheckSubmittable reports
// them), or nil when it could be submitted. Nothing is saved: the form
// uses it to show the problems of a draft that was saved but not sent.
func (s *Requests) SubmitProblems(ctx context.Context, by domain.Actor, id int64) error {
	d, err := s.Get(ctx, by, id)
	if err != nil {
		return err
	}
	return domain.CheckSubmittable(d.Request, d.Operation, d.Evaluation, s.now())
}

// SubmitProblemsOf is SubmitProblems for r as given (saved or as typed)
// in operation op with its evaluation ev: what would stop it being
// submitted now.
func (s *Requests) SubmitProblemsOf(r domain.Request, op domain.Operation, ev domain.Evaluation) error {
	return domain.CheckSubmittable(r, op, ev, s.now())
}

// ScreeningItem is one request in the screening queue with its
// checklist evaluation, whose flags the officer weighs first.
type ScreeningItem struct {
	Summary    domain.RequestSummary
	Evaluation domain.Evaluation
}

// Screening returns a page of operation opCode's submitted requests for
// its CMCoord officer, most urgent and oldest first, each with its
// evaluation. It costs two queries, whatever the page size.
func (s *Requests) Screening(ctx context.Context, by domain.Actor, opCode, cursor string) (domain.Operation, []ScreeningItem, string, error) {
	op, err := s.memberOperation(ctx, by, opCode)
	if err != nil {
		return op, nil, "", err
	}
	if err := domain.Can(by, domain.ActionScreenRequests, domain.InOperation(op.ID)); err != nil {
		return op, nil, "", err
	}
	f := domain.RequestFilter{OperationID: op.ID, Statuses: []domain.Status{domain.StatusSubmitted},
		Sort: domain.SortUrgency, Cursor: cursor, Limit: 50}
	if err := domain.NormalizeFilter(&f); err != nil {
		return op, nil, "", err
	}
	page, err := s.store.ListRequests(ctx, f)
	if err != nil {
		return op, nil, "", err
	}
	ids := make([]int64, len(page.Items))
	for i, it := range page.Items {
		ids[i] = it.ID
	}
	full, un, err := s.store.RequestsByID(ctx, ids)
	if err != nil {
		return op, nil, "", err
	}
	byID := make(map[int64]domain.Request, len(full))
	for _, r := range full {
		byID[r.ID] = r
	}
	// Submitted requests have no consent yet; an assessment they may.
	assessed, err := s.store.AssessedRequests(ctx, ids)
	if err != nil {
		return op, nil, "", err
	}
	out := make([]ScreeningItem, len(page.Items))
	for i, it := range page.Items {
		r := byID[it.ID]
		out[i] = ScreeningItem{Summary: it, Evaluation: domain.Evaluate(r, op.Context, un[r.RequestingOrgID], domain.Recorded{Assessed: assessed[r.ID]})}
	}
	return op, out, page.NextCursor, nil
}

// awaitingAssessment lists operation opID's submitted requests whose
// checklist requires an HRDDP assessment that does not exist yet. The
// rule is the checklist's (domain.HRDDPRequired), applied in Go to the
// submitted requests, in a constant number of queries.
func (s *Requests) awaitingAssessment(ctx context.Context, opID int64) (Queued, error) {
	op, err := s.store.GetOperation(ctx, opID)
	if err != nil {
		return Queued{}, err
	}
	// The submitted requests, page by page, until the queue is full:
	// a constant number of queries per page.
	f := domain.RequestFilter{OperationID: opID, Statuses: []domain.Status{domain.StatusSubmitted}, Sort: domain.SortUrgency, Limit: domain.MaxPageSize}
	var out []domain.RequestSummary
	for {
		page, err := s.store.ListRequests(ctx, f)
		if err != nil {
			return Queued{}, err
		}
		ids := make([]int64, len(page.Items))
		for i, it := range page.Items {
			ids[i] = it.ID
		}
		full, un, err := s.store.RequestsByID(ctx, ids)
		if err != nil {
			return Queued{}, err
		}
		assessed, err := s.store.AssessedRequests(ctx, ids)
		if err != nil {
			return Queued{}, err
		}
		need := map[int64]bool{}
		for _, r := range full {
			need[r.ID] = domain.AssessmentMissing(domain.Evaluate(r, op.Context, un[r.RequestingOrgID], domain.Recorded{Assessed: assessed[r.ID]}))
		}
		// One more than the queue shows: whether more wait.
		for _, it := range page.Items {
			if need[it.ID] && len(out) <= QueueLimit {
				out = append(out, it)
			}
		}
		if len(out) > QueueLimit {
			return Queued{Items: out[:QueueLimit], More: true}, nil
		}
		if page.NextCursor == "" {
			return Queued{Items: out}, nil
		}
		f.Cursor = page.NextCursor
	}
}

// Extend asks for more time for approved request id's task: a new draft
// (domain.NewExtension) covering the days after its end date, with the
// last-resort questions LR2–LR7 and the civilian options to answer again;
// it goes through screening, the HCT review and the HC's decision like
// any request, while the current tasking continues until its own end
// date. The original's trail records the extension. version, when given
// (above 0), must be the original's.
func (s *Requests) Extend(ctx context.Context, by domain.Actor, id int64, version int, newEnd time.Time, key string) (domain.Request, bool, error) {
	orig, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return domain.Request{}, false, err
	}
	subj, err := authorize(ctx, s.store, by, domain.ActionExtend, orig, s.now())
	if err != nil {
		return domain.Request{}, false, err
	}
	if err := domain.CheckStepVersion(domain.ActionExtend, orig, version); err != nil {
		return domain.Request{}, false, err
	}
	op := subj.Operation
	ctx, own, err := s.keyed(ctx, by, key)
	if err != nil {
		return domain.Request{}, false, err
	}
	if own {
		if prev, err := s.store.IdempotentRequest(ctx, by.UserID, key); err != nil || prev != 0 {
			if err != nil {
				return domain.Request{}, false, err
			}
			return s.replayed(ctx, prev, op.ID)
		}
	}
	ext, err := domain.NewExtension(orig, newEnd)
	if err != nil {
		return domain.Request{}, false, err
	}
	return s.create(ctx, by, op, ext, own, orig.ID, func(st *store.Store, out domain.Request, now time.Time) error {
		locked, err := st.LockRequest(ctx, orig.ID)
		if err != nil {
			return err
		}
		if _, err := authorize(ctx, st, by, domain.ActionExtend, locked, s.now()); err != nil { // moved on since it was read
			return err
		}
		if err := domain.CheckStepVersion(domain.ActionExtend, locked, version); err != nil {
			return err
		}
		return appendEvent(ctx, st, orig.ID, by.UserID, domain.EventExtension, map[string]any{
			"extension_id": out.ID, "extension_reference": out.Reference, "new_end_date": out.EndDate.Format(time.DateOnly)}, now)
	})
}
