// Package actionlink makes and reads the secrets of the links in e-mails
// that act for their recipient (domain.ActionLink): the notifier makes
// them when it writes an e-mail, the review service reads them when one
// is opened or used.
//
// A link's token is 32 random bytes followed by the first 16 bytes of
// HMAC-SHA256, under the installation's "action-links" secret, over those
// bytes and everything the link is bound to (user, request, review,
// round, purpose, value, expiry). Only the SHA-256 of the random part is
// stored. A token is accepted when its random part finds a row and its
// tag matches the row's fields: a guessed token finds no row, and neither
// a token made for one user, review or value nor an edited row passes for
// another.
//
// It imports domain and store only.
package actionlink

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// SecretName is the installation secret links are signed with.
const SecretName = "action-links"

const (
	secretLen = 32
	tagLen    = 16
)

// Key returns the installation's signing key, creating it on first use
// (every instance agrees on the first one stored).
func Key(ctx context.Context, st *store.Store) ([]byte, error) {
	candidate := make([]byte, 32)
	_, _ = rand.Read(candidate)
	return st.InstanceSecret(ctx, SecretName, candidate)
}

// New returns a fresh token for link l and the hash to store it by.
func New(key []byte, l domain.ActionLink) (token string, hash []byte) {
	secret := make([]byte, secretLen)
	_, _ = rand.Read(secret)
	raw := append(secret, tag(key, secret, l)...)
	h := sha256.Sum256(secret)
	return base64.RawURLEncoding.EncodeToString(raw), h[:]
}

// Parse splits a token into the hash its row is stored by and its tag;
// ok is false for anything that is not a token's shape.
func Parse(token string) (hash, tag []byte, ok bool) {
	if len(token) != base64.RawURLEncoding.EncodedLen(secretLen+tagLen) {
		return nil, nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != secretLen+tagLen {
		return nil, nil, false
	}
	h := sha256.Sum256(raw[:secretLen])
	return h[:], raw[secretLen:], true
}

// Verify reports whether token was made for exactly link l under key.
func Verify(key []byte, token string, l domain.ActionLink) bool {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != secretLen+tagLen {
		return false
	}
	return hmac.Equal(raw[secretLen:], tag(key, raw[:secretLen], l))
}

// tag is the MAC binding secret to what link l is for.
func tag(key, secret []byte, l domain.ActionLink) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(secret)
	for _, f := range []string{strconv.FormatInt(l.UserID, 10), strconv.FormatInt(l.RequestID, 10),
		strconv.FormatInt(l.ReviewID, 10), strconv.Itoa(l.Round), string(l.Purpose), l.Value,
		strconv.FormatInt(l.ExpiresAt.Unix(), 10)} {
		m.Write([]byte{0})
		m.Write([]byte(f))
	}
	return m.Sum(nil)[:tagLen]
}
