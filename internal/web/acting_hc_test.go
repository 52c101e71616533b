package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// TestActingHCPage: the HC names an acting HC on the operation's acting
// HC page; the acting HC's decision says so on the request page, on the
// record's signature and in the trail; the period is ended early from the
// same page. Officers see the list without the form; a requester is
// refused.
func TestActingHCPage(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	ctx := t.Context()
	hcUser := w.mustUser(t, "hc-main@example.org", 0)
	w.mustMember(t, "NPL-EQ", hcUser, domain.RoleHC)
	deputyUser := w.mustUser(t, "deputy@example.org", 0)
	w.mustMember(t, "NPL-EQ", deputyUser, domain.RoleViewer)
	hcClient := w.signIn(t, "hc-main@example.org")
	page := "/operations/NPL-EQ/acting-hc"

	// The operation page links it for the HC; the form offers the deputy.
	if testid(doc(t, w.get(t, hcClient, "/operations/NPL-EQ")), "acting-hc-link").AttrOr("href", "") != page {
		t.Error("the operation page does not link the acting HC page")
	}
	d := doc(t, w.get(t, hcClient, page))
	if d.Find(`select[name="user"] option[value="`+strconv.FormatInt(deputyUser.ID, 10)+`"]`).Length() != 1 {
		t.Fatal("the form does not offer the deputy")
	}
	// A refused naming is shown on the form with 422.
	r := w.post(t, hcClient, page, url.Values{"user": {strconv.FormatInt(deputyUser.ID, 10)}, "reason": {"Leave"},
		"ends_at": {w.clock.Now().Add(40 * 24 * time.Hour).UTC().Format("2006-01-02T15:04")}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(testid(doc(t, r), "error-ends_at").Text(), "30 days") {
		t.Error("the too-long period is not explained at its field")
	}
	until := w.clock.Now().Add(6 * time.Hour).UTC().Truncate(time.Minute)
	wantRedirect(t, w.post(t, hcClient, page, url.Values{"user": {strconv.FormatInt(deputyUser.ID, 10)}, "reason": {"HC on mission"},
		"ends_at": {until.Format("2006-01-02T15:04")}}), page)
	d = doc(t, w.get(t, w.officer, page))
	if !strings.Contains(testid(d, "acting-hc-member").Text(), deputyUser.Name) || testid(d, "acting-hc-form").Length() != 0 ||
		testid(d, "acting-hc-end").Length() != 0 {
		t.Fatal("the officer does not see the period, or sees the form")
	}
	wantStatus(t, w.get(t, w.requester, page), http.StatusForbidden)

	// The acting HC decides.
	officer, hct := w.mustActor(t, w.officerUser), w.mustActor(t, w.hcU)
	deputy := w.mustActor(t, deputyUser)
	req := w.submitted(t, "Decided by the deputy")
	if _, err := w.revs.Open(ctx, officer, req.ID, service.OpenInput{Version: req.Version}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.revs.Vote(ctx, hct, req.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.revs.Close(ctx, officer, req.ID, req.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := w.revs.Decide(ctx, deputy, req.ID, service.DecisionInput{Version: req.Version, Outcome: domain.StatusApproved, Rationale: "Go."}); err != nil {
		t.Fatal(err)
	}
	reqPage := "/requests/" + strconv.FormatInt(req.ID, 10)
	acting := testid(doc(t, w.get(t, w.requester, reqPage)), "decision-acting").Text()
	for _, want := range []string{"Decided by " + deputyUser.Name + ", acting HC", "named by " + hcUser.Name, "until "} {
		if !strings.Contains(acting, want) {
			t.Errorf("the decision reads %q, lacks %q", acting, want)
		}
	}
	rec := doc(t, w.get(t, w.officer, reqPage+"/record"))
	if sig := testid(rec, "signature").Text(); !strings.Contains(sig, "Acting Humanitarian Coordinator") || !strings.Contains(sig, "named by "+hcUser.Name) {
		t.Errorf("the record's signature reads %q", sig)
	}
	if trail := testid(rec, "timeline").Text(); !strings.Contains(trail, "As acting HC") {
		t.Errorf("the trail does not say the decision was taken as acting HC:\n%s", trail)
	}

	// Ended early: the period is over, and the deputy no longer HC.
	d = doc(t, w.get(t, hcClient, page))
	end := testid(d, "acting-hc-end-form").AttrOr("action", "")
	if end == "" {
		t.Fatal("no end button for the HC")
	}
	wantRedirect(t, w.post(t, hcClient, end, url.Values{}), page)
	if st := testid(doc(t, w.get(t, hcClient, page)), "acting-hc-state").Text(); !strings.Contains(st, "Ended early by "+hcUser.Name) {
		t.Errorf("the period's state reads %q", st)
	}
	if w.mustActor(t, deputyUser).RolesIn(w.op.ID).Has(domain.RoleHC) {
		t.Error("ended early, the deputy is still HC")
	}
}
