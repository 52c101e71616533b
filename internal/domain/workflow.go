package domain

import "time"

// Status is where a request stands in the workflow (PRODUCT.md §4).
type Status string

// Statuses.
const (
	StatusDraft              Status = "draft"
	StatusSubmitted          Status = "submitted"
	StatusReturned           Status = "returned"
	StatusRedirected         Status = "redirected"
	StatusHCTReview          Status = "hct_review"
	StatusHCDecision         Status = "hc_decision"
	StatusApproved           Status = "approved"
	StatusRejected           Status = "rejected"
	StatusWithdrawn          Status = "withdrawn"
	StatusExpired            Status = "expired"
	StatusTasked             Status = "tasked"
	StatusDeclinedByProvider Status = "declined_by_provider"
	StatusInExecution        Status = "in_execution"
	StatusCompleted          Status = "completed"
	StatusHandedOver         Status = "handed_over"
	StatusCancelled          Status = "cancelled"
)

// Statuses lists every status in workflow order.
var Statuses = []Status{StatusDraft, StatusSubmitted, StatusReturned, StatusRedirected, StatusHCTReview,
	StatusHCDecision, StatusApproved, StatusRejected, StatusWithdrawn, StatusExpired, StatusTasked,
	StatusDeclinedByProvider, StatusInExecution, StatusCompleted, StatusHandedOver, StatusCancelled}

// Terminal reports whether no transition leaves s.
func (s Status) Terminal() bool {
	for _, t := range Transitions {
		if oneOf(s, t.From) {
			return false
		}
	}
	return true
}

// Actions on requests.
const (
	ActionViewRequest    Action = "request.view"
	ActionCreateRequest  Action = "request.create"
	ActionEditRequest    Action = "request.edit"
	ActionComment        Action = "request.comment"
	ActionViewContact    Action = "request.contact.view"
	ActionRecordBriefing Action = "request.briefing" // LR17, filled by the officer
	ActionScreen         Action = "request.screen"   // see the screening queue
	ActionVote           Action = "request.vote"     // cast or change the organisation's vote
	ActionExtend         Action = "request.extend"   // ask for more time for an approved task

	// Transitions (one row each in Transitions).
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

// Transition is one row of the workflow: who may take action from which
// states to which state. A requester acts only on their own
// organisation's requests. System transitions are taken by cmcoord
// itself (deadlines), never by a person.
type Transition struct {
	Action Action
	From   []Status
	To     Status
	Roles  []Role
	System bool
	// NeedsReason: the transition records why (a reason, or a rationale).
	NeedsReason bool
}

var beforeDecision = []Status{StatusDraft, StatusSubmitted, StatusReturned, StatusHCTReview, StatusHCDecision}

// Transitions is the workflow, the one table the services, the pages
// (which buttons to show) and the database's status check all read.
var Transitions = []Transition{
	{Action: ActionSubmit, From: []Status{StatusDraft, StatusReturned}, To: StatusSubmitted, Roles: []Role{RoleRequester}},
	{Action: ActionReturn, From: []Status{StatusSubmitted}, To: StatusReturned, Roles: []Role{RoleOfficer}, NeedsReason: true},
	{Action: ActionRedirect, From: []Status{StatusSubmitted}, To: StatusRedirected, Roles: []Role{RoleOfficer}, NeedsReason: true},
	{Action: ActionWithdraw, From: beforeDecision, To: StatusWithdrawn, Roles: []Role{RoleRequester, RoleOfficer}, NeedsReason: true},
	{Action: ActionOpenReview, From: []Status{StatusSubmitted}, To: StatusHCTReview, Roles: []Role{RoleOfficer}},
	{Action: ActionHRDDPReject, From: []Status{StatusSubmitted}, To: StatusRejected, Roles: []Role{RoleHRDDPReviewer}, NeedsReason: true},
	{Action: ActionCloseReview, From: []Status{StatusHCTReview}, To: StatusHCDecision, Roles: []Role{RoleOfficer}, System: true},
	{Action: ActionReturnReview, From: []Status{StatusHCTReview}, To: StatusReturned, Roles: []Role{RoleOfficer}, NeedsReason: true},
	{Action: ActionReopenReview, From: []Status{StatusHCDecision}, To: StatusHCTReview, Roles: []Role{RoleOfficer}},
	{Action: ActionApprove, From: []Status{StatusHCDecision}, To: StatusApproved, Roles: []Role{RoleHC}, NeedsReason: true},
	{Action: ActionReject, From: []Status{StatusHCDecision}, To: StatusRejected, Roles: []Role{RoleHC}, NeedsReason: true},
	{Action: ActionExpire, From: beforeDecision, To: StatusExpired, System: true},
	{Action: ActionTask, From: []Status{StatusApproved, StatusDeclinedByProvider}, To: StatusTasked, Roles: []Role{RoleOfficer}},
	{Action: ActionDecline, From: []Status{StatusTasked}, To: StatusDeclinedByProvider, Roles: []Role{RoleOfficer}, NeedsReason: true},
	{Action: ActionStartExecution, From: []Status{StatusTasked}, To: StatusInExecution, Roles: []Role{RoleOfficer}},
	{Action: ActionComplete, From: []Status{StatusInExecution}, To: StatusCompleted, Roles: []Role{RoleOfficer, RoleRequester}},
	{Action: ActionHandOver, From: []Status{StatusCompleted}, To: StatusHandedOver, Roles: []Role{RoleOfficer}},
	{Action: ActionCancel, From: []Status{StatusApproved, StatusTasked, StatusInExecution}, To: StatusCancelled, Roles: []Role{RoleOfficer, RoleHC}, NeedsReason: true},
}

// TransitionFor returns the transition of action.
func TransitionFor(action Action) (Transition, bool) {
	for _, t := range Transitions {
		if t.Action == action {
			return t, true
		}
	}
	return Transition{}, false
}

// StatusPairs returns every (from, to) pair the workflow allows, for the
// database's status check.
func StatusPairs() [][2]Status {
	seen := map[[2]Status]bool{}
	var out [][2]Status
	for _, t := range Transitions {
		for _, f := range t.From {
			p := [2]Status{f, t.To}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// requestRules says who may take the request actions that are not
// transitions. Requesters act only on their organisation's requests.
var requestRules = map[Action][]Role{
	ActionViewRequest:    AllRoles,
	ActionCreateRequest:  {RoleRequester},
	ActionEditRequest:    {RoleRequester},
	ActionComment:        {RoleRequester, RoleOfficer, RoleHCTMember, RoleHC, RoleHRDDPReviewer},
	ActionViewContact:    {RoleRequester, RoleOfficer, RoleHC},
	ActionRecordBriefing: {RoleOfficer},
	ActionScreen:         {RoleOfficer},
	ActionVote:           {RoleHCTMember},
	ActionExtend:         {RoleRequester},
}

// ownOrg reports whether the request belongs to the actor's organisation.
func ownOrg(a Actor, r Request) bool {
	return a.OrganizationID != 0 && a.OrganizationID == r.RequestingOrgID
}

// visible reports whether a may see r at all: a member of its operation
// who is either a requester of the requesting organisation or holds a
// role beyond requester (officers, HCT members, the HC, HRDDP reviewers
// and viewers see the operation's requests). Drafts are private to the
// requesting organisation's requesters until submitted.
func visible(a Actor, r Request) bool {
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
func mayAs(a Actor, r Request, roles []Role) bool {
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

// CanRequest decides whether a may take action on r. Like Can, it answers
// CodeNotFound when r is not visible to a, CodeForbidden when visible but
// not allowed, and, for transitions, CodeConflict with
// "request.wrong_state" when the request's status does not allow it now.
func CanRequest(a Actor, action Action, r Request) error {
	if a.Anonymous() {
		return Errorf(CodeUnauthorized, "error.unauthorized")
	}
	if !visible(a, r) {
		return Errorf(CodeNotFound, "error.not_found")
	}
	if roles, ok := requestRules[action]; ok {
		if !mayAs(a, r, roles) {
			return Errorf(CodeForbidden, "error.forbidden")
		}
		if action == ActionEditRequest && !r.Editable() {
			return Errorf(CodeConflict, "request.not_editable")
		}
		if action == ActionExtend && !r.Extendable() {
			return Errorf(CodeConflict, "request.wrong_state")
		}
		return nil
	}
	t, ok := TransitionFor(action)
	if !ok || len(t.Roles) == 0 || !mayAs(a, r, t.Roles) {
		return Errorf(CodeForbidden, "error.forbidden")
	}
	if !oneOf(r.Status, t.From) {
		return Errorf(CodeConflict, "request.wrong_state")
	}
	return nil
}

// CanCreateRequest decides whether a may create a request in operation
// opID on behalf of their organisation.
func CanCreateRequest(a Actor, opID int64) error {
	if a.Anonymous() {
		return Errorf(CodeUnauthorized, "error.unauthorized")
	}
	roles := a.RolesIn(opID)
	if len(roles) == 0 {
		return Errorf(CodeNotFound, "error.not_found")
	}
	if !roles.Has(RoleRequester) {
		return Errorf(CodeForbidden, "error.forbidden")
	}
	return nil
}

// AvailableActions returns the transitions a may take on r now, in table
// order, for the buttons a page shows.
func AvailableActions(a Actor, r Request) []Action {
	var out []Action
	for _, t := range Transitions {
		if CanRequest(a, t.Action, r) == nil {
			out = append(out, t.Action)
		}
	}
	return out
}

// TransitionInput is what a person sends with a transition.
type TransitionInput struct {
	Version           int    // the version the person saw; a different one is a stale edit (409)
	Reason            string // why (required where the transition NeedsReason)
	CivilianReference string // redirect: the civilian service's reference
}

// Apply moves r by action for a at now, after checking permission, state,
// version and the transition's own inputs; it returns the event payload
// to record. Submission's guards (fields and checklist) are checked by
// the caller with CheckSubmittable before Apply.
func (r *Request) Apply(a Actor, action Action, in TransitionInput, now time.Time) (map[string]any, error) {
	t, ok := TransitionFor(action)
	if !ok {
		return nil, Errorf(CodeForbidden, "error.forbidden") // not a transition
	}
	if err := CanRequest(a, action, *r); err != nil {
		return nil, err
	}
	if in.Version != r.Version {
		return nil, &Error{Code: CodeConflict, Message: "request.stale", Data: map[string]any{"Version": r.Version}}
	}
	f := fieldErrors{}
	if t.NeedsReason {
		checkText(f, "reason", in.Reason, maxNote, true)
	}
	if action == ActionRedirect {
		checkText(f, "civilian_reference", in.CivilianReference, maxShort, true)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	from := r.Status
	payload := map[string]any{"from": string(from), "to": string(t.To)}
	if in.Reason != "" {
		payload["reason"] = in.Reason
	}
	switch action {
	case ActionSubmit:
		if from == StatusReturned {
			r.Version++
		}
		r.SubmittedAt = now
		r.StatusReason, r.CivilianReference = "", ""
		payload["version"] = r.Version
	case ActionRedirect:
		r.CivilianReference = in.CivilianReference
		payload["civilian_reference"] = in.CivilianReference
	}
	if t.NeedsReason {
		r.StatusReason = in.Reason
	}
	r.Status = t.To
	r.UpdatedAt = now
	return payload, nil
}

// ApplySystem moves r by a transition only the system takes on its own
// (closing a review at its deadline, expiry when the required-by time
// passes); it returns the event payload.
func (r *Request) ApplySystem(action Action, now time.Time) (map[string]any, error) {
	t, ok := TransitionFor(action)
	if !ok || !t.System {
		return nil, Errorf(CodeForbidden, "error.forbidden")
	}
	if !oneOf(r.Status, t.From) {
		return nil, Errorf(CodeConflict, "request.wrong_state")
	}
	payload := map[string]any{"from": string(r.Status), "to": string(t.To), "by": "system"}
	r.Status, r.UpdatedAt = t.To, now
	return payload, nil
}
