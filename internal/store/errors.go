package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// SQLSTATE codes the store translates.
const (
	pgUniqueViolation = "23505"
	pgCheckViolation  = "23514"
	pgFKViolation     = "23503"
	pgBadEncoding     = "22021" // character_not_in_repertoire: bytes that are not UTF-8, or NUL
	pgUntranslatable  = "22P05" // untranslatable_character: \u0000 in jsonb
	pgBadText         = "22P02" // invalid_text_representation: a value its column's type cannot read
	pgTooLarge        = "54000" // program_limit_exceeded: e.g. a text too long for an index
	pgDeadlock        = "40P01" // deadlock_detected
	pgSerialization   = "40001" // serialization_failure
)

// dbErr translates a database error into a *domain.Error where the cause
// is the caller's (a missing row, a broken unique or check constraint) or
// the database's absence (down, failing over, read-only: CodeUnavailable)
// and wraps anything else with context. dbErr(nil, …) is nil.
func dbErr(err error, format string, args ...any) error {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case unavailable(err):
		return errUnavailable()
	case errors.Is(err, pgx.ErrNoRows):
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	case errors.As(err, &pgErr) && (pgErr.Code == pgUniqueViolation || pgErr.Code == pgCheckViolation || pgErr.Code == pgFKViolation):
		return domain.Errorf(domain.CodeConflict, "conflict.%s", pgErr.ConstraintName)
	case errors.As(err, &pgErr) && (pgErr.Code == pgBadEncoding || pgErr.Code == pgUntranslatable ||
		pgErr.Code == pgBadText || pgErr.Code == pgTooLarge):
		// The domain's checks refuse such input first, naming the field;
		// this keeps a path they miss a 400, never a 500.
		return domain.Errorf(domain.CodeMalformed, "error.malformed")
	}
	return fmt.Errorf("store: %s: %w", fmt.Sprintf(format, args...), err)
}

// isUndefinedTable reports whether err is SQLSTATE 42P01 (undefined_table).
func isUndefinedTable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42P01"
}

// retryAfterUnavailable is how long a client should wait after a 503.
const retryAfterUnavailable = 5

// errUnavailable is the answer when the database cannot serve: nothing
// was done, try again shortly.
func errUnavailable() error {
	return &domain.Error{Code: domain.CodeUnavailable, Message: "error.unavailable",
		Data: map[string]any{"Seconds": retryAfterUnavailable}}
}

// unavailable reports whether err says the database cannot serve now —
// it cannot be reached, is shutting down or starting, refuses more
// connections, is read-only (a standby, or a primary being switched
// over), or took longer than the statement or lock timeout allows —
// rather than that the request was wrong. A context's end is
// not: that is the caller's deadline (a timeout, a client gone).
func unavailable(err error) bool {
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) { // it could not connect, whatever the inner cause
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch c := pgErr.Code; {
		case strings.HasPrefix(c, "08"), // connection_exception
			c == "25006",                             // read_only_sql_transaction
			c == "57P01", c == "57P02", c == "57P03", // admin or crash shutdown, cannot connect now
			c == "53300", // too_many_connections
			c == "57014", // query_canceled: -db-statement-timeout
			c == "55P03": // lock_not_available: -db-lock-timeout
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) ||
		pgconn.SafeToRetry(err)
}

// domainUnavailable reports whether err is the store's CodeUnavailable.
func domainUnavailable(err error) bool { return domain.ErrorCode(err) == domain.CodeUnavailable }
