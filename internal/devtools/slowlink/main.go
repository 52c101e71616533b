// Command slowlink serves the demo data over an emulated satellite link
// and times cmcoord's main pages in a real browser:
//
//	sudo go run ./internal/devtools/testenv -- go run ./internal/devtools/slowlink [flags]
//
// It needs root and iproute2 (ip, tc; installed with apt-get when
// missing). It creates a network namespace cmcslow-<pid> joined to the
// host by a veth pair (host 10.203.0.1/30, namespace 10.203.0.2/30) with
// `tc qdisc add dev <veth> root netem delay 300ms rate 256kbit` on both
// ends: 600 ms round trip, 256 kbit/s each way. When the kernel has no
// netem (CONFIG_NET_SCH_NETEM unset, as on some VMs), it falls back to a
// pair of TUN devices joined by a shaper in this process that applies the
// same delay and rate per packet (-link tun forces it, -link netem
// refuses the fallback).
//
// It creates a throwaway database on the server in TEST_DATABASE_URL
// (else DATABASE_URL), builds cmcoord, loads the demo data (`cmcoord
// migrate up`, `cmcoord demo`), and runs `cmcoord serve -addr
// 10.203.0.2:8080` inside the namespace (`ip netns exec`), reaching
// PostgreSQL through its unix socket (a network namespace does not
// isolate the filesystem), or, when the server has no socket, through a
// relay listening on 127.0.0.1 inside the namespace.
//
// Then it drives headless Debian Chromium on the host with chromedp: the
// sign-in page, then the demo requester and the demo officer sign in,
// and each main page is opened twice — first with an empty HTTP cache
// (cold), then again (warm) — reporting first contentful paint,
// DOMContentLoaded, load and the bytes transferred (navigation plus
// resources, from the Resource Timing API). Then the requester fills a
// whole request twice on each form — the one-page form, then the guided
// form's nine steps — first cold, then warm, its inputs set through the
// DOM so that no typing is timed, and it reports each journey's page
// loads, bytes sent and received and time spent waiting on the network
// (journey.go). Everything it created goes on exit, Ctrl-C included.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/devtools/gobuild"
	"github.com/cmcoord/cmcoord/internal/pgserver"
)

type options struct {
	delay    time.Duration
	kbit     int
	mode     string
	port     int
	bin      string
	goCmd    string
	chromium string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "slowlink:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("slowlink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.delay, "delay", 300*time.Millisecond, "one-way delay, applied on each end")
	fs.IntVar(&o.kbit, "rate", 256, "bandwidth each way, kbit/s")
	fs.StringVar(&o.mode, "link", "auto", "auto (netem, else the TUN shaper), netem or tun")
	fs.IntVar(&o.port, "port", 8080, "port cmcoord serves on inside the namespace")
	fs.StringVar(&o.bin, "bin", "", "a built cmcoord binary (default: build ./cmd/cmcoord)")
	fs.StringVar(&o.goCmd, "go", "", "the go command used to build cmcoord (default: go on PATH)")
	fs.StringVar(&o.chromium, "chromium", "", "the browser (default: CHROMIUM_PATH, or chromium on PATH)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.mode != "auto" && o.mode != "netem" && o.mode != "tun" {
		return fmt.Errorf("-link %q: want auto, netem or tun", o.mode)
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stdout, "slowlink: "+format+"\n", a...) }

	if os.Geteuid() != 0 {
		return errors.New("needs root (network namespaces and tc): run it with sudo")
	}
	if err := ensureIPRoute(ctx, logf); err != nil {
		return err
	}
	serverURL := os.Getenv("TEST_DATABASE_URL")
	if serverURL == "" {
		serverURL = os.Getenv("DATABASE_URL")
	}
	if serverURL == "" {
		return errors.New("no PostgreSQL: set TEST_DATABASE_URL or DATABASE_URL, or run through `go run ./internal/devtools/testenv --` (make slowlink does)")
	}
	chromium, err := chromiumPath(o.chromium)
	if err != nil {
		return err
	}

	// Everything created from here on is undone in reverse order, on any
	// return: an error, the end, or Ctrl-C (which cancels ctx).
	var cleanups []func()
	defer func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}()

	l, err := setupLink(ctx, o.mode, o.delay, o.kbit, logf)
	if err != nil {
		return err
	}
	cleanups = append(cleanups, func() { l.close(); logf("removed namespace %s and the link", l.ns) })
	logf("namespace %s: %s (%s) %s/30 ⇄ %s (%s) %s/30, %s: delay %s and %d kbit/s on each end",
		l.ns, l.hostDev, "host", hostIP, l.nsDev, "namespace", nsIP, l.kind, o.delay, o.kbit)

	dbName := fmt.Sprintf("cmcoord_slowlink_%d", os.Getpid())
	dbURL, err := pgserver.EnsureDatabase(ctx, serverURL, dbName)
	if err != nil {
		return err
	}
	cleanups = append(cleanups, func() {
		if err := dropDatabase(serverURL, dbName); err != nil {
			logf("%v", err)
			return
		}
		logf("dropped database %s", dbName)
	})
	nsDBURL, stopRelay, err := namespaceURL(ctx, dbURL, l.ns)
	if err != nil {
		return err
	}
	if stopRelay != nil {
		cleanups = append(cleanups, stopRelay)
	}

	tmp, err := os.MkdirTemp("", "cmcoord-slowlink-*")
	if err != nil {
		return err
	}
	cleanups = append(cleanups, func() { os.RemoveAll(tmp) })
	bin := o.bin
	if bin == "" {
		bin = filepath.Join(tmp, "cmcoord")
		logf("building cmcoord")
		if err := gobuild.Cmcoord(ctx, o.goCmd, bin); err != nil {
			return err
		}
	}
	for _, args := range [][]string{{"migrate", "up"}, {"demo"}} {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "CMCOORD_LOG_FORMAT=text", "CMCOORD_LOG_LEVEL=warn")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("cmcoord %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	logf("database %s migrated, demo data loaded", dbName)

	srv, err := serve(ctx, bin, l.ns, fmt.Sprintf("%s:%d", nsIP, o.port), nsDBURL, tmp, logf)
	if err != nil {
		return err
	}
	cleanups = append(cleanups, func() { srv.stop(); logf("stopped cmcoord serve") })
	base := fmt.Sprintf("http://%s:%d", nsIP, o.port)

	// The link as TCP sees it: a connect is one round trip.
	var rtts []string
	for range 3 {
		t := time.Now()
		c, err := net.DialTimeout("tcp", fmt.Sprintf("%s:%d", nsIP, o.port), 10*time.Second)
		if err != nil {
			return fmt.Errorf("connect to %s: %w", base, err)
		}
		rtts = append(rtts, ms(time.Since(t)))
		c.Close()
	}
	logf("TCP connect to %s (one round trip): %s", base, strings.Join(rtts, ", "))

	rows, js, err := measure(ctx, chromium, base, tmp, logf)
	if err != nil {
		return err
	}
	report(stdout, o, l, rows, js)
	if d := l.drops(); d > 0 {
		logf("the shaper dropped %d packets (queue full)", d)
	}
	return ctx.Err()
}

// ensureIPRoute installs iproute2 when ip or tc is missing (we are root).
func ensureIPRoute(ctx context.Context, logf func(string, ...any)) error {
	_, errIP := exec.LookPath("ip")
	_, errTC := exec.LookPath("tc")
	if errIP == nil && errTC == nil {
		return nil
	}
	logf("ip or tc missing: apt-get install -y iproute2")
	cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "iproute2")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get install iproute2: %v\n%s", err, out)
	}
	return nil
}

func chromiumPath(flagged string) (string, error) {
	if flagged != "" {
		return flagged, nil
	}
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH")
}

// namespaceURL returns the URL the server inside the namespace uses: the
// server's unix socket when it has one, else a relay on the namespace's
// loopback to the TCP address of dbURL.
func namespaceURL(ctx context.Context, dbURL, ns string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", nil, err
	}
	var dirs, port string
	err = conn.QueryRow(ctx, `SELECT current_setting('unix_socket_directories'), current_setting('port')`).Scan(&dirs, &port)
	conn.Close(context.WithoutCancel(ctx))
	if err != nil {
		return "", nil, err
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	if dir := strings.TrimSpace(strings.Split(dirs, ",")[0]); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, ".s.PGSQL."+port)); err == nil {
			u.Host = ""
			q.Set("host", dir)
			q.Set("port", port)
			q.Del("sslmode")
			u.RawQuery = q.Encode()
			return u.String(), nil, nil
		}
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	addr, stop, err := relay(ns, target)
	if err != nil {
		return "", nil, fmt.Errorf("database relay into the namespace: %w", err)
	}
	u.Host = addr
	return u.String(), stop, nil
}

func dropDatabase(serverURL, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// server is `cmcoord serve` running inside the namespace.
type server struct {
	cmd  *exec.Cmd
	done chan error
}

var servingRE = regexp.MustCompile(`serving at (http://\S+)`)

func serve(ctx context.Context, bin, ns, addr, dbURL, tmp string, logf func(string, ...any)) (*server, error) {
	logPath := filepath.Join(tmp, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	// ip netns exec execs the command: the process is cmcoord itself.
	cmd := exec.Command("ip", "netns", "exec", ns, bin, "serve", "-addr", addr, "-log-format", "json")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "BASE_URL=http://"+addr)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { s.done <- cmd.Wait(); logFile.Close() }()
	select {
	case u := <-urls:
		logf("cmcoord serve in %s listening at %s", ns, u)
		return s, nil
	case err := <-s.done:
		b, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("cmcoord serve exited before listening (%v):\n%s", err, b)
	case <-time.After(60 * time.Second):
		s.stop()
		return nil, errors.New("cmcoord serve did not listen within 60 s")
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

// stop interrupts the server, as Ctrl-C would, and waits for it.
func (s *server) stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }
