package domain

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// FieldEvents are the event kinds whose payload lists the request fields
// they changed ("changes", each a Change from Diff): the requester's
// edits and the officer's principles briefing (LR17). No other event
// changes a field of the request.
var FieldEvents = []string{EventEdited, EventBriefing}

// IsSubmission reports whether event action is a step into
// StatusSubmitted: a first submission or a resubmission after a return,
// as the rulebook says.
func IsSubmission(action string) bool {
	t, ok := TransitionFor(Action(action))
	return ok && t.To == StatusSubmitted
}

// SubmissionActions returns the actions of the steps into
// StatusSubmitted (IsSubmission), in rulebook order.
func SubmissionActions() []string {
	var out []string
	for _, t := range Transitions() {
		if t.To == StatusSubmitted {
			out = append(out, string(t.Action))
		}
	}
	return out
}

// Resubmission is what changed in a request between its previous
// submission and its latest, as its audit trail records it: the two
// submission events' times and the versions they submitted, and one
// Change per field whose value differs between them. Field is an audit
// field (AuditFields) with its values in the form the trail keeps them,
// except the checklist, which is one Change per item,
// "checklist.<ID>", with values {"value": …, "note": …} (both "" for an
// item not answered).
type Resubmission struct {
	PreviousAt, LatestAt           time.Time
	PreviousVersion, LatestVersion int
	Changes                        []Change
}

// ChecklistChangeItem returns the checklist item ID a Change's Field
// names ("checklist.LR4" → "LR4"), and false for any other field.
func ChecklistChangeItem(field string) (string, bool) {
	return strings.CutPrefix(field, "checklist.")
}

// AuditFields returns the request fields the audit trail records (Diff,
// Snapshot), in their order.
func AuditFields() []string { return slices.Clone(auditFieldOrder) }

// SinceSubmission returns what changed in a request between its previous
// submission and its latest, from events (its audit trail in sequence;
// any part of it holding both submissions and what lies between, or more),
// and false when it was submitted fewer than twice. Each field's old value is the one the
// first change between the two submissions started from, its new value
// the one the last left; a field that came back to where it was is not
// listed. Changes are in AuditFields order, checklist items in the
// Checklist table's order.
func SinceSubmission(events []Event) (Resubmission, bool) {
	latest, previous := -1, -1
	for i := len(events) - 1; i >= 0 && previous < 0; i-- {
		if IsSubmission(events[i].Action) {
			if latest < 0 {
				latest = i
			} else {
				previous = i
			}
		}
	}
	if previous < 0 {
		return Resubmission{}, false
	}
	out := Resubmission{PreviousAt: events[previous].At, LatestAt: events[latest].At,
		PreviousVersion: payloadVersion(events[previous]), LatestVersion: payloadVersion(events[latest]),
		Changes: []Change{}}
	old, now := map[string]any{}, map[string]any{}
	seen := func(field string, o, n any) {
		if _, ok := old[field]; !ok {
			old[field] = o
		}
		now[field] = n
	}
	for _, e := range events[previous+1 : latest] {
		if !slices.Contains(FieldEvents, e.Action) {
			continue
		}
		var p struct {
			Changes []Change `json:"changes"`
		}
		if json.Unmarshal(e.Payload, &p) != nil {
			continue
		}
		for _, c := range p.Changes {
			if c.Field != "checklist" {
				seen(c.Field, c.Old, c.New)
				continue
			}
			// The trail keeps the whole checklist, before and after:
			// each item is a field of its own.
			o, _ := c.Old.(map[string]any)
			n, _ := c.New.(map[string]any)
			for id := range o {
				seen("checklist."+id, answerValue(o[id]), answerValue(n[id]))
			}
			for id := range n {
				if _, done := o[id]; !done {
					seen("checklist."+id, answerValue(nil), answerValue(n[id]))
				}
			}
		}
	}
	for field, o := range old {
		if !sameValue(o, now[field]) {
			out.Changes = append(out.Changes, Change{Field: field, Old: o, New: now[field]})
		}
	}
	slices.SortFunc(out.Changes, func(a, b Change) int { return compareChangeFields(a.Field, b.Field) })
	return out, true
}

// answerValue is a checklist answer as the trail keeps it ({"value",
// "note"}), with both members present: "" for an item not answered.
func answerValue(v any) map[string]any {
	m, _ := v.(map[string]any)
	val, _ := m["value"].(string)
	note, _ := m["note"].(string)
	return map[string]any{"value": val, "note": note}
}

// payloadVersion is the version a submission event records.
func payloadVersion(e Event) int {
	var p struct {
		Version int `json:"version"`
	}
	_ = json.Unmarshal(e.Payload, &p)
	return p.Version
}

// compareChangeFields orders changed fields as the audit trail does, a
// checklist item where the checklist is, by the Checklist table (an item
// it no longer has after those it has, by ID).
func compareChangeFields(a, b string) int {
	pos := func(f string) (int, int, string) {
		if id, ok := ChecklistChangeItem(f); ok {
			i := slices.IndexFunc(Checklist, func(c ChecklistItem) bool { return c.ID == id })
			if i < 0 {
				i = len(Checklist)
			}
			return slices.Index(auditFieldOrder, "checklist"), i, id
		}
		i := slices.Index(auditFieldOrder, f)
		if i < 0 {
			i = len(auditFieldOrder)
		}
		return i, 0, f
	}
	af, ai, as := pos(a)
	bf, bi, bs := pos(b)
	switch {
	case af != bf:
		return af - bf
	case ai != bi:
		return ai - bi
	}
	return strings.Compare(as, bs)
}

// ResubmissionFor returns rs of request r as a sees it on channel ch,
// by the rule EventFor applies to an edit's changes: a guarded field a
// may not see (Sees) is hidden — the contact's values replaced by
// Hidden, the escort criteria and the guarded checklist items not
// listed at all.
func ResubmissionFor(a Actor, r RequestRef, rs Resubmission, ch Channel) Resubmission {
	var hide []Guard
	for _, g := range Guards {
		if !Sees(a, r, g, ch) {
			hide = append(hide, g)
		}
	}
	if len(hide) == 0 {
		return rs
	}
	kept := make([]Change, 0, len(rs.Changes))
	for _, c := range rs.Changes {
		if g, ok := changeGuard(c.Field, hide); ok {
			if g != GuardContact {
				continue // not listed at all
			}
			c.Old, c.New = Hidden, Hidden
		}
		kept = append(kept, c)
	}
	rs.Changes = kept
	return rs
}

// changeGuard returns the guard among gs that covers changed field f: its
// request field's (guardFields) or its checklist item's.
func changeGuard(f string, gs []Guard) (Guard, bool) {
	id, item := ChecklistChangeItem(f)
	for _, g := range gs {
		if !item && guardFields[g] == f || item && slices.Contains(guardedItems(g), id) {
			return g, true
		}
	}
	return "", false
}
