package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// server is one `cmcoord serve` process on a fixed address, which can be
// killed (SIGKILL) and started again on the same address.
type server struct {
	e       *env
	name    string
	addr    string // host:port, the same across restarts
	dbURL   string
	args    []string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
}

var servingRE = regexp.MustCompile(`serving at (http://\S+)`)

// startServer starts `cmcoord serve` on a free loopback port against
// databaseURL, with extra flags, and waits until it listens.
func (e *env) startServer(ctx context.Context, name, databaseURL string, extra ...string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &server{e: e, name: name, addr: addr, dbURL: databaseURL, args: extra,
		logPath: filepath.Join(e.tmp, name+".server.log")}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	e.servers = append(e.servers, s)
	return s, nil
}

// baseURL is where the server answers.
func (s *server) baseURL() string { return "http://" + s.addr }

// start runs the process and waits (up to 2 minutes: it waits for its
// database with backoff) until it announces that it serves.
func (s *server) start(ctx context.Context) error {
	logFile, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	args := append([]string{"serve", "-addr", s.addr, "-log-format", "json"}, s.args...)
	cmd := exec.Command(s.e.bin, args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+s.dbURL)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return err
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", s.e.bin, err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	up := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		said := false
		for sc.Scan() {
			if !said && servingRE.MatchString(sc.Text()) {
				said = true
				close(up)
			}
		}
	}()
	done := s.done
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(done)
	}()
	select {
	case <-up:
		return nil
	case <-done:
		return fmt.Errorf("cmcoord serve %s exited before serving; log %s:\n%s", s.name, s.logPath, s.logTail())
	case <-time.After(2 * time.Minute):
		s.kill()
		return fmt.Errorf("cmcoord serve %s did not serve within 2 minutes; log %s", s.name, s.logPath)
	case <-ctx.Done():
		s.kill()
		return ctx.Err()
	}
}

// kill ends the process with SIGKILL, as a crash or the OOM killer would,
// and waits for it to be gone.
func (s *server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// stop interrupts the process (graceful shutdown) and waits for it.
func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.kill()
	}
}

// logTail is the end of the server's log.
func (s *server) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return ""
	}
	return lastLines(string(b), 10)
}

// logLines returns the log lines containing every one of parts.
func (s *server) logLines(parts ...string) []string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		ok := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}
