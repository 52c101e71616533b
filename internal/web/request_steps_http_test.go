package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// stepValues is what a step's form posts as loaded: its inputs' values
// (checked boxes and radios only).
func stepValues(d *goquery.Document) url.Values {
	v := url.Values{}
	d.Find(`[data-testid="step-form"] input, [data-testid="step-form"] textarea, [data-testid="step-form"] select`).Each(func(_ int, s *goquery.Selection) {
		name, ok := s.Attr("name")
		if !ok || name == "goto" || name == "intent" {
			return
		}
		switch typ := s.AttrOr("type", ""); {
		case typ == "checkbox" || typ == "radio":
			if _, on := s.Attr("checked"); on {
				v.Add(name, s.AttrOr("value", ""))
			}
		case goquery.NodeName(s) == "textarea":
			v.Set(name, s.Text())
		case goquery.NodeName(s) == "select":
			v.Set(name, s.Find("option[selected]").AttrOr("value", ""))
		default:
			v.Set(name, s.AttrOr("value", ""))
		}
	})
	return v
}

// TestStepSavedOnTwoDevices: a draft's step opened on two devices and
// saved on both: the second save is refused, shows what the first changed
// beside what it typed (kept), and saves once looked at; neither
// device's change is lost.
func TestStepSavedOnTwoDevices(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := w.create(t, domain.Request{Title: "Airlift to Upper Rasuwa", Need: "Shelter before the snow."})
	phone := w.signIn(t, "req@example.org") // the same requester, a second device
	path := "/requests/" + strconv.FormatInt(r.ID, 10) + "/steps/need"

	onLaptop := w.get(t, w.requester, path)
	wantStatus(t, onLaptop, http.StatusOK)
	onPhone := w.get(t, phone, path)
	wantStatus(t, onPhone, http.StatusOK)
	laptop, phoneForm := stepValues(doc(t, onLaptop)), stepValues(doc(t, onPhone))
	if laptop.Get("version") != "1" || laptop.Get("title") != r.Title {
		t.Fatalf("the step as loaded: %v", laptop)
	}

	laptop.Set("title", "Airlift of shelter kits to Upper Rasuwa")
	laptop.Set("goto", "task")
	saved := w.post(t, w.requester, path, laptop)
	wantStatus(t, saved, http.StatusSeeOther)
	if loc := saved.Header.Get("Location"); !strings.HasSuffix(loc, "/steps/task") {
		t.Errorf("after saving the need step: redirected to %q, want the task step", loc)
	}

	phoneForm.Set("need", "4,000 families without shelter; snow in ten days.")
	phoneForm.Set("goto", "task")
	refused := w.post(t, phone, path, phoneForm)
	wantStatus(t, refused, http.StatusConflict)
	d := doc(t, refused)
	if testid(d, "edit-conflict").Length() == 0 {
		t.Fatal("the refused save shows no conflict")
	}
	// The laptop's title, which the phone had not changed, is taken into
	// the phone's form (and said so); the phone's need is kept.
	if msg := testid(d, "edit-conflict").Text(); !strings.Contains(msg, "Title") {
		t.Errorf("the conflict does not say the laptop's title was taken in: %s", msg)
	}
	again := stepValues(d)
	if again.Get("need") != phoneForm.Get("need") || again.Get("title") != "Airlift of shelter kits to Upper Rasuwa" {
		t.Errorf("the phone's form after the conflict: need %q, title %q", again.Get("need"), again.Get("title"))
	}
	if again.Get("version") != "2" {
		t.Errorf("version after the conflict = %q, want the current 2", again.Get("version"))
	}
	// Where both changed the same field, the clash is listed to compare.
	clash := stepValues(doc(t, w.get(t, phone, path)))
	otherSide := stepValues(doc(t, w.get(t, w.requester, path)))
	otherSide.Set("need", "Shelter kits for 4,000 families.")
	clash.Set("need", "Shelter kits for 3,500 families.")
	wantStatus(t, w.post(t, w.requester, path, otherSide), http.StatusSeeOther)
	cd := doc(t, w.post(t, phone, path, clash))
	if testid(cd, "conflict-need").Length() == 0 {
		t.Errorf("a field both devices changed is not listed: %s", testid(cd, "edit-conflict").Text())
	}
	if got := stepValues(cd).Get("need"); got != clash.Get("need") {
		t.Errorf("the phone's own need after the clash = %q, want what it typed", got)
	}
	// Looked at, the phone saves its need (the version is the current one).
	again = stepValues(cd)
	again.Set("goto", "task")
	wantStatus(t, w.post(t, phone, path, again), http.StatusSeeOther)

	got, err := w.reqs.Get(t.Context(), w.requesterActor, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Request.Title != "Airlift of shelter kits to Upper Rasuwa" || got.Request.Need != "Shelter kits for 3,500 families." {
		t.Errorf("stored: title %q, need %q", got.Request.Title, got.Request.Need)
	}

	// Different fields of one step on each device: the second save is
	// shown the other's changes already in its form, so that saving again
	// keeps both; nothing is listed as a clash.
	task := "/requests/" + strconv.FormatInt(r.ID, 10) + "/steps/task"
	laptop = stepValues(doc(t, w.get(t, w.requester, task)))
	phoneForm = stepValues(doc(t, w.get(t, phone, task)))
	laptop.Set("task_category", "sea")
	laptop.Set("complementarity", "Boats reach the coast; only the last leg needs the asset.")
	wantStatus(t, w.post(t, w.requester, task, laptop), http.StatusSeeOther)
	phoneForm.Set("capability", "Landing craft able to beach.")
	refused = w.post(t, phone, task, phoneForm)
	wantStatus(t, refused, http.StatusConflict)
	d = doc(t, refused)
	if n := d.Find(`[data-testid="edit-conflict"] tbody tr`).Length(); n != 0 {
		t.Errorf("%d clashes listed, want none: %s", n, testid(d, "edit-conflict").Text())
	}
	if msg := testid(d, "edit-conflict").Text(); !strings.Contains(msg, "Task category") {
		t.Errorf("the conflict does not say the task category was taken in: %s", msg)
	}
	again = stepValues(d)
	if again.Get("task_category") != "sea" || again.Get("complementarity") != laptop.Get("complementarity") ||
		again.Get("capability") != "Landing craft able to beach." {
		t.Errorf("the phone's form after the conflict: %v", again)
	}
	wantStatus(t, w.post(t, phone, task, again), http.StatusSeeOther)
	if got, err = w.reqs.Get(t.Context(), w.requesterActor, r.ID); err != nil {
		t.Fatal(err)
	}
	if got.Request.TaskCategory != "sea" || got.Request.Complementarity != laptop.Get("complementarity") ||
		got.Request.Capability != "Landing craft able to beach." {
		t.Errorf("stored after both: category %q, complementarity %q, capability %q",
			got.Request.TaskCategory, got.Request.Complementarity, got.Request.Capability)
	}
}

// TestNewStepsCreateOnce: the first step of a new request creates one
// draft however often it is posted (its idempotency key), and a value the
// server cannot read comes back at its field with everything typed.
func TestNewStepsCreateOnce(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	const path = "/operations/NPL-EQ/requests/new/steps"
	page := w.get(t, w.requester, path)
	wantStatus(t, page, http.StatusOK)
	form := stepValues(doc(t, page))
	if form.Get("idempotency_key") == "" {
		t.Fatal("the first step carries no idempotency key")
	}
	before := w.count(t)

	form.Set("title", "Airlift of shelter kits")
	form.Set("need", "Shelter before the snow.")
	form.Set("people_targeted", "about four thousand")
	bad := w.post(t, w.requester, path, form)
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	d := doc(t, bad)
	if byAttr(d, "id", "people_targeted-error").Length() == 0 && !strings.Contains(d.Find(`[data-testid="error-summary"]`).Text(), "number") {
		t.Errorf("no message at the number: %s", d.Find(`[data-testid="error-summary"]`).Text())
	}
	if got := stepValues(d); got.Get("need") != form.Get("need") || got.Get("people_targeted") != form.Get("people_targeted") {
		t.Errorf("typed values after the refusal: %v", got)
	}
	if n := w.count(t); n != before {
		t.Fatalf("a refused first step stored %d requests", n-before)
	}

	form.Set("people_targeted", "4000")
	first := w.post(t, w.requester, path, form)
	wantStatus(t, first, http.StatusSeeOther)
	second := w.post(t, w.requester, path, form) // a double tap, or a retry on a lost answer
	if second.StatusCode >= 400 {
		t.Fatalf("the repeated first step: %d", second.StatusCode)
	}
	if n := w.count(t); n != before+1 {
		t.Errorf("two posts of the first step stored %d requests, want 1", n-before)
	}
	id := requestID(t, first.Header.Get("Location"))
	if loc := first.Header.Get("Location"); !strings.HasSuffix(loc, "/steps/task") {
		t.Errorf("after the first step: %q, want the second", loc)
	}
	got, err := w.reqs.Get(t.Context(), w.requesterActor, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Request.PeopleTargeted != 4000 || got.Request.Need != "Shelter before the snow." {
		t.Errorf("stored: %+v", got.Request)
	}
}
