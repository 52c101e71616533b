package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestRequests_EveryProblemAtOnce walks domain.RequiredFields through the
// API as the form does: a draft without a title is refused with the
// title's own message; the submission of a draft with nothing else is
// refused once, naming every other required field with its own message
// ID (request.required.<field>, never field.required) and every checklist
// item the requester answers — the keys and messages the form gives
// (TestRequestFormEveryProblemAtOnce walks the same table); a date that
// cannot be read is reported with the rest, as on the form.
func TestRequests_EveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	f.call(t, req{Method: "POST", Path: "/operations/NPL-EQ/requests", Token: f.requester, Body: map[string]any{}}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"title": "request.required.title"})
	// A value that cannot be read is reported with the rest, under the
	// key and with the message the form gives it (field.date at
	// start_date, TestRequestFormEveryProblemAtOnce).
	f.call(t, req{Method: "POST", Path: "/operations/NPL-EQ/requests", Token: f.requester, Body: map[string]any{"start_date": "next Tuesday"}}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"title": "request.required.title", "start_date": "field.date"})

	r := f.mustCreate(t, f.requester, map[string]any{"title": "Nothing else"})
	want := map[string]string{}
	for _, rf := range domain.RequiredFields {
		if rf.Field != "title" {
			want[rf.Field] = rf.Message()
		}
	}
	e := f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/submit", r.ID), Token: f.requester,
		Body: map[string]any{"version": r.Version}}).wantError(t, http.StatusUnprocessableEntity, "invalid", want)
	for field, id := range e.Error.FieldMessageIDs {
		if id == "field.required" {
			t.Errorf("%s: the generic field.required", field)
		}
	}
	items := map[string]bool{}
	for _, it := range e.Error.Items {
		items[it.ID] = true
	}
	for _, item := range domain.Checklist {
		if !item.ByOfficer && !items[item.ID] {
			t.Errorf("%s is not among the items that stop the submission", item.ID)
		}
	}
}
