package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cmcoord/cmcoord/internal/pgserver"
	"github.com/cmcoord/cmcoord/internal/sysdeps"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// env is the prepared test environment.
type env struct {
	vars    []string // NAME=value pairs exported to the command
	dbDesc  string   // database part of the summary line
	browser string   // CHROMIUM_PATH value
	clamd   string   // CLAMD_PATH value
	cleanup func()   // releases what was started; never nil
}

// run prepares the environment, runs the command in args (after an
// optional "--") and returns the exit status for testenv.
func run(args []string, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: go run ./internal/devtools/testenv -- COMMAND [ARG...]")
		return 2
	}
	level := slog.LevelWarn
	if os.Getenv("TESTENV_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	// Signals cancel preparation; once the command runs they are forwarded.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var (
		mu    sync.Mutex
		child *os.Process
	)
	go func() {
		for sig := range sigs {
			mu.Lock()
			p := child
			mu.Unlock()
			if p == nil {
				cancel()
				continue
			}
			if err := p.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
				log.Warn("forwarding signal", "signal", sig, "err", err)
			}
		}
	}()

	e, err := prepare(ctx, stderr, log)
	defer e.cleanup()
	if err != nil {
		fmt.Fprintf(stderr, "testenv: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "testenv: %s, chromium at %s, clamd at %s\n", e.dbDesc, e.browser, e.clamd)

	if ctx.Err() != nil { // interrupted before the command could start
		return 130
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), e.vars...)
	mu.Lock()
	err = cmd.Start()
	if err == nil {
		child = cmd.Process
	}
	mu.Unlock()
	if err != nil {
		fmt.Fprintf(stderr, "testenv: %v\n", err)
		return 127
	}
	err = cmd.Wait()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr):
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return exitErr.ExitCode()
	default:
		fmt.Fprintf(stderr, "testenv: %v\n", err)
		return 1
	}
}

// prepare resolves the browser and the database. The returned env's
// cleanup is always safe to call, even with an error.
func prepare(ctx context.Context, stderr io.Writer, log *slog.Logger) (env, error) {
	e := env{cleanup: func() {}}
	if err := ensureSSHKeygen(ctx, stderr); err != nil {
		return e, err
	}
	if err := ensureCompiler(ctx, stderr); err != nil {
		return e, err
	}
	browser, err := ensureChromium(ctx, stderr, log)
	if err != nil {
		return e, err
	}
	e.browser = browser
	e.vars = append(e.vars, "CHROMIUM_PATH="+browser)
	clamd, err := ensureClamd(ctx, stderr)
	if err != nil {
		return e, err
	}
	e.clamd = clamd
	e.vars = append(e.vars, "CLAMD_PATH="+clamd)

	if dbURL := os.Getenv("TEST_DATABASE_URL"); dbURL != "" {
		if err := pgserver.Ping(ctx, dbURL); err != nil {
			return e, fmt.Errorf("TEST_DATABASE_URL is set but unusable: %w", err)
		}
		host := "(unknown host)"
		if u, err := url.Parse(dbURL); err == nil && u.Host != "" {
			host = u.Host
		}
		e.dbDesc = "PostgreSQL at " + host + " (TEST_DATABASE_URL)"
		return e, nil
	}

	bins, err := pgserver.EnsureBinaries(ctx, stderr)
	if err != nil {
		return e, err
	}
	tmp, err := os.MkdirTemp("", "cmcoord-testenv-*")
	if err != nil {
		return e, fmt.Errorf("create temporary directory: %w", err)
	}
	removeTmp := func() {
		if os.Getenv("TESTENV_KEEP") == "1" {
			fmt.Fprintf(stderr, "testenv: kept throwaway cluster directory %s (TESTENV_KEEP=1; server stopped, log in data.log)\n", tmp)
			return
		}
		if err := os.RemoveAll(tmp); err != nil {
			log.Warn("removing temporary directory", "dir", tmp, "err", err)
		}
	}
	e.cleanup = removeTmp
	// As root the server runs as another OS user, which must be able to
	// enter the directory; the data directory inside it is private (0700).
	if err := os.Chmod(tmp, 0o755); err != nil {
		return e, fmt.Errorf("chmod temporary directory: %w", err)
	}
	cluster, err := pgserver.StartCluster(ctx, pgserver.ClusterOptions{
		Dir:       filepath.Join(tmp, "data"),
		Ephemeral: true,
		Bins:      bins,
		Log:       log,
	})
	if err != nil {
		return e, err
	}
	e.cleanup = func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := cluster.Stop(stopCtx); err != nil {
			fmt.Fprintf(stderr, "testenv: %v\n", err)
		}
		removeTmp()
	}
	e.vars = append(e.vars, "TEST_DATABASE_URL="+cluster.URL)
	major, _, _ := strings.Cut(cluster.Version, ".")
	e.dbDesc = fmt.Sprintf("PostgreSQL %s at 127.0.0.1:%d (throwaway)", major, cluster.Port)
	return e, nil
}

// ensureChromium returns the browser to use: CHROMIUM_PATH when set, else
// the first Chromium-compatible browser on PATH, else (as root on Debian)
// a freshly installed chromium package.
func ensureChromium(ctx context.Context, stderr io.Writer, log *slog.Logger) (string, error) {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		resolved, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("CHROMIUM_PATH=%s is not an executable: %w", p, err)
		}
		return resolved, nil
	}
	names := []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
	p, err := sysdeps.LookPathAny(names...)
	if err == nil {
		if !hasFonts() && sysdeps.IsRoot() {
			if _, aptErr := exec.LookPath("apt-get"); aptErr == nil {
				fmt.Fprintln(stderr, "testenv: no fonts found; installing fonts-dejavu-core so screenshots render text")
				if err := sysdeps.AptInstall(ctx, stderr, "fonts-dejavu-core"); err != nil {
					log.Warn("installing fonts failed; screenshots may lack text", "err", err)
				}
			}
		}
		return p, nil
	}
	if !sysdeps.IsRoot() {
		return "", fmt.Errorf("no Chromium found (tried %s); install it (Debian: sudo apt-get install -y chromium fonts-dejavu-core) or set CHROMIUM_PATH", strings.Join(names, ", "))
	}
	fmt.Fprintln(stderr, "testenv: no Chromium found; installing Debian packages chromium and fonts-dejavu-core")
	if err := sysdeps.AptInstall(ctx, stderr, "chromium", "fonts-dejavu-core"); err != nil {
		return "", fmt.Errorf("install chromium: %w", err)
	}
	p, err = sysdeps.LookPathAny(names...)
	if err != nil {
		return "", fmt.Errorf("after installing chromium: %w", err)
	}
	return p, nil
}

// ensureClamd returns the ClamAV daemon for the virus-scanning tests
// (internal/testutil/clamdtest runs its own, with a database it writes):
// CLAMD_PATH when set, else clamd on PATH or in /usr/sbin, else (as root
// on Debian) a freshly installed clamav-daemon package. Installing it may
// start Debian's own clamd service; the tests never use it.
func ensureClamd(ctx context.Context, stderr io.Writer) (string, error) {
	if p := os.Getenv("CLAMD_PATH"); p != "" {
		resolved, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("CLAMD_PATH=%s is not an executable: %w", p, err)
		}
		return resolved, nil
	}
	find := func() (string, error) { return sysdeps.LookPathAny("clamd", "/usr/sbin/clamd") }
	if p, err := find(); err == nil {
		return p, nil
	}
	if !sysdeps.IsRoot() {
		return "", errors.New("no clamd found (tried clamd on PATH and /usr/sbin/clamd); install it (Debian: sudo apt-get install -y --no-install-recommends clamav-daemon) or set CLAMD_PATH")
	}
	fmt.Fprintln(stderr, "testenv: no clamd found; installing the Debian package clamav-daemon (the tests bring their own signature database)")
	if err := sysdeps.AptInstall(ctx, stderr, "clamav-daemon"); err != nil {
		return "", fmt.Errorf("install clamav-daemon: %w", err)
	}
	p, err := find()
	if err != nil {
		return "", fmt.Errorf("after installing clamav-daemon: %w", err)
	}
	return p, nil
}

// ensureCompiler makes sure a C compiler is present: `go test -race`
// needs cgo. As root on Debian it installs gcc; otherwise it says how.
func ensureCompiler(ctx context.Context, stderr io.Writer) error {
	if cc := os.Getenv("CC"); cc != "" {
		if _, err := exec.LookPath(cc); err == nil {
			return nil
		}
	}
	if _, err := sysdeps.LookPathAny("gcc", "cc", "clang"); err == nil {
		return nil
	}
	if !sysdeps.IsRoot() {
		return errors.New("no C compiler found, and go test -race needs one; install it (Debian: sudo apt-get install -y gcc libc6-dev)")
	}
	fmt.Fprintln(stderr, "testenv: no C compiler found (go test -race needs cgo); installing Debian packages gcc and libc6-dev")
	if err := sysdeps.AptInstall(ctx, stderr, "gcc", "libc6-dev"); err != nil {
		return fmt.Errorf("install gcc: %w", err)
	}
	return nil
}

// ensureSSHKeygen makes sure OpenSSH's ssh-keygen is present: the
// signed decision record's tests verify bundles with the stock tool. As
// root on Debian it installs openssh-client; otherwise it says how.
func ensureSSHKeygen(ctx context.Context, stderr io.Writer) error {
	if _, err := exec.LookPath("ssh-keygen"); err == nil {
		return nil
	}
	if !sysdeps.IsRoot() {
		return errors.New("no ssh-keygen found, and the decision record's tests verify with it; install it (Debian: sudo apt-get install -y openssh-client)")
	}
	fmt.Fprintln(stderr, "testenv: no ssh-keygen found; installing Debian package openssh-client")
	if err := sysdeps.AptInstall(ctx, stderr, "openssh-client"); err != nil {
		return fmt.Errorf("install openssh-client: %w", err)
	}
	return nil
}

// errFound stops the font directory walk early.
var errFound = errors.New("found")

// hasFonts reports whether any TrueType/OpenType/Type 1 font is installed
// in the usual system font directories.
func hasFonts() bool {
	for _, root := range []string{"/usr/share/fonts", "/usr/local/share/fonts"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".ttf", ".otf", ".ttc", ".pfb", ".woff2":
				return errFound
			}
			return nil
		})
		if errors.Is(err, errFound) {
			return true
		}
	}
	return false
}
