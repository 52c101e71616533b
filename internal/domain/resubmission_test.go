package domain_test

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

var resubmitT0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

// trail builds a request's audit trail as the services record it: the
// creation's snapshot, each edit's Diff with the version it made, the
// submissions and returns with their versions.
type trail struct {
	t      *testing.T
	events []domain.Event
	r      domain.Request
	at     time.Time
}

func newTrail(t *testing.T) *trail {
	r := fixture.Request("Airlift", resubmitT0)
	r.ID, r.Version = 7, 1
	tr := &trail{t: t, r: r, at: resubmitT0}
	tr.add(domain.EventCreated, domain.Snapshot(r))
	return tr
}

func (tr *trail) add(action string, payload map[string]any) {
	tr.t.Helper()
	var prev *domain.Event
	if n := len(tr.events); n > 0 {
		prev = &tr.events[n-1]
	}
	tr.at = tr.at.Add(time.Hour)
	e, err := domain.NewEvent(prev, tr.r.ID, 3, action, payload, tr.at)
	if err != nil {
		tr.t.Fatal(err)
	}
	tr.events = append(tr.events, e)
}

// edit records edit as the requester's save (a new version).
func (tr *trail) edit(edit func(*domain.Request)) {
	tr.t.Helper()
	old := tr.r
	edit(&tr.r)
	changes := domain.Diff(old, tr.r)
	if len(changes) == 0 {
		tr.t.Fatal("edit changes nothing")
	}
	tr.r.Version++
	tr.add(domain.EventEdited, map[string]any{"changes": changes, "version": tr.r.Version})
}

// briefing records the officer's LR17 answer.
func (tr *trail) briefing(value string) {
	tr.t.Helper()
	old := tr.r
	tr.r.Checklist = maps.Clone(tr.r.Checklist)
	tr.r.Checklist["LR17"] = domain.Answer{Value: value}
	tr.add(domain.EventBriefing, map[string]any{"changes": domain.Diff(old, tr.r)})
}

func (tr *trail) submit() {
	from := "draft"
	if tr.r.Status == domain.StatusReturned {
		from = "returned"
		tr.r.Version++
	}
	tr.r.Status = domain.StatusSubmitted
	tr.add(string(domain.ActionSubmit), map[string]any{"from": from, "to": "submitted", "version": tr.r.Version})
}

func (tr *trail) ret() {
	tr.r.Status = domain.StatusReturned
	tr.add(string(domain.ActionReturn), map[string]any{"from": "submitted", "to": "returned", "reason": "Say more."})
}

// audit is r's field as the trail records it, through JSON (as read back).
func audit(t *testing.T, r domain.Request, field string) any {
	t.Helper()
	raw, err := json.Marshal(domain.Snapshot(r)[field])
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func fields(cs []domain.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Field)
	}
	return out
}

func mustSince(t *testing.T, events []domain.Event) domain.Resubmission {
	t.Helper()
	rs, ok := domain.SinceSubmission(events)
	if !ok {
		t.Fatal("SinceSubmission = false, want a resubmission")
	}
	return rs
}

// wantField checks that field's change is listed once, from the value of
// before to the value of after.
func wantField(t *testing.T, rs domain.Resubmission, field string, before, after domain.Request) {
	t.Helper()
	var got []domain.Change
	for _, c := range rs.Changes {
		if c.Field == field || field == "checklist" && len(c.Field) > 10 && c.Field[:10] == "checklist." {
			got = append(got, c)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%s: changes = %v, want exactly one", field, fields(rs.Changes))
	}
	c := got[0]
	if id, ok := domain.ChecklistChangeItem(c.Field); ok {
		o, n := before.Checklist[id], after.Checklist[id]
		if !sameJSON(c.Old, map[string]any{"value": o.Value, "note": o.Note}) ||
			!sameJSON(c.New, map[string]any{"value": n.Value, "note": n.Note}) {
			t.Fatalf("%s: %v → %v, want %v → %v", c.Field, c.Old, c.New, o, n)
		}
		return
	}
	if want := audit(t, before, field); !sameJSON(c.Old, want) {
		t.Errorf("%s: Old = %v, want %v", field, c.Old, want)
	}
	if want := audit(t, after, field); !sameJSON(c.New, want) {
		t.Errorf("%s: New = %v, want %v", field, c.New, want)
	}
}

// TestFieldEditsCoverAuditFields: the fixture changes every field the
// trail records, so the tests below walk them all.
func TestFieldEditsCoverAuditFields(t *testing.T) {
	t.Parallel()
	for _, f := range domain.AuditFields() {
		edit, ok := fixture.FieldEdits[f]
		if !ok {
			t.Errorf("fixture.FieldEdits lacks %q", f)
			continue
		}
		r := fixture.Request("x", resubmitT0)
		before := r
		edit(&r)
		if got := fields(domain.Diff(before, r)); !slices.Equal(got, []string{f}) {
			t.Errorf("FieldEdits[%q] changes %v", f, got)
		}
	}
}

func TestSinceSubmission_EveryField(t *testing.T) {
	t.Parallel()
	for _, f := range domain.AuditFields() {
		t.Run(f, func(t *testing.T) {
			t.Parallel()
			tr := newTrail(t)
			tr.submit()
			tr.ret()
			before := tr.r
			tr.edit(fixture.FieldEdits[f])
			tr.submit()
			rs := mustSince(t, tr.events)
			if len(rs.Changes) != 1 {
				t.Fatalf("changes = %v, want only %s", fields(rs.Changes), f)
			}
			wantField(t, rs, f, before, tr.r)
		})
	}

	t.Run("AllAtOnce", func(t *testing.T) {
		t.Parallel()
		// Every field changed, one edit each, then a second change of
		// each in one edit: each listed once, from the first value to
		// the last.
		tr := newTrail(t)
		tr.submit()
		tr.ret()
		before := tr.r
		for _, f := range domain.AuditFields() {
			tr.edit(fixture.FieldEdits[f])
		}
		tr.edit(func(r *domain.Request) {
			r.Title += " again"
			r.Need += " Again."
		})
		tr.submit()
		rs := mustSince(t, tr.events)
		if len(rs.Changes) != len(domain.AuditFields()) {
			t.Fatalf("changes = %v, want one per audit field", fields(rs.Changes))
		}
		for _, f := range domain.AuditFields() {
			wantField(t, rs, f, before, tr.r)
		}
		if rs.PreviousVersion != 1 || rs.LatestVersion != tr.r.Version {
			t.Errorf("versions = %d → %d, want 1 → %d", rs.PreviousVersion, rs.LatestVersion, tr.r.Version)
		}
		if !rs.PreviousAt.Equal(tr.events[1].At) || !rs.LatestAt.Equal(tr.events[len(tr.events)-1].At) {
			t.Errorf("times = %v → %v, want the submissions'", rs.PreviousAt, rs.LatestAt)
		}
	})
}

func TestSinceSubmission_ChangedBack(t *testing.T) {
	t.Parallel()
	for _, f := range domain.AuditFields() {
		t.Run(f, func(t *testing.T) {
			t.Parallel()
			tr := newTrail(t)
			tr.submit()
			tr.ret()
			was := tr.r
			tr.edit(fixture.FieldEdits[f])
			tr.edit(func(r *domain.Request) { *r = restore(*r, was) })
			tr.submit()
			if rs := mustSince(t, tr.events); len(rs.Changes) != 0 {
				t.Fatalf("changes = %v, want none (changed back)", fields(rs.Changes))
			}
		})
	}
}

// restore is r with every audit field of was (the rest, such as the
// version, r's own).
func restore(r, was domain.Request) domain.Request {
	version, status := r.Version, r.Status
	r = was
	r.Version, r.Status = version, status
	return r
}

func TestSinceSubmission_OnlyTheLatestRound(t *testing.T) {
	t.Parallel()
	tr := newTrail(t)
	tr.edit(func(r *domain.Request) { r.Need += " Draft edit." }) // before any submission
	tr.submit()
	tr.ret()
	tr.edit(fixture.FieldEdits["title"]) // the first round
	tr.edit(fixture.FieldEdits["poc"])
	tr.submit()
	tr.ret()
	before := tr.r
	tr.edit(fixture.FieldEdits["priority"]) // the latest round
	tr.edit(func(r *domain.Request) { r.POC.Phone = "+977 1 555 0100" })
	tr.submit()
	tr.briefing("yes") // after the latest submission: not between them
	rs := mustSince(t, tr.events)
	if got := fields(rs.Changes); !slices.Equal(got, []string{"priority", "poc"}) {
		t.Fatalf("changes = %v, want [priority poc] (the latest round only)", got)
	}
	wantField(t, rs, "priority", before, tr.r)
	wantField(t, rs, "poc", before, tr.r)
	if rs.PreviousVersion != 5 || rs.LatestVersion != 8 {
		t.Errorf("versions = %d → %d, want 5 → 8", rs.PreviousVersion, rs.LatestVersion)
	}
}

func TestSinceSubmission_SubmittedOnce(t *testing.T) {
	t.Parallel()
	tr := newTrail(t)
	if _, ok := domain.SinceSubmission(tr.events); ok {
		t.Error("a draft: SinceSubmission = true")
	}
	tr.edit(fixture.FieldEdits["title"])
	tr.submit()
	tr.ret()
	tr.edit(fixture.FieldEdits["need"]) // returned, not yet resubmitted
	if _, ok := domain.SinceSubmission(tr.events); ok {
		t.Error("submitted once: SinceSubmission = true")
	}
	if _, ok := domain.SinceSubmission(nil); ok {
		t.Error("no events: SinceSubmission = true")
	}
}

func TestSinceSubmission_Checklist(t *testing.T) {
	t.Parallel()
	tr := newTrail(t)
	tr.submit()
	tr.briefing("no") // the officer's answer while submitted counts too
	tr.ret()
	before := tr.r
	tr.edit(func(r *domain.Request) {
		r.Checklist = maps.Clone(r.Checklist)
		r.Checklist["LR12"] = domain.Answer{Value: "unknown", Note: "Asked the ministry."} // answer and note
		r.Checklist["LR4"] = domain.Answer{Value: "yes", Note: "Changed note."}            // note only
		delete(r.Checklist, "LR16")                                                        // answer removed
		r.Checklist["LR3"] = domain.Answer{Value: "no"}                                    // changed …
	})
	tr.edit(func(r *domain.Request) {
		r.Checklist = maps.Clone(r.Checklist)
		r.Checklist["LR3"] = before.Checklist["LR3"] // … and back
	})
	tr.submit()
	rs := mustSince(t, tr.events)
	if got := fields(rs.Changes); !slices.Equal(got, []string{"checklist.LR4", "checklist.LR12", "checklist.LR16", "checklist.LR17"}) {
		t.Fatalf("changes = %v, want LR4, LR12, LR16, LR17 in table order", got)
	}
	want := map[string][2]domain.Answer{
		"checklist.LR4":  {before.Checklist["LR4"], {Value: "yes", Note: "Changed note."}},
		"checklist.LR12": {before.Checklist["LR12"], {Value: "unknown", Note: "Asked the ministry."}},
		"checklist.LR16": {before.Checklist["LR16"], {}},
		"checklist.LR17": {{}, {Value: "no"}},
	}
	for _, c := range rs.Changes {
		w := want[c.Field]
		if !sameJSON(c.Old, map[string]any{"value": w[0].Value, "note": w[0].Note}) ||
			!sameJSON(c.New, map[string]any{"value": w[1].Value, "note": w[1].Note}) {
			t.Errorf("%s: %v → %v, want %v → %v", c.Field, c.Old, c.New, w[0], w[1])
		}
	}

	t.Run("Briefing", func(t *testing.T) {
		t.Parallel()
		// The officer's briefing between the submissions is a change of
		// LR17 like any other.
		tr := newTrail(t)
		tr.submit()
		tr.ret()
		tr.briefing("yes")
		tr.submit()
		rs := mustSince(t, tr.events)
		if len(rs.Changes) != 1 || rs.Changes[0].Field != "checklist.LR17" ||
			!sameJSON(rs.Changes[0].New, map[string]any{"value": "yes", "note": ""}) {
			t.Fatalf("changes = %+v, want LR17 → yes", rs.Changes)
		}
	})
}

// TestResubmissionFor walks every role and channel: a guarded field is
// hidden from whoever Sees says may not see it, as EventFor hides it in
// the edit events the changes come from; nothing else is.
func TestResubmissionFor(t *testing.T) {
	t.Parallel()
	tr := newTrail(t)
	tr.submit()
	tr.ret()
	for _, f := range domain.AuditFields() {
		tr.edit(fixture.FieldEdits[f])
	}
	guarded := ""
	for _, it := range domain.Checklist {
		if it.Guard != "" {
			guarded = it.ID
			break
		}
	}
	if guarded == "" {
		t.Fatal("no guarded checklist item")
	}
	tr.edit(func(r *domain.Request) {
		r.Checklist = maps.Clone(r.Checklist)
		r.Checklist[guarded] = domain.Answer{Value: "yes", Note: "canary"}
	})
	tr.submit()
	tr.r.OperationID, tr.r.RequestingOrgID = 1, 2
	all := mustSince(t, tr.events)
	for _, role := range domain.AllRoles {
		for _, ch := range domain.Channels {
			a := domain.Actor{UserID: 9, OrganizationID: 5, Roles: map[int64]domain.RoleSet{1: {role}}}
			if role == domain.RoleRequester {
				a.OrganizationID = 2
			}
			got := domain.ResubmissionFor(a, tr.r.Ref(), all, ch)
			byField := map[string]domain.Change{}
			for _, c := range got.Changes {
				byField[c.Field] = c
			}
			for _, c := range all.Changes {
				g, isGuarded := guardOf(c.Field)
				shown, listed := byField[c.Field]
				switch {
				case !isGuarded || domain.Sees(a, tr.r.Ref(), g, ch):
					if !listed || !sameJSON(shown, c) {
						t.Errorf("%s on %s: %s = %+v, want it as it is", role, ch, c.Field, shown)
					}
				case g == domain.GuardContact:
					if !listed || shown.Old != domain.Hidden || shown.New != domain.Hidden {
						t.Errorf("%s on %s: %s = %+v, want listed, values hidden", role, ch, c.Field, shown)
					}
				case listed:
					t.Errorf("%s on %s: %s listed, want not", role, ch, c.Field)
				}
			}
		}
	}
}

// guardOf is the guard of a changed field, from the domain's own tables.
func guardOf(field string) (domain.Guard, bool) {
	if id, ok := domain.ChecklistChangeItem(field); ok {
		it, _ := domain.ChecklistItemByID(id)
		return it.Guard, it.Guard != ""
	}
	switch field {
	case "poc":
		return domain.GuardContact, true
	case "escort":
		return domain.GuardEscort, true
	}
	return "", false
}
