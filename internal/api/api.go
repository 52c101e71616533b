package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/metrics"
	"github.com/cmcoord/cmcoord/internal/reqctx"
	"github.com/cmcoord/cmcoord/internal/service"
)

// Options configures the API.
type Options struct {
	// Log receives internal errors, once each, with the request ID.
	Log       *slog.Logger
	Access    *service.Access
	Directory *service.Directory
	Requests  *service.Requests
	// Attachments are the requests' documents; nil offers none.
	Attachments *service.Attachments
	// Reviews is the HCT review and the HC's decision.
	Reviews *service.Reviews
	// Lifecycle is consent, tasking, execution, hand-over and the HRDDP.
	Lifecycle *service.Lifecycle
	// Notifications is the caller's notification preferences; nil answers
	// 404 on their route.
	Notifications *service.Notifications
	// Exports is the RFA tracker export; nil answers 404 on its routes.
	Exports *service.Exports
	// Summary is the operation summary; nil answers 404 on its route.
	Summary *service.Summary
	// Sessions is the browser's session manager (web.NewSessionManager):
	// the API accepts the session cookie as well as bearer tokens, with
	// cross-origin protection. nil accepts tokens only.
	Sessions *scs.SessionManager
	// Catalog translates messages into the caller's language.
	Catalog *i18n.Catalog
	Metrics *metrics.Metrics
	// SecureCookies sends HSTS; TrustedProxies is how many reverse
	// proxies append to X-Forwarded-For.
	SecureCookies  bool
	TrustedProxies int
	// BaseURL is the address users reach cmcoord at (-base-url), for the
	// set-password links the API hands out; never the request's Host,
	// which the caller chooses. "" (a test server) uses the request's.
	BaseURL string
	// RequestTimeout bounds a request from before its token or session
	// is read (httpface.Stack.RequestTimeout); zero is the default.
	RequestTimeout time.Duration
}

// API is the JSON face. Its zero value is not usable; call New.
type API struct {
	log       *slog.Logger
	access    *service.Access
	directory *service.Directory
	requests  *service.Requests
	attach    *service.Attachments
	reviews   *service.Reviews
	lifecycle *service.Lifecycle
	notices   *service.Notifications
	exports   *service.Exports
	summary   *service.Summary
	sessions  *scs.SessionManager // nil: tokens only
	baseURL   string
	stack     httpface.Stack
}

// New returns the API over the services in o.
func New(o Options) *API {
	a := &API{log: o.Log, access: o.Access, directory: o.Directory, requests: o.Requests, attach: o.Attachments, reviews: o.Reviews, lifecycle: o.Lifecycle, exports: o.Exports, notices: o.Notifications,
		summary: o.Summary, sessions: o.Sessions, baseURL: strings.TrimRight(o.BaseURL, "/")}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.stack = httpface.Stack{Log: a.log, Metrics: o.Metrics, Catalog: o.Catalog, Access: o.Access, Sessions: o.Sessions,
		SecureCookies: o.SecureCookies, TrustedProxies: o.TrustedProxies, LostAnswer: lostAnswerRoute, RequestTimeout: o.RequestTimeout}
	return a
}

// handlerFunc is an HTTP handler that returns its failure instead of
// writing it; handle writes the failure once, as the error envelope.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (a *API) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.WriteError(w, r, err)
		}
	}
}

// bearerChallenge is the WWW-Authenticate value of every 401 (RFC 6750).
const bearerChallenge = `Bearer realm="cmcoord"`

// rejectBadToken answers 401 when the request carried a bearer token that
// the authentication middleware refused: a client that sent credentials
// must learn they failed rather than be served as anonymous.
func (a *API) rejectBadToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := reqctx.From(r.Context()).TokenErr; err != nil {
			if domain.ErrorCode(err) != domain.CodeUnauthorized {
				err = domain.Errorf(domain.CodeUnauthorized, "token.invalid")
			}
			w.Header().Set("WWW-Authenticate", bearerChallenge+`, error="invalid_token"`)
			a.WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireUser answers 401 to anonymous callers. The services check again;
// this gate only gives every protected route the same early answer.
func (a *API) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if actor(r).Anonymous() {
			a.WriteError(w, r, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// actor returns who is asking.
func actor(r *http.Request) domain.Actor { return reqctx.Actor(r.Context()) }

// pathID reads a positive integer path parameter. Anything else is
// CodeNotFound: /users/abc names no user, exactly like /users/999999.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	return id, nil
}
