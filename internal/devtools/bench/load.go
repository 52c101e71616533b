package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/cmcoord/cmcoord/internal/demo"
)

// user is a signed-in demo account: a session for the pages, a token for
// the API, and the requests it may open.
type user struct {
	email string
	html  *http.Client // carries the session cookie
	api   *http.Client // no cookies: the token alone
	token string
	ids   []int64
}

// endpoint is one measured route.
type endpoint struct {
	key    string // for -endpoints
	name   string
	route  string
	target bool // named by PRODUCT.md §7 (the list page and the request page)
	api    bool
	path   func(db *benchDB, u *user, rnd *rand.Rand) string
}

func endpoints() []endpoint {
	list := func(db *benchDB, _ *user, _ *rand.Rand) string { return "/operations/" + db.opCode + "/requests" }
	apiList := func(db *benchDB, _ *user, _ *rand.Rand) string {
		return "/api/v1/operations/" + db.opCode + "/requests"
	}
	show := func(_ *benchDB, u *user, rnd *rand.Rand) string {
		return "/requests/" + strconv.FormatInt(u.ids[rnd.IntN(len(u.ids))], 10)
	}
	apiShow := func(_ *benchDB, u *user, rnd *rand.Rand) string {
		return "/api/v1/requests/" + strconv.FormatInt(u.ids[rnd.IntN(len(u.ids))], 10)
	}
	return []endpoint{
		{key: "list", name: "request list (HTML)", route: "GET /operations/{code}/requests", target: true, path: list},
		{key: "list.json", name: "request list (JSON)", route: "GET /api/v1/operations/{code}/requests", target: true, api: true, path: apiList},
		{key: "show", name: "request page (HTML)", route: "GET /requests/{id}", target: true, path: show},
		{key: "show.json", name: "request (JSON)", route: "GET /api/v1/requests/{id}", target: true, api: true, path: apiShow},
		// For reference, with -endpoints: the pages most users open
		// first, whose queues query the requests too.
		{key: "operation", name: "operation page (HTML)", route: "GET /operations/{code}",
			path: func(db *benchDB, _ *user, _ *rand.Rand) string { return "/operations/" + db.opCode }},
		{key: "dashboard", name: "dashboard (HTML)", route: "GET /", path: func(*benchDB, *user, *rand.Rand) string { return "/" }},
	}
}

// stats are one endpoint's measurements.
type stats struct {
	endpoint
	available bool
	note      string // why not available
	lat       []time.Duration
	errs      int
	firstErr  string
}

// result is the measured run.
type result struct {
	stats   []*stats
	elapsed time.Duration
	clients int
	procs   int
}

func (r result) errors() int {
	n := 0
	for _, s := range r.stats {
		n += s.errs
	}
	return n
}

func (r result) firstError() string {
	for _, s := range r.stats {
		if s.firstErr != "" {
			return s.name + ": " + s.firstErr
		}
	}
	return ""
}

// runLoad signs in, probes which endpoints exist, warms up, then drives
// o.clients clients for o.duration.
func runLoad(ctx context.Context, o options, baseURL string, db *benchDB, logf func(string, ...any)) (result, error) {
	transport := &http.Transport{
		MaxIdleConns:        4 * o.clients,
		MaxIdleConnsPerHost: 4 * o.clients, // keep-alive for every client, as browsers do
		IdleConnTimeout:     90 * time.Second,
	}
	defer transport.CloseIdleConnections()
	officer, err := signIn(ctx, transport, baseURL, officerEmail)
	if err != nil {
		return result{}, err
	}
	officer.token, officer.ids = db.officerToken, db.officerIDs
	requester, err := signIn(ctx, transport, baseURL, requesterEmail)
	if err != nil {
		return result{}, err
	}
	requester.token, requester.ids = db.requesterToken, db.requesterIDs
	logf("signed in %s and %s (sessions and API tokens)", officerEmail, requesterEmail)

	var all []*stats
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, ep := range endpoints() {
		if len(o.only) > 0 && !slices.Contains(o.only, ep.key) || len(o.only) == 0 && !ep.target {
			continue
		}
		st := &stats{endpoint: ep}
		_, status, err := get(ctx, officer, ep, baseURL+ep.path(db, officer, rnd))
		switch {
		case err != nil:
			return result{}, fmt.Errorf("probe %s: %w", ep.route, err)
		case status == http.StatusNotFound:
			st.note = "not available (404: route not built yet)"
		case status != http.StatusOK:
			return result{}, fmt.Errorf("probe %s: status %d", ep.route, status)
		default:
			st.available = true
		}
		all = append(all, st)
	}
	var live []*stats
	for _, st := range all {
		if st.available {
			live = append(live, st)
		}
	}
	if len(live) == 0 {
		return result{}, fmt.Errorf("no endpoint answered")
	}
	users := []*user{officer, requester}
	if o.warmup > 0 {
		logf("warming up for %s", o.warmup)
		phase(ctx, o.clients, o.warmup, users, live, db, baseURL, false)
	}
	logf("measuring: %d clients for %s over %d endpoints", o.clients, o.duration, len(live))
	elapsed := phase(ctx, o.clients, o.duration, users, live, db, baseURL, true)
	if err := ctx.Err(); err != nil {
		return result{}, err
	}
	return result{stats: all, elapsed: elapsed, clients: o.clients, procs: runtime.NumCPU()}, nil
}

// phase runs n clients for d; client i signs in as users[i % len] and
// takes the endpoints in turn, starting at its own offset. When record
// is set the latencies and errors go into eps.
func phase(ctx context.Context, n int, d time.Duration, users []*user, eps []*stats, db *benchDB, baseURL string, record bool) time.Duration {
	type sample struct {
		lat []time.Duration
		err int
		msg string
	}
	per := make([][]sample, n)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i := range n {
		per[i] = make([]sample, len(eps))
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := users[i%len(users)]
			rnd := rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))
			for k := i; time.Now().Before(deadline) && ctx.Err() == nil; k++ {
				j := k % len(eps)
				ep := eps[j].endpoint
				t := time.Now()
				_, status, err := get(ctx, u, ep, baseURL+ep.path(db, u, rnd))
				lat := time.Since(t)
				s := &per[i][j]
				switch {
				case err != nil && ctx.Err() != nil:
					return
				case err != nil:
					s.err++
					if s.msg == "" {
						s.msg = err.Error()
					}
				case status != http.StatusOK:
					s.err++
					if s.msg == "" {
						s.msg = fmt.Sprintf("%s as %s: status %d", ep.route, u.email, status)
					}
				default:
					s.lat = append(s.lat, lat)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if record {
		for i := range per {
			for j, s := range per[i] {
				eps[j].lat = append(eps[j].lat, s.lat...)
				eps[j].errs += s.err
				if eps[j].firstErr == "" {
					eps[j].firstErr = s.msg
				}
			}
		}
	}
	return elapsed
}

// get fetches target as u (session cookie, or bearer token for the API)
// and reads the whole body, as a browser would before rendering.
func get(ctx context.Context, u *user, ep endpoint, target string) (int64, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, 0, err
	}
	client := u.html
	if ep.api {
		req.Header.Set("Authorization", "Bearer "+u.token)
		req.Header.Set("Accept", "application/json")
		client = u.api
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	return n, resp.StatusCode, err
}

// signIn posts the demo password to /login and returns a user whose
// client carries the session.
func signIn(ctx context.Context, transport http.RoundTripper, baseURL, email string) (*user, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	c := &http.Client{
		Transport: transport,
		Jar:       jar,
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
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign in as %s: status %d, want 303", email, resp.StatusCode)
	}
	api := &http.Client{Transport: transport, CheckRedirect: c.CheckRedirect, Timeout: c.Timeout}
	return &user{email: email, html: c, api: api}, nil
}

// report prints the table and the verdicts.
func report(w io.Writer, o options, db *benchDB, r result) {
	seeded := "reused"
	if !db.reused {
		seeded = "seeded in " + db.seedTime.Round(100*time.Millisecond).String()
	}
	fmt.Fprintf(w, "\ncmcoord load run: %d requests (%d in %s), %d events (%s); %d clients for %s; %d CPUs shared by server, PostgreSQL and clients\n\n",
		db.requests, db.opRequests, db.opCode, db.events, seeded, r.clients, r.elapsed.Round(10*time.Millisecond), r.procs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "endpoint\troute\tcount\terrors\tp50\tp90\tp99\tmax\treq/s\tp99 ≤ "+ms(o.target))
	var measured, passed, targets int
	for _, s := range r.stats {
		if s.target {
			targets++
		}
		if !s.available {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\t-\t-\t%s\n", s.name, s.route, s.note)
			continue
		}
		slices.Sort(s.lat)
		p99 := pct(s.lat, 99)
		verdict := "PASS"
		if p99 > o.target || len(s.lat) == 0 {
			verdict = "FAIL"
		}
		if s.target {
			measured++
			if verdict == "PASS" {
				passed++
			}
		} else {
			verdict += " (reference)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%.0f\t%s\n", s.name, s.route, len(s.lat), s.errs,
			ms(pct(s.lat, 50)), ms(pct(s.lat, 90)), ms(p99), ms(pct(s.lat, 100)),
			float64(len(s.lat))/r.elapsed.Seconds(), verdict)
	}
	tw.Flush()
	var total int
	for _, s := range r.stats {
		total += len(s.lat)
	}
	fmt.Fprintf(w, "\ntotal: %d requests, %.0f req/s, %d errors\n", total, float64(total)/r.elapsed.Seconds(), r.errors())
	fmt.Fprintf(w, "PRODUCT.md §7 (list and request pages, p99 ≤ %s): %d of %d endpoints measured, %d pass", ms(o.target), measured, targets, passed)
	if measured < targets {
		fmt.Fprintf(w, "; %d not available yet", targets-measured)
	}
	fmt.Fprintln(w)
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
