package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// rawConn is one keep-alive HTTP/1.1 connection of a load client, kept
// cheap so that the load generator takes as little of the shared CPU as
// it can: the caller appends each request's bytes into a reused buffer,
// the answer's status line and headers are read in place (no header
// map), and the body is discarded as it arrives (Content-Length or
// chunked). net/http's client costs several times more per request
// (a request and a response object, header maps, two goroutines per
// connection and channel hand-offs); wrk does what this does.
type rawConn struct {
	addr string
	c    net.Conn
	r    *bufio.Reader
}

// errClosed is an answer that ended its connection before its body did.
var errClosed = errors.New("connection closed mid-answer")

func newRawConn(addr string) *rawConn { return &rawConn{addr: addr} }

// close drops the connection; the next do dials again.
func (rc *rawConn) close() {
	if rc.c != nil {
		rc.c.Close()
		rc.c = nil
	}
}

// do sends req (a whole HTTP/1.1 request) and reads the answer, returning
// its status and the body bytes read. On any error the connection is
// closed, so the next call starts afresh.
func (rc *rawConn) do(req []byte, timeout time.Duration) (status int, n int64, err error) {
	if rc.c == nil {
		c, err := net.DialTimeout("tcp", rc.addr, timeout)
		if err != nil {
			return 0, 0, err
		}
		rc.c = c
		if rc.r == nil {
			rc.r = bufio.NewReaderSize(c, 32<<10)
		} else {
			rc.r.Reset(c)
		}
	}
	if timeout > 0 {
		_ = rc.c.SetDeadline(time.Now().Add(timeout))
	}
	if _, err := rc.c.Write(req); err != nil {
		rc.close()
		return 0, 0, err
	}
	status, n, keep, err := readAnswer(rc.r)
	if err != nil || !keep {
		rc.close()
	}
	return status, n, err
}

// readAnswer reads one HTTP/1.1 answer from r: the status, the body's
// length, and whether the connection may carry another request.
func readAnswer(r *bufio.Reader) (status int, n int64, keep bool, err error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, 0, false, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, 0, false, fmt.Errorf("bad status line %.40q", line)
	}
	status, err = atoi(line[9:12])
	if err != nil {
		return 0, 0, false, fmt.Errorf("bad status line %.40q", line)
	}
	length, chunked, keep := int64(-1), false, true
	for {
		h, err := r.ReadSlice('\n')
		if err != nil {
			return status, 0, false, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, val, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			continue
		}
		val = bytes.TrimSpace(val)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			v, err := atoi(val)
			if err != nil {
				return status, 0, false, fmt.Errorf("bad Content-Length %q", val)
			}
			length = int64(v)
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(val, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(val, []byte("close"))
		}
	}
	switch {
	case status == 204 || status == 304 || status/100 == 1:
		return status, 0, keep, nil
	case chunked:
		n, err = discardChunked(r)
		return status, n, keep && err == nil, err
	case length >= 0:
		d, err := r.Discard(int(length))
		if err != nil {
			err = errClosed
		}
		return status, int64(d), keep && err == nil, err
	default: // the body runs to the end of the connection
		d, err := io.Copy(io.Discard, r)
		return status, d, false, err
	}
}

// discardChunked reads a chunked body and its trailer.
func discardChunked(r *bufio.Reader) (int64, error) {
	var total int64
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return total, errClosed
		}
		line = bytes.TrimRight(line, "\r\n")
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil || size < 0 {
			return total, fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			for { // the trailer, up to an empty line
				t, err := r.ReadSlice('\n')
				if err != nil {
					return total, errClosed
				}
				if len(bytes.TrimRight(t, "\r\n")) == 0 {
					return total, nil
				}
			}
		}
		d, err := r.Discard(int(size))
		total += int64(d)
		if err != nil {
			return total, errClosed
		}
		if _, err := r.Discard(2); err != nil { // the chunk's CRLF
			return total, errClosed
		}
	}
}

// atoi parses a non-negative decimal without allocating.
func atoi(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, errors.New("empty number")
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("not a number: %q", b)
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}
