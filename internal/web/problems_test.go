package web_test

import (
	"net/http"
	"net/url"
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
// summary. The same when a value cannot even be read (a date): its own
// message, and still every other problem. Nothing is saved (a draft needs
// its title).
func TestRequestFormEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	en := catalog.Localizer("en")
	newURL := "/operations/NPL-EQ/requests/new"
	empty := requestFormOf(doc(t, w.get(t, w.requester, newURL)))
	empty.Set("intent", "submit")
	// The same with a value that cannot even be read: its own message,
	// and still every other problem.
	unreadable := url.Values{}
	for k, v := range empty {
		unreadable[k] = v
	}
	unreadable.Set("start_date", "next Tuesday")
	for name, form := range map[string]url.Values{"empty": empty, "unreadable date": unreadable} {
		resp := w.post(t, w.requester, newURL, form)
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		d := doc(t, resp)
		for _, rf := range domain.RequiredFields {
			want := en.T(rf.Message())
			if want == rf.Message() || want == en.T("field.required") {
				t.Errorf("%s: %s: message %s has no text of its own (%q)", name, rf.Field, rf.Message(), want)
			}
			if name == "unreadable date" && rf.Field == "start_date" {
				want = en.T("field.date")
			}
			wantFieldError(t, d, rf.Field, want)
		}
		if generic := en.T("field.required"); strings.Contains(testid(d, "error-summary").Text(), generic) {
			t.Errorf("%s: the summary still says %q for some field", name, generic)
		}
		summary := testid(d, "error-summary")
		for _, item := range domain.Checklist {
			if item.ByOfficer {
				continue
			}
			if summary.Find(`a[href="#item-`+item.ID+`"]`).Length() != 1 {
				t.Errorf("%s: %s: the summary does not link the failing item", name, item.ID)
			}
			if len(item.Answer.Values()) > 0 && item.Answer != domain.AnswerField && testid(d, "error-checklist."+item.ID).Length() != 1 {
				t.Errorf("%s: %s: the problem is not said at the item", name, item.ID)
			}
		}
	}
	_, page, err := w.reqs.List(t.Context(), w.requesterActor, w.op.Code, domain.RequestFilter{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("the refused form stored %d requests (%v)", len(page.Items), err)
	}
}
