package api

import (
	"net/http"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// What follows an approval — the affected State's consent, tasking,
// execution with its reports, the hand-over back to civilians and
// cancellation — and the HRDDP assessment (PRODUCT.md §4), over
// service.Lifecycle. As for the review, the service decides: a request
// the caller cannot see is 404, one they see but may not act on 403, a
// wrong state or a stale version 409, a broken rule 422. HRDDP records
// reach only the HRDDP reviewer, the HC and the officer.

// handleLifecycleShow answers the request's life after approval as the
// caller may see it (lifecycleDTO): the HRDDP keys only for who may see
// HRDDP records.
func (a *API) handleLifecycleShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return a.writeLifecycle(w, r, id)
}

// writeLifecycle answers request id's lifecycle as GET shows it, after a
// change.
func (a *API) writeLifecycle(w http.ResponseWriter, r *http.Request, id int64) error {
	by := actor(r)
	st, err := a.lifecycle.State(r.Context(), by, id)
	if err != nil {
		return err
	}
	// The state holds no status or version: the request's own answer has
	// them (a client needs the version for the next step).
	d, err := a.requests.Get(r.Context(), by, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newLifecycleDTO(r.Context(), d.Request, st))
}

// handleConsentRecord records (or replaces) the affected State's consent
// (the officer) while the request is approved, tasked or declined by its
// provider. A refusal cancels the request, with that reason.
func (a *API) handleConsentRecord(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in consentInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	c, err := in.consent()
	if err != nil {
		return err
	}
	if _, err := a.lifecycle.RecordConsent(r.Context(), actor(r), id, versionOf(in.Version), c); err != nil {
		return err
	}
	return a.writeLifecycle(w, r, id)
}

// handleTaskingCreate tasks an approved (or declined) request to a
// provider (the officer): 409 tasking.consent_needed until the consent is
// requested or given.
func (a *API) handleTaskingCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in taskingInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	t := domain.Tasking{ProviderISO3: in.ProviderISO3, Unit: in.Unit, AssetType: in.AssetType, AssetCount: in.AssetCount,
		PlatformRef: in.PlatformRef}
	if _, err := a.lifecycle.Task(r.Context(), actor(r), id, versionOf(in.Version), t); err != nil {
		return err
	}
	return a.writeLifecycle(w, r, id)
}

// handleReportCreate adds an execution report (the officer, while in
// execution) and answers it as stored: the database keeps flight hours
// to 0.1 and tonnes to 0.01.
func (a *API) handleReportCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in reportInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	rep, err := in.report()
	if err != nil {
		return err
	}
	by := actor(r)
	saved, err := a.lifecycle.Report(r.Context(), by, id, givenVersion(in.Version), rep)
	if err != nil {
		return err
	}
	st, err := a.lifecycle.State(r.Context(), by, id)
	if err != nil {
		return err
	}
	for _, stored := range st.Reports {
		if stored.ID == saved.ID {
			saved = stored
			break
		}
	}
	return writeJSON(w, http.StatusCreated, newReportDTO(saved))
}

// handleHandoverCreate records the hand-over of a completed task to the
// exit strategy's civilian organisation, or to another with the reason
// (the officer): the terminal success state.
func (a *API) handleHandoverCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in handoverInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	h, err := in.handover()
	if err != nil {
		return err
	}
	if _, err := a.lifecycle.HandOver(r.Context(), actor(r), id, versionOf(in.Version), h); err != nil {
		return err
	}
	return a.writeLifecycle(w, r, id)
}

// handleAssessmentShow answers the request's HRDDP assessment to the
// HRDDP reviewer, the HC and the officer. Everyone else gets exactly the
// 404 of a missing request, so not even the existence of an assessment
// leaks; for those who may see it, a request without one yet is 404
// hrddp.no_assessment.
func (a *API) handleAssessmentShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return a.writeAssessment(w, r, id)
}

// writeAssessment answers request id's assessment as GET shows it.
func (a *API) writeAssessment(w http.ResponseWriter, r *http.Request, id int64) error {
	st, err := a.lifecycle.State(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	if !st.CanSeeHRDDP {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	if st.Assessment == nil {
		return domain.Errorf(domain.CodeNotFound, "hrddp.no_assessment")
	}
	return writeJSON(w, http.StatusOK, newAssessmentDTO(*st.Assessment))
}

// handleAssessmentPut records (or revises) the HRDDP assessment of a
// submitted request that needs one (the HRDDP reviewer); outcome
// no_support rejects the request. A request that needs none is 409
// hrddp.not_required.
func (a *API) handleAssessmentPut(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in assessmentInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if _, err := a.lifecycle.Assess(r.Context(), actor(r), id, versionOf(in.Version), in.assessment()); err != nil {
		return err
	}
	return a.writeAssessment(w, r, id)
}

// versionInput is the body of the steps that need nothing but the
// version the client last saw (missing is 400, stale 409).
type versionInput struct {
	Version *int `json:"version"`
}

// consentInput is the body of PUT /requests/{id}/consent. Status is one
// of domain.ConsentStatuses; the authority is required to consent or
// refuse, the date (YYYY-MM-DD) unless consent is not applicable.
type consentInput struct {
	Version   *int   `json:"version"`
	Status    string `json:"status"`
	Authority string `json:"authority"`
	Channel   string `json:"channel"`
	Date      string `json:"date"`
	Reference string `json:"reference"`
}

// consent checks the date's format (422 field.invalid); whether one is
// needed is the domain's to decide.
func (in consentInput) consent() (domain.Consent, error) {
	d, err := dateInput("date", in.Date)
	if err != nil {
		return domain.Consent{}, err
	}
	return domain.Consent{Status: in.Status, Authority: in.Authority, Channel: in.Channel, Date: d, Reference: in.Reference}, nil
}

// taskingInput is the body of POST /requests/{id}/tasking: the providing
// State (ISO 3166-1 alpha-3, any case), its unit, the asset type and
// count, and the coordination platform's reference (HuMOCC/MNCC).
type taskingInput struct {
	Version      *int   `json:"version"`
	ProviderISO3 string `json:"provider_iso3"`
	Unit         string `json:"unit"`
	AssetType    string `json:"asset_type"`
	AssetCount   int    `json:"asset_count"`
	PlatformRef  string `json:"platform_ref"`
}

// reportInput is the body of POST /requests/{id}/reports: what the asset
// did on one date. Counts missing are 0.
type reportInput struct {
	Version       *int    `json:"version"`
	Date          string  `json:"date"`
	Sorties       int     `json:"sorties"`
	FlightHours   float64 `json:"flight_hours"`
	Tonnes        float64 `json:"tonnes"`
	Passengers    int     `json:"passengers"`
	Medevacs      int     `json:"medevacs"`
	PeopleReached int     `json:"people_reached"`
	Incidents     string  `json:"incidents"`
	Notes         string  `json:"notes"`
}

func (in reportInput) report() (domain.ExecutionReport, error) {
	d, err := dateInput("date", in.Date)
	if err != nil {
		return domain.ExecutionReport{}, err
	}
	return domain.ExecutionReport{Date: d, Sorties: in.Sorties, FlightHours: in.FlightHours, Tonnes: in.Tonnes,
		Passengers: in.Passengers, Medevacs: in.Medevacs, PeopleReached: in.PeopleReached, Incidents: in.Incidents,
		Notes: in.Notes}, nil
}

// handoverInput is the body of POST /requests/{id}/handover: the civilian
// organisation that takes the task over and the date; the reason is
// required when it is not the exit strategy's organisation.
type handoverInput struct {
	Version      *int   `json:"version"`
	Organization string `json:"organization"`
	Date         string `json:"date"`
	Reason       string `json:"reason"`
}

func (in handoverInput) handover() (domain.Handover, error) {
	d, err := dateInput("date", in.Date)
	if err != nil {
		return domain.Handover{}, err
	}
	return domain.Handover{Organization: in.Organization, Date: d, Reason: in.Reason}, nil
}

// assessmentInput is the body of PUT /requests/{id}/hrddp: every field of
// the assessment of domain-notes §f.3.
type assessmentInput struct {
	Version             *int   `json:"version"`
	ReceivingEntity     string `json:"receiving_entity"`
	SupportDescription  string `json:"support_description"`
	SupportCategory     string `json:"support_category"`
	GraveViolations     string `json:"grave_violations"`
	Accountability      string `json:"accountability"`
	RiskLevel           string `json:"risk_level"`
	BenefitsAndRisks    string `json:"benefits_and_risks"`
	Mitigation          string `json:"mitigation"`
	Communication       string `json:"communication"`
	MonitoringPlan      string `json:"monitoring_plan"`
	InterventionProcess string `json:"intervention_process"`
	Outcome             string `json:"outcome"`
	CountryMechanismRef string `json:"country_mechanism_ref"`
}

func (in assessmentInput) assessment() domain.Assessment {
	return domain.Assessment{ReceivingEntity: in.ReceivingEntity, SupportDescription: in.SupportDescription,
		SupportCategory: in.SupportCategory, GraveViolations: in.GraveViolations, Accountability: in.Accountability,
		RiskLevel: in.RiskLevel, BenefitsAndRisks: in.BenefitsAndRisks, Mitigation: in.Mitigation,
		Communication: in.Communication, MonitoringPlan: in.MonitoringPlan, InterventionProcess: in.InterventionProcess,
		Outcome: in.Outcome, CountryMechanismRef: in.CountryMechanismRef}
}

// dateInput reads a calendar date given as YYYY-MM-DD: anything else is
// 422 field.invalid. "" (or null) is no date, for the domain to require.
func dateInput(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil || !representable(d) {
		return time.Time{}, invalid(field, "field.invalid")
	}
	return d, nil
}
