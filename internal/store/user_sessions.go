package store

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// The session store's table (sessions) belongs to alexedwards/scs's
// pgxstore; user_sessions names each of its rows' users. Deleting a
// sessions row ends that session at its next request and, by cascade,
// deletes its user_sessions row.

const userSessionCols = `id, user_id, device, user_agent, client_ip, created_at, last_seen_at`

func scanUserSession(row pgx.CollectableRow) (domain.UserSession, error) {
	var u domain.UserSession
	err := row.Scan(&u.ID, &u.UserID, &u.Device, &u.UserAgent, &u.Address, &u.CreatedAt, &u.LastSeenAt)
	return u, err
}

// CreateUserSession records that the session with token (already in the
// session store) belongs to u.UserID in session epoch epoch.
func (s *Store) CreateUserSession(ctx context.Context, token string, epoch int64, u domain.UserSession) (domain.UserSession, error) {
	rows, _ := s.db.Query(ctx,
		`INSERT INTO user_sessions (token, user_id, epoch, device, user_agent, client_ip, created_at, last_seen_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
		 RETURNING `+userSessionCols,
		token, u.UserID, epoch, truncate(u.Device, domain.MaxDeviceLabel), truncate(u.UserAgent, domain.MaxUserAgent),
		truncate(u.Address, 64), u.CreatedAt)
	out, err := pgx.CollectExactlyOneRow(rows, scanUserSession)
	return out, dbErr(err, "create user session")
}

// SessionSighting is one request of a browser session: its token, the
// client address, when, and the rules of idleness (domain.SessionSeenInterval).
type SessionSighting struct {
	Token, Address string
	Now            time.Time
	// Every is how old the last sighting written must be to write this
	// one; Idle ends a session whose last sighting is that old.
	Every, Idle time.Duration
}

// seeSessionSQL writes a sighting when one is due and answers whether the
// session is recorded and not idle ($1 token, $2 address, $3 now, $4
// every, $5 idle). The select reads the snapshot before the update, so
// it answers for the sighting before this one. Its write is the caller's
// to put in the cache (ownWrite).
const seeSessionSQL = ownWrite + ` WITH seen AS (
		     UPDATE user_sessions SET last_seen_at = $3, client_ip = $2
		      WHERE token = $1 AND last_seen_at <= $3::timestamptz - $4::interval
		        AND last_seen_at > $3::timestamptz - $5::interval
		 )
		 SELECT id, last_seen_at FROM user_sessions WHERE token = $1 AND last_seen_at > $3::timestamptz - $5::interval`

func (v SessionSighting) args() []any {
	return []any{v.Token, truncate(v.Address, 64), v.Now, v.Every, v.Idle}
}

// SeeUserSession checks that the session sighted is a recorded one, not
// idle, and writes the sighting when one is due. An unrecorded session
// (ended meanwhile, or from before sessions were recorded) or an idle
// one is CodeNotFound.
func (s *Store) SeeUserSession(ctx context.Context, v SessionSighting) error {
	var seen sessionSeen
	err := s.db.QueryRow(ctx, seeSessionSQL, v.args()...).Scan(&seen.id, &seen.lastSeen)
	return dbErr(err, "see user session")
}

// UserForSession is UserWithMemberships for the user of a browser
// session, with SeeUserSession in the same round trip: CodeNotFound when
// the session is unrecorded or idle, or the user is gone.
//
// A database that refuses the sighting's write (read-only: a standby, a
// switch-over) still answers: the session is then checked without
// writing, so pages keep reading.
//
// With a cache, a session seen within the last domain.SessionSeenInterval
// and a user it holds cost no round trip.
func (s *Store) UserForSession(ctx context.Context, id int64, v SessionSighting) (domain.User, []domain.Membership, bool, error) {
	c := s.cached()
	var key string
	var gu, gs uint64
	if c != nil {
		key = sessionKey(v.Token)
		if e, ok := c.get(kindSeen, key); ok {
			// Neither idle nor due a new sighting: nothing to write.
			if seen := e.(sessionSeen); seen.lastSeen.After(v.Now.Add(-v.Every)) && seen.lastSeen.After(v.Now.Add(-v.Idle)) {
				return s.UserWithFactor(ctx, id, v.Now)
			}
		}
		gu, gs = c.gen(kindUser), c.gen(kindSeen)
	}
	u, ms, has, seen, err := s.userForSession(ctx, id, v.Now, seeSessionSQL, v.args())
	if unavailable(err) {
		u, ms, has, _, err = s.userForSession(ctx, id, v.Now, checkSessionSQL, []any{v.Token, v.Now, v.Idle})
		return u, ms, has, dbErr(err, "get user %d of a session", id)
	}
	if err == nil && c != nil {
		if !seen.lastSeen.After(v.Now.Add(-v.Every)) { // this sighting was written
			seen.lastSeen = v.Now
		}
		c.put(kindSeen, gs, key, seen, 0)
		if !timeBound(ms) {
			cu := cachedUser{user: u, memberships: ms, hasFactor: has}
			c.put(kindUser, gu, strconv.FormatInt(id, 10), cu, 0)
			u, ms, has = cu.copies() // the cached copy stays the cache's
		}
	}
	return u, ms, has, dbErr(err, "get user %d of a session", id)
}

// checkSessionSQL is seeSessionSQL without its write ($1 token, $2 now,
// $3 idle).
const checkSessionSQL = `SELECT id, last_seen_at FROM user_sessions WHERE token = $1 AND last_seen_at > $2::timestamptz - $3::interval`

func (s *Store) userForSession(ctx context.Context, id int64, at time.Time, sessionSQL string, args []any) (domain.User, []domain.Membership, bool, sessionSeen, error) {
	b := &pgx.Batch{}
	var seen sessionSeen
	b.Queue(sessionSQL, args...).Query(func(rows pgx.Rows) error {
		var err error
		seen, err = pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (out sessionSeen, err error) {
			err = row.Scan(&out.id, &out.lastSeen)
			return out, err
		})
		return err
	})
	w := queueUserWithFactor(b, id, at)
	err := s.db.SendBatch(ctx, b).Close()
	return w.user, w.memberships, w.hasFactor, seen, err
}

// ListUserSessions returns user userID's live sessions (not yet expired
// in the session store at now, nor idle for idle), the most recently seen
// first.
func (s *Store) ListUserSessions(ctx context.Context, userID int64, now time.Time, idle time.Duration) ([]domain.UserSession, error) {
	rows, _ := s.db.Query(ctx,
		`SELECT u.id, u.user_id, u.device, u.user_agent, u.client_ip, u.created_at, u.last_seen_at
		   FROM user_sessions u JOIN sessions s ON s.token = u.token
		  WHERE u.user_id = $1 AND s.expiry > $2 AND u.last_seen_at > $2::timestamptz - $3::interval
		  ORDER BY u.last_seen_at DESC, u.id DESC`, userID, now, idle)
	out, err := pgx.CollectRows(rows, scanUserSession)
	return out, dbErr(err, "list user sessions")
}

// UserSessionID returns the id of the recorded session with token;
// CodeNotFound when there is none.
func (s *Store) UserSessionID(ctx context.Context, token string) (int64, error) {
	var id int64
	err := s.db.QueryRow(ctx, `SELECT id FROM user_sessions WHERE token = $1`, token).Scan(&id)
	return id, dbErr(err, "user session id")
}

// UserSessionOpened returns when user userID's recorded session with
// token opened (signed in); CodeNotFound when there is none.
func (s *Store) UserSessionOpened(ctx context.Context, userID int64, token string) (time.Time, error) {
	var at time.Time
	err := s.db.QueryRow(ctx, `SELECT created_at FROM user_sessions WHERE token = $1 AND user_id = $2`, token, userID).Scan(&at)
	return at, dbErr(err, "user session opened")
}

// EndUserSession deletes session id of user userID from the session
// store, so it is gone at its next request. Another user's session, or
// one already ended, is CodeNotFound.
func (s *Store) EndUserSession(ctx context.Context, userID, id int64) error {
	tag, err := s.db.Exec(ctx,
		`DELETE FROM sessions s USING user_sessions u
		  WHERE u.token = s.token AND u.id = $1 AND u.user_id = $2`, id, userID)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return dbErr(err, "end user session %d", id)
}

// EndOtherUserSessions deletes every session of user userID but the one
// with id keep (0 keeps none) and returns how many it ended.
func (s *Store) EndOtherUserSessions(ctx context.Context, userID, keep int64) (int64, error) {
	tag, err := s.db.Exec(ctx,
		`DELETE FROM sessions s USING user_sessions u
		  WHERE u.token = s.token AND u.user_id = $1 AND u.id <> $2`, userID, keep)
	if err != nil {
		return 0, dbErr(err, "end other sessions of user %d", userID)
	}
	return tag.RowsAffected(), nil
}

// PruneIdleSessions deletes the sessions last seen at or before
// seenBefore (their idle timeout passed) from the session store.
func (s *Store) PruneIdleSessions(ctx context.Context, seenBefore time.Time) error {
	_, err := s.db.Exec(ctx,
		`DELETE FROM sessions s USING user_sessions u WHERE u.token = s.token AND u.last_seen_at <= $1`, seenBefore)
	return dbErr(err, "prune idle sessions")
}
