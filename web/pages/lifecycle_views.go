package pages

import "github.com/cmcoord/cmcoord/web/components"

// ---- After approval: consent, tasking, execution, hand-over, HRDDP ----

// LifecyclePanel is what follows an approval on the request page, as the
// viewer may see it, with the forms the viewer may use now. A nil form is
// a step the viewer may not take now.
type LifecyclePanel struct {
	// Shown reports whether the "after approval" section has anything to
	// show (the request was approved, or a step was recorded).
	Shown bool
	// Timing flags, in words, a task ending within 7 days or overrun;
	// "" when on time.
	Timing     string
	TimingCode string // ending_soon, overrun
	Consent    *ConsentView
	Taskings   []TaskingRow
	Reports    []ReportRow
	Totals     *ReportRow // nil without reports
	Handover   *HandoverView

	ConsentForm *ConsentForm
	TaskForm    *TaskForm
	// TaskBlocked says why tasking is not offered to someone who could
	// otherwise task (no consent requested or given yet); "" otherwise.
	TaskBlocked  string
	ReportForm   *ReportForm
	HandoverForm *HandoverForm
	// Steps are the rulebook's generic steps after approval the viewer
	// may take now (decline, start, complete, cancel…).
	Steps []ActionForm

	// HRDDP is the short HRDDP section, only for the roles that may see
	// HRDDP records (officer, HC, HRDDP reviewer); nil for everyone else.
	HRDDP *HRDDPSummary
}

// ConsentView is the affected State's recorded consent.
type ConsentView struct {
	Status     string // translated
	StatusCode string
	Authority  string
	Channel    string
	Date       string
	Reference  string
	Recorded   string // when it was recorded
}

// TaskingRow is one tasking to a provider.
type TaskingRow struct {
	Provider    string // ISO3
	Unit        string
	Assets      string // "Mi-17 helicopter × 2"
	PlatformRef string
	TaskedAt    string
	// State says where the tasking stands, in words: declined (with
	// Reason), started, or tasked.
	State     string
	StateCode string // declined, started, tasked
	Reason    string
}

// ReportRow is one execution report, or the totals.
type ReportRow struct {
	Date          string
	Sorties       string
	FlightHours   string
	Tonnes        string
	Passengers    string
	Medevacs      string
	PeopleReached string
	Incidents     string
	Notes         string
}

// HandoverView is the recorded hand-over to civilians.
type HandoverView struct {
	Organization string
	Date         string
	Reason       string
	// Other is set when the organisation is not the exit strategy's.
	Other bool
}

// ConsentForm records the affected State's consent.
type ConsentForm struct {
	URL       string
	Version   string // a refused consent cancels the request: the step needs it
	Status    components.Field
	Authority components.Field
	Channel   components.Field
	Date      components.Field
	Reference components.Field
	Open      bool
}

// TaskForm tasks a provider.
type TaskForm struct {
	URL         string
	Version     string
	Provider    components.Field
	Unit        components.Field
	AssetType   components.Field
	AssetCount  components.Field
	PlatformRef components.Field
	Open        bool
}

// ReportForm adds an execution report.
type ReportForm struct {
	URL           string
	Date          components.Field
	Sorties       components.Field
	FlightHours   components.Field
	Tonnes        components.Field
	Passengers    components.Field
	Medevacs      components.Field
	PeopleReached components.Field
	Incidents     components.Field
	Notes         components.Field
	Open          bool
}

// HandoverForm records the hand-over to civilians.
type HandoverForm struct {
	URL          string
	Version      string
	Organization components.Field
	Date         components.Field
	Reason       components.Field
	Open         bool
}

// HRDDPSummary is the HRDDP section of the request page: whether an
// assessment is required and done, its outcome and risk level, and the
// link to the assessment page. Never the assessment's content.
type HRDDPSummary struct {
	Required    string // translated yes / no
	Assessed    string // translated: "No" or "Yes, by … on …"
	Outcome     string // translated, "" before the assessment
	OutcomeCode string
	RiskLevel   string // translated, "" before the assessment
	URL         string // the assessment page, "" when there is nothing to see or do there
	Link        string // the link's text: open or record the assessment
}

// HRDDPPageView is the HRDDP assessment of one request, for the HRDDP
// reviewer (who records it), the HC and the officer (who read it).
type HRDDPPageView struct {
	Shell      components.Shell
	Reference  string
	Title      string
	Status     StatusBadge
	RequestURL string
	Required   bool
	Errors     []components.FormError
	// Record is the recorded assessment, every field, nil before one.
	Record   []Fact
	Assessed string // by whom and when
	Outcome  string
	Code     string // the outcome's code
	// Form records (or revises) the assessment; nil when the viewer may
	// not assess now.
	Form *AssessmentForm
}

// AssessmentForm is every field of the HRDDP assessment.
type AssessmentForm struct {
	URL     string
	Version string // "no support" rejects the request: the step needs it
	Fields  []components.Field
}
