package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestUnavailable: the database's absence (down, starting, read-only,
// out of connections, over its statement or lock timeout) is a 503 the
// client may retry; the caller's own deadline, and an error of the
// request, are not.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	pg := func(code string) error { return fmt.Errorf("query: %w", &pgconn.PgError{Code: code}) }
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"ConnectionFailure", pg("08006"), true},
		{"ReadOnly", pg("25006"), true},
		{"AdminShutdown", pg("57P01"), true},
		{"CannotConnectNow", pg("57P03"), true},
		{"TooManyConnections", pg("53300"), true},
		{"StatementTimeout", pg("57014"), true},
		{"LockTimeout", pg("55P03"), true},
		{"CouldNotConnect", &pgconn.ConnectError{}, true},
		{"UniqueViolation", pg("23505"), false},
		{"BadText", pg("22P02"), false},
		{"CallerDeadline", context.DeadlineExceeded, false},
		{"CallerGone", context.Canceled, false},
		{"Other", errors.New("boom"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := unavailable(tt.err); got != tt.want {
				t.Fatalf("unavailable(%v) = %v, want %v", tt.err, got, tt.want)
			}
			if got := domain.ErrorCode(dbErr(tt.err, "x")) == domain.CodeUnavailable; got != tt.want {
				t.Fatalf("dbErr(%v) unavailable = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
