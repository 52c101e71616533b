package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Kept forms: a form posted after its session ended (it expired, or the
// user's sessions were ended) is kept, for the user who last signed in on
// that browser only, and handed back once after they sign in again.

const (
	// StashLifetime is how long a kept form waits for its user to sign in.
	StashLifetime = 30 * time.Minute
	// MarkerLifetime is how long a browser is remembered as its last
	// user's, to bind a kept form to them.
	MarkerLifetime = 30 * 24 * time.Hour
	// MaxStashBytes bounds a kept form (the pages' own form limit).
	MaxStashBytes = 256 << 10
)

// NewSecret returns a random 256-bit secret, hex-encoded: a browser
// marker or the key of a kept form.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

func secretHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// MarkBrowser records that user signed in on the browser holding marker.
func (a *Access) MarkBrowser(ctx context.Context, userID int64, marker string) error {
	now := a.now()
	return a.store.MarkBrowser(ctx, secretHash(marker), userID, now.Add(MarkerLifetime), now)
}

// ForgetBrowser forgets marker (the user signed out: nothing typed after
// that is theirs).
func (a *Access) ForgetBrowser(ctx context.Context, marker string) error {
	if marker == "" {
		return nil
	}
	return a.store.UnmarkBrowser(ctx, secretHash(marker))
}

// StashForm keeps body, a form posted to path after its session ended on
// the browser holding marker, for the user who last signed in there. It
// returns the kept form's key, or "" when no user is known for marker (or
// the form is too large): nothing is kept that could not be bound to its
// author. The body is never logged.
func (a *Access) StashForm(ctx context.Context, marker, path, body string) (string, error) {
	if marker == "" || len(body) > MaxStashBytes || len(path) > 300 || path == "" || path[0] != '/' {
		return "", nil
	}
	id, now := NewSecret(), a.now()
	ok, err := a.store.StashForm(ctx, secretHash(marker), secretHash(id), path, body, now, now.Add(StashLifetime))
	if err != nil || !ok {
		return "", err
	}
	return id, nil
}

// TakeStash hands the form kept under id back to userID, who has just
// signed in, once: the page it was posted to and its body. Kept for anyone
// else (another user signed in on that browser), or expired, it is
// discarded and ok is false.
func (a *Access) TakeStash(ctx context.Context, userID int64, id string) (path, body string, ok bool, err error) {
	if id == "" || userID == 0 {
		return "", "", false, nil
	}
	owner, path, body, ok, err := a.store.TakeFormStash(ctx, secretHash(id), a.now())
	if err != nil || !ok || owner != userID {
		return "", "", false, err
	}
	return path, body, true, nil
}
