package store

import (
	"context"
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

const apiTokenCols = `id, user_id, name, prefix, created_at, last_used_at, revoked_at`

func scanAPIToken(row pgx.CollectableRow) (domain.APIToken, error) {
	var t domain.APIToken
	err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
	return t, err
}

// CreateAPIToken stores a token by the SHA-256 of its secret.
func (s *Store) CreateAPIToken(ctx context.Context, userID int64, name, prefix string, secretHash []byte, now time.Time) (domain.APIToken, error) {
	rows, _ := s.db.Query(ctx,
		`INSERT INTO api_tokens (user_id, name, prefix, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)
		 RETURNING `+apiTokenCols, userID, name, prefix, secretHash, now)
	out, err := pgx.CollectExactlyOneRow(rows, scanAPIToken)
	return out, dbErr(err, "create api token")
}

// UseAPIToken finds the live token with this secret hash, records its use
// (at most once a minute, to spare writes) and returns it. A revoked,
// unknown or disabled user's token is CodeNotFound.
func (s *Store) UseAPIToken(ctx context.Context, secretHash []byte, now time.Time) (domain.APIToken, error) {
	rows, _ := s.db.Query(ctx,
		`UPDATE api_tokens t SET last_used_at = CASE
		        WHEN t.last_used_at IS NULL OR t.last_used_at < $2::timestamptz - interval '1 minute' THEN $2::timestamptz ELSE t.last_used_at END
		 FROM users u
		 WHERE t.secret_hash = $1 AND t.revoked_at IS NULL AND u.id = t.user_id AND u.disabled_at IS NULL
		 RETURNING t.id, t.user_id, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at`, secretHash, now)
	out, err := pgx.CollectExactlyOneRow(rows, scanAPIToken)
	return out, dbErr(err, "use api token")
}

// ListAPITokens returns user userID's tokens, newest first.
func (s *Store) ListAPITokens(ctx context.Context, userID int64) ([]domain.APIToken, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+apiTokenCols+` FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, userID)
	out, err := pgx.CollectRows(rows, scanAPIToken)
	return out, dbErr(err, "list api tokens")
}

// RevokeAPIToken revokes token id of user userID. Another user's token is
// CodeNotFound.
func (s *Store) RevokeAPIToken(ctx context.Context, userID, id int64, now time.Time) error {
	tag, err := s.db.Exec(ctx,
		`UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $3) WHERE id = $1 AND user_id = $2`, id, userID, now)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return dbErr(err, "revoke api token %d", id)
}

// RevokeAllAPITokens revokes every live token of user userID.
func (s *Store) RevokeAllAPITokens(ctx context.Context, userID int64, now time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, userID, now)
	return dbErr(err, "revoke api tokens of user %d", userID)
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
