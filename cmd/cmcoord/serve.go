package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cmcoord/cmcoord/internal/api"
	"github.com/cmcoord/cmcoord/internal/config"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/mailin"
	"github.com/cmcoord/cmcoord/internal/metrics"
	"github.com/cmcoord/cmcoord/internal/notify"
	"github.com/cmcoord/cmcoord/internal/scan"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/web"
	"github.com/cmcoord/cmcoord/migrations"
)

// app is one wired cmcoord: pool, store, services and the HTTP faces.
type app struct {
	log       *slog.Logger
	pool      *pgxpool.Pool
	system    *service.System
	access    *service.Access
	directory *service.Directory
	requests  *service.Requests
	reviews   *service.Reviews
	lifecycle *service.Lifecycle
	// recordKeys sign decision records; serve makes the first on start.
	recordKeys *service.RecordKeys
	attach     *service.Attachments
	store      *store.Store
	mailer     *notify.Mailer // nil: e-mail disabled
	inbound    *mailin.Server // nil: replies by e-mail not taken here
	metrics    *metrics.Metrics
	clock      *store.DBClock // nil when a test moves the clock
	stopCache  context.CancelFunc
	web        *web.Server
	api        *api.API
}

// newApp connects to cfg.DatabaseURL, migrates it unless cfg.NoMigrate,
// and wires the services and faces. The caller closes the app.
func newApp(ctx context.Context, cfg config.Config, log *slog.Logger) (*app, error) {
	return newAppAt(ctx, cfg, log, nil)
}

// newAppAt is newApp with the clock of the request workflow (requests,
// reviews and their deadlines, lifecycle, reports, notifications): tests
// move it on to reach deadlines. nil (newApp) is the database's clock
// (store.DBClock), for every time rule.
func newAppAt(ctx context.Context, cfg config.Config, log *slog.Logger, now func() time.Time) (*app, error) {
	if cfg.DatabaseURL == "" {
		return nil, errNoDatabase
	}
	var cache *store.Cache
	if !cfg.NoCache {
		cache = store.NewCache(log)
		log.Info("in-process cache on", "max_stale", store.MaxStale.String())
	} else {
		log.Info("in-process cache off (-no-cache): users, sessions, tokens, operations and unread counts are read from the database on every request")
	}
	pool, err := openDatabase(ctx, cfg, log, cache)
	if err != nil {
		return nil, err
	}
	if !cfg.NoMigrate {
		start := time.Now()
		if err := store.Migrate(ctx, cfg.DatabaseURL); err != nil {
			pool.Close()
			return nil, err
		}
		log.Info("schema migrated", "version", migrations.Latest(), "duration_ms", time.Since(start).Milliseconds())
	}
	catalog, err := i18n.Load()
	if err != nil {
		pool.Close()
		return nil, err
	}
	catalog.OnMissing(func(lang, id string) {
		log.Warn("missing translation", "lang", lang, "id", id)
	})
	st := store.New(pool)
	stopCache := func() {}
	if cache != nil {
		// Its listener outlives the start-up's context: the app's close ends it.
		var cacheCtx context.Context
		cacheCtx, stopCache = context.WithCancel(context.WithoutCancel(ctx))
		cache.Start(cacheCtx, pool)
		st = st.WithCache(cache)
	}
	// One clock for all instances: the database's. Tests that move the
	// workflow's clock keep the accounts on the real one.
	var clock *store.DBClock
	accountNow := time.Now
	if now == nil {
		if clock, err = store.NewDBClock(ctx, pool, log); err != nil {
			stopCache()
			pool.Close()
			return nil, err
		}
		now, accountNow = clock.Now, clock.Now
	}
	// Expired sessions are pruned by System.RunHousekeeping, not by the
	// store's own goroutine, so that closing an app never races it.
	sessionStore := store.NewSessionStore(pool).WithCache(cache)
	system := service.NewSystem(st, migrations.Latest(), accountNow, log)
	access := service.NewAccess(st, accountNow, log)
	directory := service.NewDirectory(st, access, accountNow, log)
	sso := service.NewSSO(st, directory, accountNow, log)
	// Notices go in-app always and by e-mail when SMTP_URL is set; they are
	// written in the transaction of their change, and the e-mail outbox is
	// drained by a background worker (serve).
	var mailer *notify.Mailer
	if cfg.SMTPURL != "" {
		if mailer, err = notify.NewMailer(cfg.SMTPURL); err != nil {
			stopCache()
			pool.Close()
			return nil, err
		}
		mailer.BaseURL = cfg.BaseURL // only links to this instance are clickable in the HTML part
		log.Info("e-mail enabled", "smtp", mailer.String())
	} else {
		log.Info("e-mail disabled: set SMTP_URL to send notifications by e-mail")
	}
	notifier := notify.New(catalog, mailer != nil, cfg.BaseURL, log).WithClock(now).WithReplyDomain(cfg.ReplyDomain)
	access.WithNotifier(notifier) // a new password or token is told to its user
	notifications := service.NewNotifications(st, now, log)
	requests := service.NewRequests(st, now, log).WithNotifier(notifier)
	reviews := service.NewReviews(st, now, log, notifier)
	reviews.ReminderBefore = cfg.ReviewReminder
	actionLinks := service.NewActionLinks(reviews, access)
	lifecycle := service.NewLifecycle(st, now, log).WithNotifier(notifier)
	summary := service.NewSummary(st, now, log)
	attachments := service.NewAttachments(st, now, log).WithMaxSize(int64(cfg.MaxAttachmentMB) << 20)
	if cfg.ClamdAddr != "" {
		c, err := scan.New(cfg.ClamdAddr, config.ClamdTimeout)
		if err != nil {
			stopCache()
			pool.Close()
			return nil, err
		}
		attachments.WithScanner(service.ClamdScanner(c))
		log.Info("documents are scanned by clamd", "clamd", c.String())
	} else {
		log.Info("documents are not scanned: set CLAMD_ADDR to scan them with clamd")
	}
	requests.WithAttachments(attachments)
	exports := service.NewExports(st, now, log).WithCatalog(catalog)
	recordKeys := service.NewRecordKeys(st, cfg.RecordKeyFile, cfg.BaseURL, accountNow, log)
	sessions := web.NewSessionManager(sessionStore, cfg.SecureCookies)
	sessions.Lifetime = cfg.SessionLifetime
	access.SessionIdle, system.SessionIdle = cfg.SessionIdle, cfg.SessionIdle
	collectors := []prometheus.Collector{metrics.TxRetriesCollector(store.TxRetries)}
	// Replies to notification e-mails become comments (issue 19): the
	// listener, when configured, runs with serve.
	var inbound *mailin.Server
	if cfg.InboundSMTPAddr != "" {
		inbound = mailin.New(mailin.Options{Addr: cfg.InboundSMTPAddr, Domain: cfg.ReplyDomain, MaxMessageBytes: cfg.InboundMaxBytes,
			Replies: service.NewReplies(st, requests, now, log), Catalog: catalog, Log: log.With("listener", "inbound-smtp")})
		collectors = append(collectors, inbound.Collector())
	}
	if cfg.ReplyDomain != "" {
		log.Info("reply addresses on e-mails about a request", "reply_domain", cfg.ReplyDomain, "inbound_smtp", cfg.InboundSMTPAddr)
	}
	if cache != nil {
		collectors = append(collectors, cache.Collectors()...)
	}
	if clock != nil {
		collectors = append(collectors, metrics.ClockOffsetCollector(clock.Offset))
	}
	m := metrics.New(pool, collectors...)
	// /metrics on the main listener only behind its token, and never when
	// it has a listener of its own (serve).
	mainMetricsToken := cfg.MetricsToken
	if cfg.MetricsAddr != "" {
		mainMetricsToken = ""
	}
	jsonAPI := api.New(api.Options{Log: log, Access: access, Directory: directory, Requests: requests, Attachments: attachments, Reviews: reviews, Lifecycle: lifecycle, Notifications: notifications,
		Summary: summary, Exports: exports, Sessions: sessions, Catalog: catalog, Metrics: m,
		SecureCookies: cfg.SecureCookies, TrustedProxies: cfg.TrustedProxies, BaseURL: cfg.BaseURL})
	return &app{
		log:        log,
		pool:       pool,
		clock:      clock,
		stopCache:  stopCache,
		system:     system,
		access:     access,
		directory:  directory,
		requests:   requests,
		reviews:    reviews,
		lifecycle:  lifecycle,
		recordKeys: recordKeys,
		attach:     attachments,
		store:      st,
		mailer:     mailer,
		inbound:    inbound,
		metrics:    m,
		api:        jsonAPI,
		web: web.New(web.Options{
			Log:            log,
			System:         system,
			Access:         access,
			Directory:      directory,
			SSO:            sso,
			BaseURL:        cfg.BaseURL,
			Requests:       requests,
			Reviews:        reviews,
			ActionLinks:    actionLinks,
			Lifecycle:      lifecycle,
			Attachments:    attachments,
			Summary:        summary,
			Exports:        exports,
			RecordKeys:     recordKeys,
			Notifications:  notifications,
			Sessions:       sessions,
			Catalog:        catalog,
			Metrics:        m,
			MetricsToken:   mainMetricsToken,
			Version:        version(),
			SecureCookies:  cfg.SecureCookies,
			TrustedProxies: cfg.TrustedProxies,
		}),
	}, nil
}

// handler is cmcoord's whole HTTP face: the JSON API at /api/v1 with its
// own middleware stack, the HTML pages everywhere else.
func (a *app) handler() http.Handler {
	return httpface.Mux(a.api.Routes(), a.web.Routes())
}

func (a *app) close() {
	a.stopCache()
	a.pool.Close()
}

// ClockSyncInterval is how often each instance measures the database's
// clock (store.DBClock).
const ClockSyncInterval = 30 * time.Second

// runServe runs the web server until ctx is cancelled (SIGINT, SIGTERM).
func runServe(ctx context.Context, e env, cfg config.Config, _ []string) error {
	log := newLogger(cfg, e.stderr)
	slog.SetDefault(log)
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return stoppedWhileStarting(ctx, err, log)
	}
	defer hardStopAfter(ctx, cfg.ShutdownTimeout+time.Second, log, e.exit)()
	defer a.close()
	return a.serve(ctx, e, cfg, nil)
}

// The garbage collector's settings for a server, unless the environment
// sets its own (GOGC, GOMEMLIMIT; the Go runtime reads them itself): a
// page allocates what it renders and drops it at once, so collecting at
// twice the live heap instead of once halves the collector's share of
// the CPU (docs/performance.md) for a heap that stays small — and a soft
// limit keeps the process well under issue 17's 150 MiB whatever
// happens.
const (
	serverGCPercent   = 200
	serverMemoryLimit = 120 << 20
)

// tuneGC applies the server's garbage collector settings where the
// environment has none.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serverMemoryLimit)
	}
}

// serve listens on cfg.Addr, announces the URL (and calls banner, when
// set, with it), and serves until ctx is done; then it stops accepting,
// lets in-flight requests finish within cfg.ShutdownTimeout and returns.
func (a *app) serve(ctx context.Context, e env, cfg config.Config, banner func(baseURL string)) error {
	// The key that signs decision records: made on first start.
	k, err := a.recordKeys.Ensure(ctx)
	if err != nil {
		return err
	}
	a.log.Info("decision records signed", "key", k.Fingerprint, "published_at", service.RecordKeysPath)
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           a.handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second, // streamed exports extend their own deadline
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Addr) // fails now, clearly, if the port is taken
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	baseURL := "http://" + ln.Addr().String()
	a.log.Info("listening", "url", baseURL, "version", version())
	// The metrics' own listener, when configured, is opened now too, so a
	// taken port fails the start rather than later.
	var metricsSrv *http.Server
	var metricsLn net.Listener
	metricsWhere := "off (set -metrics-addr or -metrics-token to scrape them)"
	switch {
	case cfg.MetricsAddr != "":
		if metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listen on %s (-metrics-addr): %w", cfg.MetricsAddr, err)
		}
		metricsSrv = &http.Server{
			Handler:           a.metrics.Mux(cfg.MetricsToken, cfg.Profiling),
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    16 << 10,
			ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		}
		metricsWhere = "http://" + metricsLn.Addr().String() + metrics.Path
		if cfg.Profiling {
			metricsWhere += ", profiler at /debug/pprof/"
		}
		if cfg.MetricsToken != "" {
			metricsWhere += " (with the bearer token of -metrics-token)"
		}
	case cfg.MetricsToken != "":
		metricsWhere = baseURL + metrics.Path + " (with the bearer token of -metrics-token)"
	}
	a.log.Info("metrics", "at", metricsWhere)
	if a.inbound != nil {
		if err := a.inbound.Listen(); err != nil { // a taken port fails the start too
			ln.Close()
			if metricsLn != nil {
				metricsLn.Close()
			}
			return err
		}
	}
	if host, _, _ := net.SplitHostPort(cfg.Addr); !cfg.SecureCookies && !isLoopback(host) {
		a.log.Warn("listening beyond this machine without -secure-cookies: serve cmcoord behind TLS and set CMCOORD_SECURE_COOKIES=true")
	}
	if banner != nil {
		banner(baseURL)
	} else {
		fmt.Fprintf(e.stdout, "cmcoord is serving at %s (Ctrl-C to stop)\n", baseURL)
	}
	fmt.Fprintf(e.stdout, "  Metrics: %s\n", metricsWhere)
	if e.ready != nil {
		e.ready(baseURL)
	}
	housekeeping := make(chan struct{})
	hctx, stopHousekeeping := context.WithCancel(ctx)
	go func() {
		defer close(housekeeping)
		a.system.RunHousekeeping(hctx, service.HousekeepingInterval)
	}()
	defer func() { stopHousekeeping(); <-housekeeping }()
	if a.clock != nil {
		clockDone := make(chan struct{})
		go func() {
			defer close(clockDone)
			a.clock.Run(hctx, ClockSyncInterval)
		}()
		defer func() { stopHousekeeping(); <-clockDone }()
	}
	// Reviews past their deadline close, reminders go out and requests
	// expire, from every instance at once safely (SKIP LOCKED).
	reviewJob := make(chan struct{})
	go func() {
		defer close(reviewJob)
		a.reviews.Run(hctx, cfg.ReviewJobInterval)
	}()
	defer func() { stopHousekeeping(); <-reviewJob }()
	if a.mailer != nil {
		mailDone := make(chan struct{})
		go func() {
			defer close(mailDone)
			notify.NewWorker(a.store, a.mailer, a.log).Run(hctx)
		}()
		defer func() { stopHousekeeping(); <-mailDone }()
	}
	if a.inbound != nil {
		// It stops with the server: no new conversations once ctx is done,
		// those in progress get the shutdown timeout.
		inboundDone := make(chan struct{})
		go func() {
			defer close(inboundDone)
			if err := a.inbound.Serve(hctx, cfg.ShutdownTimeout); err != nil {
				a.log.Error("inbound SMTP listener failed", "err", err)
			}
		}()
		defer func() { stopHousekeeping(); <-inboundDone }()
	}
	if metricsSrv == nil {
		return serveUntilDone(ctx, srv, ln, cfg.ShutdownTimeout, a.log)
	}
	// Two listeners: both drain on shutdown, and if either fails the
	// other stops too.
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	metricsDone := make(chan error, 1)
	go func() {
		err := serveUntilDone(sctx, metricsSrv, metricsLn, cfg.ShutdownTimeout, a.log.With("listener", "metrics"))
		stop()
		metricsDone <- err
	}()
	err = serveUntilDone(sctx, srv, ln, cfg.ShutdownTimeout, a.log)
	stop()
	if merr := <-metricsDone; merr != nil {
		err = errors.Join(err, fmt.Errorf("metrics listener: %w", merr))
	}
	return err
}

// stoppedWhileStarting is err, the failure of a start, unless the signal
// to stop came meanwhile (ctx done: e.g. SIGTERM while waiting for the
// database): then the start was abandoned as asked, and that is no error.
func stoppedWhileStarting(ctx context.Context, err error, log *slog.Logger) error {
	if ctx.Err() == nil {
		return err
	}
	log.Info("stopped before serving, as asked", "while", err.Error())
	return nil
}

// errNotDrained is serve's answer when requests were still in flight at
// the end of -shutdown-timeout and were cut: the exit status is 1, not 0.
var errNotDrained = errors.New("stopped with requests still in flight after -shutdown-timeout (their connections were closed)")

// hardStopAfter arms the hard stop of a serving process: once ctx is done
// (the signal to stop), the process must have finished within grace, or
// it is ended there with exit status 1, whatever still runs. Call the
// returned function when everything has stopped.
func hardStopAfter(ctx context.Context, grace time.Duration, log *slog.Logger, exit func(int)) (stopped func()) {
	if exit == nil {
		exit = os.Exit
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			log.Error("hard stop: still running after -shutdown-timeout and a second", "grace_s", grace.Seconds())
			exit(1)
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }
}

// serveUntilDone serves srv on ln until ctx is done, then shuts down
// gracefully: no new connections, in-flight requests finish (up to
// timeout), idle connections close.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, timeout time.Duration, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout_s", timeout.Seconds())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); errors.Is(err, context.DeadlineExceeded) {
		// Requests still in flight after the timeout: cut them (their
		// contexts end, their transactions roll back) and stop now.
		log.Warn("shutdown timeout passed with requests in flight: closing their connections", "timeout_s", timeout.Seconds())
		_ = srv.Close()
		return errNotDrained
	} else if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// isLoopback reports whether host only reaches this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redactURL hides the password in a database URL for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable database url)"
	}
	return u.Redacted()
}

// openDatabase opens the bounded pool (config.DBSettings) and waits for
// the database to answer: one that is down, starting or failing over is
// tried again with backoff (0.5 s doubling to 10 s) for up to -db-wait,
// each wait logged, so instances started with their database come up
// rather than exit. A URL that cannot be used fails at once.
func openDatabase(ctx context.Context, cfg config.Config, log *slog.Logger, cache *store.Cache) (*pgxpool.Pool, error) {
	deadline := time.Now().Add(cfg.DB.Wait)
	wait := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		pool, err := store.OpenPool(ctx, cfg.DatabaseURL, store.PoolOptions{MaxConns: cfg.DB.MaxConns,
			ConnectTimeout: cfg.DB.ConnectTimeout, StatementTimeout: cfg.DB.StatementTimeout, LockTimeout: cfg.DB.LockTimeout,
			Cache: cache})
		if err != nil {
			return nil, fmt.Errorf("database: %w", err)
		}
		pingCtx, cancel := context.WithTimeout(ctx, cfg.DB.ConnectTimeout+time.Second)
		err = pool.Ping(pingCtx)
		cancel()
		if err == nil {
			return pool, nil
		}
		pool.Close()
		retriable := store.Unavailable(err) || (ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded))
		if !retriable || ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return nil, fmt.Errorf("database %s: %w", redactURL(cfg.DatabaseURL), err)
		}
		log.Warn("database not answering; trying again", "attempt", attempt, "retry_in", wait.String(), "err", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		wait = min(2*wait, 10*time.Second)
	}
}
