package store

import (
	"context"
	"time"
)

// Setting is one instance-wide key/value fact.
type Setting struct {
	Key       string
	Value     string
	UpdatedAt time.Time
}

// GetSetting returns the setting key. It returns a CodeNotFound error when
// the key was never set.
func (s *Store) GetSetting(ctx context.Context, key string) (Setting, error) {
	out := Setting{Key: key}
	err := s.db.QueryRow(ctx,
		`SELECT value, updated_at FROM app_settings WHERE key = $1`, key,
	).Scan(&out.Value, &out.UpdatedAt)
	return out, dbErr(err, "get setting %q", key)
}

// PutSetting sets key to value, creating or replacing it.
func (s *Store) PutSetting(ctx context.Context, key, value string, now time.Time) error {
	_, err := s.db.Exec(ctx,
		`INSERT INTO app_settings (key, value, updated_at) VALUES ($1, $2, $3)
		 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
		key, value, now)
	return dbErr(err, "put setting %q", key)
}

// InsertSettingOnce sets key to value only when it is not set yet and
// reports whether it did. Concurrent callers race safely: exactly one wins.
func (s *Store) InsertSettingOnce(ctx context.Context, key, value string, now time.Time) (bool, error) {
	tag, err := s.db.Exec(ctx,
		`INSERT INTO app_settings (key, value, updated_at) VALUES ($1, $2, $3)
		 ON CONFLICT (key) DO NOTHING`,
		key, value, now)
	if err != nil {
		return false, dbErr(err, "insert setting %q", key)
	}
	return tag.RowsAffected() == 1, nil
}

// DeleteSetting removes key; removing a key that is not set is not an error.
func (s *Store) DeleteSetting(ctx context.Context, key string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM app_settings WHERE key = $1`, key)
	return dbErr(err, "delete setting %q", key)
}
