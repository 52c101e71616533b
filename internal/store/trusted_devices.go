package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// TrustDevice records that user userID signed in on the browser holding
// the token whose SHA-256 is tokenHash, until expires; replacedHash (the
// token the browser held before, or nil) is forgotten, and expired
// devices are pruned.
func (s *Store) TrustDevice(ctx context.Context, tokenHash, replacedHash []byte, userID int64, expires, now time.Time) error {
	_, err := s.db.Exec(ctx, `DELETE FROM trusted_devices WHERE expires_at <= $1 OR token_hash = $2`, now, replacedHash)
	if err != nil {
		return dbErr(err, "prune trusted devices")
	}
	_, err = s.db.Exec(ctx, `INSERT INTO trusted_devices (token_hash, user_id, expires_at) VALUES ($1, $2, $3)`,
		tokenHash, userID, expires)
	return dbErr(err, "trust device")
}

// TrustedDeviceUser returns the user the unexpired device token whose
// SHA-256 is tokenHash belongs to, and whether there is one.
func (s *Store) TrustedDeviceUser(ctx context.Context, tokenHash []byte, now time.Time) (int64, bool, error) {
	var id int64
	err := s.db.QueryRow(ctx, `SELECT user_id FROM trusted_devices WHERE token_hash = $1 AND expires_at > $2`,
		tokenHash, now).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, dbErr(err, "trusted device")
}
