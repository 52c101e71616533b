package pages

import "github.com/cmcoord/cmcoord/web/components"

// ---- Requests for assistance ----
//
// The view models below carry translated, display-ready text: the
// handlers in internal/web build them from the domain, so the templates
// decide layout only.

// RequestListView is an operation's list of requests with its filters.
type RequestListView struct {
	Shell        components.Shell
	Code         string
	Name         string
	OperationURL string
	// NewURL is the new-request form on one page, NewStepsURL its guided
	// steps; "" when the viewer may not create.
	NewURL, NewStepsURL string
	// ScreeningURL is the officer's queue, "" for everyone else.
	ScreeningURL string
	Reports      ReportLinks
	Filter       RequestFilterView
	Rows         []RequestRow
	// NextURL is the next page, "" on the last; FirstURL goes back to
	// the first page from a later one.
	NextURL  string
	FirstURL string
	Errors   []components.FormError
}

// RequestFilterView is the list's filter form (a GET form: the URL is
// the filter, so it can be bookmarked and shared).
type RequestFilterView struct {
	Action       string
	Q            components.Field
	Status       components.Field
	Sector       components.Field
	Priority     components.Field
	TaskCategory components.Field
	Org          components.Field
	Sort         components.Field
	// Active reports whether any filter is set (the form opens then).
	Active   bool
	ClearURL string
}

// RequestRow is one request in a list.
type RequestRow struct {
	ID           string
	Reference    string
	Title        string
	URL          string
	Status       StatusBadge
	Priority     string // translated
	PriorityCode string
	Sectors      string // codes, comma separated
	Task         string // translated
	Organization string
	RequiredBy   string
	Updated      string
}

// StatusBadge shows a status by word (never by colour alone).
type StatusBadge struct {
	Code  string
	Label string // translated
	Ended bool   // no step leaves the status (the rulebook's)
}

// RequestFormView is the one-page request form, new or edit.
type RequestFormView struct {
	Shell     components.Shell
	Heading   string
	Reference string // "" for a new request
	Status    StatusBadge
	Action    string
	// AutosaveKey names the form's local copy for the offline script
	// (data-autosave): "new:<operation code>", "request:<id>:form".
	AutosaveKey string
	CancelURL   string
	StepsURL    string // the same form as guided steps ("" for none)
	// Version and IdempotencyKey travel as hidden fields: the version
	// guards a stale submission, the key makes a repeated "create" (a
	// double click, a retry on a flaky link) create one draft.
	Version        string
	IdempotencyKey string
	Errors         []components.FormError
	// Notice is a translated explanation above the form ("" for none).
	Notice string
	// Conflict is, after a save refused because someone saved first, what
	// they changed: the form below holds what was typed and the new version.
	Conflict ConflictView

	Title          components.Field
	Sectors        RoleChecks
	Need           components.Field
	PeopleTargeted components.Field
	Priority       components.Field
	RequiredBy     components.Field
	UrgencyReason  components.Field

	TaskCategory    components.Field
	Capability      components.Field
	SupportType     components.Field
	TaskDescription components.Field
	StartDate       components.Field
	EndDate         components.Field

	Origin      LocationFields
	Destination LocationFields

	CivilianLegend  string
	CivilianNeeded  bool // a submission needs a civilian option checked
	CivilianID      string
	CivilianError   string
	Civilian        []CivilianRow
	Complementarity components.Field

	ExitOrganization components.Field
	ExitDate         components.Field
	ExitPlan         components.Field

	Checklist  []ChecklistItemView
	Evaluation EvaluationView

	Escort []components.Field

	POCName  components.Field
	POCRole  components.Field
	POCPhone components.Field
	POCEmail components.Field
}

// ConflictView explains a save refused because someone else saved the
// request first (Message, "" for none) and lists what they changed.
type ConflictView struct {
	Message string
	Rows    []ConflictRow
}

// ConflictRow is one field someone else changed: its label, the input it
// links to, its value now and the value in the form (what was typed).
type ConflictRow struct {
	FieldID, Label, Now, Yours string
}

// LocationFields are an origin's or destination's inputs.
type LocationFields struct {
	Legend string
	Name   components.Field
	Adm1   components.Field
	Adm1P  components.Field
	Adm2   components.Field
	Adm2P  components.Field
	Lat    components.Field
	Lon    components.Field
}

// CivilianRow is one civilian option the requester reports on (LR2).
type CivilianRow struct {
	Label  string // translated option
	Result components.Field
	Note   components.Field
}

// ChecklistItemView is one last-resort criterion in the form: the
// question, its help one tap away, the answer and its evaluation.
type ChecklistItemView struct {
	ID       string
	Title    string
	Question string
	Help     string
	Source   string
	Gate     string // translated
	Result   ItemBadge
	// Choices are the radio answers; none for items answered by a field
	// (FieldURL then points at it) or filled by the officer.
	Choices   []Choice
	FieldURL  string
	FieldName string // translated label of the answering field
	// FieldValue is the answer the item takes from that field, as the
	// form holds it (shortened): shown instead of asking again.
	FieldValue string
	ByOfficer  bool
	Answer     string // translated, for read-only items
	Note       components.Field
	Error      string // translated problem with the answer
}

// ErrorID is the id of the item's error message.
func (v ChecklistItemView) ErrorID() string { return "checklist." + v.ID + "-error" }

// Choice is one radio button.
type Choice struct {
	ID      string
	Value   string
	Label   string
	Checked bool
	// Meets: this answer meets the criterion (said before any save).
	Meets bool
}

// ItemBadge is an item's evaluation, said in words.
type ItemBadge struct {
	Code    string // ok, missing, blocked, needs_justification
	Label   string
	Reason  string // translated, "" when none
	Warning bool
}

// EvaluationView is the checklist's verdict for display.
type EvaluationView struct {
	Items    []EvaluationItem
	Flags    []FlagView
	Complete bool
	// Counts are the items in each state that has any, in the states'
	// order, translated ("Justified: 2").
	Counts []StateCount
}

// EvaluationItem is one item of the verdict, linking to its answer.
type EvaluationItem struct {
	ID     string
	Title  string
	URL    string // where the item is answered, "" on read-only pages
	Result ItemBadge
	Answer string // translated answer, "" when none
	Note   string // the requester's note or justification
}

// FlagView is a warning the officer and reviewers must weigh.
type FlagView struct {
	Code  string
	Label string
}

// RequestPageView is a request's own page.
type RequestPageView struct {
	Shell        components.Shell
	ID           string
	Reference    string
	Title        string
	Status       StatusBadge
	Version      string
	OperationURL string
	OperationTag string
	ListURL      string
	// StatusReason is why the step that led to the current status was
	// taken (a return's reason, a decision's rationale, an expiry's
	// cause), under that step's label, at its time; empty when that step
	// stated none.
	StatusReason      string
	StatusReasonLabel string
	StatusReasonAt    string
	CivilianReference string
	Meta              []Fact // requested by, created, submitted, updated
	Sections          []FactGroup
	Evaluation        EvaluationView
	EditURL           string
	StepsURL          string // the same edit as guided steps, from the review step
	Errors            []components.FormError
	// Actions the viewer may take now; empty when none.
	Actions []ActionForm
	// Extend asks for more time for an approved task (requester); nil
	// when not offered.
	Extend *ExtendForm
	// Blocked says why steps the viewer would otherwise take are not
	// offered now (e.g. an extension in a closed operation).
	Blocked []BlockedStep
	// Briefing is the officer's LR17 form, nil when not theirs to fill.
	Briefing *BriefingForm
	// Resubmission is what changed since the previous submission; nil
	// unless the request was submitted at least twice.
	Resubmission *ResubmissionView
	// Review is the HCT review panel, nil when there is nothing to show.
	Review    *ReviewPanel
	Lifecycle *LifecyclePanel // after approval and the HRDDP summary; nil when nothing to show
	// Documents are the request's documents; nil when documents are off.
	Documents   *DocumentsView
	Comments    []CommentView
	CommentForm *CommentForm
	Events      []EventView
	HeadHash    string
	// Record is set on the printable decision record; RecordURL links
	// to it from the request page.
	Record    *RecordInfo
	RecordURL string
	// RecordBundleURL downloads the signed decision record (a ZIP anyone
	// can verify offline); RecordKeysURL is where the keys are published.
	RecordBundleURL string
	RecordKeysURL   string
	// ExtensionOf is the request this one extends (nil for an original);
	// Extensions the requests extending it, each the viewer may see.
	ExtensionOf *Link
	Extensions  []Link
}

// Link is a linked request: its reference and status, and its address
// (the record prints it as text).
type Link struct {
	Text string
	URL  string
}

// RecordInfo heads the printable decision record: who printed it when,
// the operation and its country, and the HC's signature block.
type RecordInfo struct {
	Generated string
	By        string
	Operation string // name (code)
	Country   string // ISO 3166-1 alpha-3
	GLIDE     string // "" when the operation has none
	Signature SignatureBlock
}

// SignatureBlock is the HC's block on the record: the name and date of
// the decision when one is taken (blank lines to fill by hand before),
// the role, and a line to sign on.
type SignatureBlock struct {
	Name string
	Role string
	Date string
}

// Fact is one label and value.
type Fact struct {
	Label string
	Value string
	// Long marks free text, shown with its line breaks.
	Long bool
}

// FactGroup is a titled list of facts.
type FactGroup struct {
	ID    string
	Title string
	Facts []Fact
}

// ActionForm is one workflow action on the request page.
type ActionForm struct {
	ID      string // submit, return, redirect, withdraw
	Title   string
	Hint    string
	URL     string
	Submit  string
	Version string
	Danger  bool
	// Reason and Reference are shown when the action takes them.
	Reason    *components.Field
	Reference *components.Field
	// Open keeps the form unfolded (after a failed attempt).
	Open bool
}

// BriefingForm records LR17: the providing force was briefed on the
// humanitarian principles.
type BriefingForm struct {
	URL      string
	Question string
	Help     string
	Choices  []Choice
	Note     components.Field
	Error    string
	Open     bool
}

// CommentView is one comment.
type CommentView struct {
	ID           string
	Author       string
	Organization string
	Body         string
	At           string
	Edited       string // "" when never edited
	// EditURL is set while its author may still correct it.
	EditURL  string
	EditBody components.Field
	// Saved is when the comment was saved as shown (a hidden field): a
	// correction saved since in another window is not overwritten.
	Saved    string
	EditOpen bool
}

// CommentForm adds a comment.
type CommentForm struct {
	URL  string
	Body components.Field
}

// EventView is one entry of the audit trail.
type EventView struct {
	Seq     string
	Action  string // what happened and who did it, in record language ("Approved by Hugo")
	At      string
	Details []string // translated lines: reason, changed fields…
	Hash    string   // hex
	Prev    string   // hex, "" for the first
}

// ScreeningView is the officer's queue of submitted requests.
type ScreeningView struct {
	Shell        components.Shell
	Code         string
	Name         string
	OperationURL string
	ListURL      string
	Rows         []ScreeningRow
	NextURL      string
}

// ScreeningRow is one request waiting for screening.
type ScreeningRow struct {
	Row       RequestRow
	Submitted string
	Flags     []FlagView
	// Warnings counts the items reviewers must look at.
	Warnings int
}

// Short is the start of the hash, enough to compare by eye.
func (e EventView) Short() string {
	if len(e.Hash) > 16 {
		return e.Hash[:16]
	}
	return e.Hash
}

// ReviewPanel is the HCT review on the request page: the frozen rules,
// the turnout, what the viewer may see of the votes, and the forms the
// viewer may use (open, vote, close, re-open, decide).
type ReviewPanel struct {
	// OpenForm lets the officer open the review of a submitted request.
	OpenForm *ReviewOpenForm
	// Blocked says why a step the viewer would otherwise take is not
	// offered now (e.g. opening the review awaits the HRDDP assessment).
	Blocked  []string
	Exists   bool
	Round    string
	Open     bool
	Deadline string
	// AfterNeed, while the review is open, says that the request's
	// required-by time comes before its deadline.
	AfterNeed string
	Closed    string
	Rules     string   // translated summary: quorum, pass rule, sealed
	Eligible  []string // organisation names
	Recused   []string
	Turnout   string // "2 of 5 organisations have voted"
	NotVoted  []string
	// Votes, with their comments, objections first; empty while sealed.
	Votes  []VoteRow
	Sealed bool // the values are hidden now
	// Cancelled: the request left the review before it closed (Closed is
	// then when); its votes stay sealed and count for nothing.
	Cancelled  bool
	Tally      string // counts by value, when visible
	Result     string // passed / failed, after close
	ResultCode string
	History    []VoteRow
	// FullHistory shows History in full, not folded (the record).
	FullHistory bool
	MyVote      string // the viewer's organisation's vote, translated
	VoteForm    *VoteForm
	CloseURL    string
	// CloseVersion is the request's version, sent with the close.
	CloseVersion string
	// RemindURL, when set, offers the officer to remind the organisations
	// that have not voted (domain.ActionRemindVoters); RemindVersion is
	// the request's version, RemindHint says what it does.
	RemindURL, RemindVersion, RemindHint string
	ReopenForm                           *ReviewOpenForm
	Decision                             *DecisionView
	DecideForm                           *DecisionForm
}

// ReviewOpenForm opens (or re-opens) a review.
type ReviewOpenForm struct {
	URL      string
	Version  string
	Deadline components.Field
	// AfterRequiredBy confirms a deadline after the required-by time;
	// nil when the request has none.
	AfterRequiredBy *components.Field
	Submit          string
	Hint            string
}

// VoteRow is one organisation's vote.
type VoteRow struct {
	Organization string
	Value        string // translated
	ValueCode    string
	Comment      string
	By           string
	At           string
}

// VoteForm casts or changes the viewer's organisation's vote.
type VoteForm struct {
	URL     string
	Choices []Choice
	Error   string
	Comment components.Field
}

// DecisionView is the HC's recorded decision.
type DecisionView struct {
	Outcome    string
	Code       string
	Rationale  string
	Conditions string
	By         string
	At         string
	// Acting says, translated, that the decider acted as HC ("Decided by
	// X, acting HC (named by Y, until …)"); "" for the HC's own decision.
	Acting string
}

// DecisionForm records the HC's decision.
type DecisionForm struct {
	URL        string
	Version    string
	Choices    []Choice
	Error      string
	Rationale  components.Field
	Conditions components.Field
	// CanApprove is false when the review failed: only rejection is open.
	CanApprove bool
}

// ExtendForm asks for an extension: a new end date.
type ExtendForm struct {
	URL     string
	EndDate components.Field
	Hint    string
}

// StateCount is how many checklist items are in one state.
type StateCount struct {
	Code string // domain.ItemState
	Text string // translated, with the number
}

// BlockedStep is why a step the viewer would otherwise take is not
// offered now, said in place of its control; FixURL, when set, is where
// what stops it is fixed (the request's form, its problems marked).
type BlockedStep struct {
	Reason string
	FixURL string
}

// RequestStepView is one step of the guided request form: the one-page
// form's view (Form) of which it shows Blocks, with the steps around it.
type RequestStepView struct {
	Form      RequestFormView
	Heading   string
	New       bool // no draft yet: the first step creates it
	StepID    string
	StepTitle string
	StepIntro string
	Number    int
	Total     int
	Steps     []StepLink
	Blocks    []StepBlock
	// Pending is what this step still needs before the request can be
	// submitted (the domain's check of the request as saved).
	Pending []StepProblem
	// Review is, on the review step, every other step with its problems.
	Review     []StepReview
	CanSubmit  bool
	Resubmit   bool   // the request was returned: submitting it again
	Back, Next string // the steps before and after ("" for none)
	OnePageURL string // the same request on the one-page form
	// AutosaveKey names this form's local copy (the offline script's).
	AutosaveKey string
}

// StepLink is one step in the step indicator.
type StepLink struct {
	ID         string
	Number     int
	Label      string
	Current    bool
	State      string // done, todo or none (not judged: a new request, the review)
	StateLabel string
}

// StepBlock is one block of a step: a request field (Field, by its
// domain name) or a checklist item (Item).
type StepBlock struct {
	Field string
	Item  *ChecklistItemView
}

// StepProblem is one thing a step still needs before submission.
type StepProblem struct {
	FieldID string
	Label   string
	Message string
}

// StepReview is a step as the review step sums it up.
type StepReview struct {
	ID       string
	Label    string
	Number   int
	Problems []StepProblem
}
