package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// ActionLinkRow is one link to store: the link and its secret's hash.
type ActionLinkRow struct {
	Link domain.ActionLink
	Hash []byte
}

// InsertActionLinks stores links, all in one statement.
func (s *Store) InsertActionLinks(ctx context.Context, rows []ActionLinkRow) error {
	if len(rows) == 0 {
		return nil
	}
	var (
		hashes               = make([][]byte, len(rows))
		users, reqs, reviews = make([]int64, len(rows)), make([]int64, len(rows)), make([]int64, len(rows))
		rounds               = make([]int32, len(rows))
		purposes, values     = make([]string, len(rows)), make([]string, len(rows))
		created, expires     = make([]time.Time, len(rows)), make([]time.Time, len(rows))
	)
	for i, r := range rows {
		l := r.Link
		hashes[i], users[i], reqs[i], reviews[i], rounds[i] = r.Hash, l.UserID, l.RequestID, l.ReviewID, int32(l.Round)
		purposes[i], values[i], created[i], expires[i] = string(l.Purpose), l.Value, l.CreatedAt, l.ExpiresAt
	}
	_, err := s.db.Exec(ctx, `INSERT INTO action_links
		(secret_hash, user_id, request_id, review_id, round, purpose, value, created_at, expires_at)
		SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::bigint[], $4::bigint[], $5::int[], $6::text[], $7::text[],
		                     $8::timestamptz[], $9::timestamptz[])`,
		hashes, users, reqs, reviews, rounds, purposes, values, created, expires)
	return dbErr(err, "insert action links")
}

const actionLinkCols = `id, user_id, request_id, review_id, round, purpose, value, created_at, expires_at, used_at`

func scanActionLink(row pgx.CollectableRow) (domain.ActionLink, error) {
	var (
		l    domain.ActionLink
		used *time.Time
	)
	err := row.Scan(&l.ID, &l.UserID, &l.RequestID, &l.ReviewID, &l.Round, &l.Purpose, &l.Value, &l.CreatedAt, &l.ExpiresAt, &used)
	l.UsedAt = deref(used)
	return l, err
}

// ActionLink returns the link stored by hash; CodeNotFound when none is.
// A use locks it by its ID after the request (LockActionLink).
func (s *Store) ActionLink(ctx context.Context, hash []byte) (domain.ActionLink, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+actionLinkCols+` FROM action_links WHERE secret_hash = $1`, hash)
	l, err := pgx.CollectExactlyOneRow(rows, scanActionLink)
	return l, dbErr(err, "action link")
}

// LockActionLink locks link id in the caller's transaction and returns it
// as it now is (its use may have been recorded meanwhile).
func (s *Store) LockActionLink(ctx context.Context, id int64) (domain.ActionLink, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+actionLinkCols+` FROM action_links WHERE id = $1 FOR UPDATE`, id)
	l, err := pgx.CollectExactlyOneRow(rows, scanActionLink)
	return l, dbErr(err, "lock action link %d", id)
}

// SpendActionLinks marks link l used, and with it every unused link of
// the same user, review and purpose (the other values of one e-mail, and
// those of earlier e-mails for the same round).
func (s *Store) SpendActionLinks(ctx context.Context, l domain.ActionLink, now time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE action_links SET used_at = $4
		WHERE review_id = $1 AND user_id = $2 AND purpose = $3 AND used_at IS NULL`,
		l.ReviewID, l.UserID, string(l.Purpose), now)
	return dbErr(err, "spend action links")
}

// PruneActionLinks deletes links that expired before cutoff: past their
// expiry a link refuses whatever it finds, so keeping it says nothing.
func (s *Store) PruneActionLinks(ctx context.Context, cutoff time.Time) (int64, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM action_links WHERE expires_at < $1`, cutoff)
	return tag.RowsAffected(), dbErr(err, "prune action links")
}

// EndUserLinks ends every credential user userID's e-mails carry: their
// unused action links are spent and their reply addresses deleted, so
// that re-enabling a disabled account revives none (as its sessions and
// API tokens stay ended).
func (s *Store) EndUserLinks(ctx context.Context, userID int64, now time.Time) error {
	if _, err := s.db.Exec(ctx, `UPDATE action_links SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`, userID, now); err != nil {
		return dbErr(err, "spend the action links of user %d", userID)
	}
	_, err := s.db.Exec(ctx, `DELETE FROM reply_tokens WHERE user_id = $1`, userID)
	return dbErr(err, "delete the reply addresses of user %d", userID)
}
