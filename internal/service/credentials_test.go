package service_test

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/notify"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// credFixture is an instance whose account changes are told by e-mail
// (the notifier queues to the outbox).
type credFixture struct {
	clock  *clock
	pool   *pgxpool.Pool
	st     *store.Store
	access *service.Access
	dir    *service.Directory
	admin  domain.Actor
	n      int
}

func newCredFixture(t *testing.T) *credFixture {
	t.Helper()
	c := &clock{t: t0}
	pool := testdb.New(t)
	st := store.New(pool)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	access := service.NewAccess(st, c.now, log).WithNotifier(notify.New(catalog, true, "https://cmcoord.example.org", log).WithClock(c.now))
	dir := service.NewDirectory(st, access, c.now, log)
	root, err := dir.CreateAdmin(t.Context(), "root@example.org", "Root", pw, domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := access.Actor(t.Context(), root.ID, root.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	return &credFixture{clock: c, pool: pool, st: st, access: access, dir: dir, admin: admin}
}

// user creates a user with password pw and returns them with their
// actor (a signed-in session).
func (f *credFixture) user(t *testing.T) (domain.User, domain.Actor) {
	t.Helper()
	f.n++
	u, _, err := f.dir.CreateUser(t.Context(), f.admin, service.NewUser{User: domain.User{
		Email: fmt.Sprintf("user%d@example.org", f.n), Name: fmt.Sprintf("User %d", f.n), OrganizationID: f.admin.OrganizationID}, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.access.Actor(t.Context(), u.ID, u.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	a.Address = "198.51.100.4"
	return u, a
}

func (f *credFixture) token(t *testing.T, by domain.Actor, scope domain.TokenScope) (string, domain.APIToken) {
	t.Helper()
	secret, tok, err := f.access.CreateToken(t.Context(), by, service.TokenRequest{CurrentPassword: pw,
		NewToken: domain.NewToken{Name: "script " + string(scope), Scope: scope}})
	if err != nil {
		t.Fatal(err)
	}
	return secret, tok
}

// notices returns the kinds of user id's in-app notifications and the
// bodies of the e-mails queued to address.
func (f *credFixture) notices(t *testing.T, id int64, address string) ([]domain.NoticeKind, []string) {
	t.Helper()
	list, err := f.st.ListNotifications(t.Context(), id, 100)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []domain.NoticeKind
	for _, n := range list {
		kinds = append(kinds, n.Kind)
	}
	rows, err := f.pool.Query(t.Context(), `SELECT subject || E'\n' || body FROM outbox WHERE to_address = $1 ORDER BY id`, address)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var mails []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			t.Fatal(err)
		}
		mails = append(mails, m)
	}
	return kinds, mails
}

// TestEveryCredentialEndsTogether walks every credential-ending path
// against every kind of credential: afterwards the user's other session,
// their full token and their read-only token are all dead — but a token
// the user chose to keep when changing their password. The password
// paths tell the user in-app and by e-mail, without a secret.
func TestEveryCredentialEndsTogether(t *testing.T) {
	t.Parallel()
	const next = "a brand new passphrase"
	paths := []struct {
		name     string
		keep     bool // the full token is kept
		told     bool // an account_password notice and e-mail
		disables bool
		end      func(t *testing.T, f *credFixture, u domain.User, a domain.Actor, keep []int64) error
	}{
		{name: "ChangePassword", told: true, end: func(t *testing.T, f *credFixture, u domain.User, a domain.Actor, _ []int64) error {
			_, err := f.access.ChangePassword(t.Context(), a, pw, next, nil)
			return err
		}},
		{name: "ChangePasswordKeepingOne", keep: true, told: true, end: func(t *testing.T, f *credFixture, u domain.User, a domain.Actor, keep []int64) error {
			_, err := f.access.ChangePassword(t.Context(), a, pw, next, keep)
			return err
		}},
		{name: "ResetWithLink", told: true, end: func(t *testing.T, f *credFixture, u domain.User, _ domain.Actor, _ []int64) error {
			secret, err := f.dir.IssuePasswordLink(t.Context(), f.admin, u.ID)
			if err != nil {
				return err
			}
			_, err = f.access.SetPasswordWithLink(t.Context(), secret, next, "203.0.113.9")
			return err
		}},
		{name: "AdminDisables", disables: true, end: func(t *testing.T, f *credFixture, u domain.User, _ domain.Actor, _ []int64) error {
			cur, err := f.dir.GetUser(t.Context(), f.admin, u.ID)
			if err != nil {
				return err
			}
			cur.Disabled = true
			_, err = f.dir.UpdateUser(t.Context(), f.admin, cur)
			return err
		}},
		{name: "AdminSignsOutEverywhere", end: func(t *testing.T, f *credFixture, u domain.User, _ domain.Actor, _ []int64) error {
			return f.dir.EndSessions(t.Context(), f.admin, u.ID)
		}},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			f := newCredFixture(t)
			ctx := t.Context()
			u, a := f.user(t)
			full, fullTok := f.token(t, a, domain.TokenFull)
			read, _ := f.token(t, a, domain.TokenRead)
			var keep []int64
			if p.keep {
				keep = []int64{fullTok.ID, 999999} // a foreign ID keeps nothing
			}
			if err := p.end(t, f, u, a, keep); err != nil {
				t.Fatal(err)
			}
			if p.disables { // enabled again: nothing of before comes back
				cur, err := f.dir.GetUser(ctx, f.admin, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				cur.Disabled = false
				if _, err := f.dir.UpdateUser(ctx, f.admin, cur); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := f.access.Actor(ctx, u.ID, u.SessionEpoch); domain.ErrorCode(err) != domain.CodeUnauthorized {
				t.Errorf("the other session: %v, want ended", err)
			}
			for _, c := range []struct {
				name, secret string
				live         bool
			}{{"full token", full, p.keep}, {"read-only token", read, false}} {
				_, err := f.access.ActorForToken(ctx, c.secret)
				if got := err == nil; got != c.live {
					t.Errorf("%s works = %v, want %v (%v)", c.name, got, c.live, err)
				}
			}
			kinds, mails := f.notices(t, u.ID, u.Email)
			if got := slices.Contains(kinds, domain.NoticeAccountPassword); got != p.told {
				t.Errorf("in-app password notice = %v, want %v (%v)", got, p.told, kinds)
			}
			told := 0
			for _, m := range mails {
				if strings.Contains(m, "password was changed") {
					told++
				}
				if strings.Contains(m, pw) || strings.Contains(m, next) || strings.Contains(m, full) || strings.Contains(m, "/set-password/") {
					t.Errorf("an e-mail holds a secret:\n%s", m)
				}
			}
			if want := map[bool]int{true: 1, false: 0}[p.told]; told != want {
				t.Errorf("%d password e-mails, want %d: %q", told, want, mails)
			}
		})
	}
}

// TestTokenRules: creating a token re-authenticates with the password;
// a read-only token creates none and reads as a read-only actor; a token
// stops at its expiry; the new token is told to its user in-app and by
// e-mail.
func TestTokenRules(t *testing.T) {
	t.Parallel()
	f := newCredFixture(t)
	ctx := t.Context()
	u, a := f.user(t)
	ask := func(pw string, scope domain.TokenScope, expires *time.Time) error {
		_, _, err := f.access.CreateToken(ctx, a, service.TokenRequest{CurrentPassword: pw,
			NewToken: domain.NewToken{Name: "x", Scope: scope, ExpiresAt: expires}})
		return err
	}
	field := func(err error, name string) string {
		if e, ok := err.(*domain.Error); ok {
			return e.Fields[name]
		}
		return ""
	}
	if err := ask("", domain.TokenFull, nil); field(err, "current_password") != "field.required" {
		t.Errorf("no password: %v", err)
	}
	if err := ask("wrong password here", domain.TokenFull, nil); field(err, "current_password") != "password.wrong" {
		t.Errorf("wrong password: %v", err)
	}
	// A user whose account has no password yet (an unused link) cannot.
	nopw, _, err := f.dir.CreateUser(ctx, f.admin, service.NewUser{User: domain.User{Email: "nopw@example.org", Name: "No Password", OrganizationID: f.admin.OrganizationID}})
	if err != nil {
		t.Fatal(err)
	}
	nopwActor, err := f.access.Actor(ctx, nopw.ID, nopw.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.access.CreateToken(ctx, nopwActor, service.TokenRequest{CurrentPassword: "anything at all",
		NewToken: domain.NewToken{Scope: domain.TokenRead}}); field(err, "current_password") != "token.needs_password" {
		t.Errorf("user without password: %v", err)
	}

	readSecret, _ := f.token(t, a, domain.TokenRead)
	ro, err := f.access.ActorForToken(ctx, readSecret)
	if err != nil || !ro.ReadOnly || ro.UserID != u.ID {
		t.Fatalf("read-only token's actor %+v, %v", ro, err)
	}
	if _, _, err := f.access.CreateToken(ctx, ro, service.TokenRequest{CurrentPassword: pw,
		NewToken: domain.NewToken{Scope: domain.TokenRead}}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("a read-only token creating a token: %v, want forbidden", err)
	}
	fullSecret, _ := f.token(t, a, domain.TokenFull)
	if fa, err := f.access.ActorForToken(ctx, fullSecret); err != nil || fa.ReadOnly {
		t.Errorf("full token's actor %+v, %v", fa, err)
	}

	expiry := t0.Add(30 * 24 * time.Hour)
	secret, tok, err := f.access.CreateToken(ctx, a, service.TokenRequest{CurrentPassword: pw,
		NewToken: domain.NewToken{Name: "monthly", Scope: domain.TokenRead, ExpiresAt: &expiry}})
	if err != nil || tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(expiry) {
		t.Fatalf("token with expiry %+v, %v", tok, err)
	}
	f.clock.t = expiry.Add(-time.Second)
	if _, err := f.access.ActorForToken(ctx, secret); err != nil {
		t.Errorf("a second before its expiry: %v", err)
	}
	f.clock.t = expiry
	if _, err := f.access.ActorForToken(ctx, secret); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Errorf("at its expiry: %v, want unauthorized", err)
	}
	f.clock.t = t0

	kinds, mails := f.notices(t, u.ID, u.Email)
	if n := count(kinds, domain.NoticeAccountToken); n != 3 {
		t.Errorf("%d in-app token notices, want 3 (one per token created): %v", n, kinds)
	}
	tokenMails := 0
	for _, m := range mails {
		if strings.Contains(m, "API token") {
			tokenMails++
			if strings.Contains(m, service.TokenPrefix) || !strings.Contains(m, "198.51.100.4") {
				t.Errorf("token e-mail shows a secret or lacks the address:\n%s", m)
			}
		}
	}
	if tokenMails != 3 {
		t.Errorf("%d token e-mails, want 3", tokenMails)
	}
}

func count[T comparable](s []T, v T) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}
