package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// MarkBrowser records that user signed in on the browser holding the
// marker whose SHA-256 is markerHash, until expires.
func (s *Store) MarkBrowser(ctx context.Context, markerHash []byte, userID int64, expires, now time.Time) error {
	_, err := s.db.Exec(ctx, `DELETE FROM browser_markers WHERE expires_at <= $1`, now)
	if err != nil {
		return dbErr(err, "prune browser markers")
	}
	_, err = s.db.Exec(ctx,
		`INSERT INTO browser_markers (marker_hash, user_id, expires_at) VALUES ($1, $2, $3)
		 ON CONFLICT (marker_hash) DO UPDATE SET user_id = EXCLUDED.user_id, expires_at = EXCLUDED.expires_at`,
		markerHash, userID, expires)
	return dbErr(err, "mark browser")
}

// UnmarkBrowser forgets the marker whose SHA-256 is markerHash.
func (s *Store) UnmarkBrowser(ctx context.Context, markerHash []byte) error {
	_, err := s.db.Exec(ctx, `DELETE FROM browser_markers WHERE marker_hash = $1`, markerHash)
	return dbErr(err, "unmark browser")
}

// StashForm keeps body, posted to path, for the user who last signed in
// on the browser holding the marker markerHash (if the marker is known
// and current), under idHash until expires, replacing that user's
// earlier stash. It reports whether a user was found.
func (s *Store) StashForm(ctx context.Context, markerHash, idHash []byte, path, body string, now, expires time.Time) (bool, error) {
	if _, err := s.db.Exec(ctx, `DELETE FROM form_stashes WHERE expires_at <= $1`, now); err != nil {
		return false, dbErr(err, "prune form stashes")
	}
	tag, err := s.db.Exec(ctx,
		`INSERT INTO form_stashes (id_hash, user_id, path, body, created_at, expires_at)
		 SELECT $2, m.user_id, $3, $4, $5, $6
		   FROM browser_markers m JOIN users u ON u.id = m.user_id
		  WHERE m.marker_hash = $1 AND m.expires_at > $5 AND u.disabled_at IS NULL
		 ON CONFLICT (user_id) DO UPDATE SET id_hash = EXCLUDED.id_hash, path = EXCLUDED.path, body = EXCLUDED.body,
		        created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`,
		markerHash, idHash, path, body, now, expires)
	if err != nil {
		return false, dbErr(err, "stash form")
	}
	return tag.RowsAffected() == 1, nil
}

// PruneFormStashes deletes the kept forms and browser markers expired at
// now.
func (s *Store) PruneFormStashes(ctx context.Context, now time.Time) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM form_stashes WHERE expires_at <= $1`, now); err != nil {
		return dbErr(err, "prune form stashes")
	}
	_, err := s.db.Exec(ctx, `DELETE FROM browser_markers WHERE expires_at <= $1`, now)
	return dbErr(err, "prune browser markers")
}

// TakeFormStash removes the stash idHash and returns its user, path and
// body, with ok false when there is none or it has expired.
func (s *Store) TakeFormStash(ctx context.Context, idHash []byte, now time.Time) (userID int64, path, body string, ok bool, err error) {
	var expires time.Time
	err = s.db.QueryRow(ctx, `DELETE FROM form_stashes WHERE id_hash = $1 RETURNING user_id, path, body, expires_at`, idHash).
		Scan(&userID, &path, &body, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", "", false, nil
	}
	if err != nil {
		return 0, "", "", false, dbErr(err, "take form stash")
	}
	if !expires.After(now) {
		return 0, "", "", false, nil
	}
	return userID, path, body, true, nil
}
