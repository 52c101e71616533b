package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cmcoord/cmcoord/internal/demo"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// session is how one signed-in demo account sends requests: the session
// cookie for the pages, a bearer token for the API, and the requests it
// may open.
type session struct {
	email  string
	cookie string // "Cookie: …\r\n"
	auth   string // "Authorization: Bearer …\r\n"
	ids    []int64
	http   *http.Client // net/http, with the cookie: setup only
	token  string
}

// target is issue 17's figure for an endpoint (zero: none).
type target struct {
	rps float64
	p99 time.Duration
}

func (t target) String() string {
	switch {
	case t.rps == 0:
		return "-"
	case t.p99 > 0:
		return fmt.Sprintf("≥%.0f/s, p99≤%s", t.rps, ms(t.p99))
	default:
		return fmt.Sprintf("≥%.0f/s", t.rps)
	}
}

// endpoint is one measured route.
type endpoint struct {
	key    string // for -endpoints
	name   string
	route  string
	method string
	api    bool // bearer token, JSON
	html   bool // an HTML page: measured with and without gzip under -gzip both
	target target
	// section7 marks PRODUCT.md §7's pages (p99 ≤ -target).
	section7 bool
	// defaultMixed marks the endpoints of -mode mixed without -endpoints.
	defaultMixed bool
	// path appends the request target (path and query) to b.
	path func(b []byte, c *client) []byte
}

// loadEnv is what the clients need: the users, the URLs found at setup,
// the create body.
type loadEnv struct {
	host     string // host:port
	baseURL  string
	db       *benchDB
	users    []*session // officer, requester: the clients alternate
	writers  []string   // "Authorization: Bearer …\r\n" of the create writers
	deepPath string     // the list page ~100 pages down
	body     []byte     // the create request's JSON
	runID    string     // in every Idempotency-Key
	clients  int
}

// client is one load client's state: its user, its random source, its
// connection and its reused request buffer.
type client struct {
	i    int
	env  *loadEnv
	u    *session
	rnd  *rand.Rand
	seq  int
	conn *rawConn
	buf  []byte
}

func (c *client) requestID() int64 { return c.u.ids[c.rnd.IntN(len(c.u.ids))] }

// searchQuery is the list.search text: a word of one seeded title in eight.
const searchQuery = "helicopter"

func endpoints() []endpoint {
	opPath := func(b []byte, c *client, suffix string) []byte {
		return append(append(append(b, "/operations/"...), c.env.db.opCode...), suffix...)
	}
	return []endpoint{
		{key: "list", name: "request list (HTML)", route: "GET /operations/{code}/requests", html: true, section7: true, defaultMixed: true,
			target: target{rps: 2000, p99: 20 * time.Millisecond},
			path:   func(b []byte, c *client) []byte { return opPath(b, c, "/requests") }},
		{key: "list.json", name: "request list (JSON)", route: "GET /api/v1/operations/{code}/requests", api: true, defaultMixed: true,
			target: target{rps: 3000},
			path:   func(b []byte, c *client) []byte { return opPath(append(b, "/api/v1"...), c, "/requests") }},
		{key: "show", name: "request page (HTML)", route: "GET /requests/{id}", html: true, section7: true, defaultMixed: true,
			target: target{rps: 2500},
			path: func(b []byte, c *client) []byte {
				return strconv.AppendInt(append(b, "/requests/"...), c.requestID(), 10)
			}},
		{key: "show.json", name: "request (JSON)", route: "GET /api/v1/requests/{id}", api: true, defaultMixed: true,
			path: func(b []byte, c *client) []byte {
				return strconv.AppendInt(append(b, "/api/v1/requests/"...), c.requestID(), 10)
			}},
		{key: "operation", name: "operation page (HTML)", route: "GET /operations/{code}", html: true,
			target: target{rps: 800},
			path:   func(b []byte, c *client) []byte { return opPath(b, c, "") }},
		{key: "dashboard", name: "dashboard (HTML)", route: "GET /", html: true,
			target: target{rps: 800},
			path:   func(b []byte, _ *client) []byte { return append(b, '/') }},
		{key: "list.deep", name: "list, ~100 pages down (HTML)", route: "GET /operations/{code}/requests?cursor=…", html: true,
			path: func(b []byte, c *client) []byte { return append(b, c.env.deepPath...) }},
		{key: "list.search", name: "list, text search (HTML)", route: "GET /operations/{code}/requests?q=" + searchQuery, html: true,
			path: func(b []byte, c *client) []byte { return opPath(b, c, "/requests?q="+searchQuery) }},
		// In an operation of its own (writeOperation): the drafts it adds
		// change nothing the other runs read.
		{key: "create", name: "create (API)", route: "POST /api/v1/operations/" + writeOperation + "/requests", method: http.MethodPost, api: true,
			target: target{rps: 1000},
			path: func(b []byte, _ *client) []byte {
				return append(b, "/api/v1/operations/"+writeOperation+"/requests"...)
			}},
	}
}

// build appends the whole HTTP/1.1 request for ep to c.buf.
func (c *client) build(ep *endpoint, gz bool) []byte {
	b := c.buf[:0]
	method := ep.method
	if method == "" {
		method = http.MethodGet
	}
	b = append(b, method...)
	b = append(b, ' ')
	b = ep.path(b, c)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, c.env.host...)
	b = append(b, "\r\nUser-Agent: cmcoord-bench\r\n"...)
	switch {
	case method == http.MethodPost:
		w := c.env.writers[(c.seq*c.env.clients+c.i)%len(c.env.writers)]
		b = append(b, w...)
		b = append(b, "Accept: application/json\r\nContent-Type: application/json\r\nIdempotency-Key: "...)
		b = append(b, c.env.runID...)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(c.i), 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(c.seq), 10)
		b = append(b, "\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(c.env.body)), 10)
		b = append(b, "\r\n\r\n"...)
		b = append(b, c.env.body...)
	case ep.api:
		b = append(b, c.u.auth...)
		b = append(b, "Accept: application/json\r\n"...)
	default:
		b = append(b, c.u.cookie...)
	}
	if gz && method != http.MethodPost {
		b = append(b, "Accept-Encoding: gzip\r\n"...)
	}
	if method != http.MethodPost {
		b = append(b, "\r\n"...)
	}
	c.seq++
	c.buf = b
	return b
}

// ok reports whether status is ep's success.
func (ep *endpoint) ok(status int) bool {
	if ep.method == http.MethodPost {
		return status/100 == 2
	}
	return status == http.StatusOK
}

// epStats are one endpoint's measurements in one run.
type epStats struct {
	ep       *endpoint
	lat      []time.Duration
	errs     int
	statuses map[int]int // the failed answers by status (0: transport error)
	firstErr string
	bytes    int64
}

func (s *epStats) count() int { return len(s.lat) + s.errs }

// drive runs n clients for d over eps (each client takes them in turn,
// starting at its own offset) and returns the stats and the elapsed
// time. gz adds Accept-Encoding: gzip to the GETs.
func drive(ctx context.Context, env *loadEnv, n int, d time.Duration, eps []*endpoint, gz bool, until func() bool) ([]*epStats, time.Duration) {
	type local struct {
		st []epStats
	}
	per := make([]local, n)
	start := time.Now()
	deadline := start.Add(d)
	var (
		wg   sync.WaitGroup
		stop = make(chan struct{})
	)
	if until != nil { // stop early when until reports true (polled)
		go func() {
			t := time.NewTicker(250 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					if until() {
						close(stop)
						return
					}
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	for i := range n {
		per[i].st = make([]epStats, len(eps))
		for j := range eps {
			per[i].st[j] = epStats{ep: eps[j], lat: make([]time.Duration, 0, 1<<14), statuses: map[int]int{}}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &client{i: i, env: env, u: env.users[i%len(env.users)], conn: newRawConn(env.host),
				rnd: rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano()))), buf: make([]byte, 0, 8<<10)}
			defer c.conn.close()
			for k := i; ctx.Err() == nil; k++ {
				now := time.Now()
				if now.After(deadline) && (until == nil || stopped()) {
					return
				}
				j := k % len(eps)
				ep := eps[j]
				req := c.build(ep, gz)
				status, nb, err := c.conn.do(req, 30*time.Second)
				lat := time.Since(now)
				s := &per[i].st[j]
				s.bytes += nb
				switch {
				case err != nil && ctx.Err() != nil:
					return
				case err != nil:
					s.errs++
					s.statuses[0]++
					if s.firstErr == "" {
						s.firstErr = err.Error()
					}
				case !ep.ok(status):
					s.errs++
					s.statuses[status]++
					if s.firstErr == "" {
						who := c.u.email
						if ep.method == http.MethodPost {
							who = "a writer"
						}
						s.firstErr = fmt.Sprintf("%s as %s: status %d", ep.route, who, status)
					}
				default:
					s.lat = append(s.lat, lat)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	out := make([]*epStats, len(eps))
	for j := range eps {
		t := &epStats{ep: eps[j], statuses: map[int]int{}}
		for i := range per {
			s := &per[i].st[j]
			t.lat = append(t.lat, s.lat...)
			t.errs += s.errs
			t.bytes += s.bytes
			for k, v := range s.statuses {
				t.statuses[k] += v
			}
			if t.firstErr == "" {
				t.firstErr = s.firstErr
			}
		}
		slices.Sort(t.lat)
		out[j] = t
	}
	return out, elapsed
}

// setupLoad signs the two demo users in, finds the deep list page, and
// prepares the create body and the writers' tokens.
func setupLoad(ctx context.Context, o options, baseURL string, db *benchDB, writers []string, logf func(string, ...any)) (*loadEnv, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, err
	}
	env := &loadEnv{host: u.Host, baseURL: baseURL, db: db, clients: o.clients,
		runID: "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	for _, w := range writers {
		env.writers = append(env.writers, "Authorization: Bearer "+w+"\r\n")
	}
	for _, s := range []struct {
		email, token string
		ids          []int64
	}{{officerEmail, db.officerToken, db.officerIDs}, {requesterEmail, db.requesterToken, db.requesterIDs}} {
		u, err := signIn(ctx, baseURL, s.email)
		if err != nil {
			return nil, err
		}
		u.token, u.ids = s.token, s.ids
		u.auth = "Authorization: Bearer " + s.token + "\r\n"
		env.users = append(env.users, u)
	}
	logf("signed in %s and %s (sessions and API tokens); %d writer tokens for create", officerEmail, requesterEmail, len(writers))
	body, err := json.Marshal(fixture.Body(fixture.Request("Bench: heavy-lift helicopter", time.Now())))
	if err != nil {
		return nil, err
	}
	env.body = body
	// The deep page: follow the JSON list's next cursor ~100 pages, once.
	cursor := ""
	pages := 0
	for ; pages < o.deepPages; pages++ {
		target := baseURL + "/api/v1/operations/" + db.opCode + "/requests"
		if cursor != "" {
			target += "?cursor=" + url.QueryEscape(cursor)
		}
		var page struct {
			NextCursor *string `json:"next_cursor"`
		}
		if err := getJSON(ctx, env.users[0], target, &page); err != nil {
			return nil, fmt.Errorf("following the list's cursor: %w", err)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	env.deepPath = "/operations/" + db.opCode + "/requests"
	if cursor != "" {
		env.deepPath += "?cursor=" + url.QueryEscape(cursor)
	}
	logf("list.deep: %d pages down (the JSON list's next_cursor followed as %s)", pages, officerEmail)
	return env, nil
}

// getJSON fetches target with u's token and decodes it.
func getJSON(ctx context.Context, u *session, target string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+u.token)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", target, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// probe sends ep once as the officer (the requester for create) through
// the raw client: 404 means the route is not built yet.
func probe(ctx context.Context, env *loadEnv, ep *endpoint) (int, error) {
	c := &client{env: env, u: env.users[0], conn: newRawConn(env.host), rnd: rand.New(rand.NewPCG(7, 7))}
	defer c.conn.close()
	status, _, err := c.conn.do(c.build(ep, false), 30*time.Second)
	return status, err
}

// signIn posts the demo password to /login and returns the session.
func signIn(ctx context.Context, baseURL, email string) (*session, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	c := &http.Client{
		Jar: jar,
		// A redirect (to /login) means the session was lost: an error.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	form := url.Values{"email": {email}, "password": {demo.Password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sign in as %s: %w", email, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign in as %s: status %d, want 303", email, resp.StatusCode)
	}
	u, _ := url.Parse(baseURL)
	var parts []string
	for _, ck := range jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("sign in as %s: no session cookie", email)
	}
	return &session{email: email, http: c, cookie: "Cookie: " + strings.Join(parts, "; ") + "\r\n"}, nil
}

// pct is the p-th percentile of sorted (nearest rank).
func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(i, len(sorted))-1)]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + " ms"
}
