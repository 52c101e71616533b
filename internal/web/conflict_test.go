package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// requestFormOf is what a browser submits for the request form as
// rendered.
func requestFormOf(d *goquery.Document) url.Values { return formOf(d, "request-form") }

// formOf is what a browser submits for the form with data-testid id as
// rendered: formQuery plus each textarea's text and each ticked radio.
func formOf(d *goquery.Document, id string) url.Values {
	form := d.Find(`[data-testid="` + id + `"]`)
	q := url.Values{}
	form.Find("input[name]").Each(func(_ int, in *goquery.Selection) {
		name, val := in.AttrOr("name", ""), in.AttrOr("value", "")
		switch in.AttrOr("type", "text") {
		case "checkbox", "radio":
			if _, on := in.Attr("checked"); on {
				q.Add(name, val)
			}
		case "submit":
		default:
			q.Add(name, val)
		}
	})
	form.Find("textarea[name]").Each(func(_ int, ta *goquery.Selection) {
		q.Add(ta.AttrOr("name", ""), strings.TrimPrefix(ta.Text(), "\n"))
	})
	form.Find("select[name]").Each(func(_ int, sel *goquery.Selection) {
		opt := sel.Find("option[selected]").First()
		if opt.Length() == 0 {
			opt = sel.Find("option").First()
		}
		q.Add(sel.AttrOr("name", ""), opt.AttrOr("value", ""))
	})
	return q
}

// requestInputs lists the names of the request form's inputs, in page
// order, once each, without the hidden ones.
func requestInputs(d *goquery.Document) []string { return inputsOf(d, "request-form") }

// inputsOf lists the names of the inputs of the form with data-testid id.
func inputsOf(d *goquery.Document, id string) []string {
	var out []string
	d.Find(`[data-testid="` + id + `"]`).Find("input[name], textarea[name], select[name]").Each(func(_ int, in *goquery.Selection) {
		name := in.AttrOr("name", "")
		if in.AttrOr("type", "") == "hidden" || name == "intent" || slices.Contains(out, name) {
			return
		}
		out = append(out, name)
	})
	return out
}

// changeInput returns v with input name given another valid value, chosen
// from what the page offers (another option, another radio, another
// sector) or derived from the current value.
func changeInput(t *testing.T, d *goquery.Document, v url.Values, name string) url.Values {
	t.Helper()
	return changeInputIn(t, d, "request-form", v, name)
}

// changeInputIn is changeInput in the form with data-testid id.
func changeInputIn(t *testing.T, d *goquery.Document, id string, v url.Values, name string) url.Values {
	t.Helper()
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	cur := v.Get(name)
	el := d.Find(`[data-testid="` + id + `"] [name="` + name + `"]`)
	other := func(vals []string) string {
		for _, x := range vals {
			if x != "" && x != cur {
				return x
			}
		}
		t.Fatalf("input %s offers no other value than %q", name, cur)
		return ""
	}
	var vals []string
	el.Each(func(_ int, s *goquery.Selection) { vals = append(vals, s.AttrOr("value", "")) })
	el.Find("option").Each(func(_ int, s *goquery.Selection) { vals = append(vals, s.AttrOr("value", "")) })
	switch typ := el.AttrOr("type", ""); {
	case name == "sectors":
		for _, x := range vals {
			if !slices.Contains(v["sectors"], x) {
				out["sectors"] = append(out["sectors"], x)
				return out
			}
		}
	case typ == "checkbox":
		if cur == "" {
			out.Set(name, el.AttrOr("value", "true"))
		} else {
			out.Del(name)
		}
	case goquery.NodeName(el) == "select", typ == "radio":
		out.Set(name, other(vals))
	case typ == "date":
		day, err := time.Parse(time.DateOnly, cur)
		if err != nil {
			day = time.Now().AddDate(0, 0, 30)
		}
		out.Set(name, day.AddDate(0, 0, 1).Format(time.DateOnly))
	case typ == "datetime-local":
		at, err := time.Parse("2006-01-02T15:04", cur)
		if err != nil {
			t.Fatalf("%s = %q", name, cur)
		}
		out.Set(name, at.Add(time.Hour).Format("2006-01-02T15:04"))
	case strings.HasSuffix(name, ".adm1_pcode") && cur != "":
		out.Set(name, cur[:len(cur)-1]) // still a prefix of the adm2 p-code
	case strings.HasSuffix(name, ".adm2_pcode") && cur == "":
		out.Set(name, v.Get(strings.TrimSuffix(name, "adm2_pcode")+"adm1_pcode")+"01")
	case strings.Contains(cur, "@"):
		out.Set(name, "x"+cur)
	case cur != "" && cur[len(cur)-1] >= '0' && cur[len(cur)-1] <= '8':
		out.Set(name, cur[:len(cur)-1]+string(cur[len(cur)-1]+1))
	case cur == "" && el.AttrOr("inputmode", "") == "decimal":
		out.Set(name, "1.5")
	case strings.HasSuffix(name, ".note") && strings.HasPrefix(name, "civilian.") && v.Get(strings.TrimSuffix(name, "note")+"result") == "":
		out.Set(strings.TrimSuffix(name, "note")+"result", "not_available")
		out.Set(name, cur+" changed")
	default:
		out.Set(name, cur+" changed")
	}
	return out
}

// conflictRowID is the data-testid of the conflict panel's row for a
// change of input name.
func conflictRowID(name string) string {
	switch {
	case strings.HasPrefix(name, "civilian."):
		return "conflict-civilian_options"
	case strings.HasPrefix(name, "checklist.") && !strings.HasSuffix(name, ".note"):
		return "conflict-item-" + strings.TrimPrefix(name, "checklist.")
	}
	return "conflict-" + name
}

// TestRequestFormTwoTabs walks every input of the request form: two tabs
// load the same request; the first saves a change of the input; the
// second, still on the old version, saves its own typing. The second save
// is refused with a 409 that keeps what the second tab typed, carries the
// new version and lists the first tab's change (the field, its value now
// and in the form); nothing of the second tab was saved. Saving the form
// as shown again is accepted, deliberately, over the first tab's change.
func TestRequestFormTwoTabs(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := w.create(t, fx.Request("Airlift", w.clock.Now()))
	edit := "/requests/" + strconv.FormatInt(r.ID, 10) + "/edit"
	load := func() (*goquery.Document, url.Values) {
		page := w.get(t, w.requester, edit)
		wantStatus(t, page, http.StatusOK)
		d := doc(t, page)
		return d, requestFormOf(d)
	}
	first, _ := load()
	inputs := requestInputs(first)
	if len(inputs) < 40 {
		t.Fatalf("the form has %d inputs: %v", len(inputs), inputs)
	}
	for i, name := range inputs {
		d, tabA := load()
		_, tabB := load()
		saw, _ := strconv.Atoi(tabA.Get("version"))
		theirs := changeInput(t, d, tabA, name)
		if res := w.post(t, w.requester, edit, theirs); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: the first tab's save = %d\n%s", name, res.StatusCode, errorsOf(doc(t, res)))
		}
		mine := "(tab B, round " + strconv.Itoa(i) + ")"
		if name == "title" {
			tabB.Set("need", tabB.Get("need")+" "+mine)
		} else {
			tabB.Set("title", mine)
		}
		res := w.post(t, w.requester, edit, tabB)
		if res.StatusCode != http.StatusConflict {
			t.Fatalf("%s: the stale tab's save = %d, want 409", name, res.StatusCode)
		}
		cd := doc(t, res)
		panel := testid(cd, "edit-conflict")
		if panel.Length() != 1 || !strings.Contains(panel.Text(), "version "+strconv.Itoa(saw+1)) {
			t.Fatalf("%s: no conflict panel naming version %d: %q", name, saw+1, panel.Text())
		}
		row := testid(cd, conflictRowID(name))
		if row.Length() != 1 {
			t.Fatalf("%s: the conflict lists no row %s; rows: %q", name, conflictRowID(name), panel.Find("tbody").Text())
		}
		now, yours := strings.TrimSpace(row.Find(`[data-testid="conflict-now"]`).Text()), strings.TrimSpace(row.Find(`[data-testid="conflict-yours"]`).Text())
		if now == yours || now == "" || yours == "" {
			t.Errorf("%s: the row shows now %q and yours %q", name, now, yours)
		}
		kept := requestFormOf(cd)
		if kept.Get("version") != strconv.Itoa(saw+1) {
			t.Errorf("%s: the form carries version %q, want %d", name, kept.Get("version"), saw+1)
		}
		for k := range tabB {
			if k == "version" || k == "idempotency_key" {
				continue
			}
			if !slices.Equal(kept[k], tabB[k]) {
				t.Errorf("%s: input %s = %q after the conflict, want what was typed %q", name, k, kept[k], tabB[k])
			}
		}
		stored, err := w.reqs.Get(t.Context(), w.requesterActor, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Request.Version != saw+1 || stored.Request.Title == mine || strings.Contains(stored.Request.Need, mine) {
			t.Fatalf("%s: the stale save changed the request: v%d (saw %d) %q %q", name, stored.Request.Version, saw, stored.Request.Title, stored.Request.Need)
		}
		// Re-applied from the form as shown: accepted.
		if res := w.post(t, w.requester, edit, kept); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: saving again = %d\n%s", name, res.StatusCode, errorsOf(doc(t, res)))
		}
		if after, _ := load(); requestFormOf(after).Get("title") != kept.Get("title") {
			t.Fatalf("%s: saving again did not keep the form's values", name)
		}
	}
}

// errorsOf is the page's error summary, to explain a failure.
func errorsOf(d *goquery.Document) string {
	return strings.TrimSpace(testid(d, "error-summary").Text() + " " + testid(d, "page-title").Text())
}

// TestCommentCorrectionTwoWindows: a comment corrected in one window is
// not overwritten from another opened before: the second save is refused
// (409) with the text now shown and the second window's text kept;
// saving again replaces it, deliberately.
func TestCommentCorrectionTwoWindows(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := w.submitted(t, "Field hospital")
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	wantStatus(t, w.post(t, w.hct, page+"/comments", url.Values{"body": {"First text."}}), http.StatusSeeOther)
	d := doc(t, w.get(t, w.hct, page))
	id := strings.TrimPrefix(d.Find(`[data-testid^="comment-"][id^="comment-"]`).AttrOr("id", ""), "comment-")
	editForm := func(d *goquery.Document) url.Values {
		q := url.Values{}
		form := d.Find(`form[action="` + page + "/comments/" + id + `"]`)
		form.Find("input[name]").Each(func(_ int, in *goquery.Selection) { q.Set(in.AttrOr("name", ""), in.AttrOr("value", "")) })
		form.Find("textarea[name]").Each(func(_ int, ta *goquery.Selection) { q.Set(ta.AttrOr("name", ""), strings.TrimPrefix(ta.Text(), "\n")) })
		return q
	}
	tabA, tabB := editForm(d), editForm(doc(t, w.get(t, w.hct, page)))
	if tabA.Get("updated") == "" {
		t.Fatal("the correction form carries no saved-at")
	}
	tabA.Set("body", "Second text, from window A.")
	wantStatus(t, w.post(t, w.hct, page+"/comments/"+id, tabA), http.StatusSeeOther)
	tabB.Set("body", "Third text, from window B.")
	res := w.post(t, w.hct, page+"/comments/"+id, tabB)
	wantStatus(t, res, http.StatusConflict)
	cd := doc(t, res)
	if !strings.Contains(testid(cd, "error-summary").Text(), "Second text, from window A.") {
		t.Errorf("the refusal does not show the text now: %q", testid(cd, "error-summary").Text())
	}
	kept := editForm(cd)
	if kept.Get("body") != tabB.Get("body") || kept.Get("updated") == tabB.Get("updated") {
		t.Errorf("after the conflict the form holds %q (saved-at %q), want window B's text with the new save", kept.Get("body"), kept.Get("updated"))
	}
	if !strings.Contains(doc(t, w.get(t, w.hct, page)).Find("#comment-"+id).Text(), "window A") {
		t.Fatal("window B's stale save was stored")
	}
	wantStatus(t, w.post(t, w.hct, page+"/comments/"+id, kept), http.StatusSeeOther)
	if !strings.Contains(doc(t, w.get(t, w.hct, page)).Find("#comment-"+id).Text(), "window B") {
		t.Error("saving again did not apply window B's text")
	}
}
