package domain

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Sectors are the OCHA global cluster codes a request may serve
// (PRODUCT.md §2), in display order.
var Sectors = []string{"SHL", "CCM", "PRO-MIN", "FSC", "WSH", "LOG", "PRO-CPN", "PRO", "EDU", "NUT",
	"HEA", "ERY", "TEL", "PRO-GBV", "PRO-HLP", "CSS", "AGR", "MS"}

// TaskCategory is the kind of work the asset would do.
type TaskCategory string

// TaskCategories lists every task category in display order.
var TaskCategories = []TaskCategory{"air_rotary", "air_fixed_wing", "sea", "land_transport", "engineering",
	"logistics_handling", "medical", "water_sanitation", "power", "communications", "assessment",
	"search_and_rescue", "security_escort", "other"}

// SupportType is how close the military come to the affected people
// (domain-notes §b.1): direct (face to face), indirect (one step
// removed) or infrastructure (general services).
type SupportType string

// Support types.
const (
	SupportDirect         SupportType = "direct"
	SupportIndirect       SupportType = "indirect"
	SupportInfrastructure SupportType = "infrastructure"
)

// SupportTypes lists every support type in display order.
var SupportTypes = []SupportType{SupportDirect, SupportIndirect, SupportInfrastructure}

// Priority orders requests; lifesaving ones get the urgent review time.
type Priority string

// Priorities, most urgent first.
const (
	PriorityLifesaving     Priority = "lifesaving"
	PriorityLifeSustaining Priority = "life_sustaining"
	PriorityHigh           Priority = "high"
	PriorityNormal         Priority = "normal"
)

// Priorities lists every priority, most urgent first.
var Priorities = []Priority{PriorityLifesaving, PriorityLifeSustaining, PriorityHigh, PriorityNormal}

// Rank is the priority's position, 0 for the most urgent; unknown
// priorities sort last.
func (p Priority) Rank() int {
	for i, q := range Priorities {
		if p == q {
			return i
		}
	}
	return len(Priorities)
}

// CivilianOptions are the civilian means a requester must check first
// (LR2), and CivilianResults what came of each check.
var (
	CivilianOptions = []string{"own_assets", "other_agency", "logistics_cluster", "unhas", "commercial", "national_civilian", "other"}
	CivilianResults = []string{"not_available", "insufficient", "too_slow", "unsafe"}
)

// Location is an origin or destination: a place name, admin-1 and
// admin-2 names with their OCHA p-codes, and WGS84 coordinates.
type Location struct {
	Name      string
	Adm1Name  string
	Adm1PCode string
	Adm2Name  string
	Adm2PCode string
	Lat       *float64
	Lon       *float64
}

// Empty reports whether nothing of l is filled in.
func (l Location) Empty() bool {
	return l.Name == "" && l.Adm1Name == "" && l.Adm1PCode == "" && l.Adm2Name == "" && l.Adm2PCode == "" && l.Lat == nil && l.Lon == nil
}

// CivilianCheck is one civilian option the requester checked (LR2).
type CivilianCheck struct {
	Option string
	Result string
	Note   string
}

// ExitStrategy names the civilian organisation that takes the task over
// from the military, and when (LR7).
type ExitStrategy struct {
	Organization string
	Date         time.Time // a date (UTC midnight); zero when not given
	Plan         string
}

// Contact is the request's point of contact in the field.
type Contact struct {
	Name  string
	Role  string
	Phone string
	Email string
}

// Escort holds the armed-escort criteria (domain-notes §a.3), required
// when LR19 is answered yes.
type Escort struct {
	NeedCriticality      string // humanitarian need and programme criticality
	ResponsibleAuthority string // why the responsible authorities cannot provide security
	SecurityAssessment   string // security risk assessment reference (UNDSS/SRM)
	DiscontinuationPlan  string // sustainability and the plan to stop using escorts
	// CommonPositionConsulted: the common humanitarian position on armed
	// escorts was consulted (Armed Escorts 2013, section V).
	CommonPositionConsulted bool
	// Compensation is what the escort receives (Annex C): none, fuel,
	// food, allowances or payment; anything but none from a UN entity
	// triggers the HRDDP.
	Compensation string
}

// EscortCompensations are the answers to what the escort receives.
var EscortCompensations = []string{"none", "fuel", "food", "allowances", "payment"}

// Answer is the requester's answer to one checklist item: a value from
// the item's answer type and a note (the justification of a failing
// justify item, the reference of a consent, the detail a yes needs).
type Answer struct {
	Value string
	Note  string
}

// Request is a Request for Assistance (RFA): one ask for a military or
// civil-defence asset, with the answers that show it is a last resort.
type Request struct {
	ID                 int64
	OperationID        int64
	Reference          string // {ISO3}-RFA-{NNNN}, numbered per operation
	Status             Status
	Version            int // 1 at creation; +1 at every saved edit and every resubmission
	Title              string
	RequestingOrgID    int64
	RequestingOrgName  string // read-only, joined for display
	CreatedBy          int64
	CreatedByName      string // read-only, joined for display
	Sectors            []string
	Need               string
	PeopleTargeted     int // 0 when not given
	TaskCategory       TaskCategory
	Capability         string
	SupportType        SupportType
	TaskDescription    string
	Origin             Location
	Destination        Location
	RequiredBy         time.Time // zero when not given
	StartDate, EndDate time.Time // dates (UTC midnight); zero when not given
	Priority           Priority
	UrgencyReason      string
	CivilianOptions    []CivilianCheck
	Complementarity    string
	ExitStrategy       ExitStrategy
	POC                Contact
	Checklist          map[string]Answer // by item ID (LR2 … LR19)
	Escort             Escort
	// StatusReason is why the request last left the normal path (returned,
	// redirected, withdrawn); CivilianReference names the civilian service
	// a redirected request went to (e.g. a Logistics Cluster SRF number).
	StatusReason string
	// StatusReasonCode is, instead of StatusReason, a reason the system
	// stated (ApplyForReason); "" when a person gave the reason.
	StatusReasonCode  ReasonCode
	CivilianReference string
	SubmittedAt       time.Time // last submission; zero for a draft never submitted
	// ExtensionOf is the approved request this one extends (a new end
	// date, re-justified); 0 for an original request.
	ExtensionOf int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Field length limits, in characters.
const (
	maxTitle    = 120
	maxLongText = 4000
	maxShort    = 200
	maxNote     = 2000
)

var pcodeRe = regexp.MustCompile(`^[A-Z]{2,3}[A-Z0-9]{0,17}$`)

// NormalizeRequest trims r's text, upper-cases p-codes and sectors and
// drops empty civilian checks, so what is stored is what is validated.
func NormalizeRequest(r *Request) {
	for _, p := range []*string{&r.Title, &r.Need, &r.Capability, &r.TaskDescription, &r.UrgencyReason,
		&r.Complementarity, &r.ExitStrategy.Organization, &r.ExitStrategy.Plan,
		&r.POC.Name, &r.POC.Role, &r.POC.Phone, &r.POC.Email,
		&r.Escort.NeedCriticality, &r.Escort.ResponsibleAuthority, &r.Escort.SecurityAssessment, &r.Escort.DiscontinuationPlan} {
		*p = strings.TrimSpace(*p)
	}
	for _, l := range []*Location{&r.Origin, &r.Destination} {
		l.Name = strings.TrimSpace(l.Name)
		l.Adm1Name = strings.TrimSpace(l.Adm1Name)
		l.Adm2Name = strings.TrimSpace(l.Adm2Name)
		l.Adm1PCode = strings.ToUpper(strings.TrimSpace(l.Adm1PCode))
		l.Adm2PCode = strings.ToUpper(strings.TrimSpace(l.Adm2PCode))
	}
	var sectors []string
	seen := map[string]bool{}
	for _, s := range r.Sectors {
		s = strings.ToUpper(strings.TrimSpace(s))
		if s != "" && !seen[s] {
			seen[s] = true
			sectors = append(sectors, s)
		}
	}
	if sectors == nil {
		sectors = []string{}
	}
	// In the list's order, whatever order they came in: the same
	// choice saved from the form or the API is the same request, and an
	// unchanged save changes nothing.
	slices.SortStableFunc(sectors, func(a, b string) int { return rank(Sectors, a) - rank(Sectors, b) })
	r.Sectors = sectors
	var checks []CivilianCheck
	for _, c := range r.CivilianOptions {
		c.Note = strings.TrimSpace(c.Note)
		if c.Option == "" && c.Result == "" && c.Note == "" {
			continue
		}
		checks = append(checks, c)
	}
	slices.SortStableFunc(checks, func(a, b CivilianCheck) int {
		return rank(CivilianOptions, a.Option) - rank(CivilianOptions, b.Option)
	})
	r.CivilianOptions = checks
	answers := map[string]Answer{}
	for id, a := range r.Checklist {
		a.Value, a.Note = strings.TrimSpace(a.Value), strings.TrimSpace(a.Note)
		if a.Value != "" || a.Note != "" {
			answers[id] = a
		}
	}
	r.Checklist = answers
	for _, d := range []*time.Time{&r.StartDate, &r.EndDate, &r.ExitStrategy.Date} {
		if !d.IsZero() {
			*d = DateOf(*d)
		}
	}
	if !r.RequiredBy.IsZero() {
		r.RequiredBy = r.RequiredBy.UTC().Truncate(time.Minute)
	}
}

// DateOf returns t's calendar date as UTC midnight.
func DateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ValidateDraft checks what must hold whenever a request is saved, even
// half-filled: lengths, code lists, formats, ranges and the order of the
// dates given. Missing answers are the checklist's and CheckSubmittable's
// business, not a draft's.
func ValidateDraft(r Request) error {
	f := fieldErrors{}
	checkText(f, "title", r.Title, maxTitle, false)
	if strings.TrimSpace(r.Title) == "" {
		f.add("title", requiredTitle.Message()) // even a draft needs a title
	}
	for _, s := range r.Sectors {
		if !oneOf(s, Sectors) {
			f.add("sectors", "field.choose")
		}
	}
	checkText(f, "need", r.Need, maxLongText, false)
	if r.PeopleTargeted < 0 || r.PeopleTargeted > 100_000_000 {
		f.add("people_targeted", "request.people_range")
	}
	if r.TaskCategory != "" && !oneOf(r.TaskCategory, TaskCategories) {
		f.add("task_category", "field.choose")
	}
	checkText(f, "capability", r.Capability, maxLongText, false)
	if r.SupportType != "" && !oneOf(r.SupportType, SupportTypes) {
		f.add("support_type", "field.choose")
	}
	checkText(f, "task_description", r.TaskDescription, maxLongText, false)
	validateLocation(f, "origin", r.Origin)
	validateLocation(f, "destination", r.Destination)
	if r.Priority != "" && !oneOf(r.Priority, Priorities) {
		f.add("priority", "field.choose")
	}
	checkText(f, "urgency_reason", r.UrgencyReason, maxNote, false)
	if !r.StartDate.IsZero() && !r.EndDate.IsZero() && r.EndDate.Before(r.StartDate) {
		f.add("end_date", "request.end_before_start")
	}
	if !r.ExitStrategy.Date.IsZero() && !r.StartDate.IsZero() && r.ExitStrategy.Date.Before(r.StartDate) {
		f.add("exit_strategy.date", "request.handover_before_start")
	}
	if !r.RequiredBy.IsZero() && !r.EndDate.IsZero() && DateOf(r.RequiredBy).After(r.EndDate) {
		f.add("required_by", "request.required_after_end")
	}
	seen := map[string]bool{}
	for i, c := range r.CivilianOptions {
		p := fmt.Sprintf("civilian_options.%d.", i)
		if !oneOf(c.Option, CivilianOptions) {
			f.add(p+"option", "field.choose")
		} else if seen[c.Option] {
			f.add(p+"option", "request.civilian_option_twice")
		}
		seen[c.Option] = true
		if !oneOf(c.Result, CivilianResults) {
			f.add(p+"result", "field.choose")
		}
		checkText(f, p+"note", c.Note, maxNote, false)
	}
	if len(r.CivilianOptions) > len(CivilianOptions) {
		f.add("civilian_options", "request.civilian_option_twice")
	}
	checkText(f, "complementarity", r.Complementarity, maxLongText, false)
	checkText(f, "exit_strategy.organization", r.ExitStrategy.Organization, maxShort, false)
	checkText(f, "exit_strategy.plan", r.ExitStrategy.Plan, maxLongText, false)
	checkText(f, "poc.name", r.POC.Name, maxShort, false)
	checkText(f, "poc.role", r.POC.Role, maxShort, false)
	checkText(f, "poc.phone", r.POC.Phone, 40, false)
	if r.POC.Phone != "" && !phoneRe.MatchString(r.POC.Phone) {
		f.add("poc.phone", "field.phone")
	}
	checkText(f, "poc.email", r.POC.Email, 254, false)
	if r.POC.Email != "" {
		if a, err := mail.ParseAddress(r.POC.Email); err != nil || a.Address != r.POC.Email || !strings.Contains(r.POC.Email[strings.LastIndex(r.POC.Email, "@"):], ".") {
			f.add("poc.email", "field.email")
		}
	}
	for id, a := range r.Checklist {
		item, ok := ChecklistItemByID(id)
		if !ok {
			f.add("checklist", "checklist.unknown_item")
			continue
		}
		if a.Value != "" && !oneOf(a.Value, item.Answer.Values()) {
			f.add("checklist."+id, "field.choose")
		}
		checkText(f, "checklist."+id+".note", a.Note, maxNote, false)
	}
	checkText(f, "escort.need_criticality", r.Escort.NeedCriticality, maxNote, false)
	checkText(f, "escort.responsible_authority", r.Escort.ResponsibleAuthority, maxNote, false)
	checkText(f, "escort.security_assessment", r.Escort.SecurityAssessment, maxShort, false)
	checkText(f, "escort.discontinuation_plan", r.Escort.DiscontinuationPlan, maxNote, false)
	if r.Escort.Compensation != "" && !oneOf(r.Escort.Compensation, EscortCompensations) {
		f.add("escort.compensation", "field.choose")
	}
	return f.err()
}

var phoneRe = regexp.MustCompile(`^\+?[0-9 ().-]{5,40}$`)

func validateLocation(f fieldErrors, prefix string, l Location) {
	checkText(f, prefix+".name", l.Name, maxShort, false)
	checkText(f, prefix+".adm1_name", l.Adm1Name, maxShort, false)
	checkText(f, prefix+".adm2_name", l.Adm2Name, maxShort, false)
	for field, code := range map[string]string{".adm1_pcode": l.Adm1PCode, ".adm2_pcode": l.Adm2PCode} {
		if code != "" && !pcodeRe.MatchString(code) {
			f.add(prefix+field, "field.pcode")
		}
	}
	if l.Adm1PCode != "" && l.Adm2PCode != "" && !strings.HasPrefix(l.Adm2PCode, l.Adm1PCode) {
		f.add(prefix+".adm2_pcode", "request.pcode_not_in_adm1")
	}
	switch {
	case (l.Lat == nil) != (l.Lon == nil):
		if l.Lat == nil {
			f.add(prefix+".lat", "request.coordinates_pair")
		} else {
			f.add(prefix+".lon", "request.coordinates_pair")
		}
	case l.Lat != nil:
		if math.IsNaN(*l.Lat) || *l.Lat < -90 || *l.Lat > 90 {
			f.add(prefix+".lat", "request.latitude_range")
		}
		if math.IsNaN(*l.Lon) || *l.Lon < -180 || *l.Lon > 180 {
			f.add(prefix+".lon", "request.longitude_range")
		}
	}
}

// RequiredField is a field a request must have before it is submitted,
// and how to tell it is missing. Its message (Message) says what to
// give, for this field: "Choose at least one sector", never "Enter a
// value".
type RequiredField struct {
	Field   string // as the form's input and the API name it
	Missing func(Request) bool
}

// Message is the i18n key of the field's message when it is missing.
func (f RequiredField) Message() string { return "request.required." + f.Field }

// Requirement is when a request's field must be filled.
type Requirement int

const (
	RequiredNever    Requirement = iota // optional
	RequiredToSubmit                    // before submission (RequiredFields)
	RequiredToSave                      // even to save a draft (the title)
)

// RequirementOf says when field must be filled, from the same table
// ValidateDraft and CheckSubmittable apply: what the form's labels say.
func RequirementOf(field string) Requirement {
	if field == requiredTitle.Field {
		return RequiredToSave
	}
	for _, rf := range RequiredFields {
		if rf.Field == field {
			return RequiredToSubmit
		}
	}
	return RequiredNever
}

// requiredTitle is the one field a draft needs to be saved at all.
var requiredTitle = RequiredField{"title", func(r Request) bool { return strings.TrimSpace(r.Title) == "" }}

// RequiredFields lists, in the form's order, every field a request must
// have before submission (PRODUCT.md §2). CheckSubmittable reads it;
// the form's labels and the tests walk it.
var RequiredFields = []RequiredField{
	requiredTitle,
	{"need", func(r Request) bool { return r.Need == "" }},
	{"sectors", func(r Request) bool { return len(r.Sectors) == 0 }},
	{"priority", func(r Request) bool { return r.Priority == "" }},
	{"required_by", func(r Request) bool { return r.RequiredBy.IsZero() }},
	{"task_category", func(r Request) bool { return r.TaskCategory == "" }},
	{"capability", func(r Request) bool { return r.Capability == "" }},
	{"support_type", func(r Request) bool { return r.SupportType == "" }},
	{"task_description", func(r Request) bool { return r.TaskDescription == "" }},
	{"start_date", func(r Request) bool { return r.StartDate.IsZero() }},
	{"end_date", func(r Request) bool { return r.EndDate.IsZero() }},
	{"destination.name", func(r Request) bool { return r.Destination.Name == "" }},
	{"civilian_options", func(r Request) bool { return len(r.CivilianOptions) == 0 }},
	{"complementarity", func(r Request) bool { return r.Complementarity == "" }},
	{"exit_strategy.organization", func(r Request) bool { return r.ExitStrategy.Organization == "" }},
	{"exit_strategy.date", func(r Request) bool { return r.ExitStrategy.Date.IsZero() }},
	{"exit_strategy.plan", func(r Request) bool { return r.ExitStrategy.Plan == "" }},
	{"poc.name", func(r Request) bool { return r.POC.Name == "" }},
	{"poc.role", func(r Request) bool { return r.POC.Role == "" }},
	{"poc.phone", func(r Request) bool { return r.POC.Phone == "" }},
	{"poc.email", func(r Request) bool { return r.POC.Email == "" }},
}

// WithSubmitProblems adds to refused — a save refused as invalid on its
// way to a submission (a draft without a title) — the problems that
// would then stop the submission (submit, CheckSubmittable's answer or
// nil), so one answer reports every problem at once. The save's message
// for a field comes first.
func WithSubmitProblems(refused *Error, submit error) *Error {
	var sub *Error
	if !errors.As(submit, &sub) || sub.Code != CodeInvalid {
		return refused
	}
	out := *refused
	out.Message = sub.Message
	out.Fields = fieldErrors{}
	for k, v := range refused.Fields {
		out.Fields[k] = v
	}
	for k, v := range sub.Fields {
		fieldErrors(out.Fields).add(k, v)
	}
	out.Items = append(slices.Clone(refused.Items), sub.Items...)
	out.Data = problemCount(out)
	return &out
}

// WithUnreadable lays unreadable — the values of an input that could not
// even be read (a date that is not one, a number sent as text), as a
// CodeInvalid error naming each field — over rest, the problems of the
// input as far as it was read (nil or a CodeInvalid error), so one answer
// reports every problem, on the page and in the API. A field's reading
// message wins: what was typed there never reached the rules. A rest
// that is another error (not found, forbidden) is returned as it is.
func WithUnreadable(unreadable, rest error) error {
	var read, other *Error
	if unreadable == nil {
		return rest
	}
	if !errors.As(unreadable, &read) || read.Code != CodeInvalid || len(read.Fields) == 0 {
		return unreadable
	}
	if rest == nil {
		return read
	}
	if !errors.As(rest, &other) || other.Code != CodeInvalid {
		return rest
	}
	out := *other
	out.Fields = maps.Clone(other.Fields)
	if out.Fields == nil {
		out.Fields = fieldErrors{}
	}
	maps.Copy(out.Fields, read.Fields)
	return &out
}

// CheckSubmittable returns a CodeInvalid error naming every field that
// must be filled before submission, plus the rules that depend on the
// time of submission (required-by in the future, the operation's lead
// time) — and, as Items, the failing checklist items of eval. It returns nil when the request may be submitted.
func CheckSubmittable(r Request, op Operation, eval Evaluation, now time.Time) error {
	var f fieldErrors
	if err := ValidateDraft(r); err != nil {
		f = fieldErrors(err.(*Error).Fields)
	} else {
		f = fieldErrors{}
	}
	for _, rf := range RequiredFields {
		if rf.Missing(r) {
			f.add(rf.Field, rf.Message())
		}
	}
	if !r.RequiredBy.IsZero() {
		switch {
		case !r.RequiredBy.After(now):
			f.add("required_by", "request.required_by_past")
		case r.RequiredBy.Sub(now) < time.Duration(op.LeadTimeHours)*time.Hour && r.UrgencyReason == "":
			f.add("urgency_reason", "request.urgency_reason_needed")
		}
	}
	failing := eval.Failing()
	if len(f) == 0 && len(failing) == 0 {
		return nil
	}
	e := &Error{Code: CodeInvalid, Message: "request.not_submittable", Fields: f}
	for _, it := range failing {
		e.Items = append(e.Items, ItemProblem{ID: it.ID, Status: string(it.Status), Reason: it.Reason})
	}
	e.Data = problemCount(*e)
	return e
}

// problemCount is the template data of request.not_submittable: how many
// problems e names (its fields and its items), so that the message reads
// the same wherever it is shown — above the form that marks each one, in
// place of the request page's submit control, in the API.
func problemCount(e Error) map[string]any {
	return map[string]any{"Count": len(e.Fields) + len(e.Items)}
}

// NeedsUrgencyReason reports whether the request, were it submitted at
// now, gives less notice than the operation's lead time.
func NeedsUrgencyReason(r Request, op Operation, now time.Time) bool {
	return !r.RequiredBy.IsZero() && r.RequiredBy.Sub(now) < time.Duration(op.LeadTimeHours)*time.Hour
}

// FormatReference returns the reference of the n-th request of an
// operation in country iso3: NPL-RFA-0042.
func FormatReference(iso3 string, n int) string { return fmt.Sprintf("%s-RFA-%04d", iso3, n) }

// IsReference reports whether s has the form FormatReference gives
// (NPL-RFA-0042), as the database's check on requests.reference has it:
// what a search by reference asks before it reaches the database.
func IsReference(s string) bool {
	iso, n, ok := strings.Cut(s, "-RFA-")
	if !ok || len(iso) != 3 || len(n) < 4 {
		return false
	}
	for _, c := range iso {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Comment is a remark on a request by a member of its operation. It is
// part of the record: its author may correct it for CommentEditWindow,
// after which it is fixed, and nobody may delete it.
type Comment struct {
	ID         int64
	RequestID  int64
	AuthorID   int64
	AuthorName string // read-only, joined for display
	AuthorOrg  string // read-only, joined for display
	Body       string
	CreatedAt  time.Time
	EditedAt   time.Time // zero when never edited
}

// SavedAt is when the comment was last saved: its correction, or its
// posting. An edit form carries it, to refuse overwriting a later save.
func (c Comment) SavedAt() time.Time {
	if !c.EditedAt.IsZero() {
		return c.EditedAt
	}
	return c.CreatedAt
}

// CommentEditedMeanwhile is the refusal of a correction of a comment
// that was corrected again after the editor opened it (another window):
// the text now is in the message and in the conflict, beside the
// editor's, which the form keeps.
func CommentEditedMeanwhile(now, yours string) *Error {
	e := EditedMeanwhile(map[string]any{"body": now}, map[string]any{"body": yours})
	e.Message, e.Data = "comment.changed_meanwhile", map[string]any{"Body": now}
	e.Fields = map[string]string{"body": "comment.changed_meanwhile_field"}
	return e
}

// CommentEditWindow is how long a comment's author may correct it.
const CommentEditWindow = 15 * time.Minute

// RepeatWindow is how soon the same comment from the same author counts
// as the same post sent twice (a double click), not a second comment.
const RepeatWindow = time.Minute

// ValidateComment checks a comment's body.
func ValidateComment(body string) error {
	f := fieldErrors{}
	checkText(f, "body", body, maxLongText, true)
	return f.err()
}

// CanEditComment decides whether a may change c at now: only its author,
// only within CommentEditWindow of its creation.
func CanEditComment(a Actor, c Comment, now time.Time) error {
	if a.UserID != c.AuthorID {
		return Errorf(CodeForbidden, "comment.not_author")
	}
	if now.Sub(c.CreatedAt) > CommentEditWindow {
		return Errorf(CodeConflict, "comment.locked")
	}
	return nil
}

// RequestSort orders a request list.
type RequestSort string

// Sorts of the request list.
const (
	SortUpdated    RequestSort = "updated"     // latest activity first (default)
	SortUrgency    RequestSort = "urgency"     // most urgent priority, then oldest submission, first
	SortRequiredBy RequestSort = "required_by" // soonest required-by first; none last
	SortReference  RequestSort = "reference"   // newest reference first
)

// RequestSorts lists every sort in display order.
var RequestSorts = []RequestSort{SortUpdated, SortUrgency, SortRequiredBy, SortReference}

// RequestFilter selects and orders a page of an operation's requests.
type RequestFilter struct {
	OperationID  int64
	Statuses     []Status
	Sector       string
	Priority     Priority
	TaskCategory TaskCategory
	OrgID        int64  // requesting organisation; 0 for any
	CreatedBy    int64  // 0 for anyone
	Query        string // free text over reference, title and need
	Sort         RequestSort
	Cursor       string // opaque: where the previous page ended
	Limit        int
	// DraftsOf is the organisation whose drafts the caller may see (their
	// own, as a requester); 0 shows no drafts at all.
	DraftsOf int64
	// AwaitingVoteOf keeps requests whose open review waits for this
	// organisation's vote; 0 for no such condition.
	AwaitingVoteOf int64
	// ReviewClosingBy keeps requests whose open review's deadline is at or
	// before it; zero for no such condition.
	ReviewClosingBy time.Time
	// EndingBy keeps requests whose end date is on or before it; zero for
	// no such condition.
	EndingBy time.Time
}

// MaxPageSize bounds a page of requests.
const MaxPageSize = 100

// NormalizeFilter fills defaults and refuses values outside the code
// lists (field errors on the query parameter names).
func NormalizeFilter(f *RequestFilter) error {
	fe := fieldErrors{}
	f.Query = strings.TrimSpace(f.Query)
	if utf8.RuneCountInString(f.Query) > 200 {
		fe.add("q", "field.too_long")
	}
	for _, s := range f.Statuses {
		if !oneOf(s, Statuses()) {
			fe.add("status", "field.choose")
		}
	}
	if f.Sector != "" && !oneOf(f.Sector, Sectors) {
		fe.add("sector", "field.choose")
	}
	if f.Priority != "" && !oneOf(f.Priority, Priorities) {
		fe.add("priority", "field.choose")
	}
	if f.TaskCategory != "" && !oneOf(f.TaskCategory, TaskCategories) {
		fe.add("task_category", "field.choose")
	}
	if f.Sort == "" {
		f.Sort = SortUpdated
	} else if !oneOf(f.Sort, RequestSorts) {
		fe.add("sort", "field.choose")
	}
	if f.Limit <= 0 || f.Limit > MaxPageSize {
		f.Limit = 25
	}
	return fe.err()
}

// RequestSummary is a request as lists show it.
type RequestSummary struct {
	ID                int64
	OperationID       int64
	Reference         string
	Title             string
	Status            Status
	Version           int
	Priority          Priority
	Sectors           []string
	TaskCategory      TaskCategory
	RequestingOrgID   int64
	RequestingOrgName string
	RequiredBy        time.Time
	SubmittedAt       time.Time
	UpdatedAt         time.Time
	// ReviewDeadline is the open HCT review's deadline; zero when none.
	ReviewDeadline time.Time
	EndDate        time.Time // zero when not given
}

// RequestPage is one page of a list and the cursor of the next (empty on
// the last page).
type RequestPage struct {
	Items      []RequestSummary
	NextCursor string
}

// extensionResets are the checklist items an extension answers again:
// the last-resort test itself (LR2–LR7) must hold anew for the new period.
var extensionResets = []string{"LR2", "LR3", "LR4", "LR5", "LR6", "LR7"}

// NewExtension returns the draft extending approved request r to newEnd:
// a copy covering the days after r's end date, with LR2–LR7 and the
// civilian options to answer again. It refuses an end date that does not
// extend r.
func NewExtension(r Request, newEnd time.Time) (Request, error) {
	newEnd = DateOf(newEnd)
	if newEnd.IsZero() || !newEnd.After(r.EndDate) {
		return Request{}, &Error{Code: CodeInvalid, Message: "error.invalid", Fields: map[string]string{"end_date": "extension.end_not_later"}}
	}
	e := r
	e.ID, e.Reference, e.Status, e.Version, e.ExtensionOf = 0, "", StatusDraft, 1, r.ID
	e.StatusReason, e.StatusReasonCode, e.CivilianReference, e.SubmittedAt = "", "", "", time.Time{}
	// The title stays the original's: the page says it is an extension
	// (ExtensionOf) in the reader's language, never stored English.
	e.StartDate = r.EndDate.AddDate(0, 0, 1)
	e.EndDate = newEnd
	e.RequiredBy = e.StartDate
	e.ExitStrategy.Date = newEnd
	e.CivilianOptions = nil
	e.Checklist = make(map[string]Answer, len(r.Checklist))
	for id, a := range r.Checklist {
		if !oneOf(id, extensionResets) {
			e.Checklist[id] = a
		}
	}
	return e, nil
}

// rank is v's place in list, after every listed value when not listed
// (an unknown code, which validation refuses, keeps its place at the end).
func rank(list []string, v string) int {
	if i := slices.Index(list, v); i >= 0 {
		return i
	}
	return len(list)
}
