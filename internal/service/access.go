package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// passwordParams are the argon2id parameters: OWASP's recommended
// minimum (19 MiB, 2 passes, 1 lane), cheap enough to keep a 2-core
// server responsive when many people sign in at once.
var passwordParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// HashPassword returns the argon2id PHC string of pw, NFKC-normalised
// (domain.NormalizePassword), computed in a slot of the hash gate (or
// errBusy).
func HashPassword(ctx context.Context, pw string) (h string, err error) {
	err = gate.do(ctx, func() error {
		if h, err = argon2id.CreateHash(domain.NormalizePassword(pw), passwordParams); err != nil {
			return fmt.Errorf("hash password: %w", err)
		}
		return nil
	})
	return h, err
}

// TokenPrefix starts every API token, so leaked tokens are recognisable
// by secret scanners.
const TokenPrefix = "cmc_"

// PasswordLinkLifetime is how long a set-password link stays valid.
const PasswordLinkLifetime = 72 * time.Hour

// Access owns identity: sign-in with throttling, the actor behind a
// session or a token, API tokens, passwords and set-password links.
type Access struct {
	store     *store.Store
	now       func() time.Time
	log       *slog.Logger
	dummyHash string // compared against when the account does not exist
	idem      *Idempotency
	notify    Notifier
	// SessionIdle ends a browser session after this long without a
	// request (domain.DefaultSessionIdle unless set).
	SessionIdle time.Duration
	localKeys   localKeys // LocalDraftKey's instance secret, read once
}

// WithNotifier makes the service tell users of their account's credential
// changes (password, new token), in-app and by e-mail; it returns s.
func (s *Access) WithNotifier(n Notifier) *Access {
	s.notify = n
	return s
}

// NewAccess returns the Access service.
func NewAccess(st *store.Store, now func() time.Time, log *slog.Logger) *Access {
	dummy, err := argon2id.CreateHash("not a real password, only here to spend the same time", passwordParams)
	if err != nil {
		panic(err) // only fails if the system's random source fails
	}
	return &Access{store: st, now: now, log: log, dummyHash: dummy, SessionIdle: domain.DefaultSessionIdle,
		idem: NewIdempotency(st, log)}
}

// Idempotency returns the outcomes of requests made under an
// Idempotency-Key, kept per user (the faces' middleware asks it).
func (s *Access) Idempotency() *Idempotency { return s.idem }

// errSignInFailed is the one answer for an unknown e-mail, a wrong
// password, a disabled account or one without a password yet, so the
// answer never reveals which accounts exist.
func errSignInFailed() error { return domain.Errorf(domain.CodeUnauthorized, "login.failed") }

// DeviceLifetime is how long a browser stays trusted after a sign-in
// (renewed at each one).
const DeviceLifetime = 90 * 24 * time.Hour

// TrustDevice records that user userID has just fully signed in on the
// browser that held the device token replaced ("" for none), and returns
// the browser's new token, for a cookie of DeviceLifetime. The old token
// is forgotten: a copied cookie stops working at the owner's next
// sign-in.
func (s *Access) TrustDevice(ctx context.Context, userID int64, replaced string) (string, error) {
	token := NewSecret()
	var old []byte
	if replaced != "" {
		old = secretHash(replaced)
	}
	now := s.now()
	return token, s.store.TrustDevice(ctx, secretHash(token), old, userID, now.Add(DeviceLifetime), now)
}

// deviceOf returns the limit key of the trusted-device token device when
// it is user userID's (0: an unknown account, which has no devices), or
// "" when it is nobody's, another account's, or expired.
func (s *Access) deviceOf(ctx context.Context, userID int64, device string) (string, error) {
	if device == "" || userID == 0 {
		return "", nil
	}
	h := secretHash(device)
	owner, ok, err := s.store.TrustedDeviceUser(ctx, h, s.now())
	if err != nil || !ok || owner != userID {
		return "", err
	}
	return hex.EncodeToString(h[:16]), nil
}

// SignIn checks email and password from clientIP. An attempt first
// reserves a slot in the account's and the address's sign-in limits
// (domain.LimitSignInAccount, LimitSignInAddress), atomically and across
// instances, and only then checks the password: a full bucket is
// CodeRateLimited without a check, however many attempts arrive at once.
// A success gives the slots back and clears the account's failures. The
// outcome goes to the security log. A successful sign-in applies the
// account's pending membership invitations (see
// Directory.SetMemberByEmail).
//
// device is the token of the browser's trusted-device cookie ("" for
// none; see TrustDevice): when it is this account's, failures count in
// that browser's own bucket instead of the account's (domain.SignInSlots),
// so the owner is not locked out of their own browser by a stranger.
func (s *Access) SignIn(ctx context.Context, email, password, clientIP, device string) (domain.User, error) {
	email = domain.NormalizeEmail(email)
	if err := domain.ValidateSignIn(email, password); err != nil {
		return domain.User{}, err
	}
	u, uerr := s.store.GetUserByEmail(ctx, email)
	if uerr != nil && domain.ErrorCode(uerr) != domain.CodeNotFound {
		return domain.User{}, uerr
	}
	deviceKey, err := s.deviceOf(ctx, u.ID, device)
	if err != nil {
		return domain.User{}, err
	}
	try, err := reserve(ctx, s.store, s.now(), "login.throttled", domain.SignInSlots(email, clientIP, deviceKey)...)
	if err != nil {
		if domain.ErrorCode(err) == domain.CodeRateLimited {
			s.log.WarnContext(ctx, "sign-in throttled", "client_ip", clientIP, "trusted_device", deviceKey != "")
		}
		return domain.User{}, err
	}
	hash := ""
	switch {
	case uerr != nil: // not found
		u = domain.User{Email: email}
	case !u.Disabled:
		if hash, err = s.store.PasswordHash(ctx, u.ID); err != nil {
			return domain.User{}, err
		}
	}
	ok, err := s.checkPassword(ctx, password, hash)
	if err != nil {
		if aerr := try.abandoned(ctx); aerr != nil {
			s.log.ErrorContext(ctx, "give back a sign-in slot", "error", aerr)
		}
		return domain.User{}, err
	}
	if !ok {
		entries := []logEntry{accountEntry(domain.DirSignInFailed, u, nil)}
		if filled := try.filled(); len(filled) > 0 {
			entries = append(entries, accountEntry(domain.DirLockedOut, u, map[string]any{"limits": filled}))
		}
		for i := range entries {
			entries[i].actor = 0 // whoever typed it is not known to be the account's owner
		}
		if err := logAccount(ctx, s.store, s.now, clientIP, entries...); err != nil {
			return domain.User{}, err
		}
		return domain.User{}, errSignInFailed()
	}
	// The sign-in itself is logged when its session opens
	// (StartSession), after the second factor when one is asked.
	if err := try.succeeded(ctx); err != nil {
		return domain.User{}, err
	}
	// Invitations of this address take effect at its first sign-in. A
	// failure rolls them back, pending for the next sign-in, and does not
	// keep the user out.
	if err := takeInvitations(ctx, s.store, u, s.now); err != nil {
		s.log.ErrorContext(ctx, "apply membership invitations at sign-in", "user_id", u.ID, "error", err)
	}
	return u, nil
}

// checkPassword compares password with the argon2id hash in a slot of
// the hash gate. An empty hash (no account, a disabled one, one without a
// password yet) is compared with a dummy hash, to spend the same time,
// and is never a match. Passwords are hashed NFKC-normalised; a hash
// made before normalisation (a password whose typed form NFKC changes,
// set before issue 15) is also tried with the password as typed, so no
// existing password stops working.
func (s *Access) checkPassword(ctx context.Context, password, hash string) (ok bool, err error) {
	err = gate.do(ctx, func() error {
		normal := domain.NormalizePassword(password)
		if hash == "" {
			_, _ = argon2id.ComparePasswordAndHash(normal, s.dummyHash)
			return nil
		}
		ok, err = argon2id.ComparePasswordAndHash(normal, hash)
		if err == nil && !ok && normal != password {
			ok, err = argon2id.ComparePasswordAndHash(password, hash)
		}
		if err != nil {
			return fmt.Errorf("compare password hash: %w", err)
		}
		return nil
	})
	return ok, err
}

// Actor loads the signed-in user userID with their roles. A session that
// began in an older epoch (the user was disabled or changed password
// since) or a disabled or deleted user is CodeUnauthorized: the session
// has ended.
func (s *Access) Actor(ctx context.Context, userID, epoch int64) (domain.Actor, error) {
	// The user and their memberships in one round trip: the memberships
	// are used only once the user is known to be enabled and in this epoch.
	u, ms, err := s.store.UserWithMemberships(ctx, userID, s.now())
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	if err != nil {
		return domain.Actor{}, err
	}
	if u.Disabled || u.SessionEpoch != epoch {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	return actorOf(u, ms), nil
}

// actorOf is user u with their memberships ms.
func actorOf(u domain.User, ms []domain.Membership) domain.Actor {
	a := domain.Actor{UserID: u.ID, OrganizationID: u.OrganizationID, Name: u.Name, Email: u.Email,
		Language: u.Language, IsAdmin: u.IsAdmin, HasPassword: u.HasPassword, Roles: make(map[int64]domain.RoleSet, len(ms))}
	for _, m := range ms {
		a.Roles[m.OperationID] = m.Roles
		if m.ActingHCID != 0 {
			if a.ActingHC == nil {
				a.ActingHC = map[int64]int64{}
			}
			a.ActingHC[m.OperationID] = m.ActingHCID
		}
		a.Operations = append(a.Operations, domain.OperationRef{ID: m.OperationID, Code: m.OperationCode, Name: m.OperationName})
	}
	return a
}

// ActorForToken authenticates an API token. An unknown, revoked or
// malformed token, or one of a disabled user, is CodeUnauthorized.
func (s *Access) ActorForToken(ctx context.Context, token string) (domain.Actor, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 100 {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "token.invalid")
	}
	t, err := s.store.UseAPIToken(ctx, hashSecret(token), s.now())
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "token.invalid")
	}
	if err != nil {
		return domain.Actor{}, err
	}
	// The second factor cannot be skipped through the API: a user the
	// rule requires to have one cannot use their tokens until they enrol.
	u, ms, has, err := s.store.UserWithFactor(ctx, t.UserID, s.now())
	if err != nil {
		return domain.Actor{}, err
	}
	if !has && domain.NeedsSecondFactor(u, ms) {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "token.factor_required")
	}
	a := actorOf(u, ms)
	a.ReadOnly = t.Scope != domain.TokenFull
	return a, nil
}

func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// newSecret returns prefix + 43 characters of base64url randomness (256 bits).
func newSecret(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux (Go 1.24+ panics instead)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// TokenRequest is what a user asks a token with.
type TokenRequest struct {
	domain.NewToken
	// CurrentPassword re-authenticates the user: a session or token that
	// was stolen cannot mint a credential without the password.
	CurrentPassword string
}

// CreateToken issues a new API token for the actor and returns its
// secret, which is shown once and never stored. The actor proves they
// are the account's owner with its current password (a user with no
// password yet cannot create tokens); domain.CheckNewToken decides the
// rest (a read-only token creates none). The token, its security log
// entry and the notice to the user commit together.
func (s *Access) CreateToken(ctx context.Context, by domain.Actor, in TokenRequest) (string, domain.APIToken, error) {
	now := s.now()
	in.Name = strings.TrimSpace(in.Name)
	if err := domain.CheckNewToken(by, in.NewToken, now); err != nil {
		return "", domain.APIToken{}, err
	}
	if err := s.checkCurrentPassword(ctx, by.UserID, in.CurrentPassword, "token.needs_password", by.Address); err != nil {
		return "", domain.APIToken{}, err
	}
	u, err := s.store.GetUser(ctx, by.UserID)
	if err != nil {
		return "", domain.APIToken{}, err
	}
	return s.issueToken(ctx, u, in.NewToken, u.ID, by.Address)
}

// checkCurrentPassword is nil when pw is user id's password; otherwise a
// field error on current_password (noPassword when the user has none).
// It is checked as at sign-in: a slot of domain.LimitPasswordCheck is
// reserved first, so a stolen session cannot guess it at speed.
//
// A wrong password is in the security log (DirPasswordCheckFailed, from
// address), with the lockout it starts when it fills the bucket.
func (s *Access) checkCurrentPassword(ctx context.Context, id int64, pw, noPassword, address string) error {
	wrong := func(key string) error {
		return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"current_password": key}}
	}
	hash, err := s.store.PasswordHash(ctx, id)
	if err != nil {
		return err
	}
	if hash == "" {
		return wrong(noPassword)
	}
	if err := domain.ValidateCurrentPassword(pw); err != nil {
		return err
	}
	try, err := reserve(ctx, s.store, s.now(), "password.throttled",
		domain.Slot{Limit: domain.LimitPasswordCheck, Key: userKey(id)})
	if err != nil {
		return err
	}
	ok, err := s.checkPassword(ctx, pw, hash)
	if err != nil {
		if aerr := try.abandoned(ctx); aerr != nil {
			s.log.ErrorContext(ctx, "give back a password slot", "error", aerr)
		}
		return err
	}
	if !ok {
		u, err := s.store.GetUser(ctx, id)
		if err != nil {
			return err
		}
		if err := logAccount(ctx, s.store, s.now, address, accountEntry(domain.DirPasswordCheckFailed, u, nil)); err != nil {
			return err
		}
		try.user, try.address = id, address
		if err := try.lockout(ctx, s.now); err != nil {
			return err
		}
		return wrong("password.wrong")
	}
	return try.succeeded(ctx)
}

// IssueTokenForEmail issues a token for the user with email. It is for
// `cmcoord token create`, run by an operator with database access.
func (s *Access) IssueTokenForEmail(ctx context.Context, email string, t domain.NewToken) (string, domain.APIToken, error) {
	u, err := s.store.GetUserByEmail(ctx, domain.NormalizeEmail(email))
	if err != nil {
		return "", domain.APIToken{}, err
	}
	if u.Disabled {
		return "", domain.APIToken{}, domain.Errorf(domain.CodeConflict, "user.disabled")
	}
	// A token would not work (ActorForToken) until the user enrols.
	if f, err := s.SecondFactor(ctx, u.ID); err != nil {
		return "", domain.APIToken{}, err
	} else if f.Required && !f.Enrolled {
		return "", domain.APIToken{}, domain.Errorf(domain.CodeConflict, "token.factor_required")
	}
	t.Name = strings.TrimSpace(t.Name)
	if err := domain.CheckNewToken(domain.Actor{UserID: u.ID}, t, s.now()); err != nil {
		return "", domain.APIToken{}, err
	}
	return s.issueToken(ctx, u, t, 0, "")
}

// issueToken stores token t for u, records it in the security log (as
// done by actorID: u's, or 0 for the operator at the command line) and
// tells u, in one transaction.
func (s *Access) issueToken(ctx context.Context, u domain.User, t domain.NewToken, actorID int64, address string) (string, domain.APIToken, error) {
	if t.Name == "" {
		t.Name = "API token"
	}
	secret := newSecret(TokenPrefix)
	var out domain.APIToken
	err := s.store.InTx(ctx, func(st *store.Store) error {
		now := s.now()
		var err error
		out, err = st.CreateAPIToken(ctx, domain.APIToken{UserID: u.ID, Name: t.Name, Prefix: secret[:12],
			Scope: t.Scope, ExpiresAt: t.ExpiresAt, CreatedAt: now}, hashSecret(secret))
		if err != nil {
			return err
		}
		entry := accountEntry(domain.DirTokenCreated, u, tokenAudit(out))
		entry.actor = actorID
		if err := logAccount(ctx, st, s.now, address, entry); err != nil {
			return err
		}
		data := map[string]string{"TokenName": out.Name, "Scope": string(out.Scope)}
		if out.ExpiresAt != nil {
			data["Expires"] = out.ExpiresAt.UTC().Format(time.RFC3339)
		}
		return notifyAccount(ctx, st, s.notify, now, u, domain.NoticeAccountToken, address, data)
	})
	if err != nil {
		return "", domain.APIToken{}, err
	}
	return secret, out, nil
}

// tokenAudit is what the security log records of a token: never its
// secret or hash.
func tokenAudit(t domain.APIToken) map[string]any {
	m := map[string]any{"token_id": t.ID, "name": t.Name, "prefix": t.Prefix, "scope": string(t.Scope)}
	if t.ExpiresAt != nil {
		m["expires_at"] = t.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return m
}

// tokenIDs lists the IDs of ts, for the security log.
func tokenIDs(ts []domain.APIToken) []int64 {
	out := make([]int64, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

// ListTokens returns the actor's own tokens.
func (s *Access) ListTokens(ctx context.Context, by domain.Actor) ([]domain.APIToken, error) {
	if by.Anonymous() {
		return nil, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	return s.store.ListAPITokens(ctx, by.UserID)
}

// RevokeToken revokes one of the actor's tokens and records it in the
// security log (once: revoking a revoked token changes nothing); another
// user's token is CodeNotFound.
func (s *Access) RevokeToken(ctx context.Context, by domain.Actor, id int64) error {
	if by.Anonymous() {
		return domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	return s.store.InTx(ctx, func(st *store.Store) error {
		u, err := st.GetUser(ctx, by.UserID)
		if err != nil {
			return err
		}
		revoked, err := st.RevokeAPITokensOf(ctx, by.UserID, []int64{id}, s.now())
		if err != nil || len(revoked) == 0 {
			return err // not found, or revoked before
		}
		return logAccount(ctx, st, s.now, by.Address, accountEntry(domain.DirTokenRevoked, u, tokenAudit(revoked[0])))
	})
}

// SetLanguage changes the actor's interface language.
func (s *Access) SetLanguage(ctx context.Context, by domain.Actor, lang string) error {
	if by.Anonymous() {
		return domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	for _, l := range domain.Languages {
		if l == lang {
			return s.store.SetUserLanguage(ctx, by.UserID, lang, s.now())
		}
	}
	return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"language": "field.choose"}}
}

// ChangePassword replaces the actor's password after checking the current
// one. Every credential of the actor ends with the old password, in one
// transaction: every session (the epoch changes; the caller renews its
// own with the returned user) and every API token but those in keep,
// which the user chose to keep on the form (by default none). It is
// recorded in the security log and the user is told, in-app and by
// e-mail.
func (s *Access) ChangePassword(ctx context.Context, by domain.Actor, current, next string, keep []int64) (domain.User, error) {
	if by.Anonymous() {
		return domain.User{}, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	if by.ReadOnly {
		return domain.User{}, domain.Errorf(domain.CodeForbidden, "token.read_only")
	}
	// Every problem of the form at once, before a slot is taken.
	if err := mergeInvalid(domain.ValidateCurrentPassword(current), domain.ValidatePassword("new_password", next, by.Email, by.Name)); err != nil {
		return domain.User{}, err
	}
	if err := s.checkCurrentPassword(ctx, by.UserID, current, "password.wrong", by.Address); err != nil {
		return domain.User{}, err
	}
	newHash, err := HashPassword(ctx, next)
	if err != nil {
		return domain.User{}, err
	}
	var out domain.User
	err = s.store.InTx(ctx, func(st *store.Store) error {
		out, err = s.endCredentials(ctx, st, by.UserID, newHash, keep, domain.DirPasswordChanged, by.Address)
		return err
	})
	return out, err
}

// endCredentials is every credential-ending change of a user's own
// password, on st (a transaction): it stores hash (ending every session),
// revokes every token but those in keep, records action in the security
// log and tells the user. It returns the user as they now are.
func (s *Access) endCredentials(ctx context.Context, st *store.Store, userID int64, hash string, keep []int64,
	action string, address string) (domain.User, error) {
	now := s.now()
	if err := st.SetPassword(ctx, userID, hash, now); err != nil {
		return domain.User{}, err
	}
	// The epoch ends every session; the recorded ones go too, so the
	// session list shows none of them (the caller records its renewed one).
	if _, err := st.EndOtherUserSessions(ctx, userID, 0); err != nil {
		return domain.User{}, err
	}
	revoked, err := st.RevokeAPITokensExcept(ctx, userID, keep, now)
	if err != nil {
		return domain.User{}, err
	}
	u, err := st.GetUser(ctx, userID)
	if err != nil {
		return domain.User{}, err
	}
	entry := accountEntry(action, u, map[string]any{"sessions_ended": true, "tokens_revoked": tokenIDs(revoked)})
	if err := logAccount(ctx, st, s.now, address, entry); err != nil {
		return domain.User{}, err
	}
	return u, notifyAccount(ctx, st, s.notify, now, u, domain.NoticeAccountPassword, address, nil)
}

// PasswordLinkUser returns the user a live set-password link belongs to;
// a used, expired or unknown link is CodeNotFound. A link is checked as
// a password is: a slot of the address's limit (domain.LimitPasswordLink)
// is reserved first and given back when the link is live, so unknown
// links cannot be tried at speed, whether by opening them or posting to
// them.
func (s *Access) PasswordLinkUser(ctx context.Context, secret, clientIP string) (domain.User, error) {
	try, err := reserve(ctx, s.store, s.now(), "password.link_throttled",
		domain.Slot{Limit: domain.LimitPasswordLink, Key: clientIP})
	if err != nil {
		return domain.User{}, err
	}
	id, err := s.store.PasswordLinkUser(ctx, hashSecret(secret), s.now(), false)
	if err != nil {
		return domain.User{}, err // a failure: the slot stays counted
	}
	if err := try.succeeded(ctx); err != nil {
		return domain.User{}, err
	}
	return s.store.GetUser(ctx, id)
}

// SetPasswordWithLink sets the password of the link's user and uses up
// the link, in one transaction (a link works once, even when two tabs
// submit it together). Like a change, it ends every session and revokes
// every API token (a reset keeps none: whoever lost the password may have
// lost them too), is recorded and told to the user. clientIP is the
// client's address.
//
// The link is checked first, as PasswordLinkUser does (throttled per
// address, whatever the password), so no answer says whether an unknown
// link is live; the new password is then checked against the link's
// user (not their name or e-mail) and hashed in a slot of the hash gate.
func (s *Access) SetPasswordWithLink(ctx context.Context, secret, password, clientIP string) (domain.User, error) {
	u, err := s.PasswordLinkUser(ctx, secret, clientIP)
	if err != nil {
		return domain.User{}, err
	}
	if err := domain.ValidatePassword("password", password, u.Email, u.Name); err != nil {
		return domain.User{}, err
	}
	hash, err := HashPassword(ctx, password)
	if err != nil {
		return domain.User{}, err
	}
	var out domain.User
	err = s.store.InTx(ctx, func(st *store.Store) error {
		now := s.now()
		id, err := st.PasswordLinkUser(ctx, hashSecret(secret), now, true)
		if err != nil {
			return err
		}
		if err := st.UsePasswordLink(ctx, hashSecret(secret), now); err != nil {
			return err
		}
		out, err = s.endCredentials(ctx, st, id, hash, nil, domain.DirPasswordSet, clientIP)
		return err
	})
	return out, err
}

// newPasswordLink creates a link for user id on st and returns its secret.
func (s *Access) newPasswordLink(ctx context.Context, st *store.Store, userID int64) (string, error) {
	secret := newSecret("")
	now := s.now()
	if err := st.CreatePasswordLink(ctx, userID, hashSecret(secret), now, now.Add(PasswordLinkLifetime)); err != nil {
		return "", err
	}
	return secret, nil
}
