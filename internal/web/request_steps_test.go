package web

import (
	"slices"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestStepsHoldEveryFieldOnce walks the domain's own tables: every field
// an edit may change (but the checklist, whose items are placed one by
// one) and every checklist item is on exactly one step of the guided
// form, and the review step holds none.
func TestStepsHoldEveryFieldOnce(t *testing.T) {
	count := map[stepPart]int{}
	for _, st := range requestSteps {
		for _, p := range st.parts {
			count[p]++
		}
		if st.id == reviewStep && len(st.parts) > 0 {
			t.Errorf("the review step holds %v", st.parts)
		}
	}
	if requestSteps[len(requestSteps)-1].id != reviewStep {
		t.Errorf("the last step is %q, want the review", requestSteps[len(requestSteps)-1].id)
	}
	for _, f := range domain.EditableFields() {
		if f == "checklist" {
			continue
		}
		if n := count[fieldPart(f)]; n != 1 {
			t.Errorf("field %s is on %d steps, want 1", f, n)
		}
		delete(count, fieldPart(f))
	}
	for _, it := range domain.Checklist {
		if n := count[itemPart(it.ID)]; n != 1 {
			t.Errorf("checklist item %s is on %d steps, want 1", it.ID, n)
		}
		delete(count, itemPart(it.ID))
	}
	for p := range count {
		t.Errorf("step part %+v is no field or item of the domain", p)
	}
}

// TestApplyStepChangesOnlyItsOwn: saving a step sets exactly the fields
// and items it holds (as domain.Diff sees them) and leaves every other as
// saved, for every step; a field cleared on its step is cleared.
func TestApplyStepChangesOnlyItsOwn(t *testing.T) {
	full := fixture.Request("Airlift of shelter kits", time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))
	for _, st := range requestSteps {
		t.Run(st.id, func(t *testing.T) {
			// Filling the step into an empty request changes its fields
			// and, through its items, the checklist; nothing else.
			var got domain.Request
			applyStep(&got, st, full)
			want := map[string]bool{}
			for _, p := range st.parts {
				if p.field != "" && !fieldEmpty(full, p.field) {
					want[p.field] = true
				}
				if p.item != "" && full.Checklist[p.item] != (domain.Answer{}) {
					want["checklist"] = true
				}
			}
			for _, c := range domain.Diff(domain.Request{}, got) {
				if !want[c.Field] {
					t.Errorf("step %s changed %s, which it does not hold", st.id, c.Field)
				}
				delete(want, c.Field)
			}
			for f := range want {
				t.Errorf("step %s did not set %s", st.id, f)
			}
			// Posting the step empty clears what it holds and keeps the rest.
			kept := full
			applyStep(&kept, st, domain.Request{})
			for _, c := range domain.Diff(full, kept) {
				if c.Field == "checklist" {
					continue
				}
				if !slices.Contains(st.parts, fieldPart(c.Field)) {
					t.Errorf("an empty post of step %s changed %s", st.id, c.Field)
				}
			}
			for id, a := range full.Checklist {
				held := slices.Contains(st.parts, itemPart(id))
				if got, ok := kept.Checklist[id]; held == ok || (!held && got != a) {
					t.Errorf("an empty post of step %s left %s = %+v (held: %v)", st.id, id, got, held)
				}
			}
			if len(full.Checklist) == 0 {
				t.Fatal("the fixture has no checklist answers")
			}
		})
	}
	for _, f := range domain.EditableFields() {
		if f != "checklist" && !copyField(&domain.Request{}, full, f) {
			t.Errorf("copyField does not know %s", f)
		}
	}
}

// fieldEmpty reports whether r's field f has its zero value, as Diff
// against an empty request sees it.
func fieldEmpty(r domain.Request, f string) bool {
	var one domain.Request
	copyField(&one, r, f)
	return len(domain.Diff(domain.Request{}, one)) == 0
}

// TestEveryProblemHasItsStep: every field a submission may find missing
// (domain.RequiredFields), each input of a location, a contact and an
// exit strategy, and every checklist item is on a step, so the review can
// send the user to it.
func TestEveryProblemHasItsStep(t *testing.T) {
	keys := []string{"civilian_options.0.result", "civilian.unhas.note", "origin.lat", "destination.adm2_pcode",
		"urgency_reason", "escort.compensation"}
	for _, rf := range domain.RequiredFields {
		keys = append(keys, rf.Field)
	}
	for _, it := range domain.Checklist {
		keys = append(keys, "checklist."+it.ID, "checklist."+it.ID+".note")
	}
	for _, k := range keys {
		if stepOfProblem(k) < 0 {
			t.Errorf("no step holds %s", k)
		}
	}
	if at := stepOfProblem("checklist.LR4.note"); requestSteps[at].id != "need" {
		t.Errorf("LR4's note is on step %s, want the need's (beside the required-by time)", requestSteps[at].id)
	}
}
