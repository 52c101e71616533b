package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// The deadline job's set-based statements: after a claim has locked a
// batch of requests (ClaimDueReviews, ClaimReminderRequests,
// ClaimExpiredRequests), JobFacts reads what the domain decides on for
// all of them in one round trip, and the job writes what it decided with
// one statement per kind (UpdateRequestStates, CloseReviews,
// MarkRemindedAll, InsertEvents, InsertNotices), whatever the batch's
// size. Each must run in the claim's transaction.

// Member is one enabled member of an operation, with the roles they
// hold in it.
type Member struct {
	OperationID    int64
	UserID         int64
	OrganizationID int64
	Roles          []domain.Role
}

// JobFacts are what the deadline job reads of the requests it claimed,
// read after their rows were locked (a read in the claim's own statement
// would see the snapshot taken before the locks, and miss a vote or an
// event committed just before).
type JobFacts struct {
	Requests []domain.Request // by ID
	// Reviews holds each request's latest review (as LatestReview), by
	// request ID.
	Reviews map[int64]domain.Review
	// Votes holds the current votes of the open reviews among them (as
	// ListVotes: by organisation name), by review ID.
	Votes map[int64][]domain.Vote
	// Last holds each request's newest event (its chain's last link; as
	// LastEvent, with its sequence and hash only), by request ID; a
	// request without events has none.
	Last map[int64]*domain.Event
	// Members are the enabled members of the requests' operations holding
	// any of the roles asked for, by operation then user ID.
	Members []Member
}

// MembersWithRole returns, from f.Members, what Store.MembersWithRole
// returns: operation opID's members holding role, only those of orgs
// when orgs is not nil, by user ID.
func (f JobFacts) MembersWithRole(opID int64, role domain.Role, orgs []int64) []int64 {
	var out []int64
	for _, m := range f.Members {
		if m.OperationID == opID && slices.Contains(m.Roles, role) && (orgs == nil || slices.Contains(orgs, m.OrganizationID)) {
			out = append(out, m.UserID)
		}
	}
	return out
}

// JobFacts reads JobFacts of requests ids (locked by the caller's
// transaction) in one batch; roles are the roles whose holders it reads
// (Members), as they stand at at.
func (s *Store) JobFacts(ctx context.Context, ids []int64, roles []domain.Role, at time.Time) (JobFacts, error) {
	out := JobFacts{Reviews: map[int64]domain.Review{}, Votes: map[int64][]domain.Vote{}, Last: map[int64]*domain.Event{}}
	if len(ids) == 0 {
		return out, nil
	}
	rs := make([]string, len(roles))
	for i, r := range roles {
		rs[i] = string(r)
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT `+requestCols+requestFrom+` WHERE r.id = ANY ($1) ORDER BY r.id`, ids).Query(func(rows pgx.Rows) (err error) {
		out.Requests, err = pgx.CollectRows(rows, scanRequest)
		return err
	})
	b.Queue(`SELECT DISTINCT ON (request_id) `+reviewCols+` FROM reviews WHERE request_id = ANY ($1)
		ORDER BY request_id, round DESC`, ids).Query(func(rows pgx.Rows) error {
		rvs, err := pgx.CollectRows(rows, scanReview)
		for _, rv := range rvs {
			out.Reviews[rv.RequestID] = rv
		}
		return err
	})
	b.Queue(`SELECT `+voteCols+` FROM votes v JOIN organizations o ON o.id = v.organization_id
		JOIN users u ON u.id = v.cast_by
		WHERE v.review_id IN (SELECT id FROM reviews WHERE request_id = ANY ($1) AND closed_at IS NULL)
		ORDER BY v.review_id, o.name`, ids).Query(func(rows pgx.Rows) error {
		votes, err := pgx.CollectRows(rows, scanVote)
		for _, v := range votes {
			out.Votes[v.ReviewID] = append(out.Votes[v.ReviewID], v)
		}
		return err
	})
	b.Queue(`SELECT x.id, e.seq, e.hash FROM unnest($1::bigint[]) AS x (id)
		CROSS JOIN LATERAL (SELECT seq, hash FROM events WHERE request_id = x.id ORDER BY seq DESC LIMIT 1) e`, ids).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			e := &domain.Event{}
			if err := rows.Scan(&e.RequestID, &e.Seq, &e.Hash); err != nil {
				return err
			}
			out.Last[e.RequestID] = e
		}
		return rows.Err()
	})
	b.Queue(`SELECT m.operation_id, u.id, u.organization_id, m.roles FROM memberships_at($3) m JOIN users u ON u.id = m.user_id
		WHERE m.operation_id IN (SELECT operation_id FROM requests WHERE id = ANY ($1))
		  AND m.roles && $2::text[] AND u.disabled_at IS NULL
		ORDER BY m.operation_id, u.id`, ids, rs, at).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var (
				m     Member
				roles []string
			)
			if err := rows.Scan(&m.OperationID, &m.UserID, &m.OrganizationID, &roles); err != nil {
				return err
			}
			for _, r := range roles {
				m.Roles = append(m.Roles, domain.Role(r))
			}
			out.Members = append(out.Members, m)
		}
		return rows.Err()
	})
	err := s.db.SendBatch(ctx, b).Close()
	return out, dbErr(err, "facts of %d claimed requests", len(ids))
}

// UpdateRequestStates writes, in one statement, the workflow state of
// each of rs (locked by the caller) as a system step leaves it
// (domain.Request.ApplySystem): status, its reason, version and time of
// change. Every one must exist.
func (s *Store) UpdateRequestStates(ctx context.Context, rs []domain.Request) error {
	if len(rs) == 0 {
		return nil
	}
	var (
		ids      = make([]int64, len(rs))
		statuses = make([]string, len(rs))
		reasons  = make([]string, len(rs))
		codes    = make([]string, len(rs))
		versions = make([]int32, len(rs))
		at       = make([]time.Time, len(rs))
	)
	for i, r := range rs {
		ids[i], statuses[i], reasons[i], codes[i] = r.ID, string(r.Status), r.StatusReason, string(r.StatusReasonCode)
		versions[i], at[i] = int32(r.Version), r.UpdatedAt
	}
	tag, err := s.db.Exec(ctx, `UPDATE requests r SET status = x.status, status_reason = x.reason,
		status_reason_code = x.code, version = x.version, updated_at = x.at
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[])
		  AS x (id, status, reason, code, version, at)
		WHERE r.id = x.id`, ids, statuses, reasons, codes, versions, at)
	if err != nil {
		return dbErr(err, "update %d requests", len(rs))
	}
	if int(tag.RowsAffected()) != len(rs) {
		return fmt.Errorf("store: updated %d of %d requests", tag.RowsAffected(), len(rs))
	}
	return nil
}

// ReviewClose is one review the system closes (as CloseReview with no
// closer): its outcome, "closed" with its tally or "cancelled" without.
type ReviewClose struct {
	ID      int64
	Outcome string
	Tally   *domain.Tally
}

// CloseReviews closes every open review of cs at at, by the system, in
// one statement.
func (s *Store) CloseReviews(ctx context.Context, cs []ReviewClose, at time.Time) error {
	if len(cs) == 0 {
		return nil
	}
	var (
		ids      = make([]int64, len(cs))
		outcomes = make([]string, len(cs))
		tallies  = make([]*string, len(cs))
	)
	for i, c := range cs {
		ids[i], outcomes[i] = c.ID, c.Outcome
		if c.Tally != nil {
			raw, err := json.Marshal(c.Tally)
			if err != nil {
				return err
			}
			t := string(raw)
			tallies[i] = &t
		}
	}
	_, err := s.db.Exec(ctx, `UPDATE reviews v SET closed_at = $4, closed_by = NULL, outcome = x.outcome, tally = x.tally::jsonb
		FROM unnest($1::bigint[], $2::text[], $3::text[]) AS x (id, outcome, tally)
		WHERE v.id = x.id AND v.closed_at IS NULL`, ids, outcomes, tallies, at)
	return dbErr(err, "close %d reviews", len(cs))
}

// ClaimReminderRequests returns, their rows locked for this transaction
// and skipping rows other transactions hold, up to limit requests whose
// open review is due its reminder: not yet reminded, its reminder time
// (Review.RemindAt, fixed at opening) come, before its deadline; the
// earliest reminder first. The request row is locked, never the review's,
// as ClaimDueReviews.
func (s *Store) ClaimReminderRequests(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	rows, _ := s.db.Query(ctx, `SELECT r.id FROM reviews v JOIN requests r ON r.id = v.request_id
		WHERE v.closed_at IS NULL AND v.reminded_at IS NULL AND v.remind_at <= $1 AND v.deadline > $1
		ORDER BY v.remind_at LIMIT $2 FOR UPDATE OF r SKIP LOCKED`, now, limit)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, dbErr(err, "reviews to remind")
}

// MarkRemindedAll records, in one statement, that the reminders of the
// open reviews ids not yet reminded, due at now and before their deadline,
// went out at now, and returns those it marked: a review closed or
// reminded since it was claimed is left alone.
func (s *Store) MarkRemindedAll(ctx context.Context, ids []int64, now time.Time) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, _ := s.db.Query(ctx, `UPDATE reviews SET reminded_at = $2
		WHERE id = ANY ($1) AND closed_at IS NULL AND reminded_at IS NULL AND remind_at <= $2 AND deadline > $2
		RETURNING id`, ids, now)
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return out, dbErr(err, "mark %d reviews reminded", len(ids))
}

// InsertEvents appends es, whose hashes the caller computed (each the
// next link of its request's chain, the request locked), in one
// statement. They are the system's steps: no Idempotency-Key is claimed.
func (s *Store) InsertEvents(ctx context.Context, es []domain.Event) error {
	if len(es) == 0 {
		return nil
	}
	var (
		reqs     = make([]int64, len(es))
		seqs     = make([]int32, len(es))
		actors   = make([]*int64, len(es))
		actions  = make([]string, len(es))
		payloads = make([]string, len(es))
		at       = make([]time.Time, len(es))
		prev     = make([][]byte, len(es))
		hashes   = make([][]byte, len(es))
	)
	for i, e := range es {
		reqs[i], seqs[i], actions[i], payloads[i], at[i] = e.RequestID, int32(e.Seq), e.Action, string(e.Payload), e.At
		prev[i], hashes[i] = e.PrevHash, e.Hash
		if e.ActorID != 0 {
			actors[i] = &es[i].ActorID
		}
	}
	_, err := s.db.Exec(ctx, `INSERT INTO events (request_id, seq, actor_id, action, payload, at, prev_hash, hash)
		SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[], $7::bytea[], $8::bytea[])`,
		reqs, seqs, actors, actions, payloads, at, prev, hashes)
	return dbErr(err, "insert %d events", len(es))
}

// NoticeRow is one in-app notification and, when Mail is set, the
// e-mail queued with it.
type NoticeRow struct {
	Notification domain.Notification
	Mail         *domain.OutboxMessage // its NotificationID is set by InsertNotices
	// Digest queues the notification for its recipient's daily digest
	// (digest_items) instead of an e-mail now.
	Digest bool
}

// InsertNotices stores every notification of ns, in order, the outbox
// e-mail of each that has one and the digest item of each that waits
// for a digest, in one statement.
func (s *Store) InsertNotices(ctx context.Context, ns []NoticeRow) error {
	if len(ns) == 0 {
		return nil
	}
	var (
		users    = make([]int64, len(ns))
		kinds    = make([]string, len(ns))
		reqs     = make([]int64, len(ns))
		data     = make([]string, len(ns))
		created  = make([]time.Time, len(ns))
		to       = make([]string, len(ns))
		subjects = make([]string, len(ns))
		bodies   = make([]string, len(ns))
		next     = make([]time.Time, len(ns))
		replyTo  = make([]string, len(ns))
		digest   = make([]bool, len(ns))
		langs    = make([]string, len(ns))
	)
	for i, n := range ns {
		d := n.Notification.Data
		if d == nil {
			d = map[string]string{}
		}
		raw, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("store: encode notification: %w", err)
		}
		users[i], kinds[i], reqs[i] = n.Notification.UserID, string(n.Notification.Kind), n.Notification.RequestID
		data[i], created[i], next[i] = string(raw), n.Notification.CreatedAt, n.Notification.CreatedAt
		digest[i] = n.Digest
		if m := n.Mail; m != nil {
			to[i], subjects[i], bodies[i], next[i], langs[i] = m.To, m.Subject, m.Body, m.NextAttemptAt, m.Language
			replyTo[i] = m.ReplyTo
			if m.NextAttemptAt.IsZero() {
				next[i] = m.CreatedAt
			}
		}
	}
	// The notifications' IDs are drawn first, in order, so that each
	// e-mail names its own.
	_, err := s.db.Exec(ctx, `WITH x AS MATERIALIZED (
		  SELECT t.*, nextval(pg_get_serial_sequence('notifications', 'id')) AS nid
		    FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[], $6::text[], $7::text[],
		                $8::text[], $9::timestamptz[], $10::text[], $11::boolean[], $12::text[]) WITH ORDINALITY
		      AS t (user_id, kind, request_id, data, created_at, to_address, subject, body, next_attempt_at, reply_to, digest, language, ord)
		   ORDER BY t.ord),
		n AS (INSERT INTO notifications (id, user_id, kind, request_id, data, created_at) OVERRIDING SYSTEM VALUE
		  SELECT nid, user_id, kind, nullif(request_id, 0), data::jsonb, created_at FROM x ORDER BY ord),
		d AS (INSERT INTO digest_items (notification_id, user_id, queued_at)
		  SELECT nid, user_id, created_at FROM x WHERE digest)
		INSERT INTO outbox (notification_id, to_address, subject, body, created_at, next_attempt_at, reply_to, language)
		SELECT nid, to_address, subject, body, created_at, next_attempt_at, reply_to, language FROM x WHERE to_address <> '' ORDER BY ord`,
		users, kinds, reqs, data, created, to, subjects, bodies, next, replyTo, digest, langs)
	return dbErr(err, "insert %d notifications", len(ns))
}
