package web

import (
	"context"
	"strconv"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/pages"
)

// resubmissionView shows what changed since the previous submission
// (service.RequestDetail.Resubmission, already as the reader may see it):
// nil when the request was submitted fewer than twice.
func resubmissionView(ctx context.Context, rs *domain.Resubmission) *pages.ResubmissionView {
	if rs == nil {
		return nil
	}
	l := i18n.FromContext(ctx)
	v := &pages.ResubmissionView{
		Heading: l.N("resubmission.heading", len(rs.Changes), "Date", displayTime(ctx, rs.PreviousAt)),
		Submissions: i18n.T(ctx, "resubmission.submissions", "Latest", displayTime(ctx, rs.LatestAt),
			"LatestVersion", strconv.Itoa(rs.LatestVersion), "Previous", displayTime(ctx, rs.PreviousAt),
			"PreviousVersion", strconv.Itoa(rs.PreviousVersion)),
	}
	for _, c := range rs.Changes {
		row := pages.ChangeRow{Field: c.Field, Label: changeLabel(ctx, c.Field)}
		row.Before, row.After = changeParts(ctx, c)
		v.Rows = append(v.Rows, row)
	}
	return v
}

// changeLabels are the labels of the audit fields whose label key is
// not request.<field>.
var changeLabels = map[string]string{"exit_strategy": "request_form.part.exit", "poc": "request_form.part.contact",
	"escort": "request_form.part.escort"}

// changeLabel is a changed field's label: the request page's, or a
// checklist item's ID and title.
func changeLabel(ctx context.Context, field string) string {
	if id, ok := domain.ChecklistChangeItem(field); ok {
		return id + " · " + i18n.T(ctx, "checklist."+id+".title")
	}
	if key, ok := changeLabels[field]; ok {
		return i18n.T(ctx, key)
	}
	return i18n.T(ctx, "request."+field)
}

// partLabels are the labels of the parts of the fields the trail keeps as
// objects, in the order the form shows them.
var partLabels = map[string][][2]string{
	"location": {{"name", "location.name"}, {"adm1_name", "location.adm1_name"}, {"adm1_pcode", "location.adm1_pcode"},
		{"adm2_name", "location.adm2_name"}, {"adm2_pcode", "location.adm2_pcode"}, {"lat", "location.lat"}, {"lon", "location.lon"}},
	"exit_strategy": {{"organization", "request.exit_organization"}, {"date", "request.exit_date"}, {"plan", "request.exit_plan"}},
	"poc":           {{"name", "request.poc_name"}, {"role", "request.poc_role"}, {"phone", "request.poc_phone"}, {"email", "request.poc_email"}},
	"escort": {{"need_criticality", "request.escort_need_criticality"}, {"responsible_authority", "request.escort_responsible_authority"},
		{"security_assessment", "request.escort_security_assessment"}, {"discontinuation_plan", "request.escort_discontinuation_plan"},
		{"common_position_consulted", "request.escort_common_position"}, {"compensation", "request.escort_compensation"}},
	"checklist": {{"value", "resubmission.answer"}, {"note", "resubmission.note"}},
}

// changeParts shows change c's old and new values as lines. A value kept
// as an object (a place, the exit strategy, the contact, the escort
// criteria) shows the parts that differ, each labelled; a checklist item
// its answer, and its note when either side has one; anything else the
// value itself. A value the reader may not see says so.
func changeParts(ctx context.Context, c domain.Change) (before, after []pages.ChangePart) {
	if c.Old == domain.Hidden || c.New == domain.Hidden {
		hidden := []pages.ChangePart{{Value: i18n.T(ctx, "request.contact_hidden")}}
		return hidden, hidden
	}
	kind := c.Field
	if _, ok := domain.ChecklistChangeItem(c.Field); ok {
		kind = "checklist"
	} else if c.Field == "origin" || c.Field == "destination" {
		kind = "location"
	}
	parts, ok := partLabels[kind]
	if !ok {
		return []pages.ChangePart{{Value: changeValue(ctx, c.Field, c.Old)}}, []pages.ChangePart{{Value: changeValue(ctx, c.Field, c.New)}}
	}
	o, _ := c.Old.(map[string]any)
	n, _ := c.New.(map[string]any)
	for _, p := range parts {
		key, label := p[0], i18n.T(ctx, "resubmission.part", "Label", i18n.T(ctx, p[1]))
		ov, nv := o[key], n[key]
		switch {
		case kind == "checklist" && key == "value":
		case kind == "checklist":
			if ov == "" && nv == "" {
				continue // no note on either side
			}
		case sameLeaf(ov, nv):
			continue
		}
		// The leaf's name as the form's input (escort.compensation,
		// checklist.LR4): conflictValue reads its codes by it.
		leaf := c.Field + "." + key
		if kind == "checklist" && key == "value" {
			leaf = c.Field
		}
		before = append(before, pages.ChangePart{Label: label, Value: changeValue(ctx, leaf, ov)})
		after = append(after, pages.ChangePart{Label: label, Value: changeValue(ctx, leaf, nv)})
	}
	return before, after
}

func sameLeaf(a, b any) bool {
	as, aok := a.(string)
	bs, bok := b.(string)
	return aok && bok && as == bs || a == nil && b == nil
}

// changeValue is one value as the trail keeps it, in the reader's words:
// codes translated (conflictValue), the required-by time and the number
// of people as the request page shows them, "not given" for nothing.
func changeValue(ctx context.Context, field string, v any) string {
	switch x := v.(type) {
	case nil:
		return i18n.T(ctx, "request.not_given")
	case string:
		if x == "" {
			return i18n.T(ctx, "request.not_given")
		}
		if field == "required_by" {
			if t, err := time.Parse(time.RFC3339, x); err == nil {
				return displayTime(ctx, t)
			}
		}
	case float64:
		if field == "people_targeted" && x == float64(int(x)) {
			if x == 0 {
				return i18n.T(ctx, "request.not_given")
			}
			return i18n.FromContext(ctx).Number(int(x))
		}
	case []any:
		if len(x) == 0 {
			return i18n.T(ctx, "request.not_given")
		}
	}
	return conflictValue(ctx, field, v)
}
