package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// InsertReplyTokens stores every token of ts in one statement, whatever
// their number (the notifier's batch of e-mails).
func (s *Store) InsertReplyTokens(ctx context.Context, ts []domain.ReplyToken) error {
	if len(ts) == 0 {
		return nil
	}
	var (
		hashes  = make([][]byte, len(ts))
		users   = make([]int64, len(ts))
		reqs    = make([]int64, len(ts))
		created = make([]time.Time, len(ts))
		expires = make([]time.Time, len(ts))
	)
	for i, t := range ts {
		hashes[i], users[i], reqs[i], created[i], expires[i] = t.Hash, t.UserID, t.RequestID, t.CreatedAt, t.ExpiresAt
	}
	_, err := s.db.Exec(ctx, `INSERT INTO reply_tokens (token_hash, user_id, request_id, created_at, expires_at)
		SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::bigint[], $4::timestamptz[], $5::timestamptz[])`,
		hashes, users, reqs, created, expires)
	return dbErr(err, "insert %d reply tokens", len(ts))
}

const replyTokenCols = `token_hash, user_id, request_id, created_at, expires_at, used_count`

func scanReplyToken(row pgx.CollectableRow) (domain.ReplyToken, error) {
	var t domain.ReplyToken
	err := row.Scan(&t.Hash, &t.UserID, &t.RequestID, &t.CreatedAt, &t.ExpiresAt, &t.UsedCount)
	return t, err
}

// GetReplyToken returns the reply token whose SHA-256 is hash, expired
// or not; CodeNotFound when there is none.
func (s *Store) GetReplyToken(ctx context.Context, hash []byte) (domain.ReplyToken, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+replyTokenCols+` FROM reply_tokens WHERE token_hash = $1`, hash)
	t, err := pgx.CollectExactlyOneRow(rows, scanReplyToken)
	return t, dbErr(err, "get reply token")
}

// MarkReplyTokenUsed counts one more reply received through the token
// whose SHA-256 is hash, at now.
func (s *Store) MarkReplyTokenUsed(ctx context.Context, hash []byte, now time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE reply_tokens SET used_count = used_count + 1, last_used_at = $2 WHERE token_hash = $1`, hash, now)
	return dbErr(err, "mark reply token used")
}

// PruneReplyTokens removes the reply tokens expired at now.
func (s *Store) PruneReplyTokens(ctx context.Context, now time.Time) error {
	_, err := s.db.Exec(ctx, `DELETE FROM reply_tokens WHERE expires_at <= $1`, now)
	return dbErr(err, "prune reply tokens")
}
