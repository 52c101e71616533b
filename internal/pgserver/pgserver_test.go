package pgserver_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/pgserver"
)

// clusterParent returns a fresh directory, removed at the end of the test,
// that the PostgreSQL OS user can traverse when the test runs as root
// (t.TempDir's parent is 0700).
func clusterParent(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgserver-test-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func startCluster(t *testing.T, ctx context.Context, dir string) *pgserver.Cluster {
	t.Helper()
	c, err := pgserver.StartCluster(ctx, pgserver.ClusterOptions{
		Dir: dir, Ephemeral: true, Out: t.Output(), Log: testLogger(t),
	})
	if err != nil {
		t.Fatalf("StartCluster: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Errorf("cleanup Stop: %v", err)
		}
	})
	return c
}

func TestClusterLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	dir := filepath.Join(clusterParent(t), "pg")

	c1 := startCluster(t, ctx, dir)
	if !c1.StartedHere() {
		t.Fatal("first StartCluster: StartedHere = false, want true")
	}
	wantURL := "postgres://postgres@127.0.0.1:" + strconv.Itoa(c1.Port) + "/postgres?sslmode=disable"
	if c1.URL != wantURL {
		t.Errorf("URL = %q, want %q", c1.URL, wantURL)
	}
	if !strings.HasPrefix(c1.Version, "1") {
		t.Errorf("Version = %q, want a PostgreSQL version", c1.Version)
	}
	if err := pgserver.Ping(ctx, c1.URL); err != nil {
		t.Fatalf("Ping: %v", err)
	}

	dbURL, err := pgserver.EnsureDatabase(ctx, c1.URL, "pgserver test")
	if err != nil {
		t.Fatalf("EnsureDatabase: %v", err)
	}
	u, err := url.Parse(dbURL)
	if err != nil || u.Path != "/pgserver test" || u.Port() != strconv.Itoa(c1.Port) {
		t.Fatalf("EnsureDatabase URL = %q (%v), want path /pgserver test on port %d", dbURL, err, c1.Port)
	}
	if err := pgserver.Ping(ctx, dbURL); err != nil {
		t.Fatalf("Ping new database: %v", err)
	}
	again, err := pgserver.EnsureDatabase(ctx, c1.URL, "pgserver test")
	if err != nil || again != dbURL {
		t.Fatalf("second EnsureDatabase = %q, %v; want %q, nil", again, err, dbURL)
	}

	// A second StartCluster on the same directory reuses the running server.
	c2, err := pgserver.StartCluster(ctx, pgserver.ClusterOptions{Dir: dir, Ephemeral: true, Log: testLogger(t)})
	if err != nil {
		t.Fatalf("second StartCluster: %v", err)
	}
	if c2.StartedHere() || c2.Port != c1.Port || c2.URL != c1.URL {
		t.Fatalf("second StartCluster: StartedHere=%v port=%d url=%q; want false, %d, %q", c2.StartedHere(), c2.Port, c2.URL, c1.Port, c1.URL)
	}
	if err := c2.Stop(ctx); err != nil {
		t.Fatalf("Stop of reused cluster: %v", err)
	}
	if err := pgserver.Ping(ctx, c1.URL); err != nil {
		t.Fatalf("Ping after Stop of reused cluster (must be a no-op): %v", err)
	}

	// DATABASE_URL is used unchanged.
	var out bytes.Buffer
	got, cl, err := pgserver.Resolve(ctx, pgserver.ResolveOptions{DatabaseURL: dbURL, Out: &out, Log: testLogger(t)})
	if err != nil || got != dbURL || cl != nil {
		t.Fatalf("Resolve(DatabaseURL) = %q, %v, %v; want %q, nil, nil", got, cl, err, dbURL)
	}
	if !strings.HasPrefix(out.String(), "database: DATABASE_URL") {
		t.Errorf("Resolve output = %q, want a DATABASE_URL line", out.String())
	}

	// Keep the pid file so a stale one can be put back after the stop.
	pidFile := filepath.Join(dir, "postmaster.pid")
	pidData, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := c1.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if c1.StartedHere() {
		t.Error("StartedHere after Stop = true, want false")
	}
	if err := pgserver.Ping(ctx, c1.URL); err == nil {
		t.Fatal("Ping after Stop succeeded, want an error")
	}
	if err := c1.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}

	// Restarting an initialised directory with a stale postmaster.pid works
	// and keeps the recorded port and the data.
	if err := os.WriteFile(pidFile, pidData, 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	} else if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		if err := os.Chown(pidFile, int(st.Uid), int(st.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	c3 := startCluster(t, ctx, dir)
	if !c3.StartedHere() || c3.Port != c1.Port {
		t.Fatalf("restart: StartedHere=%v port=%d; want true, %d", c3.StartedHere(), c3.Port, c1.Port)
	}
	if err := pgserver.Ping(ctx, dbURL); err != nil {
		t.Fatalf("Ping database after restart: %v", err)
	}
}

func TestResolveFallsBackToPrivateCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()

	// A port with nothing listening on it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dataDir := filepath.Join(clusterParent(t), "data", "postgres")

	var out bytes.Buffer
	dbURL, c, err := pgserver.Resolve(ctx, pgserver.ResolveOptions{
		LocalURLs: []string{"postgres://postgres@127.0.0.1:" + strconv.Itoa(deadPort) + "/postgres?sslmode=disable"},
		DataDir:   dataDir,
		DBName:    "resolve_test",
		Out:       &out,
		Log:       testLogger(t),
	})
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if c == nil {
		t.Fatal("Resolve returned no cluster, want a private one")
	}
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Errorf("cleanup Stop: %v", err)
		}
	})
	t.Logf("Resolve output:\n%s", out.String())
	if !c.StartedHere() {
		t.Error("StartedHere = false, want true")
	}
	if want := "database: private cluster in " + dataDir + " (port " + strconv.Itoa(c.Port) + ")\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("Resolve output does not end with %q:\n%s", want, out.String())
	}
	u, err := url.Parse(dbURL)
	if err != nil || u.Path != "/resolve_test" || u.Port() != strconv.Itoa(c.Port) {
		t.Fatalf("Resolve URL = %q, want database resolve_test on port %d", dbURL, c.Port)
	}
	if err := pgserver.Ping(ctx, dbURL); err != nil {
		t.Fatalf("Ping: %v", err)
	}

	// A second Resolve reuses the running private cluster.
	out.Reset()
	dbURL2, c2, err := pgserver.Resolve(ctx, pgserver.ResolveOptions{
		LocalURLs: []string{}, DataDir: dataDir, DBName: "resolve_test", Out: &out,
	})
	if err != nil || dbURL2 != dbURL || c2 == nil || c2.StartedHere() {
		t.Fatalf("second Resolve = %q, %v, %v; want %q and a reused cluster", dbURL2, c2, err, dbURL)
	}
	if !strings.Contains(out.String(), "already running") {
		t.Errorf("second Resolve output = %q, want it to say already running", out.String())
	}
}

// TestClusterRun: Run runs the installation's programs as the server's
// OS user, in a directory Own gave it: a base backup of the running
// cluster lands there, and a failing program's error carries its output.
func TestClusterRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	parent := clusterParent(t)
	c := startCluster(t, ctx, filepath.Join(parent, "pg"))
	out, err := c.Run(ctx, "pg_ctl", "-D", c.Dir, "status")
	if err != nil || !strings.Contains(string(out), "server is running") {
		t.Fatalf("pg_ctl status = %q, %v; want the server running", out, err)
	}
	backup := filepath.Join(parent, "backup")
	if err := os.Mkdir(backup, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := c.Own(backup); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Run(ctx, "pg_basebackup", "-D", backup, "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", "postgres", "-c", "fast"); err != nil {
		t.Fatalf("pg_basebackup: %v", err)
	}
	if _, err := os.Stat(filepath.Join(backup, "PG_VERSION")); err != nil {
		t.Errorf("the base backup has no PG_VERSION: %v", err)
	}
	if _, err := c.Run(ctx, "pg_ctl", "-D", filepath.Join(parent, "none"), "status"); err == nil || !strings.Contains(err.Error(), "pg_ctl") {
		t.Errorf("pg_ctl status of no cluster: err %v, want an error naming pg_ctl", err)
	}
}
