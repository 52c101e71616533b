package store

import (
	"errors"
	"fmt"

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
)

// dbErr translates a database error into a *domain.Error where the cause
// is the caller's (a missing row, a broken unique or check constraint) and
// wraps anything else with context. dbErr(nil, …) is nil.
func dbErr(err error, format string, args ...any) error {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
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
