package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/cmcoord/cmcoord/internal/devtools/gobuild"
)

// server is a running `cmcoord serve`.
type server struct {
	cmd     *exec.Cmd
	tmp     string // temporary directory: the built binary and the log
	logPath string
	baseURL string
	done    chan error
	keepLog bool // set when requests failed: the log explains them
}

var servingRE = regexp.MustCompile(`serving at (http://\S+)`)

// startServer builds cmcoord (unless -bin) and starts `cmcoord serve` on
// a free loopback port against databaseURL: the real binary, with its
// migrations check, middleware, sessions and logging, as deployed.
//
// The deadline job runs every second (-review-job-interval 1s): the quiet
// runs start once it has nothing left to do (settle), and the backlog
// phase measures it. /metrics is served on the main address behind
// metricsToken (the allocation counters).
func startServer(ctx context.Context, o options, databaseURL, metricsToken string, logf func(string, ...any)) (*server, error) {
	tmp, err := os.MkdirTemp("", "cmcoord-bench-*")
	if err != nil {
		return nil, err
	}
	s := &server{tmp: tmp, logPath: filepath.Join(tmp, "server.log"), done: make(chan error, 1)}
	bin := o.bin
	if bin == "" {
		bin = filepath.Join(tmp, "cmcoord")
		if err := gobuild.Cmcoord(ctx, o.goCmd, bin); err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
	}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve", "-addr", "127.0.0.1:0", "-log-format", "json", "-review-job-interval", "1s")
	// The database URL and the metrics token go through the environment,
	// not argv (ps shows argv).
	s.cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL, "CMCOORD_METRICS_TOKEN="+metricsToken, "CMCOORD_METRICS_ADDR=")
	s.cmd.Stderr = logFile
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
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
	go func() {
		s.done <- s.cmd.Wait()
		logFile.Close()
	}()
	select {
	case s.baseURL = <-urls:
	case err := <-s.done:
		return nil, fmt.Errorf("cmcoord serve exited before listening (%v); log: %s", err, s.logPath)
	case <-time.After(60 * time.Second):
		s.stop(logf)
		return nil, errors.New("cmcoord serve did not listen within 60 s")
	case <-ctx.Done():
		s.stop(logf)
		return nil, ctx.Err()
	}
	logf("cmcoord serve (%s) listening at %s; log in %s", bin, s.baseURL, s.logPath)
	return s, nil
}

// stop interrupts the server, as Ctrl-C would, and waits for its graceful
// shutdown. The temporary directory goes too, unless requests failed or
// the log shows an error worth reading.
func (s *server) stop(logf func(string, ...any)) {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	if s.keepLog || logHasErrors(s.logPath) {
		logf("kept the server log %s", s.logPath)
		return
	}
	os.RemoveAll(s.tmp)
}

func logHasErrors(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), `"level":"ERROR"`)
}
