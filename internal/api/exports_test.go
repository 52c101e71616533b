package api_test

import (
	"encoding/csv"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/api"
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/metrics"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	reqfixture "github.com/cmcoord/cmcoord/internal/testutil/fixture"
	"github.com/cmcoord/cmcoord/internal/web"
	"github.com/cmcoord/cmcoord/migrations"
)

// withExports replaces f's server by one with the Exports service wired
// into both faces, as serve wires it.
func withExports(t testing.TB, f *fixture) {
	t.Helper()
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := store.New(f.pool)
	exports := service.NewExports(st, f.clock.Now, log).WithCatalog(catalog).WithActionLimits(nil)
	f.exports = exports
	sessions := web.NewSessionManager(store.NewSessionStore(f.pool), false)
	m := metrics.New(f.pool)
	s := web.New(web.Options{
		Log:       log,
		System:    service.NewSystem(st, migrations.Latest(), time.Now, log),
		Access:    f.access,
		Directory: f.dir,
		Requests:  f.reqs,
		Exports:   exports,
		Sessions:  sessions,
		Catalog:   catalog,
		Metrics:   m,
		Version:   "test",
	})
	jsonAPI := api.New(api.Options{Log: log, Access: f.access, Directory: f.dir, Requests: f.reqs, Reviews: f.reviews,
		Lifecycle: f.life, Exports: exports, Sessions: sessions, Catalog: catalog, Metrics: m})
	if f.srv != nil {
		f.srv.Close()
	}
	f.srv = httptest.NewServer(httpface.Mux(jsonAPI.Routes(), s.Routes()))
	t.Cleanup(f.srv.Close)
}

// sibling is another instance of f's server: its own services over the
// same database, as a second cmcoord process behind a load balancer.
func (f *fixture) sibling(t testing.TB) *fixture {
	t.Helper()
	g := *f
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := store.New(f.pool)
	g.access = service.NewAccess(st, f.authClock.Now, log)
	g.dir = service.NewDirectory(st, g.access, f.authClock.Now, log)
	g.reqs = service.NewRequests(st, f.clock.Now, log)
	g.srv = nil
	withExports(t, &g)
	g.exports.WithActionLimits(domain.ActionLimits)
	return &g
}

// page fetches path from the HTML face with client c (nil: anonymous).
func (f *fixture) page(t testing.TB, c *http.Client, path string) response {
	t.Helper()
	if c == nil {
		c = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := f.contract.Client(t, c).Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func TestExportRequests_Matrix(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	withExports(t, f)
	op := f.mustOperation(t, "NPL-EQ")
	other := f.mustOperation(t, "SDN-CE")
	users := map[string]domain.User{}
	for _, m := range []struct {
		name string
		op   string
		role domain.Role
	}{
		{"requester", op.Code, domain.RoleRequester}, {"cmcoord_officer", op.Code, domain.RoleOfficer},
		{"hct_member", op.Code, domain.RoleHCTMember}, {"hc", op.Code, domain.RoleHC},
		{"hrddp_reviewer", op.Code, domain.RoleHRDDPReviewer}, {"viewer", op.Code, domain.RoleViewer},
		{"other_officer", other.Code, domain.RoleOfficer},
	} {
		u := f.mustUser(t, m.name+"@example.org")
		f.mustMember(t, m.op, u, m.role)
		users[m.name] = u
	}
	// One submitted request, with a contact.
	reqr := f.mustActor(t, users["requester"])
	r, _, err := f.reqs.Create(t.Context(), reqr, op.Code, reqfixture.Request("Airlift", f.clock.Now()), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.reqs.Transition(t.Context(), reqr, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 1}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		caller    string
		api, html int
	}{
		{"anonymous", 401, 303},
		{"requester", 403, 403},
		{"cmcoord_officer", 200, 200},
		{"hct_member", 403, 403},
		{"hc", 200, 200},
		{"hrddp_reviewer", 403, 403},
		{"viewer", 200, 200},
		{"other_officer", 404, 404},
		{"admin", 404, 404},
	} {
		t.Run(tc.caller, func(t *testing.T) {
			var (
				token  string
				client *http.Client
			)
			switch tc.caller {
			case "anonymous":
			case "admin":
				token, client = f.adminToken, f.signIn(t, "admin@example.org")
			default:
				token, client = f.mustToken(t, users[tc.caller]), f.signIn(t, tc.caller+"@example.org")
			}
			for _, format := range []string{"csv", "json", "xlsx"} {
				path := "/operations/" + op.Code + "/exports/requests." + format
				res := f.call(t, req{Method: http.MethodGet, Path: path, Token: token})
				if res.Status != tc.api {
					t.Errorf("API %s: status = %d, want %d; %.300s", format, res.Status, tc.api, res.Body)
				}
				if tc.api != 200 && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
					t.Errorf("API %s error Content-Type = %q", format, res.Header.Get("Content-Type"))
				}
				pg := f.page(t, client, path)
				if pg.Status != tc.html {
					t.Errorf("HTML %s: status = %d, want %d", format, pg.Status, tc.html)
				}
				if tc.html == 303 && !strings.HasPrefix(pg.Header.Get("Location"), "/login") {
					t.Errorf("HTML redirect to %q", pg.Header.Get("Location"))
				}
				if tc.api == 200 {
					if got, want := res.Header.Get("Content-Type"), service.ExportContentType(format); got != want {
						t.Errorf("Content-Type = %q, want %q", got, want)
					}
					cd := res.Header.Get("Content-Disposition")
					if !strings.HasPrefix(cd, `attachment; filename="NPL-EQ-requests-`) || !strings.HasSuffix(cd, "."+format+`"`) {
						t.Errorf("Content-Disposition = %q", cd)
					}
					if pg.Header.Get("Content-Disposition") == "" {
						t.Errorf("HTML download has no Content-Disposition")
					}
				}
			}
		})
	}

	officer := f.mustToken(t, users["cmcoord_officer"])
	viewer := f.mustToken(t, users["viewer"])
	rows := func(t *testing.T, token, query string) [][]string {
		t.Helper()
		res := f.call(t, req{Method: http.MethodGet, Path: "/operations/NPL-EQ/exports/requests.csv" + query, Token: token}).want(t, 200)
		recs, err := csv.NewReader(strings.NewReader(string(res.Body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	col := func(recs [][]string, tag string) int {
		for i, h := range recs[1] {
			if h == tag {
				return i
			}
		}
		return -1
	}
	t.Run("ContactOfficerNotViewer", func(t *testing.T) {
		o, v := rows(t, officer, ""), rows(t, viewer, "")
		if len(o) != 3 || len(v) != 3 {
			t.Fatalf("rows = %d, %d", len(o), len(v))
		}
		if i := col(o, "#contact +email"); i < 0 || o[2][i] != "rita@example.org" {
			t.Errorf("officer contact = %v", o[2])
		}
		if i := col(v, "#contact +email"); i < 0 || v[2][i] != "" {
			t.Errorf("viewer contact = %q", v[2][i])
		}
	})
	t.Run("Public", func(t *testing.T) {
		p := rows(t, officer, "?public=1")
		for _, tag := range []string{"#contact +email", "#description +need", "#activity +name"} {
			if col(p, tag) >= 0 {
				t.Errorf("public export has %s", tag)
			}
		}
	})
	t.Run("Filters", func(t *testing.T) {
		if got := len(rows(t, officer, "?status=approved,rejected")); got != 2 {
			t.Errorf("status filter rows = %d, want header rows only", got)
		}
		if got := len(rows(t, officer, "?status=submitted&sector=LOG&date_field=submitted")); got != 3 {
			t.Errorf("filter rows = %d, want 3", got)
		}
	})
	t.Run("ErrBadQuery", func(t *testing.T) {
		f.call(t, req{Method: http.MethodGet, Path: "/operations/NPL-EQ/exports/requests.csv?colour=red", Token: officer}).
			wantError(t, 400, "malformed", nil)
		f.call(t, req{Method: http.MethodGet, Path: "/operations/NPL-EQ/exports/requests.csv?sector=XXX", Token: officer}).
			wantError(t, 422, "invalid", map[string]string{"sector": "field.choose"})
		f.call(t, req{Method: http.MethodGet, Path: "/operations/NPL-EQ/exports/requests.csv?from=yesterday", Token: officer}).
			wantError(t, 422, "invalid", map[string]string{"from": "field.date"})
		f.call(t, req{Method: http.MethodGet, Path: "/operations/NPL-EQ/exports/requests.pdf", Token: officer}).
			wantError(t, 422, "invalid", map[string]string{"format": "field.choose"})
	})
	t.Run("Labels", func(t *testing.T) {
		l := rows(t, officer, "?labels=en")
		i := col(l, "#status +name +i_en")
		if i < 0 || l[0][i] != "Status [en]" || l[2][i] != "Submitted" || l[2][col(l, "#status +name")] != "submitted" {
			t.Errorf("label column %d in %q / %q", i, l[1], l[2])
		}
		f.call(t, req{Method: http.MethodGet, Path: "/operations/NPL-EQ/exports/requests.csv?labels=tlh", Token: officer}).
			wantError(t, 422, "invalid", map[string]string{"labels": "field.choose"})
	})
	t.Run("JSONHXL", func(t *testing.T) {
		res := f.call(t, req{Method: http.MethodGet, Path: "/operations/NPL-EQ/exports/requests.json?hxl=1", Token: viewer}).want(t, 200)
		if !strings.Contains(string(res.Body), `"#date+reported":"`) {
			t.Errorf("body = %.300s", res.Body)
		}
	})
}

// exportRoute reports whether op is an export (TestExportRequests_Matrix
// drives those; their bodies are files, not JSON).
func exportRoute(op map[string]any) bool {
	tags, _ := op["tags"].([]any)
	return slices.Contains(tags, any("exports"))
}
