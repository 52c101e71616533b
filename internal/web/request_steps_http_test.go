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
	if testid(d, "conflict-title").Length() == 0 {
		t.Errorf("the conflict does not name the title the laptop changed: %s", testid(d, "edit-conflict").Text())
	}
	again := stepValues(d)
	if again.Get("need") != phoneForm.Get("need") {
		t.Errorf("the phone's typing after the conflict: need = %q, want %q", again.Get("need"), phoneForm.Get("need"))
	}
	if again.Get("version") != "2" {
		t.Errorf("version after the conflict = %q, want the current 2", again.Get("version"))
	}
	// Looked at, the phone keeps its need and takes the laptop's title.
	again.Set("title", "Airlift of shelter kits to Upper Rasuwa")
	again.Set("goto", "task")
	wantStatus(t, w.post(t, phone, path, again), http.StatusSeeOther)

	got, err := w.reqs.Get(t.Context(), w.requesterActor, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Request.Title != "Airlift of shelter kits to Upper Rasuwa" || got.Request.Need != phoneForm.Get("need") {
		t.Errorf("stored: title %q, need %q", got.Request.Title, got.Request.Need)
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
