package store

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// Factor is a user's stored TOTP factor.
type Factor struct {
	UserID       int64
	Secret       string
	CreatedAt    time.Time
	ConfirmedAt  *time.Time
	LastUsedStep int64
}

const factorCols = `user_id, secret, created_at, confirmed_at, last_used_step`

func scanFactor(row pgx.CollectableRow) (Factor, error) {
	var f Factor
	err := row.Scan(&f.UserID, &f.Secret, &f.CreatedAt, &f.ConfirmedAt, &f.LastUsedStep)
	return f, err
}

// GetFactor returns user userID's factor, confirmed or pending, locking
// its row until the transaction ends when lock is true; CodeNotFound when
// there is none.
func (s *Store) GetFactor(ctx context.Context, userID int64, lock bool) (Factor, error) {
	q := `SELECT ` + factorCols + ` FROM user_factors WHERE user_id = $1`
	if lock {
		q += ` FOR UPDATE`
	}
	rows, _ := s.db.Query(ctx, q, userID)
	out, err := pgx.CollectExactlyOneRow(rows, scanFactor)
	return out, dbErr(err, "factor of user %d", userID)
}

// SavePendingFactor stores a new pending (unconfirmed) factor for user
// userID, replacing a pending one; a confirmed factor is left as it is
// and is CodeConflict.
func (s *Store) SavePendingFactor(ctx context.Context, userID int64, secret string, now time.Time) (Factor, error) {
	rows, _ := s.db.Query(ctx,
		`INSERT INTO user_factors (user_id, secret, created_at) VALUES ($1, $2, $3)
		 ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = EXCLUDED.created_at,
		        last_used_step = 0
		   WHERE user_factors.confirmed_at IS NULL
		 RETURNING `+factorCols, userID, secret, now)
	out, err := pgx.CollectExactlyOneRow(rows, scanFactor)
	if domain.ErrorCode(dbErr(err, "")) == domain.CodeNotFound {
		return Factor{}, domain.Errorf(domain.CodeConflict, "factor.already_enrolled")
	}
	return out, dbErr(err, "save pending factor of user %d", userID)
}

// ConfirmFactor marks user userID's factor confirmed at now, with step
// as its last used step.
func (s *Store) ConfirmFactor(ctx context.Context, userID, step int64, now time.Time) error {
	_, err := s.db.Exec(ctx,
		`UPDATE user_factors SET confirmed_at = $3, last_used_step = $2 WHERE user_id = $1`, userID, step, now)
	return dbErr(err, "confirm factor of user %d", userID)
}

// UseFactorStep records step as user userID's last accepted TOTP step.
func (s *Store) UseFactorStep(ctx context.Context, userID, step int64) error {
	_, err := s.db.Exec(ctx,
		`UPDATE user_factors SET last_used_step = greatest(last_used_step, $2) WHERE user_id = $1`, userID, step)
	return dbErr(err, "use factor step of user %d", userID)
}

// DeleteFactor removes user userID's factor and its recovery codes.
func (s *Store) DeleteFactor(ctx context.Context, userID int64) error {
	_, err := s.db.Exec(ctx, `DELETE FROM user_factors WHERE user_id = $1`, userID)
	return dbErr(err, "delete factor of user %d", userID)
}

// ReplaceRecoveryCodes replaces user userID's recovery codes by the ones
// with hashes.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte, now time.Time) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return dbErr(err, "delete recovery codes of user %d", userID)
	}
	_, err := s.db.Exec(ctx,
		`INSERT INTO recovery_codes (user_id, code_hash, created_at) SELECT $1, h, $3 FROM unnest($2::bytea[]) AS h`,
		userID, hashes, now)
	return dbErr(err, "insert recovery codes of user %d", userID)
}

// UseRecoveryCode marks user userID's unused recovery code with hash used
// at now and reports whether there was one: a code works once, even when
// two requests send it together.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, hash []byte, now time.Time) (bool, error) {
	tag, err := s.db.Exec(ctx,
		`UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, userID, hash, now)
	if err != nil {
		return false, dbErr(err, "use recovery code of user %d", userID)
	}
	return tag.RowsAffected() == 1, nil
}

// SecondFactorOf returns user userID's factor as the pages show it
// (Required left for the caller's rule).
func (s *Store) SecondFactorOf(ctx context.Context, userID int64) (domain.SecondFactor, error) {
	var (
		out       domain.SecondFactor
		confirmed *time.Time
	)
	err := s.db.QueryRow(ctx,
		`SELECT f.confirmed_at,
		        (SELECT count(*) FROM recovery_codes c WHERE c.user_id = f.user_id AND c.used_at IS NULL)
		 FROM user_factors f WHERE f.user_id = $1 AND f.confirmed_at IS NOT NULL`, userID).Scan(&confirmed, &out.RecoveryLeft)
	if err == pgx.ErrNoRows {
		return out, nil
	}
	if err != nil {
		return out, dbErr(err, "second factor of user %d", userID)
	}
	out.Enrolled, out.ConfirmedAt = true, *confirmed
	return out, nil
}

// UserWithFactor returns user id (as GetUser), their memberships (as
// ListMemberships) and whether they have a confirmed second factor, in
// one round trip: all an API token's request needs to know who is asking
// and whether they still meet the second-factor rule.
func (s *Store) UserWithFactor(ctx context.Context, id int64, at time.Time) (domain.User, []domain.Membership, bool, error) {
	c := s.cached()
	key := strconv.FormatInt(id, 10)
	var g uint64
	if c != nil {
		if e, ok := c.get(kindUser, key); ok {
			u, ms, has := e.(cachedUser).copies()
			return u, ms, has, nil
		}
		g = c.gen(kindUser)
	}
	b := &pgx.Batch{}
	w := queueUserWithFactor(b, id, at)
	err := s.db.SendBatch(ctx, b).Close()
	if err == nil && c != nil && !timeBound(w.memberships) {
		cu := cachedUser{user: w.user, memberships: w.memberships, hasFactor: w.hasFactor}
		c.put(kindUser, g, key, cu, 0)
		u, ms, has := cu.copies() // the cached copy stays the cache's
		return u, ms, has, nil
	}
	return w.user, w.memberships, w.hasFactor, dbErr(err, "get user %d with factor", id)
}

// userWithFactor is what queueUserWithFactor reads.
type userWithFactor struct {
	user        domain.User
	memberships []domain.Membership
	hasFactor   bool
}

// queueUserWithFactor queues on b the reads of user id, their memberships
// and whether they have a confirmed second factor, into the result it
// returns (filled when the batch is sent).
func queueUserWithFactor(b *pgx.Batch, id int64, at time.Time) *userWithFactor {
	out := &userWithFactor{}
	b.Queue(`SELECT `+userCols+` FROM users WHERE id = $1`, id).Query(func(rows pgx.Rows) (err error) {
		out.user, err = pgx.CollectExactlyOneRow(rows, scanUser)
		return err
	})
	b.Queue(membershipsSQL, id, at).Query(func(rows pgx.Rows) (err error) {
		out.memberships, err = collectMemberships(rows, id)
		return err
	})
	b.Queue(hasFactorSQL, id).QueryRow(func(row pgx.Row) error { return row.Scan(&out.hasFactor) })
	return out
}

// hasFactorSQL says whether user $1 has a confirmed second factor.
const hasFactorSQL = `SELECT EXISTS (SELECT 1 FROM user_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL)`

// EndUserSessions bumps user userID's session epoch: every session of
// theirs ends at its next request.
func (s *Store) EndUserSessions(ctx context.Context, userID int64, now time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE users SET session_epoch = session_epoch + 1, updated_at = $2 WHERE id = $1`, userID, now)
	return dbErr(err, "end sessions of user %d", userID)
}
