package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// The second factor: TOTP (RFC 6238, pquerna/otp) with single-use
// recovery codes. The rule of who needs one is domain.NeedsSecondFactor;
// the faces decide nothing.

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// totpOpts are the TOTP parameters of domain (SHA-1, six digits, 30 s).
var totpOpts = totp.ValidateOpts{Period: uint(domain.TOTPPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// qrSize is the QR code's width and height in pixels.
const qrSize = 240

func errFactorCode(key string) error {
	return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"code": key}}
}

// SecondFactor returns user userID's factor as the pages show it: whether
// one is confirmed, whether the rule requires one, how many recovery
// codes are left.
func (s *Access) SecondFactor(ctx context.Context, userID int64) (domain.SecondFactor, error) {
	u, ms, err := s.store.UserWithMemberships(ctx, userID, s.now())
	if err != nil {
		return domain.SecondFactor{}, err
	}
	f, err := s.store.SecondFactorOf(ctx, userID)
	if err != nil {
		return domain.SecondFactor{}, err
	}
	f.Required = domain.NeedsSecondFactor(u, ms)
	return f, nil
}

// PendingUser returns the user of a sign-in waiting for its second step,
// as long as their account is still enabled and in the epoch the
// password was accepted in; otherwise CodeUnauthorized.
func (s *Access) PendingUser(ctx context.Context, userID, epoch int64) (domain.User, error) {
	u, err := s.store.GetUser(ctx, userID)
	if domain.ErrorCode(err) == domain.CodeNotFound || err == nil && (u.Disabled || u.SessionEpoch != epoch) {
		return domain.User{}, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	return u, err
}

// Enrolment returns user userID's pending factor — the secret, its
// otpauth URI and QR code — creating one when there is none. A user with
// a confirmed factor has nothing pending: CodeConflict.
func (s *Access) Enrolment(ctx context.Context, userID int64) (domain.Enrolment, error) {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return domain.Enrolment{}, err
	}
	f, err := s.store.GetFactor(ctx, userID, false)
	switch {
	case domain.ErrorCode(err) == domain.CodeNotFound:
		secret := make([]byte, 20)
		_, _ = rand.Read(secret)
		if f, err = s.store.SavePendingFactor(ctx, userID, b32.EncodeToString(secret), s.now()); err != nil {
			return domain.Enrolment{}, err
		}
	case err != nil:
		return domain.Enrolment{}, err
	case f.ConfirmedAt != nil:
		return domain.Enrolment{}, domain.Errorf(domain.CodeConflict, "factor.already_enrolled")
	}
	return enrolmentOf(u, f.Secret)
}

// enrolmentOf is what an authenticator app needs of secret for user u.
func enrolmentOf(u domain.User, secret string) (domain.Enrolment, error) {
	raw, err := b32.DecodeString(secret)
	if err != nil {
		return domain.Enrolment{}, fmt.Errorf("decode factor secret of user %d: %w", u.ID, err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: domain.TOTPIssuer, AccountName: u.Email, Secret: raw,
		Period: totpOpts.Period, Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm})
	if err != nil {
		return domain.Enrolment{}, fmt.Errorf("totp key of user %d: %w", u.ID, err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return domain.Enrolment{}, fmt.Errorf("qr code of user %d: %w", u.ID, err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return domain.Enrolment{}, fmt.Errorf("qr code png of user %d: %w", u.ID, err)
	}
	return domain.Enrolment{Secret: key.Secret(), URI: key.URL(), QR: buf.Bytes(), HasPassword: u.HasPassword}, nil
}

// ConfirmEnrolment confirms user userID's pending factor with a code of
// it and returns the factor's recovery codes, shown this once. The
// enrolment is in the security log, from address.
func (s *Access) ConfirmEnrolment(ctx context.Context, userID int64, code, address string) ([]string, error) {
	if err := codeShape(code, false); err != nil {
		return nil, err
	}
	try, err := s.throttleSecondFactor(ctx, userID, address, domain.LimitSecondFactor)
	if err != nil {
		return nil, err
	}
	var codes []string
	err = s.store.InTx(ctx, func(st *store.Store) error {
		f, err := st.GetFactor(ctx, userID, true)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return domain.Errorf(domain.CodeConflict, "factor.no_enrolment")
		}
		if err != nil {
			return err
		}
		if f.ConfirmedAt != nil {
			return domain.Errorf(domain.CodeConflict, "factor.already_enrolled")
		}
		now := s.now()
		step, err := matchTOTP(f, code, now)
		if err != nil {
			return err
		}
		if err := st.ConfirmFactor(ctx, userID, step, now); err != nil {
			return err
		}
		if codes, err = newRecoveryCodes(ctx, st, userID, now); err != nil {
			return err
		}
		u, err := st.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		if err := notifyFactorChange(ctx, st, s.notify, now, u, domain.DirFactorEnrolled, address); err != nil {
			return err
		}
		return logAccount(ctx, st, s.now, address, accountEntry(domain.DirFactorEnrolled, u, nil))
	})
	return codes, s.settle(ctx, try, err)
}

// OwnEnrolment is what a signed-in user confirms their own factor with,
// from the profile.
type OwnEnrolment struct {
	Code string
	// CurrentPassword re-authenticates the user: a stolen session cannot
	// add a factor (which would outlive a password reset) without it.
	CurrentPassword string
	// SessionToken is the asking browser's session: a user with no
	// password must have opened it within domain.RecentSignIn.
	SessionToken string
}

// ConfirmOwnEnrolment confirms the actor's pending factor from their
// profile, once they proved again who they are (reauthenticate), and
// returns the recovery codes. The forced enrolment of a sign-in, right
// after its first factor, is ConfirmEnrolment.
func (s *Access) ConfirmOwnEnrolment(ctx context.Context, by domain.Actor, in OwnEnrolment) ([]string, error) {
	if by.Anonymous() || by.ReadOnly {
		return nil, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	if err := s.reauthenticate(ctx, by.UserID, in.CurrentPassword, in.SessionToken, by.Address); err != nil {
		return nil, err
	}
	return s.ConfirmEnrolment(ctx, by.UserID, in.Code, by.Address)
}

// reauthenticate is nil when the user proves again, now, that they are
// at the keyboard: with their current password, checked as for a new
// token (checkCurrentPassword, throttled); a user with no password
// (single sign-on only) with a session opened within
// domain.RecentSignIn, otherwise told to sign in again.
func (s *Access) reauthenticate(ctx context.Context, userID int64, password, sessionToken, address string) error {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	if u.HasPassword {
		return s.checkCurrentPassword(ctx, userID, password, "password.wrong", address)
	}
	opened, err := s.store.UserSessionOpened(ctx, userID, sessionToken)
	if domain.ErrorCode(err) == domain.CodeNotFound || err == nil && s.now().Sub(opened) > domain.RecentSignIn {
		return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"code": "factor.sign_in_again"}}
	}
	return err
}

// VerifySecondFactor checks the second step of user userID's sign-in: a
// current TOTP code not used before, or an unused recovery code (used up
// by this). Attempts are throttled per user like passwords, each
// reserved before the code is checked, so parallel guesses cannot pass
// the limit. A recovery code's use is in the security log.
func (s *Access) VerifySecondFactor(ctx context.Context, userID int64, code, address string) error {
	return s.proveFactor(ctx, userID, code, address, false)
}

// proveFactor checks code — a code from the app, or an unused recovery
// code, used up by this — against user userID's confirmed factor, in the
// limit of where it is typed (sign-in's second step, or the profile:
// onProfile), its slot reserved before the check; a wrong code is logged
// as that place's failure (checkFactorCode).
func (s *Access) proveFactor(ctx context.Context, userID int64, code, address string, onProfile bool) error {
	if err := codeShape(code, true); err != nil {
		return err
	}
	limit := domain.LimitSecondFactor
	if onProfile {
		limit = domain.LimitSecondFactorProfile
	}
	try, err := s.throttleSecondFactor(ctx, userID, address, limit)
	if err != nil {
		return err
	}
	return s.settle(ctx, try, s.checkFactorCode(ctx, userID, code, address, true, onProfile))
}

// checkFactorCode checks code against user userID's confirmed factor (a
// TOTP code; a recovery code too when recovery). A wrong code is in the
// security log as a failed sign-in step.
// A wrong code is logged as a failed sign-in, or, typed on the profile
// (profile), as account.factor_check_failed.
func (s *Access) checkFactorCode(ctx context.Context, userID int64, code, address string, recovery, profile bool) error {
	var wrong error
	err := s.store.InTx(ctx, func(st *store.Store) error {
		f, err := st.GetFactor(ctx, userID, true)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return domain.Errorf(domain.CodeConflict, "factor.none")
		}
		if err != nil {
			return err
		}
		if f.ConfirmedAt == nil {
			return domain.Errorf(domain.CodeConflict, "factor.none")
		}
		now := s.now()
		if rc, ok := recoveryCodeOf(code); ok && recovery {
			used, err := st.UseRecoveryCode(ctx, userID, hashSecret(rc), now)
			if err != nil {
				return err
			}
			if !used { // not "check your phone's clock": it is not the app's
				wrong = errFactorCode("factor.recovery_code_wrong")
				return nil
			}
			left, err := st.SecondFactorOf(ctx, userID)
			if err != nil {
				return err
			}
			u, err := st.GetUser(ctx, userID)
			if err != nil {
				return err
			}
			return logAccount(ctx, st, s.now, address, accountEntry(domain.DirRecoveryUsed, u, map[string]any{"left": left.RecoveryLeft}))
		}
		step, err := matchTOTP(f, code, now)
		if domain.ErrorCode(err) == domain.CodeInvalid {
			wrong = err
			return nil
		}
		if err != nil {
			return err
		}
		return st.UseFactorStep(ctx, userID, step)
	})
	if err != nil {
		return err
	}
	if wrong != nil {
		u, err := s.store.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		entry := accountEntry(domain.DirSignInFailed, u, map[string]any{"step": "second_factor"})
		if profile {
			entry = accountEntry(domain.DirFactorCheckFailed, u, nil)
		}
		if err := logAccount(ctx, s.store, s.now, address, entry); err != nil {
			return err
		}
		return wrong
	}
	return nil
}

// throttleSecondFactor reserves user userID's slot of
// domain.LimitSecondFactor before a code is checked, in its own committed
// transaction (store.Reserve locks the bucket, so parallel guesses are
// counted one after the other): a full bucket is CodeRateLimited and the
// code is never checked. The caller settles it: succeeded on a right
// code (which clears the failures), nothing on a wrong one (it counts).
func (s *Access) throttleSecondFactor(ctx context.Context, userID int64, address string, limit domain.Limit) (*attempt, error) {
	message := "login.throttled"
	if limit == domain.LimitSecondFactorProfile {
		message = "factor.profile_throttled" // not a sign-in: it is not held up
	}
	try, err := reserve(ctx, s.store, s.now(), message, domain.Slot{Limit: limit, Key: userKey(userID)})
	if domain.ErrorCode(err) == domain.CodeRateLimited {
		s.log.WarnContext(ctx, "second factor throttled", "user_id", userID)
	}
	if try != nil {
		try.user, try.address = userID, address
	}
	return try, err
}

// settle records the outcome of a throttled attempt: a right code gives
// its slot back and clears the earlier failures; a wrong one keeps it.
func (s *Access) settle(ctx context.Context, try *attempt, err error) error {
	if err != nil {
		if domain.ErrorCode(err) != domain.CodeInvalid { // not a wrong code: not an attempt
			if aerr := try.abandoned(ctx); aerr != nil {
				s.log.ErrorContext(ctx, "give back a second-factor slot", "error", aerr)
			}
		} else if lerr := try.lockout(ctx, s.now); lerr != nil {
			return lerr
		}
		return err
	}
	return try.succeeded(ctx)
}

// matchTOTP returns the time step of f whose code is code at now, within
// domain.TOTPSkew steps either side; a wrong code, or one of a step at or
// before f's last used one (a replay), is CodeInvalid.
func matchTOTP(f store.Factor, code string, now time.Time) (int64, error) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != domain.TOTPDigits || strings.Trim(code, "0123456789") != "" {
		return 0, errFactorCode("factor.code_wrong")
	}
	period := int64(domain.TOTPPeriod / time.Second)
	current := now.Unix() / period
	for step := current - domain.TOTPSkew; step <= current+domain.TOTPSkew; step++ {
		want, err := totp.GenerateCodeCustom(f.Secret, time.Unix(step*period, 0), totpOpts)
		if err != nil {
			return 0, fmt.Errorf("totp code of user %d: %w", f.UserID, err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			if step <= f.LastUsedStep {
				return 0, errFactorCode("factor.code_used")
			}
			return step, nil
		}
	}
	return 0, errFactorCode("factor.code_wrong")
}

// codeShape refuses, before any attempt is counted or any secret read,
// what cannot be a code: six digits (or, when recovery, a recovery code).
func codeShape(code string, recovery bool) error {
	c := strings.Join(strings.Fields(code), "")
	if c == "" {
		return errFactorCode("field.required")
	}
	if len(c) == domain.TOTPDigits && strings.Trim(c, "0123456789") == "" {
		return nil
	}
	if _, ok := recoveryCodeOf(code); ok && recovery {
		return nil
	}
	return errFactorCode("factor.code_wrong")
}

// recoveryCodeOf returns code normalised as a recovery code (16 base32
// characters, case, spaces and dashes ignored), and whether it is one.
func recoveryCodeOf(code string) (string, bool) {
	c := strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(code))
	if len(c) != 16 {
		return "", false
	}
	if _, err := b32.DecodeString(c); err != nil {
		return "", false
	}
	return c, true
}

// newRecoveryCodes replaces user userID's recovery codes by
// domain.RecoveryCodeCount new ones (80 random bits each, shown as four
// groups of four) and returns them; only their SHA-256 is stored.
func newRecoveryCodes(ctx context.Context, st *store.Store, userID int64, now time.Time) ([]string, error) {
	codes := make([]string, domain.RecoveryCodeCount)
	hashes := make([][]byte, domain.RecoveryCodeCount)
	for i := range codes {
		b := make([]byte, 10)
		_, _ = rand.Read(b)
		c := b32.EncodeToString(b) // 16 characters
		hashes[i] = hashSecret(c)
		codes[i] = c[0:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16]
	}
	return codes, st.ReplaceRecoveryCodes(ctx, userID, hashes, now)
}

// RegenerateRecoveryCodes replaces the actor's recovery codes, given a
// current TOTP code or an unused recovery code (which it uses up;
// throttled with the profile's other checks), and returns the new ones,
// shown this once.
func (s *Access) RegenerateRecoveryCodes(ctx context.Context, by domain.Actor, code string) ([]string, error) {
	if by.Anonymous() {
		return nil, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	if err := s.proveFactor(ctx, by.UserID, code, by.Address, true); err != nil {
		return nil, err
	}
	var codes []string
	err := s.store.InTx(ctx, func(st *store.Store) error {
		var err error
		if codes, err = newRecoveryCodes(ctx, st, by.UserID, s.now()); err != nil {
			return err
		}
		u, err := st.GetUser(ctx, by.UserID)
		if err != nil {
			return err
		}
		if err := notifyFactorChange(ctx, st, s.notify, s.now(), u, domain.DirRecoveryRegenerated, by.Address); err != nil {
			return err
		}
		return logAccount(ctx, st, s.now, by.Address, accountEntry(domain.DirRecoveryRegenerated, u, nil))
	})
	return codes, err
}

// StartReplacement begins replacing the actor's authenticator (a new
// phone, or a lost one): given a code from the current app or an unused
// recovery code (which it uses up; throttled with the profile's other
// checks), it returns a new key. The key is not stored: the caller's face
// keeps it in the asking browser's server-side session, and the current
// factor keeps working until ConfirmReplacement — so nobody else, not
// even someone holding the password, ever sees the new key or a moment
// without a factor.
func (s *Access) StartReplacement(ctx context.Context, by domain.Actor, code string) (string, error) {
	if by.Anonymous() || by.ReadOnly {
		return "", domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	f, err := s.SecondFactor(ctx, by.UserID)
	if err != nil {
		return "", err
	}
	if !f.Enrolled {
		return "", domain.Errorf(domain.CodeConflict, "factor.none")
	}
	if err := s.proveFactor(ctx, by.UserID, code, by.Address, true); err != nil {
		return "", err
	}
	secret := make([]byte, 20)
	_, _ = rand.Read(secret)
	return b32.EncodeToString(secret), nil
}

// Replacement is what an authenticator app needs of the new key secret
// (StartReplacement) for the actor: the key grouped, its URI, its QR code.
func (s *Access) Replacement(ctx context.Context, by domain.Actor, secret string) (domain.Enrolment, error) {
	u, err := s.store.GetUser(ctx, by.UserID)
	if err != nil {
		return domain.Enrolment{}, err
	}
	return enrolmentOf(u, secret)
}

// ConfirmReplacement replaces the actor's factor by the new key secret
// once code, from the new app, proves it has it: in one transaction the
// old factor and its recovery codes go, the new factor is confirmed with
// new recovery codes (returned, shown once), every other session of the
// user ends (the browser asking, currentToken, stays signed in: a lost
// phone may be in other hands), and the change is told to the user and
// logged (account.factor_enrolled, replaced).
func (s *Access) ConfirmReplacement(ctx context.Context, by domain.Actor, secret, code, currentToken string) ([]string, error) {
	if by.Anonymous() || by.ReadOnly {
		return nil, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	if err := codeShape(code, false); err != nil {
		return nil, err
	}
	try, err := s.throttleSecondFactor(ctx, by.UserID, by.Address, domain.LimitSecondFactorProfile)
	if err != nil {
		return nil, err
	}
	var (
		codes []string
		wrong error
	)
	err = s.store.InTx(ctx, func(st *store.Store) error {
		if _, err := st.GetFactor(ctx, by.UserID, true); err != nil { // the row locked: one replacement at a time
			if domain.ErrorCode(err) == domain.CodeNotFound {
				return domain.Errorf(domain.CodeConflict, "factor.none")
			}
			return err
		}
		now := s.now()
		step, err := matchTOTP(store.Factor{UserID: by.UserID, Secret: secret}, code, now)
		if domain.ErrorCode(err) == domain.CodeInvalid {
			wrong = err // logged below, as every wrong code is
			return nil
		}
		if err != nil {
			return err
		}
		if err := st.DeleteFactor(ctx, by.UserID); err != nil { // its recovery codes with it
			return err
		}
		if _, err := st.SavePendingFactor(ctx, by.UserID, secret, now); err != nil {
			return err
		}
		if err := st.ConfirmFactor(ctx, by.UserID, step, now); err != nil {
			return err
		}
		if codes, err = newRecoveryCodes(ctx, st, by.UserID, now); err != nil {
			return err
		}
		keep, err := s.currentSession(ctx, currentToken)
		if err != nil {
			return err
		}
		ended, err := st.EndOtherUserSessions(ctx, by.UserID, keep)
		if err != nil {
			return err
		}
		u, err := st.GetUser(ctx, by.UserID)
		if err != nil {
			return err
		}
		if err := notifyFactorChange(ctx, st, s.notify, now, u, domain.DirFactorEnrolled, by.Address); err != nil {
			return err
		}
		return logAccount(ctx, st, s.now, by.Address, accountEntry(domain.DirFactorEnrolled, u,
			map[string]any{"replaced": true, "sessions_ended": ended}))
	})
	if err == nil && wrong != nil {
		if err = logAccount(ctx, s.store, s.now, by.Address, accountEntry(domain.DirFactorCheckFailed, actorUser(by), nil)); err == nil {
			err = wrong
		}
	}
	return codes, s.settle(ctx, try, err)
}

// RemoveSecondFactor removes the actor's factor, given a code from the
// app or an unused recovery code (throttled with the profile's other
// checks); refused (CodeConflict) while the rule requires them to have
// one: that one is replaced (StartReplacement), never removed.
func (s *Access) RemoveSecondFactor(ctx context.Context, by domain.Actor, code string) error {
	if by.Anonymous() {
		return domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	f, err := s.SecondFactor(ctx, by.UserID)
	if err != nil {
		return err
	}
	if !f.Enrolled {
		return domain.Errorf(domain.CodeConflict, "factor.none")
	}
	if f.Required {
		return domain.Errorf(domain.CodeConflict, "factor.required")
	}
	if err := s.proveFactor(ctx, by.UserID, code, by.Address, true); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(st *store.Store) error {
		if err := st.DeleteFactor(ctx, by.UserID); err != nil {
			return err
		}
		u, err := st.GetUser(ctx, by.UserID)
		if err != nil {
			return err
		}
		if err := notifyFactorChange(ctx, st, s.notify, s.now(), u, domain.DirFactorRemoved, by.Address); err != nil {
			return err
		}
		return logAccount(ctx, st, s.now, by.Address, accountEntry(domain.DirFactorRemoved, u, nil))
	})
}

// ResetSecondFactor removes user userID's factor and recovery codes for
// them (lost phone; administrators only) and ends their sessions: when
// the rule requires a factor of them, they enrol again at their next
// sign-in. The reset is in the security log, by the administrator.
func (d *Directory) ResetSecondFactor(ctx context.Context, by domain.Actor, userID int64) error {
	if err := domain.Can(by, domain.ActionManageUsers, domain.OnInstance()); err != nil {
		return err
	}
	return d.inLog(ctx, by, func(st *store.Store) (logEntry, error) {
		u, err := st.GetUser(ctx, userID)
		if err != nil {
			return logEntry{}, err
		}
		if _, err := st.GetFactor(ctx, userID, true); err != nil {
			if domain.ErrorCode(err) == domain.CodeNotFound {
				return logEntry{}, domain.Errorf(domain.CodeConflict, "factor.none")
			}
			return logEntry{}, err
		}
		if err := st.DeleteFactor(ctx, userID); err != nil {
			return logEntry{}, err
		}
		if err := st.EndUserSessions(ctx, userID, d.now()); err != nil {
			return logEntry{}, err
		}
		// A reset answers a lost or stolen device: the links in the user's
		// e-mails end too.
		if err := st.EndUserLinks(ctx, userID, d.now()); err != nil {
			return logEntry{}, err
		}
		if err := notifyFactorChange(ctx, st, d.access.notify, d.now(), u, domain.DirFactorRemoved, by.Address); err != nil {
			return logEntry{}, err
		}
		e := accountEntry(domain.DirFactorRemoved, u, map[string]any{"reset": true})
		e.actor = by.UserID
		return e, nil
	})
}

// notifyFactorChange tells user u, in-app and by e-mail, that their
// second factor changed (action: enrolled, removed or reset, recovery
// codes replaced; ASVS 2.2.3, 2.5.5), in the transaction of the change,
// through the one account-notice helper (notifyAccount).
func notifyFactorChange(ctx context.Context, st *store.Store, n Notifier, now time.Time, u domain.User, action, address string) error {
	return notifyAccount(ctx, st, n, now, u, domain.NoticeAccountFactor, address, map[string]string{"Change": action})
}
