package web_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cmcoord/cmcoord/internal/domain"
	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
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

	// It reads as a record: the operation and its country at the head, no
	// navigation, the whole vote history unfolded, events as sentences
	// naming who acted, and the HC's signature block.
	head := testid(d, "record-operation").Text()
	if !strings.Contains(head, "Operation NPL-EQ (NPL-EQ)") || testid(d, "record-country").Text() != "Nepal (NPL)" {
		t.Errorf("record head = %q", head)
	}
	if links := d.Find("main a"); links.Length() != 0 {
		t.Errorf("the record has %d navigation links, first %q", links.Length(), links.First().AttrOr("href", ""))
	}
	if h := testid(d, "vote-history"); h.Length() != 1 || h.ParentsFiltered("details").Length() != 0 || !strings.Contains(h.Text(), "Support") {
		t.Error("the vote history is not printed in full")
	}
	if d.Find("main details").Length() != 0 {
		t.Error("the record folds something away in a <details>")
	}
	trail := testid(d, "timeline").Text()
	for _, want := range []string{"Created by ", "Submitted by ", "HCT review opened by ", "Vote recorded by ", "HCT review closed by ", "Approved by hc-ext"} {
		if !strings.Contains(trail, want) {
			t.Errorf("the trail lacks %q:\n%s", want, trail)
		}
	}
	for _, verb := range []string{"Approve ·", "Submit ·", "Open the HCT review"} {
		if strings.Contains(trail, verb) {
			t.Errorf("the trail reads a button's verb %q", verb)
		}
	}
	if testid(d, "signature-name").Text() != "hc-ext" || testid(d, "signature-role").Text() != "Humanitarian Coordinator" ||
		testid(d, "signature-date").Text() == "" || testid(d, "signature-line").Length() != 1 {
		t.Errorf("signature block = %q", testid(d, "signature").Text())
	}
	// Before a decision, the block waits for a hand: a role, blank lines.
	sub := w.submitted(t, "Undecided")
	d = doc(t, w.get(t, w.officer, "/requests/"+strconv.FormatInt(sub.ID, 10)+"/record"))
	if testid(d, "signature-name").Text() != "" || testid(d, "signature-date").Text() != "" || testid(d, "signature-role").Text() == "" {
		t.Errorf("undecided signature block = %q", testid(d, "signature").Text())
	}
}

// TestRecordItemStates: the record shows every checklist item in its
// state as domain.Evaluate gives it (walking domain.Checklist), a
// justified failure as justified with its justification, never as met.
func TestRecordItemStates(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	draft := fx.Request("Justified", w.clock.Now())
	draft.Checklist["LR12"] = domain.Answer{Value: "no", Note: "Fuel is charged at cost; no civilian carrier flies there."}
	r := w.create(t, draft)
	r, err := w.reqs.Transition(t.Context(), w.requesterActor, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version})
	if err != nil {
		t.Fatal(err)
	}
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	full, err := w.reqs.Get(t.Context(), w.mustActor(t, w.officerUser), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	d := doc(t, w.get(t, w.officer, page+"/record"))
	if full.Evaluation.Item("LR12").State() != domain.StateJustified {
		t.Fatalf("LR12 is %s, want justified", full.Evaluation.Item("LR12").State())
	}
	for _, it := range domain.Checklist {
		li := testid(d, "eval-"+it.ID)
		state := full.Evaluation.Item(it.ID).State()
		if li.Length() != 1 || li.Find(`.item-status[data-item="`+string(state)+`"]`).Length() != 1 {
			t.Errorf("%s: record shows %q, want state %s", it.ID, li.Text(), state)
		}
		if note := full.Request.Checklist[it.ID].Note; state == domain.StateJustified && !strings.Contains(li.Text(), note) {
			t.Errorf("%s: justified without its justification %q", it.ID, note)
		}
	}
}
