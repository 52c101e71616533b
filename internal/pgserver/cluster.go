package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// firstPort is the first TCP port tried for a new persistent cluster.
	firstPort = 54329
	// portAttempts is how many consecutive ports from firstPort are tried.
	portAttempts = 100
	// confName is the file, inside the data directory, holding the settings
	// pgserver manages; postgresql.conf includes it.
	confName = "cmcoord.conf"
	// includeLine is appended to postgresql.conf to load confName.
	includeLine = "include_if_exists = '" + confName + "'"
	// readyTimeout bounds how long StartCluster waits for connections.
	readyTimeout = 30 * time.Second
)

// ClusterOptions configures StartCluster.
type ClusterOptions struct {
	// Dir is the data directory. It is created (with its parents) when
	// missing and initialised when empty. As root, the PostgreSQL OS user
	// must be able to traverse its parent directories.
	Dir string
	// Ephemeral selects throwaway tuning for tests (fsync, synchronous_commit
	// and full_page_writes off, max_connections 500; pg_stat_statements
	// preloaded when installed, for make bench), skips syncing during
	// initdb, picks a kernel-chosen port, and makes Stop use immediate
	// shutdown. Never use it for data you want to keep.
	Ephemeral bool
	// Bins are the server programs to use; when zero, FindBinaries is used,
	// preferring the major version that created Dir.
	Bins Bins
	// Out receives short progress lines; nil discards them.
	Out io.Writer
	// Log receives diagnostics; nil discards them.
	Log *slog.Logger
}

// Cluster is a PostgreSQL server running from a data directory and
// listening on 127.0.0.1 only, accepting user postgres without a password.
// Its methods are safe for concurrent use.
type Cluster struct {
	// URL is the admin connection URL,
	// postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable.
	URL string
	// Dir is the absolute data directory.
	Dir string
	// Port is the TCP port on 127.0.0.1.
	Port int
	// LogFile is the server log (initdb output is appended to it too).
	LogFile string
	// Version is the server_version reported by the server, e.g. "15.8".
	Version string

	ephemeral bool
	run       *runner
	out       io.Writer
	log       *slog.Logger

	mu      sync.Mutex
	started bool // this process started the server and has not stopped it
}

// StartCluster returns a running cluster in opt.Dir. It initialises the
// directory when it is empty (initdb with user postgres, trust
// authentication, UTF8, locale C.UTF-8 or C), choosing a free port once and
// recording it, with listen_addresses='127.0.0.1' and no Unix socket, in
// cmcoord.conf inside the data directory. If the cluster is already running
// it is reused and StartedHere reports false. Otherwise it is started with
// pg_ctl; if the recorded port is taken by another program, StartCluster
// fails (an ephemeral cluster picks a new port instead). It returns once a
// connection succeeds, waiting at most about 30 seconds. Failures include
// the tail of the server log.
func StartCluster(ctx context.Context, opt ClusterOptions) (*Cluster, error) {
	if opt.Dir == "" {
		return nil, errors.New("pgserver: StartCluster: ClusterOptions.Dir is empty")
	}
	out := opt.Out
	if out == nil {
		out = io.Discard
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(opt.Dir)
	if err != nil {
		return nil, fmt.Errorf("pgserver: data directory %s: %w", opt.Dir, err)
	}
	dirVersion := readPGVersion(dir)

	bins := opt.Bins
	if bins.PgCtl == "" {
		if bins, err = findBinaries(os.Getenv("PATH"), defaultSearchGlobs, dirVersion); err != nil {
			return nil, err
		}
	}
	if dirVersion != 0 && bins.Major != 0 && dirVersion != bins.Major {
		return nil, fmt.Errorf("pgserver: data directory %s was created by PostgreSQL %d but the server programs in %s are version %d; install PostgreSQL %d or remove the directory to recreate it (its data will be lost)",
			dir, dirVersion, bins.Dir, bins.Major, dirVersion)
	}
	r, err := newRunner(bins)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		Dir:       dir,
		LogFile:   filepath.Join(filepath.Dir(dir), filepath.Base(dir)+".log"),
		ephemeral: opt.Ephemeral,
		run:       r,
		out:       out,
		log:       log.With("datadir", dir),
	}

	if err := c.prepareDir(); err != nil {
		return nil, err
	}
	if dirVersion == 0 {
		if err := c.initdb(ctx); err != nil {
			return nil, err
		}
	} else {
		running, err := c.status(ctx)
		if err != nil {
			return nil, err
		}
		if running {
			cl, err := c.reuse(ctx)
			if !errors.Is(err, errServerGone) {
				return cl, err
			}
			c.log.Info("postmaster.pid named a server that has since exited; starting the cluster")
		}
	}

	port, err := c.choosePort()
	if err != nil {
		return nil, err
	}
	c.setPort(port)
	if err := c.writeConf(); err != nil {
		return nil, err
	}
	if err := c.start(ctx); err != nil {
		// Another process may have started the same cluster meanwhile.
		if running, serr := c.status(ctx); serr == nil && running {
			c.log.Info("pg_ctl start failed but the cluster is running; reusing it", "err", err)
			return c.reuse(ctx)
		}
		return nil, err
	}
	c.started = true
	if err := c.waitReady(ctx); err != nil {
		stopErr := c.Stop(context.WithoutCancel(ctx))
		return nil, errors.Join(fmt.Errorf("pgserver: server in %s started but does not accept connections: %w%s", dir, err, c.logTail()), stopErr)
	}
	fmt.Fprintf(out, "pgserver: PostgreSQL %s listening on 127.0.0.1:%d (data %s, log %s)\n", c.Version, c.Port, c.Dir, c.LogFile)
	return c, nil
}

// StartedHere reports whether this process started the server (and has not
// yet stopped it). Only then does Stop do anything.
func (c *Cluster) StartedHere() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.started
}

// Stop stops the server if this process started it, using pg_ctl's fast
// shutdown (immediate for ephemeral clusters), and waits for it to exit.
// It does nothing for a reused cluster or when called again.
func (c *Cluster) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started {
		return nil
	}
	mode := "fast"
	if c.ephemeral {
		mode = "immediate"
	}
	output, err := c.run.command(ctx, c.run.bins.PgCtl, "-D", c.Dir, "-m", mode, "-w", "-t", "60", "stop").CombinedOutput()
	if err != nil {
		if running, serr := c.status(ctx); serr == nil && !running {
			c.started = false
			return nil
		}
		return fmt.Errorf("pgserver: pg_ctl stop %s: %w: %s", c.Dir, err, bytes.TrimSpace(output))
	}
	c.started = false
	c.log.Info("stopped PostgreSQL", "mode", mode)
	return nil
}

// setPort records port and the URL derived from it.
func (c *Cluster) setPort(port int) {
	c.Port = port
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

// reuse adopts a server that pg_ctl reports as running in c.Dir.
func (c *Cluster) reuse(ctx context.Context) (*Cluster, error) {
	port := pidFilePort(c.Dir)
	if port == 0 {
		port = c.confPort()
	}
	if port == 0 {
		return nil, fmt.Errorf("pgserver: a server is running in %s but its port is unknown (no port in postmaster.pid or %s)", c.Dir, confName)
	}
	c.setPort(port)
	pid := pidFilePID(c.Dir)
	if err := c.waitReadyWhile(ctx, func() bool { return processAlive(pid) }); err != nil {
		if errors.Is(err, errServerGone) {
			return nil, err
		}
		return nil, fmt.Errorf("pgserver: pg_ctl reports a server running in %s, but it does not answer on 127.0.0.1:%d: %w; if no PostgreSQL is running from that directory, remove %s",
			c.Dir, port, err, filepath.Join(c.Dir, "postmaster.pid"))
	}
	fmt.Fprintf(c.out, "pgserver: reusing PostgreSQL %s already running on 127.0.0.1:%d (data %s)\n", c.Version, c.Port, c.Dir)
	return c, nil
}

// prepareDir creates the data directory (parents 0755, itself 0700) and,
// as root, hands it to the PostgreSQL OS user.
func (c *Cluster) prepareDir() error {
	if err := os.MkdirAll(filepath.Dir(c.Dir), 0o755); err != nil {
		return fmt.Errorf("pgserver: create parent of data directory: %w", err)
	}
	if err := os.Mkdir(c.Dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("pgserver: create data directory: %w", err)
	}
	if err := c.run.checkTraversable(c.Dir); err != nil {
		return err
	}
	if readPGVersion(c.Dir) != 0 {
		return nil
	}
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return fmt.Errorf("pgserver: read data directory: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("pgserver: %s is not empty but holds no PostgreSQL cluster (no PG_VERSION file); remove it or choose another directory", c.Dir)
	}
	if err := os.Chmod(c.Dir, 0o700); err != nil {
		return fmt.Errorf("pgserver: chmod data directory: %w", err)
	}
	return c.run.chown(c.Dir)
}

// initdb initialises the empty data directory, appending initdb's output
// to the log file.
func (c *Cluster) initdb(ctx context.Context) error {
	fmt.Fprintf(c.out, "pgserver: initialising PostgreSQL %d data directory %s\n", c.run.bins.Major, c.Dir)
	base := []string{"-D", c.Dir, "-U", "postgres", "--auth=trust", "-E", "UTF8"}
	if c.ephemeral {
		base = append(base, "--no-sync")
	}
	runInitdb := func(localeArg string) ([]byte, error) {
		args := append(append([]string{}, base...), localeArg)
		c.log.Debug("running initdb", "args", args)
		return c.run.command(ctx, c.run.bins.Initdb, args...).CombinedOutput()
	}
	output, err := runInitdb("--locale=C.UTF-8")
	if err != nil && bytes.Contains(bytes.ToLower(output), []byte("locale")) {
		c.log.Info("initdb with locale C.UTF-8 failed; retrying with --no-locale", "err", err)
		if cerr := c.emptyDir(); cerr != nil {
			return cerr
		}
		var more []byte
		more, err = runInitdb("--no-locale")
		output = append(output, more...)
	}
	logErr := c.appendLog("initdb", output)
	if err != nil {
		cerr := c.emptyDir()
		return errors.Join(fmt.Errorf("pgserver: initdb %s: %w\n%s", c.Dir, err, tail(output, 20)), cerr)
	}
	return logErr
}

// emptyDir removes everything inside the data directory.
func (c *Cluster) emptyDir() error {
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return fmt.Errorf("pgserver: clean data directory: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(c.Dir, e.Name())); err != nil {
			return fmt.Errorf("pgserver: clean data directory: %w", err)
		}
	}
	return nil
}

// appendLog appends a titled block to the log file, creating it (owned by
// the PostgreSQL OS user, so the server can append to it) when needed.
func (c *Cluster) appendLog(title string, data []byte) error {
	f, err := os.OpenFile(c.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgserver: open log file: %w", err)
	}
	_, werr := fmt.Fprintf(f, "---- %s %s ----\n%s", title, time.Now().UTC().Format(time.RFC3339), data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("pgserver: write log file: %w", werr)
	}
	return c.run.chown(c.LogFile)
}

// status reports whether pg_ctl considers the cluster running. pg_ctl
// checks that the process in postmaster.pid is alive, so a stale pid file
// does not count as running; one naming a zombie process is removed first,
// as pg_ctl would count it.
func (c *Cluster) status(ctx context.Context) (bool, error) {
	if _, err := c.removeZombieLock(); err != nil {
		return false, err
	}
	output, err := c.run.command(ctx, c.run.bins.PgCtl, "-D", c.Dir, "status").CombinedOutput()
	if err == nil {
		return true, nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.ExitCode() == 3 { // "no server running"
		return false, nil
	}
	return false, fmt.Errorf("pgserver: pg_ctl status %s: %w: %s", c.Dir, err, bytes.TrimSpace(output))
}

// choosePort returns the port to start on: the recorded one, or a new free
// one when none is recorded. A recorded port held by another program is an
// error, except for ephemeral clusters, which pick a new port.
func (c *Cluster) choosePort() (int, error) {
	port := c.confPort()
	if port != 0 {
		if portFree(port) {
			return port, nil
		}
		if !c.ephemeral {
			return 0, fmt.Errorf("pgserver: port %d recorded in %s is in use by another program; stop that program or change the port in that file",
				port, filepath.Join(c.Dir, confName))
		}
		c.log.Info("recorded port is taken; choosing another", "port", port)
	}
	return pickPort(c.ephemeral)
}

// hasStatStatements reports whether the pg_stat_statements module is
// installed for the server programs in binDir (Debian and PGDG layouts:
// ../lib; source builds: ../lib/postgresql).
func hasStatStatements(binDir string) bool {
	if binDir == "" {
		return false
	}
	for _, lib := range []string{"lib", filepath.Join("lib", "postgresql")} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(binDir), lib, "pg_stat_statements.so")); err == nil {
			return true
		}
	}
	return false
}

// writeConf writes cmcoord.conf for c.Port and makes postgresql.conf
// include it.
func (c *Cluster) writeConf() error {
	var b strings.Builder
	b.WriteString("# Managed by cmcoord (internal/pgserver); rewritten on every start.\n")
	b.WriteString("# Only the port is kept: edit it here to move the server.\n")
	fmt.Fprintf(&b, "port = %d\n", c.Port)
	b.WriteString("listen_addresses = '127.0.0.1'\n")
	b.WriteString("unix_socket_directories = ''\n")
	if c.ephemeral {
		b.WriteString("# Throwaway tuning: data is lost on a crash.\n")
		b.WriteString("fsync = off\n")
		b.WriteString("synchronous_commit = off\n")
		b.WriteString("full_page_writes = off\n")
		b.WriteString("max_connections = 500\n")
		b.WriteString("shared_buffers = 128MB\n")
		// Statement statistics for the load run (make bench), when the
		// contrib module is installed beside the server programs.
		if hasStatStatements(c.run.bins.Dir) {
			b.WriteString("shared_preload_libraries = 'pg_stat_statements'\n")
		}
	}
	confPath := filepath.Join(c.Dir, confName)
	if err := os.WriteFile(confPath, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("pgserver: write %s: %w", confPath, err)
	}
	if err := c.run.chown(confPath); err != nil {
		return err
	}

	mainConf := filepath.Join(c.Dir, "postgresql.conf")
	data, err := os.ReadFile(mainConf)
	if err != nil {
		return fmt.Errorf("pgserver: read postgresql.conf: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == includeLine {
			return nil
		}
	}
	f, err := os.OpenFile(mainConf, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("pgserver: open postgresql.conf: %w", err)
	}
	_, werr := fmt.Fprintf(f, "\n# Added by cmcoord: port, listen address and tuning live in %s.\n%s\n", confName, includeLine)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("pgserver: append to postgresql.conf: %w", werr)
	}
	return nil
}

// confPort returns the port recorded in cmcoord.conf, or 0.
func (c *Cluster) confPort() int {
	data, err := os.ReadFile(filepath.Join(c.Dir, confName))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		key, val, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(key) != "port" {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(val)); err == nil && n > 0 && n < 65536 {
			return n
		}
	}
	return 0
}

// start runs pg_ctl start, waiting up to 60 s for the server to be ready.
func (c *Cluster) start(ctx context.Context) error {
	fmt.Fprintf(c.out, "pgserver: starting PostgreSQL on 127.0.0.1:%d (log %s)\n", c.Port, c.LogFile)
	if err := c.appendLog("pg_ctl start", nil); err != nil {
		return err
	}
	output, err := c.run.command(ctx, c.run.bins.PgCtl, "-D", c.Dir, "-l", c.LogFile, "-w", "-t", "60", "start").CombinedOutput()
	c.log.Debug("pg_ctl start", "output", string(output), "err", err)
	if err != nil {
		return fmt.Errorf("pgserver: pg_ctl start %s: %w: %s%s", c.Dir, err, bytes.TrimSpace(output), c.logTail())
	}
	return nil
}

// waitReady waits until a connection to c.URL succeeds, recording the
// server version, for at most readyTimeout.
func (c *Cluster) waitReady(ctx context.Context) error {
	return c.waitReadyWhile(ctx, func() bool { return true })
}

// errServerGone reports that the process a postmaster.pid named exited
// while we waited for it to answer: the file was stale (for example left by
// a server still shutting down when it was read).
var errServerGone = errors.New("pgserver: the server process named in postmaster.pid has exited")

// waitReadyWhile is waitReady that gives up with errServerGone as soon as
// alive reports false.
func (c *Cluster) waitReadyWhile(ctx context.Context, alive func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		version, err := serverVersion(ctx, c.URL)
		if err == nil {
			c.Version = version
			return nil
		}
		if !alive() {
			return errServerGone
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// logTail returns the end of the server log, formatted for appending to an
// error message, or "" when the log cannot be read.
func (c *Cluster) logTail() string {
	data, err := os.ReadFile(c.LogFile)
	if err != nil || len(data) == 0 {
		return ""
	}
	return "\nlast lines of " + c.LogFile + ":\n" + tail(data, 20)
}

// tail returns at most the last n lines of data.
func tail(data []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// readPGVersion returns the major version recorded in dir/PG_VERSION, or 0
// when the directory holds no cluster.
func readPGVersion(dir string) int {
	data, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0
	}
	return n
}

// pidFilePort returns the port recorded in dir/postmaster.pid (its fourth
// line), or 0.
func pidFilePort(dir string) int {
	data, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) < 4 {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil {
		return 0
	}
	return n
}

// reservedPorts holds ports this process chose for clusters, so that
// clusters created concurrently in one process do not pick the same port
// before either server binds it.
var reservedPorts struct {
	mu    sync.Mutex
	ports map[int]bool
}

// pickPort chooses a free port on 127.0.0.1 and reserves it in this
// process: kernel-chosen when ephemeral, else the first free one from
// firstPort upward.
func pickPort(ephemeral bool) (int, error) {
	reservedPorts.mu.Lock()
	defer reservedPorts.mu.Unlock()
	if reservedPorts.ports == nil {
		reservedPorts.ports = map[int]bool{}
	}
	reserve := func(p int) (int, error) {
		reservedPorts.ports[p] = true
		return p, nil
	}
	if ephemeral {
		for range 20 {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return 0, fmt.Errorf("pgserver: choose a port: %w", err)
			}
			p := l.Addr().(*net.TCPAddr).Port
			l.Close()
			if !reservedPorts.ports[p] {
				return reserve(p)
			}
		}
		return 0, errors.New("pgserver: choose a port: kernel kept returning reserved ports")
	}
	for p := firstPort; p < firstPort+portAttempts; p++ {
		if !reservedPorts.ports[p] && portFree(p) {
			return reserve(p)
		}
	}
	return 0, fmt.Errorf("pgserver: no free TCP port on 127.0.0.1 in %d-%d", firstPort, firstPort+portAttempts-1)
}

// portFree reports whether a TCP listener can bind 127.0.0.1:port.
func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}
