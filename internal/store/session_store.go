package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SessionStore keeps the web sessions (the sessions table) for the session
// manager (scs's CtxStore, which it satisfies). Unlike scs's pgxstore, it
// runs every query under the request's context, so a session load is
// bounded by the request's deadline — a hung database cannot hold a
// request for as long as it hangs — and a database that cannot serve is
// reported as such (Classify: 503). Expired rows are pruned by the
// housekeeping job (PruneSessions), not by a goroutine of its own.
type SessionStore struct {
	pool  *pgxpool.Pool
	cache *Cache
}

// WithCache returns the session store reading sessions through c.
func (s *SessionStore) WithCache(c *Cache) *SessionStore {
	return &SessionStore{pool: s.pool, cache: c}
}

// NewSessionStore returns the session store on pool.
func NewSessionStore(pool *pgxpool.Pool) *SessionStore { return &SessionStore{pool: pool} }

// FindCtx returns the data of session token, when it exists and has not
// expired.
//
// With a cache, a session found before costs no round trip until a
// minute before it expires (by this machine's clock, so a small skew
// from the database's cannot keep an expired session).
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var (
		key string
		g   uint64
	)
	if s.cache != nil {
		key = sessionKey(token)
		if e, ok := s.cache.get(kindSession, key); ok {
			if d := e.(sessionData); time.Until(d.expiry) > time.Minute {
				return d.data, true, nil
			}
		}
		g = s.cache.gen(kindSession)
	}
	var d sessionData
	err := s.pool.QueryRow(ctx, `SELECT data, expiry FROM sessions WHERE token = $1 AND current_timestamp < expiry`, token).Scan(&d.data, &d.expiry)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, Classify(err)
	}
	if s.cache != nil {
		s.cache.put(kindSession, g, key, d, 0)
	}
	return d.data, true, nil
}

// CommitCtx saves session token's data and expiry.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry`, token, b, expiry)
	return Classify(err)
}

// DeleteCtx removes session token.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token = $1`, token)
	return Classify(err)
}

// Find is FindCtx without a request (the session manager's Store).
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit is CommitCtx without a request.
func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete is DeleteCtx without a request.
func (s *SessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}
