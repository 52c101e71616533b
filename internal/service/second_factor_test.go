package service_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/totptest"
)

// enrolAt gives user userID a confirmed factor at the fixture's time and
// returns its key and recovery codes.
func (f *accessFixture) enrolAt(t *testing.T, userID int64) (string, []string) {
	t.Helper()
	e, err := f.access.Enrolment(t.Context(), userID)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := f.access.ConfirmEnrolment(t.Context(), userID, totptest.CodeAt(t, e.Secret, f.clock.t), "10.0.0.1")
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	return e.Secret, codes
}

// actions returns the security log's actions, oldest first.
func (f *accessFixture) actions(t *testing.T) []string {
	t.Helper()
	page, err := f.dir.DirectoryLog(t.Context(), f.admin, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(page.Items) - 1; i >= 0; i-- {
		out = append(out, page.Items[i].Action)
	}
	return out
}

func wantFactorErr(t *testing.T, err error, code domain.Code, field string) {
	t.Helper()
	if domain.ErrorCode(err) != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if field != "" {
		if e, ok := err.(*domain.Error); !ok || e.Fields["code"] != field {
			t.Fatalf("err = %#v, want field code %q", err, field)
		}
	}
}

// TestEnrolment: the pending key is shown (QR, URI) until confirmed with a
// code of it; then never again, with ten recovery codes, in the log.
func TestEnrolment(t *testing.T) {
	t.Parallel()
	f := newAccessFixture(t)
	ctx := t.Context()
	e, err := f.access.Enrolment(ctx, f.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Secret) != 32 || !strings.HasPrefix(e.URI, "otpauth://totp/cmcoord:Ana@WFP.org?") ||
		!strings.Contains(e.URI, "secret="+e.Secret) || !strings.Contains(e.URI, "period=30") || !strings.Contains(e.URI, "digits=6") ||
		len(e.QR) < 100 || string(e.QR[1:4]) != "PNG" {
		t.Fatalf("enrolment = %q, %q, %d bytes of image", e.Secret, e.URI, len(e.QR))
	}
	again, err := f.access.Enrolment(ctx, f.user.ID)
	if err != nil || again.Secret != e.Secret {
		t.Fatalf("showing the pending enrolment again gave another key (%v)", err)
	}
	_, err = f.access.ConfirmEnrolment(ctx, f.user.ID, "000000", "10.0.0.1")
	if totptest.CodeAt(t, e.Secret, t0) != "000000" {
		wantFactorErr(t, err, domain.CodeInvalid, "factor.code_wrong")
	}
	codes, err := f.access.ConfirmEnrolment(ctx, f.user.ID, totptest.CodeAt(t, e.Secret, t0), "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != domain.RecoveryCodeCount || len(slices.Compact(slices.Sorted(slices.Values(codes)))) != len(codes) {
		t.Fatalf("recovery codes = %q, want %d different", codes, domain.RecoveryCodeCount)
	}
	if _, err := f.access.Enrolment(ctx, f.user.ID); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("enrolment once confirmed = %v, want conflict (the key is never shown again)", err)
	}
	sf, err := f.access.SecondFactor(ctx, f.user.ID)
	if err != nil || !sf.Enrolled || sf.Required || sf.RecoveryLeft != domain.RecoveryCodeCount {
		t.Fatalf("factor = %+v, %v", sf, err)
	}
	if got := f.actions(t); !slices.Contains(got, domain.DirFactorEnrolled) {
		t.Fatalf("log = %q, want %s", got, domain.DirFactorEnrolled)
	}
}

// TestVerifySecondFactor walks RFC 6238 through the library: the current
// step and one either side pass, two steps off fails, a step already used
// (or an earlier one) is a replay, a wrong code fails.
func TestVerifySecondFactor(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		offset int // steps from now the code is of
		want   string
	}{
		{"Current", 0, ""},
		{"PreviousStep", -1, ""},
		{"NextStep", 1, ""},
		{"TwoStepsBack", -2, "factor.code_wrong"},
		{"TwoStepsAhead", 2, "factor.code_wrong"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newAccessFixture(t)
			secret, _ := f.enrolAt(t, f.user.ID)
			f.clock.t = t0.Add(10 * domain.TOTPPeriod) // later than the confirmation's step
			code := totptest.CodeAt(t, secret, f.clock.t.Add(time.Duration(tt.offset)*domain.TOTPPeriod))
			err := f.access.VerifySecondFactor(t.Context(), f.user.ID, code, "10.0.0.1")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("code %d steps off: %v", tt.offset, err)
				}
				// The same code again is a replay, and so is any earlier step's.
				wantFactorErr(t, f.access.VerifySecondFactor(t.Context(), f.user.ID, code, "10.0.0.1"), domain.CodeInvalid, "factor.code_used")
				if tt.offset >= 0 {
					earlier := totptest.CodeAt(t, secret, f.clock.t.Add(time.Duration(tt.offset-1)*domain.TOTPPeriod))
					wantFactorErr(t, f.access.VerifySecondFactor(t.Context(), f.user.ID, earlier, "10.0.0.1"), domain.CodeInvalid, "factor.code_used")
				}
				return
			}
			wantFactorErr(t, err, domain.CodeInvalid, tt.want)
		})
	}
	t.Run("WrongAndMalformed", func(t *testing.T) {
		t.Parallel()
		f := newAccessFixture(t)
		secret, _ := f.enrolAt(t, f.user.ID)
		f.clock.t = t0.Add(5 * domain.TOTPPeriod)
		right := totptest.CodeAt(t, secret, f.clock.t)
		wrong := []byte(right)
		wrong[0] = '0' + (wrong[0]-'0'+1)%10
		wantFactorErr(t, f.access.VerifySecondFactor(t.Context(), f.user.ID, string(wrong), ""), domain.CodeInvalid, "factor.code_wrong")
		for _, bad := range []string{"", "12345", "1234567", "abcdef", "ABCD-EFGH"} {
			if err := f.access.VerifySecondFactor(t.Context(), f.user.ID, bad, ""); domain.ErrorCode(err) != domain.CodeInvalid {
				t.Errorf("code %q: %v, want invalid", bad, err)
			}
		}
		if err := f.access.VerifySecondFactor(t.Context(), f.user.ID, right[:3]+" "+right[3:], ""); err != nil {
			t.Fatalf("a code with a space: %v", err)
		}
		if got := f.actions(t); !slices.Contains(got, domain.DirSignInFailed) {
			t.Fatalf("log = %q, want the wrong code as %s", got, domain.DirSignInFailed)
		}
	})
	t.Run("NoFactor", func(t *testing.T) {
		t.Parallel()
		f := newAccessFixture(t)
		wantFactorErr(t, f.access.VerifySecondFactor(t.Context(), f.user.ID, "123456", ""), domain.CodeConflict, "")
	})
}

// TestRecoveryCodes: each works once (in any case, with or without
// dashes), even sent twice at once; using one is in the log; regenerating
// needs a current code and replaces them all.
func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	f := newAccessFixture(t)
	ctx := t.Context()
	secret, codes := f.enrolAt(t, f.user.ID)
	f.clock.t = t0.Add(3 * domain.TOTPPeriod)
	if err := f.access.VerifySecondFactor(ctx, f.user.ID, strings.ToLower(strings.ReplaceAll(codes[0], "-", " ")), "10.0.0.1"); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	wantFactorErr(t, f.access.VerifySecondFactor(ctx, f.user.ID, codes[0], "10.0.0.1"), domain.CodeInvalid, "factor.recovery_code_wrong")
	// Two requests with one code at once: exactly one passes.
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		passed int
	)
	for range 2 {
		wg.Go(func() {
			if f.access.VerifySecondFactor(ctx, f.user.ID, codes[1], "10.0.0.1") == nil {
				mu.Lock()
				passed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if passed != 1 {
		t.Fatalf("one recovery code sent twice at once passed %d times, want 1", passed)
	}
	sf, _ := f.access.SecondFactor(ctx, f.user.ID)
	if sf.RecoveryLeft != domain.RecoveryCodeCount-2 {
		t.Fatalf("recovery codes left = %d, want %d", sf.RecoveryLeft, domain.RecoveryCodeCount-2)
	}
	if n := strings.Count(strings.Join(f.actions(t), " "), domain.DirRecoveryUsed); n != 2 {
		t.Fatalf("log holds %d %s, want 2", n, domain.DirRecoveryUsed)
	}
	// Regenerating takes a current code, or an unused recovery code (a
	// lost phone), which it uses up; a used one is wrong.
	u := f.actor(t)
	if _, err := f.access.RegenerateRecoveryCodes(ctx, u, codes[0]); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("regenerate with a used recovery code: %v, want invalid", err)
	}
	byRecovery, err := f.access.RegenerateRecoveryCodes(ctx, u, codes[2])
	if err != nil || len(byRecovery) != domain.RecoveryCodeCount {
		t.Fatalf("regenerate with a recovery code: %d codes, %v", len(byRecovery), err)
	}
	fresh, err := f.access.RegenerateRecoveryCodes(ctx, u, totptest.CodeAt(t, secret, f.clock.t))
	if err != nil || len(fresh) != domain.RecoveryCodeCount {
		t.Fatalf("regenerate: %d codes, %v", len(fresh), err)
	}
	if err := f.access.VerifySecondFactor(ctx, f.user.ID, byRecovery[1], ""); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("a code of the replaced set: %v, want invalid", err)
	}
	f.clock.t = f.clock.t.Add(domain.TOTPPeriod)
	wantFactorErr(t, f.access.VerifySecondFactor(ctx, f.user.ID, codes[3], ""), domain.CodeInvalid, "factor.recovery_code_wrong")
	if err := f.access.VerifySecondFactor(ctx, f.user.ID, fresh[0], ""); err != nil {
		t.Fatalf("a new recovery code: %v", err)
	}
	if got := f.actions(t); !slices.Contains(got, domain.DirRecoveryRegenerated) {
		t.Fatalf("log = %q, want %s", got, domain.DirRecoveryRegenerated)
	}
}

func (f *accessFixture) actor(t *testing.T) domain.Actor {
	t.Helper()
	u, err := f.dir.GetUser(t.Context(), f.admin, f.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.access.Actor(t.Context(), u.ID, u.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	a.Address = "10.0.0.9"
	return a
}

// TestSecondFactorThrottle: wrong codes sent in parallel are reserved one
// by one before any is checked: at most LimitSecondFactor.Max are checked,
// the rest are refused (429) unchecked — and so is then the right code,
// until the window has passed.
func TestSecondFactorThrottle(t *testing.T) {
	t.Parallel()
	f := newAccessFixture(t)
	ctx := t.Context()
	secret, _ := f.enrolAt(t, f.user.ID)
	f.clock.t = t0.Add(10 * domain.TOTPPeriod)
	right := totptest.CodeAt(t, secret, f.clock.t)
	wrong := []byte(right)
	wrong[5] = '0' + (wrong[5]-'0'+1)%10
	const n = 20
	answers := make([]domain.Code, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			answers[i] = domain.ErrorCode(f.access.VerifySecondFactor(ctx, f.user.ID, string(wrong), "10.0.0.1"))
		})
	}
	wg.Wait()
	checked, limited := 0, 0
	for _, c := range answers {
		switch c {
		case domain.CodeInvalid:
			checked++
		case domain.CodeRateLimited:
			limited++
		default:
			t.Fatalf("answer %q, want invalid or rate limited", c)
		}
	}
	if checked != domain.LimitSecondFactor.Max || limited != n-domain.LimitSecondFactor.Max {
		t.Fatalf("%d checked, %d refused unchecked; want %d and %d", checked, limited, domain.LimitSecondFactor.Max, n-domain.LimitSecondFactor.Max)
	}
	if n := strings.Count(strings.Join(f.actions(t), " "), domain.DirSignInFailed); n != domain.LimitSecondFactor.Max {
		t.Fatalf("log holds %d failed codes, want %d (the refused ones were never checked)", n, domain.LimitSecondFactor.Max)
	}
	wantFactorErr(t, f.access.VerifySecondFactor(ctx, f.user.ID, right, ""), domain.CodeRateLimited, "")
	// Once the window has passed, the right code passes and clears the count.
	f.clock.t = f.clock.t.Add(domain.LimitSecondFactor.Window)
	if err := f.access.VerifySecondFactor(ctx, f.user.ID, totptest.CodeAt(t, secret, f.clock.t), ""); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// TestSecondFactorRequired: the rule applies where a user is let in — an
// API token, a token issued on the command line (sessions: the web's
// TestPolicyEndsSessions) — and to
// removing the factor; an administrator's reset ends the sessions and is
// in the log, and the user must enrol again.
func TestSecondFactorRequired(t *testing.T) {
	t.Parallel()
	f := newAccessFixture(t)
	ctx := t.Context()
	op, err := f.dir.CreateOperation(ctx, f.admin, domain.Operation{Code: "SSD-CE", Name: "South Sudan", CountryISO3: "SSD",
		Context: domain.ContextMixed, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48, RequireSecondFactor: true})
	if err != nil {
		t.Fatal(err)
	}
	if !op.RequireSecondFactor {
		t.Fatal("the operation's policy was not stored")
	}
	token, _, err := f.access.IssueTokenForEmail(ctx, f.user.Email, domain.NewToken{Name: "before", Scope: domain.TokenFull})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.dir.SetMember(ctx, f.admin, "SSD-CE", f.user.ID, domain.RoleSet{domain.RoleOfficer}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.access.ActorForToken(ctx, token); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("token of an officer who must enrol: %v, want unauthorized", err)
	}
	if _, _, err := f.access.IssueTokenForEmail(ctx, f.user.Email, domain.NewToken{Name: "cli", Scope: domain.TokenFull}); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("command-line token for an officer who must enrol: %v, want conflict", err)
	}
	secret, _ := f.enrolAt(t, f.user.ID)
	if _, err := f.access.ActorForToken(ctx, token); err != nil {
		t.Fatalf("token once enrolled: %v", err)
	}
	// Removing a required factor is refused: it is replaced.
	f.clock.t = t0.Add(2 * domain.TOTPPeriod)
	if err := f.access.RemoveSecondFactor(ctx, f.actor(t), totptest.CodeAt(t, secret, f.clock.t)); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("removing a required factor: %v, want conflict", err)
	}
	// Lost phone: the user replaces it with a recovery code. Until the new
	// key is confirmed, the old factor works and the token too.
	recovery, err := f.access.RegenerateRecoveryCodes(ctx, f.actor(t), totptest.CodeAt(t, secret, t0.Add(3*domain.TOTPPeriod)))
	if err != nil {
		t.Fatal(err)
	}
	f.clock.t = t0.Add(3 * domain.TOTPPeriod)
	key, err := f.access.StartReplacement(ctx, f.actor(t), recovery[0])
	if err != nil || key == "" {
		t.Fatalf("start a replacement with a recovery code: %q, %v", key, err)
	}
	if _, err := f.access.StartReplacement(ctx, f.actor(t), recovery[0]); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("a used recovery code starts another: %v, want invalid", err)
	}
	if _, err := f.access.ActorForToken(ctx, token); err != nil {
		t.Fatalf("token while the replacement is pending: %v", err)
	}
	f.clock.t = t0.Add(4 * domain.TOTPPeriod)
	if err := f.access.VerifySecondFactor(ctx, f.user.ID, totptest.CodeAt(t, secret, f.clock.t), ""); err != nil {
		t.Fatalf("the old factor while the replacement is pending: %v", err)
	}
	if _, err := f.access.ConfirmReplacement(ctx, f.actor(t), key, totptest.CodeAt(t, secret, f.clock.t), ""); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("confirming with the old app's code: %v, want invalid", err)
	}
	if page, err := f.dir.DirectoryLog(ctx, f.admin, 0, 1); err != nil || page.Items[0].Action != domain.DirFactorCheckFailed {
		t.Fatalf("last log entry = %+v, %v; want the wrong code logged", page.Items, err)
	}
	codes, err := f.access.ConfirmReplacement(ctx, f.actor(t), key, totptest.CodeAt(t, key, f.clock.t), "")
	if err != nil || len(codes) != domain.RecoveryCodeCount {
		t.Fatalf("confirm the replacement: %d codes, %v", len(codes), err)
	}
	if page, err := f.dir.DirectoryLog(ctx, f.admin, 0, 1); err != nil || page.Items[0].Action != domain.DirFactorEnrolled ||
		!strings.Contains(string(page.Items[0].Payload), `"replaced":true`) {
		t.Fatalf("last log entry = %+v, %v; want the factor enrolled, replaced", page.Items, err)
	}
	f.clock.t = t0.Add(5 * domain.TOTPPeriod)
	wantFactorErr(t, f.access.VerifySecondFactor(ctx, f.user.ID, totptest.CodeAt(t, secret, f.clock.t), ""), domain.CodeInvalid, "factor.code_wrong")
	wantFactorErr(t, f.access.VerifySecondFactor(ctx, f.user.ID, recovery[1], ""), domain.CodeInvalid, "factor.recovery_code_wrong")
	if err := f.access.VerifySecondFactor(ctx, f.user.ID, totptest.CodeAt(t, key, f.clock.t), ""); err != nil {
		t.Fatalf("the new factor: %v", err)
	}
	// An administrator may reset it too; the user may not reset their own.
	if err := f.dir.ResetSecondFactor(ctx, f.actor(t), f.user.ID); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Fatalf("reset by the user: %v, want forbidden", err)
	}
	if err := f.dir.ResetSecondFactor(ctx, f.admin, f.user.ID); err != nil {
		t.Fatal(err)
	}
	if u, err := f.dir.GetUser(ctx, f.admin, f.user.ID); err != nil || u.SessionEpoch == f.user.SessionEpoch {
		t.Fatalf("the reset did not end the user's sessions (epoch %d, %v)", u.SessionEpoch, err)
	}
	if _, err := f.access.ActorForToken(ctx, token); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("token after the reset: %v, want refused until enrolled again", err)
	}
	page, err := f.dir.DirectoryLog(ctx, f.admin, 0, 1)
	if err != nil || page.Items[0].Action != domain.DirFactorRemoved || page.Items[0].ActorID != f.admin.UserID {
		t.Fatalf("last log entry = %+v, %v; want the reset, by the administrator", page.Items, err)
	}
	if sf, _ := f.access.SecondFactor(ctx, f.user.ID); sf.Enrolled || !sf.Required {
		t.Fatalf("after the reset: %+v, want required and not enrolled", sf)
	}
	// Not required (no longer an officer there): the user may remove it.
	if err := f.dir.SetMember(ctx, f.admin, "SSD-CE", f.user.ID, domain.RoleSet{domain.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	f.clock.t = t0.Add(10 * domain.TOTPPeriod)
	secret, _ = f.enrolAt(t, f.user.ID)
	f.clock.t = f.clock.t.Add(domain.TOTPPeriod)
	if err := f.access.RemoveSecondFactor(ctx, f.actor(t), totptest.CodeAt(t, secret, f.clock.t)); err != nil {
		t.Fatalf("removing a factor nobody requires: %v", err)
	}
	if sf, _ := f.access.SecondFactor(ctx, f.user.ID); sf.Enrolled {
		t.Fatal("the factor is still there")
	}
}
