package service_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

const pw = "violet kettle harbour at dawn"

// clock is a settable time source for the services under test.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type accessFixture struct {
	st     *store.Store
	clock  *clock
	access *service.Access
	dir    *service.Directory
	admin  domain.Actor
	user   domain.User
}

func newAccessFixture(t *testing.T) *accessFixture {
	t.Helper()
	c := &clock{t: t0}
	st := store.New(testdb.New(t))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	access := service.NewAccess(st, c.now, log)
	dir := service.NewDirectory(st, access, c.now, log)
	ctx := t.Context()
	adminUser, err := dir.CreateAdmin(ctx, "admin@example.org", "Ada", pw, domain.Organization{})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := access.Actor(ctx, adminUser.ID, adminUser.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := dir.CreateUser(ctx, admin, service.NewUser{
		User: domain.User{Email: "Ana@WFP.org", Name: "Ana", OrganizationID: adminUser.OrganizationID}, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	return &accessFixture{st: st, clock: c, access: access, dir: dir, admin: admin, user: u}
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		f := newAccessFixture(t)
		u, err := f.access.SignIn(t.Context(), "  ana@wfp.ORG ", pw, "10.0.0.1")
		if err != nil || u.ID != f.user.ID {
			t.Fatalf("SignIn with a differently-cased e-mail = %v, %v", u.ID, err)
		}
	})
	t.Run("ErrSameAnswerForUnknownAndWrong", func(t *testing.T) {
		t.Parallel()
		f := newAccessFixture(t)
		_, errWrong := f.access.SignIn(t.Context(), "ana@wfp.org", "wrong password!", "10.0.0.1")
		_, errUnknown := f.access.SignIn(t.Context(), "nobody@wfp.org", pw, "10.0.0.2")
		if errWrong == nil || errUnknown == nil || errWrong.Error() != errUnknown.Error() {
			t.Fatalf("wrong password = %v, unknown e-mail = %v; want the same error", errWrong, errUnknown)
		}
		if domain.ErrorCode(errWrong) != domain.CodeUnauthorized {
			t.Fatalf("code = %q, want unauthorized", domain.ErrorCode(errWrong))
		}
	})
	t.Run("ErrEmptyFields", func(t *testing.T) {
		t.Parallel()
		f := newAccessFixture(t)
		_, err := f.access.SignIn(t.Context(), " ", "", "10.0.0.1")
		var e *domain.Error
		if !asDomainError(err, &e) || e.Fields["email"] == "" || e.Fields["password"] == "" {
			t.Fatalf("SignIn with empty fields = %v, want both fields flagged", err)
		}
	})
	t.Run("ErrDisabledOrNoPassword", func(t *testing.T) {
		t.Parallel()
		f := newAccessFixture(t)
		ctx := t.Context()
		u := f.user
		u.Disabled = true
		if _, err := f.dir.UpdateUser(ctx, f.admin, u); err != nil {
			t.Fatal(err)
		}
		if _, err := f.access.SignIn(ctx, "ana@wfp.org", pw, "10.0.0.1"); domain.ErrorCode(err) != domain.CodeUnauthorized {
			t.Fatalf("disabled user signed in: %v", err)
		}
		linkOnly, secret, err := f.dir.CreateUser(ctx, f.admin, service.NewUser{
			User: domain.User{Email: "bo@wfp.org", Name: "Bo", OrganizationID: f.admin.OrganizationID}})
		if err != nil || secret == "" || linkOnly.HasPassword {
			t.Fatalf("CreateUser without password = %+v, secret %q, %v", linkOnly, secret, err)
		}
		if _, err := f.access.SignIn(ctx, "bo@wfp.org", "", "10.0.0.1"); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("empty password: %v", err)
		}
		if _, err := f.access.SignIn(ctx, "bo@wfp.org", "anything at all", "10.0.0.1"); domain.ErrorCode(err) != domain.CodeUnauthorized {
			t.Fatalf("user without password signed in: %v", err)
		}
	})
}

// TestSignInThrottle checks the sixth failure within 15 minutes waits, per
// account (whatever the address) and per address (whatever the account),
// that the correct password does not get through while throttled, and
// that the wait ends.
func TestSignInThrottle(t *testing.T) {
	t.Parallel()
	t.Run("PerAccount", func(t *testing.T) {
		t.Parallel()
		f := newAccessFixture(t)
		ctx := t.Context()
		for i := range domain.LimitSignInAccount.Max {
			f.clock.t = t0.Add(time.Duration(i) * time.Minute)
			ip := "10.0.1." + string(rune('1'+i)) // a different address each time
			if _, err := f.access.SignIn(ctx, "ana@wfp.org", "wrong password!", ip); domain.ErrorCode(err) != domain.CodeUnauthorized {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		f.clock.t = t0.Add(5 * time.Minute)
		_, err := f.access.SignIn(ctx, "ana@wfp.org", pw, "10.0.9.9")
		var e *domain.Error
		if !asDomainError(err, &e) || e.Code != domain.CodeRateLimited || e.Data["Count"] != 10 {
			t.Fatalf("sixth attempt = %v (data %v), want rate_limited with 10 minutes to wait", err, e)
		}
		// Another account from the same addresses is not affected.
		if _, err := f.access.SignIn(ctx, "admin@example.org", pw, "10.0.9.9"); err != nil {
			t.Fatalf("other account throttled: %v", err)
		}
		f.clock.t = t0.Add(15 * time.Minute) // the first failure has aged out
		if _, err := f.access.SignIn(ctx, "ana@wfp.org", pw, "10.0.9.9"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
	t.Run("PerAddress", func(t *testing.T) {
		t.Parallel()
		f := newAccessFixture(t)
		ctx := t.Context()
		for i := range domain.LimitSignInAddress.Max {
			email := strings.Repeat("x", i+1) + "@nowhere.org"
			if _, err := f.access.SignIn(ctx, email, "wrong password!", "10.0.0.66"); domain.ErrorCode(err) != domain.CodeUnauthorized {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		if _, err := f.access.SignIn(ctx, "ana@wfp.org", pw, "10.0.0.66"); domain.ErrorCode(err) != domain.CodeRateLimited {
			t.Fatalf("sixth attempt from the address = %v, want rate_limited", err)
		}
		if _, err := f.access.SignIn(ctx, "ana@wfp.org", pw, "10.0.0.67"); err != nil {
			t.Fatalf("another address throttled: %v", err)
		}
	})
	t.Run("SuccessClearsAccountFailures", func(t *testing.T) {
		t.Parallel()
		f := newAccessFixture(t)
		ctx := t.Context()
		for i := range domain.LimitSignInAccount.Max - 1 {
			if _, err := f.access.SignIn(ctx, "ana@wfp.org", "wrong password!", "10.0.2."+string(rune('1'+i))); err == nil {
				t.Fatal("wrong password accepted")
			}
		}
		f.clock.t = t0.Add(time.Second)
		if _, err := f.access.SignIn(ctx, "ana@wfp.org", pw, "10.0.3.1"); err != nil {
			t.Fatal(err)
		}
		f.clock.t = t0.Add(2 * time.Second)
		if _, err := f.access.SignIn(ctx, "ana@wfp.org", "wrong password!", "10.0.3.2"); domain.ErrorCode(err) != domain.CodeUnauthorized {
			t.Fatalf("after a success, one failure = %v, want unauthorized (not throttled)", err)
		}
	})
}

func TestSessionsEndWhenDisabled(t *testing.T) {
	t.Parallel()
	f := newAccessFixture(t)
	ctx := t.Context()
	secret, _, err := f.access.IssueTokenForEmail(ctx, "ana@wfp.org", domain.NewToken{Name: "ci", Scope: domain.TokenFull})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.access.ActorForToken(ctx, secret); err != nil {
		t.Fatalf("fresh token refused: %v", err)
	}
	u := f.user
	u.Disabled = true
	got, err := f.dir.UpdateUser(ctx, f.admin, u)
	if err != nil {
		t.Fatal(err)
	}
	if got.SessionEpoch == f.user.SessionEpoch {
		t.Fatal("disabling did not change the session epoch")
	}
	if _, err := f.access.Actor(ctx, u.ID, f.user.SessionEpoch); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("old session of a disabled user = %v, want unauthorized", err)
	}
	if _, err := f.access.ActorForToken(ctx, secret); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("token of a disabled user = %v, want unauthorized", err)
	}
	// Re-enabling does not bring the old token back.
	got.Disabled = false
	if _, err := f.dir.UpdateUser(ctx, f.admin, got); err != nil {
		t.Fatal(err)
	}
	if _, err := f.access.ActorForToken(ctx, secret); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("token after re-enabling = %v, want still revoked", err)
	}
	if _, err := f.dir.UpdateUser(ctx, f.admin, domain.User{ID: f.admin.UserID, Email: f.admin.Email, Name: "Ada",
		OrganizationID: f.admin.OrganizationID, Language: "en", IsAdmin: true, Disabled: true}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("admin disabling themselves = %v, want invalid", err)
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	f := newAccessFixture(t)
	ctx := t.Context()
	ana, err := f.access.Actor(ctx, f.user.ID, f.user.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	secret, tok, err := f.access.CreateToken(ctx, ana, service.TokenRequest{CurrentPassword: pw, NewToken: domain.NewToken{Name: " laptop ", Scope: domain.TokenFull}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, service.TokenPrefix) || len(secret) < 40 || tok.Name != "laptop" || !strings.HasPrefix(secret, tok.Prefix) {
		t.Fatalf("token %q (%+v): want cmc_ prefix, 256 bits, trimmed name, matching prefix", secret, tok)
	}
	got, err := f.access.ActorForToken(ctx, secret)
	if err != nil || got.UserID != ana.UserID {
		t.Fatalf("ActorForToken = %v, %v", got.UserID, err)
	}
	for _, bad := range []string{"", "cmc_", "cmc_nope", secret + "x", strings.Repeat("a", 500)} {
		if _, err := f.access.ActorForToken(ctx, bad); domain.ErrorCode(err) != domain.CodeUnauthorized {
			t.Errorf("token %.20q: %v, want unauthorized", bad, err)
		}
	}
	if err := f.access.RevokeToken(ctx, f.admin, tok.ID); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("revoking another user's token = %v, want not_found", err)
	}
	if err := f.access.RevokeToken(ctx, ana, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.access.ActorForToken(ctx, secret); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("revoked token = %v, want unauthorized", err)
	}
	list, err := f.access.ListTokens(ctx, ana)
	if err != nil || len(list) != 1 || list[0].RevokedAt == nil || list[0].LastUsedAt == nil {
		t.Fatalf("ListTokens = %+v, %v; want one revoked, used token", list, err)
	}
}

func TestPasswordLink(t *testing.T) {
	t.Parallel()
	f := newAccessFixture(t)
	ctx := context.Background()
	u, secret, err := f.dir.CreateUser(ctx, f.admin, service.NewUser{
		User: domain.User{Email: "bo@wfp.org", Name: "Bo", OrganizationID: f.admin.OrganizationID}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.access.PasswordLinkUser(ctx, secret, "10.0.0.1"); err != nil || got.ID != u.ID {
		t.Fatalf("PasswordLinkUser = %v, %v", got.ID, err)
	}
	if _, err := f.access.SetPasswordWithLink(ctx, secret, "short", "10.0.0.9"); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("short password = %v, want invalid", err)
	}
	if _, err := f.access.SetPasswordWithLink(ctx, secret, pw, "10.0.0.9"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.access.SignIn(ctx, "bo@wfp.org", pw, "10.0.0.1"); err != nil {
		t.Fatalf("sign in with the new password: %v", err)
	}
	if _, err := f.access.SetPasswordWithLink(ctx, secret, pw, "10.0.0.9"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("second use of the link = %v, want not_found", err)
	}
	// A new link replaces an unused one, and links expire.
	old, err := f.dir.IssuePasswordLink(ctx, f.admin, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	newer, err := f.dir.IssuePasswordLink(ctx, f.admin, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.access.PasswordLinkUser(ctx, old, "10.0.0.1"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("replaced link = %v, want not_found", err)
	}
	f.clock.t = t0.Add(service.PasswordLinkLifetime + time.Minute)
	if _, err := f.access.PasswordLinkUser(ctx, newer, "10.0.0.1"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("expired link = %v, want not_found", err)
	}
}
