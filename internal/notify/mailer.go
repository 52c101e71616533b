package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one e-mail to one address, written as plain text; the
// Mailer sends it with an HTML alternative made from the same text.
type Message struct {
	// ID, when set, is the Message-ID's left part (stable for one outbox
	// row); otherwise a random one is made.
	ID      string
	To      string
	Subject string
	Body    string
	// ReplyTo, when set, is the Reply-To address (a reply address of
	// domain.ReplyAddress); it must be a bare e-mail address.
	ReplyTo string
	// ListUnsubscribe, when set, is a one-click unsubscribe URL (https):
	// written as List-Unsubscribe with List-Unsubscribe-Post (RFC 8058).
	ListUnsubscribe string
	// Language is the recipient's language ("en", "ar"…), for the HTML
	// part's lang and direction; "" when unknown.
	Language string
}

// Mailer sends e-mail through one SMTP server, one connection per
// message. Only the Worker uses it: no web request waits for SMTP.
type Mailer struct {
	implicitTLS bool   // smtps://
	addr        string // host:port
	host        string
	user, pass  string
	auth        bool
	from        *mail.Address

	// TLSConfig is used for smtps:// and STARTTLS; nil verifies the
	// server's certificate against the system roots for the URL's host.
	TLSConfig *tls.Config
	// Timeout bounds sending one message: connecting, TLS and every
	// command. NewMailer sets 30 seconds.
	Timeout time.Duration
	// Now stamps the Date header; NewMailer sets time.Now.
	Now func() time.Time
	// BaseURL is the address users reach cmcoord at: in the HTML part only
	// links starting with it are clickable ("" makes none clickable).
	BaseURL string

	// starttls records that the server offered STARTTLS once; from then
	// on this Mailer insists on it, so a connection stripped of the offer
	// does not fall back to plain text.
	starttls atomic.Bool
}

// NewMailer parses an SMTP URL:
//
//	smtp://user:pass@host:port?from=cmcoord@example.org   STARTTLS when the server offers it (port 587 by default)
//	smtps://user:pass@host:port?from=…                   TLS from the start (port 465 by default)
//
// User and password are optional and sent with AUTH PLAIN, only over TLS
// or to a loopback host. from is required; it may carry a display name
// ("cmcoord <cmcoord@example.org>", URL-encoded).
func NewMailer(rawURL string) (*Mailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("notify: the SMTP URL does not parse")
	}
	m := &Mailer{Timeout: 30 * time.Second, Now: time.Now}
	port := "587"
	switch u.Scheme {
	case "smtp":
	case "smtps":
		m.implicitTLS, port = true, "465"
	default:
		return nil, fmt.Errorf("notify: SMTP URL scheme %q is not smtp or smtps", u.Scheme)
	}
	m.host = u.Hostname()
	if m.host == "" {
		return nil, errors.New("notify: the SMTP URL names no host")
	}
	if u.Port() != "" {
		port = u.Port()
	}
	m.addr = net.JoinHostPort(m.host, port)
	if u.User != nil {
		m.user = u.User.Username()
		m.pass, _ = u.User.Password()
		m.auth = m.user != ""
	}
	from := u.Query().Get("from")
	if from == "" {
		return nil, errors.New("notify: the SMTP URL needs ?from=address")
	}
	if m.from, err = mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("notify: SMTP URL from=%q is not an e-mail address", from)
	}
	return m, nil
}

// String describes the server without its password, for logs.
func (m *Mailer) String() string {
	scheme := "smtp"
	if m.implicitTLS {
		scheme = "smtps"
	}
	return scheme + "://" + m.addr
}

// Send delivers msg, or returns why not. An *smtp.SMTPError carries the
// server's reply code (4xx temporary, 5xx permanent).
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	to, err := mail.ParseAddress(msg.To)
	if err != nil {
		return fmt.Errorf("notify: recipient %q is not an e-mail address", msg.To)
	}
	raw, err := m.compose(to, msg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, m.Timeout)
	defer cancel()
	c, err := m.connect(ctx)
	if err != nil {
		return m.fail(ctx, err)
	}
	defer c.Close()
	if m.auth {
		if err := m.authenticate(c); err != nil {
			return m.fail(ctx, err)
		}
	}
	if err := c.SendMail(m.from.Address, []string{to.Address}, bytes.NewReader(raw)); err != nil {
		return m.fail(ctx, err)
	}
	// The message was accepted at the end of DATA; a failed goodbye does
	// not make it undelivered.
	_ = c.Quit()
	return nil
}

// fail wraps err with the server, preferring the context's reason when
// the deadline or a shutdown cut the conversation short.
func (m *Mailer) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("smtp %s: %w (%w)", m.addr, ctx.Err(), err)
	}
	return fmt.Errorf("smtp %s: %w", m.addr, err)
}

// connect opens a session: TLS from the start for smtps://, otherwise
// STARTTLS whenever the server offers it. The connection is closed when
// ctx ends, which unblocks any command in flight.
func (m *Mailer) connect(ctx context.Context) (*smtp.Client, error) {
	dial := func() (net.Conn, error) {
		d := &net.Dialer{}
		var (
			conn net.Conn
			err  error
		)
		if m.implicitTLS {
			conn, err = (&tls.Dialer{NetDialer: d, Config: m.tlsConfig()}).DialContext(ctx, "tcp", m.addr)
		} else {
			conn, err = d.DialContext(ctx, "tcp", m.addr)
		}
		if err != nil {
			return nil, err
		}
		context.AfterFunc(ctx, func() { conn.Close() })
		return conn, nil
	}
	conn, err := dial()
	if err != nil {
		return nil, err
	}
	if m.implicitTLS {
		return m.client(smtp.NewClient(conn)), nil
	}
	if !m.starttls.Load() {
		c := m.client(smtp.NewClient(conn))
		if ok, _ := c.Extension("STARTTLS"); !ok {
			// Extension hides a failed greeting or EHLO; NOOP reports it.
			if err := c.Noop(); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		}
		// go-smtp starts TLS only on a fresh session: reconnect.
		m.starttls.Store(true)
		c.Close()
		if conn, err = dial(); err != nil {
			return nil, err
		}
	}
	c, err := smtp.NewClientStartTLS(conn, m.tlsConfig())
	if err != nil {
		conn.Close()
		return nil, err
	}
	return m.client(c), nil
}

// client sets c's per-command timeouts to the Mailer's.
func (m *Mailer) client(c *smtp.Client) *smtp.Client {
	c.CommandTimeout, c.SubmissionTimeout = m.Timeout, m.Timeout
	return c
}

func (m *Mailer) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.TLSConfig != nil {
		cfg = m.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = m.host
	}
	return cfg
}

// authenticate logs in with AUTH PLAIN. Credentials never cross an
// unencrypted connection, except to this machine (as net/smtp's
// PlainAuth does).
func (m *Mailer) authenticate(c *smtp.Client) error {
	if _, isTLS := c.TLSConnectionState(); !isTLS && !isLocalhost(m.host) {
		return errors.New("refusing to send the SMTP password over an unencrypted connection: use smtps:// or a server that offers STARTTLS")
	}
	if ok, _ := c.Extension("AUTH"); !ok {
		return errors.New("the server does not offer AUTH, but the SMTP URL has a user")
	}
	return c.Auth(sasl.NewPlainClient("", m.user, m.pass))
}

func isLocalhost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// compose writes msg as an RFC 5322 message, multipart/alternative:
// first the UTF-8 plain text, then an HTML rendering of the same text
// (htmlBody), both quoted-printable; the subject RFC 2047-encoded when it
// is not ASCII.
func (m *Mailer) compose(to *mail.Address, msg Message) ([]byte, error) {
	left := msg.ID
	if left == "" {
		id := make([]byte, 16)
		if _, err := rand.Read(id); err != nil {
			return nil, fmt.Errorf("notify: message id: %w", err)
		}
		left = hex.EncodeToString(id)
	}
	// "=_" never occurs in quoted-printable text, so no part can end the
	// multipart early.
	bnd := make([]byte, 12)
	if _, err := rand.Read(bnd); err != nil {
		return nil, fmt.Errorf("notify: boundary: %w", err)
	}
	boundary := "=_cmcoord_" + hex.EncodeToString(bnd)
	domain := m.from.Address[strings.LastIndexByte(m.from.Address, '@')+1:]
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("Date", m.Now().Format(time.RFC1123Z))
	header("Message-ID", "<"+left+"@"+domain+">")
	header("From", m.from.String())
	header("To", to.String())
	header("Subject", encodeSubject(msg.Subject))
	if msg.ReplyTo != "" {
		// Parsed and re-written, so a stored value can never add a header.
		rt, err := mail.ParseAddress(msg.ReplyTo)
		if err != nil || strings.ContainsAny(rt.Address, "\r\n<>") {
			return nil, fmt.Errorf("notify: reply-to %q is not an e-mail address", msg.ReplyTo)
		}
		header("Reply-To", "<"+rt.Address+">")
	}
	header("MIME-Version", "1.0")
	header("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	header("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies, please
	if u := oneLine(msg.ListUnsubscribe, 2000); u != "" && !strings.ContainsAny(u, "<>") {
		header("List-Unsubscribe", "<"+u+">")
		header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	b.WriteString("\r\n")
	text := strings.ReplaceAll(msg.Body, "\r\n", "\n")
	for _, part := range []struct{ typ, body string }{
		{"text/plain; charset=utf-8", text},
		{"text/html; charset=utf-8", htmlBody(text, msg.Language, m.BaseURL)},
	} {
		b.WriteString("--" + boundary + "\r\n")
		header("Content-Type", part.typ)
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		qp := quotedprintable.NewWriter(&b)
		if _, err := qp.Write([]byte(part.body)); err != nil {
			return nil, fmt.Errorf("notify: encode body: %w", err)
		}
		if err := qp.Close(); err != nil {
			return nil, fmt.Errorf("notify: encode body: %w", err)
		}
		b.WriteString("\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes(), nil
}

// encodeSubject encodes a subject with RFC 2047 Q-encoding when it holds
// anything but printable ASCII, and folds the encoded words onto lines of
// their own so no header line outgrows the 998-octet limit.
func encodeSubject(s string) string {
	s = oneLine(s, maxSubject)
	return strings.ReplaceAll(mime.QEncoding.Encode("utf-8", s), "?= =?", "?=\r\n =?")
}
