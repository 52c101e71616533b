package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/metrics"
	"github.com/cmcoord/cmcoord/internal/notify"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/internal/web"
	"github.com/cmcoord/cmcoord/migrations"
)

// testPassword is every fixture user's password.
const testPassword = "correct horse battery staple"

// fixture is a test server over real services on a private database, with
// an admin and helpers to build organisations, users and operations
// through the services (never SQL).
type fixture struct {
	srv     *httptest.Server
	pool    *pgxpool.Pool
	access  *service.Access
	dir     *service.Directory
	reqs    *service.Requests
	exports *service.Exports
	revs    *service.Reviews
	clock   *testClock
	org     domain.Organization // the fixture's default organisation
	admin   domain.Actor        // a global admin, for setting things up
	logs    *logBuffer          // everything the server logged
	routes  chi.Routes          // the HTML face's router, to walk its routes
}

// logBuffer collects log output from concurrent handlers.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOn(t, testdb.New(t))
}

// newFixtureOn is newFixture on pool; opts adjust the server's options
// (secure cookies, session timeouts, …) before it is built.
func newFixtureOn(t *testing.T, pool *pgxpool.Pool, opts ...func(*web.Options)) *fixture {
	t.Helper()
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	catalog.OnMissing(func(lang, id string) { t.Errorf("missing translation %s:%s", lang, id) })
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	st := store.New(pool)
	// Account changes are told in-app (e-mail off), as serve does.
	access := service.NewAccess(st, time.Now, log).WithNotifier(notify.New(catalog, false, "", log))
	dir := service.NewDirectory(st, access, time.Now, log)
	clock := &testClock{}
	// Fixtures seed data faster than any person would: the per-user
	// limits are off here, on in TestBusinessLimitsLoseNothing.
	reqs := service.NewRequests(st, clock.Now, log).WithActionLimits(nil)
	exports := service.NewExports(st, clock.Now, log).WithActionLimits(nil)
	revs := service.NewReviews(st, clock.Now, log, nil)
	o := web.Options{
		Requests:  reqs,
		Reviews:   revs,
		Lifecycle: service.NewLifecycle(st, clock.Now, log),
		Summary:   service.NewSummary(st, clock.Now, log),
		Exports:   exports,
		Now:       clock.Now,
		Log:       log,
		System:    service.NewSystem(st, migrations.Latest(), time.Now, log),
		Access:    access,
		Directory: dir,
		Sessions:  web.NewSessionManager(pgxstore.NewWithCleanupInterval(pool, 0), false),
		Catalog:   catalog,
		Metrics:   metrics.New(pool),
		Version:   "test",

		Notifications: service.NewNotifications(st, clock.Now, log),
	}
	for _, opt := range opts {
		opt(&o)
	}
	s := web.New(o)
	h := s.Routes()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	routes, _ := h.(chi.Routes)
	return &fixture{srv: srv, pool: pool, access: access, dir: dir, reqs: reqs, exports: exports, revs: revs, clock: clock, logs: logs, routes: routes}
}

// testClock is the request service's and the pages' clock: the real time
// moved on by Advance, so tests can pass the comment edit window.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// withAdmin creates the fixture's admin (admin@example.org) and default
// organisation; call it before the helpers that need an admin.
func (f *fixture) withAdmin(t *testing.T) *fixture {
	t.Helper()
	u, err := f.dir.CreateAdmin(t.Context(), "admin@example.org", "Ada Admin", testPassword, domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatalf("create admin: %v", err)
	}
	f.admin = f.mustActor(t, u)
	f.org, err = f.dir.GetOrganization(t.Context(), f.admin, u.OrganizationID)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) mustActor(t *testing.T, u domain.User) domain.Actor {
	t.Helper()
	a, err := f.access.Actor(t.Context(), u.ID, u.SessionEpoch)
	if err != nil {
		t.Fatalf("actor of %s: %v", u.Email, err)
	}
	return a
}

func (f *fixture) mustOrg(t *testing.T, name string, typ domain.OrgType) domain.Organization {
	t.Helper()
	o, err := f.dir.CreateOrganization(t.Context(), f.admin, domain.Organization{Name: name, Acronym: strings.ToUpper(name[:3]), Type: typ})
	if err != nil {
		t.Fatalf("create organisation %s: %v", name, err)
	}
	return o
}

// mustUser creates an enabled user with testPassword in org (the default
// organisation when orgID is 0).
func (f *fixture) mustUser(t *testing.T, email string, orgID int64) domain.User {
	t.Helper()
	if orgID == 0 {
		orgID = f.org.ID
	}
	u, _, err := f.dir.CreateUser(t.Context(), f.admin, service.NewUser{
		User:     domain.User{Email: email, Name: strings.Split(email, "@")[0], OrganizationID: orgID, Language: "en"},
		Password: testPassword,
	})
	if err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	return u
}

func (f *fixture) mustOperation(t *testing.T, code string, c domain.Context) domain.Operation {
	t.Helper()
	op, err := f.dir.CreateOperation(t.Context(), f.admin, domain.Operation{Code: code, Name: "Operation " + code,
		CountryISO3: "NPL", Context: c, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48})
	if err != nil {
		t.Fatalf("create operation %s: %v", code, err)
	}
	return op
}

func (f *fixture) mustMember(t *testing.T, code string, u domain.User, roles ...domain.Role) {
	t.Helper()
	if err := f.dir.SetMember(t.Context(), f.admin, code, u.ID, roles); err != nil {
		t.Fatalf("add %s to %s: %v", u.Email, code, err)
	}
}

// client returns an HTTP client with its own cookie jar that does not
// follow redirects, so tests see each 303.
func (f *fixture) client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signIn returns a client signed in as email with testPassword.
func (f *fixture) signIn(t *testing.T, email string) *http.Client {
	t.Helper()
	c := f.client(t)
	r := f.post(t, c, "/login", url.Values{"email": {email}, "password": {testPassword}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d\n%.400s", email, r.StatusCode, r.body)
	}
	return c
}

// get and post send same-origin requests, as a browser on the site would.
func (f *fixture) get(t *testing.T, c *http.Client, path string) response {
	t.Helper()
	return f.send(t, c, http.MethodGet, path, nil)
}

func (f *fixture) post(t *testing.T, c *http.Client, path string, form url.Values) response {
	t.Helper()
	return f.send(t, c, http.MethodPost, path, form)
}

func (f *fixture) send(t *testing.T, c *http.Client, method, path string, form url.Values) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp, string(b)}
}
