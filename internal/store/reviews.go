package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

const reviewCols = `id, request_id, round, quorum_percent, pass_rule, sealed, eligible, recused, opened_by,
	opened_at, deadline, closed_at, tally, reopening, reminded_at, outcome, remind_at, manual_reminded_at`

func scanReview(row pgx.CollectableRow) (domain.Review, error) {
	var (
		rv       domain.Review
		closed   *time.Time
		reminded *time.Time
		manual   *time.Time
		tally    []byte
		outcome  *string
	)
	err := row.Scan(&rv.ID, &rv.RequestID, &rv.Round, &rv.Policy.QuorumPercent, &rv.Policy.PassRule, &rv.Policy.SealedVotes,
		&rv.Eligible, &rv.Recused, &rv.OpenedBy, &rv.OpenedAt, &rv.Deadline, &closed, &tally, &rv.Reopening, &reminded, &outcome, &rv.RemindAt, &manual)
	if err != nil {
		return rv, err
	}
	rv.ClosedAt, rv.RemindedAt, rv.ManualRemindedAt = deref(closed), deref(reminded), deref(manual)
	rv.Cancelled = outcome != nil && *outcome == "cancelled"
	if tally != nil {
		rv.Tally = &domain.Tally{}
		if err := json.Unmarshal(tally, rv.Tally); err != nil {
			return rv, fmt.Errorf("decode tally of review %d: %w", rv.ID, err)
		}
	}
	if rv.Eligible == nil {
		rv.Eligible = []int64{}
	}
	return rv, nil
}

// hctOrganizationsSQL reads the HCT members through their partial index
// (memberships_hct_idx, migration 26) and each one's user by primary key:
// a join would scan every member of a large operation and every user.
var hctOrganizationsSQL = hctOrganizationsOf("$1")

// hctOrganizationsOf is the query of the HCT organisations of the
// operation whose id is the SQL expression op.
func hctOrganizationsOf(op string) string {
	return `SELECT DISTINCT x.org FROM (
	SELECT (SELECT u.organization_id FROM users u WHERE u.id = m.user_id AND u.disabled_at IS NULL) AS org
	FROM memberships m WHERE m.operation_id = ` + op + ` AND 'hct_member' = ANY (m.roles)) x
	WHERE x.org IS NOT NULL ORDER BY 1`
}

// HCTOrganizations returns the organisations of operation opID's enabled
// HCT members, each once.
func (s *Store) HCTOrganizations(ctx context.Context, opID int64) ([]int64, error) {
	rows, _ := s.db.Query(ctx, hctOrganizationsSQL, opID)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, dbErr(err, "HCT organisations of operation %d", opID)
}

// MembersWithRole returns the enabled members of operation opID holding
// role at at (an acting HC holds RoleHC during their period:
// memberships_at), optionally only those of the given organisations.
func (s *Store) MembersWithRole(ctx context.Context, opID int64, role domain.Role, orgs []int64, at time.Time) ([]int64, error) {
	rows, _ := s.db.Query(ctx, `SELECT u.id FROM memberships_at($4) m JOIN users u ON u.id = m.user_id
		WHERE m.operation_id = $1 AND $2 = ANY (m.roles) AND u.disabled_at IS NULL
		  AND ($3::bigint[] IS NULL OR u.organization_id = ANY ($3)) ORDER BY 1`, opID, string(role), orgs, at)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, dbErr(err, "members of operation %d with role %s", opID, role)
}

// InsertReview stores a new open review.
func (s *Store) InsertReview(ctx context.Context, rv domain.Review) (domain.Review, error) {
	rows, _ := s.db.Query(ctx, `INSERT INTO reviews (request_id, round, quorum_percent, pass_rule, sealed, eligible, recused,
		opened_by, opened_at, deadline, reopening, remind_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING `+reviewCols,
		rv.RequestID, rv.Round, rv.Policy.QuorumPercent, rv.Policy.PassRule, rv.Policy.SealedVotes, rv.Eligible, nonNil(rv.Recused),
		rv.OpenedBy, rv.OpenedAt, rv.Deadline, rv.Reopening, rv.RemindAt)
	out, err := pgx.CollectExactlyOneRow(rows, scanReview)
	return out, dbErr(err, "insert review of request %d", rv.RequestID)
}

func nonNil(s []int64) []int64 {
	if s == nil {
		return []int64{}
	}
	return s
}

const latestReviewSQL = `SELECT ` + reviewCols + ` FROM reviews WHERE request_id = $1 ORDER BY round DESC LIMIT 1`

const reviewsSQL = `SELECT ` + reviewCols + ` FROM reviews WHERE request_id = $1 ORDER BY round`

// ListReviews returns every review of request requestID, by round.
func (s *Store) ListReviews(ctx context.Context, requestID int64) ([]domain.Review, error) {
	rows, _ := s.db.Query(ctx, reviewsSQL, requestID)
	out, err := pgx.CollectRows(rows, scanReview)
	return out, dbErr(err, "reviews of request %d", requestID)
}

// LatestReview returns request requestID's most recent review, if any.
func (s *Store) LatestReview(ctx context.Context, requestID int64) (domain.Review, bool, error) {
	rows, _ := s.db.Query(ctx, latestReviewSQL, requestID)
	out, err := pgx.CollectExactlyOneRow(rows, scanReview)
	if err == pgx.ErrNoRows {
		return domain.Review{}, false, nil
	}
	return out, err == nil, dbErr(err, "latest review of request %d", requestID)
}

// CloseReview freezes review id: closed at, by (0 for the system), its
// outcome ("closed" or "cancelled") and tally (nil when cancelled).
func (s *Store) CloseReview(ctx context.Context, id int64, at time.Time, by int64, outcome string, tally *domain.Tally) error {
	var raw []byte
	if tally != nil {
		var err error
		if raw, err = json.Marshal(tally); err != nil {
			return err
		}
	}
	var closer *int64
	if by != 0 {
		closer = &by
	}
	_, err := s.db.Exec(ctx, `UPDATE reviews SET closed_at = $2, closed_by = $3, outcome = $4, tally = $5
		WHERE id = $1 AND closed_at IS NULL`, id, at, closer, outcome, raw)
	return dbErr(err, "close review %d", id)
}

// ClaimDueReviews returns, their rows locked for this transaction and
// skipping rows other transactions hold, up to limit requests whose open
// review's deadline has passed at now, earliest deadline first; requests
// in skip (already looked at in this run) are left out.
func (s *Store) ClaimDueReviews(ctx context.Context, now time.Time, limit int, skip []int64) ([]int64, error) {
	// The request row is locked, never the review's: every use case locks
	// a request before its review, and so does the job (one lock order).
	rows, _ := s.db.Query(ctx, `SELECT r.id FROM reviews v JOIN requests r ON r.id = v.request_id
		WHERE v.closed_at IS NULL AND v.deadline <= $1 AND r.id <> ALL ($3::bigint[])
		ORDER BY v.deadline LIMIT $2 FOR UPDATE OF r SKIP LOCKED`, now, limit, nonNil(skip))
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, dbErr(err, "due reviews")
}

// ClaimExpiredRequests returns, locked and skipping others' rows, up to
// limit requests in statuses whose required-by time has passed, the
// earliest need first within each status (the order of
// requests_status_required_idx, migration 000022: read in index order, a
// claim stops at limit rows instead of sorting every due request);
// requests in skip are left out.
func (s *Store) ClaimExpiredRequests(ctx context.Context, now time.Time, statuses []domain.Status, limit int, skip []int64) ([]int64, error) {
	st := make([]string, len(statuses))
	for i, x := range statuses {
		st[i] = string(x)
	}
	// One index range per status, each stopping at limit: with the
	// statuses in one "status = ANY" and a LIMIT, PostgreSQL picked a scan
	// of the whole table whenever its statistics still counted many due
	// rows (after a backlog was cleared: ~110 ms per claim, every run,
	// with nothing due); this plan reads only the due rows (~0.1 ms).
	rows, _ := s.db.Query(ctx, `SELECT l.id FROM unnest($1::text[]) s (status)
		CROSS JOIN LATERAL (SELECT id FROM requests
		                     WHERE status = s.status AND required_by <= $2 AND id <> ALL ($4::bigint[])
		                     ORDER BY required_by LIMIT $3 FOR UPDATE SKIP LOCKED) l
		LIMIT $3`, st, now, limit, nonNil(skip))
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, dbErr(err, "expired requests")
}

const voteCols = `v.review_id, v.organization_id, o.name, v.value, v.comment, v.cast_by, u.name, v.cast_at`

func scanVote(row pgx.CollectableRow) (domain.Vote, error) {
	var v domain.Vote
	err := row.Scan(&v.ReviewID, &v.OrganizationID, &v.OrgName, &v.Value, &v.Comment, &v.CastBy, &v.CastByName, &v.CastAt)
	return v, err
}

// ListVotes returns review reviewID's current votes, by organisation name.
func (s *Store) ListVotes(ctx context.Context, reviewID int64) ([]domain.Vote, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+voteCols+` FROM votes v JOIN organizations o ON o.id = v.organization_id
		JOIN users u ON u.id = v.cast_by WHERE v.review_id = $1 ORDER BY o.name`, reviewID)
	out, err := pgx.CollectRows(rows, scanVote)
	return out, dbErr(err, "votes of review %d", reviewID)
}

// VoteHistory returns every cast and change of review reviewID, in order.
func (s *Store) VoteHistory(ctx context.Context, reviewID int64) ([]domain.Vote, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+voteCols+` FROM vote_history v JOIN organizations o ON o.id = v.organization_id
		JOIN users u ON u.id = v.cast_by WHERE v.review_id = $1 ORDER BY v.id`, reviewID)
	out, err := pgx.CollectRows(rows, scanVote)
	return out, dbErr(err, "vote history of review %d", reviewID)
}

// SaveVote casts or changes an organisation's vote and appends it to the
// history; it reports whether the organisation had voted before.
func (s *Store) SaveVote(ctx context.Context, v domain.Vote) (changed bool, err error) {
	err = s.db.QueryRow(ctx, `INSERT INTO votes (review_id, organization_id, value, comment, cast_by, cast_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (review_id, organization_id) DO UPDATE SET value = $3, comment = $4, cast_by = $5, cast_at = $6
		RETURNING xmax <> 0`, v.ReviewID, v.OrganizationID, v.Value, v.Comment, v.CastBy, v.CastAt).Scan(&changed)
	if err != nil {
		return false, dbErr(err, "save vote")
	}
	_, err = s.db.Exec(ctx, `INSERT INTO vote_history (review_id, organization_id, value, comment, cast_by, cast_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, v.ReviewID, v.OrganizationID, v.Value, v.Comment, v.CastBy, v.CastAt)
	return changed, dbErr(err, "append vote history")
}

// OrganizationNames returns the names of the organisations ids.
func (s *Store) OrganizationNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	rows, err := s.db.Query(ctx, `SELECT id, name FROM organizations WHERE id = ANY ($1)`, ids)
	if err != nil {
		return nil, dbErr(err, "organisation names")
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var (
			id   int64
			name string
		)
		if err := rows.Scan(&id, &name); err != nil {
			return nil, dbErr(err, "organisation names")
		}
		out[id] = name
	}
	return out, dbErr(rows.Err(), "organisation names")
}

// InsertDecision stores the HC's decision.
func (s *Store) InsertDecision(ctx context.Context, d domain.Decision) (domain.Decision, error) {
	err := s.db.QueryRow(ctx, `INSERT INTO decisions (request_id, review_id, outcome, rationale, conditions, decided_by, decided_at, acting_hc_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, d.RequestID, d.ReviewID, string(d.Outcome), d.Rationale, d.Conditions,
		d.DecidedBy, d.DecidedAt, nullID(d.ActingHCID)).Scan(&d.ID)
	return d, dbErr(err, "insert decision")
}

const latestDecisionSQL = `SELECT d.id, d.request_id, d.review_id, d.outcome, d.rationale, d.conditions, d.decided_by, u.name, d.decided_at,
		coalesce(a.id, 0), coalesce(nb.name, ''), LEAST(a.ends_at, a.ended_at)
		FROM decisions d JOIN users u ON u.id = d.decided_by
		LEFT JOIN acting_hc a ON a.id = d.acting_hc_id LEFT JOIN users nb ON nb.id = a.named_by
		WHERE d.request_id = $1 ORDER BY d.id DESC LIMIT 1`

// LatestDecision returns request requestID's most recent decision, if any.
func (s *Store) LatestDecision(ctx context.Context, requestID int64) (domain.Decision, bool, error) {
	d, ok, err := scanDecision(s.db.QueryRow(ctx, latestDecisionSQL, requestID))
	return d, ok, dbErr(err, "latest decision of request %d", requestID)
}

// scanDecision reads a decision row, reporting whether there was one.
func scanDecision(row pgx.Row) (domain.Decision, bool, error) {
	var d domain.Decision
	var until *time.Time
	err := row.Scan(&d.ID, &d.RequestID, &d.ReviewID, &d.Outcome, &d.Rationale, &d.Conditions, &d.DecidedBy, &d.DecidedByName, &d.DecidedAt,
		&d.ActingHCID, &d.ActingNamedByName, &until)
	if err == pgx.ErrNoRows {
		return d, false, nil
	}
	if until != nil {
		d.ActingUntil = *until
	}
	return d, err == nil, err
}

// MarkRemindedManually records that an officer reminded the undecided
// organisations of open review id at now (domain.ActionRemindVoters).
func (s *Store) MarkRemindedManually(ctx context.Context, id int64, now time.Time) error {
	tag, err := s.db.Exec(ctx, `UPDATE reviews SET manual_reminded_at = $2 WHERE id = $1 AND closed_at IS NULL`, id, now)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return dbErr(err, "mark review %d reminded", id)
}
