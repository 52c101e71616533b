package domain

import (
	"errors"
	"fmt"
)

// Code classifies an error for every face of cmcoord: the HTML pages and
// the JSON API map it to an HTTP status through one table.
type Code string

// Error codes. Anything that is not an *Error is CodeInternal.
const (
	CodeInvalid      Code = "invalid"      // input breaks a rule (422)
	CodeNotFound     Code = "not_found"    // missing, or in an operation the caller cannot see (404)
	CodeForbidden    Code = "forbidden"    // visible but not allowed (403)
	CodeConflict     Code = "conflict"     // wrong state or stale version (409)
	CodeUnauthorized Code = "unauthorized" // not signed in (401)
	CodeMalformed    Code = "malformed"    // a request body that cannot be parsed (400)
	CodeRateLimited  Code = "rate_limited" // too many attempts; wait (429)
	// CodeUnavailable: the database is down, failing over or read-only;
	// nothing was done, try again shortly (503 with Retry-After).
	CodeUnavailable Code = "unavailable"
	CodeInternal    Code = "internal" // anything else: logged, never shown (500)
)

// Error is the one error type whose text may reach a user. Message and the
// values of Fields are i18n keys, translated by the face that shows them.
type Error struct {
	Code    Code
	Message string
	// Fields maps an input field name to the i18n key of its problem.
	Fields map[string]string
	// Data fills the message's template ({{.Minutes}}), when it has one.
	Data map[string]any
	// Items lists problems that belong to numbered items rather than to
	// one input field: the failing checklist items of a submission.
	Items []ItemProblem
	// Conflict is, on a stale edit, the version the object is at now and
	// what changed since the version the editor saw.
	Conflict *Conflict
}

// ItemProblem is one failing item: its ID (LR4), its status and the i18n
// key of the reason.
type ItemProblem struct {
	ID     string
	Status string
	Reason string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s %v", e.Code, e.Message, e.Fields)
}

// Errorf returns an *Error with code and a message key built with
// fmt.Sprintf(format, args...).
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: "" for nil, the code of the first
// *Error in its chain, or CodeInternal for anything else.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the message key of the first *Error in err's chain,
// or "error.internal" for anything else, so internal details never reach
// a user.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "error.internal"
}
