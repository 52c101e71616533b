package store

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// Claim is one request's Idempotency-Key on its way through the use
// case: the first audit event the request appends (InsertEvent,
// InsertDirectoryEvent) inserts the key's row in the same transaction, so
// the key and the change it guards commit, or roll back, together. A
// request claims its key once, however many events or transactions it
// writes; transactions that append nothing (the rate limiter's) never
// claim it.
type Claim struct {
	UserID      int64
	Key         string
	Method      string
	Path        string
	Fingerprint string

	mu        sync.Mutex
	committed bool
	requestID int64
	withheld  bool
}

// Withhold says the request's answer holds a secret (a new API token, a
// set-password link, recovery codes): it is never kept for replay, and a
// retry is shown the resource instead.
func (c *Claim) Withhold() {
	c.mu.Lock()
	c.withheld = true
	c.mu.Unlock()
}

// Withheld reports whether Withhold was called.
func (c *Claim) Withheld() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.withheld
}

// Committed reports whether a transaction of this request committed the
// key's row (the change it guards happened).
func (c *Claim) Committed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.committed
}

// RequestID is the request the committed change concerned (0 for none).
func (c *Claim) RequestID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requestID
}

type claimKey struct{}

// WithClaim returns ctx carrying c: the audit appends of the use cases run
// with ctx claim it.
func WithClaim(ctx context.Context, c *Claim) context.Context {
	return context.WithValue(ctx, claimKey{}, c)
}

// ClaimFrom returns the claim ctx carries, or nil.
func ClaimFrom(ctx context.Context) *Claim {
	c, _ := ctx.Value(claimKey{}).(*Claim)
	return c
}

// txState is what one transaction remembers: the claim it inserted, to be
// marked committed when the transaction commits.
type txState struct {
	claim     *Claim
	requestID int64
}

// errKeyTaken is returned by an audit append whose request's key another
// request (a concurrent retry) already claimed: the transaction rolls back
// and the caller answers with the first request's outcome (KeyTaken).
func errKeyTaken() error {
	return &domain.Error{Code: domain.CodeConflict, Message: "idempotency.in_progress"}
}

// KeyTaken reports whether err is an audit append refused because a
// concurrent request claimed the same idempotency key first.
func KeyTaken(err error) bool {
	var e *domain.Error
	return errors.As(err, &e) && e.Message == "idempotency.in_progress"
}

// claim inserts ctx's claim, when it has one not yet claimed, in s's
// transaction; requestID is the request the event concerns (0 for none).
func (s *Store) claim(ctx context.Context, requestID int64) error {
	c := ClaimFrom(ctx)
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.committed || s.tx != nil && s.tx.claim == c {
		return nil
	}
	var reqID *int64
	if requestID != 0 {
		reqID = &requestID
	}
	tag, err := s.db.Exec(ctx,
		`INSERT INTO idempotency_records (user_id, key, method, path, fingerprint, request_id, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, now()) ON CONFLICT (user_id, key) DO NOTHING`,
		c.UserID, c.Key, c.Method, c.Path, c.Fingerprint, reqID)
	if err != nil {
		return dbErr(err, "claim idempotency key")
	}
	if tag.RowsAffected() == 0 {
		return errKeyTaken()
	}
	if s.tx == nil { // on the pool: the insert committed on its own
		c.committed, c.requestID = true, requestID
		return nil
	}
	s.tx.claim, s.tx.requestID = c, requestID
	return nil
}

// committed marks the claim tx inserted as committed.
func (t *txState) committed() {
	if t == nil || t.claim == nil {
		return
	}
	t.claim.mu.Lock()
	t.claim.committed, t.claim.requestID = true, t.requestID
	t.claim.mu.Unlock()
}

// IdempotencyRecord is the stored first outcome of a user's key.
type IdempotencyRecord struct {
	UserID      int64
	Key         string
	Method      string
	Path        string
	Fingerprint string // "" matches any request (rows from before 000020)
	RequestID   int64
	CreatedAt   time.Time
	// Status is 0 while the answer is not stored: the change committed and
	// its answer is running, or was lost.
	Status      int
	ContentType string
	Location    string
	Body        []byte
}

// GetIdempotencyRecord returns user's record of key; CodeNotFound when
// there is none younger than ttl.
func (s *Store) GetIdempotencyRecord(ctx context.Context, userID int64, key string, ttl time.Duration) (IdempotencyRecord, error) {
	var r IdempotencyRecord
	var reqID *int64
	var status *int
	err := s.db.QueryRow(ctx,
		`SELECT user_id, key, method, path, fingerprint, request_id, created_at, status, content_type, location, body
		 FROM idempotency_records WHERE user_id = $1 AND key = $2 AND created_at > now() - make_interval(secs => $3)`,
		userID, key, ttl.Seconds()).
		Scan(&r.UserID, &r.Key, &r.Method, &r.Path, &r.Fingerprint, &reqID, &r.CreatedAt, &status, &r.ContentType, &r.Location, &r.Body)
	if reqID != nil {
		r.RequestID = *reqID
	}
	if status != nil {
		r.Status = *status
	}
	return r, dbErr(err, "idempotency record")
}

// InsertIdempotencyRecord stores r, key and answer at once (a change with
// no audit event); it reports false when the key was taken meanwhile.
func (s *Store) InsertIdempotencyRecord(ctx context.Context, r IdempotencyRecord) (bool, error) {
	var reqID *int64
	if r.RequestID != 0 {
		reqID = &r.RequestID
	}
	tag, err := s.db.Exec(ctx,
		`INSERT INTO idempotency_records (user_id, key, method, path, fingerprint, request_id, created_at,
		                                  status, content_type, location, body)
		 VALUES ($1, $2, $3, $4, $5, $6, now(), NULLIF($7, 0), $8, $9, $10) ON CONFLICT (user_id, key) DO NOTHING`,
		r.UserID, r.Key, r.Method, r.Path, r.Fingerprint, reqID, r.Status, r.ContentType, r.Location, r.Body)
	if err != nil {
		return false, dbErr(err, "insert idempotency record")
	}
	return tag.RowsAffected() == 1, nil
}

// SetIdempotencyAnswer stores the answer of user's claimed key, once.
func (s *Store) SetIdempotencyAnswer(ctx context.Context, userID int64, key string, status int, contentType, location string, body []byte) error {
	_, err := s.db.Exec(ctx,
		`UPDATE idempotency_records SET status = $3, content_type = $4, location = $5, body = $6
		 WHERE user_id = $1 AND key = $2 AND status IS NULL`, userID, key, status, contentType, location, body)
	return dbErr(err, "store idempotency answer")
}

// DeleteIdempotencyRecord forgets user's key (a refused request, whose
// key stays free for the corrected retry).
func (s *Store) DeleteIdempotencyRecord(ctx context.Context, userID int64, key string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM idempotency_records WHERE user_id = $1 AND key = $2`, userID, key)
	return dbErr(err, "delete idempotency record")
}

// PruneIdempotencyRecords deletes the records older than ttl (by the
// database's clock, which stamps them).
func (s *Store) PruneIdempotencyRecords(ctx context.Context, ttl time.Duration) error {
	_, err := s.db.Exec(ctx, `DELETE FROM idempotency_records WHERE created_at < now() - make_interval(secs => $1)`, ttl.Seconds())
	return dbErr(err, "prune idempotency records")
}

// IdempotentRequest returns the request user's key concerned, or 0 when
// the key is unused.
func (s *Store) IdempotentRequest(ctx context.Context, userID int64, key string) (int64, error) {
	var id *int64
	err := s.db.QueryRow(ctx, `SELECT request_id FROM idempotency_records WHERE user_id = $1 AND key = $2`, userID, key).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil || id == nil {
		return 0, dbErr(err, "idempotency key")
	}
	return *id, nil
}
