package domain

import (
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
	for i := 0; i < len(out); i++ {
		for _, t := range Transitions() {
			if slices.Contains(t.From, out[i]) && !slices.Contains(out, t.To) {
				out = append(out, t.To)
			}
		}
	}
	// Statuses named only as a starting point (unreachable: a table
	// error the tests report) still belong to the vocabulary.
	for _, t := range Transitions() {
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
	for _, t := range Transitions() {
		if oneOf(s, t.From) {
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

// CheckVersion checks the version a person saw against r's: missing (0
// or less: a client that sent none) or different is a conflict (409), the
// message saying which, with r's current version.
func CheckVersion(r Request, saw int) error {
	switch {
	case saw <= 0:
		return &Error{Code: CodeConflict, Message: "request.version_missing", Data: map[string]any{"Version": r.Version}}
	case saw != r.Version:
		return &Error{Code: CodeConflict, Message: "request.stale", Data: map[string]any{"Version": r.Version},
			Conflict: &Conflict{Version: r.Version}}
	}
	return nil
}

// Apply moves r by action for a at now, after asking Can on r with the
// facts in s (its Request is r), then checking the version and the
// transition's own inputs; it returns the event payload to record.
// Submission's guards (fields and checklist) are checked by the caller
// with CheckSubmittable before Apply.
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
		r.StatusReason, r.CivilianReference = "", ""
		payload["version"] = r.Version
	}
	if t.NeedsReference {
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
