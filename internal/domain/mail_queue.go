package domain

// The administrators' view of the e-mail outbox (/admin/mail): what is
// queued, what was given up and what was sent, never a message's body
// (it may hold links that are secrets).

// MailState is where an outbox message stands.
type MailState string

// Mail states.
const (
	MailQueued MailState = "queued" // waiting for its next attempt
	MailFailed MailState = "failed" // given up after the last retry
	MailSent   MailState = "sent"
)

// MailStates lists the states, in the order the page offers them.
var MailStates = []MailState{MailQueued, MailFailed, MailSent}

// State is where m stands.
func (m OutboxMessage) State() MailState {
	switch {
	case !m.SentAt.IsZero():
		return MailSent
	case !m.FailedAt.IsZero():
		return MailFailed
	}
	return MailQueued
}

// MailPageSize is how many messages one page of the mail queue lists.
const MailPageSize = 50

// CheckRetry says whether m may be retried now by an administrator: a
// message given up, or one still queued that has failed at least once
// (waiting out its backoff, up to six hours); never one sent, nor one
// not tried yet (the worker takes it at once).
func CheckRetry(m OutboxMessage) error {
	if m.State() == MailFailed || (m.State() == MailQueued && m.Attempts > 0) {
		return nil
	}
	return Errorf(CodeConflict, "mail.not_failed")
}

// DirMailRetried records an administrator's "retry now" of a given-up
// e-mail (target kind TargetMail, the outbox message's ID).
const DirMailRetried = "mail.retried"
