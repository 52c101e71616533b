package scan_test

import (
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/scan"
	"github.com/cmcoord/cmcoord/internal/testutil/clamdtest"
)

func TestNew(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		for _, addr := range []string{"unix:/run/clamav/clamd.ctl", "tcp:127.0.0.1:3310", "clamav.internal:3310", "[::1]:3310"} {
			c, err := scan.New(addr, time.Second)
			if err != nil {
				t.Errorf("New(%q) = %v", addr, err)
				continue
			}
			if want := strings.TrimPrefix(addr, "tcp:"); !strings.HasSuffix(c.String(), want) {
				t.Errorf("New(%q).String() = %q", addr, c)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		for _, addr := range []string{"", "unix:", "unix:clamd.ctl", "tcp:", "localhost", "tcp:localhost", ":3310", "host:0", "host:99999", "host:x", "udp:1.2.3.4:5"} {
			if _, err := scan.New(addr, time.Second); err == nil {
				t.Errorf("New(%q) = nil error", addr)
			}
		}
		if _, err := scan.New("unix:/run/clamav/clamd.ctl", 0); err == nil {
			t.Error("New with a zero timeout = nil error")
		}
	})
}

// TestClamd runs every test against one real clamd; the 30 MB stream runs
// first and alone, so that the allocations it measures are its own.
func TestClamd(t *testing.T) {
	c := clamdtest.Start(t)

	t.Run("FlatMemory", func(t *testing.T) {
		const size = 30 << 20
		buf := make([]byte, 32<<10)
		for i := range buf {
			buf[i] = byte(i*7 + i/251)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s, err := c.Stream(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for sent := 0; sent < size; sent += len(buf) {
			if _, err := s.Write(buf); err != nil {
				t.Fatal(err)
			}
		}
		res, err := s.Close()
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Clean {
			t.Fatalf("Result = %+v, want clean", res)
		}
		// Nothing of the 30 MB is kept or copied: what is allocated is
		// per-connection bookkeeping, far below one chunk per write.
		got := after.TotalAlloc - before.TotalAlloc
		t.Logf("streaming 30 MB allocated %d bytes", got)
		if got > 4<<20 {
			t.Fatalf("streaming 30 MB allocated %d bytes, want < 4 MiB", got)
		}
	})

	t.Run("Ping", func(t *testing.T) {
		t.Parallel()
		if err := c.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
		v, err := c.Version(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(v, "ClamAV ") {
			t.Fatalf("Version = %q, want ClamAV …", v)
		}
	})

	t.Run("Clean", func(t *testing.T) {
		t.Parallel()
		res := mustScan(t, c, []byte("Request 42: a helicopter for the upper valley.\n"))
		if !res.Clean || res.Threat != "" {
			t.Fatalf("Result = %+v, want clean", res)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		res := mustScan(t, c)
		if !res.Clean {
			t.Fatalf("Result = %+v, want clean", res)
		}
	})

	t.Run("EICAR", func(t *testing.T) {
		t.Parallel()
		res := mustScan(t, c, clamdtest.EICAR())
		if res.Clean || !strings.HasPrefix(res.Threat, clamdtest.Signature) {
			t.Fatalf("Result = %+v, want Threat %s…", res, clamdtest.Signature)
		}
	})

	t.Run("EICARInSmallWrites", func(t *testing.T) {
		t.Parallel()
		e := clamdtest.EICAR()
		var parts [][]byte
		for i := 0; i < len(e); i += 3 {
			parts = append(parts, e[i:min(i+3, len(e))], nil) // empty writes send nothing
		}
		res := mustScan(t, c, parts...)
		if res.Clean || !strings.HasPrefix(res.Threat, clamdtest.Signature) {
			t.Fatalf("Result = %+v, want Threat %s…", res, clamdtest.Signature)
		}
	})

	t.Run("EICARInOneLargeWrite", func(t *testing.T) {
		t.Parallel()
		// A hash signature matches the whole file only: EICAR followed by
		// anything is another file. Here the point is that a Write larger
		// than a chunk is split, and reassembled by clamd intact.
		big := make([]byte, 200<<10)
		copy(big[100<<10:], clamdtest.EICAR())
		res := mustScan(t, c, big)
		if !res.Clean {
			t.Fatalf("Result = %+v, want clean (no signature matches this file)", res)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		errs := make(chan error, 8)
		for i := range 8 {
			go func() {
				s, err := c.Stream(t.Context())
				if err != nil {
					errs <- err
					return
				}
				data := []byte(strings.Repeat("clean ", 1000))
				if i%2 == 0 {
					data = clamdtest.EICAR()
				}
				if _, err := s.Write(data); err != nil {
					errs <- err
					return
				}
				res, err := s.Close()
				if err == nil && res.Clean != (i%2 == 1) {
					err = errors.New("wrong verdict: " + res.Threat)
				}
				errs <- err
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})

	t.Run("ErrCanceled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		s, err := c.Stream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write([]byte("first part")); err != nil {
			t.Fatal(err)
		}
		cancel()
		if _, err := s.Write([]byte("second part")); !errors.Is(err, context.Canceled) {
			t.Fatalf("Write after cancel = %v, want context.Canceled", err)
		}
		if _, err := s.Close(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Close after cancel = %v, want context.Canceled", err)
		}
		if err := c.Ping(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Ping with a cancelled context = %v, want context.Canceled", err)
		}
		if _, err := c.Stream(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Stream with a cancelled context = %v, want context.Canceled", err)
		}
	})

	t.Run("ErrDeadline", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		s, err := c.Stream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		<-ctx.Done()
		if _, err := s.Write([]byte("late")); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Write past the deadline = %v, want context.DeadlineExceeded", err)
		}
	})

	t.Run("Abort", func(t *testing.T) {
		t.Parallel()
		s, err := c.Stream(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write([]byte("half an upload")); err != nil {
			t.Fatal(err)
		}
		s.Abort()
		s.Abort()
		if _, err := s.Write([]byte("more")); !errors.Is(err, scan.ErrClosed) {
			t.Fatalf("Write after Abort = %v, want ErrClosed", err)
		}
		if _, err := s.Close(); !errors.Is(err, scan.ErrClosed) {
			t.Fatalf("Close after Abort = %v, want ErrClosed", err)
		}
		// clamd is unharmed.
		if err := c.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ErrClosedTwice", func(t *testing.T) {
		t.Parallel()
		s, err := c.Stream(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Close(); !errors.Is(err, scan.ErrClosed) {
			t.Fatalf("second Close = %v, want ErrClosed", err)
		}
		s.Abort()
	})
}

func TestClamdSizeLimit(t *testing.T) {
	t.Parallel()
	t.Run("Unix", func(t *testing.T) {
		t.Parallel()
		testSizeLimit(t, clamdtest.Start(t, clamdtest.StreamMaxLength("1M")))
	})
	// Over TCP, clamd's close may reach the writer as a reset.
	t.Run("TCP", func(t *testing.T) {
		t.Parallel()
		testSizeLimit(t, clamdtest.Start(t, clamdtest.StreamMaxLength("1M"), clamdtest.TCP()))
	})
}

// testSizeLimit streams past the 1 MB limit of the clamd behind c: by
// much (Write fails once clamd has hung up) and by little (the whole
// stream may fit in the socket's buffers, and Close reads the refusal).
func testSizeLimit(t *testing.T, c *scan.Client) {
	for name, size := range map[string]int{"ErrTooLarge": 8 << 20, "ErrTooLargeJustOver": 1<<20 + 64<<10} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := c.Stream(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 16<<10)
			for sent := 0; sent < size; sent += len(buf) {
				if _, err = s.Write(buf); err != nil {
					break
				}
			}
			if err == nil { // every chunk was taken before clamd hung up: the verdict says why
				_, err = s.Close()
				t.Logf("Close: %v", err)
			} else {
				t.Logf("Write: %v", err)
				if _, cerr := s.Close(); !errors.Is(cerr, scan.ErrTooLarge) {
					t.Errorf("Close after the failed Write = %v, want ErrTooLarge again", cerr)
				}
			}
			if !errors.Is(err, scan.ErrTooLarge) {
				t.Fatalf("streaming %d bytes past a 1 MB limit: %v, want ErrTooLarge", size, err)
			}
		})
	}

	t.Run("UnderTheLimit", func(t *testing.T) {
		t.Parallel()
		res := mustScan(t, c, make([]byte, 512<<10))
		if !res.Clean {
			t.Fatalf("Result = %+v, want clean", res)
		}
	})
}

func TestDeadAddress(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpAddr := ln.Addr().String()
	ln.Close() // a port nobody listens on
	for _, addr := range []string{"unix:" + filepath.Join(t.TempDir(), "clamd.ctl"), "tcp:" + tcpAddr} {
		c, err := scan.New(addr, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Ping(t.Context()); err == nil {
			t.Errorf("Ping(%s) = nil, want an error", addr)
		}
		if _, err := c.Version(t.Context()); err == nil {
			t.Errorf("Version(%s) = nil error", addr)
		}
		if _, err := c.Stream(t.Context()); err == nil {
			t.Errorf("Stream(%s) = nil error", addr)
		}
	}
}

// TestNotClamd checks that a server which is not clamd (it answers
// nonsense, or hangs up) gives errors, never a clean verdict.
func TestNotClamd(t *testing.T) {
	t.Parallel()
	for name, answer := range map[string]string{
		"Error":   "UNKNOWN COMMAND\x00",
		"HangsUp": "",
		"Garbage": "stream: FOUND\x00",
		"Limit":   "INSTREAM size limit exceeded. ERROR\x00",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			go func() {
				for {
					conn, err := ln.Accept()
					if err != nil {
						return
					}
					go func() {
						defer conn.Close()
						b := make([]byte, 64)
						_, _ = conn.Read(b)
						_, _ = io.WriteString(conn, answer)
					}()
				}
			}()
			c, err := scan.New(ln.Addr().String(), 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Ping(t.Context()); err == nil {
				t.Error("Ping = nil error")
			}
			s, err := c.Stream(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Close()
			if err == nil {
				t.Fatalf("Close = %+v, nil error; want an error", res)
			}
			if name == "Limit" && !errors.Is(err, scan.ErrTooLarge) {
				t.Fatalf("Close = %v, want ErrTooLarge", err)
			}
		})
	}
}

// mustScan streams parts in order and returns the verdict.
func mustScan(t *testing.T, c *scan.Client, parts ...[]byte) scan.Result {
	t.Helper()
	s, err := c.Stream(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if n, err := s.Write(p); err != nil || n != len(p) {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(p))
		}
	}
	res, err := s.Close()
	if err != nil {
		t.Fatal(err)
	}
	return res
}
