package notify_test

import (
	"testing"

	"github.com/cmcoord/cmcoord/internal/notify"
)

// TestMailerListUnsubscribe: a message with a one-click unsubscribe URL
// carries List-Unsubscribe and List-Unsubscribe-Post (RFC 8058); one
// without carries neither, and a URL cannot add a header line.
func TestMailerListUnsubscribe(t *testing.T) {
	t.Parallel()
	d, _ := newSMTPD(t, smtpdOptions{})
	m := mustMailer(t, "smtp://"+d.addr+"?from=cmcoord@example.org", nil)
	const url = "https://cmcoord.example.org/unsubscribe/digest/12.c2lnbmVk"
	for _, msg := range []notify.Message{
		{To: "ana@example.org", Subject: "Digest", Body: "Items.\n", ListUnsubscribe: url},
		{To: "ana@example.org", Subject: "Now", Body: "One.\n"},
		{To: "ana@example.org", Subject: "Forged", Body: "One.\n", ListUnsubscribe: url + "\r\nBcc: evil@example.org"},
	} {
		if err := m.Send(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	got := d.messages()
	if len(got) != 3 {
		t.Fatalf("received %d messages, want 3", len(got))
	}
	p := parse(t, got[0].Raw)
	if h := p.Header.Get("List-Unsubscribe"); h != "<"+url+">" {
		t.Errorf("List-Unsubscribe = %q, want <%s>", h, url)
	}
	if h := p.Header.Get("List-Unsubscribe-Post"); h != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", h)
	}
	p = parse(t, got[1].Raw)
	if p.Header.Get("List-Unsubscribe") != "" || p.Header.Get("List-Unsubscribe-Post") != "" {
		t.Errorf("a message without a URL has List-Unsubscribe headers: %v", p.Header)
	}
	p = parse(t, got[2].Raw)
	if p.Header.Get("Bcc") != "" || len(got[2].To) != 1 {
		t.Errorf("a URL with a line break added a header: %v", p.Header)
	}
}
