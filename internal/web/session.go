package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/reqctx"
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
