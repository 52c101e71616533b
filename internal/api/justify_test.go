package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	rfa "github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestEveryJustificationCanBeGivenByAPI walks the checklist from domain:
// for every item, operation context and answer whose failure a
// justification may cover, a request with the justification is created
// and submitted through the API, and a PATCH carrying the same checklist
// changes nothing (the note survives, no event is added).
func TestEveryJustificationCanBeGivenByAPI(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	codes := map[domain.Context]string{}
	for i, c := range domain.Contexts {
		code := fmt.Sprintf("JUS-%d", i)
		if _, err := f.dir.CreateOperation(t.Context(), f.admin, domain.Operation{Code: code, Name: "Operation " + code,
			CountryISO3: "NPL", Context: c, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48}); err != nil {
			t.Fatal(err)
		}
		f.mustMember(t, code, f.requesterUser, domain.RoleRequester)
		codes[c] = code
	}
	requester := f.mustActor(t, f.requesterUser)
	cases := 0
	for _, c := range domain.Contexts {
		for _, item := range domain.Checklist {
			var sets []func(*domain.Request)
			if item.Field == "support_type" {
				for _, st := range domain.SupportTypes {
					sets = append(sets, func(r *domain.Request) { r.SupportType = st })
				}
			}
			for _, v := range item.Answer.Values() {
				sets = append(sets, func(r *domain.Request) { r.Checklist[item.ID] = domain.Answer{Value: v} })
			}
			for i, set := range sets {
				r := rfa.Request(fmt.Sprintf("%s %s %d", c, item.ID, i), time.Now())
				set(&r)
				ev, err := f.reqs.Evaluate(t.Context(), requester, codes[c], r, domain.Recorded{})
				if err != nil {
					t.Fatal(err)
				}
				if ev.Item(item.ID).Status != domain.ItemNeedsJustification {
					continue
				}
				cases++
				a := r.Checklist[item.ID]
				a.Note = "Justified: " + item.ID
				r.Checklist[item.ID] = a
				body := requestBody(r)
				created := decode[requestJSON](t, f.call(t, req{Method: "POST", Path: "/operations/" + codes[c] + "/requests",
					Token: f.requester, Body: body}).want(t, http.StatusCreated))
				count := func() int {
					page := decode[struct {
						Items []map[string]any `json:"items"`
					}](t, f.call(t, req{Path: fmt.Sprintf("/requests/%d/events", created.ID), Token: f.requester}).want(t, http.StatusOK))
					return len(page.Items)
				}
				events := count()
				patch := map[string]any{"version": created.Version, "checklist": body["checklist"]}
				f.call(t, req{Method: "PATCH", Path: fmt.Sprintf("/requests/%d", created.ID), Token: f.requester, Body: patch}).want(t, http.StatusOK)
				after := count()
				if after != events {
					t.Errorf("%s in %s: a PATCH with the same checklist added %d events", item.ID, c, after-events)
				}
				got := f.mustAct(t, f.requester, created.ID, "submit", map[string]any{"version": created.Version})
				if got.Status != "submitted" || got.Checklist[item.ID].Note != a.Note {
					t.Errorf("%s in %s: submitted %s with note %q", item.ID, c, got.Status, got.Checklist[item.ID].Note)
				}
			}
		}
	}
	if cases == 0 {
		t.Fatal("no item needs a justification in any context: the walk proves nothing")
	}
}
