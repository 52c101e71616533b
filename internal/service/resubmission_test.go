package service_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// resubmitFixture takes requests through return and resubmission with
// the real services.
type resubmitFixture struct {
	*reviewFixture
	viewer domain.Actor
}

func newResubmitFixture(t *testing.T) *resubmitFixture {
	t.Helper()
	f := &resubmitFixture{reviewFixture: newReviewFixture(t, 1)}
	f.viewer = f.member(t, "viewer@example.org", f.orgs[0].ID, domain.RoleViewer)
	return f
}

func (f *resubmitFixture) edit(t *testing.T, r domain.Request, edit func(*domain.Request)) domain.Request {
	t.Helper()
	out, err := f.reqs.Edit(t.Context(), f.requester, r.ID, r.Version, func(x *domain.Request) error { edit(x); return nil })
	if err != nil {
		t.Fatalf("edit: %v", err)
	}
	return out
}

func (f *resubmitFixture) step(t *testing.T, a domain.Actor, r domain.Request, act domain.Action, reason string) domain.Request {
	t.Helper()
	out, err := f.reqs.Transition(t.Context(), a, r.ID, act, domain.TransitionInput{Version: r.Version, Reason: reason})
	if err != nil {
		t.Fatalf("%s: %v", act, err)
	}
	return out
}

func (f *resubmitFixture) returned(t *testing.T, r domain.Request) domain.Request {
	t.Helper()
	f.clock.t = f.clock.t.Add(10 * time.Minute) // the resubmission comes later
	return f.step(t, f.officer, r, domain.ActionReturn, "Please say more.")
}

func (f *resubmitFixture) resubmit(t *testing.T, r domain.Request) domain.Request {
	t.Helper()
	return f.step(t, f.requester, r, domain.ActionSubmit, "")
}

// since is what the service answers a of request id, on every path: the
// request page (Page), Get and Detail (the API, every step's answer),
// which must agree.
func (f *resubmitFixture) since(t *testing.T, a domain.Actor, id int64) *domain.Resubmission {
	t.Helper()
	ctx := t.Context()
	p, err := f.reqs.Page(ctx, a, id)
	if err != nil {
		t.Fatal(err)
	}
	g, err := f.reqs.Get(ctx, a, id)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.reqs.Detail(ctx, a, id)
	if err != nil {
		t.Fatal(err)
	}
	if js(t, p.Resubmission) != js(t, g.Resubmission) || js(t, g.Resubmission) != js(t, d.Resubmission) {
		t.Fatalf("paths disagree:\nPage   %s\nGet    %s\nDetail %s", js(t, p.Resubmission), js(t, g.Resubmission), js(t, d.Resubmission))
	}
	return p.Resubmission
}

func js(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// auditJSON is field's value in r as the audit trail records it, as JSON;
// a checklist item as {"note","value"}.
func auditJSON(t *testing.T, r domain.Request, field string) string {
	t.Helper()
	if id, ok := domain.ChecklistChangeItem(field); ok {
		a := r.Checklist[id]
		return js(t, map[string]any{"value": a.Value, "note": a.Note})
	}
	var v any
	if err := json.Unmarshal([]byte(js(t, domain.Snapshot(r)[field])), &v); err != nil {
		t.Fatal(err)
	}
	return js(t, v)
}

func changeFields(rs *domain.Resubmission) []string {
	if rs == nil {
		return nil
	}
	var out []string
	for _, c := range rs.Changes {
		out = append(out, c.Field)
	}
	return out
}

// TestResubmission_EveryField walks the audit trail's fields: each one
// changed between a return and the resubmission is listed once, with its
// value at the previous submission and at the latest, on every path.
func TestResubmission_EveryField(t *testing.T) {
	t.Parallel()
	f := newResubmitFixture(t)
	for _, field := range domain.AuditFields() {
		edit, ok := fixture.FieldEdits[field]
		if !ok {
			t.Fatalf("fixture.FieldEdits lacks %q", field)
		}
		r := f.submitted(t, "Field "+field)
		if rs := f.since(t, f.officer, r.ID); rs != nil {
			t.Fatalf("%s: submitted once, changes = %v, want none", field, changeFields(rs))
		}
		before := f.returned(t, r)
		after := f.edit(t, before, edit)
		f.resubmit(t, after)
		rs := f.since(t, f.officer, r.ID)
		if rs == nil || len(rs.Changes) != 1 {
			t.Fatalf("%s: changes = %v, want exactly one", field, changeFields(rs))
		}
		c := rs.Changes[0]
		if c.Field != field && !(field == "checklist" && strings.HasPrefix(c.Field, "checklist.")) {
			t.Fatalf("%s: changed field = %s", field, c.Field)
		}
		if got, want := js(t, c.Old), auditJSON(t, before, c.Field); got != want {
			t.Errorf("%s: Old = %s, want %s", field, got, want)
		}
		if got, want := js(t, c.New), auditJSON(t, after, c.Field); got != want {
			t.Errorf("%s: New = %s, want %s", field, got, want)
		}
		if rs.PreviousVersion != r.Version || rs.LatestVersion != after.Version+1 || !rs.LatestAt.After(rs.PreviousAt) {
			t.Errorf("%s: submissions v%d %v → v%d %v", field, rs.PreviousVersion, rs.PreviousAt, rs.LatestVersion, rs.LatestAt)
		}
	}
}

// TestResubmission_Rounds: a field changed and changed back is not
// listed; a request returned twice lists only the latest round, also
// after the review has opened; checklist answers and notes are items of
// their own, the officer's briefing between the submissions included.
func TestResubmission_Rounds(t *testing.T) {
	t.Parallel()
	f := newResubmitFixture(t)
	ctx := t.Context()
	r := f.submitted(t, "Two rounds")
	r = f.returned(t, r)
	r = f.edit(t, r, fixture.FieldEdits["title"]) // the first round only
	r = f.resubmit(t, r)
	if rs := f.since(t, f.officer, r.ID); !slices.Equal(changeFields(rs), []string{"title"}) {
		t.Fatalf("first round: changes = %v, want [title]", changeFields(rs))
	}
	if _, err := f.reqs.RecordBriefing(ctx, f.officer, r.ID, r.Version, domain.Answer{Value: "yes", Note: "Briefed by OCHA."}); err != nil {
		t.Fatal(err)
	}
	r = f.returned(t, r)
	before := r
	r = f.edit(t, r, fixture.FieldEdits["need"])
	r = f.edit(t, r, func(x *domain.Request) { x.Need = before.Need }) // changed back
	r = f.edit(t, r, func(x *domain.Request) {
		x.Checklist = maps.Clone(x.Checklist)
		x.Checklist["LR12"] = domain.Answer{Value: "unknown", Note: "Asked the ministry."}
		a := x.Checklist["LR4"]
		a.Note = "Note rewritten."
		x.Checklist["LR4"] = a
	})
	r = f.edit(t, r, fixture.FieldEdits["priority"])
	after := r
	r = f.resubmit(t, r)
	f.open(t, r) // still told once the review is open
	rs := f.since(t, f.officer, r.ID)
	want := []string{"priority", "checklist.LR4", "checklist.LR12", "checklist.LR17"}
	if !slices.Equal(changeFields(rs), want) {
		t.Fatalf("changes = %v, want %v", changeFields(rs), want)
	}
	for _, c := range rs.Changes {
		old, nw := auditJSON(t, before, c.Field), auditJSON(t, after, c.Field)
		if c.Field == "checklist.LR17" { // briefed while submitted, before this return
			old = js(t, map[string]any{"value": "", "note": ""})
		}
		if js(t, c.Old) != old || js(t, c.New) != nw {
			t.Errorf("%s: %s → %s, want %s → %s", c.Field, js(t, c.Old), js(t, c.New), old, nw)
		}
	}
}

// TestResubmission_Visibility: each role sees the changes as it sees the
// edit events they come from (domain.EventFor): the contact's values
// hidden from whoever may not see the contact, nothing else withheld on
// screen.
func TestResubmission_Visibility(t *testing.T) {
	t.Parallel()
	f := newResubmitFixture(t)
	r := f.submitted(t, "Contact changed")
	r = f.returned(t, r)
	for _, field := range domain.AuditFields() {
		r = f.edit(t, r, fixture.FieldEdits[field])
	}
	r = f.resubmit(t, r)
	all := f.since(t, f.requester, r.ID)
	if len(all.Changes) != len(domain.AuditFields()) {
		t.Fatalf("requester: changes = %v, want every field", changeFields(all))
	}
	for name, a := range map[string]domain.Actor{"officer": f.officer, "hc": f.hc, "hct": f.hct[0], "own-hct": f.ownHCT,
		"viewer": f.viewer, "requester": f.requester, "colleague": f.colleague} {
		got := f.since(t, a, r.ID)
		seesContact := domain.Sees(a, r.Ref(), domain.GuardContact, domain.ChannelScreen)
		if !slices.Equal(changeFields(got), changeFields(all)) {
			t.Errorf("%s: changes = %v, want %v", name, changeFields(got), changeFields(all))
			continue
		}
		for i, c := range got.Changes {
			switch {
			case c.Field == "poc" && !seesContact:
				if c.Old != domain.Hidden || c.New != domain.Hidden || strings.Contains(js(t, c), "555") {
					t.Errorf("%s: poc = %s, want hidden", name, js(t, c))
				}
			case js(t, c) != js(t, all.Changes[i]):
				t.Errorf("%s: %s = %s, want %s", name, c.Field, js(t, c), js(t, all.Changes[i]))
			}
		}
	}
	// Who may not see the request sees none of it.
	if _, err := f.reqs.Get(t.Context(), f.outsider, r.ID); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("outsider: err = %v, want not found", err)
	}
}
