package web_test

import (
	"fmt"
	"github.com/PuerkitoBio/goquery"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
	"github.com/cmcoord/cmcoord/internal/web"
)

// candidates are the answers an item may be given: its type's values, or
// for an item a request field answers, that field's vocabulary.
func candidates(item domain.ChecklistItem) []func(*domain.Request) {
	var out []func(*domain.Request)
	switch item.Field {
	case "support_type":
		for _, st := range domain.SupportTypes {
			out = append(out, func(r *domain.Request) { r.SupportType = st })
		}
		return out
	}
	for _, v := range item.Answer.Values() {
		out = append(out, func(r *domain.Request) { r.Checklist[item.ID] = domain.Answer{Value: v} })
	}
	return out
}

// TestEveryJustificationCanBeGiven walks the checklist from domain: for
// every item, operation context and answer whose failure the rules let a
// justification cover, the request form offers the note, a request with
// it is submitted from the form, and saving the form again changes
// nothing (the note survives).
func TestEveryJustificationCanBeGiven(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	codes := map[domain.Context]string{}
	for i, c := range domain.Contexts {
		code := fmt.Sprintf("JUS-%d", i)
		w.mustOperation(t, code, c)
		w.mustMember(t, code, w.requesterUser, domain.RoleRequester)
		codes[c] = code
	}
	requester := w.mustActor(t, w.requesterUser) // with the new memberships
	cases := 0
	for _, c := range domain.Contexts {
		for _, item := range domain.Checklist {
			for i, set := range candidates(item) {
				r := fx.Request(fmt.Sprintf("%s %s %d", c, item.ID, i), w.clock.Now())
				set(&r)
				ev, err := w.reqs.Evaluate(t.Context(), requester, codes[c], r, domain.Recorded{})
				if err != nil {
					t.Fatal(err)
				}
				res := ev.Item(item.ID)
				if res.Status != domain.ItemNeedsJustification {
					continue
				}
				cases++
				if !item.TakesNote() {
					t.Errorf("%s in %s needs a justification the form cannot take", item.ID, c)
					continue
				}
				// Without its justification, the form's label says the
				// note is needed to submit.
				bare, _, err := w.reqs.Create(t.Context(), requester, codes[c], r, "")
				if err != nil {
					t.Fatal(err)
				}
				label := testid(doc(t, w.get(t, w.requester, "/requests/"+strconv.FormatInt(bare.ID, 10)+"/edit")),
					"field-checklist."+item.ID+".note").Find("label")
				if label.Find(`[data-testid="needed"]`).Length() != 1 {
					t.Errorf("%s in %s: the missing justification's label reads %q", item.ID, c, strings.TrimSpace(label.Text()))
				}
				note := "Justified: " + item.ID + " in " + string(c)
				a := r.Checklist[item.ID]
				a.Note = note
				r.Checklist[item.ID] = a
				form := web.RequestFormValues(r)
				form.Set("idempotency_key", fmt.Sprintf("j-%s-%s-%d", c, item.ID, i))
				// Saved as a draft first, then saved again unchanged.
				resp := w.post(t, w.requester, "/operations/"+codes[c]+"/requests/new", form)
				wantStatus(t, resp, http.StatusSeeOther)
				page := resp.Header.Get("Location")
				id := requestID(t, page)
				d := doc(t, w.get(t, w.requester, page+"/edit"))
				if byAttr(d, "name", "checklist."+item.ID+".note").Length() != 1 {
					t.Errorf("%s in %s: the form has no note for it", item.ID, c)
				}
				// Given, the justification is still what the item stands
				// on: its label still says it is needed.
				if l := testid(d, "field-checklist."+item.ID+".note").Find("label"); l.Find(`[data-testid="needed"]`).Length() != 1 {
					t.Errorf("%s in %s: the given justification's label reads %q", item.ID, c, strings.TrimSpace(l.Text()))
				}
				saved, err := w.reqs.Detail(t.Context(), requester, id)
				if err != nil {
					t.Fatal(err)
				}
				events := len(saved.Events)
				again := web.RequestFormValues(saved.Request)
				again.Set("version", strconv.Itoa(saved.Request.Version))
				wantRedirect(t, w.post(t, w.requester, page+"/edit", again), page)
				after, err := w.reqs.Detail(t.Context(), requester, id)
				if err != nil {
					t.Fatal(err)
				}
				if len(after.Events) != events || after.Request.Checklist[item.ID].Note != note {
					t.Errorf("%s in %s: a second save recorded %d events (had %d), note %q", item.ID, c,
						len(after.Events), events, after.Request.Checklist[item.ID].Note)
				}
				// Submitted from the form.
				again.Set("intent", "submit")
				wantRedirect(t, w.post(t, w.requester, page+"/edit", again), page)
				got, err := w.reqs.Get(t.Context(), requester, id)
				if err != nil || got.Request.Status != domain.StatusSubmitted {
					t.Errorf("%s in %s: after submitting from the form: %v %v", item.ID, c, got.Request.Status, err)
				}
				// The page and the record show it justified, never met,
				// with the justification.
				// The summary counts each state as the items show it: a
				// justified or awaiting item never counted as met.
				for _, p := range []string{page, page + "/record"} {
					pd := doc(t, w.get(t, w.requester, p))
					li := testid(pd, "eval-"+item.ID)
					if !li.HasClass("eval-justified") || !strings.Contains(li.Text(), note) {
						t.Errorf("%s in %s on %s: %q (class %q), want justified with the note", item.ID, c, p,
							strings.Join(strings.Fields(li.Text()), " "), li.AttrOr("class", ""))
					}
					summary := testid(pd, "evaluation-summary")
					for _, st := range domain.ItemStates {
						n := testid(pd, "evaluation").Find(`li.eval-` + string(st)).Length()
						count := summary.Find(`[data-testid="count-` + string(st) + `"]`)
						if got := count.Length() == 1 && strings.Contains(count.Text(), ": "+strconv.Itoa(n)); got != (n > 0) {
							t.Errorf("%s in %s on %s: %d items %s, the summary says %q", item.ID, c, p, n, st,
								strings.Join(strings.Fields(summary.Text()), " "))
						}
					}
				}
			}
		}
	}
	if cases == 0 {
		t.Fatal("no item needs a justification in any context: the walk proves nothing")
	}
	t.Logf("%d (item, context, answer) cases need a justification; each given on the form and submitted", cases)
}

// TestFormSaysWhatMeetsEachItem: before any save, the new-request form
// marks, for every item the requester answers, the one answer that meets
// it (the checklist's Meets) and no other.
func TestFormSaysWhatMeetsEachItem(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	d := doc(t, w.get(t, w.requester, "/operations/"+w.op.Code+"/requests/new"))
	for _, item := range domain.Checklist {
		marks := testid(d, "meets-"+item.ID)
		switch {
		case item.Meets == "" || item.ByOfficer:
			if marks.Length() != 0 {
				t.Errorf("%s: %d answers marked, want none", item.ID, marks.Length())
			}
		case marks.Length() != 1:
			t.Errorf("%s: %d answers marked, want 1", item.ID, marks.Length())
		default:
			if forID := marks.Parent().AttrOr("for", ""); forID != "checklist."+item.ID+"-"+item.Meets {
				t.Errorf("%s: the mark is on %q, want the answer %q", item.ID, forID, item.Meets)
			}
		}
	}
}

// TestFormLabelsSayWhatIsRequired walks every field and group of the
// request form, new and being edited: its label says "needed to submit"
// exactly when the submission rule requires it (domain.RequirementOf,
// the table CheckSubmittable applies), the title (needed even for a
// draft) is a required input with no marker, and no other field is
// marked needed. Every field of the rule's table is on the form.
func TestFormLabelsSayWhatIsRequired(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	draft := w.create(t, domain.Request{Title: "A draft to edit"})
	for _, path := range []string{"/operations/" + w.op.Code + "/requests/new", "/requests/" + strconv.FormatInt(draft.ID, 10) + "/edit"} {
		d := doc(t, w.get(t, w.requester, path))
		seen := map[string]bool{}
		testid(d, "request-form").Find(`[data-testid^="field-"]`).Each(func(_ int, s *goquery.Selection) {
			id := strings.TrimPrefix(s.AttrOr("data-testid", ""), "field-")
			seen[id] = true
			label := s.Find("label, legend").First()
			needed := label.Find(`[data-testid="needed"]`).Length() == 1
			optional := label.Find(`[data-testid="optional"]`).Length() == 1
			switch domain.RequirementOf(id) {
			case domain.RequiredToSubmit:
				if !needed || optional {
					t.Errorf("%s %s: a submission needs it; label %q", path, id, strings.TrimSpace(label.Text()))
				}
			case domain.RequiredToSave:
				if needed || optional || s.Find("[required]").Length() != 1 {
					t.Errorf("%s %s: even a draft needs it; label %q, required input %d", path, id,
						strings.TrimSpace(label.Text()), s.Find("[required]").Length())
				}
			default:
				if needed {
					t.Errorf("%s %s: marked needed, the rule does not require it", path, id)
				}
			}
		})
		for _, rf := range domain.RequiredFields {
			if !seen[rf.Field] {
				t.Errorf("%s: the required field %s is not on the form", path, rf.Field)
			}
		}
	}
}
