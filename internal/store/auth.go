package store

import (
	"context"
	"encoding/hex"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

const apiTokenCols = `id, user_id, name, prefix, created_at, last_used_at, revoked_at, scope, expires_at`

func scanAPIToken(row pgx.CollectableRow) (domain.APIToken, error) {
	var t domain.APIToken
	err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt, &t.Scope, &t.ExpiresAt)
	return t, err
}

// CreateAPIToken stores token t of user t.UserID (name, prefix, scope,
// expiry) by the SHA-256 of its secret.
func (s *Store) CreateAPIToken(ctx context.Context, t domain.APIToken, secretHash []byte) (domain.APIToken, error) {
	rows, _ := s.db.Query(ctx,
		`INSERT INTO api_tokens (user_id, name, prefix, secret_hash, created_at, scope, expires_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)
		 RETURNING `+apiTokenCols, t.UserID, t.Name, t.Prefix, secretHash, t.CreatedAt, t.Scope, t.ExpiresAt)
	out, err := pgx.CollectExactlyOneRow(rows, scanAPIToken)
	return out, dbErr(err, "create api token")
}

// UseAPIToken finds the live token with this secret hash, records its use
// (at most once a minute, to spare writes) and returns it. A revoked,
// expired, unknown or disabled user's token is CodeNotFound.
//
// Reading a token needs no writable database: the use is written only
// when a minute has passed since the last one written, and a database
// that refuses the write (read-only, failing over) does not refuse the
// token — a GET still answers.
func (s *Store) UseAPIToken(ctx context.Context, secretHash []byte, now time.Time) (domain.APIToken, error) {
	// With a cache, a token used within the last minute, unexpired, costs
	// no round trip (a revocation, its user's change, forgets it).
	c := s.cached()
	var key string
	var g uint64
	if c != nil {
		key = hex.EncodeToString(secretHash)
		if e, ok := c.get(kindToken, key); ok {
			t := e.(domain.APIToken)
			if (t.ExpiresAt == nil || t.ExpiresAt.After(now)) && t.LastUsedAt != nil && !t.LastUsedAt.Before(now.Add(-time.Minute)) {
				return t, nil
			}
		}
		g = c.gen(kindToken)
	}
	out, err := s.useAPIToken(ctx, secretHash, now)
	if err == nil && c != nil && out.LastUsedAt != nil {
		c.put(kindToken, g, key, out, out.UserID)
	}
	return out, err
}

func (s *Store) useAPIToken(ctx context.Context, secretHash []byte, now time.Time) (domain.APIToken, error) {
	rows, _ := s.db.Query(ctx,
		`SELECT t.id, t.user_id, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at, t.scope, t.expires_at
		 FROM api_tokens t JOIN users u ON u.id = t.user_id
		 WHERE t.secret_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)
		   AND u.disabled_at IS NULL`, secretHash, now)
	out, err := pgx.CollectExactlyOneRow(rows, scanAPIToken)
	if err != nil {
		return out, dbErr(err, "use api token")
	}
	if out.LastUsedAt != nil && !out.LastUsedAt.Before(now.Add(-time.Minute)) {
		return out, nil
	}
	_, err = s.db.Exec(ctx, `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1
		AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')`, out.ID, now)
	switch {
	case err == nil:
		out.LastUsedAt = &now
	case !unavailable(err):
		return out, dbErr(err, "record use of api token %d", out.ID)
	}
	return out, nil
}

// ListAPITokens returns user userID's tokens, newest first.
func (s *Store) ListAPITokens(ctx context.Context, userID int64) ([]domain.APIToken, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+apiTokenCols+` FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, userID)
	out, err := pgx.CollectRows(rows, scanAPIToken)
	return out, dbErr(err, "list api tokens")
}

// RevokeAPITokensOf revokes the unrevoked tokens of user userID whose IDs
// are in ids and returns them. When it revokes none and one of ids names
// no token of the user, it is CodeNotFound (another user's token is
// missing, not forbidden).
func (s *Store) RevokeAPITokensOf(ctx context.Context, userID int64, ids []int64, now time.Time) ([]domain.APIToken, error) {
	rows, _ := s.db.Query(ctx,
		`UPDATE api_tokens SET revoked_at = $3 WHERE user_id = $1 AND id = ANY($2) AND revoked_at IS NULL
		 RETURNING `+apiTokenCols, userID, ids, now)
	out, err := pgx.CollectRows(rows, scanAPIToken)
	if err != nil || len(out) > 0 {
		return out, dbErr(err, "revoke api tokens of user %d", userID)
	}
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM api_tokens WHERE user_id = $1 AND id = ANY($2)`, userID, ids).Scan(&n); err != nil {
		return nil, dbErr(err, "count api tokens of user %d", userID)
	}
	if n < len(ids) {
		return nil, dbErr(pgx.ErrNoRows, "revoke api tokens of user %d", userID)
	}
	return nil, nil
}

// RevokeAPITokensExcept revokes every unrevoked token of user userID but
// those whose IDs are in keep (none: all), and returns those it revoked.
func (s *Store) RevokeAPITokensExcept(ctx context.Context, userID int64, keep []int64, now time.Time) ([]domain.APIToken, error) {
	if keep == nil {
		keep = []int64{}
	}
	rows, _ := s.db.Query(ctx,
		`UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL AND NOT (id = ANY($3))
		 RETURNING `+apiTokenCols, userID, now, keep)
	out, err := pgx.CollectRows(rows, scanAPIToken)
	return out, dbErr(err, "revoke api tokens of user %d", userID)
}

// EndSessions moves user userID's session epoch on, which ends every
// session begun before (the faces compare a session's epoch with the
// user's on every request), and returns the new epoch.
// It leaves updated_at alone: the profile an administrator edits is
// unchanged.
func (s *Store) EndSessions(ctx context.Context, userID int64) (int64, error) {
	var epoch int64
	err := s.db.QueryRow(ctx,
		`UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1 RETURNING session_epoch`,
		userID).Scan(&epoch)
	return epoch, dbErr(err, "end sessions of user %d", userID)
}

// CreatePasswordLink stores a one-time set-password link by its secret's
// hash, and invalidates the user's earlier unused links.
func (s *Store) CreatePasswordLink(ctx context.Context, userID int64, secretHash []byte, now, expires time.Time) error {
	if _, err := s.db.Exec(ctx,
		`UPDATE password_links SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`, userID, now); err != nil {
		return dbErr(err, "expire password links")
	}
	_, err := s.db.Exec(ctx,
		`INSERT INTO password_links (secret_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		secretHash, userID, now, expires)
	return dbErr(err, "create password link")
}

// PasswordLinkUser returns the user a live (unused, unexpired) link
// belongs to, locking the link when lock is true (inside a transaction).
func (s *Store) PasswordLinkUser(ctx context.Context, secretHash []byte, now time.Time, lock bool) (int64, error) {
	q := `SELECT user_id FROM password_links WHERE secret_hash = $1 AND used_at IS NULL AND expires_at > $2`
	if lock {
		q += ` FOR UPDATE`
	}
	var id int64
	err := s.db.QueryRow(ctx, q, secretHash, now).Scan(&id)
	if err != nil {
		return 0, dbErr(err, "password link")
	}
	return id, nil
}

// UsePasswordLink marks a link used.
func (s *Store) UsePasswordLink(ctx context.Context, secretHash []byte, now time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE password_links SET used_at = $2 WHERE secret_hash = $1`, secretHash, now)
	return dbErr(err, "use password link")
}

// PruneSessions deletes sessions that have expired.
func (s *Store) PruneSessions(ctx context.Context, now time.Time) error {
	_, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE expiry < $1`, now)
	return dbErr(err, "prune sessions")
}
