package domain

import (
	"encoding/json"
	"slices"
	"time"
)

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

// Statuses lists every status the rulebook names, in workflow order: a
// new request's status first, then each status in the order the
// transitions reach it (breadth first, ties in table order). A status is
// added by the row that leads to it.
func Statuses() []Status {
	out := []Status{StatusDraft}
	ts := Transitions()
	for i := 0; i < len(out); i++ {
		for _, t := range ts {
			if slices.Contains(t.From, out[i]) && !slices.Contains(out, t.To) {
				out = append(out, t.To)
			}
		}
	}
	// Statuses named only as a starting point (unreachable: a table
	// error the tests report) still belong to the vocabulary.
	for _, t := range ts {
		for _, f := range t.From {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// Terminal reports whether no transition leaves s.
func (s Status) Terminal() bool {
	for _, t := range Rules { // not Transitions(): no list built per call
		if t.Transition() && oneOf(s, t.From) {
			return false
		}
	}
	return true
}

// StatusPairs returns every (from, to) pair the workflow allows, for the
// database's status check.
func StatusPairs() [][2]Status {
	seen := map[[2]Status]bool{}
	var out [][2]Status
	for _, t := range Transitions() {
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

// TransitionInput is what a person sends with a transition.
type TransitionInput struct {
	Version           int    // the version the person saw; a different one is a stale edit (409)
	Reason            string // why (required where the transition NeedsReason)
	CivilianReference string // redirect: the civilian service's reference
}

// CheckVersion checks the version a person saw against r's. A missing
// one (0 or less: a client that sent none) is a malformed step (400),
// naming the field: "version required"; a different one is a conflict
// (409, request.stale) with r's current version.
func CheckVersion(r Request, saw int) error {
	switch {
	case saw <= 0:
		return VersionRequired(r)
	case saw != r.Version:
		return &Error{Code: CodeConflict, Message: "request.stale", Data: map[string]any{"Version": r.Version},
			Conflict: &Conflict{Version: r.Version}}
	}
	return nil
}

// VersionRequired is the refusal of a step sent without the version the
// person saw: CodeMalformed naming the field version.
func VersionRequired(r Request) error {
	return &Error{Code: CodeMalformed, Message: "request.version_missing", Data: map[string]any{"Version": r.Version},
		Fields: map[string]string{"version": "field.version_required"}}
}

// Apply moves r by action for a at now, after asking Can on r with the
// facts in s (its Request is r), then checking the version and the
// transition's own inputs; it returns the event payload to record.
// Submission's guard (CheckSubmittable: fields and checklist) reads
// s's Operation, Evaluation and Now.
func (r *Request) Apply(a Actor, action Action, s Subject, in TransitionInput, now time.Time) (map[string]any, error) {
	t, ok := TransitionFor(action)
	if !ok {
		return nil, Errorf(CodeForbidden, "error.forbidden") // not a transition
	}
	s.Request, s.Ref, s.OperationID, s.Known = r, r.Ref(), r.OperationID, s.Known|FactRequest
	if err := Can(a, action, s); err != nil {
		return nil, err
	}
	if err := CheckVersion(*r, in.Version); err != nil {
		return nil, err
	}
	f := fieldErrors{}
	// A reason is optional where the step does not need one (a
	// resubmission's note), but always a valid text.
	checkText(f, "reason", in.Reason, maxNote, t.NeedsReason)
	if t.NeedsReference {
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
		r.CivilianReference = ""
		payload["version"] = r.Version
	}
	if t.NeedsReference {
		r.CivilianReference = in.CivilianReference
		payload["civilian_reference"] = in.CivilianReference
	}
	// A reason belongs to the step that gave it: every step replaces the
	// last one's, with its own or with none.
	r.StatusReason, r.StatusReasonCode = "", ""
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
	// As in Apply, the step's own reason (the system's, if it states
	// one) replaces the last step's.
	r.StatusReason, r.StatusReasonCode = "", systemStepReasons[action]
	if code := r.StatusReasonCode; code != "" {
		payload["reason_code"] = string(code)
	}
	r.Status, r.UpdatedAt = t.To, now
	return payload, nil
}

// Step is a transition as the audit trail records it: the step, the
// reason it stated (a person's words or the system's code) and the
// event that records it (its time and actor).
type Step struct {
	Action     Action
	Reason     string
	ReasonCode ReasonCode
	Event      Event
}

// StepOf returns the transition event e records: e itself when its
// action is a transition, or one taken inside it (a refused consent's
// cancellation, an HRDDP "no support" rejection: a payload member with
// "from" and "to").
func StepOf(e Event) (Step, bool) {
	type recorded struct {
		Action     Action     `json:"action"`
		From       Status     `json:"from"`
		To         Status     `json:"to"`
		Reason     string     `json:"reason"`
		ReasonCode ReasonCode `json:"reason_code"`
	}
	step := func(p recorded) (Step, bool) {
		out := Step{Action: p.Action, Event: e}
		// Only a step that states a reason has one (not a resubmission's
		// note).
		if t, _ := TransitionFor(p.Action); t.StatesReason() {
			out.Reason, out.ReasonCode = p.Reason, p.ReasonCode
		}
		return out, true
	}
	if _, ok := TransitionFor(Action(e.Action)); ok {
		var p recorded
		_ = json.Unmarshal(e.Payload, &p)
		p.Action = Action(e.Action)
		return step(p)
	}
	// A member stating a step names "from": without one anywhere (a
	// creation's snapshot, an edit), there is nothing to decode.
	if !PayloadHas(e.Payload, "from") {
		return Step{}, false
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(e.Payload, &members) != nil {
		return Step{}, false
	}
	for _, raw := range members {
		var p recorded
		if json.Unmarshal(raw, &p) != nil || p.To == "" || p.From == "" {
			continue
		}
		if p.Action == "" {
			p.Action = transitionBetween(p.From, p.To)
		}
		return step(p)
	}
	return Step{}, false
}

// transitionBetween is the first transition from from to to.
func transitionBetween(from, to Status) Action {
	for _, t := range Transitions() {
		if t.To == to && slices.Contains(t.From, from) {
			return t.Action
		}
	}
	return ""
}

// StatusStep returns, of a request's events in order, the step that led
// it to its current status (the last transition recorded): the reason a
// page shows with the status is that step's, under its label
// (ReasonLabelKey), at its time.
func StatusStep(events []Event) (Step, bool) {
	for i := len(events) - 1; i >= 0; i-- {
		if st, ok := StepOf(events[i]); ok {
			return st, true
		}
	}
	return Step{}, false
}
