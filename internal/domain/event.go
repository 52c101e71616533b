package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"
)

// Event is one entry of a request's audit trail: who did what, when, and
// the details (Payload, canonical JSON). Each request's events form a
// hash chain: Hash is the SHA-256 of PrevHash and the event's canonical
// content, so changing any stored event breaks every hash after it.
type Event struct {
	ID        int64
	RequestID int64
	Seq       int // 1, 2, … within the request
	ActorID   int64
	ActorName string // read-only, joined for display
	Action    string
	Payload   []byte // canonical JSON object
	At        time.Time
	PrevHash  []byte // nil for the first event
	Hash      []byte
}

// Event actions that are not transitions.
const (
	EventCreated       = "request.created"
	EventEdited        = "request.edited"
	EventComment       = "request.commented"
	EventCommentEdited = "request.comment_edited"
	EventBriefing      = "request.briefing_recorded"
	EventVote          = "request.voted" // records that an organisation voted, never how
	EventConsent       = "request.consent_recorded"
	EventExtension     = "request.extension_requested"
	EventReport        = "request.execution_reported"
	EventAssessment    = "request.hrddp_assessed" // records that an assessment exists, never its content
	// EventVotersReminded records an officer's reminder to the
	// organisations that had not voted (ActionRemindVoters).
	EventVotersReminded = "request.voters_reminded"
	// Documents (attachment.go). Each payload names the document's
	// visibility; EventFor hides the rest from who may not see it.
	EventAttachmentAdded   = "request.attachment_added"   // id, kind, title, file, type, size, sha256, scanned
	EventAttachmentRefused = "request.attachment_refused" // the scanner found a threat: file, size, sha256, threat
	EventAttachmentRemoved = "request.attachment_removed" // id and why
	EventAttachmentPurged  = "request.attachment_purged"  // id and why; the content is gone, the hash stays
)

// EventKinds lists the event actions above: the events that are not
// transitions.
var EventKinds = []string{EventCreated, EventEdited, EventComment, EventCommentEdited, EventBriefing, EventVote,
	EventConsent, EventExtension, EventReport, EventAssessment, EventVotersReminded,
	EventAttachmentAdded, EventAttachmentRefused, EventAttachmentRemoved, EventAttachmentPurged}

// EventActions returns every action an audit event carries: the event
// kinds, then the rulebook's transitions (each transition appends an
// event named after its action). The record's sentences follow it.
func EventActions() []string {
	out := slices.Clone(EventKinds)
	for _, r := range Transitions() {
		out = append(out, string(r.Action))
	}
	return out
}

// NewEvent returns the next event of a chain whose last event is prev
// (nil for the first): it fixes the time to microseconds (what the
// database keeps), encodes payload canonically and computes the hash.
func NewEvent(prev *Event, requestID, actorID int64, action string, payload map[string]any, at time.Time) (Event, error) {
	body, err := CanonicalJSON(payload)
	if err != nil {
		return Event{}, err
	}
	e := Event{RequestID: requestID, ActorID: actorID, Action: action, Payload: body, At: at.UTC().Truncate(time.Microsecond), Seq: 1}
	if prev != nil {
		e.Seq = prev.Seq + 1
		e.PrevHash = prev.Hash
	}
	e.Hash = e.ComputeHash()
	return e, nil
}

// ComputeHash returns the SHA-256 over the previous hash and the event's
// canonical content (request, sequence, actor, action, time, payload).
func (e Event) ComputeHash() []byte {
	h := sha256.New()
	fmt.Fprintf(h, "cmcoord-event-v1\n%d\n%d\n%d\n%s\n%s\n", e.RequestID, e.Seq, e.ActorID, e.Action,
		e.At.UTC().Format("2006-01-02T15:04:05.000000Z"))
	h.Write(e.PrevHash)
	h.Write([]byte{'\n'})
	h.Write(e.Payload)
	return h.Sum(nil)
}

// ChainBreak describes the first event of a chain that does not verify.
type ChainBreak struct {
	RequestID int64
	Seq       int
	EventID   int64
	Problem   string
}

// VerifyNext checks e as the successor of prev (nil for the first event
// of a chain) and returns a non-nil break when it does not verify.
func VerifyNext(prev *Event, e Event) *ChainBreak {
	wantSeq, wantPrev := 1, []byte(nil)
	if prev != nil {
		wantSeq, wantPrev = prev.Seq+1, prev.Hash
	}
	if p := chainProblem(int64(e.Seq), int64(wantSeq), e.PrevHash, wantPrev, e.Hash, e.ComputeHash()); p != "" {
		return &ChainBreak{RequestID: e.RequestID, Seq: e.Seq, EventID: e.ID, Problem: p}
	}
	return nil
}

// CanonicalJSON encodes v with every object's keys sorted (struct
// fields included) and no insignificant space, so equal payloads hash
// equally and decoding then re-encoding gives the same bytes.
func CanonicalJSON(v any) ([]byte, error) {
	if v == nil || (reflect.ValueOf(v).Kind() == reflect.Map && reflect.ValueOf(v).IsNil()) {
		return []byte("{}"), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	// Through a generic value: maps encode with sorted keys; numbers stay
	// as written.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(generic); err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// Change is one field an edit changed, with its old and new values in the
// form they are shown and exported.
type Change struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

// Diff returns the fields that differ between old and new, in a stable
// order, for the audit trail of an edit.
func Diff(old, new Request) []Change {
	o, n := auditFields(old), auditFields(new)
	var out []Change
	for _, f := range auditFieldOrder {
		if !reflect.DeepEqual(o[f], n[f]) {
			out = append(out, Change{Field: f, Old: o[f], New: n[f]})
		}
	}
	return out
}

// EditableFields are the names of the request's fields an edit may
// change (the checklist's answers as one), in the order Diff lists them.
func EditableFields() []string { return slices.Clone(auditFieldOrder) }

var auditFieldOrder = []string{"title", "sectors", "need", "people_targeted", "task_category", "capability",
	"support_type", "task_description", "origin", "destination", "required_by", "start_date", "end_date",
	"priority", "urgency_reason", "civilian_options", "complementarity", "exit_strategy", "poc",
	"checklist", "escort"}

func fmtDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func fmtCoord(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func locationMap(l Location) map[string]string {
	return map[string]string{"name": l.Name, "adm1_name": l.Adm1Name, "adm1_pcode": l.Adm1PCode,
		"adm2_name": l.Adm2Name, "adm2_pcode": l.Adm2PCode, "lat": fmtCoord(l.Lat), "lon": fmtCoord(l.Lon)}
}

// auditFields flattens r's editable fields into JSON-friendly values.
func auditFields(r Request) map[string]any {
	sectors := append([]string{}, r.Sectors...)
	options := []map[string]string{}
	for _, c := range r.CivilianOptions {
		options = append(options, map[string]string{"option": c.Option, "result": c.Result, "note": c.Note})
	}
	checklist := map[string]map[string]string{}
	for id, a := range r.Checklist {
		checklist[id] = map[string]string{"value": a.Value, "note": a.Note}
	}
	return map[string]any{
		"title": r.Title, "sectors": sectors, "need": r.Need, "people_targeted": r.PeopleTargeted,
		"task_category": string(r.TaskCategory), "capability": r.Capability, "support_type": string(r.SupportType),
		"task_description": r.TaskDescription, "origin": locationMap(r.Origin), "destination": locationMap(r.Destination),
		"required_by": fmtTime(r.RequiredBy), "start_date": fmtDate(r.StartDate), "end_date": fmtDate(r.EndDate),
		"priority": string(r.Priority), "urgency_reason": r.UrgencyReason, "civilian_options": options,
		"complementarity": r.Complementarity,
		"exit_strategy":   map[string]string{"organization": r.ExitStrategy.Organization, "date": fmtDate(r.ExitStrategy.Date), "plan": r.ExitStrategy.Plan},
		"poc":             map[string]string{"name": r.POC.Name, "role": r.POC.Role, "phone": r.POC.Phone, "email": r.POC.Email},
		"checklist":       checklist,
		"escort": map[string]string{"need_criticality": r.Escort.NeedCriticality, "responsible_authority": r.Escort.ResponsibleAuthority,
			"security_assessment": r.Escort.SecurityAssessment, "discontinuation_plan": r.Escort.DiscontinuationPlan,
			"common_position_consulted": strconv.FormatBool(r.Escort.CommonPositionConsulted), "compensation": r.Escort.Compensation},
	}
}

// Snapshot returns r's editable fields as the creation event records them.
func Snapshot(r Request) map[string]any { return auditFields(r) }

// PayloadHas reports whether an event payload may hold a member named key
// at any depth: false means it surely holds none, so decoding it to look
// for one is skipped (a creation's snapshot is the largest payload, and
// a timeline shows many). Payloads are canonical JSON (CanonicalJSON),
// whose member names are written as they are, never escaped.
func PayloadHas(payload []byte, key string) bool {
	var quoted [64]byte
	if len(key)+2 > len(quoted) {
		return true
	}
	q := append(append(append(quoted[:0], '"'), key...), '"')
	return bytes.Contains(payload, q)
}
