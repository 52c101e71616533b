package notify_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/cmcoord/cmcoord/internal/notify"
)

func mustMailer(t *testing.T, url string, roots *x509.CertPool) *notify.Mailer {
	t.Helper()
	m, err := notify.NewMailer(url)
	if err != nil {
		t.Fatal(err)
	}
	m.TLSConfig = &tls.Config{RootCAs: roots}
	m.Timeout = 10 * time.Second
	m.Now = func() time.Time { return t0 }
	return m
}

func TestMailer(t *testing.T) {
	t.Parallel()
	msg := notify.Message{
		To:      "ben@example.org",
		Subject: "Demande NPL-RFA-0001 renvoyée : Évacuation médicale vers la vallée, avec un titre assez long pour être replié sur plusieurs mots encodés",
		Body:    "Ligne une.\n\n.\nOpen the request: https://cmcoord.example.org/requests/1\n\n-- \nPied de page\n",
	}
	check := func(t *testing.T, got received) {
		t.Helper()
		if got.From != "cmcoord@example.org" || len(got.To) != 1 || got.To[0] != "ben@example.org" {
			t.Errorf("envelope from %q to %v", got.From, got.To)
		}
		p := parse(t, got.Raw)
		if p.Subject != msg.Subject {
			t.Errorf("Subject = %q, want %q", p.Subject, msg.Subject)
		}
		if p.Body != msg.Body {
			t.Errorf("Body = %q, want %q", p.Body, msg.Body)
		}
		for k, want := range map[string]string{
			"To":           "<ben@example.org>",
			"From":         `"cmcoord" <cmcoord@example.org>`,
			"Date":         t0.Format(time.RFC1123Z),
			"MIME-Version": "1.0",
		} {
			if got := p.Header.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if id := p.Header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.org>") {
			t.Errorf("Message-ID = %q", id)
		}
		for _, line := range strings.Split(string(got.Raw), "\r\n") {
			if len(line) > 998 {
				t.Errorf("a line of %d octets", len(line))
			}
		}
	}

	t.Run("Plain", func(t *testing.T) {
		t.Parallel()
		d, _ := newSMTPD(t, smtpdOptions{})
		m := mustMailer(t, "smtp://"+d.addr+"?from=cmcoord+%3Ccmcoord@example.org%3E", nil)
		if err := m.Send(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
		got := d.messages()
		if len(got) != 1 || got[0].TLS {
			t.Fatalf("received %+v, want one message in plain text", got)
		}
		check(t, got[0])
	})

	t.Run("StartTLSWithAuth", func(t *testing.T) {
		t.Parallel()
		d, roots := newSMTPD(t, smtpdOptions{startTLS: true, user: "mailer", pass: "s3cret"})
		m := mustMailer(t, "smtp://mailer:s3cret@"+d.addr+"?from=cmcoord+%3Ccmcoord@example.org%3E", roots)
		for range 2 { // the second time STARTTLS is known to be offered
			if err := m.Send(t.Context(), msg); err != nil {
				t.Fatal(err)
			}
		}
		got := d.messages()
		if len(got) != 2 || !got[0].TLS || !got[1].TLS || got[0].AuthAs != "mailer" {
			t.Fatalf("received %+v, want two messages over STARTTLS, authenticated", got)
		}
		check(t, got[1])
	})

	t.Run("ImplicitTLS", func(t *testing.T) {
		t.Parallel()
		d, roots := newSMTPD(t, smtpdOptions{implicitTLS: true, user: "mailer", pass: "s3cret"})
		m := mustMailer(t, "smtps://mailer:s3cret@"+d.addr+"?from=cmcoord+%3Ccmcoord@example.org%3E", roots)
		if err := m.Send(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
		if got := d.messages(); len(got) != 1 || !got[0].TLS || got[0].AuthAs != "mailer" {
			t.Fatalf("received %+v, want one message over TLS", got)
		}
	})

	t.Run("ErrUntrustedCertificate", func(t *testing.T) {
		t.Parallel()
		d, _ := newSMTPD(t, smtpdOptions{implicitTLS: true})
		m := mustMailer(t, "smtps://"+d.addr+"?from=cmcoord@example.org", x509.NewCertPool())
		if err := m.Send(t.Context(), msg); err == nil {
			t.Fatal("sent to a server whose certificate nobody trusts")
		}
	})

	t.Run("ErrWrongPassword", func(t *testing.T) {
		t.Parallel()
		d, roots := newSMTPD(t, smtpdOptions{startTLS: true, user: "mailer", pass: "s3cret"})
		m := mustMailer(t, "smtp://mailer:wrong@"+d.addr+"?from=cmcoord@example.org", roots)
		err := m.Send(t.Context(), msg)
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code != 535 {
			t.Fatalf("Send with a wrong password = %v, want SMTP 535", err)
		}
		if strings.Contains(err.Error(), "wrong") {
			t.Errorf("the error %q shows the password", err)
		}
	})

	t.Run("ErrRefused", func(t *testing.T) {
		t.Parallel()
		d, _ := newSMTPD(t, smtpdOptions{})
		d.refuse = func(string) error {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
		}
		err := mustMailer(t, "smtp://"+d.addr+"?from=cmcoord@example.org", nil).Send(t.Context(), msg)
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code != 550 {
			t.Fatalf("Send = %v, want SMTP 550", err)
		}
	})

	t.Run("ErrCancelled", func(t *testing.T) {
		t.Parallel()
		d, _ := newSMTPD(t, smtpdOptions{})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := mustMailer(t, "smtp://"+d.addr+"?from=cmcoord@example.org", nil).Send(ctx, msg)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Send on a cancelled context = %v", err)
		}
	})

	t.Run("HeaderInjection", func(t *testing.T) {
		t.Parallel()
		d, _ := newSMTPD(t, smtpdOptions{})
		m := mustMailer(t, "smtp://"+d.addr+"?from=cmcoord@example.org", nil)
		if err := m.Send(t.Context(), notify.Message{To: "ben@example.org", Subject: "Hi\r\nBcc: evil@example.org", Body: "x"}); err != nil {
			t.Fatal(err)
		}
		p := parse(t, d.messages()[0].Raw)
		if p.Header.Get("Bcc") != "" || p.Subject != "Hi Bcc: evil@example.org" {
			t.Errorf("Bcc %q, Subject %q: a subject added a header", p.Header.Get("Bcc"), p.Subject)
		}
	})
}

func TestNewMailer(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ url, want string }{
		{"smtp://mail.example.org?from=cmcoord@example.org", "smtp://mail.example.org:587"},
		{"smtps://u:p@mail.example.org?from=cmcoord@example.org", "smtps://mail.example.org:465"},
		{"smtp://mail.example.org:2525?from=cmcoord@example.org", "smtp://mail.example.org:2525"},
		{"http://mail.example.org?from=cmcoord@example.org", "error"},
		{"smtp://mail.example.org", "error"},
		{"smtp://mail.example.org?from=nobody", "error"},
		{"smtp://?from=cmcoord@example.org", "error"},
	} {
		m, err := notify.NewMailer(tt.url)
		got := "error"
		if err == nil {
			got = m.String()
		}
		if got != tt.want {
			t.Errorf("NewMailer(%q) = %q (err %v), want %q", tt.url, got, err, tt.want)
		}
	}
}

// TestMailerReplyTo: a reply address becomes the Reply-To header; none
// writes none; a value that could add a header is refused, not sent.
func TestMailerReplyTo(t *testing.T) {
	t.Parallel()
	d, _ := newSMTPD(t, smtpdOptions{})
	m := mustMailer(t, "smtp://"+d.addr+"?from=cmcoord@example.org", nil)
	const rt = "reply+abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst@reply.example.org"
	if err := m.Send(t.Context(), notify.Message{To: "ben@example.org", Subject: "Hi", Body: "x", ReplyTo: rt}); err != nil {
		t.Fatal(err)
	}
	if err := m.Send(t.Context(), notify.Message{To: "ben@example.org", Subject: "Hi", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"reply@example.org\r\nBcc: evil@example.org", "a@b.org, c@d.org", "not an address"} {
		if err := m.Send(t.Context(), notify.Message{To: "ben@example.org", Subject: "Hi", Body: "x", ReplyTo: bad}); err == nil {
			t.Errorf("ReplyTo %q sent", bad)
		}
	}
	got := d.messages()
	if len(got) != 2 {
		t.Fatalf("%d messages, want 2", len(got))
	}
	if h := parse(t, got[0].Raw).Header.Get("Reply-To"); h != "<"+rt+">" {
		t.Errorf("Reply-To = %q, want <%s>", h, rt)
	}
	if _, ok := parse(t, got[1].Raw).Header["Reply-To"]; ok {
		t.Error("a message without ReplyTo has a Reply-To header")
	}
}
