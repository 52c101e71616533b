package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/notify"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/internal/web"
)

// newLinkWorld is the request world with e-mail on, so review e-mails
// carry action links, and the /act/ pages served.
func newLinkWorld(t *testing.T) *requestWorld {
	t.Helper()
	pool := testdb.New(t)
	f := newFixtureOn(t, pool, func(o *web.Options) {
		n := notify.New(o.Catalog, true, "https://cmcoord.example.org", o.Log).WithClock(o.Now)
		o.Reviews = service.NewReviews(store.New(pool), o.Now, o.Log, n)
		o.ActionLinks = service.NewActionLinks(o.Reviews, o.Access)
	})
	return newRequestWorldOn(t, f)
}

var linkRE = regexp.MustCompile(`(?m)^(.+): https://cmcoord\.example\.org(/act/[A-Za-z0-9_-]+)$`)

// mailedLinks returns the /act/ paths of the newest e-mail of kind to
// email, by label.
func mailedLinks(t *testing.T, w *requestWorld, email string, kind domain.NoticeKind) map[string]string {
	t.Helper()
	var body string
	if err := w.pool.QueryRow(t.Context(), `SELECT o.body FROM outbox o JOIN notifications n ON n.id = o.notification_id
		WHERE o.to_address = $1 AND n.kind = $2 ORDER BY o.id DESC LIMIT 1`, email, string(kind)).Scan(&body); err != nil {
		t.Fatalf("no %s e-mail to %s: %v", kind, email, err)
	}
	out := map[string]string{}
	for _, m := range linkRE.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// TestActionLinkPages: the page a vote link opens shows the request, the
// value and what it needs, to anyone holding the link, and changes
// nothing; a missing reason comes back next to its field; the POST votes
// and redirects to the page saying so; the link then says it was used;
// an unknown link is a 404; the token never reaches the log.
func TestActionLinkPages(t *testing.T) {
	t.Parallel()
	w := newLinkWorld(t)
	r := w.submitted(t, "Airlift to the valley")
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	wantRedirect(t, w.post(t, w.officer, page+"/review", url.Values{"version": {"1"}}), page+"#review-h")
	links := mailedLinks(t, w, "hct@example.org", domain.NoticeReviewOpened)
	if len(links) != len(domain.VoteValues) {
		t.Fatalf("review e-mail links: %v", links)
	}
	support, object := links["Support"], links["Object"]
	anon := w.client(t)

	resp := w.get(t, anon, support)
	wantStatus(t, resp, http.StatusOK)
	if got := resp.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy %q", got)
	}
	d := doc(t, resp)
	if !strings.Contains(testid(d, "act-value").Text(), "Support") || !strings.Contains(testid(d, "act-for").Text(), "hct@example.org") ||
		!strings.Contains(testid(d, "act-request").Text(), r.Reference) || testid(d, "act-checklist").Length() != 1 {
		t.Fatalf("vote page: %q", testid(d, "act-form").Parent().Text())
	}
	votes := func() int {
		var n int
		if err := w.pool.QueryRow(t.Context(), `SELECT count(*) FROM votes v JOIN reviews rv ON rv.id = v.review_id WHERE rv.request_id = $1`, r.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if votes() != 0 {
		t.Fatal("opening the link voted")
	}

	// In a browser signed in as someone else the link refuses.
	resp = w.get(t, w.requester, support)
	wantStatus(t, resp, http.StatusForbidden)
	if d := doc(t, resp); testid(d, "act-form").Length() != 0 || testid(d, "act-request").Length() != 0 ||
		strings.Contains(resp.body, "hct@example.org") || !strings.Contains(testid(d, "page-title").Text(), "someone else") {
		t.Errorf("a link opened as another user: %q, form %d, request %d", testid(d, "page-title").Text(),
			testid(d, "act-form").Length(), testid(d, "act-request").Length())
	}
	wantStatus(t, w.post(t, w.requester, support, url.Values{"version": {strconv.Itoa(r.Version)}}), http.StatusForbidden)

	d = doc(t, w.get(t, anon, object))
	if c := d.Find(`textarea[name="comment"]`); c.Length() != 1 {
		t.Fatal("the objection page asks no reason")
	}
	resp = w.post(t, anon, object, url.Values{"version": {strconv.Itoa(r.Version)}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	wantFieldError(t, doc(t, resp), "comment", "reason for the objection")

	wantRedirect(t, w.post(t, anon, support, url.Values{"version": {strconv.Itoa(r.Version)}, "comment": {"Roads cut"}}), support+"?done=1")
	d = doc(t, w.get(t, anon, support+"?done=1"))
	if !strings.Contains(testid(d, "act-done").Text(), "Support") || !strings.Contains(testid(d, "act-turnout").Text(), "1 of 1") {
		t.Errorf("after the vote: %q / %q", testid(d, "act-done").Text(), testid(d, "act-turnout").Text())
	}
	if votes() != 1 {
		t.Fatalf("%d votes", votes())
	}
	for _, l := range []string{support, object} {
		resp = w.get(t, anon, l)
		wantStatus(t, resp, http.StatusGone)
		if !strings.Contains(testid(doc(t, resp), "act-refusal").Text(), "already used") {
			t.Errorf("second click on %s: %q", l, testid(doc(t, resp), "act-refusal").Text())
		}
		// A double tap or a re-post lands on what is recorded.
		wantRedirect(t, w.post(t, anon, l, url.Values{"version": {strconv.Itoa(r.Version)}, "comment": {"x"}}), l+"?done=1")
	}
	// The page after a sibling's re-post states the vote recorded, never
	// the value of the link it came through.
	if got := testid(doc(t, w.get(t, anon, object+"?done=1")), "act-done").Text(); !strings.Contains(got, "Support") || strings.Contains(got, "Object") {
		t.Errorf("done page of the objection link after a support vote: %q", got)
	}
	if votes() != 1 {
		t.Fatalf("%d votes after reusing the link", votes())
	}
	wantStatus(t, w.get(t, anon, "/act/"+strings.Repeat("A", 64)), http.StatusNotFound)
	if strings.Contains(w.logs.String(), strings.TrimPrefix(support, "/act/")) {
		t.Error("a link's token was logged")
	}
}

// TestDecisionLinkPage: the HC's decision link lists every vote with its
// comment, objections first, and the decision's e-mail carries its
// rationale and conditions.
func TestDecisionLinkPage(t *testing.T) {
	t.Parallel()
	w := newLinkWorld(t)
	hcUser := w.mustUser(t, "hc@example.org", 0)
	w.mustMember(t, "NPL-EQ", hcUser, domain.RoleHC)
	r := w.submitted(t, "Bridge over the Trisuli")
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	wantRedirect(t, w.post(t, w.officer, page+"/review", url.Values{"version": {"1"}}), page+"#review-h")
	wantRedirect(t, w.post(t, w.hct, page+"/vote", url.Values{"value": {"support_with_conditions"}, "comment": {"Daylight flights only"}}), page+"#review-h")
	wantRedirect(t, w.post(t, w.officer, page+"/review/close", url.Values{"version": {"1"}}), page+"#review-h")
	links := mailedLinks(t, w, "hc@example.org", domain.NoticeReviewClosed)
	approve := links["Approve"]
	if approve == "" || links["Reject"] == "" {
		t.Fatalf("decision links: %v", links)
	}
	anon := w.client(t)
	d := doc(t, w.get(t, anon, approve))
	if got := testid(d, "act-votes").Text(); !strings.Contains(got, "Daylight flights only") {
		t.Fatalf("the decision page lists the votes as %q", got)
	}
	wantRedirect(t, w.post(t, anon, approve, url.Values{"version": {"1"}, "rationale": {"Only the army can bridge it in time."},
		"conditions": {"Unarmed engineers"}}), approve+"?done=1")
	var body string
	if err := w.pool.QueryRow(t.Context(), `SELECT o.body FROM outbox o JOIN notifications n ON n.id = o.notification_id
		WHERE o.to_address = 'req@example.org' AND n.kind = 'decision'`).Scan(&body); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "Only the army can bridge it in time.") || !strings.Contains(body, "Unarmed engineers") {
		t.Errorf("decision e-mail to the requester:\n%s", body)
	}
}
