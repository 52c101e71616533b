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

// TestReviewRemindButton: the officer is offered "remind the
// organisations that have not voted" while some have not, nobody else
// is; once reminded the button gives way to the reason, which says from
// when it is possible again, and the trail records the reminder.
func TestReviewRemindButton(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := w.submitted(t, "Reminded lift")
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	deadline := w.clock.Now().UTC().Add(40 * time.Hour)
	wantRedirect(t, w.post(t, w.officer, page+"/review", url.Values{"version": {"1"},
		"deadline": {deadline.Format("2006-01-02T15:04")}}), page+"#review-h")

	if testid(doc(t, w.get(t, w.hct, page)), "remind-voters").Length() != 0 {
		t.Error("an HCT member is offered the reminder")
	}
	wantStatus(t, w.post(t, w.hct, page+"/review/remind", url.Values{}), http.StatusForbidden)
	d := doc(t, w.get(t, w.officer, page))
	form := testid(d, "remind-voters").Closest("form")
	if form.Length() != 1 || form.AttrOr("action", "") != page+"/review/remind" {
		t.Fatalf("the officer is not offered the reminder: %q", testid(d, "review").Text())
	}
	wantRedirect(t, w.post(t, w.officer, page+"/review/remind", url.Values{"version": {"1"}}), page+"#review-h")
	d = doc(t, w.get(t, w.officer, page))
	wantFlashText(t, d, "were reminded")
	if testid(d, "remind-voters").Length() != 0 {
		t.Error("the reminder is offered again at once")
	}
	again := w.clock.Now().Add(domain.RemindAgainAfter)
	if txt := testid(d, "review").Text(); !strings.Contains(txt, "remind them again from") || !strings.Contains(txt, again.UTC().Format("15:04")) {
		t.Errorf("the review section does not say when the next reminder is possible: %q", txt)
	}
	resp := w.post(t, w.officer, page+"/review/remind", url.Values{"version": {"1"}})
	wantStatus(t, resp, http.StatusConflict)
	if !strings.Contains(resp.body, "remind them again from") {
		t.Errorf("the refusal does not say when: %.300s", resp.body)
	}
}
