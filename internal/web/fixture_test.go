package web_test

import (
	"bytes"
	"github.com/cmcoord/cmcoord/internal/testutil/testclock"
	"mime/multipart"

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

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/metrics"
	"github.com/cmcoord/cmcoord/internal/notify"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/internal/testutil/totptest"
	"github.com/cmcoord/cmcoord/internal/web"
	"github.com/cmcoord/cmcoord/migrations"
)

// testPassword is every fixture user's password.
const testPassword = "violet kettle harbour at dawn"

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
	// recordKeys sign the decision records (records@records.test).
	recordKeys *service.RecordKeys
	attach     *service.Attachments
	clock      *testClock
	org        domain.Organization // the fixture's default organisation
	admin      domain.Actor        // a global admin, for setting things up
	logs       *logBuffer          // everything the server logged
	routes     chi.Routes          // the HTML face's router, to walk its routes
	// authClock is the access and directory services' clock: real time,
	// moved on a TOTP step when a test signs in faster than codes change.
	authClock *totptest.Clock
	devicesMu sync.Mutex
	devices   map[string]*totptest.Device // second factors, by e-mail
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
	authClock := &totptest.Clock{}
	// Account changes are told in-app (e-mail off), as serve does.
	access := service.NewAccess(st, authClock.Now, log).WithNotifier(notify.New(catalog, false, "", log))
	dir := service.NewDirectory(st, access, authClock.Now, log)
	clock := &testClock{}
	// Fixtures seed data faster than any person would: the per-user
	// limits are off here, on in TestBusinessLimitsLoseNothing.
	reqs := service.NewRequests(st, clock.Now, log).WithActionLimits(nil)
	exports := service.NewExports(st, clock.Now, log).WithActionLimits(nil)
	revs := service.NewReviews(st, clock.Now, log, nil)
	recordKeys := service.NewRecordKeys(st, "", "http://records.test", time.Now, log)
	attachments := service.NewAttachments(st, clock.Now, log)
	reqs.WithAttachments(attachments)
	o := web.Options{
		RecordKeys:  recordKeys,
		Attachments: attachments,
		Requests:    reqs,
		Reviews:     revs,
		Lifecycle:   service.NewLifecycle(st, clock.Now, log),
		Summary:     service.NewSummary(st, clock.Now, log),
		Exports:     exports,
		Now:         clock.Now,
		Log:         log,
		System:      service.NewSystem(st, migrations.Latest(), time.Now, log),
		Access:      access,
		Directory:   dir,
		Sessions:    web.NewSessionManager(store.NewSessionStore(pool), false),
		Catalog:     catalog,
		Metrics:     metrics.New(pool),
		Version:     "test",

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
	return &fixture{srv: srv, pool: pool, access: access, dir: dir, reqs: reqs, exports: exports, revs: revs, recordKeys: recordKeys, attach: attachments, clock: clock, logs: logs, routes: routes,
		authClock: authClock, devices: map[string]*totptest.Device{}}
}

// testClock is the services' clock in the fixture.
type testClock = testclock.Clock

// withAdmin creates the fixture's admin (admin@example.org) and default
// organisation; call it before the helpers that need an admin.
func (f *fixture) withAdmin(t *testing.T) *fixture {
	t.Helper()
	u, err := f.dir.CreateAdmin(t.Context(), "admin@example.org", "Ada Admin", testPassword, domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatalf("create admin: %v", err)
	}
	f.admin = f.mustActor(t, u)
	f.enrol(t, u) // administrators need a second factor
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

// signIn returns a client signed in as email with testPassword and,
// when the user has a second factor or needs one, its code (enrolling
// through the pages first when needed).
func (f *fixture) signIn(t *testing.T, email string) *http.Client {
	t.Helper()
	c := f.client(t)
	r := f.post(t, c, "/login", url.Values{"email": {email}, "password": {testPassword}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d\n%.400s", email, r.StatusCode, r.body)
	}
	f.secondStep(t, c, email, r)
	return c
}

// enrol gives u a second factor through the service; signIn then types
// its codes.
func (f *fixture) enrol(t *testing.T, u domain.User) *totptest.Device {
	t.Helper()
	d, _ := totptest.Enrol(t, f.access, u.ID, f.authClock)
	f.devicesMu.Lock()
	defer f.devicesMu.Unlock()
	f.devices[strings.ToLower(u.Email)] = d
	return d
}

// device is email's authenticator, or nil.
func (f *fixture) device(email string) *totptest.Device {
	f.devicesMu.Lock()
	defer f.devicesMu.Unlock()
	return f.devices[strings.ToLower(email)]
}

// secondStep completes the sign-in of c as email whose password answer
// was r: the code of email's device at /login/2fa, or an enrolment
// through the pages at /login/enrol (reading the key the page shows).
func (f *fixture) secondStep(t *testing.T, c *http.Client, email string, r response) {
	t.Helper()
	switch r.Header.Get("Location") {
	case "/login/2fa":
		d := f.device(email)
		if d == nil {
			t.Fatalf("sign in as %s: asked for a code, but the test enrolled no device", email)
		}
		r = f.post(t, c, "/login/2fa", url.Values{"code": {d.Code(t)}})
		if r.StatusCode != http.StatusSeeOther || strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Fatalf("second step of %s: status %d to %q\n%.400s", email, r.StatusCode, r.Header.Get("Location"), r.body)
		}
	case "/login/enrol":
		page := doc(t, f.get(t, c, "/login/enrol"))
		secret := testid(page, "factor-secret").Text()
		if secret == "" {
			t.Fatalf("enrolment of %s: no key on the page", email)
		}
		d := totptest.NewDevice(secret, f.authClock)
		r = f.post(t, c, "/login/enrol", url.Values{"code": {d.Code(t)}})
		if r.StatusCode != http.StatusOK || testid(doc(t, r), "recovery-code").Length() != domain.RecoveryCodeCount {
			t.Fatalf("enrolment of %s: status %d\n%.400s", email, r.StatusCode, r.body)
		}
		f.devicesMu.Lock()
		f.devices[strings.ToLower(email)] = d
		f.devicesMu.Unlock()
	}
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
	contentType := "application/x-www-form-urlencoded"
	if form != nil {
		body = strings.NewReader(form.Encode())
		if strings.HasSuffix(path, "/attachments") { // the documents form: multipart, as a browser posts it
			body, contentType = multipartForm(t, form)
		}
	}
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", contentType)
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

// multipartForm encodes form as a browser posts a form with a file
// input: its fields, then the part "file" (its value as the content of
// a text file, or a short note when empty).
func multipartForm(t *testing.T, form url.Values) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for name, vals := range form {
		if name == "file" {
			continue
		}
		for _, v := range vals {
			if err := mw.WriteField(name, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	content := form.Get("file")
	if content == "" {
		content = "A note for the record.\n"
	}
	fw, err := mw.CreateFormFile("file", "note.txt")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(content))
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}
