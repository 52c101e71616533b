package web_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestDecisionRecord: the printable record of a decided request holds the
// request, the evaluation, the closed review's votes, the decision and
// every event's full hash with the head of the chain — and no form.
func TestDecisionRecord(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := approvedForExtension(t, w)
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	if testid(doc(t, w.get(t, w.requester, page)), "record-link").AttrOr("href", "") != page+"/record" {
		t.Error("the request page does not link to its record")
	}
	resp := w.get(t, w.officer, page+"/record")
	wantStatus(t, resp, http.StatusOK)
	d := doc(t, resp)
	if testid(d, "record-head").Length() != 1 || testid(d, "evaluation").Length() != 1 || testid(d, "decision").Length() != 1 {
		t.Fatal("the record lacks its heading, evaluation or decision")
	}
	if !strings.Contains(testid(d, "votes").Text(), "Support") {
		t.Error("the record does not show the closed review's votes")
	}
	if n := d.Find("main form").Length(); n != 0 {
		t.Errorf("the record has %d forms", n)
	}
	hex := regexp.MustCompile(`^[0-9a-f]{64}$`)
	hashes := testid(d, "hash")
	if hashes.Length() != d.Find(`[data-testid^="event-"]`).Length() || hashes.Length() < 5 {
		t.Fatalf("%d hashes for %d events", hashes.Length(), d.Find(`[data-testid^="event-"]`).Length())
	}
	hashes.Each(func(_ int, s *goquery.Selection) {
		if !hex.MatchString(s.Text()) {
			t.Errorf("hash %q is not shown in full", s.Text())
		}
	})
	if !strings.Contains(testid(d, "head-hash").Text(), hashes.Last().Text()) {
		t.Error("the head hash is not the last event's")
	}
	wantStatus(t, w.get(t, w.requester, page+"/record"), http.StatusOK)
	wantStatus(t, w.get(t, w.other, page+"/record"), http.StatusNotFound)
}
