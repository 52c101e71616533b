package api_test

import (
	"github.com/cmcoord/cmcoord/internal/testutil/testclock"

	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/api"
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/metrics"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/apicontract"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/internal/testutil/totptest"
	"github.com/cmcoord/cmcoord/internal/web"
	"github.com/cmcoord/cmcoord/migrations"
)

// TestMain reports how many API calls the tests checked against the
// served OpenAPI document (see fixture.call).
func TestMain(m *testing.M) {
	code := m.Run()
	fmt.Printf("OpenAPI contract: %d API calls of the tests checked (request and response) against the served document\n",
		apicontract.Checked())
	os.Exit(code)
}

// testPassword is every fixture user's password.
const testPassword = "violet kettle harbour at dawn"

// fixture is the whole server, built as production builds it, over real
// services on a private database, with an admin (and the admin's API
// token) and helpers that create records through the services, never SQL.
type fixture struct {
	srv        *httptest.Server
	pool       *pgxpool.Pool
	access     *service.Access
	dir        *service.Directory
	reqs       *service.Requests
	exports    *service.Exports // withExports's
	reviews    *service.Reviews
	attach     *service.Attachments
	life       *service.Lifecycle
	clock      *clock              // the requests, reviews and lifecycle services'; time.Now until advanced
	org        domain.Organization // the default organisation
	admin      domain.Actor
	adminToken string
	contract   *apicontract.Contract // the served OpenAPI document every call is checked against
	metrics    *metrics.Metrics
	// authClock is the access and directory services' clock; devices
	// are the second factors the fixture enrolled, by e-mail.
	authClock *totptest.Clock
	devices   *deviceBook
}

// deviceBook holds the fixture's second factors, by e-mail (shared by
// a sibling instance).
type deviceBook struct {
	mu sync.Mutex
	m  map[string]*totptest.Device
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	pool := testdb.New(t)
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	catalog.OnMissing(func(lang, id string) {
		t.Errorf("missing translation %s:%s", lang, id)
	})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := store.New(pool)
	authClock := &totptest.Clock{}
	access := service.NewAccess(st, authClock.Now, log)
	dir := service.NewDirectory(st, access, authClock.Now, log)
	clk := &clock{}
	// Fixtures seed data faster than any person would: the per-user
	// limits are off here, on in TestBusinessLimits.
	reqs := service.NewRequests(st, clk.Now, log).WithActionLimits(nil)
	reviews := service.NewReviews(st, clk.Now, log, nil)
	life := service.NewLifecycle(st, clk.Now, log)
	attach := service.NewAttachments(st, clk.Now, log)
	reqs.WithAttachments(attach)
	sessions := web.NewSessionManager(store.NewSessionStore(pool), false)
	m := metrics.New(pool)
	s := web.New(web.Options{
		Log:       log,
		System:    service.NewSystem(st, migrations.Latest(), time.Now, log),
		Access:    access,
		Directory: dir,
		Requests:  reqs,
		Sessions:  sessions,
		Catalog:   catalog,
		Metrics:   m,
		Version:   "test",
	})
	jsonAPI := api.New(api.Options{Log: log, Access: access, Directory: dir, Requests: reqs, Reviews: reviews, Lifecycle: life,
		Attachments: attach, Notifications: service.NewNotifications(st, clk.Now, log),
		Summary: service.NewSummary(st, clk.Now, log), Sessions: sessions, Catalog: catalog, Metrics: m})
	srv := httptest.NewServer(httpface.Mux(jsonAPI.Routes(), s.Routes()))
	t.Cleanup(srv.Close)
	f := &fixture{srv: srv, pool: pool, access: access, dir: dir, reqs: reqs, reviews: reviews, life: life, attach: attach, clock: clk,
		metrics: m, authClock: authClock, devices: &deviceBook{m: map[string]*totptest.Device{}}}
	f.contract = apicontract.Fetch(t, srv.URL)

	u, err := dir.CreateAdmin(t.Context(), "admin@example.org", "Ada Admin", testPassword, domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatalf("create admin: %v", err)
	}
	f.admin = f.mustActor(t, u)
	f.enrol(t, u) // administrators need a second factor, for their tokens too
	if f.org, err = dir.GetOrganization(t.Context(), f.admin, u.OrganizationID); err != nil {
		t.Fatal(err)
	}
	f.adminToken = f.mustToken(t, u)
	return f
}

// clock is the settable "now" of the services, so a test can move past
// the comment edit window (testclock.Clock).
type clock = testclock.Clock

func (f *fixture) mustActor(t testing.TB, u domain.User) domain.Actor {
	t.Helper()
	a, err := f.access.Actor(t.Context(), u.ID, u.SessionEpoch)
	if err != nil {
		t.Fatalf("actor of %s: %v", u.Email, err)
	}
	return a
}

// mustToken issues an API token for u, as POST /me/tokens would.
func (f *fixture) mustToken(t testing.TB, u domain.User) string {
	t.Helper()
	secret, _, err := f.access.IssueTokenForEmail(t.Context(), u.Email, domain.NewToken{Name: "test", Scope: domain.TokenFull})
	if err != nil {
		t.Fatalf("token for %s: %v", u.Email, err)
	}
	return secret
}

func (f *fixture) mustOrg(t testing.TB, name string, typ domain.OrgType) domain.Organization {
	t.Helper()
	o, err := f.dir.CreateOrganization(t.Context(), f.admin, domain.Organization{Name: name, Acronym: strings.ToUpper(name[:3]), Type: typ})
	if err != nil {
		t.Fatalf("create organisation %s: %v", name, err)
	}
	return o
}

// mustUser creates an enabled user with testPassword in the default
// organisation.
func (f *fixture) mustUser(t testing.TB, email string) domain.User {
	t.Helper()
	u, _, err := f.dir.CreateUser(t.Context(), f.admin, service.NewUser{
		User:     domain.User{Email: email, Name: strings.Split(email, "@")[0], OrganizationID: f.org.ID, Language: "en"},
		Password: testPassword,
	})
	if err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	return u
}

func (f *fixture) mustOperation(t testing.TB, code string) domain.Operation {
	t.Helper()
	op, err := f.dir.CreateOperation(t.Context(), f.admin, domain.Operation{Code: code, Name: "Operation " + code,
		CountryISO3: "NPL", Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48})
	if err != nil {
		t.Fatalf("create operation %s: %v", code, err)
	}
	return op
}

func (f *fixture) mustMember(t testing.TB, code string, u domain.User, roles ...domain.Role) {
	t.Helper()
	if err := f.dir.SetMember(t.Context(), f.admin, code, u.ID, roles); err != nil {
		t.Fatalf("add %s to %s: %v", u.Email, code, err)
	}
}

// req is one API call. Body is sent as JSON unless it is a string, which
// is sent as is; either way with Content-Type application/json unless
// Header says otherwise.
type req struct {
	Method, Path string
	Token        string
	Body         any
	Header       map[string]string
	Client       *http.Client // a browser with a session; nil for a plain client
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// call sends rq to /api/v1 + rq.Path, and checks the exchange against the
// served OpenAPI document (contractTransport).
func (f *fixture) call(t testing.TB, rq req) response {
	t.Helper()
	var body io.Reader
	if rq.Body != nil {
		if s, ok := rq.Body.(string); ok {
			body = strings.NewReader(s)
		} else {
			b, err := json.Marshal(rq.Body)
			if err != nil {
				t.Fatal(err)
			}
			body = bytes.NewReader(b)
		}
	}
	r, err := http.NewRequest(rq.Method, f.srv.URL+"/api/v1"+rq.Path, body)
	if err != nil {
		t.Fatal(err)
	}
	if rq.Body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if rq.Token != "" {
		r.Header.Set("Authorization", "Bearer "+rq.Token)
	}
	for k, v := range rq.Header {
		r.Header.Set(k, v)
	}
	resp, err := f.contract.Client(t, rq.Client).Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// want fails t unless r has status; it returns r for chaining.
func (r response) want(t testing.TB, status int) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body: %.600s", r.Status, status, r.Body)
	}
	return r
}

// decode decodes r's JSON body into a T.
func decode[T any](t testing.TB, r response) T {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q, want application/json; charset=utf-8", ct)
	}
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("decode %T: %v; body: %.600s", v, err, r.Body)
	}
	return v
}

// apiError mirrors the error envelope.
type apiError struct {
	Error struct {
		Code            string            `json:"code"`
		Message         string            `json:"message"`
		MessageID       string            `json:"message_id"`
		Fields          map[string]string `json:"fields"`
		FieldMessageIDs map[string]string `json:"field_message_ids"`
		Items           []struct {
			ID              string `json:"id"`
			Status          string `json:"status"`
			Reason          string `json:"reason"`
			ReasonMessageID string `json:"reason_message_id"`
		} `json:"items"`
		Conflict *struct {
			Version int `json:"version"`
			Changes []struct {
				Field string `json:"field"`
				Now   any    `json:"now"`
				Yours any    `json:"yours"`
			} `json:"changes"`
		} `json:"conflict"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// wantError fails t unless r is the error envelope with status, code and,
// for each field in fields, that field's message ID.
func (r response) wantError(t testing.TB, status int, code string, fields map[string]string) apiError {
	t.Helper()
	r.want(t, status)
	e := decode[apiError](t, r)
	if e.Error.Code != code {
		t.Errorf("error.code = %q, want %q", e.Error.Code, code)
	}
	if e.Error.Message == "" || e.Error.Message == e.Error.MessageID {
		t.Errorf("error.message = %q, want the translation of %q", e.Error.Message, e.Error.MessageID)
	}
	for field, id := range fields {
		if got := e.Error.FieldMessageIDs[field]; got != id {
			t.Errorf("error.field_message_ids[%s] = %q, want %q (all: %v)", field, got, id, e.Error.FieldMessageIDs)
		}
		if got := e.Error.Fields[field]; got == "" || got == id {
			t.Errorf("error.fields[%s] = %q, want the translation of %q", field, got, id)
		}
	}
	return e
}

// signIn returns a browser-like client signed in as email through the web
// sign-in form, for the session-authenticated API calls.
func (f *fixture) signIn(t testing.TB, email string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"email": {email}, "password": {testPassword}}
	r, err := http.NewRequest(http.MethodPost, f.srv.URL+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status = %d, want 303", email, resp.StatusCode)
	}
	if resp.Header.Get("Location") == "/login/2fa" {
		f.devices.mu.Lock()
		d := f.devices.m[strings.ToLower(email)]
		f.devices.mu.Unlock()
		if d == nil {
			t.Fatalf("sign in as %s: asked for a code, but the test enrolled no device", email)
		}
		form := url.Values{"code": {d.Code(t)}}
		r, err := http.NewRequest(http.MethodPost, f.srv.URL+"/login/2fa", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := c.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Fatalf("second step of %s: status = %d to %q", email, resp.StatusCode, resp.Header.Get("Location"))
		}
	} else if resp.Header.Get("Location") == "/login/enrol" {
		t.Fatalf("sign in as %s: must enrol a second factor first (fixture.enrol)", email)
	}
	return c
}

// enrol gives u a second factor through the service; signIn then types
// its codes.
func (f *fixture) enrol(t testing.TB, u domain.User) *totptest.Device {
	t.Helper()
	d, _ := totptest.Enrol(t, f.access, u.ID, f.authClock)
	f.devices.mu.Lock()
	defer f.devices.mu.Unlock()
	f.devices.m[strings.ToLower(u.Email)] = d
	return d
}
