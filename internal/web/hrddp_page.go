package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// The HRDDP assessment page (domain-notes §f.3). HRDDP records are for
// the HRDDP reviewer, the HC and the CMCoord officer only: to anyone
// else the page does not exist (404), as for a request they cannot see.

// hrddpRiskLevels are the assessment's risk levels, labelled risk.*.
var hrddpRiskLevels = []string{"low", "medium", "high"}

// hrddpField is one input of the assessment form.
type hrddpField struct {
	id       string
	typ      string // text, textarea, or select
	required bool
	max      int
	hint     bool // has help, hrddp.hint.<id>
}

// hrddpFields are the assessment's inputs in form order, named as the
// domain's validation names them.
var hrddpFields = []hrddpField{
	{"receiving_entity", "text", true, 200, true},
	{"support_description", "textarea", true, 4000, false},
	{"support_category", "select", true, 0, false},
	{"grave_violations", "textarea", true, 4000, true},
	{"accountability", "textarea", true, 4000, true},
	{"risk_level", "select", true, 0, true},
	{"benefits_and_risks", "textarea", true, 4000, true},
	{"mitigation", "textarea", false, 4000, true},
	{"communication", "textarea", false, 2000, true},
	{"monitoring_plan", "textarea", true, 4000, true},
	{"intervention_process", "textarea", true, 4000, true},
	{"outcome", "select", true, 0, true},
	{"country_mechanism_ref", "text", false, 200, true},
}

// assessmentValues is a as the form shows it.
func assessmentValues(a domain.Assessment) url.Values {
	return url.Values{
		"receiving_entity": {a.ReceivingEntity}, "support_description": {a.SupportDescription},
		"support_category": {a.SupportCategory}, "grave_violations": {a.GraveViolations},
		"accountability": {a.Accountability}, "risk_level": {a.RiskLevel}, "benefits_and_risks": {a.BenefitsAndRisks},
		"mitigation": {a.Mitigation}, "communication": {a.Communication}, "monitoring_plan": {a.MonitoringPlan},
		"intervention_process": {a.InterventionProcess}, "outcome": {a.Outcome}, "country_mechanism_ref": {a.CountryMechanismRef},
	}
}

// assessmentInput reads the posted form.
func assessmentInput(v url.Values) domain.Assessment {
	return domain.Assessment{
		ReceivingEntity: v.Get("receiving_entity"), SupportDescription: v.Get("support_description"),
		SupportCategory: v.Get("support_category"), GraveViolations: v.Get("grave_violations"),
		Accountability: v.Get("accountability"), RiskLevel: v.Get("risk_level"), BenefitsAndRisks: v.Get("benefits_and_risks"),
		Mitigation: v.Get("mitigation"), Communication: v.Get("communication"), MonitoringPlan: v.Get("monitoring_plan"),
		InterventionProcess: v.Get("intervention_process"), Outcome: v.Get("outcome"), CountryMechanismRef: v.Get("country_mechanism_ref"),
	}
}

// hrddpOptions are the choices of the assessment's select id.
func hrddpOptions(ctx context.Context, id string) []components.Option {
	switch id {
	case "support_category":
		return codeOptions(ctx, "hrddp_category.", domain.HRDDPCategories)
	case "risk_level":
		return codeOptions(ctx, "risk.", hrddpRiskLevels)
	}
	return codeOptions(ctx, "hrddp_outcome.", domain.HRDDPOutcomes)
}

// assessmentFields are the form's inputs over f's values.
func assessmentFields(ctx context.Context, f *form) []components.Field {
	out := make([]components.Field, 0, len(hrddpFields))
	for _, hf := range hrddpFields {
		label := "hrddp_page.field." + hf.id
		var fl components.Field
		if hf.typ == "select" {
			fl = f.choice(hf.id, label, hf.required, hrddpOptions(ctx, hf.id))
		} else {
			fl = f.field(hf.id, label, hf.typ, hf.required)
			fl.Maxlength = hf.max
		}
		if hf.hint {
			fl.Hint = i18n.T(ctx, "hrddp_page.hint."+hf.id)
		}
		// Mitigation is required from medium risk: its hint says so, and
		// it carries no "optional" marker.
		fl.Quiet = hf.id == "mitigation"
		out = append(out, fl)
	}
	return out
}

// assessmentFacts is the recorded assessment, every field, for reading.
func assessmentFacts(ctx context.Context, a domain.Assessment) []pages.Fact {
	vals := assessmentValues(a)
	out := make([]pages.Fact, 0, len(hrddpFields))
	for _, hf := range hrddpFields {
		val := vals.Get(hf.id)
		if hf.typ == "select" && val != "" {
			switch hf.id {
			case "support_category":
				val = i18n.T(ctx, "hrddp_category."+val)
			case "risk_level":
				val = i18n.T(ctx, "risk."+val)
			case "outcome":
				val = i18n.T(ctx, "hrddp_outcome."+val)
			}
		}
		out = append(out, pages.Fact{Label: i18n.T(ctx, "hrddp_page.field."+hf.id), Value: val, Long: hf.typ == "textarea"})
	}
	return out
}

func (s *Server) handleHRDDPShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	return s.renderHRDDPPage(w, r, http.StatusOK, id, nil, nil)
}

// renderHRDDPPage shows request id's assessment; values and ferr carry a
// refused form back.
func (s *Server) renderHRDDPPage(w http.ResponseWriter, r *http.Request, status int, id int64, values url.Values, ferr error) error {
	ctx := r.Context()
	a := actor(r)
	ls, err := s.lifecycle.State(ctx, a, id)
	if err != nil {
		return err
	}
	if !ls.CanSeeHRDDP {
		// Deliberately the answer for a request that does not exist: the
		// page would tell that HRDDP records exist for this request.
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	d, err := s.requests.Get(ctx, a, id)
	if err != nil {
		return err
	}
	req := d.Request
	v := pages.HRDDPPageView{
		Shell:     s.shell(w, r, i18n.T(ctx, "hrddp_page.page_title")+" · "+req.Reference),
		Reference: req.Reference, Title: req.Title, Status: statusBadge(ctx, req.Status),
		RequestURL: requestURL(req.ID), Required: ls.HRDDPRequired,
	}
	if as := ls.Assessment; as != nil {
		v.Record = assessmentFacts(ctx, *as)
		v.Outcome, v.Code = i18n.T(ctx, "hrddp_outcome."+as.Outcome), as.Outcome
		v.Assessed = i18n.T(ctx, "hrddp_page.assessed_by", "Name", as.AssessedByName, "At", displayTime(ctx, as.AssessedAt))
	}
	f := prefilledForm(r, url.Values{})
	if ls.Assessment != nil {
		f.values = assessmentValues(*ls.Assessment)
	}
	if values != nil {
		f = newForm(r, ferr)
		f.values = values
	}
	if ls.CanAssess {
		v.Form = &pages.AssessmentForm{URL: requestURL(req.ID) + "/hrddp", Version: strconv.Itoa(req.Version), Fields: assessmentFields(ctx, f)}
	}
	if ferr != nil {
		v.Errors = f.summary()
	}
	return s.render(w, r, status, pages.HRDDPPage(v))
}

// handleHRDDPAssess records the HRDDP reviewer's assessment; "no
// support" rejects the request (the service decides).
func (s *Server) handleHRDDPAssess(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	_, err = s.lifecycle.Assess(r.Context(), actor(r), id, formVersion(r.PostForm), assessmentInput(r.PostForm))
	if status, ok := refusedStatus(err); ok {
		// Its own page again, with what was typed and why (a wrong state:
		// the request moved on; no role: the page says so).
		return s.renderHRDDPPage(w, r, status, id, r.PostForm, err)
	}
	if err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "hrddp_page.saved")
	http.Redirect(w, r, requestURL(id)+"#hrddp-h", http.StatusSeeOther)
	return nil
}
