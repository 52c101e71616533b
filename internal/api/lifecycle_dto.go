package api

import (
	"context"
	"math"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/service"
)

// lifecycleDTO is a request's life after approval as one caller may see
// it: the consent, every tasking (declined ones included), the execution
// reports with their totals, the hand-over, where the task stands
// against its end date, and what the caller may do now. The HRDDP keys
// (hrddpDTO) are present only for callers who may see HRDDP records; for
// everyone else they are absent, never null or false, so nothing of an
// assessment — not even whether one is needed — leaks.
type lifecycleDTO struct {
	RequestID    int64  `json:"request_id"`
	Status       string `json:"status"`
	StatusReason string `json:"status_reason"`
	// StatusReasonCode is the code of a reason the system stated, whose
	// text StatusReason holds in the caller's language; "" otherwise.
	StatusReasonCode string `json:"status_reason_code"`
	Version          int    `json:"version"`
	// Timing is "" (on time, or no active task), ending_soon (within 7
	// days of the end date) or overrun (past it and not completed).
	Timing                   string       `json:"timing"`
	Consent                  *consentDTO  `json:"consent"`
	ConsentBlocksTasking     bool         `json:"consent_blocks_tasking"`
	Taskings                 []taskingDTO `json:"taskings"`
	Reports                  []reportDTO  `json:"reports"`
	Totals                   totalsDTO    `json:"totals"`
	Handover                 *handoverDTO `json:"handover"`
	ExitStrategyOrganization string       `json:"exit_strategy_organization"`
	CanConsent               bool         `json:"can_consent"`
	CanTask                  bool         `json:"can_task"`
	CanDecline               bool         `json:"can_decline"`
	CanStart                 bool         `json:"can_start"`
	CanReport                bool         `json:"can_report"`
	CanComplete              bool         `json:"can_complete"`
	CanHandOver              bool         `json:"can_hand_over"`
	CanCancel                bool         `json:"can_cancel"`
	CanAssess                bool         `json:"can_assess"`
	*hrddpDTO                             // nil, and so absent, for who may not see HRDDP records
}

// hrddpDTO is the HRDDP part of lifecycleDTO: whether the request needs
// an assessment, and the assessment (null until recorded).
type hrddpDTO struct {
	HRDDPRequired bool           `json:"hrddp_required"`
	Assessment    *assessmentDTO `json:"assessment"`
}

// consentDTO is the affected State's consent as the officer recorded it.
type consentDTO struct {
	Status     string    `json:"status"`
	Authority  string    `json:"authority"`
	Channel    string    `json:"channel"`
	Date       *string   `json:"date"` // YYYY-MM-DD; null when not applicable
	Reference  string    `json:"reference"`
	RecordedAt time.Time `json:"recorded_at"`
}

// taskingDTO is one tasking to a provider: live, started, or declined
// with the reason.
type taskingDTO struct {
	ID            int64      `json:"id"`
	ProviderISO3  string     `json:"provider_iso3"`
	Unit          string     `json:"unit"`
	AssetType     string     `json:"asset_type"`
	AssetCount    int        `json:"asset_count"`
	PlatformRef   string     `json:"platform_ref"`
	TaskedAt      time.Time  `json:"tasked_at"`
	StartedAt     *time.Time `json:"started_at"`
	DeclinedAt    *time.Time `json:"declined_at"`
	DeclineReason string     `json:"decline_reason"`
	// DeclineReasonCode is the code of a reason the system stated (a
	// refused consent), whose text DeclineReason holds; "" otherwise.
	DeclineReasonCode string `json:"decline_reason_code"`
}

// reportDTO is one execution report.
type reportDTO struct {
	ID            int64     `json:"id"`
	Date          string    `json:"date"` // YYYY-MM-DD
	Sorties       int       `json:"sorties"`
	FlightHours   float64   `json:"flight_hours"`
	Tonnes        float64   `json:"tonnes"`
	Passengers    int       `json:"passengers"`
	Medevacs      int       `json:"medevacs"`
	PeopleReached int       `json:"people_reached"`
	Incidents     string    `json:"incidents"`
	Notes         string    `json:"notes"`
	ReportedAt    time.Time `json:"reported_at"`
}

// totalsDTO sums the execution reports.
type totalsDTO struct {
	Reports       int     `json:"reports"`
	Sorties       int     `json:"sorties"`
	FlightHours   float64 `json:"flight_hours"`
	Tonnes        float64 `json:"tonnes"`
	Passengers    int     `json:"passengers"`
	Medevacs      int     `json:"medevacs"`
	PeopleReached int     `json:"people_reached"`
}

// handoverDTO is the task's hand-over to a civilian organisation.
type handoverDTO struct {
	Organization string    `json:"organization"`
	Date         string    `json:"date"` // YYYY-MM-DD
	Reason       string    `json:"reason"`
	RecordedAt   time.Time `json:"recorded_at"`
}

// assessmentDTO is the HRDDP assessment, for the HRDDP reviewer, the HC
// and the officer only.
type assessmentDTO struct {
	RequestID           int64     `json:"request_id"`
	ReceivingEntity     string    `json:"receiving_entity"`
	SupportDescription  string    `json:"support_description"`
	SupportCategory     string    `json:"support_category"`
	GraveViolations     string    `json:"grave_violations"`
	Accountability      string    `json:"accountability"`
	RiskLevel           string    `json:"risk_level"`
	BenefitsAndRisks    string    `json:"benefits_and_risks"`
	Mitigation          string    `json:"mitigation"`
	Communication       string    `json:"communication"`
	MonitoringPlan      string    `json:"monitoring_plan"`
	InterventionProcess string    `json:"intervention_process"`
	Outcome             string    `json:"outcome"`
	CountryMechanismRef string    `json:"country_mechanism_ref"`
	AssessedBy          refDTO    `json:"assessed_by"`
	AssessedAt          time.Time `json:"assessed_at"`
}

// newLifecycleDTO shows st, the lifecycle of request r. It copies the
// HRDDP part only when st.CanSeeHRDDP, whatever else st may hold.
func newLifecycleDTO(ctx context.Context, r domain.Request, st service.LifecycleState) lifecycleDTO {
	out := lifecycleDTO{
		RequestID: r.ID, Status: string(r.Status), StatusReason: httpface.Reason(ctx, r.StatusReasonCode, r.StatusReason),
		StatusReasonCode: string(r.StatusReasonCode), Version: r.Version,
		Timing: string(st.Timing), ConsentBlocksTasking: st.ConsentBlocks,
		Taskings: make([]taskingDTO, 0, len(st.Taskings)), Reports: make([]reportDTO, 0, len(st.Reports)),
		Totals:                   newTotalsDTO(st.Totals, len(st.Reports)),
		ExitStrategyOrganization: st.ExitStrategyOf,
		CanConsent:               st.CanConsent, CanTask: st.CanTask, CanDecline: st.Can(domain.ActionDecline),
		CanStart: st.Can(domain.ActionStartExecution), CanReport: st.CanReport, CanComplete: st.Can(domain.ActionComplete),
		CanHandOver: st.CanHandOver, CanCancel: st.Can(domain.ActionCancel), CanAssess: st.CanAssess,
	}
	if c := st.Consent; c != nil {
		out.Consent = &consentDTO{Status: c.Status, Authority: c.Authority, Channel: c.Channel, Date: dateOrNil(c.Date),
			Reference: c.Reference, RecordedAt: utc(c.RecordedAt)}
	}
	for _, t := range st.Taskings {
		out.Taskings = append(out.Taskings, taskingDTO{ID: t.ID, ProviderISO3: t.ProviderISO3, Unit: t.Unit,
			AssetType: t.AssetType, AssetCount: t.AssetCount, PlatformRef: t.PlatformRef, TaskedAt: utc(t.TaskedAt),
			StartedAt: timeOrNil(t.StartedAt), DeclinedAt: timeOrNil(t.DeclinedAt),
			DeclineReason: httpface.Reason(ctx, t.DeclineReasonCode, t.DeclineReason), DeclineReasonCode: string(t.DeclineReasonCode)})
	}
	for _, rep := range st.Reports {
		out.Reports = append(out.Reports, newReportDTO(rep))
	}
	if h := st.Handover; h != nil {
		out.Handover = &handoverDTO{Organization: h.Organization, Date: dateString(h.Date), Reason: h.Reason,
			RecordedAt: utc(h.RecordedAt)}
	}
	if st.CanSeeHRDDP {
		out.hrddpDTO = &hrddpDTO{HRDDPRequired: st.HRDDPRequired}
		if st.Assessment != nil {
			a := newAssessmentDTO(*st.Assessment)
			out.Assessment = &a
		}
	}
	return out
}

func newReportDTO(r domain.ExecutionReport) reportDTO {
	return reportDTO{ID: r.ID, Date: dateString(r.Date), Sorties: r.Sorties, FlightHours: round(r.FlightHours, 1),
		Tonnes: round(r.Tonnes, 2), Passengers: r.Passengers, Medevacs: r.Medevacs, PeopleReached: r.PeopleReached,
		Incidents: r.Incidents, Notes: r.Notes, ReportedAt: utc(r.ReportedAt)}
}

// newTotalsDTO shows the sum of n reports, rounded as the reports are
// stored (hours to 0.1, tonnes to 0.01) so that adding binary floats
// never shows 20.250000000000004.
func newTotalsDTO(t domain.ExecutionReport, n int) totalsDTO {
	return totalsDTO{Reports: n, Sorties: t.Sorties, FlightHours: round(t.FlightHours, 1), Tonnes: round(t.Tonnes, 2),
		Passengers: t.Passengers, Medevacs: t.Medevacs, PeopleReached: t.PeopleReached}
}

func newAssessmentDTO(a domain.Assessment) assessmentDTO {
	return assessmentDTO{RequestID: a.RequestID, ReceivingEntity: a.ReceivingEntity, SupportDescription: a.SupportDescription,
		SupportCategory: a.SupportCategory, GraveViolations: a.GraveViolations, Accountability: a.Accountability,
		RiskLevel: a.RiskLevel, BenefitsAndRisks: a.BenefitsAndRisks, Mitigation: a.Mitigation, Communication: a.Communication,
		MonitoringPlan: a.MonitoringPlan, InterventionProcess: a.InterventionProcess, Outcome: a.Outcome,
		CountryMechanismRef: a.CountryMechanismRef, AssessedBy: refDTO{ID: a.AssessedBy, Name: a.AssessedByName},
		AssessedAt: utc(a.AssessedAt)}
}

// dateString is a calendar date as YYYY-MM-DD ("" for none).
func dateString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// round rounds x to places decimals.
func round(x float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(x*p) / p
}
