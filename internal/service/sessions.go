package service

import (
	"context"
	"strconv"
	"strings"

	"github.com/mileusna/useragent"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// StartSession records the browser session with token (already in the
// session store) as u's, begun now from address by the browser that sent
// userAgent. The web face calls it where a sign-in becomes a session.
//
// The session's opening is the sign-in: it is logged (DirSignedIn) in the
// same transaction, with how — the first factor's method ("password",
// "sso" and the provider) and the second factor, when one was asked.
func (s *Access) StartSession(ctx context.Context, u domain.User, token, address, userAgent string, how SignInMethod) (domain.UserSession, error) {
	// What a browser sends is kept as printable text only: the header may
	// hold anything, and a sign-in must not fail on it.
	userAgent = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(userAgent, ""))
	var out domain.UserSession
	err := s.store.InTx(ctx, func(st *store.Store) error {
		var err error
		out, err = st.CreateUserSession(ctx, token, u.SessionEpoch, domain.UserSession{
			UserID: u.ID, Device: DeviceLabel(userAgent), UserAgent: userAgent, Address: address, CreatedAt: s.now(),
		})
		if err != nil || how.Method == "" {
			return err
		}
		return logAccount(ctx, st, s.now, address, accountEntry(domain.DirSignedIn, u, how.payload()))
	})
	return out, err
}

// SignInMethod is how a sign-in was made: the first factor (Method,
// "password" or "sso", with the Provider's slug) and whether a second
// factor (a code, or a recovery code — logged on its own) was passed. The
// zero value is a session renewed without a sign-in (after a password
// change): nothing is logged for it.
type SignInMethod struct {
	Method       string `json:"method"`
	Provider     string `json:"provider,omitempty"`
	SecondFactor bool   `json:"second_factor,omitempty"`
}

func (m SignInMethod) payload() map[string]any {
	p := map[string]any{"method": m.Method}
	if m.Provider != "" {
		p["provider"] = m.Provider
	}
	if m.SecondFactor {
		p["second_factor"] = true
	}
	return p
}

// sighting is a request of the session with token from address, now.
func (s *Access) sighting(token, address string) store.SessionSighting {
	return store.SessionSighting{Token: token, Address: address, Now: s.now(),
		Every: domain.SessionSeenInterval(s.SessionIdle), Idle: s.SessionIdle}
}

// SessionActor is Actor for a request of a browser session (token, from
// address), in the same round trip checking that the session is still
// recorded — one ended from another browser is gone even if a request
// in flight wrote it back to the store — and not idle for SessionIdle,
// and noting when and from where it was last seen (at most every
// domain.SessionSeenInterval). A session ended, idle, of a disabled user
// or of an older epoch is CodeUnauthorized: the caller ends it.
func (s *Access) SessionActor(ctx context.Context, userID, epoch int64, token, address string) (domain.Actor, error) {
	u, ms, hasFactor, err := s.store.UserForSession(ctx, userID, s.sighting(token, address))
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	if err != nil {
		return domain.Actor{}, err
	}
	// The second-factor rule holds for the whole session: a user made an
	// administrator or an officer of an operation that requires a factor
	// since they signed in, or whose factor was reset, has no factor the
	// rule now requires — the session ends, and they enrol at sign-in.
	if u.Disabled || u.SessionEpoch != epoch || !hasFactor && domain.NeedsSecondFactor(u, ms) {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	return actorOf(u, ms), nil
}

// SeeSession is SessionActor's check of the session alone: CodeUnauthorized
// when the session with token is ended or idle.
func (s *Access) SeeSession(ctx context.Context, token, address string) error {
	err := s.store.SeeUserSession(ctx, s.sighting(token, address))
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	return err
}

// ListSessions returns the actor's live browser sessions, the most
// recently seen first; the one with currentToken (the asking browser's,
// "" for an API token) is marked Current.
func (s *Access) ListSessions(ctx context.Context, by domain.Actor, currentToken string) ([]domain.UserSession, error) {
	if by.Anonymous() {
		return nil, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	current, err := s.currentSession(ctx, currentToken)
	if err != nil {
		return nil, err
	}
	out, err := s.store.ListUserSessions(ctx, by.UserID, s.now(), s.SessionIdle)
	for i := range out {
		out[i].Current = out[i].ID == current
	}
	return out, err
}

// currentSession is the id of the recorded session with token, 0 for none.
func (s *Access) currentSession(ctx context.Context, token string) (int64, error) {
	if token == "" {
		return 0, nil
	}
	id, err := s.store.UserSessionID(ctx, token)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return 0, nil
	}
	return id, err
}

// EndSession ends the actor's session id at once: its browser is signed
// out at its next request. Another user's session, or one already
// ended, is CodeNotFound. The security log records it.
func (s *Access) EndSession(ctx context.Context, by domain.Actor, id int64) error {
	if by.Anonymous() {
		return domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	return s.store.InTx(ctx, func(st *store.Store) error {
		if err := st.EndUserSession(ctx, by.UserID, id); err != nil {
			return err
		}
		return logAccount(ctx, st, s.now, by.Address, accountEntry(domain.DirSessionsEnded, actorUser(by),
			map[string]any{"sessions": 1, "session_id": id}))
	})
}

// EndOtherSessions ends every session of the actor but the one with
// currentToken (every one when it is "", as for an API token) and
// returns how many it ended. The security log records it, even when
// there was none to end: the user asked.
func (s *Access) EndOtherSessions(ctx context.Context, by domain.Actor, currentToken string) (int64, error) {
	if by.Anonymous() {
		return 0, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	var n int64
	err := s.store.InTx(ctx, func(st *store.Store) error {
		keep, err := s.currentSession(ctx, currentToken)
		if err != nil {
			return err
		}
		if n, err = st.EndOtherUserSessions(ctx, by.UserID, keep); err != nil {
			return err
		}
		return logAccount(ctx, st, s.now, by.Address, accountEntry(domain.DirSessionsEnded, actorUser(by),
			map[string]any{"sessions": n, "kept_current": keep != 0}))
	})
	return n, err
}

// actorUser is the user behind actor a, as the security log names it.
func actorUser(a domain.Actor) domain.User {
	return domain.User{ID: a.UserID, Email: a.Email, Name: a.Name}
}

// DeviceLabel is a short label of the browser and system a User-Agent
// names, such as "Firefox 128 · Windows" or "Safari 17 · iOS · iPhone";
// "" when it names none. The parts are product names, the same in every
// language.
func DeviceLabel(userAgent string) string {
	ua := useragent.Parse(userAgent)
	var parts []string
	if ua.Name != "" {
		name := ua.Name
		if ua.VersionNo.Major > 0 {
			name += " " + strconv.Itoa(ua.VersionNo.Major)
		}
		parts = append(parts, name)
	}
	if ua.OS != "" {
		parts = append(parts, ua.OS)
	}
	if ua.Device != "" {
		parts = append(parts, ua.Device)
	}
	label := strings.Join(parts, " · ")
	if len(label) > domain.MaxDeviceLabel {
		label = label[:domain.MaxDeviceLabel]
	}
	return strings.ToValidUTF8(label, "")
}
