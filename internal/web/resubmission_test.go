package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cmcoord/cmcoord/internal/domain"
	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestResubmissionSection: the request page says what changed since the
// previous submission only once the request has been resubmitted, one
// row per changed field (every audit field, walking domain.AuditFields),
// each labelled and told in words before and after; the decision record
// shows the same rows.
func TestResubmissionSection(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	ctx := t.Context()
	officer := w.mustActor(t, w.officerUser)
	r := w.submitted(t, "Resubmitted")
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	if testid(doc(t, w.get(t, w.officer, page)), "resubmission").Length() != 0 {
		t.Fatal("a request submitted once shows changes since a previous submission")
	}
	r, err := w.reqs.Transition(ctx, officer, r.ID, domain.ActionReturn, domain.TransitionInput{Version: r.Version, Reason: "Check it all."})
	if err != nil {
		t.Fatal(err)
	}
	before := r
	for _, f := range domain.AuditFields() {
		if r, err = w.reqs.Edit(ctx, w.requesterActor, r.ID, r.Version, func(x *domain.Request) error { fx.FieldEdits[f](x); return nil }); err != nil {
			t.Fatalf("edit %s: %v", f, err)
		}
	}
	if testid(doc(t, w.get(t, w.officer, page)), "resubmission").Length() != 0 {
		t.Fatal("a returned request not yet resubmitted shows changes")
	}
	w.clock.Advance(30 * time.Minute)
	if _, err := w.reqs.Transition(ctx, w.requesterActor, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version}); err != nil {
		t.Fatal(err)
	}

	rows := func(d *goquery.Document) []string {
		var out []string
		testid(d, "resubmission").Find(`tr[data-testid^="change-"]`).Each(func(_ int, s *goquery.Selection) {
			out = append(out, s.AttrOr("data-testid", ""))
		})
		return out
	}
	resp := w.get(t, w.officer, page)
	wantStatus(t, resp, http.StatusOK)
	d := doc(t, resp)
	sec := testid(d, "resubmission")
	if h := testid(d, "resubmission-heading").Text(); !strings.HasPrefix(h, "Changed since the previous submission on ") ||
		!strings.HasSuffix(h, ": "+strconv.Itoa(len(domain.AuditFields()))+" fields") {
		t.Errorf("heading = %q", h)
	}
	if s := testid(d, "resubmission-submissions").Text(); !strings.Contains(s, "(version 1)") || !strings.Contains(s, "(version "+strconv.Itoa(r.Version+1)+")") {
		t.Errorf("submissions = %q, want both versions", s)
	}
	got := rows(d)
	if len(got) != len(domain.AuditFields()) {
		t.Fatalf("rows = %v, want one per audit field", got)
	}
	for i, f := range domain.AuditFields() {
		row := sec.Find(`tr[data-testid="` + got[i] + `"]`)
		label := strings.TrimSpace(row.Find(`[data-testid="change-label"]`).Text())
		was := strings.TrimSpace(row.Find(`[data-testid="change-before"]`).Text())
		now := strings.TrimSpace(row.Find(`[data-testid="change-after"]`).Text())
		if f != "checklist" && got[i] != "change-"+f {
			t.Errorf("row %d = %s, want change-%s", i, got[i], f)
		}
		// Every label and value in words: no catalogue key, no raw code.
		for _, s := range []string{label, was, now} {
			if s == "" || strings.Contains(s, "request.") || strings.Contains(s, "resubmission.") || strings.Contains(s, "location.") {
				t.Errorf("%s: %q reads a key or nothing", got[i], s)
			}
		}
		if was == now {
			t.Errorf("%s: before and after both read %q", got[i], was)
		}
	}
	lr4 := sec.Find(`tr[data-testid="change-checklist.LR4"]`)
	if l := lr4.Find(`[data-testid="change-label"]`).Text(); !strings.HasPrefix(l, "LR4 · ") {
		t.Errorf("checklist row label = %q, want its ID and title", l)
	}
	if after := lr4.Find(`[data-testid="change-after"]`).Text(); !strings.Contains(after, "Answer: Yes") ||
		!strings.Contains(after, "Note: "+before.Checklist["LR4"].Note+" Checked again") {
		t.Errorf("checklist row after = %q, want the answer and the whole note", after)
	}
	if got := sec.Find(`tr[data-testid="change-priority"] [data-testid="change-after"]`).Text(); strings.TrimSpace(got) != "High" {
		t.Errorf("priority after = %q, want its label", got)
	}
	if got := sec.Find(`tr[data-testid="change-people_targeted"] [data-testid="change-after"]`).Text(); strings.TrimSpace(got) != "12,500" {
		t.Errorf("people after = %q, want the number as the page writes it", got)
	}
	if got := sec.Find(`tr[data-testid="change-origin"] [data-testid="change-after"]`).Text(); strings.TrimSpace(got) != "Place: Base Town helipad" {
		t.Errorf("origin after = %q, want only the part that changed, labelled", got)
	}

	rec := doc(t, w.get(t, w.officer, page+"/record"))
	if r := rows(rec); strings.Join(r, " ") != strings.Join(got, " ") {
		t.Errorf("record rows = %v, want the page's %v", r, got)
	}
	// Another language: the same rows, in its words.
	fr := w.get(t, w.hct, page)
	wantStatus(t, fr, http.StatusOK)
	if r := rows(doc(t, fr)); strings.Join(r, " ") != strings.Join(got, " ") {
		t.Errorf("HCT member rows = %v, want the officer's %v", r, got)
	}
}
