package domain

import (
	"strings"
	"time"
)

// After approval (PRODUCT.md §4, domain-notes §c.3 and §d.5): the
// affected State's consent, tasking to a provider, execution with its
// reports, and the hand-over back to civilians. The rules are here; the
// transitions themselves are in the workflow table.

// Consent is the affected State's consent to the foreign military
// support (LR11), as the officer records it.
type Consent struct {
	Status     string // ConsentStatuses
	Authority  string // who gave or refused it
	Channel    string // e.g. NDMA, MNCC, ministry letter
	Date       time.Time
	Reference  string
	RecordedBy int64
	RecordedAt time.Time
}

// ValidateConsent checks a consent record.
func ValidateConsent(c Consent) error {
	f := fieldErrors{}
	if !oneOf(c.Status, ConsentStatuses) {
		f.add("status", "field.choose")
	}
	checkText(f, "authority", c.Authority, maxShort, c.Status == "consented" || c.Status == "refused")
	checkText(f, "channel", c.Channel, maxShort, false)
	checkText(f, "reference", c.Reference, maxShort, false)
	if c.Date.IsZero() && c.Status != "not_applicable" {
		f.add("date", "field.required")
	}
	return f.err()
}

// ConsentAllowsTasking reports whether the asset may be tasked under a
// consent: it must be requested or given (or not needed).
func ConsentAllowsTasking(c *Consent) bool {
	return c != nil && (c.Status == "requested" || c.Status == "consented" || c.Status == "not_applicable")
}

// Tasking is the request sent to a providing State's unit.
type Tasking struct {
	ID            int64
	RequestID     int64
	ProviderISO3  string // the providing State
	Unit          string
	AssetType     string
	AssetCount    int
	PlatformRef   string // HuMOCC / MNCC coordination reference
	TaskedBy      int64
	TaskedAt      time.Time
	DeclinedAt    time.Time // zero unless declined
	DeclineReason string
	// DeclineReasonCode is, instead of DeclineReason, a reason the system
	// stated (a refused consent); "" when a person declined.
	DeclineReasonCode ReasonCode
	StartedAt         time.Time // actual start of execution; zero before
}

// ValidateTasking checks a tasking.
func ValidateTasking(t Tasking) error {
	f := fieldErrors{}
	if !iso3Re.MatchString(t.ProviderISO3) {
		f.add("provider_iso3", "field.iso3")
	}
	checkText(f, "unit", t.Unit, maxShort, true)
	checkText(f, "asset_type", t.AssetType, maxShort, true)
	if t.AssetCount < 1 || t.AssetCount > 10000 {
		f.add("asset_count", "tasking.asset_count")
	}
	checkText(f, "platform_ref", t.PlatformRef, maxShort, false)
	return f.err()
}

// NormalizeTasking trims a tasking's text and upper-cases the State code.
func NormalizeTasking(t *Tasking) {
	t.ProviderISO3 = strings.ToUpper(strings.TrimSpace(t.ProviderISO3))
	t.Unit, t.AssetType, t.PlatformRef = strings.TrimSpace(t.Unit), strings.TrimSpace(t.AssetType), strings.TrimSpace(t.PlatformRef)
}

// ExecutionReport is one report of what the asset did.
type ExecutionReport struct {
	ID            int64
	RequestID     int64
	Date          time.Time
	Sorties       int // sorties or trips
	FlightHours   float64
	Tonnes        float64
	Passengers    int
	Medevacs      int
	PeopleReached int
	Incidents     string
	Notes         string
	ReportedBy    int64
	ReportedAt    time.Time
}

// ValidateReport checks an execution report: a date not in the future
// and counts that are not negative.
func ValidateReport(r ExecutionReport, now time.Time) error {
	f := fieldErrors{}
	switch {
	case r.Date.IsZero():
		f.add("date", "field.required")
	case DateOf(r.Date).After(DateOf(now)):
		f.add("date", "report.date_future")
	}
	for field, n := range map[string]float64{"sorties": float64(r.Sorties), "flight_hours": r.FlightHours, "tonnes": r.Tonnes,
		"passengers": float64(r.Passengers), "medevacs": float64(r.Medevacs), "people_reached": float64(r.PeopleReached)} {
		if n < 0 || n > 1e7 {
			f.add(field, "report.count_range")
		}
	}
	checkText(f, "incidents", r.Incidents, maxNote, false)
	checkText(f, "notes", r.Notes, maxNote, false)
	return f.err()
}

// Totals sums execution reports.
func Totals(reports []ExecutionReport) ExecutionReport {
	var t ExecutionReport
	for _, r := range reports {
		t.Sorties += r.Sorties
		t.FlightHours += r.FlightHours
		t.Tonnes += r.Tonnes
		t.Passengers += r.Passengers
		t.Medevacs += r.Medevacs
		t.PeopleReached += r.PeopleReached
	}
	return t
}

// Handover is the task's return to civilians: the named organisation
// of the exit strategy, or another with the reason.
type Handover struct {
	Organization string
	Date         time.Time
	Reason       string // required when Organization differs from the exit strategy's
	RecordedBy   int64
	RecordedAt   time.Time
}

// ValidateHandover checks a hand-over against the request's exit
// strategy.
func ValidateHandover(h Handover, r Request) error {
	f := fieldErrors{}
	checkText(f, "organization", h.Organization, maxShort, true)
	if h.Date.IsZero() {
		f.add("date", "field.required")
	}
	changed := h.Organization != "" && !strings.EqualFold(strings.TrimSpace(h.Organization), strings.TrimSpace(r.ExitStrategy.Organization))
	checkText(f, "reason", h.Reason, maxNote, changed)
	return f.err()
}

// EndingSoon is how close a task's end date must be to be flagged.
const EndingSoon = 7 * 24 * time.Hour

// TaskTiming says where an active task stands against its end date (the
// approval is valid until then).
type TaskTiming string

// Task timings.
const (
	TaskOnTime     TaskTiming = ""
	TaskEndingSoon TaskTiming = "ending_soon" // ends within EndingSoon
	TaskOverrun    TaskTiming = "overrun"     // past its end date and not completed
)

// TimingOf returns r's timing at now: only approved, tasked or executing
// requests with an end date have one.
func TimingOf(r Request, now time.Time) TaskTiming {
	if r.EndDate.IsZero() || (r.Status != StatusApproved && r.Status != StatusTasked && r.Status != StatusInExecution) {
		return TaskOnTime
	}
	end := r.EndDate.Add(24 * time.Hour) // valid through the end date
	switch {
	case !now.Before(end):
		return TaskOverrun
	case end.Sub(now) <= EndingSoon:
		return TaskEndingSoon
	}
	return TaskOnTime
}

// HRDDP assessment (domain-notes §f.3).

// HRDDP support categories and outcomes.
var (
	HRDDPCategories = []string{"training", "authority_support", "financial", "logistical", "operational", "joint_operation"}
	HRDDPOutcomes   = []string{"support", "support_with_mitigation", "no_support"}
)

// Assessment is the HRDDP risk assessment of a request that would give
// UN support to a security force. Only the HRDDP reviewer, the HC and the
// CMCoord officer may see it.
type Assessment struct {
	RequestID           int64
	ReceivingEntity     string
	SupportDescription  string
	SupportCategory     string
	GraveViolations     string // record of grave violations, with sources
	Accountability      string // accountability measures by the authorities
	RiskLevel           string // low, medium, high
	BenefitsAndRisks    string // benefits of support and risks of withholding it
	Mitigation          string // required from medium risk
	Communication       string // communication to the authorities (date, reference)
	MonitoringPlan      string
	InterventionProcess string // what triggers suspension or cessation
	Outcome             string
	CountryMechanismRef string
	AssessedBy          int64
	AssessedByName      string // read-only, joined for display
	AssessedAt          time.Time
}

// ValidateAssessment checks an HRDDP assessment.
func ValidateAssessment(a Assessment) error {
	f := fieldErrors{}
	checkText(f, "receiving_entity", a.ReceivingEntity, maxShort, true)
	checkText(f, "support_description", a.SupportDescription, maxLongText, true)
	if !oneOf(a.SupportCategory, HRDDPCategories) {
		f.add("support_category", "field.choose")
	}
	checkText(f, "grave_violations", a.GraveViolations, maxLongText, true)
	checkText(f, "accountability", a.Accountability, maxLongText, true)
	if !oneOf(a.RiskLevel, []string{"low", "medium", "high"}) {
		f.add("risk_level", "field.choose")
	}
	checkText(f, "benefits_and_risks", a.BenefitsAndRisks, maxLongText, true)
	checkText(f, "mitigation", a.Mitigation, maxLongText, a.RiskLevel == "medium" || a.RiskLevel == "high")
	checkText(f, "communication", a.Communication, maxNote, false)
	checkText(f, "monitoring_plan", a.MonitoringPlan, maxLongText, true)
	checkText(f, "intervention_process", a.InterventionProcess, maxLongText, true)
	if !oneOf(a.Outcome, HRDDPOutcomes) {
		f.add("outcome", "field.choose")
	}
	checkText(f, "country_mechanism_ref", a.CountryMechanismRef, maxShort, false)
	return f.err()
}

// HRDDPRequired reports whether request r needs an assessment before its
// HCT review: the checklist raised the HRDDP flag, whether the assessment
// is still missing (FlagHRDDP) or recorded (FlagHRDDPAssessed).
func HRDDPRequired(ev Evaluation) bool { return ev.Has(FlagHRDDP) || ev.Has(FlagHRDDPAssessed) }

// AssessmentMissing reports whether the HRDDP assessment the checklist
// requires is still to be recorded.
func AssessmentMissing(ev Evaluation) bool { return ev.Has(FlagHRDDP) }
