package store

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// Files: uploaded bytes in chunks (migration 37). A file grows by
// AppendFile while it is uploaded, then SealFile fixes its hash; its
// content is read back chunk by chunk (ReadFile), so no file is ever
// whole in memory.

// FileChunkSize is the largest chunk a file is stored in.
const FileChunkSize = 256 << 10

// StoredFile is a file's row.
type StoredFile struct {
	ID           int64
	CreatedBy    int64
	CreatedAt    time.Time
	Size         int64
	ExpectedSize int64 // -1: not announced
	Meta         map[string]string
	SHA256       []byte
	SealedAt     time.Time
}

// CreateFile starts an empty file for user by at now; expected is the
// length a resumable upload announced (-1 when none); meta is what it
// was created for.
func (s *Store) CreateFile(ctx context.Context, by int64, now time.Time, expected int64, meta map[string]string) (StoredFile, error) {
	if meta == nil {
		meta = map[string]string{}
	}
	raw, err := json.Marshal(meta)
	if err != nil {
		return StoredFile{}, err
	}
	var exp *int64
	if expected >= 0 {
		exp = &expected
	}
	f := StoredFile{CreatedBy: by, CreatedAt: now, ExpectedSize: expected, Meta: meta}
	err = s.db.QueryRow(ctx, `INSERT INTO files (created_by, created_at, expected_size, meta) VALUES ($1, $2, $3, $4) RETURNING id`,
		by, now, exp, raw).Scan(&f.ID)
	return f, dbErr(err, "create file")
}

// GetFile returns file id's row.
func (s *Store) GetFile(ctx context.Context, id int64) (StoredFile, error) {
	var (
		f      StoredFile
		exp    *int64
		sealed *time.Time
		meta   []byte
	)
	err := s.db.QueryRow(ctx, `SELECT id, created_by, created_at, size, expected_size, meta, sha256, sealed_at FROM files WHERE id = $1`, id).
		Scan(&f.ID, &f.CreatedBy, &f.CreatedAt, &f.Size, &exp, &meta, &f.SHA256, &sealed)
	if err != nil {
		return StoredFile{}, dbErr(err, "get file %d", id)
	}
	f.ExpectedSize = -1
	if exp != nil {
		f.ExpectedSize = *exp
	}
	f.SealedAt = deref(sealed)
	_ = json.Unmarshal(meta, &f.Meta)
	return f, nil
}

// AppendFile appends what r yields to unsealed file id, chunk by chunk,
// each chunk committed as it is written (outside a transaction) so that
// what arrived before a cut connection is kept for a resumed upload. It
// stops, with ErrFileTooLarge, before the file would pass max bytes
// (max < 0: no limit). It returns how many bytes it appended; on a read
// error those bytes are kept and the error returned.
func (s *Store) AppendFile(ctx context.Context, id int64, r io.Reader, max int64) (int64, error) {
	return s.AppendFileAt(ctx, id, -1, r, max)
}

// AppendFileAt is AppendFile for a writer that knows where the file
// stands (a resumed upload's offset): it fails with a conflict, writing
// nothing, unless the file's size is offset now (offset < 0: any size).
// Two instances resuming the same upload at once then never interleave
// their bytes: each chunk's commit checks the size it started from.
func (s *Store) AppendFileAt(ctx context.Context, id, offset int64, r io.Reader, max int64) (int64, error) {
	var size int64
	var seq int
	err := s.db.QueryRow(ctx, `SELECT f.size, coalesce((SELECT max(seq) + 1 FROM file_chunks WHERE file_id = f.id), 0)
		FROM files f WHERE f.id = $1 AND f.sealed_at IS NULL`, id).Scan(&size, &seq)
	if err != nil {
		return 0, dbErr(err, "append to file %d", id)
	}
	if offset >= 0 && size != offset {
		return 0, domain.Errorf(domain.CodeConflict, "upload.offset_moved")
	}
	buf := make([]byte, FileChunkSize)
	var written int64
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			if max >= 0 && size+int64(n) > max {
				return written, ErrFileTooLarge
			}
			// The chunk goes in only if the file still stands where this
			// writer found it (another instance may have appended).
			tag, err := s.db.Exec(ctx, `WITH f AS (UPDATE files SET size = size + $4 WHERE id = $1 AND size = $5 AND sealed_at IS NULL RETURNING id)
				INSERT INTO file_chunks (file_id, seq, data) SELECT id, $2, $3 FROM f`,
				id, seq, buf[:n], n, size)
			if err != nil {
				return written, dbErr(err, "append to file %d", id)
			}
			if tag.RowsAffected() != 1 {
				return written, domain.Errorf(domain.CodeConflict, "upload.offset_moved")
			}
			seq++
			size += int64(n)
			written += int64(n)
		}
		switch {
		case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
			return written, nil
		case rerr != nil:
			return written, rerr
		}
	}
}

// ErrFileTooLarge is AppendFile's refusal to grow a file past its limit.
var ErrFileTooLarge = errors.New("store: file too large")

// ReadFile calls fn with file id's content, chunk by chunk in order,
// reading one chunk at a time (memory stays at one chunk whatever the
// file's size). It returns domain's not found when the file has no
// content (a purged document's).
func (s *Store) ReadFile(ctx context.Context, id int64, fn func([]byte) error) error {
	// Chunks are fetched a few at a time by sequence: one query holds at
	// most a few chunks in memory, and no cursor needs a transaction.
	const batch = 4
	next := 0
	for {
		rows, err := s.db.Query(ctx, `SELECT seq, data FROM file_chunks WHERE file_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3`, id, next, batch)
		if err != nil {
			return dbErr(err, "read file %d", id)
		}
		got := 0
		for rows.Next() {
			var (
				seq  int
				data []byte
			)
			if err := rows.Scan(&seq, &data); err != nil {
				rows.Close()
				return dbErr(err, "read file %d", id)
			}
			if err := fn(data); err != nil {
				rows.Close()
				return err
			}
			next = seq + 1
			got++
		}
		if err := rows.Err(); err != nil {
			return dbErr(err, "read file %d", id)
		}
		if got < batch {
			return nil
		}
	}
}

// SealFile fixes unsealed file id's hash; its content never changes
// after. It fails with a conflict when the file is sealed already or its
// size moved.
func (s *Store) SealFile(ctx context.Context, id, size int64, sha []byte, now time.Time) error {
	tag, err := s.db.Exec(ctx, `UPDATE files SET sha256 = $2, sealed_at = $3 WHERE id = $1 AND size = $4 AND sealed_at IS NULL`, id, sha, now, size)
	if err != nil {
		return dbErr(err, "seal file %d", id)
	}
	if tag.RowsAffected() != 1 {
		return domain.Errorf(domain.CodeConflict, "upload.offset_moved")
	}
	return nil
}

// DeleteFile removes unsealed file id and its content (an abandoned or
// refused upload).
func (s *Store) DeleteFile(ctx context.Context, id int64) error {
	return s.InTx(ctx, func(st *Store) error {
		if _, err := st.db.Exec(ctx, `DELETE FROM file_chunks WHERE file_id = $1`, id); err != nil {
			return dbErr(err, "delete file %d", id)
		}
		_, err := st.db.Exec(ctx, `DELETE FROM files WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM attachments WHERE file_id = $1)`, id)
		return dbErr(err, "delete file %d", id)
	})
}

// StaleFiles returns the unsealed files created before cutoff that no
// document uses, at most limit.
func (s *Store) StaleFiles(ctx context.Context, cutoff time.Time, limit int) ([]int64, error) {
	rows, _ := s.db.Query(ctx, `SELECT id FROM files WHERE sealed_at IS NULL AND created_at < $1 ORDER BY created_at LIMIT $2`, cutoff, limit)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, dbErr(err, "stale files")
}
