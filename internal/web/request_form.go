package web

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// The request form's inputs are named after the fields the domain's
// validation names (title, origin.adm1_pcode, checklist.LR4.note…), so a
// domain error lands at its input without a translation table. The
// civilian options are the exception: the form has one row per option
// (civilian.unhas.result), the domain a list (civilian_options.0.result).

// Input formats of dates and times.
const (
	dateLayout     = time.DateOnly
	datetimeLayout = "2006-01-02T15:04" // <input type="datetime-local">
)

func formDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateLayout)
}

func formDatetime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(datetimeLayout)
}

func formCoord(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

// requestValues is r as the form shows it.
func requestValues(r domain.Request) url.Values {
	v := url.Values{
		"title": {r.Title}, "need": {r.Need}, "task_category": {string(r.TaskCategory)},
		"capability": {r.Capability}, "support_type": {string(r.SupportType)}, "task_description": {r.TaskDescription},
		"required_by": {formDatetime(r.RequiredBy)}, "start_date": {formDate(r.StartDate)}, "end_date": {formDate(r.EndDate)},
		"priority": {string(r.Priority)}, "urgency_reason": {r.UrgencyReason}, "complementarity": {r.Complementarity},
		"exit_strategy.organization": {r.ExitStrategy.Organization}, "exit_strategy.date": {formDate(r.ExitStrategy.Date)},
		"exit_strategy.plan": {r.ExitStrategy.Plan},
		"poc.name":           {r.POC.Name}, "poc.role": {r.POC.Role}, "poc.phone": {r.POC.Phone}, "poc.email": {r.POC.Email},
		"escort.need_criticality": {r.Escort.NeedCriticality}, "escort.responsible_authority": {r.Escort.ResponsibleAuthority},
		"escort.security_assessment": {r.Escort.SecurityAssessment}, "escort.discontinuation_plan": {r.Escort.DiscontinuationPlan},
		"escort.common_position_consulted": {boolValue(r.Escort.CommonPositionConsulted)}, "escort.compensation": {r.Escort.Compensation},
		"sectors": r.Sectors, "version": {strconv.Itoa(r.Version)},
	}
	if r.PeopleTargeted > 0 {
		v.Set("people_targeted", strconv.Itoa(r.PeopleTargeted))
	}
	for prefix, l := range map[string]domain.Location{"origin": r.Origin, "destination": r.Destination} {
		v.Set(prefix+".name", l.Name)
		v.Set(prefix+".adm1_name", l.Adm1Name)
		v.Set(prefix+".adm1_pcode", l.Adm1PCode)
		v.Set(prefix+".adm2_name", l.Adm2Name)
		v.Set(prefix+".adm2_pcode", l.Adm2PCode)
		v.Set(prefix+".lat", formCoord(l.Lat))
		v.Set(prefix+".lon", formCoord(l.Lon))
	}
	for _, c := range r.CivilianOptions {
		v.Set("civilian."+c.Option+".result", c.Result)
		v.Set("civilian."+c.Option+".note", c.Note)
	}
	for id, a := range r.Checklist {
		v.Set("checklist."+id, a.Value)
		v.Set("checklist."+id+".note", a.Note)
	}
	return v
}

// requestInput reads the posted form into a request. Values that cannot
// be parsed (a date, a number) are field messages in fe, never a 500;
// civ lists the civilian option of each entry of CivilianOptions, to put
// the domain's messages back on their rows.
func requestInput(v url.Values) (r domain.Request, fe map[string]string, civ []string) {
	fe = map[string]string{}
	r = domain.Request{
		Title: v.Get("title"), Need: v.Get("need"), TaskCategory: domain.TaskCategory(strings.TrimSpace(v.Get("task_category"))),
		Capability: v.Get("capability"), SupportType: domain.SupportType(strings.TrimSpace(v.Get("support_type"))),
		TaskDescription: v.Get("task_description"), Priority: domain.Priority(strings.TrimSpace(v.Get("priority"))),
		UrgencyReason: v.Get("urgency_reason"), Complementarity: v.Get("complementarity"),
		ExitStrategy: domain.ExitStrategy{Organization: v.Get("exit_strategy.organization"), Plan: v.Get("exit_strategy.plan")},
		POC:          domain.Contact{Name: v.Get("poc.name"), Role: v.Get("poc.role"), Phone: v.Get("poc.phone"), Email: v.Get("poc.email")},
		Escort: domain.Escort{NeedCriticality: v.Get("escort.need_criticality"), ResponsibleAuthority: v.Get("escort.responsible_authority"),
			SecurityAssessment: v.Get("escort.security_assessment"), DiscontinuationPlan: v.Get("escort.discontinuation_plan"),
			CommonPositionConsulted: formBool(v, "escort.common_position_consulted"), Compensation: strings.TrimSpace(v.Get("escort.compensation"))},
		Sectors:   v["sectors"],
		Checklist: map[string]domain.Answer{},
	}
	if s := strings.TrimSpace(v.Get("people_targeted")); s != "" {
		s = strings.NewReplacer(",", "", " ", "", ".", "").Replace(s)
		if n, err := strconv.Atoi(s); err != nil {
			fe["people_targeted"] = "field.number"
		} else {
			r.PeopleTargeted = n
		}
	}
	date := func(field string, dst *time.Time) {
		if s := strings.TrimSpace(v.Get(field)); s != "" {
			t, err := time.Parse(dateLayout, s)
			if err != nil {
				fe[field] = "field.date"
				return
			}
			*dst = t
		}
	}
	date("start_date", &r.StartDate)
	date("end_date", &r.EndDate)
	date("exit_strategy.date", &r.ExitStrategy.Date)
	if s := strings.TrimSpace(v.Get("required_by")); s != "" {
		t, err := time.Parse(datetimeLayout, s)
		if err != nil {
			t, err = time.Parse(dateLayout, s) // a browser without datetime-local sends what was typed
		}
		if err != nil {
			fe["required_by"] = "field.datetime"
		} else {
			r.RequiredBy = t
		}
	}
	for _, prefix := range []string{"origin", "destination"} {
		l := domain.Location{Name: v.Get(prefix + ".name"), Adm1Name: v.Get(prefix + ".adm1_name"),
			Adm1PCode: v.Get(prefix + ".adm1_pcode"), Adm2Name: v.Get(prefix + ".adm2_name"), Adm2PCode: v.Get(prefix + ".adm2_pcode")}
		l.Lat = formFloat(v, prefix+".lat", fe)
		l.Lon = formFloat(v, prefix+".lon", fe)
		if prefix == "origin" {
			r.Origin = l
		} else {
			r.Destination = l
		}
	}
	for _, opt := range domain.CivilianOptions {
		res, note := strings.TrimSpace(v.Get("civilian."+opt+".result")), v.Get("civilian."+opt+".note")
		if res == "" && strings.TrimSpace(note) == "" {
			continue
		}
		r.CivilianOptions = append(r.CivilianOptions, domain.CivilianCheck{Option: opt, Result: res, Note: note})
		civ = append(civ, opt)
	}
	for _, item := range domain.Checklist {
		if !item.TakesNote() {
			continue
		}
		a := domain.Answer{Note: v.Get("checklist." + item.ID + ".note")}
		if item.Answer != domain.AnswerField {
			a.Value = v.Get("checklist." + item.ID)
		}
		if a.Value != "" || a.Note != "" {
			r.Checklist[item.ID] = a
		}
	}
	return r, fe, civ
}

// formFloat parses an optional decimal number (a comma is accepted as
// the decimal mark).
func formFloat(v url.Values, field string, fe map[string]string) *float64 {
	s := strings.TrimSpace(strings.ReplaceAll(v.Get(field), ",", "."))
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		fe[field] = "field.decimal"
		return nil
	}
	return &f
}

// requestFieldErrors renames the domain's civilian_options.N.x fields to
// the form's civilian.<option>.x inputs.
func requestFieldErrors(err error, civ []string) error {
	de, ok := err.(*domain.Error)
	if !ok || len(de.Fields) == 0 {
		return err
	}
	out := *de
	out.Fields = make(map[string]string, len(de.Fields))
	for field, msg := range de.Fields {
		if rest, ok := strings.CutPrefix(field, "civilian_options."); ok {
			if idx, sub, ok := strings.Cut(rest, "."); ok {
				if n, err := strconv.Atoi(idx); err == nil && n < len(civ) {
					if sub == "option" {
						sub = "result"
					}
					field = "civilian." + civ[n] + "." + sub
				}
			}
		}
		out.Fields[field] = msg
	}
	return &out
}

// requestFormView builds the form over f's values with the evaluation
// ev (of the saved request, or of the values just posted).
func (s *Server) requestFormView(ctx context.Context, f *form, ev domain.Evaluation, items map[string]domain.ItemProblem) pages.RequestFormView {
	// Each label says when its field must be filled, from the rule that
	// checks it (domain.RequirementOf), never typed here.
	f.need = domain.RequirementOf
	area := func(id, label string, max int) components.Field {
		fl := f.field(id, label, "textarea", false)
		fl.Maxlength = max
		return fl
	}
	hint := func(fl components.Field, key string) components.Field { fl.Hint = i18n.T(ctx, key); return fl }
	// The key posted comes back with the form shown again (a refusal
	// binds none, so the corrected save may use it); a form shown fresh
	// gets its own.
	key := f.values.Get("idempotency_key")
	if key == "" {
		key = newIdempotencyKey()
	}
	v := pages.RequestFormView{Version: f.values.Get("version"), IdempotencyKey: key}
	v.Title = hint(f.text("title", "request.title", false, 120), "request.title_hint")
	v.Need = hint(area("need", "request.need", 4000), "request.need_hint")
	v.Sectors = pages.RoleChecks{Name: "sectors", ID: "sectors", Legend: i18n.T(ctx, "request.sectors"), Error: f.errs["sectors"],
		NeededToSubmit: f.need("sectors") == domain.RequiredToSubmit}
	f.rendered("sectors", v.Sectors.Legend)
	chosen := map[string]bool{}
	for _, s := range f.values["sectors"] {
		chosen[s] = true
	}
	for _, sec := range domain.Sectors {
		v.Sectors.Options = append(v.Sectors.Options, pages.RoleCheck{ID: "sector-" + sec, Value: sec,
			Label: i18n.T(ctx, "sector."+sec) + " (" + sec + ")", Checked: chosen[sec]})
	}
	v.PeopleTargeted = f.text("people_targeted", "request.people_targeted", false, 12)
	v.PeopleTargeted.Inputmode = "numeric"
	v.Priority = f.choice("priority", "request.priority", false, codeOptions(ctx, "priority.", domain.Priorities))
	v.RequiredBy = hint(f.field("required_by", "request.required_by", "datetime-local", false), "request.required_by_hint")
	v.UrgencyReason = hint(area("urgency_reason", "request.urgency_reason", 2000), "request.urgency_reason_hint")
	// Needed for short notice only, as its hint says; marked needed once
	// the submission rule has asked for it.
	v.UrgencyReason.NeededToSubmit = f.errs["urgency_reason"] != ""
	v.UrgencyReason.Quiet = !v.UrgencyReason.NeededToSubmit

	v.TaskCategory = f.choice("task_category", "request.task_category", false, codeOptions(ctx, "task_category.", domain.TaskCategories))
	v.Capability = hint(area("capability", "request.capability", 4000), "request.capability_hint")
	v.SupportType = f.choice("support_type", "request.support_type", false, codeOptions(ctx, "support_type.", domain.SupportTypes))
	v.SupportType.Hint = i18n.T(ctx, "request.support_type_hint")
	v.TaskDescription = hint(area("task_description", "request.task_description", 4000), "request.task_description_hint")
	v.StartDate = f.field("start_date", "request.start_date", "date", false)
	v.EndDate = f.field("end_date", "request.end_date", "date", false)

	loc := func(prefix, legend string) pages.LocationFields {
		l := pages.LocationFields{Legend: i18n.T(ctx, legend)}
		l.Name = f.text(prefix+".name", "location.name", false, 200)
		l.Adm1 = f.text(prefix+".adm1_name", "location.adm1_name", false, 200)
		l.Adm1P = hint(f.text(prefix+".adm1_pcode", "location.adm1_pcode", false, 20), "location.pcode_hint")
		l.Adm2 = f.text(prefix+".adm2_name", "location.adm2_name", false, 200)
		l.Adm2P = f.text(prefix+".adm2_pcode", "location.adm2_pcode", false, 20)
		l.Lat = hint(f.text(prefix+".lat", "location.lat", false, 20), "location.lat_hint")
		l.Lat.Inputmode = "decimal"
		l.Lon = hint(f.text(prefix+".lon", "location.lon", false, 20), "location.lon_hint")
		l.Lon.Inputmode = "decimal"
		return l
	}
	v.Origin = loc("origin", "request.origin")
	v.Destination = loc("destination", "request.destination")

	v.CivilianLegend, v.CivilianID = i18n.T(ctx, "request.civilian_options"), "civilian_options"
	v.CivilianError = f.errs["civilian_options"]
	v.CivilianNeeded = f.need("civilian_options") == domain.RequiredToSubmit
	f.rendered("civilian_options", v.CivilianLegend)
	for _, opt := range domain.CivilianOptions {
		res := f.choice("civilian."+opt+".result", "request.civilian_result", false,
			append([]components.Option{{Value: "", Label: i18n.T(ctx, "civilian_result.none")}}, codeOptions(ctx, "civilian_result.", domain.CivilianResults)[1:]...))
		res.Quiet = true
		note := f.field("civilian."+opt+".note", "request.civilian_note", "text", false)
		note.Maxlength = 2000
		v.Civilian = append(v.Civilian, pages.CivilianRow{Label: i18n.T(ctx, "civilian_option."+opt), Result: res, Note: note})
	}
	v.Complementarity = hint(area("complementarity", "request.complementarity", 4000), "request.complementarity_hint")
	v.ExitOrganization = f.text("exit_strategy.organization", "request.exit_organization", false, 200)
	v.ExitDate = f.field("exit_strategy.date", "request.exit_date", "date", false)
	v.ExitPlan = area("exit_strategy.plan", "request.exit_plan", 4000)

	for _, item := range domain.Checklist {
		v.Checklist = append(v.Checklist, s.checklistItemView(ctx, f, item, ev.Item(item.ID), items[item.ID]))
	}
	for _, id := range []string{"escort.need_criticality", "escort.responsible_authority", "escort.security_assessment", "escort.discontinuation_plan"} {
		max := 2000
		typ := "textarea"
		if id == "escort.security_assessment" {
			max, typ = 200, "text"
		}
		fl := f.field(id, "request."+strings.ReplaceAll(id, ".", "_"), typ, false)
		fl.Maxlength = max
		v.Escort = append(v.Escort, fl)
	}
	comp := f.choice("escort.compensation", "request.escort_compensation", false, codeOptions(ctx, "escort_compensation.", domain.EscortCompensations))
	comp.Hint = i18n.T(ctx, "request.escort_compensation_hint")
	v.Escort = append(v.Escort, f.check("escort.common_position_consulted", "request.escort_common_position"), comp)
	v.POCName = f.text("poc.name", "request.poc_name", false, 200)
	v.POCName.Autocomplete = "name"
	v.POCRole = f.text("poc.role", "request.poc_role", false, 200)
	v.POCPhone = f.field("poc.phone", "request.poc_phone", "tel", false)
	v.POCPhone.Autocomplete = "tel"
	v.POCEmail = f.field("poc.email", "request.poc_email", "email", false)
	v.POCEmail.Autocomplete = "email"
	v.Evaluation = evaluationView(ctx, ev, f.values, true)
	v.Errors = f.summary()
	return v
}

// checklistItemView is one item of the form with its answer, note and
// verdict; prob is the item's problem from a refused submission.
func (s *Server) checklistItemView(ctx context.Context, f *form, item domain.ChecklistItem, res domain.ItemResult, prob domain.ItemProblem) pages.ChecklistItemView {
	iv := pages.ChecklistItemView{
		ID: item.ID, Title: i18n.T(ctx, "checklist."+item.ID+".title"), Question: i18n.T(ctx, item.Question()),
		Help: i18n.T(ctx, item.Help()), Source: item.Source, Gate: i18n.T(ctx, "checklist.gate."+string(item.Gate)),
		Result: itemBadge(ctx, res), ByOfficer: item.ByOfficer,
	}
	key := "checklist." + item.ID
	note := func() {
		iv.Note = f.field(key+".note", "request_form.item_note", "textarea", false)
		iv.Note.Maxlength = 2000
		// Where the context lets a failing answer be justified, the
		// note is that justification; elsewhere it is only a note.
		iv.Note.Hint = i18n.T(ctx, "request_form.item_note_plain_hint")
		if res.Gate == domain.GateJustify {
			iv.Note.Hint = i18n.T(ctx, "request_form.item_note_hint")
		}
		// Needed exactly while the item stands on its justification or
		// asks for one (the item's state, from the same rule); otherwise
		// its need depends on the answer, as the hint says.
		iv.Note.NeededToSubmit = res.Justified || res.State() == domain.StateNeedsJustification
		iv.Note.Quiet = !iv.Note.NeededToSubmit
	}
	switch {
	case item.Answer == domain.AnswerField:
		iv.FieldURL = "#" + item.Field
		iv.FieldName = i18n.T(ctx, "request."+item.Field)
		iv.FieldValue = fieldAnswer(ctx, item.Field, f.values.Get(item.Field))
		if item.TakesNote() {
			note()
		}
	case item.ByOfficer:
		if a := f.values.Get(key); a != "" {
			iv.Answer = i18n.T(ctx, "answer."+a)
		}
	default:
		cur := f.values.Get(key)
		for _, val := range item.Answer.Values() {
			iv.Choices = append(iv.Choices, pages.Choice{ID: key + "-" + val, Value: val,
				Label: answerLabel(ctx, item.Answer, val), Checked: cur == val, Meets: val == item.Meets})
		}
		note()
		iv.Error = f.errs[key]
		f.rendered(key, item.ID)
	}
	if prob.ID != "" && iv.Error == "" {
		// A refused submission: the problem is said at the item and, with
		// a link, in the error summary.
		iv.Error = i18n.T(ctx, "checklist.status."+prob.Status)
		if prob.Reason != "" {
			iv.Error += ": " + i18n.T(ctx, prob.Reason)
		}
	}
	return iv
}

// codeFields are the request's fields whose value is a code the
// catalogue names (prefix + code), as their selects show them: for each,
// its prefix and whether a value is one of its codes.
var codeFields = map[string]struct {
	prefix string
	known  func(string) bool
}{
	"support_type":  {"support_type.", func(v string) bool { return slices.Contains(domain.SupportTypes, domain.SupportType(v)) }},
	"task_category": {"task_category.", func(v string) bool { return slices.Contains(domain.TaskCategories, domain.TaskCategory(v)) }},
	"priority":      {"priority.", func(v string) bool { return slices.Contains(domain.Priorities, domain.Priority(v)) }},
}

// fieldAnswer is value of the request's field as an item answered by it
// shows it: a code by its name, a text shortened to a few lines.
func fieldAnswer(ctx context.Context, field, value string) string {
	value = strings.TrimSpace(value)
	if value == "" {
		return ""
	}
	if c, ok := codeFields[field]; ok && c.known(value) {
		return i18n.T(ctx, c.prefix+value)
	}
	const most = 240
	if r := []rune(value); len(r) > most {
		return strings.TrimSpace(string(r[:most])) + "…"
	}
	return value
}

// answerLabel translates an answer value of an item of type t.
func answerLabel(ctx context.Context, t domain.AnswerType, val string) string {
	if !slices.Contains(t.Values(), val) {
		return "" // no answer the item takes (a hand-made post): its field says so
	}
	switch t {
	case domain.AnswerConsent:
		return i18n.T(ctx, "consent."+val)
	case domain.AnswerRisk:
		return i18n.T(ctx, "risk."+val)
	}
	return i18n.T(ctx, "answer."+val)
}

func itemBadge(ctx context.Context, res domain.ItemResult) pages.ItemBadge {
	st := res.State()
	b := pages.ItemBadge{Code: string(st), Label: i18n.T(ctx, "checklist.state."+string(st)), Warning: res.Warning}
	if res.Reason != "" {
		b.Reason = i18n.T(ctx, res.Reason)
	}
	return b
}

// evaluationView shows ev; answers come from values (the form's or the
// request's). With links, each item links to its answer in the form.
func evaluationView(ctx context.Context, ev domain.Evaluation, values url.Values, links bool) pages.EvaluationView {
	out := pages.EvaluationView{Complete: ev.Complete(), Flags: flagViews(ctx, ev.Flags)}
	for _, res := range ev.Items {
		item, _ := domain.ChecklistItemByID(res.ID)
		it := pages.EvaluationItem{ID: res.ID, Title: i18n.T(ctx, "checklist."+res.ID+".title"), Result: itemBadge(ctx, res)}
		if links {
			it.URL = "#item-" + res.ID
		}
		if val := values.Get("checklist." + res.ID); val != "" && item.Answer != domain.AnswerField {
			it.Answer = answerLabel(ctx, item.Answer, val)
		}
		if res.Recorded != "" {
			// What was recorded since supersedes the request's answer,
			// and the item was judged on it: shown as such.
			it.Answer = i18n.T(ctx, "evaluation.recorded_answer", "Answer", answerLabel(ctx, item.Answer, res.Recorded))
		}
		if !links {
			it.Note = values.Get("checklist." + res.ID + ".note")
		}
		out.Items = append(out.Items, it)
	}
	// Each state with its count, in the table's order: what is met, what
	// is waived with a justification, what waits — never one for another.
	for _, st := range domain.ItemStates {
		if n := ev.CountState(st); n > 0 {
			out.Counts = append(out.Counts, pages.StateCount{Code: string(st),
				Text: i18n.T(ctx, "evaluation.count", "State", i18n.T(ctx, "checklist.state."+string(st)), "Count", n)})
		}
	}
	return out
}

func flagViews(ctx context.Context, flags []domain.Flag) []pages.FlagView {
	out := make([]pages.FlagView, 0, len(flags))
	for _, fl := range flags {
		out = append(out, pages.FlagView{Code: string(fl), Label: i18n.T(ctx, "flag."+string(fl))})
	}
	return out
}

// codeOptions is a select over a code list, labelled from the catalogue
// (prefix + code), with an empty first choice.
func codeOptions[T ~string](ctx context.Context, prefix string, codes []T) []components.Option {
	out := []components.Option{chooseOption(ctx)}
	for _, c := range codes {
		out = append(out, components.Option{Value: string(c), Label: i18n.T(ctx, prefix+string(c))})
	}
	return out
}
