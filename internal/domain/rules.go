package domain

import (
	"errors"
	"fmt"
	"time"
)

// The rulebook: every permission and every workflow transition is one
// row of Rules, and Can is the only function that reads it. The services
// ask Can before they change anything; the pages ask the same Can (via
// AvailableActions) to decide which controls they show; the API
// registers one route per transition row; OpenAPI's enums and the
// database's status check are built from the same rows. Nothing else
// decides who may do what.

// Action is something an actor may try to do.
type Action string

// Actions on the whole instance and on one operation.
const (
	ActionManageOrganizations Action = "organizations.manage"
	ActionManageUsers         Action = "users.manage"
	ActionCreateOperation     Action = "operations.create"
	// ActionViewDirectoryLog reads the directory's audit log (grants,
	// account and admin edits).
	ActionViewDirectoryLog Action = "directory.log.view"
	// ActionManageMail reads the e-mail outbox (never a body) and retries
	// a given-up message (/admin/mail).
	ActionManageMail Action = "mail.manage"
	// ActionPurgeAttachment deletes a document's content for data
	// protection; its row, hash and events stay.
	ActionPurgeAttachment Action = "attachments.purge"
	ActionViewOperation   Action = "operation.view"
	ActionEditOperation   Action = "operation.edit"
	ActionViewMembers     Action = "operation.members.view"
	ActionManageMembers   Action = "operation.members.manage"
	// ActionViewActingHC lists the operation's acting HC periods;
	// ActionNameActingHC names one or ends one early.
	ActionViewActingHC Action = "operation.acting_hc.view"
	ActionNameActingHC Action = "operation.acting_hc.name"
	// ActionScreenRequests opens the operation's screening queue.
	ActionScreenRequests Action = "operation.screening"
	// ActionViewSummary opens the operation summary (counts only).
	ActionViewSummary Action = "operation.summary"
	// ActionExportRequests downloads the operation's RFA tracker (CSV,
	// XLSX, JSON).
	ActionExportRequests Action = "operation.export"
	// ActionCreateRequest starts a draft in an operation that is open.
	ActionCreateRequest Action = "request.create"
)

// Actions on one request that do not change its status.
const (
	ActionViewRequest    Action = "request.view"
	ActionEditRequest    Action = "request.edit"
	ActionComment        Action = "request.comment"
	ActionViewContact    Action = "request.contact.view"
	ActionViewHRDDP      Action = "request.hrddp.view" // HRDDP records (the assessment)
	ActionRecordBriefing Action = "request.briefing"   // LR17, filled by the officer
	ActionVote           Action = "request.vote"       // cast or change the organisation's vote
	// ActionRemindVoters reminds, on demand, the HCT members of the
	// organisations that have not voted in the open review; again only
	// RemindAgainAfter after the review's last reminder.
	ActionRemindVoters  Action = "request.review.remind"
	ActionExtend        Action = "request.extend"       // ask for more time for an approved task
	ActionRecordConsent Action = "request.consent"      // the affected State's consent (LR11)
	ActionReport        Action = "request.report"       // an execution report
	ActionAssess        Action = "request.hrddp.assess" // the HRDDP assessment
	// ActionAttach adds a document (attachment.go, CanAttach): the
	// officer, the HC and HRDDP reviewers at any time;
	// ActionAttachAsRequester the requesting organisation until the
	// decision.
	ActionAttach            Action = "request.attachment.add"
	ActionAttachAsRequester Action = "request.attachment.add_as_requester"
	// ActionViewRestrictedAttachment sees documents for the officer and
	// the HC only (VisibleToOfficerHC).
	ActionViewRestrictedAttachment Action = "request.attachment.restricted.view"
	// ActionRemoveAttachment withdraws a document with a reason
	// (CanRemoveAttachment: the officer any, others their own).
	ActionRemoveAttachment Action = "request.attachment.remove"
)

// Transitions (rows with a To status).
const (
	ActionSubmit         Action = "request.submit"
	ActionReturn         Action = "request.return"
	ActionRedirect       Action = "request.redirect"
	ActionWithdraw       Action = "request.withdraw"
	ActionOpenReview     Action = "request.review.open"
	ActionCloseReview    Action = "request.review.close"
	ActionReturnReview   Action = "request.review.return"
	ActionReopenReview   Action = "request.review.reopen"
	ActionApprove        Action = "request.approve"
	ActionReject         Action = "request.reject"
	ActionExpire         Action = "request.expire"
	ActionTask           Action = "request.task"
	ActionDecline        Action = "request.decline"
	ActionStartExecution Action = "request.execution.start"
	ActionComplete       Action = "request.complete"
	ActionHandOver       Action = "request.hand_over"
	ActionCancel         Action = "request.cancel"
	ActionHRDDPReject    Action = "request.hrddp.reject" // the HRDDP assessment concluded "no support"
)

// Scope is what a rule is about.
type Scope uint8

// Scopes.
const (
	ScopeInstance  Scope = iota // the whole instance: administrators only
	ScopeOperation              // one operation: decided from the actor's roles there
	ScopeRequest                // one request: its visibility, the actor's roles and its status
)

// Stage says where a request step belongs, for the faces that lay the
// steps out (the request page's sections, the API's answer).
type Stage uint8

// Stages.
const (
	StageRequest   Stage = iota // screening and the request itself
	StageReview                 // the HCT review and the decision
	StageLifecycle              // after approval: tasking, execution, hand-over
)

// Fact is a piece of state beyond the request that a guard reads; the
// caller loads the facts a rule Needs into the Subject (service.subject).
type Fact uint8

// Facts.
const (
	FactOperation  Fact = 1 << iota // Subject.Operation
	FactEvaluation                  // Subject.Evaluation (the checklist's flags)
	FactReview                      // Subject.Review and Subject.Tally (the latest review)
	FactConsent                     // Subject.Consent
	FactAssessment                  // Subject.Assessment (HRDDP)
	FactVoters                      // Subject.Voters (the operation's HCT organisations)
	FactRequest                     // Subject.Request: the whole request, not only its Ref
	FactTime                        // Subject.Now: the time the action would be taken
)

// RequestRef is what the rulebook reads of a request to decide who may
// see it and act on it before any guard: who owns it, where, and its
// status. Readers that scan only part of a request (exports) hand the
// rules a RequestRef, never a half-filled Request.
type RequestRef struct {
	ID              int64
	Reference       string
	OperationID     int64
	RequestingOrgID int64
	Status          Status
}

// Ref returns what the rulebook reads of r.
func (r Request) Ref() RequestRef {
	return RequestRef{ID: r.ID, Reference: r.Reference, OperationID: r.OperationID, RequestingOrgID: r.RequestingOrgID, Status: r.Status}
}

// Subject is what an action is taken on: the instance (zero value), an
// operation, or a request, with the facts its guards read.
type Subject struct {
	OperationID int64
	Operation   Operation
	// Ref is the request the action is on; Request the whole of it,
	// known when FactRequest is (OnRequest).
	Ref        RequestRef
	Request    *Request
	Evaluation Evaluation
	// Review is the request's latest review (nil when none); Tally is its
	// tally: frozen once closed, of the current votes while open.
	Review *Review
	Tally  Tally
	// Consent and Assessment are nil when none is recorded.
	Consent    *Consent
	Assessment *Assessment
	// Voters are the organisations that would vote if a review opened now.
	Voters []int64
	// Now is the time the action would be taken (the caller's clock), for
	// rules that depend on it (a required-by still ahead).
	Now time.Time
	// Known says which facts the caller loaded.
	Known Fact
}

// OnInstance is the subject of instance-wide actions.
func OnInstance() Subject { return Subject{} }

// OnOperation is operation op as a subject, its state known.
func OnOperation(op Operation) Subject {
	return Subject{OperationID: op.ID, Operation: op, Known: FactOperation}
}

// InOperation is the operation opID as a subject, its state unknown:
// enough for rules that read only the actor's roles there.
func InOperation(opID int64) Subject { return Subject{OperationID: opID} }

// OnRequest is request r as a subject, whole (FactRequest), without
// other facts.
func OnRequest(r Request) Subject {
	return Subject{OperationID: r.OperationID, Ref: r.Ref(), Request: &r, Known: FactRequest}
}

// withRef fills Ref from Request in a subject built by hand.
func (s Subject) withRef() Subject {
	if s.Ref.ID == 0 && s.Ref.OperationID == 0 && s.Request != nil {
		s.Ref = s.Request.Ref()
	}
	return s
}

// OnRef is the request ref names as a subject: enough for the rules
// without a guard reading the request (seeing it, its contact, acting by
// role and status).
func OnRef(ref RequestRef) Subject { return Subject{OperationID: ref.OperationID, Ref: ref} }

// GuardFunc is a rule's condition beyond roles and states. It returns
// nil when the action may be taken, otherwise an *Error saying why.
type GuardFunc func(a Actor, s Subject) error

// Rule is one row of the rulebook.
type Rule struct {
	Action Action
	Scope  Scope
	// From lists the statuses a request action may be taken in; empty
	// means any status in which the request is visible.
	From []Status
	// To is the status a transition leads to; empty for other actions.
	To Status
	// Roles may take the action; a requester only on their own
	// organisation's requests.
	Roles []Role
	// Admin: a global administrator may, member of the operation or not.
	Admin bool
	// System: cmcoord itself takes it (deadlines).
	System bool
	// NeedsReason: the transition records why (a reason or a rationale).
	NeedsReason bool
	// NeedsReference: the transition records a civilian service's reference.
	NeedsReference bool
	// Needs are the facts Guard reads.
	Needs Fact
	Guard GuardFunc
	// WrongState is the message key when From does not hold
	// (default "request.wrong_state").
	WrongState string
	// Path is the URL segment of a request step, the same on the page and
	// in the API: POST /requests/{id}/<Path>. Empty: no route of its own
	// (taken by the system, or inside another step).
	Path string
	// Stage places the step on the faces (its form, or why it is not
	// offered, in that section of the request page).
	Stage Stage
	// Custom: the step takes more than a version, a reason and a
	// reference, so it has its own use case, forms and routes. The others
	// are taken by one generic use case, form and route each.
	Custom bool
	// Reads: the action only decides what may be seen (no step to take).
	Reads bool
	// Within are the transitions the step may take inside it (a refused
	// consent cancels the request): it may change the request's status.
	Within []Action
	// NewVersion: the step moves the request's version on (an edit).
	NewVersion bool
	// Document: the action is on the request's documents (attachment.go),
	// taken through their own routes and forms, not a step of the
	// request itself.
	Document bool
}

// NeedsVersion reports whether the step must be sent with the version of
// the request the person saw (CheckStepVersion): it may change the
// request's status — a transition, or a step taking one Within — or its
// version (an edit). The other steps only add a record; a version they
// are sent with is still checked.
func (r Rule) NeedsVersion() bool { return r.Transition() || len(r.Within) > 0 || r.NewVersion }

// CheckStepVersion checks saw, the version of r a step by action was
// sent with (0: none): required where the rule NeedsVersion (400 version
// required, CheckVersion), otherwise checked when given — a stale one is
// 409 either way, so nobody acts on a request they have not seen as it
// is.
func CheckStepVersion(action Action, r Request, saw int) error {
	rule, _ := RuleFor(action)
	if saw == 0 && !rule.NeedsVersion() {
		return nil
	}
	return CheckVersion(r, saw)
}

// Step reports whether the rule is something a person does to a request
// through a route of its own: what a request's available actions list.
// Reading, and transitions taken only inside another step or by the
// system, are not steps.
func (r Rule) Step() bool {
	return r.Scope == ScopeRequest && !r.Reads && !r.Document && len(r.Roles) > 0 && !(r.Transition() && r.Path == "")
}

// Steps returns the actions of the rows that are steps, in table order.
func Steps() []Action {
	var out []Action
	for _, r := range Rules {
		if r.Step() {
			out = append(out, r.Action)
		}
	}
	return out
}

// Transition reports whether the rule changes a request's status.
func (r Rule) Transition() bool { return r.To != "" }

// Generic reports whether the rule is a transition that people take
// through the common use case (Requests.Transition), form and route.
func (r Rule) Generic() bool {
	return r.Transition() && r.Path != "" && !r.Custom && len(r.Roles) > 0
}

var (
	beforeDecision = []Status{StatusDraft, StatusSubmitted, StatusReturned, StatusHCTReview, StatusHCDecision}
	// Drafts do not expire: nobody but their owner knows of them, and the
	// owner may still move the required-by date.
	expirable     = []Status{StatusSubmitted, StatusReturned, StatusHCTReview, StatusHCDecision}
	taskActive    = []Status{StatusApproved, StatusTasked, StatusInExecution}
	notViewer     = []Role{RoleRequester, RoleOfficer, RoleHCTMember, RoleHC, RoleHRDDPReviewer}
	officer       = []Role{RoleOfficer}
	requesterOnly = []Role{RoleRequester}
	attachers     = []Role{RoleRequester, RoleOfficer, RoleHC, RoleHRDDPReviewer}
)

// Rules is the rulebook. Adding a step is one row here plus its
// translations: action.<Action>, and for a generic step action_hint.<id>
// and flash.<id>_done (<id>: Path with "/" as "-"); a new status also
// status.<status> (docs/architecture.md, "How to extend").
var Rules = []Rule{
	{Action: ActionManageOrganizations, Scope: ScopeInstance, Admin: true},
	{Action: ActionManageUsers, Scope: ScopeInstance, Admin: true},
	{Action: ActionCreateOperation, Scope: ScopeInstance, Admin: true},
	{Action: ActionViewDirectoryLog, Scope: ScopeInstance, Admin: true},
	{Action: ActionManageMail, Scope: ScopeInstance, Admin: true},
	{Action: ActionPurgeAttachment, Scope: ScopeInstance, Admin: true},

	{Action: ActionViewOperation, Scope: ScopeOperation, Admin: true, Roles: AllRoles},
	{Action: ActionEditOperation, Scope: ScopeOperation, Admin: true},
	{Action: ActionViewMembers, Scope: ScopeOperation, Admin: true, Roles: officer},
	{Action: ActionManageMembers, Scope: ScopeOperation, Admin: true, Roles: officer},
	{Action: ActionViewActingHC, Scope: ScopeOperation, Admin: true, Roles: []Role{RoleOfficer, RoleHC}},
	{Action: ActionNameActingHC, Scope: ScopeOperation, Admin: true, Roles: []Role{RoleHC}, Guard: notActingHC},
	{Action: ActionScreenRequests, Scope: ScopeOperation, Roles: officer},
	{Action: ActionViewSummary, Scope: ScopeOperation, Roles: []Role{RoleOfficer, RoleHC, RoleViewer, RoleHCTMember}, Reads: true},
	{Action: ActionExportRequests, Scope: ScopeOperation, Roles: []Role{RoleOfficer, RoleHC, RoleViewer}, Reads: true},
	{Action: ActionCreateRequest, Scope: ScopeOperation, Roles: requesterOnly, Needs: FactOperation, Guard: operationOpen},

	{Action: ActionViewRequest, Scope: ScopeRequest, Roles: AllRoles, Reads: true},
	{Action: ActionEditRequest, Scope: ScopeRequest, Roles: requesterOnly, From: []Status{StatusDraft, StatusReturned},
		WrongState: "request.not_editable", NewVersion: true},
	{Action: ActionComment, Scope: ScopeRequest, Roles: notViewer},
	{Action: ActionViewContact, Scope: ScopeRequest, Roles: []Role{RoleRequester, RoleOfficer, RoleHC}, Reads: true},
	{Action: ActionViewHRDDP, Scope: ScopeRequest, Roles: []Role{RoleHRDDPReviewer, RoleHC, RoleOfficer}, Reads: true},
	// The briefing concerns a task that may still happen: submitted and
	// not finished.
	{Action: ActionRecordBriefing, Scope: ScopeRequest, Roles: officer, From: []Status{StatusSubmitted, StatusReturned,
		StatusHCTReview, StatusHCDecision, StatusApproved, StatusTasked, StatusDeclinedByProvider, StatusInExecution, StatusCompleted}},
	{Action: ActionVote, Scope: ScopeRequest, Roles: []Role{RoleHCTMember}, From: []Status{StatusHCTReview},
		Needs: FactReview, Guard: mayVote, WrongState: "review.closed", Stage: StageReview},
	{Action: ActionRemindVoters, Scope: ScopeRequest, Roles: officer, From: []Status{StatusHCTReview},
		Needs: FactReview | FactTime, Guard: mayRemind, WrongState: "review.closed", Path: "review/remind", Stage: StageReview},
	{Action: ActionExtend, Scope: ScopeRequest, Roles: requesterOnly, From: taskActive,
		Needs: FactOperation | FactRequest, Guard: extendable},
	{Action: ActionRecordConsent, Scope: ScopeRequest, Roles: officer,
		From: []Status{StatusApproved, StatusTasked, StatusDeclinedByProvider}, Within: []Action{ActionCancel}},
	{Action: ActionReport, Scope: ScopeRequest, Roles: officer, From: []Status{StatusInExecution}},
	{Action: ActionAssess, Scope: ScopeRequest, Roles: []Role{RoleHRDDPReviewer}, From: []Status{StatusSubmitted},
		Needs: FactEvaluation, Guard: hrddpNeeded, Within: []Action{ActionHRDDPReject}},
	{Action: ActionAttach, Scope: ScopeRequest, Roles: []Role{RoleOfficer, RoleHC, RoleHRDDPReviewer}, Document: true},
	{Action: ActionAttachAsRequester, Scope: ScopeRequest, Roles: requesterOnly, From: beforeDecision,
		WrongState: "attachment.after_decision", Document: true},
	{Action: ActionViewRestrictedAttachment, Scope: ScopeRequest, Roles: []Role{RoleOfficer, RoleHC}, Reads: true},
	{Action: ActionRemoveAttachment, Scope: ScopeRequest, Roles: attachers, Document: true},

	{Action: ActionSubmit, Scope: ScopeRequest, From: []Status{StatusDraft, StatusReturned}, To: StatusSubmitted,
		Roles: requesterOnly, Needs: FactRequest | FactOperation | FactEvaluation | FactTime, Guard: submittable,
		Path: "submit"},
	{Action: ActionReturn, Scope: ScopeRequest, From: []Status{StatusSubmitted}, To: StatusReturned,
		Roles: officer, NeedsReason: true, Path: "return"},
	{Action: ActionRedirect, Scope: ScopeRequest, From: []Status{StatusSubmitted}, To: StatusRedirected,
		Roles: officer, NeedsReason: true, NeedsReference: true, Path: "redirect"},
	{Action: ActionWithdraw, Scope: ScopeRequest, From: beforeDecision, To: StatusWithdrawn,
		Roles: []Role{RoleRequester, RoleOfficer}, NeedsReason: true, Path: "withdraw"},
	{Action: ActionOpenReview, Scope: ScopeRequest, From: []Status{StatusSubmitted}, To: StatusHCTReview,
		Roles: officer, Needs: FactEvaluation | FactAssessment | FactVoters, Guard: reviewMayOpen,
		Path: "review", Stage: StageReview, Custom: true},
	{Action: ActionHRDDPReject, Scope: ScopeRequest, From: []Status{StatusSubmitted}, To: StatusRejected,
		Roles: []Role{RoleHRDDPReviewer}, NeedsReason: true},
	{Action: ActionCloseReview, Scope: ScopeRequest, From: []Status{StatusHCTReview}, To: StatusHCDecision,
		Roles: officer, System: true, Needs: FactReview, Guard: mayCloseEarly,
		Path: "review/close", Stage: StageReview, Custom: true},
	{Action: ActionReturnReview, Scope: ScopeRequest, From: []Status{StatusHCTReview}, To: StatusReturned,
		Roles: officer, NeedsReason: true, Path: "review/return", Stage: StageReview},
	{Action: ActionReopenReview, Scope: ScopeRequest, From: []Status{StatusHCDecision}, To: StatusHCTReview,
		Roles: officer, Needs: FactReview | FactEvaluation | FactAssessment | FactVoters, Guard: mayReopen,
		Path: "review/reopen", Stage: StageReview, Custom: true},
	{Action: ActionApprove, Scope: ScopeRequest, From: []Status{StatusHCDecision}, To: StatusApproved,
		Roles: []Role{RoleHC}, NeedsReason: true, Needs: FactReview, Guard: reviewPassed,
		Path: "decision", Stage: StageReview, Custom: true},
	{Action: ActionReject, Scope: ScopeRequest, From: []Status{StatusHCDecision}, To: StatusRejected,
		Roles: []Role{RoleHC}, NeedsReason: true, Needs: FactReview, Guard: reviewClosed,
		Path: "decision", Stage: StageReview, Custom: true},
	{Action: ActionExpire, Scope: ScopeRequest, From: expirable, To: StatusExpired, System: true},
	{Action: ActionTask, Scope: ScopeRequest, From: []Status{StatusApproved, StatusDeclinedByProvider}, To: StatusTasked,
		Roles: officer, Needs: FactConsent, Guard: consentAllowsTasking,
		Path: "tasking", Stage: StageLifecycle, Custom: true},
	{Action: ActionDecline, Scope: ScopeRequest, From: []Status{StatusTasked}, To: StatusDeclinedByProvider,
		Roles: officer, NeedsReason: true, Path: "decline", Stage: StageLifecycle},
	{Action: ActionStartExecution, Scope: ScopeRequest, From: []Status{StatusTasked}, To: StatusInExecution,
		Roles: officer, Path: "execution", Stage: StageLifecycle},
	{Action: ActionComplete, Scope: ScopeRequest, From: []Status{StatusInExecution}, To: StatusCompleted,
		Roles: []Role{RoleOfficer, RoleRequester}, Path: "completion", Stage: StageLifecycle},
	{Action: ActionHandOver, Scope: ScopeRequest, From: []Status{StatusCompleted}, To: StatusHandedOver,
		Roles: officer, Path: "handover", Stage: StageLifecycle, Custom: true},
	{Action: ActionCancel, Scope: ScopeRequest, From: taskActive, To: StatusCancelled,
		Roles: []Role{RoleOfficer, RoleHC}, NeedsReason: true, Path: "cancel", Stage: StageLifecycle},
}

// RuleFor returns the rule of action.
func RuleFor(action Action) (Rule, bool) {
	for i := range Rules { // by index: a Rule is large, copied only when found
		if Rules[i].Action == action {
			return Rules[i], true
		}
	}
	return Rule{}, false
}

// Transitions returns the rows that change a request's status, in table
// order.
func Transitions() []Rule {
	var out []Rule
	for _, r := range Rules {
		if r.Transition() {
			out = append(out, r)
		}
	}
	return out
}

// GenericTransitions returns the transitions taken through the common
// use case, form and route, in table order.
func GenericTransitions() []Rule {
	var out []Rule
	for _, r := range Rules {
		if r.Generic() {
			out = append(out, r)
		}
	}
	return out
}

// TransitionFor returns the transition of action.
func TransitionFor(action Action) (Rule, bool) {
	r, ok := RuleFor(action)
	return r, ok && r.Transition()
}

// NeedsOf returns the facts the guards of actions read, and the time
// bar (Overdue) of those it applies to.
func NeedsOf(actions ...Action) Fact {
	var f Fact
	for _, a := range actions {
		if r, ok := RuleFor(a); ok {
			f |= r.Needs
			if r.timeBarred() {
				f |= timeBarNeeds
			}
		}
	}
	return f
}

// timeBarNeeds are the facts Overdue reads.
const timeBarNeeds = FactRequest | FactReview | FactTime

// timeBarred reports whether time can overtake the step: every status
// change and every step of the review. Once the system is due to take a
// step (Overdue), these are refused until it has — even when no job has
// run yet — so that nothing is decided after its deadline.
func (r Rule) timeBarred() bool {
	return r.Scope == ScopeRequest && !r.Reads && (r.Transition() || r.Stage == StageReview)
}

// Overdue returns the step time has made due on s's request, before any
// other: the close of its review once the deadline came, or its expiry
// once its required-by time passed in a status that expires (whichever
// came first). ok is false when none is due, or when s does not carry
// the facts to tell (the request, its review and the time).
func Overdue(s Subject) (due Action, at time.Time, ok bool) {
	if s.Known&timeBarNeeds != timeBarNeeds || s.Request == nil || s.Now.IsZero() {
		return "", time.Time{}, false
	}
	r := *s.Request
	if s.Review != nil && s.Review.PastDeadline(s.Now) && r.Status == StatusHCTReview {
		due, at, ok = ActionCloseReview, s.Review.Deadline, true
	}
	if oneOf(r.Status, expirable) && !r.RequiredBy.IsZero() && !s.Now.Before(r.RequiredBy) && (!ok || r.RequiredBy.Before(at)) {
		due, at, ok = ActionExpire, r.RequiredBy, true
	}
	return due, at, ok
}

// TimeBarred reports whether err is timeBar's refusal: time overtook
// the step, and the system's step (Overdue) is due first.
func TimeBarred(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == CodeConflict &&
		(e.Message == timeBarReview || e.Message == timeBarRequiredBy)
}

// The refusals of timeBar.
const (
	timeBarReview     = "review.deadline_passed"
	timeBarRequiredBy = "request.required_by_passed"
)

// timeBar refuses a time-barred step when time has made a system step
// due on s first (Overdue): the review's deadline came, or the request's
// required-by time passed.
func timeBar(rule Rule, s Subject) error {
	if !rule.timeBarred() {
		return nil
	}
	due, _, ok := Overdue(s)
	switch {
	case !ok:
		return nil
	case due == ActionCloseReview:
		return Errorf(CodeConflict, timeBarReview)
	default:
		return Errorf(CodeConflict, timeBarRequiredBy)
	}
}

// AllFacts are every fact a guard may read.
const AllFacts = FactOperation | FactEvaluation | FactReview | FactConsent | FactAssessment | FactVoters | FactRequest | FactTime

// Can decides whether a may take action on s. It returns nil when
// allowed; CodeUnauthorized for an anonymous actor; CodeNotFound when
// the operation or request is not visible to a, so that its existence
// does not leak; CodeForbidden when it is visible but a's roles do not
// allow the action; CodeConflict when the request's status or the
// rule's guard does not allow it now (CodeInvalid when the guard finds
// the request itself incomplete: submission). Checks run in that order, so a
// probe of something invisible always reads as missing.
func Can(a Actor, action Action, s Subject) error {
	s = s.withRef()
	rule, err := canBeforeGuard(a, action, s)
	if err != nil {
		return err
	}
	if rule.Guard != nil {
		if missing := rule.Needs &^ s.Known; missing != 0 {
			return fmt.Errorf("domain: %s needs facts %b the caller did not load", action, missing)
		}
		if err := rule.Guard(a, s); err != nil {
			return err
		}
	}
	return timeBar(rule, s)
}

// Blocked returns why a may not take action on s now when only the
// rule's guard stands in the way (visible, role held, status right): the
// reason a page shows in place of the control, so that someone who would
// expect it learns what is missing. It returns nil otherwise.
func Blocked(a Actor, action Action, s Subject) error {
	rule, err := canBeforeGuard(a, action, s)
	if err != nil || (rule.Guard == nil && !rule.timeBarred()) {
		return nil
	}
	var e *Error
	if err := Can(a, action, s); errors.As(err, &e) {
		return e
	}
	return nil
}

// BlockedActions returns, for each request action a would take on s but
// for its guard, why not (Blocked): what pages say in place of controls.
func BlockedActions(a Actor, s Subject) map[Action]error {
	var out map[Action]error
	for _, r := range Rules {
		if r.Scope != ScopeRequest || (r.Guard == nil && !r.timeBarred()) {
			continue
		}
		if err := Blocked(a, r.Action, s); err != nil {
			if out == nil {
				out = map[Action]error{}
			}
			out[r.Action] = err
		}
	}
	return out
}

// canBeforeGuard is Can up to the rule's guard.
func canBeforeGuard(a Actor, action Action, s Subject) (Rule, error) {
	if a.Anonymous() {
		return Rule{}, Errorf(CodeUnauthorized, "error.unauthorized")
	}
	rule, ok := RuleFor(action)
	if !ok {
		return rule, Errorf(CodeForbidden, "error.forbidden") // unknown actions are denied
	}
	switch rule.Scope {
	case ScopeInstance:
		if rule.Admin && a.IsAdmin {
			return rule, nil
		}
		return rule, Errorf(CodeForbidden, "error.forbidden")
	case ScopeOperation:
		if !(rule.Admin && a.IsAdmin) {
			roles := a.RolesIn(s.OperationID)
			if len(roles) == 0 {
				return rule, Errorf(CodeNotFound, "error.not_found")
			}
			if !holdsAny(roles, rule.Roles) {
				return rule, Errorf(CodeForbidden, "error.forbidden")
			}
		}
	default:
		r := s.withRef().Ref
		if r.ID == 0 && r.OperationID == 0 {
			return rule, fmt.Errorf("domain: %s needs a request", action)
		}
		if !visible(a, r) {
			return rule, Errorf(CodeNotFound, "error.not_found")
		}
		if !mayAs(a, r, rule.Roles) {
			return rule, Errorf(CodeForbidden, "error.forbidden")
		}
		if len(rule.From) > 0 && !oneOf(r.Status, rule.From) {
			key := rule.WrongState
			if key == "" {
				key = "request.wrong_state"
			}
			return rule, Errorf(CodeConflict, "%s", key)
		}
	}
	return rule, nil
}

// Allowed is Can as a boolean, for deciding what a page offers.
func Allowed(a Actor, action Action, s Subject) bool { return Can(a, action, s) == nil }

// AvailableActions returns the request actions a may take on s now, in
// table order: the controls a page shows. s should carry every fact
// (AllFacts); an action whose guard reads a fact s lacks is left out.
func AvailableActions(a Actor, s Subject) []Action {
	var out []Action
	s = s.withRef()
	for i := range Rules {
		if r := &Rules[i]; r.Scope == ScopeRequest && Can(a, r.Action, s) == nil {
			out = append(out, r.Action)
		}
	}
	return out
}

// CanSeeHRDDP reports whether a member holding roles may see HRDDP
// records: the roles of ActionViewHRDDP's row, for a reader that asks by
// role rather than about one request.
func CanSeeHRDDP(roles RoleSet) bool {
	r, _ := RuleFor(ActionViewHRDDP)
	return holdsAny(roles, r.Roles)
}

func holdsAny(held RoleSet, want []Role) bool {
	for _, r := range want {
		if held.Has(r) {
			return true
		}
	}
	return false
}

// ownOrg reports whether the request belongs to the actor's organisation.
func ownOrg(a Actor, r RequestRef) bool {
	return a.OrganizationID != 0 && a.OrganizationID == r.RequestingOrgID
}

// visible reports whether a may see r at all: a member of its operation
// who is either a requester of the requesting organisation or holds a
// role beyond requester (officers, HCT members, the HC, HRDDP reviewers
// and viewers see the operation's requests). Drafts are private to the
// requesting organisation's requesters until submitted.
func visible(a Actor, r RequestRef) bool {
	roles := a.RolesIn(r.OperationID)
	own := roles.Has(RoleRequester) && ownOrg(a, r)
	if r.Status == StatusDraft {
		return own
	}
	return own || SeesAllRequests(roles)
}

// SeesAllRequests reports whether a member with roles sees every
// submitted request of the operation, not only their organisation's.
func SeesAllRequests(roles RoleSet) bool {
	for _, r := range roles {
		if r != RoleRequester {
			return true
		}
	}
	return false
}

// mayAs reports whether a, holding one of roles in r's operation, may act;
// the requester role counts only on the actor's own organisation's
// requests.
func mayAs(a Actor, r RequestRef, roles []Role) bool {
	held := a.RolesIn(r.OperationID)
	for _, want := range roles {
		if !held.Has(want) {
			continue
		}
		if want == RoleRequester && !ownOrg(a, r) {
			continue
		}
		return true
	}
	return false
}

// Guards.

func operationOpen(_ Actor, s Subject) error {
	if s.Operation.Closed {
		return Errorf(CodeConflict, "operation.closed_to_requests")
	}
	return nil
}

func extendable(a Actor, s Subject) error {
	if s.Request.EndDate.IsZero() {
		return Errorf(CodeConflict, "request.wrong_state")
	}
	return operationOpen(a, s)
}

func mayVote(a Actor, s Subject) error {
	if s.Review == nil || !s.Review.Open() {
		return Errorf(CodeConflict, "review.closed")
	}
	if !s.Review.IsEligible(a.OrganizationID) {
		return Errorf(CodeForbidden, "review.not_eligible")
	}
	return nil
}

func mayCloseEarly(_ Actor, s Subject) error {
	if s.Review == nil || !s.Review.Open() {
		return Errorf(CodeConflict, "review.closed")
	}
	if !CanCloseEarly(*s.Review, s.Tally) {
		return Errorf(CodeConflict, "review.cannot_close_early")
	}
	return nil
}

// mayRemind: the review is open, some eligible organisation has not
// voted, and its last reminder (the scheduled one or an officer's) was
// at least RemindAgainAfter ago; the refusal says from when.
func mayRemind(_ Actor, s Subject) error {
	if s.Review == nil || !s.Review.Open() {
		return Errorf(CodeConflict, "review.closed")
	}
	if s.Tally.Voted >= s.Tally.Eligible {
		return Errorf(CodeConflict, "review.remind_all_voted")
	}
	if next := s.Review.RemindAgainAt(); !next.IsZero() && s.Now.Before(next) {
		return &Error{Code: CodeConflict, Message: "review.remind_too_soon",
			Data: map[string]any{"At": next, "Hours": int(RemindAgainAfter / time.Hour)}}
	}
	return nil
}

func reviewMayOpen(_ Actor, s Subject) error {
	eligible, _ := EligibleOrganizations(s.Voters, s.Ref.RequestingOrgID)
	return CheckOpenReview(s.Evaluation, eligible, s.Assessment)
}

func mayReopen(a Actor, s Subject) error {
	switch {
	case s.Review == nil || s.Review.Tally == nil:
		return Errorf(CodeConflict, "request.wrong_state")
	case s.Review.Tally.QuorumMet:
		return Errorf(CodeConflict, "review.reopen_quorum_met")
	case s.Review.Reopening:
		return Errorf(CodeConflict, "review.reopen_once")
	}
	return reviewMayOpen(a, s)
}

func reviewClosed(_ Actor, s Subject) error {
	if s.Review == nil || s.Review.Tally == nil {
		return Errorf(CodeConflict, "request.wrong_state")
	}
	return nil
}

func reviewPassed(a Actor, s Subject) error {
	if err := reviewClosed(a, s); err != nil {
		return err
	}
	if !s.Review.Tally.Passed {
		return Errorf(CodeConflict, "decision.review_not_passed")
	}
	return nil
}

func consentAllowsTasking(_ Actor, s Subject) error {
	if !ConsentAllowsTasking(s.Consent) {
		return Errorf(CodeConflict, "tasking.consent_needed")
	}
	return nil
}

// submittable lets a request be submitted only when it is complete
// (CheckSubmittable at s.Now). Its refusal is CheckSubmittable's own
// (CodeInvalid): the use case answers with every field and checklist item
// to fix, and a page says, in place of the control, how many there are.
func submittable(_ Actor, s Subject) error {
	return CheckSubmittable(*s.Request, s.Operation, s.Evaluation, s.Now)
}

func hrddpNeeded(_ Actor, s Subject) error {
	if !HRDDPRequired(s.Evaluation) {
		return Errorf(CodeConflict, "hrddp.not_required")
	}
	return nil
}
