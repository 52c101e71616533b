package notify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpd is a real SMTP server (go-smtp's) on a loopback port that keeps
// every message it accepts.
type smtpd struct {
	addr string
	// Refuse, when set, answers each RCPT TO; a non-nil error (an
	// *smtp.SMTPError) refuses the recipient.
	refuse func(to string) error

	mu       sync.Mutex
	received []received
	user     string // AUTH PLAIN credentials; "" offers no AUTH
	pass     string
}

// received is one accepted message.
type received struct {
	From   string
	To     []string
	Raw    []byte
	TLS    bool
	AuthAs string
}

type smtpdOptions struct {
	startTLS    bool // offer STARTTLS
	implicitTLS bool // TLS from the first byte (smtps)
	user, pass  string
}

// newSMTPD starts a server; the returned pool trusts its certificate.
func newSMTPD(t *testing.T, o smtpdOptions) (*smtpd, *x509.CertPool) {
	t.Helper()
	d := &smtpd{user: o.user, pass: o.pass}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{d: d, tls: isTLS, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cert, roots := selfSigned(t)
	if o.startTLS || o.implicitTLS {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	if o.implicitTLS {
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	d.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return d, roots
}

func (d *smtpd) messages() []received {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]received(nil), d.received...)
}

type session struct {
	d      *smtpd
	conn   *smtp.Conn
	tls    bool
	authAs string
	from   string
	to     []string
}

func (s *session) AuthMechanisms() []string {
	if s.d.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.d.user || pass != s.d.pass {
			return smtp.ErrAuthFailed
		}
		s.authAs = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.d.user != "" && s.authAs == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.d.refuse != nil {
		if err := s.d.refuse(to); err != nil {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	s.d.received = append(s.d.received, received{From: s.from, To: s.to, Raw: raw, TLS: s.tls || isTLS, AuthAs: s.authAs})
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool
// that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// parsed is a received message read back as a mail client would.
type parsed struct {
	Header  mail.Header
	Subject string // decoded
	Body    string // decoded text/plain part
	HTML    string // decoded text/html part
	// Parts are the multipart/alternative's parts' headers, in order.
	Parts []textproto.MIMEHeader
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject %q: %v", m.Header.Get("Subject"), err)
	}
	p := parsed{Header: m.Header, Subject: subject}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" || params["boundary"] == "" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative with a boundary", m.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := r.NextRawPart() // raw: the test decodes, as it checks the encoding
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v\n%s", err, raw)
		}
		p.Parts = append(p.Parts, part.Header)
		if cte := part.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Errorf("part %d Content-Transfer-Encoding %q", len(p.Parts), cte)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(part))
		if err != nil {
			t.Fatalf("part %d: %v", len(p.Parts), err)
		}
		switch part.Header.Get("Content-Type") {
		case "text/plain; charset=utf-8":
			p.Body = strings.ReplaceAll(string(body), "\r\n", "\n")
		case "text/html; charset=utf-8":
			p.HTML = string(body)
		default:
			t.Errorf("part %d of type %q", len(p.Parts), part.Header.Get("Content-Type"))
		}
	}
	if len(p.Parts) != 2 || p.Parts[0].Get("Content-Type") != "text/plain; charset=utf-8" ||
		p.Parts[1].Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("parts %v, want text/plain then text/html", p.Parts)
	}
	return p
}
