package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	// A command name with a space and a parenthesis, as proc(5) allows.
	line := "4242 (postgres: a) b) S 4200 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 1 0 12345 1000000 500 18446744073709551615\n"
	s, err := parseProcStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if s.comm != "postgres: a) b" || s.ppid != 4200 || s.cpu != 3250*time.Millisecond {
		t.Errorf("parseProcStat = %+v, want comm %q, ppid 4200, cpu 3.25s", s, "postgres: a) b")
	}
	for _, bad := range []string{"", "4242 postgres S 1", "4242 (x) S 1 2 3"} {
		if _, err := parseProcStat([]byte(bad)); err == nil {
			t.Errorf("parseProcStat(%q): no error", bad)
		}
	}
	self, err := readProcStat("self")
	if err != nil || self.cpu < 0 || self.ppid == 0 {
		t.Errorf("readProcStat(self) = %+v, %v", self, err)
	}
}

func TestParseProm(t *testing.T) {
	text := `# HELP go_memstats_mallocs_total Total number of heap objects allocated.
# TYPE go_memstats_mallocs_total counter
go_memstats_mallocs_total 1.234567e+06
go_memstats_alloc_bytes_total 9.8e+08
go_memstats_alloc_bytes 1234
cmcoord_pgxpool_acquire_total 42 1700000000000
cmcoord_http_requests_total{code="200",method="GET",route="/"} 7
`
	s, err := parseProm(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if s.mallocs != 1234567 || s.allocBytes != 9.8e8 || s.acquires != 42 {
		t.Errorf("parseProm = %+v", s)
	}
	if _, err := parseProm(strings.NewReader("# nothing\nother_total 1\n")); err == nil {
		t.Error("parseProm without the series: no error")
	}
	if _, err := parseProm(strings.NewReader("go_memstats_mallocs_total x\n")); err == nil {
		t.Error("parseProm with a bad value: no error")
	}
}

func TestReadAnswer(t *testing.T) {
	for _, tc := range []struct {
		name, raw  string
		status     int
		n          int64
		keep, fail bool
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloNEXT", 200, 5, true, false},
		{"chunked", "HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\nTrailer: t\r\n\r\nNEXT", 201, 8, true, false},
		{"close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi", 200, 2, false, false},
		{"to EOF", "HTTP/1.0 200 OK\r\n\r\nall of it", 200, 9, false, false},
		{"no body", "HTTP/1.1 304 Not Modified\r\n\r\nNEXT", 304, 0, true, false},
		{"short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhi", 200, 2, false, true},
		{"bad chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 200, 0, false, true},
		{"garbage", "SSH-2.0-OpenSSH\r\n", 0, 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := bufio.NewReader(strings.NewReader(tc.raw))
			status, n, keep, err := readAnswer(r)
			if (err != nil) != tc.fail || status != tc.status || n != tc.n || keep != tc.keep {
				t.Errorf("readAnswer = %d, %d, %v, %v; want %d, %d, %v, error %v", status, n, keep, err, tc.status, tc.n, tc.keep, tc.fail)
			}
			if !tc.fail && tc.keep {
				if rest, _ := r.ReadString('\n'); rest != "NEXT" {
					t.Errorf("left %q after the answer, want NEXT", rest)
				}
			}
		})
	}
}

// TestRawConn drives a real net/http server over one kept-alive
// connection: small and chunked bodies, gzip, and a server-closed
// connection (redialled).
func TestRawConn(t *testing.T) {
	big := strings.Repeat("x", 100_000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/small":
			fmt.Fprint(w, "ok")
		case "/big": // no Content-Length: chunked
			w.(http.Flusher).Flush()
			fmt.Fprint(w, big)
		case "/gzip":
			if r.Header.Get("Accept-Encoding") != "gzip" {
				http.Error(w, "no gzip", http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			fmt.Fprint(zw, big)
			zw.Close()
		case "/close":
			w.Header().Set("Connection", "close")
			fmt.Fprint(w, "bye")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	c := newRawConn(host)
	defer c.close()
	req := func(path, extra string) []byte {
		return []byte("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + extra + "\r\n")
	}
	for i, tc := range []struct {
		path, extra string
		status      int
		n           int64 // -1: any positive
	}{
		{"/small", "", 200, 2}, {"/big", "", 200, 100_000}, {"/gzip", "Accept-Encoding: gzip\r\n", 200, -1},
		{"/close", "", 200, 3}, {"/small", "", 200, 2}, {"/nope", "", 404, -1},
	} {
		status, n, err := c.do(req(tc.path, tc.extra), 10*time.Second)
		if err != nil || status != tc.status || tc.n >= 0 && n != tc.n || tc.n < 0 && n <= 0 {
			t.Errorf("%d %s: %d, %d bytes, %v; want %d, %d bytes", i, tc.path, status, n, err, tc.status, tc.n)
		}
	}
}

func TestBuildRequest(t *testing.T) {
	env := &loadEnv{host: "127.0.0.1:1", db: &benchDB{opCode: "OP"}, clients: 2, runID: "r",
		writers: []string{"Authorization: Bearer w0\r\n", "Authorization: Bearer w1\r\n"}, body: []byte(`{"a":1}`)}
	u := &session{email: "e", cookie: "Cookie: s=1\r\n", auth: "Authorization: Bearer t\r\n", ids: []int64{42}}
	c := &client{i: 1, env: env, u: u, rnd: nil}
	byKey := map[string]*endpoint{}
	for _, ep := range endpoints() {
		byKey[ep.key] = &ep
	}
	if got, want := string(c.build(byKey["list"], true)), "GET /operations/OP/requests HTTP/1.1\r\nHost: 127.0.0.1:1\r\nUser-Agent: cmcoord-bench\r\nCookie: s=1\r\nAccept-Encoding: gzip\r\n\r\n"; got != want {
		t.Errorf("list: %q, want %q", got, want)
	}
	if got := string(c.build(byKey["list.json"], false)); !strings.HasPrefix(got, "GET /api/v1/operations/OP/requests HTTP/1.1\r\n") || !strings.Contains(got, "Bearer t\r\n") || strings.Contains(got, "Cookie") {
		t.Errorf("list.json: %q", got)
	}
	// Client 1's third request (seq 2): writer (2*2+1) % 2 = 1.
	got := string(c.build(byKey["create"], true))
	for _, part := range []string{"POST /api/v1/operations/" + writeOperation + "/requests HTTP/1.1\r\n", "Bearer w1\r\n", "Idempotency-Key: r-1-2\r\n",
		"Content-Length: 7\r\n\r\n{\"a\":1}"} {
		if !strings.Contains(got, part) {
			t.Errorf("create: %q lacks %q", got, part)
		}
	}
	if strings.Contains(got, "gzip") {
		t.Errorf("create asks for gzip: %q", got)
	}
}

func TestPgText(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 0, 0, 500_000_000, time.FixedZone("x", 3600))
	for _, tc := range []struct {
		in   any
		want string
	}{{int(26), "26"}, {int64(-3), "-3"}, {int32(7), "7"}, {"draft", "draft"}, {at, "2026-12-06T09:00:00.5Z"}} {
		if got, err := pgText(tc.in); err != nil || got != tc.want {
			t.Errorf("pgText(%v) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []any{"two words", []string{"a"}, 1.5} {
		if _, err := pgText(bad); err == nil {
			t.Errorf("pgText(%v): no error", bad)
		}
	}
	if got := placeholderRE.ReplaceAllString("WHERE a = $1 AND b < $12 LIMIT $3", ":p$1"); got != "WHERE a = :p1 AND b < :p12 LIMIT :p3" {
		t.Errorf("placeholders: %q", got)
	}
}
