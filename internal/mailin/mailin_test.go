package mailin_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/mailin"
	"github.com/cmcoord/cmcoord/internal/notify"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

var t0 = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

const (
	pw          = "violet kettle harbour at dawn"
	replyDomain = "reply.cmcoord.example.org"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// world is a private database with an operation, a request drafted by
// rita of Relief NGO, her colleague carl and otto of another
// organisation, real services, a notifier with reply addresses, and the
// inbound listener on a loopback port.
type world struct {
	pool     *pgxpool.Pool
	st       *store.Store
	clock    *clock
	dir      *service.Directory
	reqs     *service.Requests
	notifier *notify.Notifier
	admin    domain.Actor
	op       domain.Operation
	other    domain.Organization
	rita     domain.User
	carl     domain.User
	otto     domain.User
	request  domain.Request
	addr     string // the listener's
}

func newWorld(t *testing.T, maxBytes int64) *world {
	t.Helper()
	ctx := t.Context()
	w := &world{clock: &clock{t: t0}}
	w.pool = testdb.New(t)
	w.st = store.New(w.pool)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	access := service.NewAccess(w.st, w.clock.now, log)
	w.dir = service.NewDirectory(w.st, access, w.clock.now, log)
	w.reqs = service.NewRequests(w.st, w.clock.now, log).WithActionLimits(nil)
	w.notifier = notify.New(catalog, true, "https://cmcoord.example.org", log).WithClock(w.clock.now).WithReplyDomain(replyDomain)
	adminUser, err := w.dir.CreateAdmin(ctx, "admin@example.org", "Ada", pw, domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatal(err)
	}
	if w.admin, err = access.Actor(ctx, adminUser.ID, adminUser.SessionEpoch); err != nil {
		t.Fatal(err)
	}
	w.op, err = w.dir.CreateOperation(ctx, w.admin, domain.Operation{Code: "NPL-EQ", Name: "Nepal earthquake", CountryISO3: "NPL",
		Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48})
	if err != nil {
		t.Fatal(err)
	}
	ngo, err := w.dir.CreateOrganization(ctx, w.admin, domain.Organization{Name: "Relief NGO", Acronym: "RNGO", Type: domain.OrgINGO})
	if err != nil {
		t.Fatal(err)
	}
	w.other, err = w.dir.CreateOrganization(ctx, w.admin, domain.Organization{Name: "Other NGO", Acronym: "ONGO", Type: domain.OrgNNGO})
	if err != nil {
		t.Fatal(err)
	}
	member := func(email string, orgID int64) domain.User {
		u, _, err := w.dir.CreateUser(ctx, w.admin, service.NewUser{User: domain.User{Email: email, Name: email, OrganizationID: orgID}, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.dir.SetMember(ctx, w.admin, w.op.Code, u.ID, domain.RoleSet{domain.RoleRequester}); err != nil {
			t.Fatal(err)
		}
		return u
	}
	w.rita, w.carl, w.otto = member("rita@example.org", ngo.ID), member("carl@example.org", ngo.ID), member("otto@example.org", w.other.ID)
	rita, err := access.Actor(ctx, w.rita.ID, w.rita.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	var created bool
	w.request, created, err = w.reqs.Create(ctx, rita, w.op.Code, domain.Request{Title: "Helicopter to Upper Valley"}, "")
	if err != nil || !created {
		t.Fatalf("Create = %v, %v", created, err)
	}

	srv := mailin.New(mailin.Options{Addr: "127.0.0.1:0", Domain: replyDomain, MaxMessageBytes: maxBytes,
		Replies: service.NewReplies(w.st, w.reqs, w.clock.now, log), Catalog: catalog, Log: log})
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	w.addr = srv.Addr()
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, time.Second) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return w
}

// notice tells users of a returned request, as a service does, and
// returns the Reply-To of each one's e-mail, from the outbox.
func (w *world) notice(t *testing.T, users ...domain.User) map[int64]string {
	t.Helper()
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	err := w.st.InTx(t.Context(), func(tx *store.Store) error {
		return w.notifier.Notify(t.Context(), tx, domain.Notice{Kind: domain.NoticeReturned, RequestID: w.request.ID,
			Reference: w.request.Reference, Title: w.request.Title, Recipients: ids, Data: map[string]string{"Reason": "Add the landing zone."}})
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for _, u := range users {
		var replyTo, body string
		err := w.pool.QueryRow(t.Context(), `SELECT o.reply_to, o.body FROM outbox o JOIN notifications n ON n.id = o.notification_id
			WHERE n.user_id = $1 ORDER BY o.id DESC LIMIT 1`, u.ID).Scan(&replyTo, &body)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(replyTo, "reply+") || !strings.HasSuffix(replyTo, "@"+replyDomain) {
			t.Fatalf("reply_to of %s = %q", u.Email, replyTo)
		}
		if !strings.Contains(body, "Reply to this e-mail to add a comment") || strings.Index(body, "Reply to this e-mail") > strings.Index(body, "\n-- \n") {
			t.Fatalf("body of %s lacks the reply line before the signature:\n%s", u.Email, body)
		}
		out[u.ID] = replyTo
	}
	return out
}

// send delivers raw from envelope sender from to rcpt with a real SMTP
// client, and returns the refusal at RCPT or at the end of DATA.
func (w *world) send(t *testing.T, from, rcpt, raw string) (rcptErr, dataErr error) {
	t.Helper()
	c, err := smtp.Dial(w.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("mx.example.net"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(from, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		return err, nil
	}
	wc, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(wc, strings.ReplaceAll(raw, "\n", "\r\n")); err != nil {
		return nil, err
	}
	dataErr = wc.Close()
	_ = c.Quit()
	return nil, dataErr
}

func (w *world) comments(t *testing.T) []domain.Comment {
	t.Helper()
	cs, err := w.st.ListComments(t.Context(), w.request.ID)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func wantSMTP(t *testing.T, err error, code int, text string) {
	t.Helper()
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != code || !strings.Contains(se.Message, text) {
		t.Fatalf("answer = %v, want %d …%s…", err, code, text)
	}
	t.Logf("answer: %v", err)
}

func reply(from, to, body string) string {
	return "From: " + from + "\nTo: " + to + "\nSubject: Re: Request returned\nDate: Mon, 30 Nov 2026 11:00:00 +0000\nMessage-ID: <r1@example.net>\n" +
		"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n" + body
}

// TestReplyBecomesComment: replies to captured notification e-mails,
// from Gmail, Outlook and a French client, become comments by the
// token's user without their quoted history; the audit says by e-mail.
func TestReplyBecomesComment(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	to := w.notice(t, w.rita, w.carl)
	if to[w.rita.ID] == to[w.carl.ID] {
		t.Fatal("two recipients share a reply address")
	}
	gmail := reply("Rita <rita@example.org>", to[w.rita.ID], "The landing zone is the school football field.\n\n"+
		"On Mon, 30 Nov 2026 at 10:00, cmcoord <cmcoord@example.org>\nwrote:\n\n> Request NPL-RFA-0001 was returned.\n> Reason: Add the landing zone.\n")
	const outlookText = "Confirmed for 06:00 – weather permitting.\n\n________________________________\nFrom: cmcoord <cmcoord@example.org>\n" +
		"Sent: Monday, November 30, 2026 10:00\nTo: Carl\nSubject: Request returned\n\nRequest NPL-RFA-0001 was returned.\n"
	outlook := "From: Carl <carl@example.org>\nTo: " + to[w.carl.ID] + "\nSubject: RE: Request returned\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/alternative; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: base64\n\n" +
		wrap76(base64.StdEncoding.EncodeToString([]byte(outlookText))) + "\n" +
		"--b1\nContent-Type: text/html; charset=\"utf-8\"\n\n<p>Confirmed (html)</p>\n--b1--\n"
	french := "From: Rita <rita@example.org>\nTo: " + to[w.rita.ID] + "\nSubject: RE: Demande renvoyée\nMIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n" +
		"D=E9collage confirm=E9 =E0 6 h.\n\n-- \nRita, Relief NGO\n\nLe lun. 30 nov. 2026 =E0 10:00, cmcoord <cmcoord@example.org> a =E9crit :\n> La demande a =E9t=E9 renvoy=E9e.\n"
	for _, m := range []struct{ name, rcpt, raw string }{{"Gmail", to[w.rita.ID], gmail}, {"Outlook", to[w.carl.ID], outlook},
		{"French", to[w.rita.ID], french}} {
		if rerr, derr := w.send(t, "bounce@mx.example.net", m.rcpt, m.raw); rerr != nil || derr != nil {
			t.Fatalf("%s: RCPT %v, DATA %v", m.name, rerr, derr)
		}
	}
	cs := w.comments(t)
	want := []struct {
		author int64
		body   string
	}{{w.rita.ID, "The landing zone is the school football field."}, {w.carl.ID, "Confirmed for 06:00 – weather permitting."},
		{w.rita.ID, "Décollage confirmé à 6 h."}}
	if len(cs) != len(want) {
		t.Fatalf("%d comments, want %d: %+v", len(cs), len(want), cs)
	}
	for i, c := range cs {
		if c.AuthorID != want[i].author || c.Body != want[i].body {
			t.Errorf("comment %d = by %d %q, want by %d %q", i, c.AuthorID, c.Body, want[i].author, want[i].body)
		}
	}
	var via string
	if err := w.pool.QueryRow(t.Context(), `SELECT payload::jsonb->>'via' FROM events WHERE request_id = $1 AND action = $2 ORDER BY seq LIMIT 1`,
		w.request.ID, domain.EventComment).Scan(&via); err != nil || via != service.CommentViaEmail {
		t.Errorf("comment event via = %q, %v; want %q", via, err, service.CommentViaEmail)
	}
	var used int
	if err := w.pool.QueryRow(t.Context(), `SELECT used_count FROM reply_tokens WHERE user_id = $1`, w.rita.ID).Scan(&used); err != nil || used != 2 {
		t.Errorf("rita's token used %d times, %v; want 2", used, err)
	}
}

// TestReplyFromHeaderIsNotIdentity: a From header (and envelope) naming
// another user changes nothing: the comment is the token's user's.
func TestReplyFromHeaderIsNotIdentity(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	to := w.notice(t, w.rita)
	if rerr, derr := w.send(t, "otto@example.org", to[w.rita.ID], reply("Otto <otto@example.org>", to[w.rita.ID], "Posted as whom?")); rerr != nil || derr != nil {
		t.Fatalf("RCPT %v, DATA %v", rerr, derr)
	}
	cs := w.comments(t)
	if len(cs) != 1 || cs[0].AuthorID != w.rita.ID {
		t.Fatalf("comments = %+v, want one by rita (%d)", cs, w.rita.ID)
	}
}

// TestReplyRefused: what is not a good reply address of an allowed user
// is refused at RCPT with a permanent 550, and nothing is posted.
func TestReplyRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	to := w.notice(t, w.rita, w.carl, w.otto)
	rita := to[w.rita.ID]
	token, _ := domain.ParseReplyAddress(rita, replyDomain)
	forged := domain.ReplyAddress(domain.NewReplyToken([]byte("not the instance's key"), make([]byte, domain.ReplyTokenRandom)), replyDomain)
	flipped := []byte(token)
	flipped[3] = map[bool]byte{true: 'b', false: 'a'}[flipped[3] == 'a']
	const unknown = "this reply address is unknown or has expired; comment on the request page instead"
	for _, c := range []struct{ name, rcpt, text string }{
		{"Forged", forged, unknown},
		{"Altered", domain.ReplyAddress(string(flipped), replyDomain), unknown},
		{"Garbage", "reply+hello@" + replyDomain, unknown},
		{"OtherDomain", strings.Replace(rita, replyDomain, "example.org", 1), "only takes replies"},
		{"NotAReplyAddress", "postmaster@" + replyDomain, "only takes replies"},
	} {
		rerr, _ := w.send(t, "x@example.net", c.rcpt, reply("x@example.net", c.rcpt, "Hello"))
		wantSMTP(t, rerr, 550, c.text)
	}
	// Upper case, as some servers rewrite it, is the same address.
	if rerr, derr := w.send(t, "r@example.org", strings.ToUpper(rita), reply("r@example.org", rita, "Upper case works.")); rerr != nil || derr != nil {
		t.Fatalf("upper-case address: RCPT %v, DATA %v", rerr, derr)
	}
	// A user moved out of sight of the request: refused, with the reason.
	otto := to[w.otto.ID] // otto's organisation cannot see rita's draft
	rerr, _ := w.send(t, "o@example.org", otto, reply("o@example.org", otto, "Can I see it?"))
	wantSMTP(t, rerr, 550, "not added: you may no longer see this request or comment on it")
	if strings.Contains(rerr.Error(), "request page") {
		t.Errorf("the refusal sends a user who cannot see the request to its page: %v", rerr)
	}
	// A disabled user.
	carl, err := w.dir.GetUser(t.Context(), w.admin, w.carl.ID)
	if err != nil {
		t.Fatal(err)
	}
	carl.Disabled = true
	if _, err := w.dir.UpdateUser(t.Context(), w.admin, carl); err != nil {
		t.Fatal(err)
	}
	rerr, _ = w.send(t, "c@example.org", to[w.carl.ID], reply("c@example.org", to[w.carl.ID], "Still here?"))
	wantSMTP(t, rerr, 550, unknown)
	// Expired: past the token's lifetime.
	w.clock.set(t0.Add(domain.ReplyTokenLifetime + time.Minute))
	rerr, _ = w.send(t, "r@example.org", rita, reply("r@example.org", rita, "Too late?"))
	wantSMTP(t, rerr, 550, unknown)
	if cs := w.comments(t); len(cs) != 1 || cs[0].Body != "Upper case works." {
		t.Fatalf("comments = %+v, want the upper-case one only", cs)
	}
}

// TestReplyVisibilityLost: a recipient who can no longer see the request
// (moved to another organisation) is refused, at RCPT and — when it
// happens between RCPT and DATA — at DATA.
func TestReplyVisibilityLost(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	to := w.notice(t, w.carl)
	// Accepted at RCPT; the move happens before the message ends.
	c, err := smtp.Dial(w.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("c@example.org", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(to[w.carl.ID], nil); err != nil {
		t.Fatal(err)
	}
	carl, err := w.dir.GetUser(t.Context(), w.admin, w.carl.ID)
	if err != nil {
		t.Fatal(err)
	}
	carl.OrganizationID = w.other.ID
	if _, err := w.dir.UpdateUser(t.Context(), w.admin, carl); err != nil {
		t.Fatal(err)
	}
	wc, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(wc, strings.ReplaceAll(reply("c@example.org", to[w.carl.ID], "Moved meanwhile."), "\n", "\r\n")); err != nil {
		t.Fatal(err)
	}
	wantSMTP(t, wc.Close(), 550, "no longer see this request")
	// And from then on at RCPT.
	rerr, _ := w.send(t, "c@example.org", to[w.carl.ID], reply("c@example.org", to[w.carl.ID], "Still in?"))
	wantSMTP(t, rerr, 550, "no longer see this request")
	if cs := w.comments(t); len(cs) != 0 {
		t.Fatalf("comments = %+v, want none", cs)
	}
}

// TestReplyBodyRefusals: an empty reply once stripped, and an oversize
// message, are refused; an automatic reply is accepted and dropped.
func TestReplyBodyRefusals(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 16<<10)
	to := w.notice(t, w.rita)
	rita := to[w.rita.ID]
	_, derr := w.send(t, "r@example.org", rita, reply("r@example.org", rita, "\n\nOn Mon, 30 Nov 2026 at 10:00, cmcoord wrote:\n> quoted only\n"))
	wantSMTP(t, derr, 550, "nothing to add")
	_, derr = w.send(t, "r@example.org", rita, reply("r@example.org", rita, strings.Repeat("A line of text.\n", 2000)))
	wantSMTP(t, derr, 552, "")
	for _, h := range []string{"Auto-Submitted: auto-replied", "Precedence: bulk", "Return-Path: <>"} {
		raw := h + "\n" + reply("r@example.org", rita, "I am out of the office until Monday. ("+h+")")
		if rerr, derr := w.send(t, "r@example.org", rita, raw); rerr != nil || derr != nil {
			t.Fatalf("%s: RCPT %v, DATA %v; want accepted and dropped", h, rerr, derr)
		}
	}
	if rerr, derr := w.send(t, "", rita, reply("r@example.org", rita, "Delivery report")); rerr != nil || derr != nil {
		t.Fatalf("null sender: RCPT %v, DATA %v; want accepted and dropped", rerr, derr)
	}
	// Too long a comment for the rules: refused with the reason.
	_, derr = w.send(t, "r@example.org", rita, reply("r@example.org", rita, strings.Repeat(strings.Repeat("x", 99)+"\n", 50)))
	wantSMTP(t, derr, 550, "not added:")
	if cs := w.comments(t); len(cs) != 0 {
		t.Fatalf("comments = %+v, want none", cs)
	}
}

// TestReplyOneRecipient: a second reply address in the same message is
// deferred (the sender sends it again on its own).
func TestReplyOneRecipient(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	to := w.notice(t, w.rita, w.carl)
	c, err := smtp.Dial(w.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("r@example.org", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(to[w.rita.ID], nil); err != nil {
		t.Fatal(err)
	}
	err = c.Rcpt(to[w.carl.ID], nil)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code/100 != 4 {
		t.Fatalf("second RCPT = %v, want a 4xx", err)
	}
}

// TestAccountNoticeHasNoReplyAddress: e-mails of account notices never
// carry a reply address.
func TestAccountNoticeHasNoReplyAddress(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	err := w.st.InTx(t.Context(), func(tx *store.Store) error {
		return w.notifier.Notify(t.Context(), tx, domain.Notice{Kind: domain.NoticeAccountPassword, Recipients: []int64{w.rita.ID}})
	})
	if err != nil {
		t.Fatal(err)
	}
	var replyTo, body string
	if err := w.pool.QueryRow(t.Context(), `SELECT reply_to, body FROM outbox ORDER BY id DESC LIMIT 1`).Scan(&replyTo, &body); err != nil {
		t.Fatal(err)
	}
	var tokens int
	if err := w.pool.QueryRow(t.Context(), `SELECT count(*) FROM reply_tokens`).Scan(&tokens); err != nil {
		t.Fatal(err)
	}
	if replyTo != "" || strings.Contains(body, "Reply to this e-mail") || tokens != 0 {
		t.Fatalf("account notice: reply_to %q, %d tokens, body:\n%s", replyTo, tokens, body)
	}
}

// wrap76 cuts s into lines of 76 characters, as MIME base64 is written.
func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}
