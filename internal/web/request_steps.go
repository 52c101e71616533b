package web

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// The guided request form: the one-page form's fields and checklist
// shared out over short steps, each a page of its own that works without
// JavaScript. Every step posts only its own inputs and saves them into the
// draft (back, next, a step's name: each saves first), so a phone on a
// bad link never holds more than one step of unsaved typing; the last
// step reviews the whole request and submits it. Each checklist item is
// asked once, on the step of the fields it weighs (LR4 beside the
// required-by time, LR6 beside the dates, LR7 beside the exit strategy),
// and items a field answers (LR1, LR10) show the answer they take from it.

// stepPart is one block of a step: a request field, by its name in
// domain.EditableFields, or a checklist item, by its ID.
type stepPart struct {
	field string
	item  string
}

// requestStep is one page of the guided form.
type requestStep struct {
	id    string // its URL segment and catalogue key (steps.<id>)
	parts []stepPart
}

func fieldPart(name string) stepPart { return stepPart{field: name} }
func itemPart(id string) stepPart    { return stepPart{item: id} }

// requestSteps are the guided form's steps in order, the review last
// (reviewStep). Every editable field but the checklist, and every
// checklist item, is on exactly one of them (TestStepsHoldEveryFieldOnce).
var requestSteps = []requestStep{
	{"need", []stepPart{fieldPart("title"), fieldPart("need"), itemPart("LR1"), fieldPart("sectors"), fieldPart("people_targeted"),
		fieldPart("priority"), fieldPart("required_by"), fieldPart("urgency_reason"), itemPart("LR4")}},
	{"task", []stepPart{fieldPart("task_category"), fieldPart("capability"), itemPart("LR3"), fieldPart("support_type"), itemPart("LR10"),
		fieldPart("task_description"), fieldPart("complementarity"), itemPart("LR5")}},
	{"places", []stepPart{fieldPart("origin"), fieldPart("destination")}},
	{"civilian", []stepPart{fieldPart("civilian_options"), itemPart("LR2")}},
	{"timing", []stepPart{fieldPart("start_date"), fieldPart("end_date"), itemPart("LR6"), fieldPart("exit_strategy"), itemPart("LR7")}},
	{"principles", []stepPart{itemPart("LR8"), itemPart("LR9"), itemPart("LR11"), itemPart("LR16"), itemPart("LR17")}},
	{"risks", []stepPart{itemPart("LR12"), itemPart("LR13"), itemPart("LR14"), itemPart("LR15")}},
	{"escort", []stepPart{itemPart("LR18"), itemPart("LR19"), fieldPart("escort"), fieldPart("poc")}},
	{reviewStep, nil},
}

// StepIDs are the guided form's steps' URL segments
// (/requests/{id}/steps/{step}), in order.
func StepIDs() []string {
	out := make([]string, 0, len(requestSteps))
	for _, s := range requestSteps {
		out = append(out, s.id)
	}
	return out
}

// reviewStep is the last step: the whole request's evaluation, and submit.
const reviewStep = "review"

// stepIndex is the position of step id in requestSteps, -1 for none.
func stepIndex(id string) int {
	return slices.IndexFunc(requestSteps, func(s requestStep) bool { return s.id == id })
}

// stepOfProblem is the step holding the input a problem names: a field
// of domain.EditableFields or one of its inputs (origin.lat, poc.email,
// civilian_options.0.result, civilian.unhas.note), or a checklist item
// (checklist.LR4, checklist.LR4.note). -1 when no step holds it.
func stepOfProblem(key string) int {
	part := stepPart{field: key}
	switch head, rest, _ := strings.Cut(key, "."); head {
	case "checklist":
		id, _, _ := strings.Cut(rest, ".")
		part = stepPart{item: id}
	case "civilian":
		part = stepPart{field: "civilian_options"}
	default:
		part = stepPart{field: head}
	}
	for i, s := range requestSteps {
		if slices.Contains(s.parts, part) {
			return i
		}
	}
	return -1
}

// copyField sets request field name (one of domain.EditableFields but the
// checklist) of dst to src's. It reports false for a name it does not
// know.
func copyField(dst *domain.Request, src domain.Request, name string) bool {
	switch name {
	case "title":
		dst.Title = src.Title
	case "sectors":
		dst.Sectors = src.Sectors
	case "need":
		dst.Need = src.Need
	case "people_targeted":
		dst.PeopleTargeted = src.PeopleTargeted
	case "task_category":
		dst.TaskCategory = src.TaskCategory
	case "capability":
		dst.Capability = src.Capability
	case "support_type":
		dst.SupportType = src.SupportType
	case "task_description":
		dst.TaskDescription = src.TaskDescription
	case "origin":
		dst.Origin = src.Origin
	case "destination":
		dst.Destination = src.Destination
	case "required_by":
		dst.RequiredBy = src.RequiredBy
	case "start_date":
		dst.StartDate = src.StartDate
	case "end_date":
		dst.EndDate = src.EndDate
	case "priority":
		dst.Priority = src.Priority
	case "urgency_reason":
		dst.UrgencyReason = src.UrgencyReason
	case "civilian_options":
		dst.CivilianOptions = src.CivilianOptions
	case "complementarity":
		dst.Complementarity = src.Complementarity
	case "exit_strategy":
		dst.ExitStrategy = src.ExitStrategy
	case "poc":
		dst.POC = src.POC
	case "escort":
		dst.Escort = src.Escort
	default:
		return false
	}
	return true
}

// applyStep sets on req what step posted (in, read from its inputs
// only): the step's fields and its items' answers; everything else stays
// as saved. The officer's items are the service's to keep.
func applyStep(req *domain.Request, step requestStep, in domain.Request) {
	req.Checklist = maps.Clone(req.Checklist)
	if req.Checklist == nil {
		req.Checklist = map[string]domain.Answer{}
	}
	for _, p := range step.parts {
		if p.field != "" {
			copyField(req, in, p.field)
			continue
		}
		if a, ok := in.Checklist[p.item]; ok {
			req.Checklist[p.item] = a
		} else {
			delete(req.Checklist, p.item)
		}
	}
}

// stepURL is the page of step id of request id.
func stepURL(id int64, step string) string { return requestURL(id) + "/steps/" + step }

// newStepsURL is the guided form's first step for a new request of
// operation code.
func newStepsURL(code string) string { return operationRequestsURL(code) + "/new/steps" }

// stepTarget is the step a posted guided form asks to go to next: the
// step named by its "goto" button, or the current one.
func stepTarget(v url.Values, current int) int {
	if i := stepIndex(v.Get("goto")); i >= 0 {
		return i
	}
	return current
}

// handleNewSteps shows the first step of a new request.
func (s *Server) handleNewSteps(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	a, ctx := actor(r), r.Context()
	op, err := s.directory.GetOperation(ctx, a, code)
	if err != nil {
		return err
	}
	if err := domain.Can(a, domain.ActionCreateRequest, domain.OnOperation(op)); err != nil {
		return err
	}
	ev, err := s.requests.Evaluate(ctx, a, code, domain.Request{}, domain.Recorded{})
	if err != nil {
		return err
	}
	f := prefilledForm(r, url.Values{"idempotency_key": {newIdempotencyKey()}})
	if kept, ok := s.keptValues(r); ok {
		// Typed before the session ended: shown again, to check and save.
		in, _, _ := requestInput(kept)
		if ev, err = s.requests.Evaluate(ctx, a, code, in, domain.Recorded{}); err != nil {
			return err
		}
		f = prefilledForm(r, kept)
		f.notice = i18n.T(ctx, "kept.check_and_save")
	}
	return s.renderStep(w, r, http.StatusOK, stepPage{op: op, step: 0, form: f, ev: ev})
}

// handleNewStepsCreate saves the first step as a new draft (its title is
// all a draft needs) and goes on to the step asked for.
func (s *Server) handleNewStepsCreate(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	a, ctx := actor(r), r.Context()
	posted, fe, civ := requestInput(r.PostForm)
	var in domain.Request
	applyStep(&in, requestSteps[0], posted)
	var req domain.Request
	if err = invalid(fe); err == nil {
		// The form's idempotency_key is the middleware's: a second post
		// of the same step creates nothing more.
		req, _, err = s.requests.Create(ctx, a, code, in, "")
	} else if cerr := s.requests.Check(ctx, a, code, in, domain.Recorded{}, false); domain.ErrorCode(cerr) == domain.CodeInvalid {
		err = cerr
	}
	switch {
	case domain.ErrorCode(err) == domain.CodeInvalid || domain.ErrorCode(err) == domain.CodeRateLimited:
		status := formStatus(w, err)
		if domain.ErrorCode(err) == domain.CodeInvalid {
			err = withFieldMessages(requestFieldErrors(err, civ), fe)
		}
		op, oerr := s.directory.GetOperation(ctx, a, code)
		if oerr != nil {
			return oerr
		}
		ev, eerr := s.requests.Evaluate(ctx, a, code, in, domain.Recorded{})
		if eerr != nil {
			return eerr
		}
		return s.renderStep(w, r, status, stepPage{op: op, step: 0, form: newForm(r, err), ev: ev})
	case err != nil:
		return err
	}
	s.setFlash(w, components.FlashSuccess, "steps.saved")
	next := stepTarget(r.PostForm, 0)
	if next == 0 && r.PostForm.Get("goto") == "" {
		next = 1 // Enter in a field: the default button, on to the next step
	}
	http.Redirect(w, r, stepURL(req.ID, requestSteps[next].id), http.StatusSeeOther)
	return nil
}

// handleStep shows one step of a draft or returned request.
func (s *Server) handleStep(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	step := stepIndex(chi.URLParam(r, "step"))
	if step < 0 {
		return &domain.Error{Code: domain.CodeNotFound, Message: "error.not_found"}
	}
	a, ctx := actor(r), r.Context()
	d, err := s.requests.Get(ctx, a, id)
	if err != nil {
		return err
	}
	if !d.CanEdit {
		err := domain.Can(a, domain.ActionEditRequest, domain.OnRequest(d.Request))
		if domain.ErrorCode(err) == domain.CodeConflict {
			// Submitted, returned or withdrawn since (an old link, a
			// bookmark): the request as it now stands says why.
			s.setFlash(w, components.FlashWarning, "request.not_editable")
			http.Redirect(w, r, requestURL(id), http.StatusSeeOther)
			return nil
		}
		if err == nil {
			err = &domain.Error{Code: domain.CodeForbidden, Message: "error.forbidden"}
		}
		return err
	}
	f := prefilledForm(r, requestValues(d.Request))
	if kept, ok := s.keptValues(r); ok {
		// This step as typed before the session ended, over the request
		// as saved, with the version it was loaded with: to check and save.
		values := requestValues(d.Request)
		for k, vs := range kept {
			values[k] = vs
		}
		in, _, _ := requestInput(kept)
		typed := d.Request
		applyStep(&typed, requestSteps[step], in)
		ev, err := s.requests.Evaluate(ctx, a, d.Operation.Code, typed, d.Recorded)
		if err != nil {
			return err
		}
		f = prefilledForm(r, values)
		f.notice = i18n.T(ctx, "kept.check_and_save")
		if v := keptVersion(kept); v > 0 {
			d.Request.Version = v
		}
		return s.renderStep(w, r, http.StatusOK, stepPage{op: d.Operation, d: &d, step: step, form: f, ev: ev, typed: &typed})
	}
	return s.renderStep(w, r, http.StatusOK, stepPage{op: d.Operation, d: &d, step: step, form: f, ev: d.Evaluation})
}

// handleStepSave saves what one step posted into the request (only its
// own fields and items, under the version the step was loaded with) and
// goes to the step its button names; on the review step, "submit"
// submits the request as saved.
func (s *Server) handleStepSave(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	step := stepIndex(chi.URLParam(r, "step"))
	if step < 0 {
		return &domain.Error{Code: domain.CodeNotFound, Message: "error.not_found"}
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	a, ctx := actor(r), r.Context()
	in, fe, civ := requestInput(r.PostForm)
	submit := r.PostForm.Get("intent") == "submit"
	apply := func(req *domain.Request) error {
		applyStep(req, requestSteps[step], in)
		return nil
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	if err = invalid(fe); err == nil {
		if submit {
			_, err = s.requests.SaveAndSubmit(ctx, a, id, max(version, 0), apply)
		} else {
			_, err = s.requests.Edit(ctx, a, id, max(version, 0), apply)
		}
	} else if d, gerr := s.requests.Get(ctx, a, id); gerr == nil {
		// Every other problem of the step too, in the same answer; the
		// parse messages go over it below.
		typed := d.Request
		applyStep(&typed, requestSteps[step], in)
		if cerr := s.requests.Check(ctx, a, d.Operation.Code, typed, d.Recorded, false); domain.ErrorCode(cerr) == domain.CodeInvalid {
			err = cerr
		}
	}
	var (
		notSubmitted *service.NotSubmittedError
		de           *domain.Error
	)
	reshow := func(status int, f *form, problems error) error {
		d, gerr := s.requests.Get(ctx, a, id)
		if gerr != nil {
			return gerr
		}
		// What was typed, evaluated as if saved.
		typed := d.Request
		applyStep(&typed, requestSteps[step], in)
		ev, gerr := s.requests.Evaluate(ctx, a, d.Operation.Code, typed, d.Recorded)
		if gerr != nil {
			return gerr
		}
		return s.renderStep(w, r, status, stepPage{op: d.Operation, d: &d, step: step, form: f, ev: ev, typed: &typed, problems: problems})
	}
	switch {
	case errors.As(err, &notSubmitted):
		d, gerr := s.requests.Get(ctx, a, id)
		if gerr != nil {
			return gerr
		}
		f := newForm(r, notSubmitted.Err)
		f.values = requestValues(d.Request)
		return s.renderStep(w, r, http.StatusUnprocessableEntity, stepPage{op: d.Operation, d: &d, step: step, form: f,
			ev: d.Evaluation, problems: notSubmitted.Err})
	case domain.ErrorCode(err) == domain.CodeInvalid: // a parse error (fe) included
		err = withFieldMessages(requestFieldErrors(err, civ), fe)
		return reshow(http.StatusUnprocessableEntity, newForm(r, err), nil)
	case errors.As(err, &de) && de.Conflict != nil:
		// Saved elsewhere meanwhile (another device, another person): the
		// step again with the current version, what was typed, and what
		// the other save changed that this one left alone (taken in, so
		// that saving again loses neither), the rest listed to compare.
		d, gerr := s.requests.Get(ctx, a, id)
		if gerr != nil {
			return gerr
		}
		merged, shown := mergeStepConflict(ctx, d.Request, requestSteps[step], in, de)
		f := newForm(r, nil)
		f.values = requestValues(merged)
		ev, gerr := s.requests.Evaluate(ctx, a, d.Operation.Code, merged, d.Recorded)
		if gerr != nil {
			return gerr
		}
		return s.renderStep(w, r, http.StatusConflict, stepPage{op: d.Operation, d: &d, step: step, form: f, ev: ev, typed: &merged, problems: shown})
	case errors.As(err, &de) && de.Message == "request.version_missing":
		return reshow(http.StatusConflict, newForm(r, de), de)
	case domain.ErrorCode(err) == domain.CodeConflict:
		s.setFlash(w, components.FlashWarning, "request.not_editable")
		http.Redirect(w, r, requestURL(id), http.StatusSeeOther)
		return nil
	case err != nil:
		return s.reshowRefused(w, r, id, "", err)
	}
	if submit {
		s.setFlash(w, components.FlashSuccess, "request.submitted")
		http.Redirect(w, r, requestURL(id), http.StatusSeeOther)
		return nil
	}
	s.setFlash(w, components.FlashSuccess, "steps.saved")
	next := stepTarget(r.PostForm, step)
	if r.PostForm.Get("goto") == "" && step+1 < len(requestSteps) {
		next = step + 1 // Enter in a field: the default button, on to the next step
	}
	http.Redirect(w, r, stepURL(id, requestSteps[next].id), http.StatusSeeOther)
	return nil
}

// stepPage is what a step's page is built from.
type stepPage struct {
	op       domain.Operation
	d        *service.RequestDetail // nil for a new request
	step     int
	form     *form
	ev       domain.Evaluation
	typed    *domain.Request // the request as typed, when a save was refused; nil: as saved
	problems error           // a refused submission or a conflict, shown as such
}

// renderStep shows step p.step with the form's values and errors, the
// steps' states (what each still needs before the request can be
// submitted) and, on the review step, the whole evaluation.
func (s *Server) renderStep(w http.ResponseWriter, r *http.Request, status int, p stepPage) error {
	ctx := r.Context()
	step := requestSteps[p.step]
	full := s.requestFormView(ctx, p.form, p.ev, problemItems(p.problems))
	v := pages.RequestStepView{Form: full, Number: p.step + 1, Total: len(requestSteps), StepID: step.id,
		StepTitle: i18n.T(ctx, "steps."+step.id), StepIntro: i18n.T(ctx, "steps."+step.id+"_intro")}
	// What still stands between the request and its submission, by step:
	// the domain's own check of the request as saved (or as typed).
	var pending map[int][]pages.StepProblem
	if p.d != nil {
		v.Heading = i18n.T(ctx, "request.edit_named", "Reference", p.d.Request.Reference)
		v.Form.Reference, v.Form.Status = p.d.Request.Reference, statusBadge(ctx, p.d.Request.Status)
		v.Form.Action = stepURL(p.d.Request.ID, step.id)
		v.Form.CancelURL = requestURL(p.d.Request.ID)
		v.Form.Version = strconv.Itoa(p.d.Request.Version)
		if de := (*domain.Error)(nil); errors.As(p.problems, &de) && de.Conflict != nil {
			v.Form.Conflict = conflictView(ctx, p.form, de)
		}
		if p.d.Request.Status == domain.StatusReturned && p.d.Request.StatusReason != "" {
			v.Form.Notice = i18n.T(ctx, "request.returned_because", "Reason", p.d.Request.StatusReason)
		}
		req := p.d.Request
		if p.typed != nil {
			req = *p.typed
		}
		pending = s.stepProblems(ctx, req, p.d.Operation, p.ev)
		// Offered when the rulebook lets this user submit now, or would
		// once what the review lists is done (the submission then says so
		// at each field).
		_, blocked := p.d.Blocked[domain.ActionSubmit]
		v.CanSubmit = p.d.Can(domain.ActionSubmit) || blocked
		v.Resubmit = p.d.Request.Status == domain.StatusReturned
		v.AutosaveKey = "request:" + strconv.FormatInt(p.d.Request.ID, 10) + ":" + step.id
	} else {
		v.Heading = i18n.T(ctx, "requests.new_in", "Code", p.op.Code)
		v.Form.Action = newStepsURL(p.op.Code)
		v.Form.CancelURL = operationRequestsURL(p.op.Code)
		v.New = true
		v.AutosaveKey = "new:" + p.op.Code + ":steps"
	}
	v.Form.Heading = v.Heading
	if p.form.notice != "" {
		v.Form.Notice = p.form.notice
	}
	v.Form.Errors = append(v.Form.Errors, itemErrors(ctx, p.problems)...)
	v.OnePageURL = v.Form.Action
	if p.d != nil {
		v.OnePageURL = requestURL(p.d.Request.ID) + "/edit"
	} else {
		v.OnePageURL = operationRequestsURL(p.op.Code) + "/new"
	}
	for i, st := range requestSteps {
		link := pages.StepLink{ID: st.id, Number: i + 1, Label: i18n.T(ctx, "steps."+st.id), Current: i == p.step}
		switch {
		case st.id == reviewStep || p.d == nil:
			link.State = "none"
		case len(pending[i]) == 0:
			link.State = "done"
		default:
			link.State = "todo"
		}
		if link.State != "none" {
			link.StateLabel = i18n.T(ctx, "steps.state."+link.State)
		}
		v.Steps = append(v.Steps, link)
	}
	if p.step > 0 {
		v.Back = requestSteps[p.step-1].id
	}
	if p.step+1 < len(requestSteps) {
		v.Next = requestSteps[p.step+1].id
	}
	// This step's blocks, in order; a link to a field of another step goes
	// to that step's page.
	for _, part := range step.parts {
		if part.item != "" {
			i := slices.IndexFunc(full.Checklist, func(it pages.ChecklistItemView) bool { return it.ID == part.item })
			it := full.Checklist[i]
			if it.FieldURL != "" && p.d != nil {
				if at := stepOfProblem(strings.TrimPrefix(it.FieldURL, "#")); at >= 0 && at != p.step {
					it.FieldURL = stepURL(p.d.Request.ID, requestSteps[at].id) + it.FieldURL
				}
			}
			v.Blocks = append(v.Blocks, pages.StepBlock{Item: &it})
			continue
		}
		v.Blocks = append(v.Blocks, pages.StepBlock{Field: part.field})
	}
	v.Pending = pending[p.step]
	if step.id == reviewStep {
		for i, st := range requestSteps[:len(requestSteps)-1] {
			v.Review = append(v.Review, pages.StepReview{ID: st.id, Label: i18n.T(ctx, "steps."+st.id), Number: i + 1,
				Problems: pending[i]})
		}
		v.Form.Evaluation = evaluationView(ctx, p.ev, p.form.values, false)
		for i, it := range v.Form.Evaluation.Items {
			if at := stepOfProblem("checklist." + it.ID); at >= 0 && p.d != nil {
				v.Form.Evaluation.Items[i].URL = stepURL(p.d.Request.ID, requestSteps[at].id) + "#item-" + it.ID
			}
		}
	}
	// The error summary links each message to its input on this page, or
	// to the step that holds it.
	for i, e := range v.Form.Errors {
		key := e.FieldID
		if id, ok := strings.CutPrefix(key, "item-"); ok {
			key = "checklist." + id
		}
		if at := stepOfProblem(key); e.FieldID != "" && at >= 0 && at != p.step && p.d != nil {
			v.Form.Errors[i].URL = stepURL(p.d.Request.ID, requestSteps[at].id) + "#" + e.FieldID
		}
	}
	v.Form.Shell = s.shell(w, r, v.StepTitle+" · "+v.Heading)
	return s.render(w, r, status, pages.RequestStep(v))
}

// stepProblems is, for each step, what stops the request as saved (or
// as typed) from being submitted: its fields' problems and its items'
// states, from the domain's own check (domain.CheckSubmittable).
func (s *Server) stepProblems(ctx context.Context, req domain.Request, op domain.Operation, ev domain.Evaluation) map[int][]pages.StepProblem {
	out := map[int][]pages.StepProblem{}
	err := s.requests.SubmitProblemsOf(req, op, ev)
	var de *domain.Error
	if !errors.As(err, &de) {
		return out
	}
	fields := slices.Sorted(maps.Keys(de.Fields))
	for _, key := range fields {
		at := stepOfProblem(key)
		if at < 0 {
			continue
		}
		label := i18n.T(ctx, fieldLabelKey(key))
		out[at] = append(out[at], pages.StepProblem{FieldID: key, Label: label, Message: i18n.T(ctx, de.Fields[key])})
	}
	for _, it := range de.Items {
		at := stepOfProblem("checklist." + it.ID)
		if at < 0 {
			continue
		}
		msg := i18n.T(ctx, "checklist.status."+it.Status)
		if it.Reason != "" {
			msg += ": " + i18n.T(ctx, it.Reason)
		}
		out[at] = append(out[at], pages.StepProblem{FieldID: "item-" + it.ID,
			Label: it.ID + " " + i18n.T(ctx, "checklist."+it.ID+".title"), Message: msg})
	}
	// In the step's own order.
	for at, probs := range out {
		order := map[string]int{}
		for i, part := range requestSteps[at].parts {
			order[part.field+part.item] = i
		}
		slices.SortStableFunc(probs, func(a, b pages.StepProblem) int {
			return order[problemPartKey(a.FieldID)] - order[problemPartKey(b.FieldID)]
		})
	}
	return out
}

// problemPartKey is the step part a problem's input belongs to, as
// field+item (one of them empty).
func problemPartKey(fieldID string) string {
	if id, ok := strings.CutPrefix(fieldID, "item-"); ok {
		return id
	}
	head, _, _ := strings.Cut(fieldID, ".")
	return head
}

// fieldLabelKey is the catalogue key of the label the form gives input
// key (a field of domain.EditableFields or one of its inputs).
func fieldLabelKey(key string) string {
	head, rest, _ := strings.Cut(key, ".")
	switch head {
	case "origin", "destination":
		return "request." + head
	case "exit_strategy":
		if k, ok := map[string]string{"organization": "request.exit_organization", "date": "request.exit_date", "plan": "request.exit_plan"}[rest]; ok {
			return k
		}
		return "request_form.part.exit"
	case "poc":
		if rest == "" {
			return "request_form.part.contact"
		}
		return "request.poc_" + rest
	case "escort":
		if rest == "" {
			return "request_form.part.escort"
		}
		return "request." + strings.ReplaceAll(key, ".", "_")
	case "checklist":
		id, _, _ := strings.Cut(rest, ".")
		return "checklist." + id + ".title"
	case "civilian", "civilian_options":
		return "request.civilian_options"
	}
	return "request." + strings.ReplaceAll(key, ".", "_")
}

// mergeStepConflict is a step's save refused because cur was saved since
// (de): the request as the step's form should show it again — what this
// save typed, except the step's fields and items only the other save
// changed, which keep their saved value — and the refusal listing only
// what both changed differently, saying which of the other save's
// changes were taken in.
func mergeStepConflict(ctx context.Context, cur domain.Request, step requestStep, in domain.Request, de *domain.Error) (domain.Request, *domain.Error) {
	merged := cur
	applyStep(&merged, step, in)
	partOf := func(field string) stepPart {
		if rest, ok := strings.CutPrefix(field, "checklist."); ok {
			id, _, _ := strings.Cut(rest, ".")
			return stepPart{item: id}
		}
		head, _, _ := strings.Cut(field, ".")
		return stepPart{field: head}
	}
	touched := map[stepPart]bool{}
	for _, c := range de.Conflict.Changes {
		if !c.Untouched() {
			touched[partOf(c.Field)] = true
		}
	}
	out := *de
	conflict := *de.Conflict
	conflict.Changes = nil
	var taken []string
	for _, c := range de.Conflict.Changes {
		p := partOf(c.Field)
		switch {
		case c.Agrees():
			continue // the same value both ways
		case slices.Contains(step.parts, p) && !touched[p]:
			var label string
			if p.item != "" {
				if a, ok := cur.Checklist[p.item]; ok {
					merged.Checklist[p.item] = a
				} else {
					delete(merged.Checklist, p.item)
				}
				label = p.item + " " + i18n.T(ctx, "checklist."+p.item+".title")
			} else {
				copyField(&merged, cur, p.field)
				label = i18n.T(ctx, fieldLabelKey(p.field))
			}
			if !slices.Contains(taken, label) {
				taken = append(taken, label)
			}
			continue
		}
		conflict.Changes = append(conflict.Changes, c)
	}
	out.Conflict = &conflict
	if len(taken) > 0 {
		out.Data = maps.Clone(de.Data)
		if out.Data == nil {
			out.Data = map[string]any{}
		}
		out.Message = "steps.conflict_taken"
		out.Data["Taken"] = strings.Join(taken, ", ")
	}
	return merged, &out
}
