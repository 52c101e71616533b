// Package clamdtest runs a real ClamAV daemon (Debian's clamav-daemon,
// /usr/sbin/clamd) for a test, on a Unix socket in a directory of its
// own, with a signature database the test writes itself: the EICAR test
// file's SHA-256, so the EICAR string is detected and everything else is
// clean. No signature download happens, and the system's clamd service
// (if any) is never used.
package clamdtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/scan"
	"github.com/cmcoord/cmcoord/internal/testutil/syncbuf"
)

// Signature is the name the test database gives the EICAR test file.
// clamd reports it with ".UNOFFICIAL" appended, as it does every
// signature of a database ClamAV did not sign.
const Signature = "Eicar-Test-Signature"

// EICAR returns the 68-byte EICAR anti-virus test file. It is built from
// two halves so that no file of the repository holds it whole (scanners
// flag a repository that does).
func EICAR() []byte {
	const a = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD`
	const b = `-ANTIVIRUS-TEST-FILE!$H+H*`
	return []byte(a + b)
}

// Server is a running clamd.
type Server struct {
	// Addr is the daemon's address as scan.New and -clamd-addr take it
	// ("unix:/tmp/…/clamd.ctl").
	Addr string
	// Client is a client of it, with a 60 s timeout.
	Client *scan.Client
	// Dir holds the configuration, database, log and socket.
	Dir string
}

// Option changes the daemon's configuration.
type Option func(*options)

type options struct {
	streamMaxLength string
	tcp             bool
}

// TCP makes clamd also listen on a loopback TCP port, and Server.Addr
// and Client use it instead of the Unix socket.
func TCP() Option {
	return func(o *options) { o.tcp = true }
}

// StreamMaxLength sets clamd's StreamMaxLength (such as "1M"; default
// "200M"): a longer INSTREAM is refused with "size limit exceeded".
func StreamMaxLength(size string) Option {
	return func(o *options) { o.streamMaxLength = size }
}

// Start runs a clamd for t and returns a client of it. The daemon is
// killed when t ends.
func Start(t testing.TB, opts ...Option) *scan.Client {
	t.Helper()
	return Run(t, opts...).Client
}

// Run runs a clamd for t, waits until it answers PING and returns it; the
// daemon is killed and its directory removed when t ends. Without a
// clamd binary t fails, saying how to install one.
func Run(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := options{streamMaxLength: "200M"}
	for _, opt := range opts {
		opt(&o)
	}
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: a Unix socket's path is limited to 107 bytes, which
	// a long test name would exceed.
	dir, err := os.MkdirTemp("", "clamd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	db := filepath.Join(dir, "db")
	if err := os.Mkdir(db, 0o700); err != nil {
		t.Fatal(err)
	}
	// A .hsb line is SHA256:size:name; the file must match whole.
	sum := sha256.Sum256(EICAR())
	line := fmt.Sprintf("%s:%d:%s\n", hex.EncodeToString(sum[:]), len(EICAR()), Signature)
	if err := os.WriteFile(filepath.Join(db, "test.hsb"), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(dir, "clamd.ctl")
	logFile := filepath.Join(dir, "clamd.log")
	conf := strings.Join([]string{
		"Foreground yes",
		"LocalSocket " + socket,
		"DatabaseDirectory " + db,
		"TemporaryDirectory " + dir,
		"LogFile " + logFile,
		"LogTime yes",
		"StreamMaxLength " + o.streamMaxLength,
		// As docs/deployment.md asks of production: a file past the
		// limits is refused, not skipped and called clean.
		"MaxFileSize " + o.streamMaxLength,
		"MaxScanSize " + o.streamMaxLength,
		"AlertExceedsMax yes",
		"MaxThreads 4",
		"SelfCheck 0",                 // the database never changes
		"ConcurrentDatabaseReload no", // and is never reloaded
		"Bytecode no",                 // no bytecode database here
		"",
	}, "\n")
	addr := "unix:" + socket
	if o.tcp {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		conf += fmt.Sprintf("TCPAddr 127.0.0.1\nTCPSocket %d\n", port)
		addr = fmt.Sprintf("tcp:127.0.0.1:%d", port)
	}
	confFile := filepath.Join(dir, "clamd.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}

	var out syncbuf.Buffer
	cmd := exec.Command(bin, "--config-file="+confFile)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive a killed test binary
	if err := cmd.Start(); err != nil {
		t.Fatalf("clamdtest: start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	s := &Server{Addr: addr, Dir: dir}
	if s.Client, err = scan.New(s.Addr, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	// A loaded machine may be slow; a tiny database loads in well under
	// a second otherwise.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		err = s.Client.Ping(pctx)
		pcancel()
		if err == nil {
			return s
		}
		select {
		case <-exited:
			t.Fatalf("clamdtest: clamd exited before answering: %s\n%s\n%s", cmd.ProcessState, out.String(), tail(logFile))
		case <-ctx.Done():
			t.Fatalf("clamdtest: clamd did not answer PING within 60 s: %v\n%s\n%s", err, out.String(), tail(logFile))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Binary finds clamd: CLAMD_PATH when set (make test's testenv sets it),
// else clamd on PATH, else /usr/sbin/clamd (not on a normal user's PATH).
// Its error says how to install it.
func Binary() (string, error) {
	if p := os.Getenv("CLAMD_PATH"); p != "" {
		resolved, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("clamdtest: CLAMD_PATH=%s is not an executable: %w", p, err)
		}
		return resolved, nil
	}
	if p, err := exec.LookPath("clamd"); err == nil {
		return p, nil
	}
	const sbin = "/usr/sbin/clamd"
	if _, err := exec.LookPath(sbin); err == nil {
		return sbin, nil
	}
	return "", errors.New("clamdtest: no clamd found (CLAMD_PATH, PATH, /usr/sbin/clamd); install ClamAV's daemon " +
		"(Debian: sudo apt-get install -y --no-install-recommends clamav-daemon) or set CLAMD_PATH, " +
		"or run the tests through make test, which installs it as root")
}

// freePort returns a loopback TCP port free a moment ago. clamd takes
// no port 0; should another process take it meanwhile, clamd exits and
// Run says why.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the end of clamd's log file, for a failure message.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no clamd log: " + err.Error() + ")"
	}
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return "clamd log:\n" + string(b)
}
