package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/web"
)

// TestRefusedStepsReturnToTheRequest walks every form route on a request
// (the router's own list of POST /requests/{id}/…) for a member in every
// role, on a request no step may be taken on any more (withdrawn) with
// the version current, stale and missing, and on a submitted one with
// the version stale and missing: whatever is refused — a role
// the member lacks (403), the wrong state or a stale version (409), a
// missing version (400), a rule on the input (422) — comes back as the
// request page (for the HRDDP assessment, its own page) with the reason
// in the error summary and the refusal's status, never the bare error
// page. A 404 is only for who may not see that page at all.
func TestRefusedStepsReturnToTheRequest(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newRequestWorld(t)
	clients := map[string]*http.Client{"requester": w.requester, "requester of another organisation": w.other,
		"officer": w.officer, "hct_member": w.hct}
	for _, role := range []domain.Role{domain.RoleViewer, domain.RoleHC, domain.RoleHRDDPReviewer} {
		email := string(role) + "@example.org"
		w.mustMember(t, "NPL-EQ", w.mustUser(t, email, 0), role)
		clients[string(role)] = w.signIn(t, email)
	}
	r := w.submitted(t, "Withdrawn lift")
	c, err := w.reqs.AddComment(ctx, w.requesterActor, r.ID, "Still needed?")
	if err != nil {
		t.Fatal(err)
	}
	attach := func(r domain.Request) domain.Attachment {
		t.Helper()
		a, err := w.attach.Add(ctx, w.requesterActor, r.ID, domain.AttachmentInput{Kind: domain.KindOther, Title: "Notes",
			Filename: "notes.txt", Visibility: domain.VisibleToAll}, strings.NewReader("Airstrip notes.\n"))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	ra := attach(r)
	if r, err = w.reqs.Transition(ctx, w.requesterActor, r.ID, domain.ActionWithdraw,
		domain.TransitionInput{Version: r.Version, Reason: "No longer needed."}); err != nil {
		t.Fatal(err)
	}
	live := w.submitted(t, "Live lift")
	lc, err := w.reqs.AddComment(ctx, w.requesterActor, live.ID, "Any news?")
	if err != nil {
		t.Fatal(err)
	}
	la := attach(live)

	var routes []string
	if err := chi.Walk(w.routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method == http.MethodPost && strings.HasPrefix(route, "/requests/{id}/") {
			routes = append(routes, route)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, rule := range domain.Rules {
		if rule.Path != "" && !slices.Contains(routes, "/requests/{id}/"+rule.Path) {
			t.Errorf("the walk misses %s's route /requests/{id}/%s", rule.Action, rule.Path)
		}
	}
	refusals := map[string]url.Values{"stale version": {"version": {"9"}}, "no version": {}}
	cases := []struct {
		req     domain.Request
		comment domain.Comment
		doc     domain.Attachment
		forms   map[string]url.Values
	}{
		{r, c, ra, map[string]url.Values{"current version": {"version": {"1"}}, "stale version": refusals["stale version"], "no version": {}}},
		{live, lc, la, refusals},
	}
	statuses := map[int]int{}
	for _, cs := range cases {
		r := cs.req
		id := strconv.FormatInt(r.ID, 10)
		page := "/requests/" + id
		for _, route := range routes {
			// A guided form's step: its first (every step saves the same way).
			path := strings.NewReplacer("{id}", id, "{comment_id}", strconv.FormatInt(cs.comment.ID, 10),
				"{attachment_id}", strconv.FormatInt(cs.doc.ID, 10),
				"{step}", web.FirstStep()).Replace(route)
			// The page the form is on, which a refusal comes back to.
			home := page
			if strings.HasSuffix(route, "/hrddp") {
				home = page + "/hrddp"
			}
			for who, cl := range clients {
				for name, form := range cs.forms {
					resp := w.post(t, cl, path, form)
					statuses[resp.StatusCode]++
					what := r.Reference + " (" + string(r.Status) + ") " + route + " as " + who + " with " + name
					switch {
					case resp.StatusCode == http.StatusSeeOther:
						if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, page) {
							t.Errorf("%s: redirected to %q, not the request", what, loc)
						}
					case resp.StatusCode == http.StatusNotFound:
						if got := w.get(t, cl, home).StatusCode; got != http.StatusNotFound {
							t.Errorf("%s: 404, yet %s is %d for them: a dead end", what, home, got)
						}
					case resp.StatusCode >= 500 || resp.StatusCode < 400:
						t.Errorf("%s: status %d", what, resp.StatusCode)
					default:
						d := doc(t, resp)
						if testid(d, "error-page").Length() > 0 {
							t.Errorf("%s: %d is the bare error page: %q", what, resp.StatusCode, testid(d, "error-page").Text())
							continue
						}
						if !strings.Contains(d.Find("h1").Text(), r.Reference) {
							t.Errorf("%s: %d is not the request's page (h1 %q)", what, resp.StatusCode, d.Find("h1").Text())
						}
						if msg := strings.TrimSpace(testid(d, "error-summary").Find("li").Text()); msg == "" {
							t.Errorf("%s: %d with no reason in the error summary", what, resp.StatusCode)
						}
					}
				}
			}
		}
	}
	// Each kind of refusal was met.
	for _, st := range []int{http.StatusBadRequest, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity} {
		if statuses[st] == 0 {
			t.Errorf("no step answered %d: the walk does not reach that refusal (%v)", st, statuses)
		}
	}
}
