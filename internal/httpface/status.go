package httpface

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// statusOf maps error codes to HTTP statuses for both faces (STYLE R18);
// anything else is a 500.
var statusOf = map[domain.Code]int{
	domain.CodeInvalid:      http.StatusUnprocessableEntity,
	domain.CodeNotFound:     http.StatusNotFound,
	domain.CodeForbidden:    http.StatusForbidden,
	domain.CodeConflict:     http.StatusConflict,
	domain.CodeUnauthorized: http.StatusUnauthorized,
	domain.CodeMalformed:    http.StatusBadRequest,
	domain.CodeRateLimited:  http.StatusTooManyRequests,
	domain.CodeUnavailable:  http.StatusServiceUnavailable,
}

// Status returns the HTTP status of an error code, and false for a code
// with none (an internal error: 500).
func Status(code domain.Code) (int, bool) {
	s, ok := statusOf[code]
	return s, ok
}

// SetRetryAfter sets Retry-After (in seconds) on the answer to a refused
// attempt (domain.RateLimited) or to a request the database could not
// serve (CodeUnavailable), on either face.
func SetRetryAfter(h http.Header, err error) {
	var de *domain.Error
	if !errors.As(err, &de) || (de.Code != domain.CodeRateLimited && de.Code != domain.CodeUnavailable) {
		return
	}
	if secs, ok := de.Data["Seconds"].(int); ok && secs > 0 {
		h.Set("Retry-After", strconv.Itoa(secs))
	}
}
