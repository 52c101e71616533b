package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/reqctx"
)

// Session keys.
const (
	sessionUserID = "user_id"
	sessionEpoch  = "epoch"
)

// SessionLifetime is how long a sign-in lasts: a working day in the field.
const SessionLifetime = 12 * time.Hour

// NewSessionManager returns the server-side session manager on store (the
// PostgreSQL store in production and tests). The cookie is HttpOnly,
// SameSite=Lax and, when secure, Secure.
func NewSessionManager(store scs.Store, secure bool) *scs.SessionManager {
	m := scs.New()
	m.Store = store
	m.Lifetime = SessionLifetime
	m.Cookie.Name = "cmcoord_session"
	m.Cookie.HttpOnly = true
	m.Cookie.SameSite = http.SameSiteLaxMode
	m.Cookie.Secure = secure
	m.Cookie.Path = "/"
	return m
}

// sessionless paths never touch the session store: static files and the
// operational endpoints are hit often and carry nothing personal.
func sessionless(path string) bool {
	return strings.HasPrefix(path, "/static/") || path == "/healthz" || path == "/readyz" || path == "/metrics" ||
		path == "/favicon.ico" || path == "/robots.txt"
}

// sessions loads and saves the session around every other request.
func (s *Server) sessionsMiddleware(next http.Handler) http.Handler {
	withSession := s.sessions.LoadAndSave(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sessionless(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		withSession.ServeHTTP(w, r)
	})
}

// authenticate resolves who is asking — an API bearer token or the session
// — and puts it in the context for both faces. A session whose user was
// disabled, or that predates a password change, is destroyed here. The
// request's language follows the user's choice.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sessionless(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		var auth reqctx.Auth
		if h := r.Header.Get("Authorization"); h != "" {
			token, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				auth.TokenErr = domain.Errorf(domain.CodeUnauthorized, "token.invalid")
			} else if a, err := s.access.ActorForToken(ctx, strings.TrimSpace(token)); err == nil {
				auth = reqctx.Auth{Actor: a, Via: reqctx.ViaToken}
			} else if domain.ErrorCode(err) == domain.CodeUnauthorized {
				auth.TokenErr = err
			} else {
				s.renderError(w, r, err)
				return
			}
		} else if id := s.sessions.GetInt64(ctx, sessionUserID); id != 0 {
			a, err := s.access.Actor(ctx, id, s.sessions.GetInt64(ctx, sessionEpoch))
			switch {
			case err == nil:
				auth = reqctx.Auth{Actor: a, Via: reqctx.ViaSession}
			case domain.ErrorCode(err) == domain.CodeUnauthorized:
				if err := s.sessions.Destroy(ctx); err != nil {
					s.renderError(w, r, err)
					return
				}
			default:
				s.renderError(w, r, err)
				return
			}
		}
		ctx = reqctx.With(ctx, auth)
		if lang := auth.Actor.Language; lang != "" {
			ctx = i18n.WithLocalizer(ctx, s.catalog.Localizer(lang, r.Header.Get("Accept-Language")))
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// actor returns who is asking.
func actor(r *http.Request) domain.Actor { return reqctx.Actor(r.Context()) }

// requireUser sends anonymous visitors of a page to the sign-in form,
// remembering where they were going.
func (s *Server) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if actor(r).Anonymous() {
			target := "/login"
			if r.Method == http.MethodGet && r.URL.Path != "/" {
				target += "?next=" + urlQueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}
