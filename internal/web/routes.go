package web

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/cmcoord/cmcoord/web"
)

// pageTimeout bounds an HTML page; exports get their own, longer limit.
const pageTimeout = 10 * time.Second

// Routes returns the HTTP handler with every route of cmcoord listed here
// (the JSON API's own routes are listed in internal/api/routes.go and
// mounted at /api/v1).
func (s *Server) Routes() http.Handler {
	r := chi.NewRouter()
	r.Use(
		middleware.RequestID,
		s.clientIP(),
		s.localize,
		s.logRequests,
		s.securityHeaders,
		s.recoverer,
		s.csrf.Handler, // refuses cross-origin state-changing requests (403)
		middleware.Compress(5),
		s.sessionsMiddleware,
		s.authenticate,
	)
	r.NotFound(s.handle(s.handleNotFound))
	r.MethodNotAllowed(s.handle(s.handleMethodNotAllowed))

	// Operations: no page shell, no session.
	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	r.Method(http.MethodGet, "/metrics", s.metrics.Handler())

	// Static files, content-hashed and cached for a year.
	r.Method(http.MethodGet, "/static/*", web.StaticHandler())
	r.Method(http.MethodHead, "/static/*", web.StaticHandler())
	r.Get("/favicon.ico", s.handleFavicon)
	r.Get("/robots.txt", s.handleRobots)

	if s.api != nil {
		r.Mount("/api/v1", s.api)
	}

	// Pages anyone may open.
	r.Group(func(r chi.Router) {
		r.Use(middleware.Timeout(pageTimeout))
		r.Get("/", s.handle(s.handleHome))
		r.Get("/login", s.handle(s.handleLoginShow))
		r.Post("/login", s.handle(s.handleLogin))
		s.publicAccountRoutes(r)
	})

	// Pages for signed-in users; each handler's service call decides, with
	// domain.Can, what this user may see and do.
	r.Group(func(r chi.Router) {
		r.Use(s.requireUser, middleware.Timeout(pageTimeout))
		r.Post("/logout", s.handle(s.handleLogout))
		r.Get("/operations/{code}", s.handle(s.handleOperationShow))
		s.accountRoutes(r)
		s.adminRoutes(r)
	})
	return r
}
