package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// Pages of requests for assistance. Every handler reads the form, calls
// the Requests service (which decides with the domain) and shows the
// result; none of them knows a workflow or checklist rule.

func requestURL(id int64) string { return "/requests/" + strconv.FormatInt(id, 10) }

func operationRequestsURL(code string) string { return "/operations/" + code + "/requests" }

// newIdempotencyKey returns a fresh random key for a form (the new-request
// form's, kept when it is shown again; every other form's, per render).
func newIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// ---- List and screening ----

// listFilter reads the list's query parameters.
func listFilter(q url.Values) domain.RequestFilter {
	f := domain.RequestFilter{
		Sector: q.Get("sector"), Priority: domain.Priority(q.Get("priority")),
		TaskCategory: domain.TaskCategory(q.Get("task_category")), Query: q.Get("q"),
		Sort: domain.RequestSort(q.Get("sort")), Cursor: q.Get("cursor"),
	}
	for _, st := range q["status"] {
		if st != "" {
			f.Statuses = append(f.Statuses, domain.Status(st))
		}
	}
	if org := q.Get("org"); org != "" {
		if id, err := strconv.ParseInt(org, 10, 64); err == nil && id > 0 {
			f.OrgID = id
		} else {
			f.OrgID = -1 // matches nothing; said as a field error below
		}
	}
	return f
}

func (s *Server) handleRequestList(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	a, ctx, q := actor(r), r.Context(), r.URL.Query()
	for _, vs := range q {
		for _, v := range vs {
			if !validText(v) {
				return domain.Errorf(domain.CodeMalformed, "error.malformed")
			}
		}
	}
	f := listFilter(q)
	var fieldErr error
	if f.OrgID < 0 {
		f.OrgID, fieldErr = 0, invalid(map[string]string{"org": "field.choose"})
	}
	op, page, err := s.requests.List(ctx, a, code, f)
	if domain.ErrorCode(err) == domain.CodeInvalid {
		// A bad filter in a hand-edited URL: show the list unfiltered with
		// the problem at the filter, rather than an error page.
		fieldErr = joinInvalid(fieldErr, err)
		op, page, err = s.requests.List(ctx, a, code, domain.RequestFilter{})
	}
	if err != nil {
		return err
	}
	base := operationRequestsURL(op.Code)
	v := pages.RequestListView{
		Shell: s.shell(w, r, i18n.T(ctx, "requests.title", "Code", op.Code)),
		Code:  op.Code, Name: op.Name, OperationURL: "/operations/" + op.Code,
	}
	if domain.Allowed(a, domain.ActionCreateRequest, domain.OnOperation(op)) {
		v.NewURL, v.NewStepsURL = base+"/new", newStepsURL(op.Code)
	}
	if domain.Allowed(a, domain.ActionScreenRequests, domain.InOperation(op.ID)) {
		v.ScreeningURL = "/operations/" + op.Code + "/screening"
	}
	v.Reports = s.reportLinks(a, op)
	fm := &form{ctx: ctx, values: q, errs: map[string]string{}}
	if de := (*domain.Error)(nil); errors.As(fieldErr, &de) {
		for field, key := range de.Fields {
			fm.errs[field] = i18n.T(ctx, key)
		}
	}
	statusField := fm.choice("status", "request.status", false, codeOptions(ctx, "status.", domain.Statuses()))
	v.Filter = pages.RequestFilterView{
		Action:       base,
		Q:            fm.field("q", "requests.search", "search", false),
		Status:       statusField,
		Sector:       fm.choice("sector", "request.sector", false, sectorOptions(ctx)),
		Priority:     fm.choice("priority", "request.priority", false, codeOptions(ctx, "priority.", domain.Priorities)),
		TaskCategory: fm.choice("task_category", "request.task_category", false, codeOptions(ctx, "task_category.", domain.TaskCategories)),
		Sort:         fm.choice("sort", "requests.sort", false, codeOptions(ctx, "sort.", domain.RequestSorts)[1:]),
		ClearURL:     base,
	}
	v.Filter.Q.Hint = i18n.T(ctx, "requests.search_hint")
	v.Filter.Q.Quiet, v.Filter.Status.Quiet, v.Filter.Sector.Quiet, v.Filter.Priority.Quiet = true, true, true, true
	v.Filter.TaskCategory.Quiet, v.Filter.Sort.Quiet = true, true
	if domain.SeesAllRequests(a.RolesIn(op.ID)) {
		orgs, err := s.directory.ListOrganizations(ctx, a)
		if err != nil {
			return err
		}
		v.Filter.Org = fm.choice("org", "request.organization", false, organizationOptions(ctx, orgs))
		v.Filter.Org.Quiet = true
	}
	for _, k := range []string{"q", "status", "sector", "priority", "task_category", "org", "sort"} {
		if q.Get(k) != "" {
			v.Filter.Active = true
		}
	}
	v.Errors = fm.summary()
	for _, it := range page.Items {
		v.Rows = append(v.Rows, requestRow(ctx, it))
	}
	if page.NextCursor != "" {
		next := cloneValues(q)
		next.Set("cursor", page.NextCursor)
		v.NextURL = base + "?" + next.Encode()
	}
	if q.Get("cursor") != "" {
		first := cloneValues(q)
		first.Del("cursor")
		v.FirstURL = base
		if len(first) > 0 {
			v.FirstURL += "?" + first.Encode()
		}
	}
	return s.render(w, r, http.StatusOK, pages.RequestList(v))
}

func validText(v string) bool { return utf8.ValidString(v) && !strings.ContainsRune(v, 0) }

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func sectorOptions(ctx context.Context) []components.Option {
	out := []components.Option{chooseOption(ctx)}
	for _, sec := range domain.Sectors {
		out = append(out, components.Option{Value: sec, Label: i18n.T(ctx, "sector."+sec) + " (" + sec + ")"})
	}
	return out
}

func requestRow(ctx context.Context, it domain.RequestSummary) pages.RequestRow {
	row := pages.RequestRow{
		ID: strconv.FormatInt(it.ID, 10), Reference: it.Reference, Title: it.Title, URL: requestURL(it.ID),
		Status: statusBadge(ctx, it.Status), PriorityCode: string(it.Priority), Sectors: strings.Join(it.Sectors, ", "),
		Organization: it.RequestingOrgName, Updated: displayTime(ctx, it.UpdatedAt),
	}
	if it.Priority != "" {
		row.Priority = i18n.T(ctx, "priority."+string(it.Priority))
	}
	if it.TaskCategory != "" {
		row.Task = i18n.T(ctx, "task_category."+string(it.TaskCategory))
	}
	if !it.RequiredBy.IsZero() {
		row.RequiredBy = displayTime(ctx, it.RequiredBy)
	}
	return row
}

func statusBadge(ctx context.Context, st domain.Status) pages.StatusBadge {
	return pages.StatusBadge{Code: string(st), Label: i18n.T(ctx, "status."+string(st)), Ended: st.Terminal()}
}

func (s *Server) handleScreening(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	op, items, next, err := s.requests.Screening(ctx, actor(r), code, r.URL.Query().Get("cursor"))
	if domain.ErrorCode(err) == domain.CodeInvalid { // a bad cursor: start again from the top
		op, items, next, err = s.requests.Screening(ctx, actor(r), code, "")
	}
	if err != nil {
		return err
	}
	v := pages.ScreeningView{
		Shell: s.shell(w, r, i18n.T(ctx, "screening.title", "Code", op.Code)),
		Code:  op.Code, Name: op.Name, OperationURL: "/operations/" + op.Code, ListURL: operationRequestsURL(op.Code),
	}
	for _, it := range items {
		v.Rows = append(v.Rows, pages.ScreeningRow{Row: requestRow(ctx, it.Summary), Submitted: displayTime(ctx, it.Summary.SubmittedAt),
			Flags: flagViews(ctx, it.Evaluation.Flags)})
	}
	if next != "" {
		v.NextURL = "/operations/" + op.Code + "/screening?cursor=" + url.QueryEscape(next)
	}
	return s.render(w, r, http.StatusOK, pages.Screening(v))
}

// ---- The form ----

func (s *Server) handleRequestNew(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	a, ctx := actor(r), r.Context()
	ev, err := s.requests.Evaluate(ctx, a, code, domain.Request{}, domain.Recorded{})
	if err != nil {
		return err
	}
	op, err := s.directory.GetOperation(ctx, a, code)
	if err != nil {
		return err
	}
	if err := domain.Can(a, domain.ActionCreateRequest, domain.OnOperation(op)); err != nil {
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
	return s.renderNewRequest(w, r, http.StatusOK, op, f, ev, nil)
}

func (s *Server) renderNewRequest(w http.ResponseWriter, r *http.Request, status int, op domain.Operation, f *form, ev domain.Evaluation, problems error) error {
	ctx := r.Context()
	v := s.requestFormView(ctx, f, ev, problemItems(problems))
	v.Errors = append(v.Errors, itemErrors(ctx, problems)...)
	v.Notice = f.notice
	v.Heading = i18n.T(ctx, "requests.new_in", "Code", op.Code)
	v.Shell = s.shell(w, r, v.Heading)
	v.Action = operationRequestsURL(op.Code) + "/new"
	v.StepsURL = newStepsURL(op.Code)
	v.AutosaveKey = "new:" + op.Code
	v.CancelURL = operationRequestsURL(op.Code)
	return s.render(w, r, status, pages.RequestForm(v))
}

func (s *Server) handleRequestCreate(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	a, ctx := actor(r), r.Context()
	in, fe, civ := requestInput(r.PostForm)
	submit := r.PostForm.Get("intent") == "submit"
	var req domain.Request
	if err = invalid(fe); err == nil {
		// The form's idempotency_key is the middleware's (httpface):
		// a second post of the same form is answered the first's outcome.
		if submit {
			req, _, err = s.requests.CreateAndSubmit(ctx, a, code, in, "")
		} else {
			req, _, err = s.requests.Create(ctx, a, code, in, "")
		}
	} else if cerr := s.requests.Check(ctx, a, code, in, domain.Recorded{}, submit); domain.ErrorCode(cerr) == domain.CodeInvalid {
		err = cerr // every other problem too, in the same answer; the parse messages go over it below
	}
	var notSubmitted *service.NotSubmittedError
	switch {
	case errors.As(err, &notSubmitted):
		// Saved as a draft; the form says why it cannot be submitted yet.
		s.setFlash(w, components.FlashWarning, "request.saved_not_submitted")
		http.Redirect(w, r, requestURL(notSubmitted.Saved.ID)+"/edit?check=submit", http.StatusSeeOther)
		return nil
	case domain.ErrorCode(err) == domain.CodeInvalid || domain.ErrorCode(err) == domain.CodeRateLimited:
		// Nothing is lost: the page comes back with what was typed (and,
		// when the user's draft limit refused it, says how long to wait).
		status := formStatus(w, err)
		if domain.ErrorCode(err) == domain.CodeInvalid {
			err = withFieldMessages(requestFieldErrors(err, civ), fe)
		}
		ev, eerr := s.requests.Evaluate(ctx, a, code, in, domain.Recorded{})
		if eerr != nil {
			return eerr
		}
		op, oerr := s.directory.GetOperation(ctx, a, code)
		if oerr != nil {
			return oerr
		}
		return s.renderNewRequest(w, r, status, op, newForm(r, err), ev, err)
	case err != nil:
		return err
	}
	flash := "request.saved"
	if req.Status != domain.StatusDraft { // submitted now, or by the first of two clicks
		flash = "request.submitted"
	}
	s.setFlash(w, components.FlashSuccess, flash)
	http.Redirect(w, r, requestURL(req.ID), http.StatusSeeOther)
	return nil
}

// afterConflict turns a conflict from a repeated action (a double click,
// a retry after a lost response) into the page of the request in the
// state the first attempt left it, instead of an error page.
func (s *Server) afterConflict(w http.ResponseWriter, r *http.Request, id int64, action domain.Action, err error) error {
	if domain.ErrorCode(err) != domain.CodeConflict {
		return err
	}
	d, gerr := s.requests.Get(r.Context(), actor(r), id)
	if gerr != nil {
		return err
	}
	if t, ok := domain.TransitionFor(action); ok && d.Request.Status == t.To {
		s.setFlash(w, components.FlashInfo, "request.already_done")
		http.Redirect(w, r, requestURL(id), http.StatusSeeOther)
		return nil
	}
	return err
}

func (s *Server) handleRequestEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	a, ctx := actor(r), r.Context()
	d, err := s.requests.Get(ctx, a, id)
	if err != nil {
		return err
	}
	if err := domain.Can(a, domain.ActionEditRequest, domain.OnRequest(d.Request)); err != nil {
		return err
	}
	f := prefilledForm(r, requestValues(d.Request))
	if kept, ok := s.keptValues(r); ok {
		// Typed before the session ended: shown again with the version it
		// was loaded with, so that saving it still says what anyone else
		// changed since.
		in, _, _ := requestInput(kept)
		ev, err := s.requests.Evaluate(ctx, a, d.Operation.Code, in, d.Recorded)
		if err != nil {
			return err
		}
		f = prefilledForm(r, kept)
		f.notice = i18n.T(ctx, "kept.check_and_save")
		if v := keptVersion(kept); v > 0 {
			d.Request.Version = v
		}
		return s.renderEditRequest(w, r, http.StatusOK, d, f, ev, nil)
	}
	var problems error
	if r.URL.Query().Get("check") == "submit" {
		// After "Save and submit" was refused: say why, at each field and item.
		if problems = s.requests.SubmitProblems(ctx, a, id); problems != nil {
			f = newForm(r, problems)
			f.values = requestValues(d.Request)
		}
	}
	return s.renderEditRequest(w, r, http.StatusOK, d, f, d.Evaluation, problems)
}

func (s *Server) renderEditRequest(w http.ResponseWriter, r *http.Request, status int, d service.RequestDetail, f *form, ev domain.Evaluation, problems error) error {
	ctx := r.Context()
	v := s.requestFormView(ctx, f, ev, problemItems(problems))
	v.Errors = append(v.Errors, itemErrors(ctx, problems)...)
	if de := (*domain.Error)(nil); errors.As(problems, &de) && de.Conflict != nil {
		v.Conflict = conflictView(ctx, f, de)
	}
	v.Heading = i18n.T(ctx, "request.edit_named", "Reference", d.Request.Reference)
	v.Reference, v.Status = d.Request.Reference, statusBadge(ctx, d.Request.Status)
	v.Shell = s.shell(w, r, v.Heading)
	v.Action = requestURL(d.Request.ID) + "/edit"
	v.StepsURL = stepURL(d.Request.ID, reviewStep)
	v.AutosaveKey = "request:" + strconv.FormatInt(d.Request.ID, 10) + ":form"
	v.CancelURL = requestURL(d.Request.ID)
	v.Version = strconv.Itoa(d.Request.Version)
	if d.Request.Status == domain.StatusReturned && d.Request.StatusReason != "" {
		v.Notice = i18n.T(ctx, "request.returned_because", "Reason", d.Request.StatusReason)
	}
	if f.notice != "" {
		v.Notice = f.notice
	}
	return s.render(w, r, status, pages.RequestForm(v))
}

// problemItems indexes the failing checklist items of a refused
// submission by ID.
func problemItems(problems error) map[string]domain.ItemProblem {
	items := map[string]domain.ItemProblem{}
	var de *domain.Error
	if errors.As(problems, &de) {
		for _, it := range de.Items {
			items[it.ID] = it
		}
	}
	return items
}

// itemErrors links each failing item of a refused submission from the
// error summary.
func itemErrors(ctx context.Context, problems error) []components.FormError {
	var de *domain.Error
	if !errors.As(problems, &de) {
		return nil
	}
	var out []components.FormError
	for _, it := range de.Items {
		msg := i18n.T(ctx, "checklist."+it.ID+".title") + ": " + i18n.T(ctx, "checklist.status."+it.Status)
		if it.Reason != "" {
			msg += ": " + i18n.T(ctx, it.Reason)
		}
		out = append(out, components.FormError{FieldID: "item-" + it.ID, Message: msg})
	}
	return out
}

// handleRequestUpdate saves the form and, for "Save and submit", submits
// the request in the same transaction (Requests.SaveAndSubmit). Both carry
// the version the form was loaded with: if someone saved the request
// since, nothing is saved and the form comes back with what was typed,
// the current version and what the other person changed, to compare and
// save again.
func (s *Server) handleRequestUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	a, ctx := actor(r), r.Context()
	in, fe, civ := requestInput(r.PostForm)
	submit := r.PostForm.Get("intent") == "submit"
	replace := func(req *domain.Request) error {
		replaceRequestFields(req, in)
		return nil
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	if err = invalid(fe); err == nil {
		if submit {
			_, err = s.requests.SaveAndSubmit(ctx, a, id, max(version, 0), replace)
		} else {
			_, err = s.requests.Edit(ctx, a, id, max(version, 0), replace)
		}
	} else if d, gerr := s.requests.Get(ctx, a, id); gerr == nil {
		if cerr := s.requests.Check(ctx, a, d.Operation.Code, in, d.Recorded, submit); domain.ErrorCode(cerr) == domain.CodeInvalid {
			err = cerr // every other problem too, in the same answer; the parse messages go over it below
		}
	}
	var (
		notSubmitted *service.NotSubmittedError
		de           *domain.Error
	)
	switch {
	case errors.As(err, &notSubmitted):
		d, gerr := s.requests.Get(ctx, a, id)
		if gerr != nil {
			return gerr
		}
		f := newForm(r, notSubmitted.Err)
		f.values = requestValues(d.Request)
		return s.renderEditRequest(w, r, http.StatusUnprocessableEntity, d, f, d.Evaluation, notSubmitted.Err)
	case domain.ErrorCode(err) == domain.CodeInvalid:
		err = withFieldMessages(requestFieldErrors(err, civ), fe)
		d, gerr := s.requests.Get(ctx, a, id)
		if gerr != nil {
			return gerr
		}
		ev, eerr := s.requests.Evaluate(ctx, a, d.Operation.Code, in, d.Recorded)
		if eerr != nil {
			return eerr
		}
		return s.renderEditRequest(w, r, http.StatusUnprocessableEntity, d, newForm(r, err), ev, err)
	case errors.As(err, &de) && (de.Conflict != nil || de.Message == "request.version_missing"):
		// Saved by someone else meanwhile (or posted without the version
		// it was loaded with): the form again, with what was typed, the
		// current version and the other person's changes.
		d, gerr := s.requests.Get(ctx, a, id)
		if gerr != nil {
			return gerr
		}
		ev, eerr := s.requests.Evaluate(ctx, a, d.Operation.Code, in, d.Recorded)
		if eerr != nil {
			return eerr
		}
		f := newForm(r, nil)
		if de.Conflict == nil {
			f = newForm(r, de)
		}
		return s.renderEditRequest(w, r, http.StatusConflict, d, f, ev, de)
	case domain.ErrorCode(err) == domain.CodeConflict:
		// Submitted, returned or withdrawn meanwhile (or a double click
		// on "Save and submit"): show the request as it now stands.
		if _, gerr := s.requests.Get(ctx, a, id); gerr != nil {
			return err
		}
		s.setFlash(w, components.FlashWarning, "request.not_editable")
		http.Redirect(w, r, requestURL(id), http.StatusSeeOther)
		return nil
	case err != nil:
		return s.reshowRefused(w, r, id, "", err) // e.g. not theirs to edit: the request page says why
	}
	flash := "request.saved"
	if submit {
		flash = "request.submitted"
	}
	s.setFlash(w, components.FlashSuccess, flash)
	http.Redirect(w, r, requestURL(id), http.StatusSeeOther)
	return nil
}

// replaceRequestFields sets every field the form edits on req from in:
// the HTML form always sends the whole request.
func replaceRequestFields(req *domain.Request, in domain.Request) {
	req.Title, req.Sectors, req.Need, req.PeopleTargeted = in.Title, in.Sectors, in.Need, in.PeopleTargeted
	req.TaskCategory, req.Capability, req.SupportType, req.TaskDescription = in.TaskCategory, in.Capability, in.SupportType, in.TaskDescription
	req.Origin, req.Destination = in.Origin, in.Destination
	req.RequiredBy, req.StartDate, req.EndDate = in.RequiredBy, in.StartDate, in.EndDate
	req.Priority, req.UrgencyReason = in.Priority, in.UrgencyReason
	req.CivilianOptions, req.Complementarity, req.ExitStrategy = in.CivilianOptions, in.Complementarity, in.ExitStrategy
	req.POC, req.Escort = in.POC, in.Escort
	req.Checklist = in.Checklist // officer-filled items are kept by the service
}
