package domain

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
)

// Conflict is what refuses a stale edit (CodeConflict): the version the
// request is at now and the fields someone else changed since the version
// the editor saw, so that no one overwrites another's change unseen.
type Conflict struct {
	Version int
	Changes []FieldChange
}

// FieldChange is one field changed by someone else since the version an
// editor saw: its name as the form and the API name it (title, sectors,
// origin.name, poc.phone, checklist.LR4 for the answer, checklist.LR4.note),
// its value now and the value the editor's change would have given it, in
// the form the audit trail shows them.
type FieldChange struct {
	Field string `json:"field"`
	Now   any    `json:"now"`
	Yours any    `json:"yours"`
	// Saw is its value in the version the editor saw (StaleEdit only).
	Saw any `json:"-"`
}

// Untouched reports whether the editor's change left the field as they
// saw it: only the other save changed it, so what is saved now is what
// the editor's form should hold.
func (c FieldChange) Untouched() bool { return sameValue(c.Saw, c.Yours) }

// Agrees reports whether the editor's change gives the field the value it
// has now: no conflict on it.
func (c FieldChange) Agrees() bool { return sameValue(c.Now, c.Yours) }

// StaleEdit returns the refusal of an edit made on version saw of cur,
// which has moved on since: events is cur's audit trail, yours the request
// as the edit would have left it. The changes are the fields the edits
// recorded after version saw changed, each with its value now and yours;
// a field changed back to what the editor saw is not listed.
func StaleEdit(cur Request, saw int, events []Event, yours Request) *Error {
	before := map[string]any{} // field → its value at version saw
	for _, e := range events {
		if e.Action != EventEdited {
			continue
		}
		var p struct {
			Version int      `json:"version"`
			Changes []Change `json:"changes"`
		}
		if json.Unmarshal(e.Payload, &p) != nil || p.Version <= saw {
			continue
		}
		for _, c := range p.Changes {
			old, nw := flatField(c.Field, c.Old), flatField(c.Field, c.New)
			for k := range nw {
				if _, ok := old[k]; !ok {
					old[k] = nil
				}
			}
			for k, v := range old {
				if _, seen := before[k]; !seen {
					before[k] = v
				}
			}
		}
	}
	now, mine := flatRequest(cur), flatRequest(yours)
	out := &Error{Code: CodeConflict, Message: "request.edited_meanwhile", Data: map[string]any{"Version": cur.Version},
		Conflict: &Conflict{Version: cur.Version, Changes: []FieldChange{}}}
	for k, v := range before {
		if !sameValue(v, now[k]) {
			out.Conflict.Changes = append(out.Conflict.Changes, FieldChange{Field: k, Now: orEmpty(now[k]), Yours: orEmpty(mine[k]), Saw: orEmpty(v)})
		}
	}
	order := func(field string) int {
		top, _, _ := strings.Cut(field, ".")
		return slices.Index(auditFieldOrder, top)
	}
	sort.Slice(out.Conflict.Changes, func(i, j int) bool {
		a, b := out.Conflict.Changes[i].Field, out.Conflict.Changes[j].Field
		if oa, ob := order(a), order(b); oa != ob {
			return oa < ob
		}
		return a < b
	})
	return out
}

// flatRequest is r's editable fields as flatField leaves.
func flatRequest(r Request) map[string]any {
	out := map[string]any{}
	for f, v := range auditFields(r) {
		for k, leaf := range flatField(f, v) {
			out[k] = leaf
		}
	}
	return out
}

// flatField flattens the audit value v of field into leaves named as the
// form's inputs: a location, the contact, the exit strategy and the escort
// by their parts (origin.name), a checklist answer by item
// (checklist.LR4, checklist.LR4.note); lists and scalars stay whole.
// Values go through JSON first, so a value read back from an event and
// one computed now compare alike.
func flatField(field string, v any) map[string]any {
	var generic any
	if raw, err := json.Marshal(v); err == nil {
		_ = json.Unmarshal(raw, &generic)
	}
	out := map[string]any{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		m, ok := v.(map[string]any)
		if !ok {
			out[prefix] = v
			return
		}
		for k, sub := range m {
			name := prefix + "." + k
			if strings.HasPrefix(prefix, "checklist.") && k == "value" {
				name = prefix // the answer is the item's own input
			}
			walk(name, sub)
		}
	}
	walk(field, generic)
	return out
}

// sameValue compares two flattened leaves; a missing value and an empty
// text are the same (an item never answered, or answered "").
func sameValue(a, b any) bool {
	ja, _ := json.Marshal(orEmpty(a))
	jb, _ := json.Marshal(orEmpty(b))
	return string(ja) == string(jb)
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// EditedMeanwhile is the refusal of an administrator's change to an
// object (an organisation, a user, an operation) that someone saved after
// the form was loaded: now and yours are the object's administered fields
// as stored and as the change would leave them (OrganizationAudit,
// UserAudit, OperationAudit); each field where they differ is listed with
// both, so that nothing is overwritten unseen.
func EditedMeanwhile(now, yours map[string]any) *Error {
	c := &Conflict{Changes: []FieldChange{}}
	for k, v := range now {
		if !sameValue(v, yours[k]) {
			c.Changes = append(c.Changes, FieldChange{Field: k, Now: flatField(k, v)[k], Yours: flatField(k, yours[k])[k]})
		}
	}
	sort.Slice(c.Changes, func(i, j int) bool { return c.Changes[i].Field < c.Changes[j].Field })
	return &Error{Code: CodeConflict, Message: "directory.edited_meanwhile", Conflict: c}
}
