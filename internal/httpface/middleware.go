package httpface

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	kgzip "github.com/klauspost/compress/gzip"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/metrics"
	"github.com/cmcoord/cmcoord/internal/reqctx"
	"github.com/cmcoord/cmcoord/internal/service"
)

// Fail writes a failure the way one face answers: the HTML error page, or
// the JSON error envelope.
type Fail func(w http.ResponseWriter, r *http.Request, err error)

// Stack is what the middleware both faces run needs. Each face builds
// its own stack from it (Middleware), with its own way to fail.
type Stack struct {
	Log      *slog.Logger
	Metrics  *metrics.Metrics
	Catalog  *i18n.Catalog
	Access   *service.Access
	Sessions *scs.SessionManager // nil: no session cookie is read
	// SecureCookies sends HSTS (cmcoord served over TLS).
	SecureCookies bool
	// TrustedProxies is how many reverse proxies append to X-Forwarded-For.
	TrustedProxies int
	// Sessionless reports paths that never touch the session store
	// (static files, probes); nil is none.
	Sessionless func(path string) bool
	// QuietRoutes are logged at debug level; SecretRoutes hold a secret in
	// their path and are logged by route pattern (a one-time link).
	QuietRoutes, SecretRoutes []string
	// Idempotency keeps the outcomes of requests made under an
	// Idempotency-Key; nil uses Access's (none without Access).
	Idempotency *service.Idempotency
	// ReplayByRedirect answers the retry of a change whose answer was lost
	// with a 303 to the page it concerned (the HTML face), rather than
	// with that resource's current representation (the API).
	ReplayByRedirect bool
	// LostAnswer, when set, names the GET route (a pattern) whose answer
	// stands for the lost answer of a change by method on route pattern
	// (patterns relative to the face), or "" to use the request changed.
	LostAnswer func(method, pattern string) string
	// RequestTimeout bounds a request from before its session loads to
	// its answer (zero: DefaultRequestTimeout), so that nothing waits as
	// long as a hung database does; a route may bound itself tighter.
	// Downloads are bounded by progress instead (ExportStall).
	RequestTimeout time.Duration
}

// DefaultRequestTimeout is Stack.RequestTimeout's default: above the
// routes' own bounds (10 s), so that theirs speak first.
const DefaultRequestTimeout = 15 * time.Second

// bound gives the request its deadline before anything reaches the
// database (the session, the token): a wall-time one, or for a download
// one that moves with its progress.
func (s Stack) bound(next http.Handler) http.Handler {
	timeout := s.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsUpload(r) {
			boundUpload(w, r, timeout, next)
			return
		}
		if IsDownload(r) {
			// The wall bound until the first byte (the session, the token,
			// the query), then progress.
			ctx, p := watchProgress(r.Context(), w, timeout, ExportStall())
			defer p.stop()
			next.ServeHTTP(w, r.WithContext(withProgress(ctx, p)))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// UploadsPath is where the HTML face serves resumable (tus) uploads.
const UploadsPath = "/uploads/"

// IsUploadChunk reports whether r carries bytes of a resumable upload (a
// tus PATCH, or a creation with its first bytes): its body is streamed
// to the store as it comes, never read ahead by the Idempotency-Key
// middleware; its Upload-Offset makes a repeat harmless (a stale one is
// refused).
func IsUploadChunk(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, UploadsPath) &&
		r.Header.Get("Content-Type") == "application/offset+octet-stream"
}

// Middleware returns the stack of a face, in order: request ID, client
// address, language, request log and metrics, security headers, panic
// recovery, cross-origin protection of state-changing requests (the
// browser's cookie session must not be ridden from another site),
// compression, the request's deadline (bound), the session,
// authentication by bearer token or session, and the Idempotency-Key of
// state-changing requests (idempotent).
// fail answers what the stack refuses.
func (s Stack) Middleware(fail Fail) []func(http.Handler) http.Handler {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.Metrics == nil {
		s.Metrics = metrics.New(nil)
	}
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Logger(r.Context()).WarnContext(r.Context(), "cross-origin request refused",
			"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		fail(w, r, domain.Errorf(domain.CodeForbidden, "error.cross_origin"))
	}))
	return []func(http.Handler) http.Handler{
		middleware.RequestID,
		s.clientIP(),
		s.localize,
		s.logRequests,
		s.securityHeaders,
		recoverer(fail),
		csrf.Handler,
		compressor(),
		s.bound,
		s.sessions(fail),
		s.authenticate(fail),
		s.idempotent(fail),
	}
}

// gzipLevel is the compression of pages and JSON: klauspost/compress's
// fastest gzip level, which compresses a request list page as well as
// a few points short of the standard library's level 5 at a fraction of
// its CPU (docs/performance.md measures both).
const gzipLevel = kgzip.BestSpeed

// compressor gzips the responses of text types chi's compressor lists,
// with klauspost/compress's gzip (pooled writers).
func compressor() func(http.Handler) http.Handler {
	c := middleware.NewCompressor(gzipLevel)
	c.SetEncoder("gzip", func(w io.Writer, level int) io.Writer {
		gw, err := kgzip.NewWriterLevel(w, level)
		if err != nil { // only for a level out of range: a constant here
			panic(err)
		}
		return gw
	})
	return c.Handler
}

// contentSecurityPolicy allows only this origin's own scripts, styles and
// images: no inline script, no style attributes, no third parties, no
// framing, forms posting only here; the offline service worker only from
// here too.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; worker-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the headers every response carries.
func (s Stack) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), payment=(), usb=(), interest-cohort=()")
		if s.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// clientIP records the client address: the one the trusted proxies
// reported in X-Forwarded-For, or else the peer's. Never chi's RealIP,
// which trusts any header. A request with no such entry, or one that is
// not an address, did not come through the proxies as configured: it is
// the peer's — never "", which would put every such request in one
// bucket of the per-address limits.
func (s Stack) clientIP() func(http.Handler) http.Handler {
	if s.TrustedProxies > 0 {
		fromXFF := middleware.ClientIPFromXFFTrustedProxies(s.TrustedProxies)
		return func(next http.Handler) http.Handler { return middleware.ClientIPFromRemoteAddr(fromXFF(next)) }
	}
	return middleware.ClientIPFromRemoteAddr
}

// LanguageCookie keeps an anonymous visitor's language choice (and a
// signed-in user's, for the sign-in page after sign-out).
const LanguageCookie = "lang"

// CookieLanguage returns the language the visitor chose with the footer's
// switcher, or "".
func CookieLanguage(r *http.Request) string {
	c, err := r.Cookie(LanguageCookie)
	if err != nil || !slices.Contains(domain.Languages, c.Value) {
		return ""
	}
	return c.Value
}

// localize puts the request's Localizer in the context: the language the
// visitor chose (a cookie), else the Accept-Language header; authenticate
// then puts a signed-in user's profile language first.
func (s Stack) localize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Catalog == nil {
			next.ServeHTTP(w, r)
			return
		}
		l := s.Catalog.Localizer(CookieLanguage(r), r.Header.Get("Accept-Language"))
		w.Header().Add("Vary", "Accept-Language, Cookie")
		next.ServeHTTP(w, r.WithContext(i18n.WithLocalizer(r.Context(), l)))
	})
}

type loggerKey struct{}

// Logger returns the request-scoped logger (with request_id), or the
// default logger outside a request.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// logRequests puts a request-scoped logger in the context, then writes
// one line per request and records its metrics, keyed by route pattern.
func (s Stack) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		log := s.Log.With("request_id", middleware.GetReqID(r.Context()))
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		who := new(int64) // authenticate fills it in: the request line names the user
		ctx := context.WithValue(context.WithValue(r.Context(), loggerKey{}, log), userKey{}, who)
		next.ServeHTTP(ww, r.WithContext(ctx))
		d := time.Since(start)
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		s.Metrics.ObserveHTTP(r.Method, route, status, d)
		level := slog.LevelInfo
		if slices.Contains(s.QuietRoutes, route) {
			level = slog.LevelDebug
		}
		path := r.URL.Path
		if slices.Contains(s.SecretRoutes, route) {
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
			slog.Int64("user_id", *who),
		)
	})
}

// userKey holds the *int64 logRequests reads after the request: the id
// of the user authenticate found, 0 for an anonymous caller.
type userKey struct{}

// ErrPanic stands for a recovered panic (already logged with its stack).
var ErrPanic = errors.New("handler panicked")

// recoverer turns a panic into a logged error with its stack and the
// face's 500 answer (when nothing was written yet). http.ErrAbortHandler
// is re-raised, as net/http expects.
func recoverer(fail Fail) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
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
				Logger(r.Context()).ErrorContext(r.Context(), "panic",
					"err", fmt.Sprint(rec), "stack", strings.TrimSpace(string(debug.Stack())))
				if ww.Status() != 0 {
					return // headers are gone; the client sees a cut response
				}
				fail(ww, r, ErrPanic)
			}()
			next.ServeHTTP(ww, r)
		})
	}
}

// Session keys.
const (
	SessionUserID = "user_id"
	SessionEpoch  = "epoch"
)

// StatusClientClosed is what the log and the metrics record for a
// request whose client went away before its answer (nginx's 499): not
// the server's failure.
const StatusClientClosed = 499

// ClientGone reports whether err comes of r's client going away (its
// context cancelled: the connection closed, or the browser moved on). It
// then logs so, without alarm, and records StatusClientClosed; the face
// answers nothing more.
func ClientGone(w http.ResponseWriter, r *http.Request, err error) bool {
	ctx := r.Context()
	if !errors.Is(ctx.Err(), context.Canceled) || TimedOut(r) || err == nil {
		return false
	}
	Logger(ctx).InfoContext(ctx, "client went away before the answer", "err", err)
	w.WriteHeader(StatusClientClosed)
	return true
}

// sessions loads and saves the session around every request but the
// sessionless ones. A session that cannot load or save is the face's
// error page (fail), with its request id: 503 with Retry-After when the
// database cannot serve.
func (s Stack) sessions(fail Fail) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return s.withSessions(fail, next)
	}
}

func (s Stack) withSessions(fail Fail, next http.Handler) http.Handler {
	if s.Sessions == nil {
		return next
	}
	// A copy (it shares the context key, so reads of the session work
	// with either) whose errors are this face's.
	m := *s.Sessions
	m.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		if ClientGone(w, r, err) {
			return
		}
		fail(w, r, service.DatabaseError(err))
	}
	withSession := m.LoadAndSave(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Sessionless != nil && s.Sessionless(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		withSession.ServeHTTP(w, r)
	})
}

// authenticate resolves who is asking — an API bearer token or the session
// — and puts it in the context (reqctx). A session whose user was
// disabled, or that predates a password change, is destroyed here. The
// request's language follows the user's choice.
func (s Stack) authenticate(fail Fail) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.Access == nil || s.Sessionless != nil && s.Sessionless(r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			ctx := r.Context()
			var auth reqctx.Auth
			if h := r.Header.Get("Authorization"); h != "" {
				token, ok := strings.CutPrefix(h, "Bearer ")
				if !ok {
					auth.TokenErr = domain.Errorf(domain.CodeUnauthorized, "token.invalid")
				} else if a, err := s.Access.ActorForToken(ctx, strings.TrimSpace(token)); err == nil {
					auth = reqctx.Auth{Actor: a, Via: reqctx.ViaToken}
				} else if domain.ErrorCode(err) == domain.CodeUnauthorized {
					auth.TokenErr = err
				} else {
					fail(w, r, err)
					return
				}
			} else if s.Sessions != nil {
				if id := s.Sessions.GetInt64(ctx, SessionUserID); id != 0 {
					// A session ended from another browser, idle too long, or
					// from before sessions were recorded is refused like a
					// stale epoch.
					a, err := s.Access.SessionActor(ctx, id, s.Sessions.GetInt64(ctx, SessionEpoch),
						s.Sessions.Token(ctx), middleware.GetClientIP(ctx))
					switch {
					case err == nil:
						auth = reqctx.Auth{Actor: a, Via: reqctx.ViaSession}
					case domain.ErrorCode(err) == domain.CodeUnauthorized:
						if err := s.Sessions.Destroy(ctx); err != nil {
							fail(w, r, err)
							return
						}
					default:
						fail(w, r, err)
						return
					}
				}
			}
			// A read-only token reads: every other method is refused here,
			// the one place, before any handler or service runs.
			if auth.Actor.ReadOnly && !domain.SafeMethod(r.Method) {
				fail(w, r, domain.Errorf(domain.CodeForbidden, "token.read_only"))
				return
			}
			auth.Actor.Address = middleware.GetClientIP(ctx)
			if who, ok := ctx.Value(userKey{}).(*int64); ok {
				*who = auth.Actor.UserID
			}
			ctx = reqctx.With(ctx, auth)
			if lang := auth.Actor.Language; lang != "" && s.Catalog != nil {
				ctx = i18n.WithLocalizer(ctx, s.Catalog.Localizer(lang, r.Header.Get("Accept-Language")))
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// Mux is cmcoord's top-level router: the JSON API at /api/v1, with its
// own middleware stack, and every other path to the HTML face.
func Mux(api, web http.Handler) http.Handler {
	r := chi.NewRouter()
	r.Mount("/api/v1", api)
	r.Mount("/", web)
	return r
}
