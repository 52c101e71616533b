package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
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

// HashPassword returns the argon2id PHC string of pw, computed in a slot
// of the hash gate (or errBusy).
func HashPassword(ctx context.Context, pw string) (h string, err error) {
	err = gate.do(ctx, func() error {
		if h, err = argon2id.CreateHash(pw, passwordParams); err != nil {
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
	// SessionIdle ends a browser session after this long without a
	// request (domain.DefaultSessionIdle unless set).
	SessionIdle time.Duration
}

// NewAccess returns the Access service.
func NewAccess(st *store.Store, now func() time.Time, log *slog.Logger) *Access {
	dummy, err := argon2id.CreateHash("not a real password, only here to spend the same time", passwordParams)
	if err != nil {
		panic(err) // only fails if the system's random source fails
	}
	return &Access{store: st, now: now, log: log, dummyHash: dummy, SessionIdle: domain.DefaultSessionIdle}
}

// errSignInFailed is the one answer for an unknown e-mail, a wrong
// password, a disabled account or one without a password yet, so the
// answer never reveals which accounts exist.
func errSignInFailed() error { return domain.Errorf(domain.CodeUnauthorized, "login.failed") }

// SignIn checks email and password from clientIP. An attempt first
// reserves a slot in the account's and the address's sign-in limits
// (domain.LimitSignInAccount, LimitSignInAddress), atomically and across
// instances, and only then checks the password: a full bucket is
// CodeRateLimited without a check, however many attempts arrive at once.
// A success gives the slots back and clears the account's failures. The
// outcome goes to the security log. A successful sign-in applies the
// account's pending membership invitations (see
// Directory.SetMemberByEmail).
func (s *Access) SignIn(ctx context.Context, email, password, clientIP string) (domain.User, error) {
	email = domain.NormalizeEmail(email)
	if err := domain.ValidateSignIn(email, password); err != nil {
		return domain.User{}, err
	}
	try, err := reserve(ctx, s.store, s.now(), "login.throttled",
		domain.Slot{Limit: domain.LimitSignInAccount, Key: email}, domain.Slot{Limit: domain.LimitSignInAddress, Key: clientIP})
	if err != nil {
		if domain.ErrorCode(err) == domain.CodeRateLimited {
			s.log.WarnContext(ctx, "sign-in throttled", "client_ip", clientIP)
		}
		return domain.User{}, err
	}
	u, err := s.store.GetUserByEmail(ctx, email)
	hash := ""
	switch {
	case domain.ErrorCode(err) == domain.CodeNotFound:
		u = domain.User{Email: email}
	case err != nil:
		return domain.User{}, err
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
// and is never a match.
func (s *Access) checkPassword(ctx context.Context, password, hash string) (ok bool, err error) {
	err = gate.do(ctx, func() error {
		if hash == "" {
			_, _ = argon2id.ComparePasswordAndHash(password, s.dummyHash)
			return nil
		}
		ok, err = argon2id.ComparePasswordAndHash(password, hash)
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
	u, ms, err := s.store.UserWithMemberships(ctx, userID)
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

func (s *Access) actorFor(ctx context.Context, u domain.User) (domain.Actor, error) {
	ms, err := s.store.ListMemberships(ctx, u.ID)
	if err != nil {
		return domain.Actor{}, err
	}
	return actorOf(u, ms), nil
}

// actorOf is user u with their memberships ms.
func actorOf(u domain.User, ms []domain.Membership) domain.Actor {
	a := domain.Actor{UserID: u.ID, OrganizationID: u.OrganizationID, Name: u.Name, Email: u.Email,
		Language: u.Language, IsAdmin: u.IsAdmin, Roles: make(map[int64]domain.RoleSet, len(ms))}
	for _, m := range ms {
		a.Roles[m.OperationID] = m.Roles
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
	u, ms, has, err := s.store.UserWithFactor(ctx, t.UserID)
	if err != nil {
		return domain.Actor{}, err
	}
	if !has && domain.NeedsSecondFactor(u, ms) {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "token.factor_required")
	}
	return actorOf(u, ms), nil
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

// CreateToken issues a new API token named name for the actor and returns
// its secret, which is shown once and never stored.
func (s *Access) CreateToken(ctx context.Context, by domain.Actor, name string) (string, domain.APIToken, error) {
	if by.Anonymous() {
		return "", domain.APIToken{}, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	return s.issueToken(ctx, by.UserID, name)
}

// IssueTokenForEmail issues a token for the user with email. It is for
// `cmcoord token create`, run by an operator with database access.
func (s *Access) IssueTokenForEmail(ctx context.Context, email, name string) (string, domain.APIToken, error) {
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
	return s.issueToken(ctx, u.ID, name)
}

func (s *Access) issueToken(ctx context.Context, userID int64, name string) (string, domain.APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "API token"
	}
	if err := domain.ValidateTokenName(name); err != nil {
		return "", domain.APIToken{}, err
	}
	secret := newSecret(TokenPrefix)
	t, err := s.store.CreateAPIToken(ctx, userID, name, secret[:12], hashSecret(secret), s.now())
	if err != nil {
		return "", domain.APIToken{}, err
	}
	return secret, t, nil
}

// ListTokens returns the actor's own tokens.
func (s *Access) ListTokens(ctx context.Context, by domain.Actor) ([]domain.APIToken, error) {
	if by.Anonymous() {
		return nil, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	return s.store.ListAPITokens(ctx, by.UserID)
}

// RevokeToken revokes one of the actor's tokens; another user's token is
// CodeNotFound.
func (s *Access) RevokeToken(ctx context.Context, by domain.Actor, id int64) error {
	if by.Anonymous() {
		return domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	return s.store.RevokeAPIToken(ctx, by.UserID, id, s.now())
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
// one. Every other session of the actor ends (the epoch changes); the
// caller renews its own session with the returned user.
func (s *Access) ChangePassword(ctx context.Context, by domain.Actor, current, next string) (domain.User, error) {
	if by.Anonymous() {
		return domain.User{}, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	// Every problem of the form at once, before a slot is taken.
	if err := mergeInvalid(domain.ValidateCurrentPassword(current), domain.ValidatePassword("new_password", next)); err != nil {
		return domain.User{}, err
	}
	hash, err := s.store.PasswordHash(ctx, by.UserID)
	if err != nil {
		return domain.User{}, err
	}
	// The current password is checked as at sign-in: a slot reserved
	// first, so a stolen session cannot guess it at speed.
	try, err := reserve(ctx, s.store, s.now(), "password.throttled",
		domain.Slot{Limit: domain.LimitPasswordCheck, Key: userKey(by.UserID)})
	if err != nil {
		return domain.User{}, err
	}
	ok, err := s.checkPassword(ctx, current, hash)
	if err != nil {
		if aerr := try.abandoned(ctx); aerr != nil {
			s.log.ErrorContext(ctx, "give back a password slot", "error", aerr)
		}
		return domain.User{}, err
	}
	if !ok {
		return domain.User{}, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"current_password": "password.wrong"}}
	}
	if err := try.succeeded(ctx); err != nil {
		return domain.User{}, err
	}
	newHash, err := HashPassword(ctx, next)
	if err != nil {
		return domain.User{}, err
	}
	if err := s.store.SetPassword(ctx, by.UserID, newHash, s.now()); err != nil {
		return domain.User{}, err
	}
	return s.store.GetUser(ctx, by.UserID)
}

// PasswordLinkUser returns the user a live set-password link belongs to;
// a used, expired or unknown link is CodeNotFound.
func (s *Access) PasswordLinkUser(ctx context.Context, secret string) (domain.User, error) {
	id, err := s.store.PasswordLinkUser(ctx, hashSecret(secret), s.now(), false)
	if err != nil {
		return domain.User{}, err
	}
	return s.store.GetUser(ctx, id)
}

// SetPasswordWithLink sets the password of the link's user and uses up
// the link, in one transaction (a link works once, even when two tabs
// submit it together).
//
// A link is checked as a password is: a slot of the address's limit is
// reserved first (domain.LimitPasswordLink) and given back when the link
// is live, so unknown links cannot be tried at speed, and the new
// password is hashed in a slot of the hash gate.
func (s *Access) SetPasswordWithLink(ctx context.Context, secret, password, clientIP string) (domain.User, error) {
	if err := domain.ValidatePassword("password", password); err != nil {
		return domain.User{}, err
	}
	try, err := reserve(ctx, s.store, s.now(), "password.link_throttled",
		domain.Slot{Limit: domain.LimitPasswordLink, Key: clientIP})
	if err != nil {
		return domain.User{}, err
	}
	if _, err := s.store.PasswordLinkUser(ctx, hashSecret(secret), s.now(), false); err != nil {
		return domain.User{}, err // a failure: the slot stays counted
	}
	if err := try.succeeded(ctx); err != nil {
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
		if err := st.SetPassword(ctx, id, hash, now); err != nil {
			return err
		}
		out, err = st.GetUser(ctx, id)
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
