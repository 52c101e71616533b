package rulesproof_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/api"
	"github.com/cmcoord/cmcoord/internal/demo"
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/metrics"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/internal/web"
	"github.com/cmcoord/cmcoord/migrations"
)

// park is the row this test adds to the rulebook, as a developer would:
// an officer puts a submitted request back to its requester "on hold",
// with a reason. Nothing else is edited (its translations are missing,
// so the pages show its keys).
var park = domain.Rule{Action: "request.park", Scope: domain.ScopeRequest, From: []domain.Status{domain.StatusSubmitted},
	To: domain.StatusReturned, Roles: []domain.Role{domain.RoleOfficer}, NeedsReason: true, Path: "park"}

// lr99 is the checklist item this test adds, as a developer would: a
// yes/no question with a justify gate and no rule of its own in Evaluate.
var lr99 = domain.ChecklistItem{ID: "LR99", Answer: domain.AnswerYesNo, Gate: domain.GateJustify, Meets: "yes",
	Source: "A test's own guidance"}

func TestMain(m *testing.M) {
	// The package's only test process: no other test reads the rulebook
	// or the checklist while they grow.
	domain.Rules = append(domain.Rules, park)
	domain.Checklist = append(domain.Checklist, lr99)
	os.Exit(m.Run())
}

// TestNewItemFollowsItsRow: an item with no rule of its own in Evaluate
// is judged by its row — unanswered is missing, Meets meets it, another
// answer fails its gate (here: a justification is needed, then given) —
// and the complete-request fixtures answer it.
func TestNewItemFollowsItsRow(t *testing.T) {
	r := fixture.Request("New item", time.Now())
	if r.Checklist["LR99"].Value != "yes" {
		t.Fatalf("the fixture does not answer LR99: %v", r.Checklist["LR99"])
	}
	result := func(a domain.Answer) domain.ItemResult {
		r.Checklist["LR99"] = a
		for _, it := range domain.Evaluate(r, domain.ContextNaturalDisaster, false, domain.Recorded{}).Items {
			if it.ID == "LR99" {
				return it
			}
		}
		t.Fatal("Evaluate skips LR99")
		return domain.ItemResult{}
	}
	for _, c := range []struct {
		answer    domain.Answer
		status    domain.ItemStatus
		justified bool
	}{
		{domain.Answer{}, domain.ItemMissing, false},
		{domain.Answer{Value: "yes"}, domain.ItemOK, false},
		{domain.Answer{Value: "no"}, domain.ItemNeedsJustification, false},
		{domain.Answer{Value: "no", Note: "The cluster is not active here."}, domain.ItemOK, true},
	} {
		if got := result(c.answer); got.Status != c.status || got.Justified != c.justified {
			t.Errorf("LR99 %+v: %s justified %v, want %s justified %v", c.answer, got.Status, got.Justified, c.status, c.justified)
		}
	}
}

// TestNewRowReachesEveryFace adds one row to domain.Rules and finds it in
// the served OpenAPI document, the API's actions and routes, the request
// page's controls and routes, and the audit trail.
func TestNewRowReachesEveryFace(t *testing.T) {
	ctx := t.Context()
	pool := testdb.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(pool)
	system := service.NewSystem(st, migrations.Latest(), time.Now, log)
	access := service.NewAccess(st, time.Now, log)
	dir := service.NewDirectory(st, access, time.Now, log)
	reqs := service.NewRequests(st, time.Now, log).WithActionLimits(nil)
	revs := service.NewReviews(st, time.Now, log, nil)
	life := service.NewLifecycle(st, time.Now, log)
	if _, err := demo.Load(ctx, demo.Services{System: system, Access: access, Directory: dir, Requests: reqs,
		Reviews: revs, Lifecycle: life}); err != nil {
		t.Fatal(err)
	}
	sessions, m := web.NewSessionManager(store.NewSessionStore(pool), false), metrics.New(pool)
	jsonAPI := api.New(api.Options{Log: log, Access: access, Directory: dir, Requests: reqs, Reviews: revs, Lifecycle: life,
		Sessions: sessions, Catalog: catalog, Metrics: m})
	pages := web.New(web.Options{Log: log, System: system, Access: access, Directory: dir, Requests: reqs,
		Reviews: revs, Lifecycle: life, Catalog: catalog, Metrics: m, Version: "test",
		Notifications: service.NewNotifications(st, time.Now, log), Sessions: sessions})
	srv := httptest.NewServer(httpface.Mux(jsonAPI.Routes(), pages.Routes()))
	t.Cleanup(srv.Close)
	token, _, err := access.IssueTokenForEmail(ctx, "officer@example.org", domain.NewToken{Name: "rulesproof", Scope: domain.TokenFull})
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path string, body any) (int, []byte) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		}
		rq, _ := http.NewRequestWithContext(ctx, method, srv.URL+"/api/v1"+path, rd)
		rq.Header.Set("Authorization", "Bearer "+token)
		if body != nil {
			rq.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	// OpenAPI documents the route and the action.
	status, body := call("GET", "/openapi.json", nil)
	var doc struct {
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Enum []string `json:"enum"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(body, &doc); status != 200 || err != nil {
		t.Fatalf("openapi.json: %d %v", status, err)
	}
	if _, ok := doc.Paths["/requests/{id}/park"]["post"]; !ok {
		t.Error("OpenAPI does not document POST /requests/{id}/park")
	}
	if !slices.Contains(doc.Components.Schemas["RequestAction"].Enum, "request.park") {
		t.Errorf("RequestAction enum = %v, lacks request.park", doc.Components.Schemas["RequestAction"].Enum)
	}

	// Two submitted requests of the demo operations.
	type item struct {
		ID      int64 `json:"id"`
		Version int   `json:"version"`
	}
	var submitted []item
	for _, code := range []string{"NPL-EQ-DEMO", "SSD-CE-DEMO", "MOZ-TC-DEMO"} {
		status, body = call("GET", "/operations/"+code+"/requests?status=submitted", nil)
		var list struct {
			Items []item `json:"items"`
		}
		if err := json.Unmarshal(body, &list); status != 200 || err != nil {
			t.Fatalf("submitted requests of %s: %d %v %s", code, status, err, body)
		}
		submitted = append(submitted, list.Items...)
	}
	if len(submitted) == 0 {
		t.Fatal("the demo has no submitted request")
	}
	// And one more, submitted by the demo requester.
	requester := mustActor(t, access, "requester@example.org")
	more, _, err := reqs.Create(ctx, requester, "NPL-EQ-DEMO", fixture.Request("Park me", time.Now()), "")
	if err != nil {
		t.Fatal(err)
	}
	if more, err = reqs.Transition(ctx, requester, more.ID, domain.ActionSubmit, domain.TransitionInput{Version: more.Version}); err != nil {
		t.Fatal(err)
	}
	viaAPI, viaPage := submitted[0], item{ID: more.ID, Version: more.Version}

	// The API lists the action and takes it.
	var got struct {
		Status  string   `json:"status"`
		Actions []string `json:"actions"`
	}
	_, body = call("GET", fmt.Sprintf("/requests/%d", viaAPI.ID), nil)
	if err := json.Unmarshal(body, &got); err != nil || !slices.Contains(got.Actions, "request.park") {
		t.Errorf("actions = %v (%v), lack request.park", got.Actions, err)
	}
	status, body = call("POST", fmt.Sprintf("/requests/%d/park", viaAPI.ID), map[string]any{"version": viaAPI.Version})
	if status != http.StatusUnprocessableEntity {
		t.Errorf("park without a reason: %d %s, want 422", status, body)
	}
	status, body = call("POST", fmt.Sprintf("/requests/%d/park", viaAPI.ID), map[string]any{"version": viaAPI.Version, "reason": "On hold until the road survey."})
	if err := json.Unmarshal(body, &got); status != 200 || err != nil || got.Status != "returned" {
		t.Errorf("park: %d %s, want 200 and returned", status, body)
	}
	status, body = call("GET", fmt.Sprintf("/requests/%d/events", viaAPI.ID), nil)
	if status != 200 || !strings.Contains(string(body), `"request.park"`) {
		t.Errorf("events lack request.park: %d %.300s", status, body)
	}

	// The page shows the control and takes it.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.PostForm(srv.URL+"/login", url.Values{"email": {"officer@example.org"}, "password": {demo.Password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	page := srv.URL + "/requests/" + strconv.FormatInt(viaPage.ID, 10)
	resp, err = browser.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(html), `data-testid="action-park"`) || !strings.Contains(string(html), `action="/requests/`+strconv.FormatInt(viaPage.ID, 10)+`/park"`) {
		t.Errorf("the request page offers no park form: %d %.2000s", resp.StatusCode, html)
	}
	resp, err = browser.PostForm(page+"/park", url.Values{"version": {strconv.Itoa(viaPage.Version)}, "reason": {"On hold."}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("POST park from the page: %d, want 303", resp.StatusCode)
	}
	r, err := reqs.Get(ctx, mustActor(t, access, "officer@example.org"), viaPage.ID)
	if err != nil || r.Request.Status != domain.StatusReturned {
		t.Errorf("after the page's park: %v %v, want returned", r.Request.Status, err)
	}
}

func mustActor(t *testing.T, access *service.Access, email string) domain.Actor {
	t.Helper()
	tok, _, err := access.IssueTokenForEmail(t.Context(), email, domain.NewToken{Name: "actor", Scope: domain.TokenFull})
	if err != nil {
		t.Fatal(err)
	}
	a, err := access.ActorForToken(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
