package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/totptest"
)

// factorKeys holds each SecondFactor fixture's key, by fixture.
var factorKeys sync.Map

// deviceTokens holds each SignInDevice fixture's trusted-device token.
var deviceTokens sync.Map

// actionLinks holds each ActionLink fixture's review world (its own
// database, on the access fixture's time) and a real link of it.
var actionLinks sync.Map

type linkPlace struct {
	f     *linkFixture
	token string
}

// linkWorld returns f's review world; the attempts of a burst only read
// its clock, which the test's sequential steps (right) set to f's.
func linkWorld(f *accessFixture) linkPlace {
	v, _ := actionLinks.Load(f)
	return v.(linkPlace)
}

// wrongCode is a six-digit code of no step the server accepts at f's time.
func wrongCode(t *testing.T, f *accessFixture) string {
	secret, _ := factorKeys.Load(f)
	near := map[string]bool{}
	for s := -1; s <= 1; s++ {
		near[totptest.CodeAt(t, secret.(string), f.clock.t.Add(time.Duration(s)*domain.TOTPPeriod))] = true
	}
	for n := 0; ; n++ {
		if c := fmt.Sprintf("%06d", n); !near[c] {
			return c
		}
	}
}

// TestEveryPasswordCheckHoldsUnderABurst walks every place a secret is
// checked — sign-in (per account and per address), the current password
// on the change form, the set-password link — and fires a burst of
// parallel wrong attempts at each: at most the limit's Max are checked
// (answered "wrong"), every other one is refused before the check with
// CodeRateLimited, and the right secret is refused too while the bucket
// is full.
func TestEveryPasswordCheckHoldsUnderABurst(t *testing.T) {
	t.Parallel()
	const burst = 40
	type place struct {
		limit domain.Limit
		// setup, when set, prepares each fixture before the burst.
		setup func(t *testing.T, f *accessFixture)
		// wrong makes one wrong attempt (i is its number), right the
		// right one; checked says an answer came from a check.
		wrong, right func(ctx context.Context, f *accessFixture, i int) error
		checked      func(err error) bool
		// logsLockout: the failure that fills the bucket is in the
		// security log as a lockout (a secret of an account; a link's
		// guesses name no account).
		logsLockout bool
	}
	unauthorized := func(err error) bool { return domain.ErrorCode(err) == domain.CodeUnauthorized }
	places := map[string]place{
		"SignInAccount": {limit: domain.LimitSignInAccount,
			wrong: func(ctx context.Context, f *accessFixture, i int) error {
				_, err := f.access.SignIn(ctx, "ana@wfp.org", "wrong password!", fmt.Sprintf("10.1.%d.%d", i/200, i%200), "")
				return err
			},
			right: func(ctx context.Context, f *accessFixture, _ int) error {
				_, err := f.access.SignIn(ctx, "ana@wfp.org", pw, "10.9.9.9", "")
				return err
			},
			checked: unauthorized, logsLockout: true},
		"SignInDevice": {limit: domain.LimitSignInDevice,
			setup: func(t *testing.T, f *accessFixture) {
				device, err := f.access.TrustDevice(t.Context(), f.user.ID, "")
				if err != nil {
					t.Fatal(err)
				}
				deviceTokens.Store(f, device)
			},
			wrong: func(ctx context.Context, f *accessFixture, i int) error {
				device, _ := deviceTokens.Load(f)
				_, err := f.access.SignIn(ctx, "ana@wfp.org", "wrong password!", fmt.Sprintf("10.2.%d.%d", i/200, i%200), device.(string))
				return err
			},
			right: func(ctx context.Context, f *accessFixture, _ int) error {
				device, _ := deviceTokens.Load(f)
				_, err := f.access.SignIn(ctx, "ana@wfp.org", pw, "10.9.9.8", device.(string))
				return err
			},
			checked: unauthorized, logsLockout: true},
		"SignInAddress": {limit: domain.LimitSignInAddress,
			wrong: func(ctx context.Context, f *accessFixture, i int) error {
				_, err := f.access.SignIn(ctx, fmt.Sprintf("nobody%d@nowhere.org", i), "wrong password!", "10.0.0.66", "")
				return err
			},
			right: func(ctx context.Context, f *accessFixture, _ int) error {
				_, err := f.access.SignIn(ctx, "ana@wfp.org", pw, "10.0.0.66", "")
				return err
			},
			checked: unauthorized, logsLockout: true},
		"CurrentPassword": {limit: domain.LimitPasswordCheck,
			wrong: func(ctx context.Context, f *accessFixture, _ int) error {
				_, err := f.access.ChangePassword(ctx, f.anaActor(t), "wrong password!", "a brand new passphrase", nil)
				return err
			},
			right: func(ctx context.Context, f *accessFixture, _ int) error {
				_, err := f.access.ChangePassword(ctx, f.anaActor(t), pw, "a brand new passphrase", nil)
				return err
			},
			checked:     func(err error) bool { return fieldsOf(err)["current_password"] == "password.wrong" },
			logsLockout: true},
		"SetPasswordLink": {limit: domain.LimitPasswordLink,
			wrong: func(ctx context.Context, f *accessFixture, i int) error {
				// Half with a password the rule refuses: the link is
				// checked first, so no answer tells a live link apart.
				pw := "a brand new passphrase"
				if i%2 == 1 {
					pw = "short"
				}
				_, err := f.access.SetPasswordWithLink(ctx, fmt.Sprintf("guessed-link-%d", i), pw, "10.0.0.77")
				return err
			},
			right: func(ctx context.Context, f *accessFixture, _ int) error {
				secret, err := f.dir.IssuePasswordLink(ctx, f.admin, f.user.ID)
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.access.SetPasswordWithLink(ctx, secret, "a brand new passphrase", "10.0.0.77")
				return err
			},
			checked: func(err error) bool { return domain.ErrorCode(err) == domain.CodeNotFound }},
		"SecondFactor": {limit: domain.LimitSecondFactor,
			setup: func(t *testing.T, f *accessFixture) {
				secret, _ := f.enrolAt(t, f.user.ID)
				factorKeys.Store(f, secret)
			},
			wrong: func(ctx context.Context, f *accessFixture, _ int) error {
				return f.access.VerifySecondFactor(ctx, f.user.ID, wrongCode(t, f), "10.0.0.88")
			},
			right: func(ctx context.Context, f *accessFixture, _ int) error {
				secret, _ := factorKeys.Load(f)
				return f.access.VerifySecondFactor(ctx, f.user.ID, totptest.CodeAt(t, secret.(string), f.clock.t), "10.0.0.88")
			},
			checked: func(err error) bool { return fieldsOf(err)["code"] == "factor.code_wrong" }},
		"ProfileSecondFactor": {limit: domain.LimitSecondFactorProfile,
			setup: func(t *testing.T, f *accessFixture) {
				secret, _ := f.enrolAt(t, f.user.ID)
				factorKeys.Store(f, secret)
			},
			wrong: func(ctx context.Context, f *accessFixture, _ int) error {
				_, err := f.access.RegenerateRecoveryCodes(ctx, f.anaActor(t), wrongCode(t, f))
				return err
			},
			right: func(ctx context.Context, f *accessFixture, _ int) error {
				secret, _ := factorKeys.Load(f)
				_, err := f.access.RegenerateRecoveryCodes(ctx, f.anaActor(t), totptest.CodeAt(t, secret.(string), f.clock.t))
				return err
			},
			checked: func(err error) bool { return fieldsOf(err)["code"] == "factor.code_wrong" }},
		"ActionLink": {limit: domain.LimitActionLink,
			setup: func(t *testing.T, f *accessFixture) {
				lf := newLinkFixture(t, 1)
				lf.clock.t = f.clock.t
				r := lf.submitted(t, "Throttled links")
				lf.open(t, r)
				tok := lf.mailedLinks(t, lf.hct[0], domain.NoticeReviewOpened, domain.LinkVote)[string(domain.VoteSupport)]
				actionLinks.Store(f, linkPlace{f: lf, token: tok})
			},
			wrong: func(ctx context.Context, f *accessFixture, i int) error {
				_, err := linkWorld(f).f.links.Open(ctx, fmt.Sprintf("guessed-link-%d", i), "10.0.0.79", 0)
				return err
			},
			right: func(ctx context.Context, f *accessFixture, _ int) error {
				lp := linkWorld(f)
				lp.f.clock.t = f.clock.t // past the window once the test moved f's clock
				_, err := lp.f.links.Open(ctx, lp.token, "10.0.0.79", 0)
				return err
			},
			checked: func(err error) bool { return domain.ErrorCode(err) == domain.CodeNotFound }},
		"OpenPasswordLink": {limit: domain.LimitPasswordLink,
			wrong: func(ctx context.Context, f *accessFixture, i int) error {
				_, err := f.access.PasswordLinkUser(ctx, fmt.Sprintf("guessed-link-%d", i), "10.0.0.78")
				return err
			},
			right: func(ctx context.Context, f *accessFixture, _ int) error {
				secret, err := f.dir.IssuePasswordLink(ctx, f.admin, f.user.ID)
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.access.PasswordLinkUser(ctx, secret, "10.0.0.78")
				return err
			},
			checked: func(err error) bool { return domain.ErrorCode(err) == domain.CodeNotFound }},
	}
	for _, l := range domain.Limits {
		if l.FailuresOnly {
			found := false
			for _, p := range places {
				found = found || p.limit.Name == l.Name
			}
			if !found {
				t.Errorf("limit %s guards a secret check this test does not walk", l.Name)
			}
		}
	}
	for name, p := range places {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newAccessFixture(t)
			ctx := t.Context()
			if p.setup != nil {
				p.setup(t, f)
			}
			var wg sync.WaitGroup
			errs := make([]error, burst)
			for i := range burst {
				wg.Go(func() { errs[i] = p.wrong(ctx, f, i) })
			}
			wg.Wait()
			checked, limited, busy := 0, 0, 0
			for i, err := range errs {
				switch {
				case p.checked(err):
					checked++
				case isBusy(err): // the hash gate turned it away: no check, no slot
					busy++
				case domain.ErrorCode(err) == domain.CodeRateLimited:
					limited++
				default:
					t.Errorf("attempt %d: %v", i, err)
				}
			}
			if checked > p.limit.Max {
				t.Fatalf("%d parallel attempts: %d checked (%d limited, %d busy); want at most %d checked",
					burst, checked, limited, busy, p.limit.Max)
			}
			// Whatever the gate turned away, the bucket fills at exactly Max.
			for i := burst; checked < p.limit.Max; i++ {
				if err := p.wrong(ctx, f, i); p.checked(err) {
					checked++
				} else if isBusy(err) {
					busy++
				} else {
					t.Fatalf("attempt %d after %d checks = %v", i, checked, err)
				}
			}
			if err := p.wrong(ctx, f, 2*burst); domain.ErrorCode(err) != domain.CodeRateLimited || isBusy(err) {
				t.Fatalf("attempt after %d checks = %v, want rate_limited", checked, err)
			}
			if p.logsLockout {
				page, err := f.dir.DirectoryLog(ctx, f.admin, 0, 0)
				if err != nil {
					t.Fatal(err)
				}
				locked := 0
				for _, e := range page.Items {
					if e.Action == domain.DirLockedOut {
						locked++
					}
				}
				// One per time the bucket filled: once, unless attempts the
				// gate turned away gave their slots back after it filled
				// (each such slot lets it fill, and be logged, once more).
				if locked < 1 || locked > 1+busy {
					t.Errorf("%d lockouts in the security log (%d attempts turned away busy), want the one that filled the bucket", locked, busy)
				}
			}
			if err := p.right(ctx, f, 0); domain.ErrorCode(err) != domain.CodeRateLimited {
				t.Fatalf("right secret while the bucket is full = %v, want rate_limited", err)
			}
			var de *domain.Error
			if asDomainError(p.right(ctx, f, 0), &de) && (de.Data["Seconds"].(int) <= 0 || de.Data["Seconds"].(int) > int(p.limit.Window.Seconds())) {
				t.Fatalf("wait %v outside the window", de.Data)
			}
			f.clock.t = f.clock.t.Add(p.limit.Window)
			if err := p.right(ctx, f, 0); err != nil {
				t.Fatalf("right secret after the window: %v", err)
			}
		})
	}
}

// anaActor is the fixture's user as signed in now.
func (f *accessFixture) anaActor(t *testing.T) domain.Actor {
	t.Helper()
	a, err := f.access.Actor(context.Background(), f.user.ID, f.user.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// isBusy says err is the hash gate's "busy, try again".
func isBusy(err error) bool {
	var de *domain.Error
	return asDomainError(err, &de) && de.Message == "server.busy"
}

// fieldsOf is the field problems of a domain error (nil for any other).
func fieldsOf(err error) map[string]string {
	var de *domain.Error
	if !asDomainError(err, &de) {
		return nil
	}
	return de.Fields
}
