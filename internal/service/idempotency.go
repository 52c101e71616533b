package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// IdempotencyCall is one state-changing request made under an
// Idempotency-Key: who, the key, and what the request was (method, path
// and a hash of its body without the key), so a retry can be told apart
// from another request reusing the key.
type IdempotencyCall = store.Claim

// IdempotencyRecord is the first outcome of a user's key.
type IdempotencyRecord = store.IdempotencyRecord

// MaxIdempotentBody bounds the answer body kept for replay; a longer
// answer is not kept, and a retry is shown the resource's current state.
const MaxIdempotentBody = 64 << 10

// Idempotency keeps the outcomes of requests made under an
// Idempotency-Key (domain.CheckIdempotencyKey, IdempotencyTTL): the key
// is claimed in the transaction of the change it guards (store.Claim),
// the answer is stored after it, and a retry is answered from the record.
type Idempotency struct {
	store *store.Store
	log   *slog.Logger
}

// NewIdempotency returns the Idempotency service over st.
func NewIdempotency(st *store.Store, log *slog.Logger) *Idempotency {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Idempotency{store: st, log: log}
}

// Begin returns ctx carrying call: the first audit event any use case run
// with the returned context appends claims the key in its transaction.
func (s *Idempotency) Begin(ctx context.Context, call *IdempotencyCall) context.Context {
	return store.WithClaim(ctx, call)
}

// Lookup returns user's record of key younger than domain.IdempotencyTTL;
// found is false when the key is unused.
func (s *Idempotency) Lookup(ctx context.Context, userID int64, key string) (rec IdempotencyRecord, found bool, err error) {
	rec, err = s.store.GetIdempotencyRecord(ctx, userID, key, domain.IdempotencyTTL)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return IdempotencyRecord{}, false, nil
	}
	return rec, err == nil, err
}

// Answer is what a request answered.
type Answer struct {
	Status      int
	ContentType string
	Location    string
	Body        []byte
}

// Finish records call's outcome a. When call's change committed (its key
// was claimed), a success is stored for replay, a refusal frees the key
// for the corrected retry (domain.IdempotentAnswerStored) and a server
// failure leaves the key bound to the change without an answer. When
// nothing was claimed — no audited change ran — a success is stored with
// the key (a change without an audit event, such as marking notifications
// read). taken is true when another request holding the same key claimed
// it first: the caller answers with that request's outcome, not a.
//
// The answer is stored even when ctx was cancelled (the client gave up):
// that is the lost answer a retry will ask for.
func (s *Idempotency) Finish(ctx context.Context, call *IdempotencyCall, a Answer) (taken bool, err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	keep := domain.IdempotentAnswerStored(a.Status)
	tooLong := len(a.Body) > MaxIdempotentBody || call.Withheld() // a secret is never stored
	if call.Committed() {
		switch {
		case !keep && a.Status < 500:
			return false, s.store.DeleteIdempotencyRecord(ctx, call.UserID, call.Key)
		case !keep || tooLong:
			return false, nil // the change stays bound to the key; a retry sees its effect
		}
		return false, s.store.SetIdempotencyAnswer(ctx, call.UserID, call.Key, a.Status, a.ContentType, a.Location, a.Body)
	}
	if _, found, err := s.Lookup(ctx, call.UserID, call.Key); err != nil || found {
		return found, err // another request with the key committed first
	}
	if !keep {
		return false, nil
	}
	rec := IdempotencyRecord{UserID: call.UserID, Key: call.Key, Method: call.Method, Path: call.Path, Fingerprint: call.Fingerprint}
	if !tooLong {
		rec.Status, rec.ContentType, rec.Location, rec.Body = a.Status, a.ContentType, a.Location, a.Body
	}
	ok, err := s.store.InsertIdempotencyRecord(ctx, rec)
	return err == nil && !ok, err
}

// WithholdAnswer marks the answer of the request ctx belongs to as
// holding a secret (a new token, a set-password link, recovery codes):
// it is not kept for replay under the request's Idempotency-Key, and a
// retry is shown the resource the change concerned instead.
func WithholdAnswer(ctx context.Context) {
	if c := store.ClaimFrom(ctx); c != nil {
		c.Withhold()
	}
}
