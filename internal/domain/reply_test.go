package domain_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestReplyToken: a token checks under its key only, survives being
// lower-cased (it already is), fits an SMTP local part, and any altered
// character fails.
func TestReplyToken(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{7}, 32)
	random := []byte("0123456789abcdef")
	tok := domain.NewReplyToken(key, random)
	if tok != strings.ToLower(tok) || len(domain.ReplyLocalPrefix+tok) > 64 {
		t.Fatalf("token %q: not lower case or too long a local part", tok)
	}
	if !domain.CheckReplyToken(key, tok) {
		t.Fatal("a good token fails")
	}
	if domain.CheckReplyToken(bytes.Repeat([]byte{8}, 32), tok) {
		t.Error("a token checks under another key")
	}
	for i := range tok {
		b := []byte(tok)
		b[i] = map[bool]byte{true: 'b', false: 'a'}[b[i] == 'a']
		if domain.CheckReplyToken(key, string(b)) {
			t.Errorf("altered at %d, still good", i)
		}
	}
	for _, bad := range []string{"", "abc", strings.ToUpper(tok), tok + "a", tok[:len(tok)-1]} {
		if domain.CheckReplyToken(key, bad) {
			t.Errorf("CheckReplyToken(%q) = true", bad)
		}
	}
	addr := domain.ReplyAddress(tok, "Reply.Example.org")
	for _, a := range []string{addr, strings.ToUpper(addr)} {
		if got, ok := domain.ParseReplyAddress(a, "reply.example.org"); !ok || got != tok {
			t.Errorf("ParseReplyAddress(%q) = %q, %v", a, got, ok)
		}
	}
	for _, a := range []string{"reply+" + tok + "@example.org", "rita@reply.example.org", tok + "@reply.example.org", "reply.example.org"} {
		if _, ok := domain.ParseReplyAddress(a, "reply.example.org"); ok {
			t.Errorf("ParseReplyAddress(%q) ok", a)
		}
	}
	if !bytes.Equal(domain.ReplyTokenHash(tok), domain.ReplyTokenHash(tok)) || len(domain.ReplyTokenHash(tok)) != 32 {
		t.Error("ReplyTokenHash is not a stable SHA-256")
	}
}
