package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestReviewPages walks the HCT review on the request page: the officer
// opens it, an HCT member sees it in "awaiting my vote", votes (a
// refused objection without reason first), sees only the turnout while
// sealed; the officer closes it; the HC decides.
func TestReviewPages(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	hcUser := w.mustUser(t, "hc@example.org", 0)
	w.mustMember(t, "NPL-EQ", hcUser, domain.RoleHC)
	hc := w.signIn(t, "hc@example.org")
	r := w.submitted(t, "Heavy lift")
	page := "/requests/" + strconv.FormatInt(r.ID, 10)

	wantStatus(t, w.post(t, w.hct, page+"/review", url.Values{"version": {"1"}}), http.StatusForbidden)
	resp := w.post(t, w.officer, page+"/review", url.Values{"version": {"1"}, "deadline": {"yesterday"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	deadline := w.clock.Now().UTC().Add(20*time.Hour + 30*time.Minute)
	wantRedirect(t, w.post(t, w.officer, page+"/review", url.Values{"version": {"1"}, "deadline": {deadline.Format("2006-01-02T15:04")}}), page+"#review-h")

	home := doc(t, w.get(t, w.hct, "/"))
	if q := testid(home, "queue-awaiting_vote").Text(); !strings.Contains(q, r.Reference) || !strings.Contains(q, "closes in 20 h") {
		t.Errorf("HCT member's queue: %q, want the request with its countdown", q)
	}
	if q := testid(doc(t, w.get(t, w.officer, "/")), "queue-closing_soon").Text(); !strings.Contains(q, r.Reference) {
		t.Errorf("officer's closing-soon queue: %q", q)
	}
	d := doc(t, w.get(t, w.hct, page))
	if testid(d, "vote-form").Length() != 1 || !strings.Contains(testid(d, "turnout").Text(), "0 of 1") {
		t.Fatalf("HCT member's review panel: %q", testid(d, "review").Text())
	}
	resp = w.post(t, w.hct, page+"/vote", url.Values{"value": {"object"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	wantFieldError(t, doc(t, resp), "comment", "reason for the objection")
	wantRedirect(t, w.post(t, w.hct, page+"/vote", url.Values{"value": {"support_with_conditions"}, "comment": {"Unarmed crew"}}), page+"#review-h")
	d = doc(t, w.get(t, w.hct, page))
	if !strings.Contains(testid(d, "my-vote").Text(), "Unarmed crew") || testid(d, "sealed").Length() != 1 || testid(d, "votes").Length() != 0 {
		t.Errorf("after voting the member sees: %q", testid(d, "review").Text())
	}
	if strings.Contains(testid(doc(t, w.get(t, w.requester, page)), "review").Text(), "Unarmed crew") {
		t.Error("a sealed vote is visible to the requester")
	}
	if strings.Contains(testid(doc(t, w.get(t, w.hct, "/")), "queue-awaiting_vote").Text(), r.Reference) {
		t.Error("a voted review stays in the member's queue")
	}

	// The officer closes it (everyone voted); the values are then open.
	d = doc(t, w.get(t, w.officer, page))
	if testid(d, "close-review").Length() != 1 {
		t.Fatal("the officer cannot close a review everyone voted in")
	}
	wantRedirect(t, w.post(t, w.officer, page+"/review/close", url.Values{"version": {"1"}}), page+"#review-h")
	d = doc(t, w.get(t, w.hct, page))
	if testid(d, "review-result").Text() != "Passed" || !strings.Contains(testid(d, "votes").Text(), "Unarmed crew") {
		t.Errorf("after close: %q", testid(d, "review").Text())
	}
	wantStatus(t, w.post(t, w.hct, page+"/vote", url.Values{"value": {"object"}, "comment": {"late"}}), http.StatusConflict)

	// The HC decides, with a rationale.
	if !strings.Contains(testid(doc(t, w.get(t, hc, "/")), "queue-awaiting_decision").Text(), r.Reference) {
		t.Error("the request is not in the HC's queue")
	}
	resp = w.post(t, hc, page+"/decision", url.Values{"version": {"1"}, "outcome": {"approved"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	wantFieldError(t, doc(t, resp), "rationale", "Enter a value")
	wantRedirect(t, w.post(t, hc, page+"/decision", url.Values{"version": {"1"}, "outcome": {"approved"},
		"rationale": {"No civilian helicopter can reach the valley before the snow."}, "conditions": {"Unarmed crew only"}}), page+"#review-h")
	d = doc(t, w.get(t, w.requester, page))
	if !strings.Contains(testid(d, "decision").Text(), "before the snow") || !strings.HasPrefix(testid(d, "status").First().Text(), "Approved") {
		t.Errorf("decision on the page: %q, status %q", testid(d, "decision").Text(), testid(d, "status").First().Text())
	}
	wantStatus(t, w.post(t, hc, page+"/decision", url.Values{"version": {"1"}, "outcome": {"rejected"}, "rationale": {"again"}}), http.StatusConflict)
}

// TestReviewDeadlineAfterNeedPage: the open-review form refuses a
// deadline after the request's required-by time next to the deadline,
// keeps what was typed, and takes it once the officer ticks the
// confirmation; voters then read that the request is needed before the
// review closes. When the required-by time passes, the page says why and
// when the request expired.
func TestReviewDeadlineAfterNeedPage(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := w.submitted(t, "Needed soon")
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	late := r.RequiredBy.Add(time.Hour).UTC().Format("2006-01-02T15:04")
	resp := w.post(t, w.officer, page+"/review", url.Values{"version": {"1"}, "deadline": {late}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	d := doc(t, resp)
	wantFieldError(t, d, "review-open-deadline", "after the request's required-by time")
	wantValue(t, d, "review-open-deadline", late)
	if byAttr(d, "id", "review-open-after_required_by").Length() != 1 {
		t.Fatal("the form offers no confirmation")
	}
	wantRedirect(t, w.post(t, w.officer, page+"/review", url.Values{"version": {"1"}, "deadline": {late}, "after_required_by": {"true"}}), page+"#review-h")
	if got := testid(doc(t, w.get(t, w.hct, page)), "review-after-need").Text(); !strings.Contains(got, "expires undecided") {
		t.Errorf("the voter is not told the request is needed before the review closes: %q", got)
	}
	// So does their home, in the queue of reviews awaiting their vote;
	// a review that closes in time carries no such warning.
	inTime := w.submitted(t, "Needed later")
	wantRedirect(t, w.post(t, w.officer, "/requests/"+strconv.FormatInt(inTime.ID, 10)+"/review", url.Values{"version": {"1"},
		"deadline": {inTime.RequiredBy.Add(-time.Hour).UTC().Format("2006-01-02T15:04")}}), "/requests/"+strconv.FormatInt(inTime.ID, 10)+"#review-h")
	home := doc(t, w.get(t, w.hct, "/"))
	for _, c := range []struct {
		r    domain.Request
		warn bool
	}{{r, true}, {inTime, false}} {
		li := home.Find(`a[href="/requests/` + strconv.FormatInt(c.r.ID, 10) + `"]`).Parent()
		if li.Length() == 0 {
			t.Fatalf("%s is not in the voter's queue", c.r.Reference)
		}
		if got := li.Find(`[data-testid="expires-first"]`).Length() == 1; got != c.warn {
			t.Errorf("%s: warned it expires before the review closes %v, want %v (%q)", c.r.Reference, got, c.warn,
				strings.Join(strings.Fields(li.Text()), " "))
		}
	}
	w.clock.Advance(r.RequiredBy.Sub(w.clock.Now()) + time.Minute)
	if rep, err := w.revs.RunDue(t.Context()); err != nil || rep.Expired == 0 {
		t.Fatalf("RunDue = %+v, %v", rep, err)
	}
	d = doc(t, w.get(t, w.requester, page))
	if !strings.HasPrefix(pageStatus(d), "Expired") {
		t.Fatalf("status %q", pageStatus(d))
	}
	wantStepReason(t, d, "Expired:", "The required-by time ("+r.RequiredBy.UTC().Format("2 Jan 2006, 15:04")+" UTC) passed before the request was decided.")
	if testid(d, "status-reason-at").Text() == "" {
		t.Error("the page does not say when it expired")
	}
}

// TestCancelledReviewSaysSo: a review the request left before it closed
// (returned during review) reads as cancelled, with when, and its sealed
// votes are said to stay sealed and count for nothing, never that they
// are sealed "until the review closes".
func TestCancelledReviewSaysSo(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := w.submitted(t, "Returned during review")
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	wantRedirect(t, w.post(t, w.officer, page+"/review", url.Values{"version": {strconv.Itoa(r.Version)},
		"deadline": {r.RequiredBy.Add(-time.Hour).UTC().Format("2006-01-02T15:04")}}), page+"#review-h")
	cur, err := w.reqs.Get(t.Context(), w.requesterActor, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	resp := w.post(t, w.officer, page+"/review/return", url.Values{"version": {strconv.Itoa(cur.Request.Version)},
		"reason": {"The HCT asks for the fuel plan."}})
	wantStatus(t, resp, http.StatusSeeOther)
	d := doc(t, w.get(t, w.hct, page))
	if testid(d, "review-cancelled").Length() != 1 {
		t.Error("the cancelled review does not say it was cancelled")
	}
	// The operation's votes are sealed (domain.DefaultReviewPolicy).
	if got := testid(d, "sealed").Text(); !strings.Contains(got, "cancelled") {
		t.Errorf("the cancelled review's sealed note reads %q", got)
	}
}
