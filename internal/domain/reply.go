package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"strings"
	"time"
)

// Comment by replying (issue 19): every e-mail about a request carries a
// reply address of its own, reply+<token>@<reply domain>, that names one
// recipient and one request. A reply to it, received by cmcoord's inbound
// SMTP listener, becomes a comment by that recipient: the sender is known
// from the token, never from the From header.
//
// A token is 16 random bytes and the first 16 bytes of HMAC-SHA256 of
// them under the installation's secret ReplyTokenSecret, in lower-case
// base32 without padding (52 characters: some mail servers lower-case
// the local part, and base32 survives that). A forged token fails the
// HMAC and is refused before any database lookup; the database keeps
// only the token's SHA-256 (ReplyTokenHash).
//
// Each e-mail gets a fresh token (no token is reused across e-mails, so
// none need ever be stored readable); every token works until
// ReplyTokenLifetime after its e-mail was written, however often used.

// ReplyTokenSecret names the instance secret (store.InstanceSecret) that
// signs reply tokens.
const ReplyTokenSecret = "reply-tokens"

// ReplyTokenLifetime is how long a reply address works after its e-mail
// was written.
const ReplyTokenLifetime = 30 * 24 * time.Hour

// ReplyLocalPrefix starts the local part of every reply address.
const ReplyLocalPrefix = "reply+"

// ReplyTokenRandom is how many random bytes NewReplyToken takes.
const ReplyTokenRandom = 16

const replyMACSize = 16

var replyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ReplyToken is one stored reply address: the SHA-256 of its token, the
// user it speaks for and the request it comments on.
type ReplyToken struct {
	Hash      []byte
	UserID    int64
	RequestID int64
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedCount int
}

// Expired reports whether t no longer works at now.
func (t ReplyToken) Expired(now time.Time) bool { return !now.Before(t.ExpiresAt) }

// NewReplyToken returns the token made of random (ReplyTokenRandom
// bytes) signed with key.
func NewReplyToken(key, random []byte) string {
	b := make([]byte, 0, len(random)+replyMACSize)
	b = append(b, random...)
	b = append(b, replyMAC(key, random)...)
	return replyEncoding.EncodeToString(b)
}

// CheckReplyToken reports whether token is well formed and signed with
// key. It needs no database: a forged token stops here.
func CheckReplyToken(key []byte, token string) bool {
	if len(token) != replyEncoding.EncodedLen(ReplyTokenRandom+replyMACSize) {
		return false
	}
	b, err := replyEncoding.DecodeString(token)
	if err != nil || len(b) != ReplyTokenRandom+replyMACSize {
		return false
	}
	return hmac.Equal(b[ReplyTokenRandom:], replyMAC(key, b[:ReplyTokenRandom]))
}

func replyMAC(key, random []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ReplyTokenSecret + ":"))
	m.Write(random)
	return m.Sum(nil)[:replyMACSize]
}

// ReplyTokenHash is what the database keeps of token.
func ReplyTokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// ReplyAddress is the reply address of token at mail domain domain.
func ReplyAddress(token, domain string) string {
	return ReplyLocalPrefix + token + "@" + strings.ToLower(domain)
}

// ParseReplyAddress returns the token of addr when addr is a reply
// address at domain (letter case ignored, as mail servers may change
// it); ok is false for any other address.
func ParseReplyAddress(addr, domain string) (token string, ok bool) {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || domain == "" || !strings.EqualFold(addr[at+1:], domain) {
		return "", false
	}
	local := strings.ToLower(addr[:at])
	if !strings.HasPrefix(local, ReplyLocalPrefix) {
		return "", false
	}
	return local[len(ReplyLocalPrefix):], true
}
