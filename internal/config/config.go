// Package config parses cmcoord's configuration once, in cmd, from flags
// with environment-variable fallbacks. Nothing below cmd reads the
// environment; the parsed Config is passed down.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/scan"
)

// Config is every setting of one cmcoord process. Each field names its
// flag, environment variable and default.
type Config struct {
	// Addr is where the server listens: -addr, CMCOORD_ADDR, "127.0.0.1:8080".
	Addr string
	// DatabaseURL is the PostgreSQL URL: -database-url, DATABASE_URL, "".
	// `cmcoord serve` requires it; `cmcoord dev` finds or starts a server
	// when it is empty.
	DatabaseURL string
	// LogLevel is the minimum level logged: -log-level, CMCOORD_LOG_LEVEL, "info".
	LogLevel slog.Level
	// LogFormat is "auto" (text on a terminal, JSON otherwise), "text" or
	// "json": -log-format, CMCOORD_LOG_FORMAT, "auto".
	LogFormat string
	// NoMigrate skips migrating on start: -no-migrate, CMCOORD_NO_MIGRATE, false.
	NoMigrate bool
	// NoCache turns off the in-process cache of users, sessions, tokens,
	// operations and unread counts (store.Cache): every request reads
	// them from the database. -no-cache, CMCOORD_NO_CACHE, false.
	NoCache bool
	// TrustedProxies is how many reverse proxies in front of cmcoord append
	// to X-Forwarded-For; 0 uses the peer address: -trusted-proxies,
	// CMCOORD_TRUSTED_PROXIES, 0.
	TrustedProxies int
	// SecureCookies forces the Secure flag on cookies (set it behind a TLS
	// proxy): -secure-cookies, CMCOORD_SECURE_COOKIES, false.
	SecureCookies bool
	// DataDir holds the private PostgreSQL cluster `cmcoord dev` starts when
	// no server answers: -data-dir, CMCOORD_DATA_DIR, ".data".
	DataDir string
	// KeepDB leaves a cluster started by `cmcoord dev` running on exit:
	// -keep-db, CMCOORD_KEEP_DB, false.
	KeepDB bool
	// ShutdownTimeout bounds the drain of in-flight requests on SIGINT or
	// SIGTERM: -shutdown-timeout, CMCOORD_SHUTDOWN_TIMEOUT, 20s.
	ShutdownTimeout time.Duration
	// DB holds the database connections' bounds and the start-up wait.
	DB DBSettings
	// SMTPURL is where e-mail notifications are sent, such as
	// smtp://user:pass@host:587?from=cmcoord@example.org (STARTTLS when
	// offered) or smtps://… (TLS from the start); empty disables e-mail:
	// -smtp-url, SMTP_URL, "".
	SMTPURL string
	// InboundSMTPAddr, when set, is where the inbound SMTP listener takes
	// replies to notification e-mails and turns them into comments
	// (internal/mailin); it needs ReplyDomain: -inbound-smtp-addr,
	// INBOUND_SMTP_ADDR, "" (off).
	InboundSMTPAddr string
	// ReplyDomain, when set, gives every e-mail about a request a reply
	// address reply+<token>@ReplyDomain, which the domain's MX (or a
	// forwarding rule) must deliver to an instance's InboundSMTPAddr:
	// -reply-domain, REPLY_DOMAIN, "" (no reply addresses).
	ReplyDomain string
	// InboundMaxBytes is the largest reply the listener accepts, in
	// bytes: -inbound-smtp-max-bytes, INBOUND_SMTP_MAX_BYTES, 1048576.
	InboundMaxBytes int64
	// MaxAttachmentMB is the largest document a request takes, in MiB:
	// -max-attachment-mb, MAX_ATTACHMENT_MB, 20.
	MaxAttachmentMB int
	// ReviewReminder is how long before a review's deadline organisations
	// that have not voted are reminded.
	ReviewReminder time.Duration
	// ReviewJobInterval is how often each instance runs the job that
	// closes reviews past their deadline, sends reminders and expires
	// requests: -review-job-interval, CMCOORD_REVIEW_JOB_INTERVAL, 1m.
	ReviewJobInterval time.Duration
	// BaseURL is the address users reach cmcoord at, for links in e-mail:
	// -base-url, BASE_URL, "http://127.0.0.1:8080".
	BaseURL string
	// RecordKeyFile, when set, holds the private key that signs decision
	// records (generated there, mode 0600, on first start); empty keeps
	// it in the database: -record-key-file, RECORD_KEY_FILE, "".
	RecordKeyFile string
	// SessionIdle ends a browser session after this long without a
	// request: -session-idle, CMCOORD_SESSION_IDLE, 2h.
	SessionIdle time.Duration
	// SessionLifetime ends a browser session this long after sign-in,
	// however busy: -session-lifetime, CMCOORD_SESSION_LIFETIME, 12h.
	SessionLifetime time.Duration
	// MetricsAddr, when set, is the only listen address serving /metrics
	// (its own server; the main one answers 404 there): -metrics-addr,
	// CMCOORD_METRICS_ADDR, "".
	MetricsAddr string
	// MetricsToken, when set, is required as "Authorization: Bearer
	// <token>" wherever /metrics is served, and puts /metrics on the main
	// listener when MetricsAddr is empty. With neither, no listener serves
	// /metrics: -metrics-token, CMCOORD_METRICS_TOKEN, "".
	MetricsToken string
	// ClamdAddr, when set, is the ClamAV daemon that scans every uploaded
	// file over its INSTREAM protocol: "unix:/run/clamav/clamd.ctl",
	// "tcp:host:port" or "host:port" (internal/scan); empty scans nothing
	// and pages mark files "not scanned": -clamd-addr, CLAMD_ADDR, "".
	ClamdAddr string
	// Profiling adds Go's profiler (net/http/pprof, under /debug/pprof/)
	// to the metrics' own listener, and only there: it needs MetricsAddr.
	// For operators measuring a server under load: -pprof, CMCOORD_PPROF.
	Profiling bool
}

// ClamdTimeout bounds each wait on clamd (connecting, a chunk sent, the
// verdict), for scan.New with Config.ClamdAddr.
const ClamdTimeout = 60 * time.Second

// MinMetricsToken is the shortest metrics token accepted.
const MinMetricsToken = 16

// Load parses args (the arguments after the subcommand name) with getenv
// as the fallback for unset flags, validates the result and returns it
// with the positional arguments that follow the flags. Usage and errors
// are written to output.
func Load(name string, args []string, getenv func(string) string, output io.Writer) (Config, []string, error) {
	return LoadWith(name, args, getenv, output, nil)
}

// LoadWith is Load for a subcommand with flags of its own: register adds
// them to the flag set before parsing, so they mix freely with the
// common ones.
func LoadWith(name string, args []string, getenv func(string) string, output io.Writer, register func(*flag.FlagSet)) (Config, []string, error) {
	var c Config
	fs := flag.NewFlagSet("cmcoord "+name, flag.ContinueOnError)
	if register != nil {
		register(fs)
	}
	fs.SetOutput(output)
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	var level, keepDB, noMigrate, noCache, secure, proxies, shutdown, reminder, jobEvery, idle, lifetime string
	var dbConns, dbConnect, dbStatement, dbLock, dbWait string
	var maxAttachment string
	var inboundMax string
	fs.StringVar(&c.Addr, "addr", env("CMCOORD_ADDR", "127.0.0.1:8080"), "listen address (CMCOORD_ADDR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", ""), "PostgreSQL URL (DATABASE_URL)")
	fs.StringVar(&level, "log-level", env("CMCOORD_LOG_LEVEL", "info"), "debug, info, warn or error (CMCOORD_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("CMCOORD_LOG_FORMAT", "auto"), "auto, text or json (CMCOORD_LOG_FORMAT)")
	fs.StringVar(&noMigrate, "no-migrate", env("CMCOORD_NO_MIGRATE", "false"), "do not migrate on start (CMCOORD_NO_MIGRATE)")
	fs.StringVar(&noCache, "no-cache", env("CMCOORD_NO_CACHE", "false"), "read users, sessions, tokens, operations and unread counts from the database on every request, without the in-process cache (CMCOORD_NO_CACHE)")
	fs.StringVar(&proxies, "trusted-proxies", env("CMCOORD_TRUSTED_PROXIES", "0"), "number of trusted reverse proxies (CMCOORD_TRUSTED_PROXIES)")
	fs.StringVar(&secure, "secure-cookies", env("CMCOORD_SECURE_COOKIES", "false"), "mark cookies Secure (CMCOORD_SECURE_COOKIES)")
	fs.StringVar(&c.DataDir, "data-dir", env("CMCOORD_DATA_DIR", ".data"), "directory for a private PostgreSQL cluster (CMCOORD_DATA_DIR)")
	fs.StringVar(&keepDB, "keep-db", env("CMCOORD_KEEP_DB", "false"), "leave a started cluster running on exit (CMCOORD_KEEP_DB)")
	fs.StringVar(&c.SMTPURL, "smtp-url", env("SMTP_URL", ""), "SMTP server for e-mail notifications, smtp:// or smtps:// with ?from=; empty disables e-mail (SMTP_URL)")
	fs.StringVar(&c.InboundSMTPAddr, "inbound-smtp-addr", env("INBOUND_SMTP_ADDR", ""), "listen for replies to notification e-mails on this address, e.g. :2525, and post them as comments; needs -reply-domain; empty is off (INBOUND_SMTP_ADDR)")
	fs.StringVar(&c.ReplyDomain, "reply-domain", env("REPLY_DOMAIN", ""), "mail domain of the reply addresses reply+<token>@domain put on e-mails about a request; empty gives none (REPLY_DOMAIN)")
	fs.StringVar(&inboundMax, "inbound-smtp-max-bytes", env("INBOUND_SMTP_MAX_BYTES", "1048576"), "largest reply the inbound SMTP listener accepts, in bytes (INBOUND_SMTP_MAX_BYTES)")
	fs.StringVar(&c.BaseURL, "base-url", env("BASE_URL", ""), "address users reach cmcoord at, for links in e-mail, set-password links and the single sign-on redirect (BASE_URL; default http://<-addr>)")
	fs.StringVar(&c.RecordKeyFile, "record-key-file", env("RECORD_KEY_FILE", ""), "file holding the key that signs decision records, generated there on first start; empty keeps it in the database (RECORD_KEY_FILE)")
	fs.StringVar(&reminder, "review-reminder", env("CMCOORD_REVIEW_REMINDER", "12h"), "remind organisations that have not voted this long before a review's deadline (CMCOORD_REVIEW_REMINDER)")
	fs.StringVar(&jobEvery, "review-job-interval", env("CMCOORD_REVIEW_JOB_INTERVAL", "1m"), "how often this instance closes reviews past their deadline, sends reminders and expires requests (CMCOORD_REVIEW_JOB_INTERVAL)")
	fs.StringVar(&idle, "session-idle", env("CMCOORD_SESSION_IDLE", "2h"), "end a browser session after this long without a request (CMCOORD_SESSION_IDLE)")
	fs.StringVar(&lifetime, "session-lifetime", env("CMCOORD_SESSION_LIFETIME", "12h"), "end a browser session this long after sign-in (CMCOORD_SESSION_LIFETIME)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("CMCOORD_METRICS_ADDR", ""), "serve /metrics only on this address, e.g. 127.0.0.1:9464 (CMCOORD_METRICS_ADDR)")
	fs.BoolVar(&c.Profiling, "pprof", env("CMCOORD_PPROF", "") == "true", "serve Go's profiler at /debug/pprof/ on the -metrics-addr listener, and nowhere else (CMCOORD_PPROF=true)")
	fs.StringVar(&c.MetricsToken, "metrics-token", env("CMCOORD_METRICS_TOKEN", ""), "require this bearer token for /metrics, and serve it on the main address when -metrics-addr is empty (CMCOORD_METRICS_TOKEN)")
	fs.StringVar(&c.ClamdAddr, "clamd-addr", env("CLAMD_ADDR", ""), "scan uploaded files with the ClamAV daemon at unix:/path, tcp:host:port or host:port; empty scans nothing (CLAMD_ADDR)")
	fs.StringVar(&shutdown, "shutdown-timeout", env("CMCOORD_SHUTDOWN_TIMEOUT", "20s"), "graceful shutdown limit (CMCOORD_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&maxAttachment, "max-attachment-mb", env("MAX_ATTACHMENT_MB", "20"), "largest document a request takes, in MiB, from 1 to 2048 (MAX_ATTACHMENT_MB)")
	fs.StringVar(&dbConns, "db-max-conns", env("CMCOORD_DB_MAX_CONNS", "10"), "most database connections this instance opens; more requests wait for one (CMCOORD_DB_MAX_CONNS)")
	fs.StringVar(&dbConnect, "db-connect-timeout", env("CMCOORD_DB_CONNECT_TIMEOUT", "5s"), "give up opening a database connection after this long (CMCOORD_DB_CONNECT_TIMEOUT)")
	fs.StringVar(&dbStatement, "db-statement-timeout", env("CMCOORD_DB_STATEMENT_TIMEOUT", "30s"), "cancel a statement running longer (exports and audit checks excepted; 0 for none) (CMCOORD_DB_STATEMENT_TIMEOUT)")
	fs.StringVar(&dbLock, "db-lock-timeout", env("CMCOORD_DB_LOCK_TIMEOUT", "5s"), "give up waiting for a row lock after this long (CMCOORD_DB_LOCK_TIMEOUT)")
	fs.StringVar(&dbWait, "db-wait", env("CMCOORD_DB_WAIT", "60s"), "at start, keep trying a database that does not answer for this long, with backoff (CMCOORD_DB_WAIT)")
	// Boolean flags are parsed from strings so that "-keep-db" alone, and
	// "-keep-db=false" against an environment "true", both work.
	if err := fs.Parse(normaliseBoolFlags(args, "no-migrate", "no-cache", "secure-cookies", "keep-db")); err != nil {
		return Config{}, nil, err
	}
	var errs []error
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		errs = append(errs, fmt.Errorf("-log-level: %q is not debug, info, warn or error", level))
	}
	switch c.LogFormat {
	case "auto", "text", "json":
	default:
		errs = append(errs, fmt.Errorf("-log-format: %q is not auto, text or json", c.LogFormat))
	}
	var err error
	if c.NoMigrate, err = strconv.ParseBool(noMigrate); err != nil {
		errs = append(errs, fmt.Errorf("-no-migrate: %q is not a boolean", noMigrate))
	}
	if c.NoCache, err = strconv.ParseBool(noCache); err != nil {
		errs = append(errs, fmt.Errorf("-no-cache: %q is not a boolean", noCache))
	}
	if c.SecureCookies, err = strconv.ParseBool(secure); err != nil {
		errs = append(errs, fmt.Errorf("-secure-cookies: %q is not a boolean", secure))
	}
	if c.KeepDB, err = strconv.ParseBool(keepDB); err != nil {
		errs = append(errs, fmt.Errorf("-keep-db: %q is not a boolean", keepDB))
	}
	if c.TrustedProxies, err = strconv.Atoi(proxies); err != nil || c.TrustedProxies < 0 {
		errs = append(errs, fmt.Errorf("-trusted-proxies: %q is not a whole number ≥ 0", proxies))
	}
	if c.ShutdownTimeout, err = time.ParseDuration(shutdown); err != nil || c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("-shutdown-timeout: %q is not a positive duration such as 20s", shutdown))
	}
	if c.MaxAttachmentMB, err = strconv.Atoi(maxAttachment); err != nil || c.MaxAttachmentMB < 1 || c.MaxAttachmentMB > 2048 {
		errs = append(errs, fmt.Errorf("-max-attachment-mb: %q is not a whole number of MiB from 1 to 2048", maxAttachment))
	}
	if c.DB.MaxConns, err = strconv.Atoi(dbConns); err != nil || c.DB.MaxConns < 1 || c.DB.MaxConns > 1000 {
		errs = append(errs, fmt.Errorf("-db-max-conns: %q is not a whole number from 1 to 1000", dbConns))
	}
	for _, d := range []struct {
		name, value string
		into        *time.Duration
		zeroOK      bool
	}{{"db-connect-timeout", dbConnect, &c.DB.ConnectTimeout, false}, {"db-statement-timeout", dbStatement, &c.DB.StatementTimeout, true},
		{"db-lock-timeout", dbLock, &c.DB.LockTimeout, false}, {"db-wait", dbWait, &c.DB.Wait, true}} {
		if *d.into, err = time.ParseDuration(d.value); err != nil || *d.into < 0 || (*d.into == 0 && !d.zeroOK) {
			errs = append(errs, fmt.Errorf("-%s: %q is not a positive duration such as 5s", d.name, d.value))
		}
	}
	if c.ReviewReminder, err = time.ParseDuration(reminder); err != nil || c.ReviewReminder <= 0 {
		errs = append(errs, fmt.Errorf("-review-reminder: %q is not a positive duration such as 12h", reminder))
	}
	if c.ReviewJobInterval, err = time.ParseDuration(jobEvery); err != nil || c.ReviewJobInterval < time.Second {
		errs = append(errs, fmt.Errorf("-review-job-interval: %q is not a duration of a second or more, such as 1m", jobEvery))
	}
	if c.SessionIdle, err = time.ParseDuration(idle); err != nil || c.SessionIdle < time.Minute {
		errs = append(errs, fmt.Errorf("-session-idle: %q is not a duration of a minute or more, such as 2h", idle))
	}
	if c.SessionLifetime, err = time.ParseDuration(lifetime); err != nil || c.SessionLifetime < time.Minute {
		errs = append(errs, fmt.Errorf("-session-lifetime: %q is not a duration of a minute or more, such as 12h", lifetime))
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("-metrics-addr: %q is not host:port", c.MetricsAddr))
		}
	}
	if c.Profiling && c.MetricsAddr == "" {
		errs = append(errs, errors.New("-pprof: needs -metrics-addr (the profiler is served only on the metrics' own listener)"))
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < MinMetricsToken {
		// Never repeat the token: it is a secret.
		errs = append(errs, fmt.Errorf("-metrics-token: shorter than %d characters", MinMetricsToken))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("-addr: %q is not host:port", c.Addr))
	}
	if c.ClamdAddr != "" {
		if _, err := scan.New(c.ClamdAddr, ClamdTimeout); err != nil {
			errs = append(errs, fmt.Errorf("-clamd-addr: %w", err))
		}
	}
	if err := checkSMTPURL(c.SMTPURL); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, checkInbound(&c, inboundMax)...)
	if _, port, _ := net.SplitHostPort(c.Addr); c.BaseURL == "" && port != "0" {
		c.BaseURL = "http://" + c.Addr // not set: where this instance listens
	}
	// With a port the system picks (tests) and no -base-url, no address
	// is known before listening: links use the request's host.
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(c.BaseURL); c.BaseURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		errs = append(errs, fmt.Errorf("-base-url: %q is not an http:// or https:// address", c.BaseURL))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, nil, fmt.Errorf("config: %w", err)
	}
	return c, fs.Args(), nil
}

// checkSMTPURL accepts "" or an smtp:// or smtps:// URL with a host and
// a from address. Its message never repeats the URL, which may hold a
// password.
func checkSMTPURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("-smtp-url: not a URL")
	case u.Scheme != "smtp" && u.Scheme != "smtps":
		return fmt.Errorf("-smtp-url: scheme %q is not smtp or smtps", u.Scheme)
	case u.Hostname() == "":
		return errors.New("-smtp-url: no host")
	case u.Query().Get("from") == "":
		return errors.New("-smtp-url: needs ?from=address")
	}
	return nil
}

// mailDomain is a host name as mail domains are written.
var mailDomain = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// checkInbound validates the settings of replies by e-mail.
func checkInbound(c *Config, maxBytes string) []error {
	var errs []error
	c.ReplyDomain = strings.ToLower(strings.TrimSpace(c.ReplyDomain))
	if c.ReplyDomain != "" && (len(c.ReplyDomain) > 200 || !mailDomain.MatchString(c.ReplyDomain)) {
		errs = append(errs, fmt.Errorf("-reply-domain: %q is not a mail domain such as reply.cmcoord.example.org", c.ReplyDomain))
	}
	if c.InboundSMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.InboundSMTPAddr); err != nil {
			errs = append(errs, fmt.Errorf("-inbound-smtp-addr: %q is not host:port", c.InboundSMTPAddr))
		}
		if c.ReplyDomain == "" {
			errs = append(errs, errors.New("-inbound-smtp-addr: needs -reply-domain (the domain of the addresses it takes)"))
		}
	}
	n, err := strconv.ParseInt(maxBytes, 10, 64)
	if err != nil || n < 1024 || n > 64<<20 {
		errs = append(errs, fmt.Errorf("-inbound-smtp-max-bytes: %q is not a number of bytes from 1024 to 67108864", maxBytes))
	}
	c.InboundMaxBytes = n
	return errs
}

// normaliseBoolFlags turns a bare boolean flag ("-keep-db") into
// "-keep-db=true" so string-typed boolean flags behave like flag.Bool.
func normaliseBoolFlags(args []string, names ...string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		name := strings.TrimLeft(a, "-")
		if strings.HasPrefix(a, "-") && !strings.Contains(name, "=") {
			for _, n := range names {
				if name == n {
					a = "-" + n + "=true"
					break
				}
			}
		}
		out = append(out, a)
	}
	return out
}

// DBSettings bound every database call, so nothing hangs as long as the
// database does: -db-max-conns, -db-connect-timeout,
// -db-statement-timeout, -db-lock-timeout; and -db-wait, how long a
// starting instance keeps trying a database that does not answer.
type DBSettings struct {
	MaxConns         int
	ConnectTimeout   time.Duration
	StatementTimeout time.Duration // 0: none
	LockTimeout      time.Duration
	Wait             time.Duration
}
