package web

import (
	"net/http"
	"strings"

	"github.com/alexedwards/scs/v2"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/reqctx"
)

// SessionCookie names the session cookie over plain HTTP (development);
// served over TLS it is SecureSessionCookie.
const (
	SessionCookie = "cmcoord_session"
	// SecureSessionCookie's __Host- prefix makes browsers accept it only
	// Secure, from an HTTPS origin, with Path=/ and no Domain: no sibling
	// or parent domain can set or shadow it (ASVS 3.4.4).
	SecureSessionCookie = "__Host-cmcoord_session"
)

// SessionCookieName is the session cookie's name when cookies are
// secure (served over TLS) or not.
func SessionCookieName(secure bool) string {
	if secure {
		return SecureSessionCookie
	}
	return SessionCookie
}

// NewSessionManager returns the server-side session manager on store (the
// PostgreSQL store in production and tests). A session ends
// domain.DefaultSessionLifetime after sign-in (the caller may set
// Lifetime from its configuration). The idle timeout is not scs's
// IdleTimeout, which rewrites the session row on every request: the
// session's last sighting, written at most once a minute, measures it
// (service.Access.SessionActor). The cookie is HttpOnly, SameSite=Lax,
// host-only with Path=/ and, when secure, Secure under the __Host- prefix.
// Sessions are encoded with gob, decoded through memoCodec.
func NewSessionManager(store scs.Store, secure bool) *scs.SessionManager {
	m := scs.New()
	m.Store = store
	m.Codec = &memoCodec{}
	m.Lifetime = domain.DefaultSessionLifetime
	m.Cookie.Name = SessionCookieName(secure)
	m.Cookie.Domain = "" // host-only: never shared with other subdomains
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
