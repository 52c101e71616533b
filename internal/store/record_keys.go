package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

const recordKeyCols = `id, public_key, fingerprint, private_key IS NULL, created_at, retired_at`

func scanRecordKey(row pgx.CollectableRow) (domain.RecordKey, error) {
	var k domain.RecordKey
	var retired *time.Time
	err := row.Scan(&k.ID, &k.PublicKey, &k.Fingerprint, &k.InFile, &k.CreatedAt, &retired)
	if retired != nil {
		k.RetiredAt = *retired
	}
	return k, err
}

// ListRecordKeys returns every record key, the current one first, then
// the retired ones, newest first.
func (s *Store) ListRecordKeys(ctx context.Context) ([]domain.RecordKey, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+recordKeyCols+` FROM record_keys
		ORDER BY retired_at IS NOT NULL, retired_at DESC, id DESC`)
	keys, err := pgx.CollectRows(rows, scanRecordKey)
	return keys, dbErr(err, "list record keys")
}

// CurrentRecordKey returns the current record key and its private key
// (nil when it lives in a file). CodeNotFound when there is none.
func (s *Store) CurrentRecordKey(ctx context.Context) (domain.RecordKey, []byte, error) {
	var priv []byte
	rows, _ := s.db.Query(ctx, `SELECT `+recordKeyCols+`, private_key FROM record_keys WHERE retired_at IS NULL`)
	k, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (domain.RecordKey, error) {
		var k domain.RecordKey
		var retired *time.Time
		return k, row.Scan(&k.ID, &k.PublicKey, &k.Fingerprint, &k.InFile, &k.CreatedAt, &retired, &priv)
	})
	return k, priv, dbErr(err, "current record key")
}

// LockRecordKeys serialises the changes of the record keys (first
// start, rotation) across instances until the transaction ends.
func (s *Store) LockRecordKeys(ctx context.Context) error {
	_, err := s.db.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('record_keys'))`)
	return dbErr(err, "lock record keys")
}

// RetireRecordKeys retires the current record key, if any, at now.
func (s *Store) RetireRecordKeys(ctx context.Context, now time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE record_keys SET retired_at = GREATEST($1, created_at) WHERE retired_at IS NULL`, now)
	return dbErr(err, "retire record key")
}

// AddRecordKey stores k as the current key, with its private key (nil
// when it lives in a file). The current key must have been retired.
func (s *Store) AddRecordKey(ctx context.Context, k domain.RecordKey, private []byte, now time.Time) (domain.RecordKey, error) {
	rows, _ := s.db.Query(ctx, `INSERT INTO record_keys (public_key, private_key, fingerprint, created_at)
		VALUES ($1, $2, $3, $4) RETURNING `+recordKeyCols, k.PublicKey, private, k.Fingerprint, now)
	k, err := pgx.CollectExactlyOneRow(rows, scanRecordKey)
	return k, dbErr(err, "add record key")
}

// MakeRecordKeyCurrent makes the (retired) key with fingerprint current
// again: a key file that names a key the table already knows.
func (s *Store) MakeRecordKeyCurrent(ctx context.Context, fingerprint string) error {
	tag, err := s.db.Exec(ctx, `UPDATE record_keys SET retired_at = NULL WHERE fingerprint = $1`, fingerprint)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return dbErr(err, "make record key %s current", fingerprint)
}

// DropRecordKey deletes the retired key with fingerprint: a compromised
// key, whose signatures must no longer verify. CodeNotFound when no
// retired key has it.
func (s *Store) DropRecordKey(ctx context.Context, fingerprint string) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM record_keys WHERE fingerprint = $1 AND retired_at IS NOT NULL`, fingerprint)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return dbErr(err, "drop record key %s", fingerprint)
}
