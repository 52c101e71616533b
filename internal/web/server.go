package web

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/metrics"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/components"
)

// Options configures a Server.
type Options struct {
	Log       *slog.Logger
	System    *service.System
	Access    *service.Access
	Directory *service.Directory
	// SSO is single sign-on with organisations' identity providers; nil
	// offers none.
	SSO *service.SSO
	// BaseURL is the address users reach cmcoord at (-base-url): the
	// identity providers' redirect URL starts with it.
	BaseURL  string
	Requests *service.Requests
	Reviews  *service.Reviews
	// ActionLinks opens and uses the links in e-mails (/act/{token});
	// nil is the one over Reviews and Access.
	ActionLinks *service.ActionLinks
	Lifecycle   *service.Lifecycle
	// Attachments are the requests' documents; nil offers none.
	Attachments *service.Attachments
	// Summary is the operation summary; nil answers its page with 404.
	Summary *service.Summary
	// Exports is the RFA tracker download; nil answers 404 on its routes.
	Exports *service.Exports
	// RecordKeys sign the decision records (the signed bundle) and
	// publish their public halves; nil serves neither.
	RecordKeys *service.RecordKeys
	// Sessions is the server-side session manager (NewSessionManager).
	Sessions *scs.SessionManager
	// Notifications is the user's own in-app notifications; nil shows no
	// count in the header.
	Notifications *service.Notifications
	Catalog       *i18n.Catalog
	Metrics       *metrics.Metrics
	// MetricsToken, when set, serves /metrics here to callers that send
	// it as a bearer token (401 to anyone else); empty, /metrics is not
	// served here (404): nothing diagnostic for anonymous callers.
	MetricsToken string
	// Version is the build version shown in the footer.
	Version string
	// SecureCookies marks cookies Secure and sends HSTS; set it when
	// cmcoord is served over TLS.
	SecureCookies bool
	// TrustedProxies is how many reverse proxies append to X-Forwarded-For.
	TrustedProxies int
	// Now is the clock (the services' clock, so pages and rules agree);
	// nil is time.Now.
	Now func() time.Time
	// RequestTimeout bounds a request from before its session loads
	// (httpface.Stack.RequestTimeout); zero is the default.
	RequestTimeout time.Duration
}

// Server is the HTML face. Its zero value is not usable; call New.
type Server struct {
	log            *slog.Logger
	system         *service.System
	access         *service.Access
	directory      *service.Directory
	sso            *service.SSO
	baseURL        string
	requests       *service.Requests
	notifications  *service.Notifications
	reviews        *service.Reviews
	actionLinks    *service.ActionLinks
	lifecycle      *service.Lifecycle
	attachments    *service.Attachments
	exports        *service.Exports
	summary        *service.Summary
	recordKeys     *service.RecordKeys
	sessions       *scs.SessionManager
	catalog        *i18n.Catalog
	languages      []components.Language // the footer's switcher, without Current
	metrics        *metrics.Metrics
	metricsToken   string
	version        string
	secureCookies  bool
	trustedProxies int
	stack          httpface.Stack
	now            func() time.Time
}

// New returns a Server. Missing message IDs are logged once per request
// path as warnings: they mean a catalogue gap that a test should catch.
func New(o Options) *Server {
	if o.ActionLinks == nil && o.Reviews != nil {
		o.ActionLinks = service.NewActionLinks(o.Reviews, o.Access)
	}
	s := &Server{
		log:            o.Log,
		system:         o.System,
		access:         o.Access,
		directory:      o.Directory,
		sso:            o.SSO,
		baseURL:        strings.TrimRight(o.BaseURL, "/"),
		requests:       o.Requests,
		notifications:  o.Notifications,
		reviews:        o.Reviews,
		actionLinks:    o.ActionLinks,
		lifecycle:      o.Lifecycle,
		attachments:    o.Attachments,
		exports:        o.Exports,
		summary:        o.Summary,
		recordKeys:     o.RecordKeys,
		sessions:       o.Sessions,
		catalog:        o.Catalog,
		metrics:        o.Metrics,
		metricsToken:   o.MetricsToken,
		version:        o.Version,
		secureCookies:  o.SecureCookies,
		trustedProxies: o.TrustedProxies,
		now:            o.Now,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = metrics.New(nil)
	}
	if s.catalog != nil {
		s.languages = s.autonyms()
	}
	if s.access != nil {
		// The local-drafts secret is read (or made) once per process: here,
		// not on the first signed-in page. A failure is retried on that page.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := s.access.LocalDraftKey(ctx, 0); err != nil {
			s.log.Warn("local drafts secret not read at start", "err", err)
		}
		cancel()
	}
	s.stack = httpface.Stack{Log: s.log, Metrics: s.metrics, Catalog: s.catalog, Access: s.access, Sessions: s.sessions,
		SecureCookies: s.secureCookies, TrustedProxies: s.trustedProxies, Sessionless: sessionless,
		QuietRoutes: quietRoutes, SecretRoutes: secretRoutes, ReplayByRedirect: true, RequestTimeout: o.RequestTimeout}
	return s
}
