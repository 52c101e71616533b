package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/demo"
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/syncbuf"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/migrations"
)

func noEnv(string) string { return "" }

// runCmd runs the binary's run in-process and returns its stdout.
func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut syncbuf.Buffer
	err := run(t.Context(), env{args: args, getenv: noEnv, stdin: strings.NewReader(""), stdout: &out, stderr: &errOut})
	if err != nil {
		t.Logf("stderr: %s", errOut.String())
	}
	return out.String(), err
}

// testServer is a whole cmcoord running in-process for a test.
type testServer struct {
	URL string // base URL, http://127.0.0.1:port
	DB  string // its database, for setting up data through the services
	// Out is what the server printed on its standard output.
	Out *syncbuf.Buffer
}

// startServer runs `cmcoord serve` in-process on a random port against a
// fresh database. The server is shut down gracefully when t ends, and the
// test fails if that shutdown fails. args are more flags of serve; one
// given twice takes its last value.
func startServer(t *testing.T, args ...string) testServer {
	t.Helper()
	return startServerOn(t, testdb.URL(t), args...)
}

// startServerOn is startServer on database dbURL, which another server may
// share (as instances behind one load balancer do).
func startServerOn(t *testing.T, dbURL string, args ...string) testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var logs syncbuf.Buffer
	out := new(syncbuf.Buffer)
	go func() {
		done <- run(ctx, env{
			args:   append([]string{"serve", "-addr", "127.0.0.1:0", "-database-url", dbURL, "-log-format", "json"}, args...),
			getenv: noEnv, stdin: strings.NewReader(""), stdout: out, stderr: &logs,
			ready: func(u string) { ready <- u },
		})
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve exited before listening: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("serve did not listen within 30 s\n%s", logs.String())
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve shut down with %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return testServer{URL: base, DB: dbURL, Out: out}
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	out, err := runCmd(t, "help")
	if err != nil || !strings.Contains(out, "serve") || !strings.Contains(out, "migrate") {
		t.Fatalf("help: err %v, out %q", err, out)
	}
	if _, err := runCmd(t, "fly"); err != errUsage {
		t.Fatalf("unknown command: err = %v, want errUsage", err)
	}
	if _, err := runCmd(t); err != errUsage {
		t.Fatalf("no command: err = %v, want errUsage", err)
	}
	if _, err := runCmd(t, "serve", "-log-level", "loud"); err == nil || !strings.Contains(err.Error(), "-log-level") {
		t.Fatalf("bad flag: err = %v", err)
	}
	if _, err := runCmd(t, "serve"); err != errNoDatabase {
		t.Fatalf("serve without a database: err = %v, want errNoDatabase", err)
	}
}

func TestRunMigrate(t *testing.T) {
	t.Parallel()
	url := testdb.EmptyURL(t)
	vs := migrations.Versions()
	if len(vs) < 2 {
		t.Fatalf("embedded versions %v: need two to step down", vs)
	}
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"version"}, "schema version 0 of"},
		{[]string{"up"}, "(clean)"},
		{[]string{"down"}, fmt.Sprintf("schema version %d of", vs[len(vs)-2])}, // the one before the latest
		{[]string{"down", "100"}, "schema version 0 of"},
		{[]string{"up"}, fmt.Sprintf("schema version %d of %d (clean)", migrations.Latest(), migrations.Latest())},
	}
	for _, s := range steps {
		out, err := runCmd(t, append([]string{"migrate", "-database-url", url}, s.args...)...)
		if err != nil {
			t.Fatalf("migrate %v: %v", s.args, err)
		}
		if !strings.Contains(out, s.want) {
			t.Fatalf("migrate %v printed %q, want %q", s.args, out, s.want)
		}
	}
	for _, bad := range [][]string{{}, {"sideways"}, {"down", "zero"}, {"down", "-1"}} {
		if _, err := runCmd(t, append([]string{"migrate", "-database-url", url}, bad...)...); err == nil {
			t.Errorf("migrate %v: err = nil, want a usage error", bad)
		}
	}
}

func TestRunDemo(t *testing.T) {
	t.Parallel()
	url := testdb.URL(t)
	out, err := runCmd(t, "demo", "-database-url", url)
	if err != nil || !strings.Contains(out, "Demo data loaded.") {
		t.Fatalf("first demo: err %v, out %q", err, out)
	}
	for _, want := range []string{"admin@example.org", "requester@example.org", "officer@example.org", "hct@example.org",
		"hc@example.org", "hrddp@example.org", "viewer@example.org", demo.Password} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// Every printed login works, and each holds its role in every operation.
	svc := services(t, url)
	for _, l := range demo.Logins() {
		u, err := svc.access.SignIn(t.Context(), l.Email, l.Password, "127.0.0.1", "")
		if err != nil {
			t.Fatalf("demo login %s: %v", l.Email, err)
		}
		a, err := svc.access.Actor(t.Context(), u.ID, u.SessionEpoch)
		if err != nil {
			t.Fatal(err)
		}
		if l.Email != "admin@example.org" && len(a.Operations) != 3 {
			t.Errorf("%s is a member of %d operations, want 3", l.Email, len(a.Operations))
		}
	}
	// Requests in every state this release knows, in every operation; the
	// officer sees all but drafts, and the audit trail verifies.
	reqs := service.NewRequests(store.New(testdb.Pool(t, url)), time.Now, discardLogger()).WithActionLimits(nil)
	officer := demoActor(t, svc, "officer@example.org")
	states := map[domain.Status]int{}
	for _, code := range []string{"NPL-EQ-DEMO", "SSD-CE-DEMO", "MOZ-TC-DEMO"} {
		_, page, err := reqs.List(t.Context(), officer, code, domain.RequestFilter{Limit: 100})
		if err != nil || len(page.Items) == 0 {
			t.Fatalf("%s: %d requests, %v", code, len(page.Items), err)
		}
		for _, r := range page.Items {
			states[r.Status]++
		}
	}
	for _, st := range []domain.Status{domain.StatusSubmitted, domain.StatusReturned, domain.StatusRedirected, domain.StatusWithdrawn,
		domain.StatusHCTReview, domain.StatusHCDecision, domain.StatusApproved, domain.StatusRejected, domain.StatusHandedOver} {
		if states[st] == 0 {
			t.Errorf("no demo request is %s (officer sees %v)", st, states)
		}
	}
	if states[domain.StatusDraft] != 0 {
		t.Errorf("the officer sees %d drafts", states[domain.StatusDraft])
	}
	ram := demoActor(t, svc, "requester@example.org")
	for _, op := range ram.Operations {
		if op.Code != "NPL-EQ-DEMO" {
			continue
		}
		drafts, err := reqs.Queue(t.Context(), ram, op.ID, domain.QueueMyDrafts)
		if err != nil || len(drafts) == 0 {
			t.Errorf("requester's drafts in %s: %d, %v", op.Code, len(drafts), err)
		}
	}
	if rep, err := reqs.VerifyAudit(t.Context()); err != nil || rep.Break != nil || rep.Events == 0 {
		t.Errorf("audit after demo: %+v, %v", rep, err)
	}

	out, err = runCmd(t, "demo", "-database-url", url)
	if err != nil || !strings.Contains(out, "loaded on an earlier run") {
		t.Fatalf("second demo: err %v, out %q", err, out)
	}
}

func demoActor(t *testing.T, svc testServices, email string) domain.Actor {
	t.Helper()
	u, err := svc.access.SignIn(t.Context(), email, demo.Password, "127.0.0.1", "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := svc.access.Actor(t.Context(), u.ID, u.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRunAdminAndToken(t *testing.T) {
	t.Parallel()
	url := testdb.URL(t)
	run1 := func(stdin string, args ...string) (string, error) {
		var out, errOut syncbuf.Buffer
		err := run(t.Context(), env{args: args, getenv: noEnv, stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut})
		return out.String(), err
	}
	out, err := run1("a long enough password\n", "admin", "create", "-database-url", url, "-email", "root@example.org", "-name", "Root Admin")
	if err != nil || !strings.Contains(out, "Created administrator Root Admin") {
		t.Fatalf("admin create: %v, %q", err, out)
	}
	if _, err := run1("short\n", "admin", "create", "-database-url", url, "-email", "two@example.org", "-name", "Two"); err == nil ||
		!strings.Contains(err.Error(), "too short") {
		t.Fatalf("admin create with a short password: err = %v, want too short", err)
	}
	if _, err := run1("a long enough password\n", "admin", "create", "-database-url", url, "-email", "ROOT@example.org", "-name", "Again"); err == nil ||
		!strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate admin: err = %v, want already exists", err)
	}
	if _, err := run1("", "admin", "create", "-database-url", url, "-name", "No Mail"); err == nil {
		t.Fatal("admin create without -email succeeded")
	}
	svc := services(t, url)
	root, err := svc.access.SignIn(t.Context(), "root@example.org", "a long enough password", "127.0.0.1", "")
	if err != nil {
		t.Fatalf("sign in as the new admin: %v", err)
	}
	// An administrator's token works once they have a second factor:
	// until then none is issued.
	if _, err := run1("", "token", "create", "-database-url", url, "-email", "root@example.org", "-name", "ci"); err == nil ||
		!strings.Contains(err.Error(), "second factor") {
		t.Fatalf("token for an administrator without a second factor: err = %v, want refused", err)
	}
	enrol(t, svc, root)
	out, err = run1("", "token", "create", "-database-url", url, "-email", "root@example.org", "-name", "ci")
	token := strings.TrimSpace(out)
	if err != nil || !strings.HasPrefix(token, "cmc_") || strings.Contains(token, " ") {
		t.Fatalf("token create: %v, %q", err, out)
	}
	a, err := svc.access.ActorForToken(t.Context(), token)
	if err != nil || a.Email != "root@example.org" || !a.IsAdmin {
		t.Fatalf("printed token authenticates %+v, %v", a, err)
	}
	if _, err := run1("", "token", "create", "-database-url", url, "-email", "nobody@example.org"); err == nil ||
		!strings.Contains(err.Error(), "no such user") {
		t.Fatalf("token for an unknown user: err = %v", err)
	}
}

// TestServeGracefulShutdown proves a request in flight when the signal
// arrives still completes, and that the server then stops.
func TestServeGracefulShutdown(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		_, _ = w.Write([]byte("finished"))
	})}
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(ctx, srv, ln, 5*time.Second, discardLogger()) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, err = b.ReadFrom(resp.Body)
		got <- result{b.String(), err}
	}()
	<-started
	cancel() // as SIGTERM would
	r := <-got
	if r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: body %q, err %v; want it to finish", r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("serveUntilDone = %v, want nil", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
}

func TestServeEndpoints(t *testing.T) {
	t.Parallel()
	base := startServer(t).URL
	// /metrics is not served to anyone without -metrics-addr or
	// -metrics-token (TestMetricsAccess).
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 404, "/": 200, "/nope": 404} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// TestDevBanner runs `cmcoord dev` (what `make run` runs) against a given
// DATABASE_URL: it loads the demo, serves, and prints the URL, the demo
// logins and the database the other commands need.
func TestDevBanner(t *testing.T) {
	t.Parallel()
	dbURL := testdb.URL(t)
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out, logs syncbuf.Buffer
	go func() {
		done <- run(ctx, env{
			args:   []string{"dev", "-addr", "127.0.0.1:0", "-data-dir", t.TempDir()},
			getenv: func(k string) string { return map[string]string{"DATABASE_URL": dbURL}[k] },
			stdin:  strings.NewReader(""), stdout: &out, stderr: &logs,
			ready: func(u string) { ready <- u },
		})
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("dev exited before listening: %v\n%s", err, logs.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("dev did not listen within 60 s\n%s", logs.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("dev: %v\n%s", err, logs.String())
	}
	banner := out.String()
	for _, want := range []string{"Demo data loaded.", "serving at " + base, "requester@example.org", demo.Password, "Database: " + redactURL(dbURL),
		"Metrics: http://127.0.0.1:"} { // make run's metrics: a loopback port of their own
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
}

// TestRunAuditVerify: `cmcoord audit verify` passes on the demo data,
// then names the event altered behind the append-only trigger's back.
func TestRunAuditVerify(t *testing.T) {
	t.Parallel()
	url := testdb.URL(t)
	if _, err := runCmd(t, "demo", "-database-url", url); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "audit", "verify", "-database-url", url)
	if err != nil || !strings.HasPrefix(out, "OK: ") {
		t.Fatalf("audit verify on intact data: %v, %q", err, out)
	}
	pool := testdb.Pool(t, url)
	var id, seq int64
	if err := pool.QueryRow(t.Context(), `SELECT id, seq FROM events WHERE seq = 2 ORDER BY id LIMIT 1`).Scan(&id, &seq); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(t.Context(), `UPDATE events SET at = at + interval '1 second' WHERE id = $1`, id); err == nil {
		t.Fatal("an event was changed with the append-only trigger on")
	}
	for _, q := range []string{
		`ALTER TABLE events DISABLE TRIGGER events_append_only`,
		`UPDATE events SET at = at + interval '1 second' WHERE id = ` + strconv.FormatInt(id, 10),
		`ALTER TABLE events ENABLE TRIGGER events_append_only`,
	} {
		if _, err := pool.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	out, err = runCmd(t, "audit", "verify", "-database-url", url)
	if err != errAuditBroken || !strings.Contains(out, fmt.Sprintf("event %d (seq 2)", id)) {
		t.Fatalf("audit verify after tampering: %v, %q; want a break at event %d", err, out, id)
	}
	if !strings.Contains(out, "OK: ") || !strings.Contains(out, "directory log entries verify") {
		t.Errorf("the intact directory log is not reported as such: %q", out)
	}
}

// TestRunAuditVerifyFiles: `cmcoord audit verify` rehashes every stored
// document of the demo data, then names the one whose content was
// changed behind the trigger's back.
func TestRunAuditVerifyFiles(t *testing.T) {
	t.Parallel()
	url := testdb.URL(t)
	if _, err := runCmd(t, "demo", "-database-url", url); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "audit", "verify", "-database-url", url)
	if err != nil || !strings.Contains(out, "OK: 3 stored documents") {
		t.Fatalf("audit verify on intact data: %v, %q", err, out)
	}
	pool := testdb.Pool(t, url)
	var id, reqID int64
	if err := pool.QueryRow(t.Context(), `SELECT id, request_id FROM attachments ORDER BY id LIMIT 1`).Scan(&id, &reqID); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(t.Context(), `UPDATE file_chunks SET data = 'x' WHERE file_id = (SELECT file_id FROM attachments WHERE id = $1)`, id); err == nil {
		t.Fatal("a stored file was changed with its trigger on")
	}
	for _, q := range []string{
		`ALTER TABLE file_chunks DISABLE TRIGGER file_chunks_guard`,
		`UPDATE file_chunks SET data = overlay(data placing '9' from 20 for 1) WHERE file_id = (SELECT file_id FROM attachments WHERE id = ` + strconv.FormatInt(id, 10) + `)`,
		`ALTER TABLE file_chunks ENABLE TRIGGER file_chunks_guard`,
	} {
		if _, err := pool.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	out, err = runCmd(t, "audit", "verify", "-database-url", url)
	if err != errAuditBroken || !strings.Contains(out, fmt.Sprintf("BROKEN: request %d, document %d: content differs", reqID, id)) {
		t.Fatalf("audit verify after tampering: %v, %q; want document %d named", err, out, id)
	}
	if !strings.Contains(out, "1 differ") || !strings.Contains(out, "request chains verify") {
		t.Errorf("the report does not say one document differs and the chains hold: %q", out)
	}
}

// TestRunAuditVerifyDirectoryLog: `cmcoord audit verify` checks the
// directory log too (the demo's organisations, users, operations and
// memberships are all in it), and fails, naming the entry, once one is
// altered behind the append-only trigger's back by a superuser.
func TestRunAuditVerifyDirectoryLog(t *testing.T) {
	t.Parallel()
	url := testdb.URL(t)
	if _, err := runCmd(t, "demo", "-database-url", url); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "audit", "verify", "-database-url", url)
	if err != nil || !strings.Contains(out, "directory log entries verify") || strings.Contains(out, "OK: 0 directory") {
		t.Fatalf("audit verify on intact data: %v, %q", err, out)
	}
	// The head printed now, kept elsewhere, catches the newest entries
	// removed later — which the chain alone cannot (what is left still
	// verifies).
	m := regexp.MustCompile(`Directory log head: (\d+:[0-9a-f]{64})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("audit verify printed no head: %q", out)
	}
	pool := testdb.Pool(t, url)
	if out, err := runCmd(t, "audit", "verify", "-database-url", url, "-directory-head", m[1]); err != nil {
		t.Fatalf("audit verify against its own head: %v, %q", err, out)
	}
	for _, q := range []string{
		`ALTER TABLE directory_events DISABLE TRIGGER directory_events_append_only`,
		`DELETE FROM directory_events WHERE seq = (SELECT max(seq) FROM directory_events)`,
		`ALTER TABLE directory_events ENABLE TRIGGER directory_events_append_only`,
	} {
		if _, err := pool.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := runCmd(t, "audit", "verify", "-database-url", url); err != nil {
		t.Fatalf("without the head, the shortened log still verifies: %v, %q", err, out)
	}
	if out, err := runCmd(t, "audit", "verify", "-database-url", url, "-directory-head", m[1]); err != errAuditBroken || !strings.Contains(out, "entries were removed") {
		t.Fatalf("audit verify against the recorded head after removing the newest entry: %v, %q", err, out)
	}
	var id, seq int64
	if err := pool.QueryRow(t.Context(), `SELECT id, seq FROM directory_events WHERE action = 'member.added' ORDER BY seq LIMIT 1`).Scan(&id, &seq); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(t.Context(), `DELETE FROM directory_events WHERE id = $1`, id); err == nil {
		t.Fatal("a directory log entry was deleted with the append-only trigger on")
	}
	for _, q := range []string{
		`ALTER TABLE directory_events DISABLE TRIGGER directory_events_append_only`,
		`UPDATE directory_events SET payload = replace(payload, '"requester"', '"hc"') WHERE id = ` + strconv.FormatInt(id, 10),
		`ALTER TABLE directory_events ENABLE TRIGGER directory_events_append_only`,
	} {
		if _, err := pool.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	out, err = runCmd(t, "audit", "verify", "-database-url", url)
	if err != errAuditBroken || !strings.Contains(out, fmt.Sprintf("directory log, entry %d (seq %d)", id, seq)) {
		t.Fatalf("audit verify after tampering: %v, %q; want a break at entry %d", err, out, id)
	}
}

// TestServeWaitsForTheDatabase: an instance started before its database
// answers does not exit: it tries again with backoff (logging each wait)
// and serves once the database is there. Its connections are bounded
// (statement and lock timeouts, a maximum).
func TestServeWaitsForTheDatabase(t *testing.T) {
	t.Parallel()
	dbURL := testdb.URL(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	// A port nothing listens on yet; the database appears there later,
	// through a forwarder.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	late := ln.Addr().String()
	ln.Close()
	target := u.Host
	u.Host = late
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var logs syncbuf.Buffer
	go func() {
		done <- run(ctx, env{
			args: []string{"serve", "-addr", "127.0.0.1:0", "-database-url", u.String(), "-log-format", "json",
				"-db-wait", "30s", "-db-statement-timeout", "7s", "-db-lock-timeout", "3s"},
			getenv: noEnv, stdin: strings.NewReader(""), stdout: new(syncbuf.Buffer), stderr: &logs,
			ready: func(u string) { ready <- u },
		})
	}()
	time.Sleep(1500 * time.Millisecond) // a wait or two
	fwd, err := net.Listen("tcp", late)
	if err != nil {
		t.Fatal(err)
	}
	defer fwd.Close()
	go func() {
		for {
			c, err := fwd.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				d, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer d.Close()
				go func() { _, _ = io.Copy(d, c) }()
				_, _ = io.Copy(c, d)
			}()
		}
	}()
	select {
	case base := <-ready:
		r, err := http.Get(base + "/healthz")
		if err != nil || r.StatusCode != http.StatusOK {
			t.Fatalf("healthz after the database came: %v %v", r, err)
		}
		r.Body.Close()
	case err := <-done:
		t.Fatalf("serve exited instead of waiting for the database: %v\n%s", err, logs.String())
	case <-time.After(40 * time.Second):
		t.Fatalf("serve did not start\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "database not answering; trying again") {
		t.Errorf("no wait was logged:\n%s", logs.String())
	}
	cancel()
	<-done

	// The bounds reach every connection.
	pool, err := store.OpenPool(t.Context(), dbURL, store.PoolOptions{MaxConns: 3, StatementTimeout: 7 * time.Second, LockTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var st, lt string
	if err := pool.QueryRow(t.Context(), `SELECT current_setting('statement_timeout'), current_setting('lock_timeout')`).Scan(&st, &lt); err != nil {
		t.Fatal(err)
	}
	if st != "7s" || lt != "3s" || pool.Config().MaxConns != 3 {
		t.Errorf("statement_timeout %s, lock_timeout %s, max %d; want 7s, 3s, 3", st, lt, pool.Config().MaxConns)
	}
}

// TestServeShutdownIsBounded: a request still running at the end of the
// shutdown timeout is cut (its context ends, as a database wait would
// see) and serve reports it (exit status 1), rather than waiting for it.
func TestServeShutdownIsBounded(t *testing.T) {
	t.Parallel()
	started, cut := make(chan struct{}), make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done() // a request that would run as long as the database hangs
		close(cut)
	})}
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(ctx, srv, ln, 200*time.Millisecond, discardLogger()) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	if err := <-done; !errors.Is(err, errNotDrained) {
		t.Fatalf("serveUntilDone = %v, want errNotDrained", err)
	}
	<-cut // the handler's context ended with the connection
}

// TestHardStop: once told to stop, a process that has not finished
// within the grace time is ended with status 1; one that finished is not.
func TestHardStop(t *testing.T) {
	t.Parallel()
	for _, finishes := range []bool{true, false} {
		ctx, cancel := context.WithCancel(t.Context())
		exited := make(chan int, 1)
		stopped := hardStopAfter(ctx, 100*time.Millisecond, discardLogger(), func(code int) { exited <- code })
		cancel()
		if finishes {
			stopped()
			select {
			case code := <-exited:
				t.Errorf("a process that finished was ended with %d", code)
			case <-time.After(500 * time.Millisecond):
			}
			continue
		}
		if code := <-exited; code != 1 {
			t.Errorf("hard stop exit status = %d, want 1", code)
		}
		stopped()
	}
}

// TestFullPoolWaits: with one database connection for the whole server,
// forty requests at once all answer — they wait their turn for the
// connection rather than fail while it is in use.
func TestFullPoolWaits(t *testing.T) {
	t.Parallel()
	base := startServer(t, "-db-max-conns", "1").URL
	var wg sync.WaitGroup
	codes := make(chan int, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(base + []string{"/readyz", "/login"}[i%2])
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("a request on the full pool answered %d, want 200", c)
		}
	}
}

// TestServeReviewJobInterval: -review-job-interval sets how often each
// instance runs the deadline job. The job runs once at start; reviews
// whose deadline passes afterwards are closed by its next run — within
// the interval of 1 s here, not the default minute.
func TestServeReviewJobInterval(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "-review-job-interval", "1s")
	if _, err := runCmd(t, "demo", "-database-url", ts.DB); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), ts.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var due int
	if err := conn.QueryRow(t.Context(), `WITH d AS (UPDATE reviews SET opened_at = now() - interval '2 hours',
		deadline = now() - interval '1 second', remind_at = now() - interval '1 hour'
		WHERE closed_at IS NULL RETURNING id) SELECT count(*) FROM d`).Scan(&due); err != nil {
		t.Fatal(err)
	}
	if due == 0 {
		t.Fatal("the demo data has no open review")
	}
	// Far longer than the interval, far shorter than the default minute.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var open int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM reviews WHERE closed_at IS NULL`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d reviews past their deadline still open after 30 s with -review-job-interval 1s", open, due)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestServeStoppedWhileWaiting: a signal to stop while the server still
// waits for its database ends it as asked — exit status 0, not an error.
func TestServeStoppedWhileWaiting(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var logs syncbuf.Buffer
	go func() {
		done <- run(ctx, env{
			args:   []string{"serve", "-addr", "127.0.0.1:0", "-database-url", "postgres://nobody@" + dead + "/none?sslmode=disable", "-db-wait", "60s"},
			getenv: noEnv, stdin: strings.NewReader(""), stdout: new(syncbuf.Buffer), stderr: &logs,
		})
	}()
	for !strings.Contains(logs.String(), "database") { // it is waiting
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("stopped while waiting for the database: %v, want nil (exit 0)\n%s", err, logs.String())
	}
}
