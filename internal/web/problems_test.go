package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
)

// TestRequestFormEveryProblemAtOnce submits the empty request form once
// ("Save and submit") and walks domain.RequiredFields: every required
// field's own message (request.required.<field>, "Choose at least one
// sector") is next to its input and in the error summary in the same
// answer, the generic "Enter a value" nowhere; and every checklist item
// that stops a submission is said at the item and linked from the
// summary. Nothing is saved (a draft needs its title).
func TestRequestFormEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	en := catalog.Localizer("en")
	newURL := "/operations/NPL-EQ/requests/new"
	form := requestFormOf(doc(t, w.get(t, w.requester, newURL)))
	form.Set("intent", "submit")
	resp := w.post(t, w.requester, newURL, form)
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	d := doc(t, resp)
	for _, rf := range domain.RequiredFields {
		want := en.T(rf.Message())
		if want == rf.Message() || want == en.T("field.required") {
			t.Errorf("%s: message %s has no text of its own (%q)", rf.Field, rf.Message(), want)
		}
		wantFieldError(t, d, rf.Field, want)
	}
	if generic := en.T("field.required"); strings.Contains(testid(d, "error-summary").Text(), generic) {
		t.Errorf("the summary still says %q for some field", generic)
	}
	summary := testid(d, "error-summary")
	for _, item := range domain.Checklist {
		if item.ByOfficer {
			continue
		}
		if summary.Find(`a[href="#item-`+item.ID+`"]`).Length() != 1 {
			t.Errorf("%s: the summary does not link the failing item", item.ID)
		}
		if len(item.Answer.Values()) > 0 && item.Answer != domain.AnswerField && testid(d, "error-checklist."+item.ID).Length() != 1 {
			t.Errorf("%s: the problem is not said at the item", item.ID)
		}
	}
	_, page, err := w.reqs.List(t.Context(), w.requesterActor, w.op.Code, domain.RequestFilter{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("the refused form stored %d requests (%v)", len(page.Items), err)
	}
}
