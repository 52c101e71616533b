package web

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// handleOperationList lists every operation for admins.
func (s *Server) handleOperationList(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	// ListOperations answers every signed-in user with their own
	// operations; this list is the administration's.
	if err := domain.Can(a, domain.ActionCreateOperation, domain.OnInstance()); err != nil {
		return err
	}
	ops, err := s.directory.ListOperations(r.Context(), a)
	if err != nil {
		return err
	}
	ctx := r.Context()
	v := pages.AdminOperationsView{Shell: s.shell(w, r, i18n.T(ctx, "admin.operations"))}
	for _, op := range ops {
		link := "/operations/" + op.Code
		v.Rows = append(v.Rows, pages.AdminOperationRow{Code: op.Code, Name: op.Name, Country: op.CountryISO3,
			Context: i18n.T(ctx, "context."+string(op.Context)), Closed: op.Closed, URL: link, EditURL: link + "/edit", MembersURL: link + "/members"})
	}
	return s.render(w, r, http.StatusOK, pages.AdminOperations(v))
}

// operationValues is op as the form shows it.
func operationValues(op domain.Operation) url.Values {
	p := op.Policy
	return url.Values{
		"code": {op.Code}, "name": {op.Name}, "country_iso3": {op.CountryISO3}, "glide": {op.GLIDE},
		"context": {string(op.Context)}, "quorum_percent": {strconv.Itoa(p.QuorumPercent)},
		"pass_rule": {string(p.PassRule)}, "review_hours": {strconv.Itoa(p.ReviewHours)},
		"urgent_review_hours": {strconv.Itoa(p.UrgentReviewHours)}, "sealed_votes": {boolValue(p.SealedVotes)},
		"lead_time_hours": {strconv.Itoa(op.LeadTimeHours)}, "closed": {boolValue(op.Closed)},
		"require_second_factor": {boolValue(op.RequireSecondFactor)},
		"updated":               {savedToken(op.UpdatedAt)},
	}
}

// unparsed stands for a number field that could not be read. Every rule
// of ValidateOperation refuses it, so the service still answers — after
// its own authorization check — with every other field's message, and
// withFieldMessages then puts "enter a whole number" on that field.
const unparsed = math.MinInt32

// operationInput reads the operation form; fe collects the numbers that
// could not be parsed.
func operationInput(v url.Values) (domain.Operation, map[string]string) {
	fe := map[string]string{}
	num := func(field string) int {
		n := formInt(v, field, fe)
		if _, bad := fe[field]; bad {
			return unparsed
		}
		return n
	}
	op := domain.Operation{
		Code: v.Get("code"), Name: v.Get("name"), CountryISO3: v.Get("country_iso3"), GLIDE: v.Get("glide"),
		Context: domain.Context(strings.TrimSpace(v.Get("context"))),
		Policy: domain.ReviewPolicy{
			QuorumPercent:     num("quorum_percent"),
			PassRule:          domain.PassRule(strings.TrimSpace(v.Get("pass_rule"))),
			ReviewHours:       num("review_hours"),
			UrgentReviewHours: num("urgent_review_hours"),
			SealedVotes:       formBool(v, "sealed_votes"),
		},
		LeadTimeHours: num("lead_time_hours"),
		Closed:        formBool(v, "closed"),

		RequireSecondFactor: formBool(v, "require_second_factor"),
	}
	return op, fe
}

// operationFormView builds the create form (code "") or the edit form of
// the operation with code.
func (s *Server) operationFormView(w http.ResponseWriter, r *http.Request, f *form, code string) pages.AdminOperationFormView {
	ctx := r.Context()
	v := pages.AdminOperationFormView{
		Title:     i18n.T(ctx, "operation.new"),
		Action:    "/admin/operations/new",
		Submit:    i18n.T(ctx, "operation.create"),
		CancelURL: "/admin/operations",
	}
	if code != "" {
		v.Title = i18n.T(ctx, "operation.edit_named", "Code", code)
		v.Action = "/operations/" + code + "/edit"
		v.Submit = i18n.T(ctx, "common.save")
		v.CancelURL = "/operations/" + code
	}
	v.Shell = s.shell(w, r, v.Title)
	number := func(id, label string, required bool) components.Field {
		fl := f.field(id, label, "number", required)
		fl.Inputmode = "numeric"
		return fl
	}
	v.Code = f.text("code", "operation.code", true, 40)
	v.Code.Hint = i18n.T(ctx, "operation.code_hint")
	v.Name = f.text("name", "operation.name", true, 200)
	v.CountryISO3 = f.text("country_iso3", "operation.country", true, 3)
	v.CountryISO3.Hint = i18n.T(ctx, "operation.country_hint")
	v.GLIDE = f.text("glide", "operation.glide", false, 18)
	v.GLIDE.Hint = i18n.T(ctx, "operation.glide_hint")
	v.Context = f.choice("context", "operation.context", true, contextOptions(ctx))
	v.QuorumPercent = number("quorum_percent", "operation.quorum_percent", true)
	v.QuorumPercent.Hint = i18n.T(ctx, "operation.quorum_hint")
	v.PassRule = f.choice("pass_rule", "operation.pass_rule", true, passRuleOptions(ctx))
	v.ReviewHours = number("review_hours", "operation.review_hours_field", true)
	v.UrgentReviewHours = number("urgent_review_hours", "operation.urgent_review_hours_field", true)
	v.SealedVotes = f.check("sealed_votes", "operation.sealed")
	v.SealedVotes.Hint = i18n.T(ctx, "operation.sealed_hint")
	v.LeadTimeHours = number("lead_time_hours", "operation.lead_time_field", true)
	v.LeadTimeHours.Hint = i18n.T(ctx, "operation.lead_time_hint")
	v.RequireSecondFactor = f.check("require_second_factor", "operation.require_second_factor")
	v.RequireSecondFactor.Hint = i18n.T(ctx, "operation.require_second_factor_hint")
	v.Closed = f.check("closed", "operation.closed_field")
	v.Closed.Hint = i18n.T(ctx, "operation.closed_hint")
	v.Errors = f.summary()
	v.Saved = f.values.Get("updated")
	return v
}

// handleOperationNew shows the operation form with the default policy.
func (s *Server) handleOperationNew(w http.ResponseWriter, r *http.Request) error {
	if err := domain.Can(actor(r), domain.ActionCreateOperation, domain.OnInstance()); err != nil {
		return err
	}
	defaults := operationValues(domain.Operation{Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48})
	v := s.operationFormView(w, r, prefilledForm(r, defaults), "")
	return s.render(w, r, http.StatusOK, pages.AdminOperationForm(v))
}

// handleOperationCreate creates an operation and returns to the list.
func (s *Server) handleOperationCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	in, fe := operationInput(r.PostForm)
	_, err := s.directory.CreateOperation(r.Context(), actor(r), in)
	if err = withFieldMessages(err, fe); domain.ErrorCode(err) == domain.CodeInvalid {
		v := s.operationFormView(w, r, newForm(r, err), "")
		return s.render(w, r, http.StatusUnprocessableEntity, pages.AdminOperationForm(v))
	}
	if err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "operation.created")
	http.Redirect(w, r, "/admin/operations", http.StatusSeeOther)
	return nil
}

// handleOperationEdit shows an operation's form filled in. Members see
// the operation but may not edit it: domain.Can answers 403 for them.
func (s *Server) handleOperationEdit(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	op, err := s.directory.GetOperation(r.Context(), a, code)
	if err != nil {
		return err
	}
	if err := domain.Can(a, domain.ActionEditOperation, domain.InOperation(op.ID)); err != nil {
		return err
	}
	v := s.operationFormView(w, r, prefilledForm(r, operationValues(op)), op.Code)
	return s.render(w, r, http.StatusOK, pages.AdminOperationForm(v))
}

// handleOperationUpdate saves an operation, possibly under a new code,
// and goes to its page.
func (s *Server) handleOperationUpdate(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	in, fe := operationInput(r.PostForm)
	in.UpdatedAt = savedAt(r.PostForm)
	out, err := s.directory.UpdateOperation(r.Context(), actor(r), code, in)
	if de := staleForm(err); de != nil {
		// Saved by someone else since the form was loaded: the form
		// again with what was typed, what differs, and the new save.
		cur, gerr := s.directory.GetOperation(r.Context(), actor(r), code)
		if gerr != nil {
			return gerr
		}
		f := newForm(r, nil)
		f.values.Set("updated", savedToken(cur.UpdatedAt))
		v := s.operationFormView(w, r, f, code)
		v.Conflict = conflictView(r.Context(), f, de)
		return s.render(w, r, http.StatusConflict, pages.AdminOperationForm(v))
	}
	if err = withFieldMessages(err, fe); domain.ErrorCode(err) == domain.CodeInvalid {
		v := s.operationFormView(w, r, newForm(r, err), code)
		return s.render(w, r, http.StatusUnprocessableEntity, pages.AdminOperationForm(v))
	}
	if err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "operation.saved")
	http.Redirect(w, r, "/operations/"+out.Code, http.StatusSeeOther)
	return nil
}
