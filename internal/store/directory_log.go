package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// directoryLogLock is the advisory lock key ("cmcdirlg") that serialises
// appends to the directory log.
const directoryLogLock int64 = 0x636d6364_69726c67

const directoryEventCols = `e.id, e.seq, coalesce(e.actor_id, 0), coalesce(u.name, ''), e.action, e.target_type,
	e.target_id, coalesce(e.operation_id, 0), e.payload, e.at, e.prev_hash, e.hash`

const directoryEventFrom = ` FROM directory_events e LEFT JOIN users u ON u.id = e.actor_id`

func scanDirectoryEvent(row pgx.CollectableRow) (domain.DirectoryEvent, error) {
	var (
		e       domain.DirectoryEvent
		payload string
	)
	err := row.Scan(&e.ID, &e.Seq, &e.ActorID, &e.ActorName, &e.Action, &e.Target.Kind, &e.Target.ID,
		&e.OperationID, &payload, &e.At, &e.PrevHash, &e.Hash)
	e.Payload = []byte(payload)
	return e, err
}

// LastDirectoryEvent takes the directory log's lock, held until the
// transaction ends so that appends serialise and the chain cannot fork,
// and returns the log's newest entry, or nil when it is empty. Call it
// inside InTx, then InsertDirectoryEvent.
func (s *Store) LastDirectoryEvent(ctx context.Context) (*domain.DirectoryEvent, error) {
	if _, err := s.db.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, directoryLogLock); err != nil {
		return nil, dbErr(err, "lock directory log")
	}
	rows, _ := s.db.Query(ctx, `SELECT `+directoryEventCols+directoryEventFrom+` ORDER BY e.seq DESC LIMIT 1`)
	e, err := pgx.CollectExactlyOneRow(rows, scanDirectoryEvent)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, dbErr(err, "last directory event")
	}
	return &e, nil
}

// InsertDirectoryEvent appends e, whose hash the caller computed.
// The request's Idempotency-Key, when ctx carries one, is claimed with
// it (Claim).
func (s *Store) InsertDirectoryEvent(ctx context.Context, e domain.DirectoryEvent) (domain.DirectoryEvent, error) {
	if err := s.claim(ctx, 0); err != nil {
		return e, err
	}
	err := s.db.QueryRow(ctx,
		`INSERT INTO directory_events (seq, actor_id, action, target_type, target_id, operation_id, payload, at, prev_hash, hash)
		 VALUES ($1, NULLIF($2, 0), $3, $4, $5, NULLIF($6, 0), $7, $8, $9, $10) RETURNING id`,
		e.Seq, e.ActorID, e.Action, e.Target.Kind, e.Target.ID, e.OperationID, string(e.Payload), e.At,
		e.PrevHash, e.Hash).Scan(&e.ID)
	return e, dbErr(err, "insert directory event")
}

// ListDirectoryEvents returns up to limit entries of the directory log,
// newest first, with seq below before (0: from the newest).
func (s *Store) ListDirectoryEvents(ctx context.Context, before int64, limit int) ([]domain.DirectoryEvent, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+directoryEventCols+directoryEventFrom+`
		WHERE $1 = 0 OR e.seq < $1 ORDER BY e.seq DESC LIMIT $2`, before, limit)
	out, err := pgx.CollectRows(rows, scanDirectoryEvent)
	return out, dbErr(err, "list directory events")
}

// EachDirectoryEvent calls fn with every entry of the directory log in
// chain order, streaming.
func (s *Store) EachDirectoryEvent(ctx context.Context, fn func(domain.DirectoryEvent) error) error {
	rows, err := s.db.Query(ctx, `SELECT `+directoryEventCols+directoryEventFrom+` ORDER BY e.seq`)
	if err != nil {
		return dbErr(err, "read directory events")
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanDirectoryEvent(rows)
		if err != nil {
			return dbErr(err, "read directory events")
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return dbErr(rows.Err(), "read directory events")
}
