package mailin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"maps"
	"net"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
)

// DefaultMaxMessageBytes is the largest reply accepted unless configured
// otherwise: a comment is short, and quoted histories and signatures
// rarely need more.
const DefaultMaxMessageBytes = 1 << 20

// Limits of a conversation.
const (
	readTimeout   = time.Minute
	writeTimeout  = time.Minute
	maxLineLength = 2000 // octets, CRLF excluded (RFC 5321 asks for at least 1000)
	commentTime   = 30 * time.Second
)

// Options configure a Server.
type Options struct {
	// Addr is the listen address, such as ":2525" or "127.0.0.1:25".
	Addr string
	// Domain is the reply domain: only reply+<token>@Domain is accepted.
	Domain string
	// MaxMessageBytes bounds a message (DefaultMaxMessageBytes when 0).
	MaxMessageBytes int64
	// Replies resolves tokens and posts comments.
	Replies *service.Replies
	// Catalog gives refusals their English text.
	Catalog *i18n.Catalog
	Log     *slog.Logger
}

// Server is the inbound SMTP listener.
type Server struct {
	o        Options
	smtp     *smtp.Server
	ln       net.Listener
	outcomes *prometheus.CounterVec
	base     context.Context
}

// New returns a Server for o; Listen opens its port.
func New(o Options) *Server {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	o.Domain = strings.ToLower(o.Domain)
	s := &Server{o: o, base: context.Background(),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cmcoord_mail_replies_total",
			Help: "Messages received by the inbound SMTP listener, by outcome: commented (became a comment), refused (at RCPT or DATA), ignored (automatic replies).",
		}, []string{"outcome"})}
	for _, o := range []string{"commented", "refused", "ignored"} {
		s.outcomes.WithLabelValues(o) // present at 0 from the start
	}
	srv := smtp.NewServer(s)
	srv.Domain = o.Domain
	srv.MaxMessageBytes = o.MaxMessageBytes
	srv.MaxRecipients = 1 // one reply address per message: the sender sends the rest again, separately
	srv.MaxLineLength = maxLineLength
	srv.ReadTimeout, srv.WriteTimeout = readTimeout, writeTimeout
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if h := o.Log.Handler(); h != nil {
		srv.ErrorLog = slog.NewLogLogger(h, slog.LevelWarn)
	}
	s.smtp = srv
	return s
}

// Collector is the counter of replies by outcome, for the metrics
// registry.
func (s *Server) Collector() prometheus.Collector { return s.outcomes }

// Listen opens the listen address, so that a taken port fails the start.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.o.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (-inbound-smtp-addr): %w", s.o.Addr, err)
	}
	s.ln = ln
	return nil
}

// Addr is the address listened on, once Listen has succeeded.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve accepts conversations until ctx is done, then stops accepting
// and lets those in progress end within grace before cutting them.
func (s *Server) Serve(ctx context.Context, grace time.Duration) error {
	if s.ln == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	s.base = context.WithoutCancel(ctx)
	s.o.Log.Info("inbound SMTP listening", "addr", s.Addr(), "reply_domain", s.o.Domain, "max_message_bytes", s.o.MaxMessageBytes)
	errc := make(chan error, 1)
	go func() { errc <- s.smtp.Serve(s.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := s.smtp.Shutdown(sctx); err != nil {
		_ = s.smtp.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return err
	}
	s.o.Log.Info("inbound SMTP stopped")
	return nil
}

// NewSession starts a conversation (smtp.Backend).
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: s, remote: c.Conn().RemoteAddr().String()}, nil
}

// session is one SMTP conversation.
type session struct {
	s      *Server
	remote string
	from   string // the envelope sender: logged, never believed
	null   bool   // MAIL FROM:<> (a bounce or an automatic reply)
	token  string
	to     string
}

var (
	errUnknown = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
		Message: "this reply address is unknown or has expired; comment on the request page instead"}
	errNotHere = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
		Message: "no such mailbox: this server only takes replies to cmcoord notification e-mails"}
	errOneRcpt = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3},
		Message: "one reply address per message; send to the others separately"}
	errNoRcpt = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "no valid recipient"}
	errEmpty  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
		Message: "nothing to add: the reply is empty once the quoted message and signature are removed"}
	errUnreadable = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
		Message: "the message could not be read as text"}
	// errNoLonger: the reply's user may no longer see the request or
	// comment on it (their organisation or roles changed); the request
	// page would not let them either, so the text sends them nowhere.
	errNoLonger = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
		Message: "not added: you may no longer see this request or comment on it"}
	errTemporary = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
		Message: "temporary failure, please try again later"}
)

func (ss *session) Reset() { ss.from, ss.null, ss.token, ss.to = "", false, "", "" }

func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from, ss.null = from, from == ""
	return nil
}

// Rcpt accepts only a reply address whose token is good, of an enabled
// user who may still comment on the request.
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	log := ss.log().With("to", redactToken(to))
	if ss.token != "" {
		return errOneRcpt
	}
	token, ok := domain.ParseReplyAddress(to, ss.s.o.Domain)
	if !ok {
		ss.s.refused(log, "not a reply address", nil)
		return errNotHere
	}
	ctx, cancel := context.WithTimeout(ss.s.base, commentTime)
	defer cancel()
	target, err := ss.s.o.Replies.Resolve(ctx, token)
	if err != nil {
		return ss.s.answer(log, "rcpt", err)
	}
	ss.token, ss.to = token, to
	log.Debug("reply address accepted", "user_id", target.Actor.UserID, "request_id", target.RequestID)
	return nil
}

// Data reads the reply and posts it as a comment, unless it is an
// automatic reply (accepted and dropped).
func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		ss.s.refused(ss.log(), "message too large or cut", err)
		return err // smtp.ErrDataTooLarge answers 552
	}
	if ss.token == "" {
		return errNoRcpt
	}
	log := ss.log().With("to", redactToken(ss.to))
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		ss.s.refused(log, "unreadable message", err)
		return errUnreadable
	}
	log = log.With("header_from", msg.Header.Get("From"))
	if why := automatic(msg.Header, ss.null); why != "" {
		ss.s.outcomes.WithLabelValues("ignored").Inc()
		log.Info("automatic reply dropped", "why", why)
		return nil
	}
	text, err := messageText(msg)
	if err != nil {
		ss.s.refused(log, "no text", err)
		return errUnreadable
	}
	body := StripQuoted(text)
	if body == "" {
		ss.s.refused(log, "nothing left after stripping the quote", nil)
		return errEmpty
	}
	ctx, cancel := context.WithTimeout(ss.s.base, commentTime)
	defer cancel()
	c, err := ss.s.o.Replies.Comment(ctx, ss.token, body)
	if err != nil {
		return ss.s.answer(log, "data", err)
	}
	ss.s.outcomes.WithLabelValues("commented").Inc()
	log.Info("reply posted as a comment", "comment_id", c.ID, "request_id", c.RequestID, "user_id", c.AuthorID)
	return nil
}

func (ss *session) log() *slog.Logger {
	return ss.s.o.Log.With("remote", ss.remote, "mail_from", ss.from)
}

// answer turns a refusal of service.Replies into an SMTP reply: a bad
// token 550 5.1.1, a user who may no longer see the request or comment
// on it 550 5.7.1 saying so, any other rule of the domain 550 5.7.1 with
// its English text, anything else (the database) 451, to be tried again.
func (s *Server) answer(log *slog.Logger, stage string, err error) error {
	switch {
	case errors.Is(err, service.ErrReplyUnknown):
		s.refused(log, stage+": unknown, forged or expired token, or user not allowed", nil)
		return errUnknown
	case domain.ErrorCode(err) == domain.CodeNotFound || domain.ErrorCode(err) == domain.CodeForbidden:
		s.refused(log, stage+": the user may no longer see the request or comment on it", err)
		return errNoLonger
	case domain.ErrorCode(err) != "internal":
		msg := s.english(domain.ErrorMessage(err))
		var de *domain.Error
		if errors.As(err, &de) {
			for _, k := range slices.Sorted(maps.Keys(de.Fields)) {
				msg += " " + s.english(de.Fields[k])
			}
		}
		s.refused(log, stage+": refused by the rules", err)
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
			Message: "not added: " + oneLine(msg) + " (comment on the request page instead)"}
	}
	s.outcomes.WithLabelValues("refused").Inc()
	log.Error("reply not posted: temporary failure", "stage", stage, "err", err)
	return errTemporary
}

// english is the English text of message key id.
func (s *Server) english(id string) string {
	if s.o.Catalog == nil {
		return id
	}
	return s.o.Catalog.Localizer("en").T(id)
}

func (s *Server) refused(log *slog.Logger, why string, err error) {
	s.outcomes.WithLabelValues("refused").Inc()
	if err != nil {
		log.Info("reply refused", "why", why, "err", err)
		return
	}
	log.Info("reply refused", "why", why)
}

// automatic says why h (with the envelope sender null or not) is an
// automatic message, or "" for a person's reply (RFC 3834).
func automatic(h mail.Header, nullSender bool) string {
	if nullSender {
		return "empty envelope sender"
	}
	if v := strings.ToLower(strings.TrimSpace(strings.Split(h.Get("Auto-Submitted"), ";")[0])); v != "" && v != "no" {
		return "Auto-Submitted: " + v
	}
	switch p := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); p {
	case "bulk", "junk", "list", "auto_reply":
		return "Precedence: " + p
	}
	if rp, ok := h["Return-Path"]; ok && len(rp) > 0 && strings.TrimSpace(strings.Trim(strings.TrimSpace(rp[0]), "<>")) == "" {
		return "empty Return-Path"
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond"} {
		if h.Get(k) != "" {
			return k
		}
	}
	return ""
}

// redactToken hides most of a reply address's token in logs.
func redactToken(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || !strings.HasPrefix(strings.ToLower(addr), domain.ReplyLocalPrefix) || at < len(domain.ReplyLocalPrefix)+6 {
		return addr
	}
	return addr[:len(domain.ReplyLocalPrefix)+6] + "…" + addr[at:]
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
