package main

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/cmcoord/cmcoord/internal/testutil/syncbuf"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// TestServeInboundSMTP: with -inbound-smtp-addr, serve answers SMTP there
// (refusing an address that is no reply address, and a forged one), and
// the listener stops with the server.
func TestServeInboundSMTP(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var logs, out syncbuf.Buffer
	go func() {
		done <- run(ctx, env{
			args: []string{"serve", "-addr", "127.0.0.1:0", "-database-url", testdb.URL(t), "-log-format", "json",
				"-inbound-smtp-addr", addr, "-reply-domain", "reply.example.org"},
			getenv: noEnv, stdin: strings.NewReader(""), stdout: &out, stderr: &logs,
			ready: func(u string) { ready <- u },
		})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve exited before listening: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not listen within 30 s\n%s", logs.String())
	}
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatalf("dial the inbound listener: %v\n%s", err, logs.String())
	}
	if err := c.Mail("someone@example.net", nil); err != nil {
		t.Fatal(err)
	}
	var se *smtp.SMTPError
	for _, rcpt := range []string{"postmaster@reply.example.org", "reply+" + strings.Repeat("a", 52) + "@reply.example.org"} {
		if err := c.Rcpt(rcpt, nil); !errors.As(err, &se) || se.Code != 550 {
			t.Errorf("RCPT %s = %v, want 550", rcpt, err)
		}
	}
	_ = c.Quit()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve = %v\n%s", err, logs.String())
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("the inbound listener still accepts connections after shutdown")
	}
	if !strings.Contains(logs.String(), "inbound SMTP stopped") {
		t.Errorf("log does not say the listener stopped:\n%s", logs.String())
	}
}
