package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/internal/web"
)

// requestWorld is an operation with a requester (WFP), a requester of
// another organisation, an officer and an HCT member.
type requestWorld struct {
	*fixture
	op                              domain.Operation
	requester, other, officer, hct  *http.Client
	requesterActor, otherActor      domain.Actor
	requesterUser, officerUser, hcU domain.User
}

func newRequestWorld(t *testing.T) *requestWorld {
	t.Helper()
	return newRequestWorldOn(t, newFixture(t))
}

func newRequestWorldOn(t *testing.T, f *fixture) *requestWorld {
	t.Helper()
	f.withAdmin(t)
	w := &requestWorld{fixture: f}
	w.op = f.mustOperation(t, "NPL-EQ", domain.ContextNaturalDisaster)
	wfp := f.mustOrg(t, "WFP", domain.OrgUNAgency)
	ngo := f.mustOrg(t, "NGO Relief", domain.OrgINGO)
	w.requesterUser = f.mustUser(t, "req@example.org", wfp.ID)
	otherUser := f.mustUser(t, "other@example.org", ngo.ID)
	w.officerUser = f.mustUser(t, "officer@example.org", 0)
	w.hcU = f.mustUser(t, "hct@example.org", ngo.ID)
	f.mustMember(t, "NPL-EQ", w.requesterUser, domain.RoleRequester)
	f.mustMember(t, "NPL-EQ", otherUser, domain.RoleRequester)
	f.mustMember(t, "NPL-EQ", w.officerUser, domain.RoleOfficer)
	f.mustMember(t, "NPL-EQ", w.hcU, domain.RoleHCTMember)
	w.requesterActor = f.mustActor(t, w.requesterUser)
	w.otherActor = f.mustActor(t, otherUser)
	w.requester = f.signIn(t, "req@example.org")
	w.other = f.signIn(t, "other@example.org")
	w.officer = f.signIn(t, "officer@example.org")
	w.hct = f.signIn(t, "hct@example.org")
	return w
}

// create stores r through the service as the requester.
func (w *requestWorld) create(t *testing.T, r domain.Request) domain.Request {
	t.Helper()
	out, _, err := w.reqs.Create(t.Context(), w.requesterActor, w.op.Code, r, "")
	if err != nil {
		t.Fatalf("create request: %v", err)
	}
	return out
}

// submitted creates a complete request and submits it.
func (w *requestWorld) submitted(t *testing.T, title string) domain.Request {
	t.Helper()
	r := w.create(t, fx.Request(title, w.clock.Now()))
	out, err := w.reqs.Transition(t.Context(), w.requesterActor, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return out
}

// byAttr finds elements whose attribute equals val (ids and names hold
// dots, which CSS id selectors would read as classes).
func byAttr(d *goquery.Document, attr, val string) *goquery.Selection {
	return d.Find(`[` + attr + `="` + val + `"]`)
}

func requestID(t *testing.T, location string) int64 {
	t.Helper()
	m := regexp.MustCompile(`^/requests/(\d+)`).FindStringSubmatch(location)
	if m == nil {
		t.Fatalf("redirect %q is not a request page", location)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

func TestRequestFormKeepsEverythingOnError(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	newURL := "/operations/NPL-EQ/requests/new"
	page := w.get(t, w.requester, newURL)
	wantStatus(t, page, http.StatusOK)
	d := doc(t, page)
	formKey := func(d *goquery.Document) string {
		return testid(d, "request-form").Find(`[name="idempotency_key"]`).AttrOr("value", "")
	}
	key := formKey(d)
	if len(key) < 16 {
		t.Fatalf("the new form carries no idempotency key: %q", key)
	}
	for _, id := range []string{"LR2", "LR11", "LR19"} {
		item := testid(d, "item-"+id)
		if item.Length() != 1 || item.Find("details.help").Length() != 1 {
			t.Errorf("checklist item %s with its help is missing from the form", id)
		}
	}
	if testid(d, "evaluation").Length() != 1 {
		t.Error("the form shows no checklist evaluation")
	}

	form := url.Values{
		"idempotency_key": {key}, "intent": {"save"},
		"title": {"Airlift to Upper Valley"}, "need": {"Food for 3,000 people — “urgent” <b>now</b>"},
		"origin.lat": {"north"}, "start_date": {"2026-12-20"}, "end_date": {"2026-12-10"},
		"checklist.LR4": {"yes"}, "checklist.LR4.note": {"Road closed"},
		"civilian.unhas.result": {"too_slow"}, "civilian.unhas.note": {"Next slot in 3 weeks"},
		"sectors": {"LOG", "HEA"},
	}
	r := w.post(t, w.requester, newURL, form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	d = doc(t, r)
	wantFieldError(t, d, "origin.lat", "decimal degrees")
	if got := byAttr(d, "name", "title").AttrOr("value", ""); got != "Airlift to Upper Valley" {
		t.Errorf("title lost: %q", got)
	}
	if got := byAttr(d, "name", "need").Text(); got != form.Get("need") {
		t.Errorf("need lost or altered: %q", got)
	}
	if got := byAttr(d, "name", "origin.lat").AttrOr("value", ""); got != "north" {
		t.Errorf("the unparsable latitude is not shown back: %q", got)
	}
	if byAttr(d, "id", "checklist.LR4-yes").AttrOr("checked", "x") == "x" {
		t.Error("the LR4 answer is lost")
	}
	if got := byAttr(d, "name", "civilian.unhas.note").AttrOr("value", ""); got != "Next slot in 3 weeks" {
		t.Errorf("civilian note lost: %q", got)
	}
	if byAttr(d, "id", "sector-HEA").AttrOr("checked", "x") == "x" {
		t.Error("the sectors are lost")
	}
	if got := formKey(d); got != key {
		t.Errorf("idempotency key changed on re-render: %q", got)
	}
	if n := w.count(t); n != 0 {
		t.Fatalf("%d requests stored from an invalid form", n)
	}

	// Once parsable, the domain's rule (end before start) is said at its field.
	form.Set("origin.lat", "")
	r = w.post(t, w.requester, newURL, form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantFieldError(t, doc(t, r), "end_date", "end date cannot be before the start date")

	// Fixed: saved; a second post of the same form (a double click) makes no second draft.
	form.Set("end_date", "2026-12-24")
	first := w.post(t, w.requester, newURL, form)
	wantStatus(t, first, http.StatusSeeOther)
	again := w.post(t, w.requester, newURL, form)
	wantStatus(t, again, http.StatusSeeOther)
	if first.Header.Get("Location") != again.Header.Get("Location") {
		t.Fatalf("a repeated create went to %s then %s", first.Header.Get("Location"), again.Header.Get("Location"))
	}
	if n := w.count(t); n != 1 {
		t.Fatalf("%d requests after a double submission, want 1", n)
	}
	page = w.get(t, w.requester, first.Header.Get("Location"))
	wantStatus(t, page, http.StatusOK)
	d = doc(t, page)
	wantFlashText(t, d, "saved")
	if got := testid(d, "reference").Text(); got != "NPL-RFA-0001" {
		t.Errorf("reference = %q", got)
	}
	if !strings.Contains(page.body, "Food for 3,000 people — “urgent” &lt;b&gt;now&lt;/b&gt;") {
		t.Error("the need is not shown as typed (escaped)")
	}
}

func (w *requestWorld) count(t *testing.T) int {
	t.Helper()
	var n int
	if err := w.pool.QueryRow(t.Context(), `SELECT count(*) FROM requests`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRequestSubmitShowsFailingItems(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := w.create(t, domain.Request{Title: "Half done"})
	edit := "/requests/" + strconv.FormatInt(r.ID, 10) + "/edit"
	form := web.RequestFormValues(r)
	form.Set("intent", "submit")
	form.Set("checklist.LR3", "no") // a hard gate failing
	resp := w.post(t, w.requester, edit, form)
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	d := doc(t, resp)
	if msg := testid(d, "error-checklist.LR3").Text(); !strings.Contains(msg, "Blocks submission") {
		t.Errorf("LR3 shows %q, want it blocked with its reason", msg)
	}
	if testid(d, "error-checklist.LR2").Length() != 1 {
		t.Error("the unanswered LR2 is not marked at the item")
	}
	if href := testid(d, "error-summary").Find(`a[href="#item-LR3"]`).Length(); href != 1 {
		t.Error("the summary does not link to the failing item")
	}
	wantFieldError(t, d, "need", "Describe the humanitarian need.")
	// The answers given were saved even though the submission was refused.
	got, err := w.reqs.Get(t.Context(), w.requesterActor, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Request.Status != domain.StatusDraft || got.Request.Checklist["LR3"].Value != "no" {
		t.Fatalf("after a refused submit: status %s, LR3 %q", got.Request.Status, got.Request.Checklist["LR3"].Value)
	}

	// A complete request is submitted from the same form.
	full := fx.Request("Half done", w.clock.Now())
	form = web.RequestFormValues(full)
	form.Set("intent", "submit")
	form.Set("version", strconv.Itoa(got.Request.Version)) // as the form shown after the refusal carries
	wantRedirect(t, w.post(t, w.requester, edit, form), "/requests/"+strconv.FormatInt(r.ID, 10))
	got, _ = w.reqs.Get(t.Context(), w.requesterActor, r.ID)
	if got.Request.Status != domain.StatusSubmitted {
		t.Fatalf("status = %s, want submitted", got.Request.Status)
	}
	// A second click on "Save and submit" shows the request, not an error.
	resp = w.post(t, w.requester, edit, form)
	wantRedirect(t, resp, "/requests/"+strconv.FormatInt(r.ID, 10))
}

func TestNewRequestSaveAndSubmitIncomplete(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	form := url.Values{"idempotency_key": {"k1"}, "intent": {"submit"}, "title": {"Quick ask"}}
	resp := w.post(t, w.requester, "/operations/NPL-EQ/requests/new", form)
	wantStatus(t, resp, http.StatusSeeOther)
	loc := resp.Header.Get("Location")
	if !strings.HasSuffix(loc, "/edit?check=submit") {
		t.Fatalf("an incomplete new request went to %q", loc)
	}
	d := doc(t, w.get(t, w.requester, loc))
	wantFlashText(t, d, "cannot be submitted yet")
	if testid(d, "error-summary").Find(`a[href="#item-LR2"]`).Length() != 1 {
		t.Error("the failing items are not listed")
	}
}

func TestRequestWorkflowPages(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := w.submitted(t, "Bridge repair")
	page := "/requests/" + strconv.FormatInt(r.ID, 10)

	// The requester may withdraw but not screen.
	d := doc(t, w.get(t, w.requester, page))
	if testid(d, "action-return").Length() != 0 || testid(d, "action-withdraw").Length() != 1 {
		t.Error("the requester's actions are wrong")
	}
	wantStatus(t, w.post(t, w.requester, page+"/return", url.Values{"version": {"1"}, "reason": {"x"}}), http.StatusForbidden)

	// The officer's queue lists it; the page offers return and redirect and
	// shows where the HCT review will sit.
	q := w.get(t, w.officer, "/operations/NPL-EQ/screening")
	wantStatus(t, q, http.StatusOK)
	if testid(doc(t, q), "screen-"+r.Reference).Length() != 1 {
		t.Fatal("the submitted request is not in the screening queue")
	}
	wantStatus(t, w.get(t, w.requester, "/operations/NPL-EQ/screening"), http.StatusForbidden)
	d = doc(t, w.get(t, w.officer, page))
	for _, id := range []string{"action-return", "action-redirect", "review-open", "briefing"} {
		if testid(d, id).Length() != 1 {
			t.Errorf("officer's page lacks %s", id)
		}
	}

	// A return without a reason is refused at the reason field, form open.
	resp := w.post(t, w.officer, page+"/return", url.Values{"version": {"1"}, "reason": {"  "}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	d = doc(t, resp)
	if testid(d, "action-return").AttrOr("open", "x") == "x" {
		t.Error("the failed return form is folded")
	}
	if testid(d, "error-summary").Find(`a[href="#return-reason"]`).Length() != 1 {
		t.Error("the summary does not link to the reason")
	}
	// A stale version is a conflict.
	wantStatus(t, w.post(t, w.officer, page+"/return", url.Values{"version": {"7"}, "reason": {"More detail"}}), http.StatusConflict)

	reason := "Say which civilian helicopters you asked."
	wantRedirect(t, w.post(t, w.officer, page+"/return", url.Values{"version": {"1"}, "reason": {reason}}), page)
	// Twice (a double click): shown the request, not an error.
	wantRedirect(t, w.post(t, w.officer, page+"/return", url.Values{"version": {"1"}, "reason": {reason}}), page)

	// The requester sees it returned, on the home page and on the form.
	home := doc(t, w.get(t, w.requester, "/"))
	if !strings.Contains(testid(home, "queue-returned_to_me").Text(), r.Reference) {
		t.Error("the returned request is not in the requester's queue")
	}
	d = doc(t, w.get(t, w.requester, page+"/edit"))
	if !strings.Contains(testid(d, "form-notice").Text(), reason) {
		t.Error("the form does not say why it was returned")
	}

	// Resubmitted unchanged (version 2), then redirected to a civilian
	// option. The form holds the request as stored: a fixture built again
	// now could differ (its required-by time is now + 5 days, to the
	// minute) and add an edit to the timeline.
	form := web.RequestFormValues(r)
	form.Set("intent", "submit")
	form.Set("version", "1")
	wantRedirect(t, w.post(t, w.requester, page+"/edit", form), page)
	wantStatus(t, w.post(t, w.officer, page+"/redirect", url.Values{"version": {"2"}, "reason": {"Logistics Cluster has a truck"}}), http.StatusUnprocessableEntity)
	wantRedirect(t, w.post(t, w.officer, page+"/redirect", url.Values{"version": {"2"}, "reason": {"Logistics Cluster has a truck"},
		"civilian_reference": {"LC-SRF-0042"}}), page)
	d = doc(t, w.get(t, w.requester, page))
	if got := testid(d, "civilian-reference").Text(); got != "LC-SRF-0042" {
		t.Errorf("civilian reference = %q", got)
	}
	if got := testid(d, "status").First().Text(); !strings.HasPrefix(got, "Redirected") {
		t.Errorf("status = %q", got)
	}
	// The timeline: created, submitted, returned, submitted, redirected.
	events := d.Find(`[data-testid^="event-"]`)
	if events.Length() != 5 {
		events.Each(func(i int, e *goquery.Selection) {
			t.Logf("event %d: %s", i, strings.Join(strings.Fields(e.Text()), " "))
		})
		t.Fatalf("timeline has %d events, want 5", events.Length())
	}
	if !strings.Contains(events.Eq(2).Text(), reason) {
		t.Error("the return's reason is not in the timeline")
	}
	if len(strings.TrimSpace(strings.TrimPrefix(testid(d, "head-hash").Text(), "Head of the chain:"))) != 64 {
		t.Error("the head hash is not shown in full")
	}
	// The other organisation's requester cannot see it at all.
	wantStatus(t, w.get(t, w.other, page), http.StatusNotFound)
}

func TestRequestComments(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := w.submitted(t, "Field hospital")
	page := "/requests/" + strconv.FormatInt(r.ID, 10)

	wantStatus(t, w.post(t, w.hct, page+"/comments", url.Values{"body": {""}}), http.StatusUnprocessableEntity)
	resp := w.post(t, w.hct, page+"/comments", url.Values{"body": {"Is the MoH field hospital not enough?"}})
	wantStatus(t, resp, http.StatusSeeOther)
	again := w.post(t, w.hct, page+"/comments", url.Values{"body": {"Is the MoH field hospital not enough?"}})
	if again.Header.Get("Location") != resp.Header.Get("Location") {
		t.Errorf("a double-clicked comment went to %q then %q", resp.Header.Get("Location"), again.Header.Get("Location"))
	}
	d := doc(t, w.get(t, w.hct, page))
	c := d.Find(`[data-testid^="comment-"][id^="comment-"]`)
	if c.Length() != 1 || !strings.Contains(c.Text(), "MoH field hospital") {
		t.Fatalf("comment not shown: %q", c.Text())
	}
	id := strings.TrimPrefix(c.AttrOr("id", ""), "comment-")
	if testid(d, "comment-save").Length() != 1 {
		t.Error("the author cannot correct a fresh comment")
	}
	if testid(doc(t, w.get(t, w.officer, page)), "comment-save").Length() != 0 {
		t.Error("someone else may correct the comment")
	}
	wantStatus(t, w.post(t, w.hct, page+"/comments/"+id, url.Values{"body": {"Is the MoH field hospital in Gorkha not enough?"}}), http.StatusSeeOther)
	w.clock.Advance(16 * time.Minute)
	if testid(doc(t, w.get(t, w.hct, page)), "comment-save").Length() != 0 {
		t.Error("the comment is still correctable after 15 minutes")
	}
	wantStatus(t, w.post(t, w.hct, page+"/comments/"+id, url.Values{"body": {"changed later"}}), http.StatusConflict)
	d = doc(t, w.get(t, w.hct, page))
	if !strings.Contains(d.Find("#comment-"+id).Text(), "in Gorkha") {
		t.Error("the corrected comment is not shown")
	}
}

func TestRequestListFiltersAndPages(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	for i := range 7 {
		r := fx.Request("Helicopter lift "+strconv.Itoa(i), w.clock.Now())
		if i%2 == 0 {
			r.Priority, r.Title = domain.PriorityLifesaving, "Water trucking "+strconv.Itoa(i)
		}
		w.create(t, r)
	}
	w.submitted(t, "Submitted bridge")
	list := "/operations/NPL-EQ/requests"

	d := doc(t, w.get(t, w.requester, list))
	if n := d.Find(`[data-testid="requests"] tbody tr`).Length(); n != 8 {
		t.Errorf("requester sees %d rows, want 8", n)
	}
	d = doc(t, w.get(t, w.requester, list+"?q=water&priority=lifesaving"))
	if n := d.Find(`[data-testid="requests"] tbody tr`).Length(); n != 4 {
		t.Errorf("search + filter shows %d rows, want 4", n)
	}
	if d.Find(`details[data-testid="filters"][open]`).Length() != 1 {
		t.Error("an active filter leaves the filter form folded")
	}
	// The officer sees submitted requests only (drafts stay private).
	d = doc(t, w.get(t, w.officer, list))
	if n := d.Find(`[data-testid="requests"] tbody tr`).Length(); n != 1 {
		t.Errorf("officer sees %d rows, want 1", n)
	}
	// Keyset pages of 25 do not split 8 rows; with status filter and
	// ?limit absent the page size is the default: walk with a small set.
	seen := map[string]bool{}
	next := list + "?sort=reference"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("pagination does not end")
		}
		d = doc(t, w.get(t, w.requester, next))
		d.Find(`[data-testid="requests"] tbody tr`).Each(func(_ int, s *goquery.Selection) {
			ref := s.AttrOr("data-testid", "")
			if seen[ref] {
				t.Errorf("%s on two pages", ref)
			}
			seen[ref] = true
		})
		next = testid(d, "next-page").AttrOr("href", "")
	}
	if len(seen) != 8 {
		t.Errorf("pages showed %d requests, want 8", len(seen))
	}
	// A bad filter value or cursor is said at the filter, never a 500.
	resp := w.get(t, w.requester, list+"?status=flying&cursor=%%%")
	wantStatus(t, resp, http.StatusOK)
	if testid(doc(t, resp), "error-summary").Length() != 1 {
		t.Error("a bad filter is not reported")
	}
	wantStatus(t, w.get(t, w.requester, list+"?cursor=garbage"), http.StatusOK)
}

// queryCounter counts the queries a pool runs.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	q.n.Add(1)
	return ctx
}

func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// tracedPool is a pool on a fresh test database whose queries tracer sees.
func tracedPool(t *testing.T, tracer pgx.QueryTracer) *pgxpool.Pool {
	t.Helper()
	cfg := testdb.New(t).Config().Copy()
	cfg.ConnConfig.Tracer = tracer
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// TestListQueryCountConstant proves the list and screening pages cost the
// same number of queries for 2 requests as for 40: no N+1.
func TestListQueryCountConstant(t *testing.T) {
	t.Parallel()
	counter := &queryCounter{}
	w := newRequestWorldOn(t, newFixtureOn(t, tracedPool(t, counter)))
	queries := func(c *http.Client, path string) int64 {
		t.Helper()
		before := counter.n.Load()
		wantStatus(t, w.get(t, c, path), http.StatusOK)
		return counter.n.Load() - before
	}
	for i := range 2 {
		w.submitted(t, "Lift "+strconv.Itoa(i))
	}
	smallList := queries(w.officer, "/operations/NPL-EQ/requests")
	smallQueue := queries(w.officer, "/operations/NPL-EQ/screening")
	for i := range 38 {
		w.submitted(t, "More "+strconv.Itoa(i))
	}
	if got := queries(w.officer, "/operations/NPL-EQ/requests"); got != smallList {
		t.Errorf("list page: %d queries for 40 requests, %d for 2", got, smallList)
	}
	if got := queries(w.officer, "/operations/NPL-EQ/screening"); got != smallQueue {
		t.Errorf("screening page: %d queries for 40 requests, %d for 2", got, smallQueue)
	}
	t.Logf("queries per page: list %d, screening %d", smallList, smallQueue)
}
