package service

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"strconv"
	"sync"
)

// localDraftsSecret names the instance secret the per-user keys of
// browser-side drafts derive from (migration 31).
const localDraftsSecret = "local-drafts"

// localKeys caches the instance secret: it never changes once made.
type localKeys struct {
	mu     sync.Mutex
	secret []byte
}

// LocalDraftKey returns the 32-byte AES key with which the browser of
// userID encrypts the copies of forms and the offline drafts it keeps
// (web/static/js/offline.js): HMAC-SHA256 of the installation's secret
// and "local-drafts:<user id>". Pages give it to that signed-in user
// only, so another account on the same device cannot read them; it is
// stable, so they survive an ended session and come back when the same
// user signs in again.
func (s *Access) LocalDraftKey(ctx context.Context, userID int64) ([]byte, error) {
	lk := &s.localKeys
	lk.mu.Lock()
	defer lk.mu.Unlock()
	if lk.secret == nil {
		candidate := make([]byte, 32)
		_, _ = rand.Read(candidate) // never fails (crypto/rand)
		secret, err := s.store.InstanceSecret(ctx, localDraftsSecret, candidate)
		if err != nil {
			return nil, err
		}
		lk.secret = secret
	}
	m := hmac.New(sha256.New, lk.secret)
	m.Write([]byte("local-drafts:" + strconv.FormatInt(userID, 10)))
	return m.Sum(nil), nil
}
