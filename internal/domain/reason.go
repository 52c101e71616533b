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
)

// SystemReasons lists every ReasonCode.
var SystemReasons = []ReasonCode{ReasonConsentRefused, ReasonHRDDPNoSupport}

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
	r.StatusReason, r.StatusReasonCode = "", code
	return payload, nil
}
