package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

const eventCols = `e.id, e.request_id, e.seq, coalesce(e.actor_id, 0), coalesce(u.name, ''), e.action, e.payload, e.at, e.prev_hash, e.hash`

func scanEvent(row pgx.CollectableRow) (domain.Event, error) {
	var (
		e       domain.Event
		payload string
	)
	err := row.Scan(&e.ID, &e.RequestID, &e.Seq, &e.ActorID, &e.ActorName, &e.Action, &payload, &e.At, &e.PrevHash, &e.Hash)
	e.Payload = []byte(payload)
	return e, err
}

// LastEvent returns the newest event of request id, or nil when it has
// none. Call it with the request's row locked, so the chain cannot fork.
func (s *Store) LastEvent(ctx context.Context, requestID int64) (*domain.Event, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+eventCols+` FROM events e LEFT JOIN users u ON u.id = e.actor_id
		WHERE e.request_id = $1 ORDER BY e.seq DESC LIMIT 1`, requestID)
	e, err := pgx.CollectExactlyOneRow(rows, scanEvent)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, dbErr(err, "last event of request %d", requestID)
	}
	return &e, nil
}

// InsertEvent appends e, whose hash the caller computed.
// The request's Idempotency-Key, when ctx carries one, is claimed with
// it (Claim).
func (s *Store) InsertEvent(ctx context.Context, e domain.Event) (domain.Event, error) {
	if err := s.claim(ctx, e.RequestID); err != nil {
		return e, err
	}
	var actor *int64
	if e.ActorID != 0 {
		actor = &e.ActorID
	}
	err := s.db.QueryRow(ctx,
		`INSERT INTO events (request_id, seq, actor_id, action, payload, at, prev_hash, hash)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		e.RequestID, e.Seq, actor, e.Action, string(e.Payload), e.At, e.PrevHash, e.Hash).Scan(&e.ID)
	return e, dbErr(err, "insert event")
}

const eventsSQL = `SELECT ` + eventCols + ` FROM events e LEFT JOIN users u ON u.id = e.actor_id
		WHERE e.request_id = $1 ORDER BY e.seq`

// ListEvents returns request id's events in order.
func (s *Store) ListEvents(ctx context.Context, requestID int64) ([]domain.Event, error) {
	rows, _ := s.db.Query(ctx, eventsSQL, requestID)
	out, err := pgx.CollectRows(rows, scanEvent)
	return out, dbErr(err, "list events of request %d", requestID)
}

// EachEvent calls fn with every event, chain by chain (by request, then
// sequence), streaming: memory stays flat however long the trail.
func (s *Store) EachEvent(ctx context.Context, fn func(domain.Event) error) error {
	rows, err := s.db.Query(ctx, `SELECT `+eventCols+` FROM events e LEFT JOIN users u ON u.id = e.actor_id
		ORDER BY e.request_id, e.seq`)
	if err != nil {
		return dbErr(err, "read events")
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return dbErr(err, "read events")
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return dbErr(rows.Err(), "read events")
}

const commentCols = `c.id, c.request_id, c.author_id, u.name, o.name, c.body, c.created_at, c.edited_at`

const commentFrom = ` FROM comments c JOIN users u ON u.id = c.author_id JOIN organizations o ON o.id = u.organization_id`

func scanComment(row pgx.CollectableRow) (domain.Comment, error) {
	var (
		c      domain.Comment
		edited *time.Time
	)
	err := row.Scan(&c.ID, &c.RequestID, &c.AuthorID, &c.AuthorName, &c.AuthorOrg, &c.Body, &c.CreatedAt, &edited)
	c.EditedAt = deref(edited)
	return c, err
}

// InsertComment stores c and returns it as stored.
func (s *Store) InsertComment(ctx context.Context, c domain.Comment) (domain.Comment, error) {
	var id int64
	err := s.db.QueryRow(ctx, `INSERT INTO comments (request_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		c.RequestID, c.AuthorID, c.Body, c.CreatedAt).Scan(&id)
	if err != nil {
		return domain.Comment{}, dbErr(err, "insert comment")
	}
	return s.GetComment(ctx, id)
}

// GetComment returns comment id.
func (s *Store) GetComment(ctx context.Context, id int64) (domain.Comment, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+commentCols+commentFrom+` WHERE c.id = $1`, id)
	out, err := pgx.CollectExactlyOneRow(rows, scanComment)
	return out, dbErr(err, "get comment %d", id)
}

// UpdateComment saves c's body and edit time.
func (s *Store) UpdateComment(ctx context.Context, c domain.Comment) error {
	_, err := s.db.Exec(ctx, `UPDATE comments SET body = $2, edited_at = $3 WHERE id = $1`, c.ID, c.Body, nullTime(c.EditedAt))
	return dbErr(err, "update comment %d", c.ID)
}

const commentsSQL = `SELECT ` + commentCols + commentFrom + ` WHERE c.request_id = $1 ORDER BY c.id`

// ListComments returns request id's comments, oldest first.
func (s *Store) ListComments(ctx context.Context, requestID int64) ([]domain.Comment, error) {
	rows, _ := s.db.Query(ctx, commentsSQL, requestID)
	out, err := pgx.CollectRows(rows, scanComment)
	return out, dbErr(err, "list comments of request %d", requestID)
}
