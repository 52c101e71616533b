package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/devtools/gobuild"
	"github.com/cmcoord/cmcoord/internal/pgserver"
)

// env is one drill's world: its temporary directory, the cmcoord binary,
// and the clusters and servers to stop at the end.
type env struct {
	o        options
	name     string
	tmp      string
	bin      string
	out      io.Writer
	start    time.Time
	clusters []*pgserver.Cluster
	servers  []*server
}

// newEnv makes the temporary directory (searchable by the PostgreSQL OS
// user, which runs the servers when we are root) and builds cmcoord.
func newEnv(ctx context.Context, o options, name string, out io.Writer) (*env, error) {
	tmp, err := os.MkdirTemp("", "cmcoord-drill-"+name+"-*")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	e := &env{o: o, name: name, tmp: tmp, bin: o.bin, out: out, start: time.Now()}
	if e.bin == "" {
		e.bin = filepath.Join(tmp, "cmcoord")
		e.logf("building cmcoord into %s", e.bin)
		if err := gobuild.Cmcoord(ctx, o.goCmd, e.bin); err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
	}
	return e, nil
}

// logf prints one progress line, with the seconds since the drill began.
func (e *env) logf(format string, a ...any) {
	fmt.Fprintf(e.out, "drill %s %6.1fs: %s\n", e.name, time.Since(e.start).Seconds(), fmt.Sprintf(format, a...))
}

// close stops every server and cluster still running, then removes the
// temporary directory unless -keep or the drill failed.
func (e *env) close(failed bool) {
	for _, s := range e.servers {
		s.stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, c := range e.clusters {
		if err := c.Stop(ctx); err != nil {
			e.logf("stop cluster %s: %v", c.Dir, err)
		}
	}
	if e.o.keep || failed {
		e.logf("kept %s (clusters, their logs *.log, the server logs *.server.log)", e.tmp)
		return
	}
	os.RemoveAll(e.tmp)
}

// cluster starts (initialising it first) a PostgreSQL cluster in the
// temporary directory, with durable settings: fsync and synchronous
// commit on, as in production.
func (e *env) cluster(ctx context.Context, name string) (*pgserver.Cluster, error) {
	c, err := pgserver.StartCluster(ctx, pgserver.ClusterOptions{Dir: filepath.Join(e.tmp, name)})
	if err != nil {
		return nil, err
	}
	e.clusters = append(e.clusters, c)
	e.logf("PostgreSQL %s %q on 127.0.0.1:%d", c.Version, name, c.Port)
	return c, nil
}

// adopt starts a cluster from a data directory made by pg_basebackup (a
// standby, or a restore in progress). The port recorded by the copied
// cmcoord.conf belongs to the original: it is dropped, a free one chosen.
func (e *env) adopt(ctx context.Context, name string) (*pgserver.Cluster, error) {
	if err := os.Remove(filepath.Join(e.tmp, name, "cmcoord.conf")); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	return e.cluster(ctx, name)
}

// mkdirFor makes dir (0700) owned by the user PostgreSQL runs as.
func mkdirFor(c *pgserver.Cluster, dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	return c.Own(dir)
}

// ctl runs pg_ctl on c's data directory.
func ctl(ctx context.Context, c *pgserver.Cluster, args ...string) error {
	_, err := c.Run(ctx, "pg_ctl", append([]string{"-D", c.Dir}, args...)...)
	return err
}

// stopImmediate stops c at once, as a crash would (no checkpoint).
func stopImmediate(ctx context.Context, c *pgserver.Cluster) error {
	return ctl(ctx, c, "-m", "immediate", "-w", "-t", "60", "stop")
}

// startAgain starts c after stopImmediate.
func startAgain(ctx context.Context, c *pgserver.Cluster) error {
	return ctl(ctx, c, "-l", c.LogFile, "-w", "-t", "120", "start")
}

// restartFast restarts c: sessions are ended, a checkpoint taken.
func restartFast(ctx context.Context, c *pgserver.Cluster) error {
	return ctl(ctx, c, "-l", c.LogFile, "-m", "fast", "-w", "-t", "120", "restart")
}

// baseBackup takes a base backup of c into dir with pg_basebackup over
// the replication protocol (WAL streamed alongside, a fast checkpoint),
// adding extra arguments (-R for a standby).
func baseBackup(ctx context.Context, c *pgserver.Cluster, dir string, extra ...string) error {
	if err := mkdirFor(c, dir); err != nil {
		return err
	}
	args := append([]string{"-D", dir, "-h", "127.0.0.1", "-p", fmt.Sprint(c.Port), "-U", "postgres",
		"-c", "fast", "-X", "stream"}, extra...)
	_, err := c.Run(ctx, "pg_basebackup", args...)
	return err
}

// dbURL is c's URL for database name.
func dbURL(c *pgserver.Cluster, name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, name)
}

// cmcoord runs the cmcoord binary against databaseURL (passed in the
// environment, as in production) and returns its standard output; its
// standard error goes to the drill's log.
func (e *env) cmcoord(ctx context.Context, databaseURL string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, e.bin, args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL, "CMCOORD_LOG_FORMAT=json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("cmcoord %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), lastLines(stderr.String(), 10))
	}
	return stdout.String(), nil
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freeAddr returns a loopback address with a port free now, for a server
// that must come back on the same address after being killed.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
