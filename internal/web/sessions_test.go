package web_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/internal/web"
	"github.com/cmcoord/cmcoord/migrations"
)

// browser is one browser of the tests: its own cookies, User-Agent and
// client address (as a trusted proxy reports it).
type browser struct {
	ua, addr string
	next     http.RoundTripper
}

func (b *browser) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", b.ua)
	r.Header.Set("X-Forwarded-For", b.addr)
	return b.next.RoundTrip(r)
}

// browserClient is a client that does not follow redirects, speaking as
// b.
func browserClient(t *testing.T, b *browser) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b.next = http.DefaultTransport
	return &http.Client{Jar: jar, Transport: b,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

const (
	firefoxUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
	iphoneUA  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

// sessionsFixture is a fixture behind one trusted proxy (so each browser
// has its own address), with opts applied.
func sessionsFixture(t *testing.T, opts ...func(*web.Options)) *fixture {
	t.Helper()
	return sessionsFixtureOn(t, testdb.New(t), opts...)
}

func sessionsFixtureOn(t *testing.T, pool *pgxpool.Pool, opts ...func(*web.Options)) *fixture {
	t.Helper()
	opts = append([]func(*web.Options){func(o *web.Options) { o.TrustedProxies = 1 }}, opts...)
	return newFixtureOn(t, pool, opts...).withAdmin(t)
}

func (f *fixture) signInAs(t *testing.T, c *http.Client, email string) {
	t.Helper()
	r := f.post(t, c, "/login", url.Values{"email": {email}, "password": {testPassword}})
	wantStatus(t, r, http.StatusSeeOther)
}

// sessionRow is one row of the profile's sessions list.
type sessionRow struct {
	id, device, address string
	current             bool
	canEnd              bool
}

func (f *fixture) sessionRows(t *testing.T, c *http.Client) []sessionRow {
	t.Helper()
	r := f.get(t, c, "/profile")
	wantStatus(t, r, http.StatusOK)
	var rows []sessionRow
	doc(t, r).Find(`[data-testid="sessions"] tbody tr`).Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-testid")
		rows = append(rows, sessionRow{
			id:      strings.TrimPrefix(id, "session-"),
			device:  strings.TrimSpace(s.Find(`[data-testid="session-device"]`).Contents().First().Text()),
			address: strings.TrimSpace(s.Find(`[data-testid="session-address"]`).Text()),
			current: s.Find(`[data-testid="session-current"]`).Length() == 1,
			canEnd:  s.Find(`[data-testid="session-end"]`).Length() == 1,
		})
	})
	return rows
}

// signedIn reports whether c's session still opens the profile.
func (f *fixture) signedIn(t *testing.T, c *http.Client) bool {
	t.Helper()
	r := f.get(t, c, "/profile")
	switch r.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusSeeOther:
		if !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Fatalf("GET /profile redirects to %q", r.Header.Get("Location"))
		}
		return false
	}
	t.Fatalf("GET /profile: status %d", r.StatusCode)
	return false
}

func TestSessionsList(t *testing.T) {
	t.Parallel()
	f := sessionsFixture(t)
	u := f.mustUser(t, "ana@example.org", 0)
	laptop := browserClient(t, &browser{ua: firefoxUA, addr: "203.0.113.7"})
	phone := browserClient(t, &browser{ua: iphoneUA, addr: "198.51.100.23"})
	f.signInAs(t, laptop, u.Email)
	f.signInAs(t, phone, u.Email)
	// Someone else's session is never listed; a User-Agent of junk bytes
	// signs in all the same.
	f.signInAs(t, browserClient(t, &browser{ua: "\xff\xfe junk", addr: "192.0.2.1"}), "admin@example.org")

	for _, tt := range []struct {
		name    string
		c       *http.Client
		current string
	}{{"Laptop", laptop, "Firefox 128 · Windows"}, {"Phone", phone, "Safari 17 · iOS · iPhone"}} {
		rows := f.sessionRows(t, tt.c)
		if len(rows) != 2 {
			t.Fatalf("%s: %d sessions listed, want 2: %+v", tt.name, len(rows), rows)
		}
		byDevice := map[string]sessionRow{}
		for _, r := range rows {
			byDevice[r.device] = r
			if r.current != (r.device == tt.current) {
				t.Errorf("%s: session %q current = %v", tt.name, r.device, r.current)
			}
			if r.canEnd == r.current {
				t.Errorf("%s: session %q has an End button = %v; only the others have one", tt.name, r.device, r.canEnd)
			}
		}
		if byDevice["Firefox 128 · Windows"].address != "203.0.113.7" || byDevice["Safari 17 · iOS · iPhone"].address != "198.51.100.23" {
			t.Errorf("%s: devices and addresses = %+v", tt.name, rows)
		}
	}

	t.Run("LastSeenMovesAtMostEveryMinute", func(t *testing.T) {
		// The phone moves to another network at once: not written yet.
		phone.Transport.(*browser).addr = "198.51.100.99"
		f.get(t, phone, "/")
		if got := f.addressOf(t, laptop, "Safari 17 · iOS · iPhone"); got != "198.51.100.23" {
			t.Fatalf("address within the minute = %q, want the sign-in's", got)
		}
		// A minute and more later it is.
		if _, err := f.pool.Exec(t.Context(), `UPDATE user_sessions SET created_at = created_at - interval '2 minutes',
			last_seen_at = last_seen_at - interval '2 minutes' WHERE user_id = $1`, u.ID); err != nil {
			t.Fatal(err)
		}
		f.get(t, phone, "/")
		if got := f.addressOf(t, laptop, "Safari 17 · iOS · iPhone"); got != "198.51.100.99" {
			t.Fatalf("address after a minute = %q, want the new one", got)
		}
	})
}

func (f *fixture) addressOf(t *testing.T, c *http.Client, device string) string {
	t.Helper()
	for _, r := range f.sessionRows(t, c) {
		if r.device == device {
			return r.address
		}
	}
	t.Fatalf("no session of %q listed", device)
	return ""
}

func TestSessionEnd(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		f := sessionsFixture(t)
		u := f.mustUser(t, "ana@example.org", 0)
		laptop := browserClient(t, &browser{ua: firefoxUA, addr: "203.0.113.7"})
		phone := browserClient(t, &browser{ua: iphoneUA, addr: "198.51.100.23"})
		f.signInAs(t, laptop, u.Email)
		f.signInAs(t, phone, u.Email)
		var phoneID string
		for _, r := range f.sessionRows(t, laptop) {
			if !r.current {
				phoneID = r.id
			}
		}
		r := f.post(t, laptop, "/profile/sessions/"+phoneID+"/end", url.Values{})
		wantStatus(t, r, http.StatusSeeOther)
		if f.signedIn(t, phone) {
			t.Fatal("the ended session still opens the profile")
		}
		if !f.signedIn(t, laptop) {
			t.Fatal("ending the other session signed this one out")
		}
		if rows := f.sessionRows(t, laptop); len(rows) != 1 || !rows[0].current {
			t.Fatalf("sessions after ending one = %+v, want only this one", rows)
		}
		f.wantSessionsEnded(t, u, 1)
		// Ended is gone: ending it again is 404.
		r = f.post(t, laptop, "/profile/sessions/"+phoneID+"/end", url.Values{})
		wantStatus(t, r, http.StatusNotFound)
	})

	t.Run("ErrAnotherUsersSession", func(t *testing.T) {
		t.Parallel()
		f := sessionsFixture(t)
		ana := f.mustUser(t, "ana@example.org", 0)
		bob := f.mustUser(t, "bob@example.org", 0)
		anaC := browserClient(t, &browser{ua: firefoxUA, addr: "203.0.113.7"})
		bobC := browserClient(t, &browser{ua: iphoneUA, addr: "198.51.100.23"})
		f.signInAs(t, anaC, ana.Email)
		f.signInAs(t, bobC, bob.Email)
		bobID := f.sessionRows(t, bobC)[0].id
		for _, path := range []string{"/profile/sessions/" + bobID + "/end", "/profile/sessions/999999/end", "/profile/sessions/x/end"} {
			wantStatus(t, f.post(t, anaC, path, url.Values{}), http.StatusNotFound)
		}
		if !f.signedIn(t, bobC) {
			t.Fatal("another user ended bob's session")
		}
		// Ending the others keeps bob's session: it is not ana's.
		wantStatus(t, f.post(t, anaC, "/profile/sessions/end-others", url.Values{}), http.StatusSeeOther)
		if !f.signedIn(t, bobC) || !f.signedIn(t, anaC) {
			t.Fatal("ana's sign-out of her other sessions ended bob's or her own")
		}
	})

	t.Run("OwnSessionSignsOut", func(t *testing.T) {
		t.Parallel()
		f := sessionsFixture(t)
		u := f.mustUser(t, "ana@example.org", 0)
		laptop := browserClient(t, &browser{ua: firefoxUA, addr: "203.0.113.7"})
		f.signInAs(t, laptop, u.Email)
		id := f.sessionRows(t, laptop)[0].id
		r := f.post(t, laptop, "/profile/sessions/"+id+"/end", url.Values{})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/login" {
			t.Fatalf("ending this session redirects to %q, want /login", loc)
		}
		if f.signedIn(t, laptop) {
			t.Fatal("still signed in after ending this very session")
		}
		var n int
		if err := f.pool.QueryRow(t.Context(), `SELECT count(*) FROM user_sessions`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("user_sessions = %d (%v), want 0", n, err)
		}
	})
}

func TestSessionsEndOthers(t *testing.T) {
	t.Parallel()
	f := sessionsFixture(t)
	u := f.mustUser(t, "ana@example.org", 0)
	here := browserClient(t, &browser{ua: firefoxUA, addr: "203.0.113.7"})
	f.signInAs(t, here, u.Email)
	others := make([]*http.Client, 3)
	for i := range others {
		others[i] = browserClient(t, &browser{ua: iphoneUA, addr: "198.51.100.23"})
		f.signInAs(t, others[i], u.Email)
	}
	if d := doc(t, f.get(t, here, "/profile")); d.Find(`[data-testid="sessions-end-others"]`).Length() != 1 {
		t.Fatal("no 'sign out all other sessions' button with other sessions live")
	}
	r := f.post(t, here, "/profile/sessions/end-others", url.Values{})
	wantStatus(t, r, http.StatusSeeOther)
	for i, c := range others {
		if f.signedIn(t, c) {
			t.Errorf("other session %d still signed in", i)
		}
	}
	if !f.signedIn(t, here) {
		t.Fatal("signing out the other sessions ended this one")
	}
	d := doc(t, f.get(t, here, "/profile"))
	if d.Find(`[data-testid="sessions-end-others"]`).Length() != 0 || d.Find(`[data-testid="sessions-only-this"]`).Length() != 1 {
		t.Error("with no other session the page still offers to end them")
	}
	f.wantSessionsEnded(t, u, 3)
}

// wantSessionsEnded checks that the security log's last entry is u
// ending n sessions, with the address they did it from.
func (f *fixture) wantSessionsEnded(t *testing.T, u domain.User, n int) {
	t.Helper()
	page, err := f.dir.DirectoryLog(t.Context(), f.admin, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 {
		t.Fatal("the security log is empty")
	}
	e := page.Items[0]
	var p struct {
		Sessions int    `json:"sessions"`
		Address  string `json:"address"`
		Label    string `json:"label"`
	}
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		t.Fatal(err)
	}
	if e.Action != domain.DirSessionsEnded || e.ActorID != u.ID || e.Target != (domain.Target{Kind: domain.TargetUser, ID: u.ID}) ||
		p.Sessions != n || p.Address != "203.0.113.7" || p.Label != u.Email {
		t.Fatalf("last security log entry = %s by %d on %+v %s, want %s of %d sessions by user %d from 203.0.113.7",
			e.Action, e.ActorID, e.Target, e.Payload, domain.DirSessionsEnded, n, u.ID)
	}
}

// TestSessionTimeouts: a session ends after the idle timeout without a
// request, and at the absolute lifetime however busy it is; within both
// it lasts. The idle timeout runs on the services' clock (moved on here);
// the lifetime is scs's, on the real clock, so it is short here.
func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	// idleFixture is a fixture whose sessions go idle after idle on clock.
	idleFixture := func(t *testing.T, idle time.Duration) (*fixture, *testClock, *service.System) {
		pool := testdb.New(t)
		clock := &testClock{}
		log := slog.New(slog.DiscardHandler)
		f := sessionsFixtureOn(t, pool, func(o *web.Options) {
			a := service.NewAccess(store.New(pool), clock.Now, log)
			a.SessionIdle = idle
			o.Access = a
		})
		sys := service.NewSystem(store.New(pool), migrations.Latest(), clock.Now, log)
		sys.SessionIdle = idle
		return f, clock, sys
	}
	t.Run("Idle", func(t *testing.T) {
		t.Parallel()
		f, clock, sys := idleFixture(t, domain.DefaultSessionIdle)
		u := f.mustUser(t, "ana@example.org", 0)
		busy := browserClient(t, &browser{ua: firefoxUA, addr: "203.0.113.7"})
		idle := browserClient(t, &browser{ua: iphoneUA, addr: "198.51.100.23"})
		forgotten := browserClient(t, &browser{ua: iphoneUA, addr: "198.51.100.24"})
		for _, c := range []*http.Client{busy, idle, forgotten} {
			f.signInAs(t, c, u.Email)
		}
		// The busy browser is used every hour; the others are not.
		for range 2 {
			clock.Advance(time.Hour + time.Minute)
			if !f.signedIn(t, busy) {
				t.Fatal("a session in use ended before its idle timeout")
			}
		}
		if f.signedIn(t, idle) {
			t.Fatal("a session unused for longer than the idle timeout still opens the profile")
		}
		if rows := f.sessionRows(t, busy); len(rows) != 1 || !rows[0].current {
			t.Fatalf("sessions listed = %+v, want only the busy one (idle ones are not live)", rows)
		}
		// Housekeeping prunes the forgotten one, which never came back.
		if err := sys.Housekeep(t.Context()); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := f.pool.QueryRow(t.Context(), `SELECT count(*) FROM sessions s JOIN user_sessions u ON u.token = s.token`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("recorded sessions after housekeeping = %d (%v), want the busy one", n, err)
		}
	})
	t.Run("ShortIdleInUse", func(t *testing.T) {
		t.Parallel()
		// With a one-minute idle timeout the sightings are written every
		// half minute, so a browser used every 40 s never looks idle.
		f, clock, _ := idleFixture(t, time.Minute)
		u := f.mustUser(t, "ana@example.org", 0)
		c := browserClient(t, &browser{ua: firefoxUA, addr: "203.0.113.7"})
		f.signInAs(t, c, u.Email)
		for i := range 6 {
			clock.Advance(40 * time.Second)
			if !f.signedIn(t, c) {
				t.Fatalf("used every 40 s, the session ended after %d uses", i)
			}
		}
		clock.Advance(61 * time.Second)
		if f.signedIn(t, c) {
			t.Fatal("unused for over a minute, the session still opens the profile")
		}
	})
	t.Run("Absolute", func(t *testing.T) {
		t.Parallel()
		f := sessionsFixture(t, func(o *web.Options) { o.Sessions.Lifetime = 3 * time.Second })
		u := f.mustUser(t, "ana@example.org", 0)
		c := browserClient(t, &browser{ua: firefoxUA, addr: "203.0.113.7"})
		f.signInAs(t, c, u.Email)
		start := time.Now()
		for time.Since(start) < 2*time.Second {
			if !f.signedIn(t, c) {
				t.Fatalf("the session ended after %s, before its lifetime", time.Since(start))
			}
			time.Sleep(500 * time.Millisecond)
		}
		time.Sleep(time.Until(start.Add(3500 * time.Millisecond)))
		if f.signedIn(t, c) {
			t.Fatal("a session in constant use outlived its absolute lifetime")
		}
	})
}

// TestSessionEpochEndsSessions: changing the password ends every other
// session at once (they vanish from the store and the list); this one
// goes on under a new token.
func TestSessionEpochEndsSessions(t *testing.T) {
	t.Parallel()
	f := sessionsFixture(t)
	u := f.mustUser(t, "ana@example.org", 0)
	here := browserClient(t, &browser{ua: firefoxUA, addr: "203.0.113.7"})
	there := browserClient(t, &browser{ua: iphoneUA, addr: "198.51.100.23"})
	f.signInAs(t, here, u.Email)
	f.signInAs(t, there, u.Email)
	const next = "a brand new passphrase 2"
	r := f.post(t, here, "/profile/password", url.Values{"current_password": {testPassword}, "new_password": {next}, "password_confirm": {next}})
	wantStatus(t, r, http.StatusSeeOther)
	var n int
	if err := f.pool.QueryRow(t.Context(), `SELECT count(*) FROM user_sessions WHERE user_id = $1`, u.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("recorded sessions after a password change = %d (%v), want 1 (this one)", n, err)
	}
	if f.signedIn(t, there) {
		t.Fatal("another session outlived the password change")
	}
	if rows := f.sessionRows(t, here); len(rows) != 1 || !rows[0].current || rows[0].device != "Firefox 128 · Windows" {
		t.Fatalf("sessions after a password change = %+v, want this one", rows)
	}
}

// TestSessionPrune: housekeeping's removal of expired sessions takes
// their recorded rows with them.
func TestSessionPrune(t *testing.T) {
	t.Parallel()
	f := sessionsFixture(t)
	u := f.mustUser(t, "ana@example.org", 0)
	c := browserClient(t, &browser{ua: firefoxUA, addr: "203.0.113.7"})
	f.signInAs(t, c, u.Email)
	if _, err := f.pool.Exec(t.Context(), `UPDATE sessions SET expiry = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	sys := service.NewSystem(store.New(f.pool), migrations.Latest(), time.Now, slog.New(slog.DiscardHandler))
	if err := sys.Housekeep(t.Context()); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := f.pool.QueryRow(t.Context(), `SELECT count(*) FROM user_sessions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("user_sessions after pruning = %d (%v), want 0", n, err)
	}
}

// TestSessionCookie: over TLS (secure cookies) the session cookie is
// __Host-cmcoord_session, Secure, HttpOnly, SameSite=Lax, Path=/ and no
// Domain; without, cmcoord_session and not Secure.
func TestSessionCookie(t *testing.T) {
	t.Parallel()
	for _, secure := range []bool{false, true} {
		pool := testdb.New(t)
		f := newFixtureOn(t, pool, func(o *web.Options) {
			o.SecureCookies = secure
			o.Sessions = web.NewSessionManager(store.NewSessionStore(pool), secure)
		}).withAdmin(t)
		r := f.post(t, f.client(t), "/login", url.Values{"email": {"admin@example.org"}, "password": {testPassword}})
		wantStatus(t, r, http.StatusSeeOther)
		var c *http.Cookie
		for _, ck := range r.Cookies() {
			if strings.Contains(ck.Name, "session") {
				c = ck
			}
		}
		want := web.SessionCookieName(secure)
		if c == nil || c.Name != want {
			t.Fatalf("secure=%v: session cookie %v, want %s", secure, c, want)
		}
		if c.Secure != secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
			t.Errorf("secure=%v: cookie %s: want Secure=%v, HttpOnly, SameSite=Lax, Path=/, no Domain", secure, c.String(), secure)
		}
		if secure && !strings.HasPrefix(c.Name, "__Host-") {
			t.Errorf("secure cookie %s lacks the __Host- prefix", c.Name)
		}
	}
}
