package domain_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

func TestErrorCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		err     error
		code    domain.Code
		message string
	}{
		{"Nil", nil, "", "error.internal"},
		{"Plain", errors.New("boom: secret detail"), domain.CodeInternal, "error.internal"},
		{"Domain", domain.Errorf(domain.CodeNotFound, "not_found"), domain.CodeNotFound, "not_found"},
		{"Wrapped", fmt.Errorf("store: get: %w", domain.Errorf(domain.CodeConflict, "request.stale")), domain.CodeConflict, "request.stale"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := domain.ErrorCode(tt.err); got != tt.code {
				t.Errorf("ErrorCode = %q, want %q", got, tt.code)
			}
			if got := domain.ErrorMessage(tt.err); got != tt.message {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.message)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	t.Parallel()
	e := &domain.Error{Code: domain.CodeInvalid, Message: "form.invalid", Fields: map[string]string{"title": "field.required"}}
	if got, want := e.Error(), "invalid: form.invalid map[title:field.required]"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func asError(err error, target **domain.Error) bool { return errors.As(err, target) }
