package web

import (
	"context"
	"net/http"
	"time"

	"github.com/cmcoord/cmcoord/web"
)

// handleHealthz answers 200 while the process is up. It touches nothing
// else, so a slow database never makes an orchestrator kill the process.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// handleReadyz answers 200 when the database is reachable and its schema
// is current, 503 with the reason otherwise, so a load balancer sends no
// traffic to an instance that cannot serve it.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.system.Ready(ctx); err != nil {
		// Why goes to the log, never to the caller: the probe is
		// anonymous, and the reason names the database and the schema.
		logger(r.Context()).WarnContext(r.Context(), "not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// handleFavicon sends browsers that ask for /favicon.ico to the icon.
func (s *Server) handleFavicon(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, web.Asset("icon.svg"), http.StatusMovedPermanently)
}

// handleRobots keeps crawlers out: cmcoord is a working tool, not a site.
func (s *Server) handleRobots(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("User-agent: *\nDisallow: /\n"))
}
