package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/cmcoord/cmcoord/internal/i18n"
)

// contentSecurityPolicy allows only this origin's own scripts, styles and
// images: no inline script, no style attributes, no third parties, no
// framing, forms posting only here.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), payment=(), usb=(), interest-cohort=()")
		if s.secureCookies {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// clientIP records the client address: the peer's, or the one the
// trusted proxies reported in X-Forwarded-For. Never chi's RealIP, which
// trusts any header.
func (s *Server) clientIP() func(http.Handler) http.Handler {
	if s.trustedProxies > 0 {
		return middleware.ClientIPFromXFFTrustedProxies(s.trustedProxies)
	}
	return middleware.ClientIPFromRemoteAddr
}

// localize puts the request's Localizer in the context: the language the
// visitor chose with the footer's switcher (a cookie), else the
// Accept-Language header; the session middleware then puts a signed-in
// user's profile language first.
func (s *Server) localize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := s.catalog.Localizer(cookieLanguage(r), r.Header.Get("Accept-Language"))
		w.Header().Add("Vary", "Accept-Language, Cookie")
		next.ServeHTTP(w, r.WithContext(i18n.WithLocalizer(r.Context(), l)))
	})
}

type loggerKey struct{}

// logger returns the request-scoped logger (with request_id), or the
// default logger outside a request.
func logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// quietRoutes are probed constantly by orchestrators and scrapers; their
// request lines are logged at debug level only.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// secretRoutes are routes whose path holds a secret (a one-time link):
// their requests are logged with the route pattern instead of the path.
var secretRoutes = map[string]bool{"/set-password/{secret}": true}

// logRequests puts a request-scoped logger in the context, then writes
// one line per request and records its metrics, keyed by route pattern.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		log := s.log.With("request_id", middleware.GetReqID(r.Context()))
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r.WithContext(context.WithValue(r.Context(), loggerKey{}, log)))
		d := time.Since(start)
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		s.metrics.ObserveHTTP(r.Method, route, status, d)
		level := slog.LevelInfo
		if quietRoutes[route] {
			level = slog.LevelDebug
		}
		path := r.URL.Path
		if secretRoutes[route] {
			path = route // the path itself is a credential
		}
		log.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.String("path", path),
			slog.Int("status_code", status),
			slog.Int("bytes", ww.BytesWritten()),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000),
			slog.String("client_ip", middleware.GetClientIP(r.Context())),
		)
	})
}

// errPanic stands for a recovered panic (already logged with its stack).
var errPanic = errors.New("handler panicked")

// recoverer turns a panic into a logged error with its stack and the
// friendly 500 page (when nothing was written yet). http.ErrAbortHandler
// is re-raised, as net/http expects.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			logger(r.Context()).ErrorContext(r.Context(), "panic",
				"err", fmt.Sprint(rec), "stack", strings.TrimSpace(string(debug.Stack())))
			if ww.Status() != 0 {
				return // headers are gone; the client sees a cut response
			}
			if s.isAPI(r) {
				s.apiErrors(ww, r, errPanic)
				return
			}
			s.renderErrorPage(ww, r, http.StatusInternalServerError, nil)
		}()
		next.ServeHTTP(ww, r)
	})
}
