package domain

import "time"

// ReasonCode is a reason the system states when it moves a request or
// declines a task on its own account (not a person's words): stored as
// the code, shown in the reader's language (i18n key "reason.<code>").
type ReasonCode string

// System reasons.
const (
	// ReasonConsentRefused: the affected State refused consent, which
	// cancels the task.
	ReasonConsentRefused ReasonCode = "consent_refused"
	// ReasonHRDDPNoSupport: the HRDDP assessment concluded that support
	// cannot be given, which rejects the request.
	ReasonHRDDPNoSupport ReasonCode = "hrddp_no_support"
	// ReasonRequiredByPassed: the required-by time passed before the
	// request was decided, which expires it.
	ReasonRequiredByPassed ReasonCode = "required_by_passed"
)

// SystemReasons lists every ReasonCode.
var SystemReasons = []ReasonCode{ReasonConsentRefused, ReasonHRDDPNoSupport, ReasonRequiredByPassed}

// systemStepReasons is the reason the system states when it takes a
// step on its own (ApplySystem).
var systemStepReasons = map[Action]ReasonCode{ActionExpire: ReasonRequiredByPassed}

// StatesReason reports whether the step records why it was taken: a
// person's reason or rationale (NeedsReason), or the system's own.
func (r Rule) StatesReason() bool { return r.NeedsReason || systemStepReasons[r.Action] != "" }

// ReasonLabelKey is the i18n key of the label a step's reason is shown
// under, with that step only: a return's reason, a decision's rationale,
// a provider's decline, an expiry's cause.
func ReasonLabelKey(a Action) string { return "reason_label." + string(a) }

// MessageKey is the i18n key of the reason's text.
func (c ReasonCode) MessageKey() string { return "reason." + string(c) }

// ApplyForReason takes action on r (as Apply) for a reason the system
// states: the request and the event payload carry the code
// (StatusReasonCode, "reason_code"), never a sentence in one language.
func (r *Request) ApplyForReason(by Actor, action Action, s Subject, version int, code ReasonCode, now time.Time) (map[string]any, error) {
	payload, err := r.Apply(by, action, s, TransitionInput{Version: version, Reason: string(code)}, now)
	if err != nil {
		return nil, err
	}
	delete(payload, "reason")
	payload["reason_code"] = string(code)
	// Taken inside another step's event: name it (StepOf).
	payload["action"] = string(action)
	r.StatusReason, r.StatusReasonCode = "", code
	return payload, nil
}
