package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// optional is one key of a request body read as a JSON merge patch
// (RFC 7396): absent leaves the value as it is, null clears it, anything
// else sets it; objects merge key by key and arrays are replaced whole.
// What is inside is decoded as strictly as the body itself, so an
// unknown key at any depth is refused (400). A value of the wrong type
// (a string for a number) is kept as unreadable: the key is then read as
// absent and unreadable reports it with its dotted path (origin.lat,
// checklist.LR4.note), together with every other problem of the body,
// as the page reports a date that is not one.
type optional[T any] struct {
	set  bool                     // the key was present
	null bool                     // … as null
	v    T                        // the value; T's zero value for null
	bad  *json.UnmarshalTypeError // the value, or one inside it at bad.Field, is of the wrong type
}

// UnmarshalJSON records that the key was present. encoding/json calls it
// for null too, because optional is not a pointer.
func (o *optional[T]) UnmarshalJSON(b []byte) error {
	*o = optional[T]{set: true} // a repeated key counts once, the last time
	if string(b) == "null" {
		o.null = true
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(&o.v)
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) {
		return err
	}
	// encoding/json reports the first wrong type and drops an unknown
	// key met after it: look for one, a typo is never ignored.
	var raw any
	if json.Unmarshal(b, &raw) == nil {
		if path, found := unknownKey(raw, reflect.TypeFor[T]()); found {
			return fmt.Errorf("json: unknown field %q", path)
		}
	}
	*o = optional[T]{bad: typeErr}
	return nil
}

// unreadable returns the path below o's key and the message of a value
// of the wrong type in it, and what o holds, to look further into.
func (o optional[T]) unreadable() (path, msg string, bad bool, inner any) {
	if o.bad != nil {
		return o.bad.Field, typeMessage(o.bad.Type), true, nil
	}
	return "", "", false, o.v
}

// unreadable adds to fields, by JSON path below path, the message of
// every value in v (a decoded body, walked down its objects and maps)
// that was of the wrong type.
func unreadable(v reflect.Value, path string, fields map[string]string) {
	if v.IsValid() && v.CanInterface() {
		if o, ok := v.Interface().(interface {
			unreadable() (string, string, bool, any)
		}); ok {
			sub, msg, bad, inner := o.unreadable()
			if bad {
				fields[joinPath(path, sub)] = msg
				return
			}
			v = reflect.ValueOf(inner)
		}
	}
	if !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			name := strings.Split(sf.Tag.Get("json"), ",")[0]
			switch {
			case !sf.IsExported() || name == "-":
			case sf.Anonymous && name == "":
				unreadable(v.Field(i), path, fields)
			default:
				unreadable(v.Field(i), joinPath(path, name), fields)
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			unreadable(v.MapIndex(k), joinPath(path, k.String()), fields)
		}
	}
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "." + b
}

// setTo copies o into *to when present (null stores the zero value).
func setTo[T any](to *T, o optional[T]) {
	if o.set {
		*to = o.v
	}
}

// setCode copies a code (task category, support type, priority) into *to
// when present; an unknown code is the domain's validation's to refuse.
func setCode[S ~string](to *S, o optional[string]) {
	if o.set {
		*to = S(o.v)
	}
}

// setCoord sets a coordinate when present; null clears it.
func setCoord(to **float64, o optional[float64]) {
	switch {
	case !o.set:
	case o.null:
		*to = nil
	default:
		v := o.v
		*to = &v
	}
}

// merger is an object of a merge patch that applies itself to a D.
type merger[D any] interface{ applyTo(*D) }

// mergeInto applies an object key: null clears the whole object, an
// object changes only the keys it names.
func mergeInto[T merger[D], D any](to *D, o optional[T]) {
	switch {
	case !o.set:
	case o.null:
		var zero D
		*to = zero
	default:
		o.v.applyTo(to)
	}
}

// requestInput is the body of POST /operations/{code}/requests and, with
// a version, of PATCH /requests/{id}: every field of a request its
// requester may set, by its PRODUCT.md §2 name. POST starts from an
// empty draft, PATCH from the stored request; either way only the keys
// present change (see optional). Dates are YYYY-MM-DD and required_by is
// RFC 3339; "" or null clears any of them.
type requestInput struct {
	Title           optional[string]                `json:"title"`
	Sectors         optional[[]string]              `json:"sectors"`
	Need            optional[string]                `json:"need"`
	PeopleTargeted  optional[int]                   `json:"people_targeted"`
	TaskCategory    optional[string]                `json:"task_category"`
	Capability      optional[string]                `json:"capability"`
	SupportType     optional[string]                `json:"support_type"`
	TaskDescription optional[string]                `json:"task_description"`
	Origin          optional[locationInput]         `json:"origin"`
	Destination     optional[locationInput]         `json:"destination"`
	RequiredBy      optional[string]                `json:"required_by"`
	StartDate       optional[string]                `json:"start_date"`
	EndDate         optional[string]                `json:"end_date"`
	Priority        optional[string]                `json:"priority"`
	UrgencyReason   optional[string]                `json:"urgency_reason"`
	CivilianOptions optional[[]civilianOptionInput] `json:"civilian_options"`
	Complementarity optional[string]                `json:"complementarity"`
	ExitStrategy    optional[exitStrategyInput]     `json:"exit_strategy"`
	POC             optional[contactInput]          `json:"poc"`
	Checklist       optional[checklistInput]        `json:"checklist"`
	Escort          optional[escortInput]           `json:"escort"`
}

// requestPatch is the body of PATCH /requests/{id}: the fields to change
// and the version the client last saw (required: 400 when missing, 409
// when stale).
type requestPatch struct {
	requestInput
	Version *int `json:"version"`
}

type locationInput struct {
	Name      optional[string]  `json:"name"`
	Adm1Name  optional[string]  `json:"adm1_name"`
	Adm1PCode optional[string]  `json:"adm1_pcode"`
	Adm2Name  optional[string]  `json:"adm2_name"`
	Adm2PCode optional[string]  `json:"adm2_pcode"`
	Lat       optional[float64] `json:"lat"`
	Lon       optional[float64] `json:"lon"`
}

func (in locationInput) applyTo(l *domain.Location) {
	setTo(&l.Name, in.Name)
	setTo(&l.Adm1Name, in.Adm1Name)
	setTo(&l.Adm1PCode, in.Adm1PCode)
	setTo(&l.Adm2Name, in.Adm2Name)
	setTo(&l.Adm2PCode, in.Adm2PCode)
	setCoord(&l.Lat, in.Lat)
	setCoord(&l.Lon, in.Lon)
}

// civilianOptionInput is one entry of civilian_options; the list is
// always replaced whole.
type civilianOptionInput struct {
	Option string `json:"option"`
	Result string `json:"result"`
	Note   string `json:"note"`
}

type exitStrategyInput struct {
	Organization optional[string] `json:"organization"`
	Date         optional[string] `json:"date"` // YYYY-MM-DD
	Plan         optional[string] `json:"plan"`
}

// applyTo leaves the date to requestInput.applyTo, which reports a
// malformed one as a field error.
func (in exitStrategyInput) applyTo(e *domain.ExitStrategy) {
	setTo(&e.Organization, in.Organization)
	setTo(&e.Plan, in.Plan)
}

type contactInput struct {
	Name  optional[string] `json:"name"`
	Role  optional[string] `json:"role"`
	Phone optional[string] `json:"phone"`
	Email optional[string] `json:"email"`
}

func (in contactInput) applyTo(c *domain.Contact) {
	setTo(&c.Name, in.Name)
	setTo(&c.Role, in.Role)
	setTo(&c.Phone, in.Phone)
	setTo(&c.Email, in.Email)
}

// checklistInput is the checklist key: answers by item ID, each an
// object to merge into the stored answer or null to remove it.
type checklistInput map[string]optional[answerInput]

// UnmarshalJSON decodes the answers one by one, so that a value of the
// wrong type is reported with its item (checklist.LR4.note):
// encoding/json names struct fields in its errors, never map keys.
func (c *checklistInput) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(checklistInput, len(raw))
	for id, v := range raw {
		var a optional[answerInput]
		if err := a.UnmarshalJSON(v); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				typeErr.Field = strings.TrimSuffix(id+"."+typeErr.Field, ".")
			}
			return err
		}
		out[id] = a
	}
	*c = out
	return nil
}

// answerInput is one checklist answer: a value of the item's answer type
// and a note (the justification, the reference, the detail).
type answerInput struct {
	Answer optional[string] `json:"answer"`
	Note   optional[string] `json:"note"`
}

func (in answerInput) applyTo(a *domain.Answer) {
	setTo(&a.Value, in.Answer)
	setTo(&a.Note, in.Note)
}

type escortInput struct {
	NeedCriticality      optional[string] `json:"need_criticality"`
	ResponsibleAuthority optional[string] `json:"responsible_authority"`
	SecurityAssessment   optional[string] `json:"security_assessment"`
	DiscontinuationPlan  optional[string] `json:"discontinuation_plan"`
	CommonPosition       optional[bool]   `json:"common_position_consulted"`
	Compensation         optional[string] `json:"compensation"`
}

func (in escortInput) applyTo(e *domain.Escort) {
	setTo(&e.NeedCriticality, in.NeedCriticality)
	setTo(&e.ResponsibleAuthority, in.ResponsibleAuthority)
	setTo(&e.SecurityAssessment, in.SecurityAssessment)
	setTo(&e.DiscontinuationPlan, in.DiscontinuationPlan)
	setTo(&e.CommonPositionConsulted, in.CommonPosition)
	setTo(&e.Compensation, in.Compensation)
}

// applyTo sets the keys present in in on r. Only what cannot be read is
// checked here — a value of the wrong JSON type, a date or a time that
// is not one (CodeInvalid naming each field by its JSON path; the key is
// left as it was); every other rule is the domain's, checked by the
// service after the merge, which reports these with every other problem
// (domain.WithUnreadable).
// The checklist merges item by item: an item given as null is removed,
// an item given as an object changes only the keys it names.
func (in requestInput) applyTo(r *domain.Request) error {
	fields := map[string]string{}
	unreadable(reflect.ValueOf(in), "", fields)
	setTo(&r.Title, in.Title)
	if in.Sectors.set {
		r.Sectors = append([]string{}, in.Sectors.v...)
	}
	setTo(&r.Need, in.Need)
	setTo(&r.PeopleTargeted, in.PeopleTargeted)
	setCode(&r.TaskCategory, in.TaskCategory)
	setTo(&r.Capability, in.Capability)
	setCode(&r.SupportType, in.SupportType)
	setTo(&r.TaskDescription, in.TaskDescription)
	mergeInto(&r.Origin, in.Origin)
	mergeInto(&r.Destination, in.Destination)
	setTime(fields, "required_by", &r.RequiredBy, in.RequiredBy)
	setDate(fields, "start_date", &r.StartDate, in.StartDate)
	setDate(fields, "end_date", &r.EndDate, in.EndDate)
	setCode(&r.Priority, in.Priority)
	setTo(&r.UrgencyReason, in.UrgencyReason)
	if in.CivilianOptions.set {
		r.CivilianOptions = nil
		for _, c := range in.CivilianOptions.v {
			r.CivilianOptions = append(r.CivilianOptions, domain.CivilianCheck(c))
		}
	}
	setTo(&r.Complementarity, in.Complementarity)
	mergeInto(&r.ExitStrategy, in.ExitStrategy)
	if e := in.ExitStrategy; e.set && !e.null {
		setDate(fields, "exit_strategy.date", &r.ExitStrategy.Date, e.v.Date)
	}
	mergeInto(&r.POC, in.POC)
	if c := in.Checklist; c.set {
		answers := maps.Clone(r.Checklist)
		if answers == nil || c.null {
			answers = map[string]domain.Answer{}
		}
		for id, item := range c.v {
			if item.null {
				delete(answers, id)
				continue
			}
			a := answers[id]
			item.v.applyTo(&a)
			answers[id] = a
		}
		r.Checklist = answers
	}
	mergeInto(&r.Escort, in.Escort)
	if len(fields) > 0 {
		return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: fields}
	}
	return nil
}

// setDate sets a calendar date given as YYYY-MM-DD; "" and null clear it.
func setDate(fields map[string]string, name string, to *time.Time, o optional[string]) {
	if !o.set {
		return
	}
	if o.v == "" {
		*to = time.Time{}
		return
	}
	d, err := time.Parse(time.DateOnly, o.v)
	if err != nil || !representable(d) {
		fields[name] = "field.date"
		return
	}
	*to = d
}

// setTime sets a time given in RFC 3339; "" and null clear it.
func setTime(fields map[string]string, name string, to *time.Time, o optional[string]) {
	if !o.set {
		return
	}
	if o.v == "" {
		*to = time.Time{}
		return
	}
	t, err := time.Parse(time.RFC3339, o.v)
	if err != nil || !representable(t) {
		fields[name] = "field.rfc3339"
		return
	}
	*to = t.UTC()
}

// representable reports whether t can be stored and shown again: not
// Go's zero time (which means "not given"), and in UTC within the years
// 1 to 9999 that RFC 3339 can write (9999-12-31T23:00:00-05:00 is not).
func representable(t time.Time) bool {
	y := t.UTC().Year()
	return !t.IsZero() && y >= 1 && y <= 9999
}

// transitionInput is the body of the workflow's actions: the version the
// client last saw and, where the action needs one, the reason.
type transitionInput struct {
	Version *int   `json:"version"`
	Reason  string `json:"reason"`
}

// redirectInput adds the civilian service the request goes to instead
// (e.g. a Logistics Cluster SRF number).
type redirectInput struct {
	Version           *int   `json:"version"`
	Reason            string `json:"reason"`
	CivilianReference string `json:"civilian_reference"`
}

// extendInput is the body of POST /requests/{id}/extend: the new end
// date (YYYY-MM-DD).
type extendInput struct {
	Version *int   `json:"version"`
	EndDate string `json:"end_date"`
}

// briefingInput is the officer's answer to LR17.
type briefingInput struct {
	Version *int   `json:"version"`
	Answer  string `json:"answer"`
	Note    string `json:"note"`
}

// briefingFields are the briefing body's fields by the name the domain
// (and the page's form) gives them.
var briefingFields = map[string]string{"checklist.LR17": "answer", "checklist.LR17.note": "note"}

// commentInput is the body of POST and PATCH on comments.
type commentInput struct {
	Body string `json:"body"`
}

// staleVersion is never a request's version (they start at 1).
const staleVersion = -1

// versionOf returns the version a change says it was based on. A body
// without one (or with one below 1) is missing it: the service answers
// 400 "version required" naming the field (domain.CheckVersion), after
// deciding whether the caller may act at all, so who may not see the
// request still gets 404, who may not act 403 and a wrong state 409.
// (0 would tell Requests.Edit not to check.)
func versionOf(v *int) int {
	if v == nil || *v < 1 {
		return staleVersion
	}
	return *v
}

// givenVersion returns the version a step that only adds a record says
// it was based on, 0 when none: optional, but checked when given (a
// stale one is 409, domain.CheckStepVersion); one below 1 is one the
// request never had (400, as missing where it is required).
func givenVersion(v *int) int {
	if v == nil {
		return 0
	}
	return versionOf(v)
}

// invalid is a CodeInvalid error naming the field at fault.
func invalid(field, key string) error {
	return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{field: key}}
}
