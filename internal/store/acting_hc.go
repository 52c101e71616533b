package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// Acting HC periods (migration 36). Who holds the HC role because of one
// is never read here: memberships_at derives it for every reader of roles
// (membershipsSQL, MembersWithRole, JobFacts).

const actingHCCols = `a.id, a.operation_id, a.user_id, u.name, a.named_by, nb.name, a.starts_at, a.ends_at, a.reason, a.created_at,
	a.ended_at, coalesce(a.ended_by, 0), coalesce(eb.name, '')`

const actingHCJoins = ` JOIN users u ON u.id = a.user_id JOIN users nb ON nb.id = a.named_by
	LEFT JOIN users eb ON eb.id = a.ended_by`

const actingHCFrom = ` FROM acting_hc a` + actingHCJoins

func scanActingHC(row pgx.CollectableRow) (domain.ActingHC, error) {
	var (
		p     domain.ActingHC
		ended *time.Time
	)
	err := row.Scan(&p.ID, &p.OperationID, &p.UserID, &p.UserName, &p.NamedBy, &p.NamedByName, &p.StartsAt, &p.EndsAt,
		&p.Reason, &p.CreatedAt, &ended, &p.EndedBy, &p.EndedByName)
	if ended != nil {
		p.EndedAt = *ended
	}
	return p, err
}

// InsertActingHC stores period p and returns it as stored. A period
// overlapping another of the operation's is CodeConflict
// "acting_hc.overlap" (the exclusion constraint acting_hc_overlap).
func (s *Store) InsertActingHC(ctx context.Context, p domain.ActingHC) (domain.ActingHC, error) {
	rows, _ := s.db.Query(ctx, `WITH ins AS (
		INSERT INTO acting_hc (operation_id, user_id, named_by, starts_at, ends_at, reason, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *)
		SELECT `+actingHCCols+` FROM ins a`+actingHCJoins,
		p.OperationID, p.UserID, p.NamedBy, p.StartsAt, p.EndsAt, p.Reason, p.CreatedAt)
	out, err := pgx.CollectExactlyOneRow(rows, scanActingHC)
	return out, actingErr(err, "insert acting HC of operation %d", p.OperationID)
}

// actingErr is dbErr, with an overlap of periods as a conflict.
func actingErr(err error, format string, args ...any) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23P01" { // exclusion_violation
		return domain.Errorf(domain.CodeConflict, "acting_hc.overlap")
	}
	return dbErr(err, format, args...)
}

// ActingHCOverlaps reports whether operation opID has a period that would
// overlap [start, end): the check before the constraint, for a message
// on the form's field.
func (s *Store) ActingHCOverlaps(ctx context.Context, opID int64, start, end time.Time) (bool, error) {
	var ok bool
	err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM acting_hc WHERE operation_id = $1
		AND tstzrange(starts_at, GREATEST(starts_at, LEAST(ends_at, ended_at))) && tstzrange($2, $3))`, opID, start, end).Scan(&ok)
	return ok, dbErr(err, "acting HC overlaps in operation %d", opID)
}

// ListActingHC returns operation opID's periods not over at at (running
// or to come), then those over since, the latest first, at most limit
// in all.
func (s *Store) ListActingHC(ctx context.Context, opID int64, at time.Time, limit int) ([]domain.ActingHC, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+actingHCCols+actingHCFrom+` WHERE a.operation_id = $1
		ORDER BY ($2 >= LEAST(a.ends_at, a.ended_at)), CASE WHEN $2 < LEAST(a.ends_at, a.ended_at) THEN a.starts_at END,
		         a.starts_at DESC, a.id DESC LIMIT $3`, opID, at, limit)
	out, err := pgx.CollectRows(rows, scanActingHC)
	return out, dbErr(err, "list acting HC of operation %d", opID)
}

// LockActingHC returns period id of operation opID, holding its row lock
// until the transaction ends; CodeNotFound when the operation has none.
func (s *Store) LockActingHC(ctx context.Context, opID, id int64) (domain.ActingHC, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+actingHCCols+actingHCFrom+` WHERE a.operation_id = $1 AND a.id = $2 FOR UPDATE OF a`, opID, id)
	out, err := pgx.CollectExactlyOneRow(rows, scanActingHC)
	return out, dbErr(err, "lock acting HC %d", id)
}

// EndActingHC ends period id early at at, by user by.
func (s *Store) EndActingHC(ctx context.Context, id, by int64, at time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE acting_hc SET ended_at = $2, ended_by = $3 WHERE id = $1`, id, at, by)
	return actingErr(err, "end acting HC %d", id)
}
