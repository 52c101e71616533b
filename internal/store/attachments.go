package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

const attachmentCols = `a.id, a.request_id, a.file_id, a.kind, a.title, a.filename, a.content_type, a.size, a.sha256,
	a.visibility, a.scanned, a.added_by, u.name, o.name, a.added_at,
	a.removed_at, coalesce(a.removed_by, 0), coalesce(ru.name, ''), coalesce(a.removal_reason, ''),
	a.purged_at, coalesce(a.purge_reason, ''),
	coalesce((SELECT e.payload::jsonb->>'sha256' FROM events e WHERE e.request_id = a.request_id
	          AND e.action = 'request.attachment_added' AND e.payload::jsonb->>'attachment_id' = a.id::text LIMIT 1), '')`

const attachmentFrom = ` FROM attachments a JOIN users u ON u.id = a.added_by
	JOIN organizations o ON o.id = u.organization_id LEFT JOIN users ru ON ru.id = a.removed_by`

// StoredAttachment is a document with the file its content is in.
type StoredAttachment struct {
	domain.Attachment
	FileID int64
}

func scanAttachment(row pgx.CollectableRow) (StoredAttachment, error) {
	var (
		t               StoredAttachment
		removed, purged *time.Time
	)
	err := row.Scan(&t.ID, &t.RequestID, &t.FileID, &t.Kind, &t.Title, &t.Filename, &t.ContentType, &t.Size, &t.SHA256,
		&t.Visibility, &t.Scanned, &t.AddedBy, &t.AddedByName, &t.AddedByOrg, &t.AddedAt,
		&removed, &t.RemovedBy, &t.RemovedByName, &t.RemovalReason, &purged, &t.PurgeReason, &t.RecordedSHA256)
	t.RemovedAt, t.PurgedAt = deref(removed), deref(purged)
	return t, err
}

// InsertAttachment records t, whose content is sealed file fileID, and
// returns its ID.
func (s *Store) InsertAttachment(ctx context.Context, t domain.Attachment, fileID int64) (int64, error) {
	var id int64
	err := s.db.QueryRow(ctx, `INSERT INTO attachments (request_id, file_id, kind, title, filename, content_type, size, sha256,
		visibility, scanned, added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		t.RequestID, fileID, t.Kind, t.Title, t.Filename, t.ContentType, t.Size, t.SHA256, t.Visibility, t.Scanned,
		t.AddedBy, t.AddedAt).Scan(&id)
	return id, dbErr(err, "insert attachment")
}

// ListAttachments returns request id's documents, oldest first, removed
// ones included.
func (s *Store) ListAttachments(ctx context.Context, requestID int64) ([]StoredAttachment, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+attachmentCols+attachmentFrom+` WHERE a.request_id = $1 ORDER BY a.id`, requestID)
	out, err := pgx.CollectRows(rows, scanAttachment)
	return out, dbErr(err, "list attachments of request %d", requestID)
}

// GetAttachment returns document id.
func (s *Store) GetAttachment(ctx context.Context, id int64) (StoredAttachment, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+attachmentCols+attachmentFrom+` WHERE a.id = $1`, id)
	out, err := pgx.CollectExactlyOneRow(rows, scanAttachment)
	return out, dbErr(err, "get attachment %d", id)
}

// LockAttachment returns document id locked for update.
func (s *Store) LockAttachment(ctx context.Context, id int64) (StoredAttachment, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+attachmentCols+attachmentFrom+` WHERE a.id = $1 FOR UPDATE OF a`, id)
	out, err := pgx.CollectExactlyOneRow(rows, scanAttachment)
	return out, dbErr(err, "lock attachment %d", id)
}

// RemoveAttachment marks document id removed by by at now, for reason.
func (s *Store) RemoveAttachment(ctx context.Context, id, by int64, reason string, now time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE attachments SET removed_at = $2, removed_by = $3, removal_reason = $4 WHERE id = $1 AND removed_at IS NULL`,
		id, now, by, reason)
	return dbErr(err, "remove attachment %d", id)
}

// PurgeAttachment marks document id purged and deletes its content, in
// the caller's transaction.
func (s *Store) PurgeAttachment(ctx context.Context, id, by int64, reason string, now time.Time) error {
	var fileID int64
	err := s.db.QueryRow(ctx, `UPDATE attachments SET purged_at = $2, purged_by = $3, purge_reason = $4,
		removed_at = coalesce(removed_at, $2), removed_by = coalesce(removed_by, $3), removal_reason = coalesce(removal_reason, $4)
		WHERE id = $1 AND purged_at IS NULL RETURNING file_id`, id, now, by, reason).Scan(&fileID)
	if err != nil {
		return dbErr(err, "purge attachment %d", id)
	}
	_, err = s.db.Exec(ctx, `DELETE FROM file_chunks WHERE file_id = $1`, fileID)
	return dbErr(err, "purge attachment %d", id)
}

// AttachmentCounts returns, for each of requests ids, how many documents
// of each visibility it has that are not removed.
func (s *Store) AttachmentCounts(ctx context.Context, ids []int64) (map[int64]map[domain.AttachmentVisibility]int, error) {
	out := map[int64]map[domain.AttachmentVisibility]int{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.db.Query(ctx, `SELECT request_id, visibility, count(*) FROM attachments
		WHERE request_id = ANY($1) AND removed_at IS NULL GROUP BY request_id, visibility`, ids)
	if err != nil {
		return nil, dbErr(err, "count attachments")
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id  int64
			vis domain.AttachmentVisibility
			n   int
		)
		if err := rows.Scan(&id, &vis, &n); err != nil {
			return nil, dbErr(err, "count attachments")
		}
		if out[id] == nil {
			out[id] = map[domain.AttachmentVisibility]int{}
		}
		out[id][vis] = n
	}
	return out, dbErr(rows.Err(), "count attachments")
}

// EachStoredAttachment calls fn with every document whose content is
// kept (not purged), in order: what `cmcoord audit verify` rehashes.
func (s *Store) EachStoredAttachment(ctx context.Context, fn func(StoredAttachment) error) error {
	rows, _ := s.db.Query(ctx, `SELECT `+attachmentCols+attachmentFrom+` WHERE a.purged_at IS NULL ORDER BY a.id`)
	list, err := pgx.CollectRows(rows, scanAttachment) // rows only: contents are read one by one after
	if err != nil {
		return dbErr(err, "list attachments")
	}
	for _, t := range list {
		if err := fn(t); err != nil {
			return err
		}
	}
	return nil
}

// ExportAttachments returns the documents of operation opID's requests
// that are not removed, by request, in order: their records only (what
// the RFA tracker counts and the JSON export lists), never their content.
func (s *Store) ExportAttachments(ctx context.Context, opID int64) (map[int64][]domain.Attachment, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+attachmentCols+attachmentFrom+`
		JOIN requests r ON r.id = a.request_id WHERE r.operation_id = $1 AND a.removed_at IS NULL ORDER BY a.id`, opID)
	list, err := pgx.CollectRows(rows, scanAttachment)
	if err != nil {
		return nil, dbErr(err, "export attachments")
	}
	out := map[int64][]domain.Attachment{}
	for _, t := range list {
		out[t.RequestID] = append(out[t.RequestID], t.Attachment)
	}
	return out, nil
}
