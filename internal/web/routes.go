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

// Routes returns the HTTP handler with every route of cmcoord listed here.
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
	)
	r.NotFound(s.handle(s.handleNotFound))
	r.MethodNotAllowed(s.handle(s.handleMethodNotAllowed))

	// Operations: no page shell, no timeout beyond the server's.
	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	r.Method(http.MethodGet, "/metrics", s.metrics.Handler())

	// Static files, content-hashed and cached for a year.
	r.Method(http.MethodGet, "/static/*", web.StaticHandler())
	r.Method(http.MethodHead, "/static/*", web.StaticHandler())
	r.Get("/favicon.ico", s.handleFavicon)
	r.Get("/robots.txt", s.handleRobots)

	// Pages.
	r.Group(func(r chi.Router) {
		r.Use(middleware.Timeout(pageTimeout))
		r.Get("/", s.handle(s.handleHome))
	})
	return r
}
