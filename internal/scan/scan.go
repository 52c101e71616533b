// Package scan asks ClamAV's clamd whether a file holds malware, over
// clamd's INSTREAM protocol: the file's bytes go to clamd as they come,
// in chunks, while the caller stores them, so no file is held whole in
// memory. A scanner that errs is an error, never a clean verdict: the
// caller refuses the upload (fail closed).
package scan

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrTooLarge is clamd's "INSTREAM size limit exceeded": the stream
// passed clamd's StreamMaxLength, and clamd closed the connection
// without scanning it.
var ErrTooLarge = errors.New("scan: file exceeds clamd's StreamMaxLength (INSTREAM size limit exceeded)")

// ErrClosed is returned by Write and Close on a stream already closed
// or aborted.
var ErrClosed = errors.New("scan: stream already closed")

// maxChunk is the largest INSTREAM chunk sent: clamd reads each chunk
// into a buffer of its own, so they are kept modest.
const maxChunk = 64 << 10

// maxReply bounds what is read of one clamd reply.
const maxReply = 4 << 10

// Client talks to clamd. It holds no connection: each command and each
// stream dials its own, as clamd serves one command per connection.
// A Client is safe for concurrent use.
type Client struct {
	network string // "unix" or "tcp"
	address string
	timeout time.Duration
}

// New returns a client of the clamd at addr: "unix:/path/to/clamd.ctl",
// "tcp:host:port" or "host:port". timeout bounds dialling and each wait
// on clamd (one chunk written, a reply read) when the context's deadline
// is later or absent; it must be positive. New dials nothing: it
// only validates addr, so it also serves to check a setting.
func New(addr string, timeout time.Duration) (*Client, error) {
	if timeout <= 0 {
		return nil, fmt.Errorf("scan: timeout %s is not positive", timeout)
	}
	c := &Client{timeout: timeout}
	switch {
	case strings.HasPrefix(addr, "unix:"):
		c.network, c.address = "unix", strings.TrimPrefix(addr, "unix:")
		if !strings.HasPrefix(c.address, "/") {
			return nil, fmt.Errorf("scan: address %q: a unix socket is an absolute path, such as unix:/run/clamav/clamd.ctl", addr)
		}
	default:
		c.network, c.address = "tcp", strings.TrimPrefix(addr, "tcp:")
		host, port, err := net.SplitHostPort(c.address)
		if err != nil || host == "" {
			return nil, fmt.Errorf("scan: address %q is not unix:/path, tcp:host:port or host:port", addr)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("scan: address %q: port %q is not a number from 1 to 65535", addr, port)
		}
	}
	return c, nil
}

// String returns the address as New accepts it, for logs.
func (c *Client) String() string { return c.network + ":" + c.address }

// Ping checks that clamd answers (zPING, reply PONG).
func (c *Client) Ping(ctx context.Context) error {
	reply, err := c.command(ctx, "PING")
	if err != nil {
		return err
	}
	if reply != "PONG" {
		return fmt.Errorf("scan: PING: clamd answered %q", reply)
	}
	return nil
}

// Version returns clamd's version line (zVERSION), such as
// "ClamAV 1.4.6/27480/Mon Dec  7 09:12:03 2026" (the database's number
// and date follow only with an official database).
func (c *Client) Version(ctx context.Context) (string, error) {
	reply, err := c.command(ctx, "VERSION")
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(reply, "ClamAV ") {
		return "", fmt.Errorf("scan: VERSION: clamd answered %q", reply)
	}
	return reply, nil
}

// command sends one z-command (NUL-terminated) and returns the reply.
func (c *Client) command(ctx context.Context, name string) (string, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return "", err
	}
	defer conn.close()
	if err := conn.arm(c.timeout); err != nil {
		return "", conn.fail(name, err)
	}
	if _, err := io.WriteString(conn.c, "z"+name+"\x00"); err != nil {
		return "", conn.fail(name, err)
	}
	reply, err := readReply(conn.c)
	if err != nil {
		return "", conn.fail(name, err)
	}
	return reply, nil
}

// Stream opens an INSTREAM session: bytes written to it are sent to
// clamd as they come (chunks of at most 64 KiB, each after its 4-byte
// big-endian length), so a file is scanned while it is stored, never
// held whole in memory. ctx bounds the whole session, as it does a
// transaction: once it is cancelled or past its deadline, Write and
// Close fail. The caller ends the stream with Close (a verdict) or
// Abort (none).
func (c *Client) Stream(ctx context.Context) (*Stream, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	if err := conn.arm(c.timeout); err != nil {
		conn.close()
		return nil, conn.fail("INSTREAM", err)
	}
	if _, err := io.WriteString(conn.c, "zINSTREAM\x00"); err != nil {
		conn.close()
		return nil, conn.fail("INSTREAM", err)
	}
	return &Stream{conn: conn, timeout: c.timeout}, nil
}

// Stream is one INSTREAM session. It is not safe for concurrent use,
// except that Abort may be called at any time.
type Stream struct {
	conn    *conn
	timeout time.Duration
	hdr     [4]byte
	bufs    [2][]byte
	err     error // sticky: the first failure, or ErrClosed
	sent    int64
}

// Write sends p to clamd in chunks. An empty p sends nothing (an empty
// chunk would end the stream). When clamd ends the session early — it
// closes the connection once the stream passes its StreamMaxLength —
// Write returns an error wrapping ErrTooLarge; any other failure, or
// a cancelled context, is an error too, and every later Write and Close
// return it again.
func (s *Stream) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), maxChunk)]
		if err := s.writeChunk(chunk); err != nil {
			s.err = s.early(err)
			s.conn.close()
			return n, s.err
		}
		n += len(chunk)
		s.sent += int64(len(chunk))
		p = p[len(chunk):]
	}
	return n, nil
}

// writeChunk writes one length-prefixed chunk (an empty one ends the
// stream) in a single writev, without copying it.
func (s *Stream) writeChunk(chunk []byte) error {
	if err := s.conn.arm(s.timeout); err != nil {
		return err
	}
	binary.BigEndian.PutUint32(s.hdr[:], uint32(len(chunk)))
	s.bufs[0], s.bufs[1] = s.hdr[:], chunk
	bufs := net.Buffers(s.bufs[:])
	_, err := bufs.WriteTo(s.conn.c)
	s.bufs[1] = nil // keep no reference to the caller's buffer
	return err
}

// early turns a failed write into the session's error: when clamd
// closed the connection after saying why (the size limit), that reply
// is the error.
func (s *Stream) early(err error) error {
	if errors.Is(err, ErrClosed) { // aborted
		return ErrClosed
	}
	werr := s.conn.fail("INSTREAM", err)
	// clamd writes its reply before closing; give it a moment to arrive.
	if s.conn.arm(min(s.timeout, 2*time.Second)) != nil {
		return werr
	}
	reply, rerr := readReply(s.conn.c)
	if rerr != nil || reply == "" {
		return werr
	}
	if _, verr := verdict(reply); verr != nil {
		return fmt.Errorf("%w (after %d bytes sent: %w)", verr, s.sent, err)
	}
	return fmt.Errorf("scan: INSTREAM: clamd answered %q before the stream ended: %w", reply, err)
}

// Close ends the stream (a zero-length chunk), waits for clamd's
// verdict and closes the connection. The error wraps ErrTooLarge when
// clamd refused the stream for its size; any other reply than a verdict
// ("... ERROR", a closed connection, a timeout) is an error, so a
// scanner failure never passes for a clean file.
func (s *Stream) Close() (Result, error) {
	if s.err != nil {
		return Result{}, s.err
	}
	defer s.conn.close()
	s.err = ErrClosed
	if err := s.writeChunk(nil); err != nil {
		return Result{}, s.early(err)
	}
	if err := s.conn.arm(s.timeout); err != nil {
		return Result{}, s.conn.fail("INSTREAM", err)
	}
	reply, err := readReply(s.conn.c)
	if err != nil {
		return Result{}, s.conn.fail("INSTREAM", err)
	}
	return verdict(reply)
}

// Abort drops the connection without waiting for a verdict (the upload
// failed for another reason). It is safe to call more than once, after
// Close, and from another goroutine than the writer's.
func (s *Stream) Abort() {
	s.conn.close()
}

// Result is clamd's verdict on a stream.
type Result struct {
	// Clean is true when clamd found nothing.
	Clean bool
	// Threat names what clamd found when not Clean, such as
	// "Eicar-Test-Signature" (clamd appends ".UNOFFICIAL" to the names of
	// signatures from a database ClamAV did not sign). With clamd's
	// AlertExceedsMax, a file past its MaxFileSize or MaxScanSize is
	// "Heuristics.Limits.Exceeded.MaxFileSize" and the like: not scanned
	// whole, so not to be stored either.
	Threat string
}

// verdict parses an INSTREAM reply: "stream: OK", "stream: NAME FOUND",
// or an error ("INSTREAM size limit exceeded. ERROR" and the like).
func verdict(reply string) (Result, error) {
	body, _ := strings.CutPrefix(reply, "stream: ")
	switch {
	case body == "OK":
		return Result{Clean: true}, nil
	case strings.HasSuffix(body, " FOUND") && body != reply:
		name := strings.TrimSpace(strings.TrimSuffix(body, " FOUND"))
		if name == "" {
			return Result{}, fmt.Errorf("scan: INSTREAM: clamd answered %q", reply)
		}
		return Result{Threat: name}, nil
	case strings.Contains(reply, "size limit exceeded"):
		return Result{}, fmt.Errorf("%w: clamd answered %q", ErrTooLarge, reply)
	default: // "... ERROR" or anything unforeseen: fail closed
		return Result{}, fmt.Errorf("scan: INSTREAM: clamd answered %q", reply)
	}
}

// readReply reads one NUL-terminated reply (clamd's z-commands answer
// so), or up to end of file; the reply is trimmed of its terminator.
func readReply(r io.Reader) (string, error) {
	var buf [maxReply]byte
	n := 0
	for {
		m, err := r.Read(buf[n:])
		n += m
		if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
			return strings.TrimSpace(string(buf[:i])), nil
		}
		if errors.Is(err, io.EOF) && n > 0 {
			return strings.TrimSpace(string(buf[:n])), nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", fmt.Errorf("clamd closed the connection without a reply: %w", io.ErrUnexpectedEOF)
			}
			return "", err
		}
		if n == len(buf) {
			return "", fmt.Errorf("clamd's reply is longer than %d bytes", maxReply)
		}
	}
}

// conn is one connection to clamd bound to a context: the context's
// deadline caps every I/O deadline, and its cancellation interrupts
// whatever I/O is blocked.
type conn struct {
	c    net.Conn
	ctx  context.Context // the session's, as a transaction holds its own
	stop func() bool

	mu       sync.Mutex
	canceled bool
	closed   bool
}

// dial connects to clamd within the client's timeout and ctx.
func (c *Client) dial(ctx context.Context) (*conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("scan: dial clamd at %s: %w", c, err)
	}
	d := net.Dialer{Timeout: c.timeout}
	nc, err := d.DialContext(ctx, c.network, c.address)
	if err != nil {
		return nil, fmt.Errorf("scan: dial clamd at %s: %w", c, err)
	}
	cn := &conn{c: nc, ctx: ctx}
	cn.stop = context.AfterFunc(ctx, func() {
		cn.mu.Lock()
		defer cn.mu.Unlock()
		cn.canceled = true
		_ = nc.SetDeadline(time.Unix(1, 0)) // wakes blocked reads and writes
	})
	return cn, nil
}

// arm sets the deadline of the next I/O: timeout from now, or the
// context's deadline when sooner. Under the lock, so that a cancellation
// racing with it is never overwritten by a later deadline.
func (cn *conn) arm(timeout time.Duration) error {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if cn.closed {
		return ErrClosed
	}
	// ctx.Err is set at once; the AfterFunc may not have run yet.
	if err := cn.ctx.Err(); err != nil || cn.canceled {
		return cmp.Or(err, context.Canceled)
	}
	deadline := time.Now().Add(timeout)
	if d, ok := cn.ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	return cn.c.SetDeadline(deadline)
}

// fail wraps an I/O error of op, naming the context's error when the
// context ended the I/O.
func (cn *conn) fail(op string, err error) error {
	if cerr := cn.ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("scan: %s: %w (%w)", op, cerr, err)
	}
	if d, ok := cn.ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(d) {
		return fmt.Errorf("scan: %s: %w (%w)", op, context.DeadlineExceeded, err)
	}
	return fmt.Errorf("scan: %s: %w", op, err)
}

// close closes the connection once.
func (cn *conn) close() {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if cn.closed {
		return
	}
	cn.closed = true
	cn.stop()
	_ = cn.c.Close()
}
