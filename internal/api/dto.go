package api

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
)

// The DTOs below are the API's contract, documented in openapi.json. They
// are built from domain values field by field so that renaming a domain
// field never moves the contract. Times are RFC 3339 in UTC.

// errorEnvelope is the body of every failure.
type errorEnvelope struct {
	Error errorDTO `json:"error"`
}

type errorDTO struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageID string `json:"message_id"`
	// Fields maps an input field to its translated problem;
	// FieldMessageIDs to the message ID of that problem.
	Fields          map[string]string `json:"fields,omitempty"`
	FieldMessageIDs map[string]string `json:"field_message_ids,omitempty"`
	// Items lists failing numbered items (the checklist items that stop
	// a submission), each with its status and reason.
	Items []errorItemDTO `json:"items,omitempty"`
	// Conflict is, on a stale version (409), the version the object is
	// at now and, for an edit, what changed since the version sent.
	Conflict  *conflictDTO `json:"conflict,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
}

// conflictDTO is domain.Conflict: the current version and the fields
// changed since the version a stale change was based on.
type conflictDTO struct {
	Version int                  `json:"version"`
	Changes []domain.FieldChange `json:"changes,omitempty"`
}

// errorItemDTO is one failing item of an error: its ID (LR4), status
// (missing, blocked, needs_justification) and the reason, translated and
// as a message ID.
type errorItemDTO struct {
	ID              string `json:"id"`
	Status          string `json:"status"`
	Reason          string `json:"reason"`
	ReasonMessageID string `json:"reason_message_id"`
}

func utc(t time.Time) time.Time { return t.UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

type organizationDTO struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Acronym   string    `json:"acronym"`
	Type      string    `json:"type"`
	UNEntity  bool      `json:"un_entity"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func newOrganizationDTO(o domain.Organization) organizationDTO {
	return organizationDTO{ID: o.ID, Name: o.Name, Acronym: o.Acronym, Type: string(o.Type), UNEntity: o.UNEntity,
		CreatedAt: utc(o.CreatedAt), UpdatedAt: utc(o.UpdatedAt)}
}

// organizationRefDTO names an organisation inside another record.
type organizationRefDTO struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Acronym string `json:"acronym"`
}

type userDTO struct {
	ID             int64     `json:"id"`
	Email          string    `json:"email"`
	Name           string    `json:"name"`
	OrganizationID int64     `json:"organization_id"`
	Language       string    `json:"language"`
	IsAdmin        bool      `json:"is_admin"`
	Disabled       bool      `json:"disabled"`
	HasPassword    bool      `json:"has_password"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func newUserDTO(u domain.User) userDTO {
	return userDTO{ID: u.ID, Email: u.Email, Name: u.Name, OrganizationID: u.OrganizationID, Language: u.Language,
		IsAdmin: u.IsAdmin, Disabled: u.Disabled, HasPassword: u.HasPassword,
		CreatedAt: utc(u.CreatedAt), UpdatedAt: utc(u.UpdatedAt)}
}

// createdUserDTO is a new user; SetPasswordURL is there when the user was
// created without a password.
type createdUserDTO struct {
	userDTO
	SetPasswordURL string `json:"set_password_url,omitempty"`
}

type passwordLinkDTO struct {
	SetPasswordURL string `json:"set_password_url"`
}

type reviewPolicyDTO struct {
	QuorumPercent     int    `json:"quorum_percent"`
	PassRule          string `json:"pass_rule"`
	ReviewHours       int    `json:"review_hours"`
	UrgentReviewHours int    `json:"urgent_review_hours"`
	SealedVotes       bool   `json:"sealed_votes"`
}

type operationDTO struct {
	ID            int64           `json:"id"`
	Code          string          `json:"code"`
	Name          string          `json:"name"`
	CountryISO3   string          `json:"country_iso3"`
	GLIDE         string          `json:"glide"`
	Context       string          `json:"context"`
	ReviewPolicy  reviewPolicyDTO `json:"review_policy"`
	LeadTimeHours int             `json:"lead_time_hours"`
	Closed        bool            `json:"closed"`
	// RequireSecondFactor: its officers and HC sign in with a second factor.
	RequireSecondFactor bool      `json:"require_second_factor"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

func newOperationDTO(o domain.Operation) operationDTO {
	p := o.Policy
	return operationDTO{ID: o.ID, Code: o.Code, Name: o.Name, CountryISO3: o.CountryISO3, GLIDE: o.GLIDE,
		Context: string(o.Context),
		ReviewPolicy: reviewPolicyDTO{QuorumPercent: p.QuorumPercent, PassRule: string(p.PassRule),
			ReviewHours: p.ReviewHours, UrgentReviewHours: p.UrgentReviewHours, SealedVotes: p.SealedVotes},
		LeadTimeHours: o.LeadTimeHours, Closed: o.Closed, RequireSecondFactor: o.RequireSecondFactor,
		CreatedAt: utc(o.CreatedAt), UpdatedAt: utc(o.UpdatedAt)}
}

type memberUserDTO struct {
	ID           int64              `json:"id"`
	Name         string             `json:"name"`
	Email        string             `json:"email"`
	Organization organizationRefDTO `json:"organization"`
}

type memberDTO struct {
	User  memberUserDTO `json:"user"`
	Roles []string      `json:"roles"`
}

func newMemberDTO(m domain.Member) memberDTO {
	return memberDTO{
		User: memberUserDTO{ID: m.User.ID, Name: m.User.Name, Email: m.User.Email,
			Organization: organizationRefDTO{ID: m.Organization.ID, Name: m.Organization.Name, Acronym: m.Organization.Acronym}},
		Roles: roleNames(m.Roles),
	}
}

// invitationDTO is a pending invitation: an address, the roles it will
// get, who invited it and when.
type invitationDTO struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Roles     []string  `json:"roles"`
	InvitedBy refDTO    `json:"invited_by"`
	CreatedAt time.Time `json:"created_at"`
}

func newInvitationDTO(i domain.Invitation) invitationDTO {
	return invitationDTO{ID: i.ID, Email: i.Email, Roles: roleNames(i.Roles),
		InvitedBy: refDTO{ID: i.InvitedBy, Name: i.InvitedByName}, CreatedAt: utc(i.CreatedAt)}
}

// roleNames never returns nil, so the JSON is [] rather than null.
func roleNames(s domain.RoleSet) []string {
	return append([]string{}, s.Strings()...)
}

type tokenDTO struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	Scope      string     `json:"scope"`
	ExpiresAt  *time.Time `json:"expires_at"`
}

func newTokenDTO(t domain.APIToken) tokenDTO {
	return tokenDTO{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: utc(t.CreatedAt),
		LastUsedAt: utcPtr(t.LastUsedAt), RevokedAt: utcPtr(t.RevokedAt), Scope: string(t.Scope), ExpiresAt: utcPtr(t.ExpiresAt)}
}

// createdTokenDTO is a new token with its secret, shown this once.
type createdTokenDTO struct {
	Token string `json:"token"`
	tokenDTO
}

type membershipDTO struct {
	OperationCode string   `json:"operation_code"`
	OperationName string   `json:"operation_name"`
	Roles         []string `json:"roles"`
}

type meDTO struct {
	ID           int64              `json:"id"`
	Email        string             `json:"email"`
	Name         string             `json:"name"`
	Language     string             `json:"language"`
	IsAdmin      bool               `json:"is_admin"`
	Organization organizationRefDTO `json:"organization"`
	Memberships  []membershipDTO    `json:"memberships"`
}

// listDTO wraps every list in an object, so fields (a cursor, a total)
// can be added later without breaking clients.
type listDTO[T any] struct {
	Items []T `json:"items"`
}

func newList[S, T any](in []S, conv func(S) T) listDTO[T] {
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = conv(v)
	}
	return listDTO[T]{Items: out}
}

// refDTO names a user or an organisation inside another record.
type refDTO struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// operationRefDTO names the operation a request belongs to.
type operationRefDTO struct {
	ID   int64  `json:"id"`
	Code string `json:"code"`
	Name string `json:"name"`
}

// dateOrNil is a calendar date as YYYY-MM-DD, or null when not given.
func dateOrNil(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

// timeOrNil is t in UTC, or null when not given.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return utcPtr(&t)
}

type locationDTO struct {
	Name      string   `json:"name"`
	Adm1Name  string   `json:"adm1_name"`
	Adm1PCode string   `json:"adm1_pcode"`
	Adm2Name  string   `json:"adm2_name"`
	Adm2PCode string   `json:"adm2_pcode"`
	Lat       *float64 `json:"lat"`
	Lon       *float64 `json:"lon"`
}

func newLocationDTO(l domain.Location) locationDTO {
	return locationDTO{Name: l.Name, Adm1Name: l.Adm1Name, Adm1PCode: l.Adm1PCode, Adm2Name: l.Adm2Name,
		Adm2PCode: l.Adm2PCode, Lat: l.Lat, Lon: l.Lon}
}

type civilianOptionDTO struct {
	Option string `json:"option"`
	Result string `json:"result"`
	Note   string `json:"note"`
}

type exitStrategyDTO struct {
	Organization string  `json:"organization"`
	Date         *string `json:"date"`
	Plan         string  `json:"plan"`
}

type contactDTO struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

type answerDTO struct {
	Answer string `json:"answer"`
	Note   string `json:"note"`
}

type escortDTO struct {
	NeedCriticality      string `json:"need_criticality"`
	ResponsibleAuthority string `json:"responsible_authority"`
	SecurityAssessment   string `json:"security_assessment"`
	DiscontinuationPlan  string `json:"discontinuation_plan"`
	CommonPosition       bool   `json:"common_position_consulted"`
	Compensation         string `json:"compensation"`
}

// checklistItemDTO is one item's evaluation. Reason (translated) and
// ReasonMessageID are there when the item is not ok, or when reviewers
// should look at it anyway.
type checklistItemDTO struct {
	ID              string `json:"id"`
	Status          string `json:"status"`
	State           string `json:"state"`
	Gate            string `json:"gate"`
	Reason          string `json:"reason,omitempty"`
	ReasonMessageID string `json:"reason_message_id,omitempty"`
	Justified       bool   `json:"justified"`
	Warning         bool   `json:"warning"`
}

type evaluationDTO struct {
	Complete bool               `json:"complete"`
	Items    []checklistItemDTO `json:"items"`
	Flags    []string           `json:"flags"`
}

func newEvaluationDTO(ctx context.Context, e domain.Evaluation) evaluationDTO {
	out := evaluationDTO{Complete: e.Complete(), Items: []checklistItemDTO{}, Flags: []string{}}
	for _, it := range e.Items {
		out.Items = append(out.Items, checklistItemDTO{ID: it.ID, Status: string(it.Status), State: string(it.State()), Gate: string(it.Gate),
			Reason: translate(ctx, it.Reason), ReasonMessageID: it.Reason, Justified: it.Justified, Warning: it.Warning})
	}
	for _, f := range e.Flags {
		out.Flags = append(out.Flags, string(f))
	}
	return out
}

// translate is i18n.T that leaves an empty message ID empty.
func translate(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	return i18n.T(ctx, id)
}

// requestDTO is a request as GET /requests/{id} shows it to the caller:
// its fields, the checklist's evaluation, and what the caller may do now
// (Actions are domain action IDs such as request.submit). POC is null
// and ContactHidden true when the caller may not see contact details.
type requestDTO struct {
	ID                     int64                `json:"id"`
	Operation              operationRefDTO      `json:"operation"`
	Reference              string               `json:"reference"`
	Status                 string               `json:"status"`
	StatusReason           string               `json:"status_reason"`
	StatusReasonCode       string               `json:"status_reason_code"`
	CivilianReference      string               `json:"civilian_reference"`
	Version                int                  `json:"version"`
	Title                  string               `json:"title"`
	RequestingOrganization refDTO               `json:"requesting_organization"`
	CreatedBy              refDTO               `json:"created_by"`
	Sectors                []string             `json:"sectors"`
	Need                   string               `json:"need"`
	PeopleTargeted         int                  `json:"people_targeted"`
	TaskCategory           string               `json:"task_category"`
	Capability             string               `json:"capability"`
	SupportType            string               `json:"support_type"`
	TaskDescription        string               `json:"task_description"`
	Origin                 locationDTO          `json:"origin"`
	Destination            locationDTO          `json:"destination"`
	RequiredBy             *time.Time           `json:"required_by"`
	StartDate              *string              `json:"start_date"`
	EndDate                *string              `json:"end_date"`
	Priority               string               `json:"priority"`
	UrgencyReason          string               `json:"urgency_reason"`
	CivilianOptions        []civilianOptionDTO  `json:"civilian_options"`
	Complementarity        string               `json:"complementarity"`
	ExitStrategy           exitStrategyDTO      `json:"exit_strategy"`
	POC                    *contactDTO          `json:"poc"`
	ContactHidden          bool                 `json:"contact_hidden"`
	Checklist              map[string]answerDTO `json:"checklist"`
	Escort                 escortDTO            `json:"escort"`
	Evaluation             evaluationDTO        `json:"evaluation"`
	NeedsUrgencyReason     bool                 `json:"needs_urgency_reason"`
	Actions                []string             `json:"actions"`
	BlockedActions         []blockedActionDTO   `json:"blocked_actions"`
	CanEdit                bool                 `json:"can_edit"`
	CanComment             bool                 `json:"can_comment"`
	SubmittedAt            *time.Time           `json:"submitted_at"`
	CreatedAt              time.Time            `json:"created_at"`
	UpdatedAt              time.Time            `json:"updated_at"`
	ExtensionOf            *requestLinkDTO      `json:"extension_of"`
	Extensions             []requestLinkDTO     `json:"extensions"`
	// ChangesSincePreviousSubmission is null unless the request was
	// submitted at least twice.
	ChangesSincePreviousSubmission *resubmissionDTO `json:"changes_since_previous_submission"`
}

// resubmissionDTO is what changed between a request's previous
// submission and its latest (domain.Resubmission), as the caller may see
// it: the request page's and the decision record's rows.
type resubmissionDTO struct {
	PreviousSubmittedAt time.Time   `json:"previous_submitted_at"`
	PreviousVersion     int         `json:"previous_version"`
	SubmittedAt         time.Time   `json:"submitted_at"`
	Version             int         `json:"version"`
	Changes             []changeDTO `json:"changes"`
}

// changeDTO is one changed field with its values as the audit trail
// keeps them; a checklist item is checklist.<ID> with {"value", "note"}.
type changeDTO struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

func newResubmissionDTO(rs *domain.Resubmission) *resubmissionDTO {
	if rs == nil {
		return nil
	}
	out := &resubmissionDTO{PreviousSubmittedAt: utc(rs.PreviousAt), PreviousVersion: rs.PreviousVersion,
		SubmittedAt: utc(rs.LatestAt), Version: rs.LatestVersion, Changes: make([]changeDTO, 0, len(rs.Changes))}
	for _, c := range rs.Changes {
		out.Changes = append(out.Changes, changeDTO{Field: c.Field, Old: c.Old, New: c.New})
	}
	return out
}

// requestLinkDTO is a request linked as an extension or as the request
// extended.
type requestLinkDTO struct {
	ID        int64  `json:"id"`
	Reference string `json:"reference"`
	Status    string `json:"status"`
}

func newRequestLinkDTO(ref domain.RequestRef) requestLinkDTO {
	return requestLinkDTO{ID: ref.ID, Reference: ref.Reference, Status: string(ref.Status)}
}

func newRequestDTO(ctx context.Context, d service.RequestDetail) requestDTO {
	r := d.Request
	out := requestDTO{
		ID: r.ID, Operation: operationRefDTO{ID: d.Operation.ID, Code: d.Operation.Code, Name: d.Operation.Name},
		Reference: r.Reference, Status: string(r.Status), StatusReason: httpface.Reason(ctx, r.StatusReasonCode, r.StatusReason),
		StatusReasonCode: string(r.StatusReasonCode), CivilianReference: r.CivilianReference,
		Version: r.Version, Title: r.Title,
		RequestingOrganization: refDTO{ID: r.RequestingOrgID, Name: r.RequestingOrgName},
		CreatedBy:              refDTO{ID: r.CreatedBy, Name: r.CreatedByName},
		Sectors:                append([]string{}, r.Sectors...), Need: r.Need, PeopleTargeted: r.PeopleTargeted,
		TaskCategory: string(r.TaskCategory), Capability: r.Capability, SupportType: string(r.SupportType),
		TaskDescription: r.TaskDescription, Origin: newLocationDTO(r.Origin), Destination: newLocationDTO(r.Destination),
		RequiredBy: timeOrNil(r.RequiredBy), StartDate: dateOrNil(r.StartDate), EndDate: dateOrNil(r.EndDate),
		Priority: string(r.Priority), UrgencyReason: r.UrgencyReason, CivilianOptions: []civilianOptionDTO{},
		Complementarity: r.Complementarity,
		ExitStrategy: exitStrategyDTO{Organization: r.ExitStrategy.Organization, Date: dateOrNil(r.ExitStrategy.Date),
			Plan: r.ExitStrategy.Plan},
		ContactHidden: d.ContactHidden, Checklist: make(map[string]answerDTO, len(r.Checklist)),
		Escort: escortDTO{NeedCriticality: r.Escort.NeedCriticality, ResponsibleAuthority: r.Escort.ResponsibleAuthority,
			SecurityAssessment: r.Escort.SecurityAssessment, DiscontinuationPlan: r.Escort.DiscontinuationPlan,
			CommonPosition: r.Escort.CommonPositionConsulted, Compensation: r.Escort.Compensation},
		Evaluation: newEvaluationDTO(ctx, d.Evaluation), NeedsUrgencyReason: d.NeedsUrgencyReason,
		Actions: []string{}, BlockedActions: []blockedActionDTO{}, CanEdit: d.CanEdit, CanComment: d.CanComment,
		SubmittedAt: timeOrNil(r.SubmittedAt), CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt),
	}
	for _, c := range r.CivilianOptions {
		out.CivilianOptions = append(out.CivilianOptions, civilianOptionDTO{Option: c.Option, Result: c.Result, Note: c.Note})
	}
	if !d.ContactHidden {
		out.POC = &contactDTO{Name: r.POC.Name, Role: r.POC.Role, Phone: r.POC.Phone, Email: r.POC.Email}
	}
	for id, a := range r.Checklist {
		out.Checklist[id] = answerDTO{Answer: a.Value, Note: a.Note}
	}
	for _, act := range d.Actions {
		if r, _ := domain.RuleFor(act); r.Step() { // each has a route
			out.Actions = append(out.Actions, string(act))
		}
	}
	if d.ExtensionOf != nil {
		l := newRequestLinkDTO(*d.ExtensionOf)
		out.ExtensionOf = &l
	}
	out.ChangesSincePreviousSubmission = newResubmissionDTO(d.Resubmission)
	out.Extensions = make([]requestLinkDTO, 0, len(d.Extensions))
	for _, e := range d.Extensions {
		out.Extensions = append(out.Extensions, newRequestLinkDTO(e))
	}
	for _, r := range domain.Rules { // table order
		if err := d.Blocked[r.Action]; err != nil && r.Step() {
			out.BlockedActions = append(out.BlockedActions, blockedActionDTO{Action: string(r.Action),
				Reason: httpface.Message(ctx, err), ReasonMessageID: domain.ErrorMessage(err)})
		}
	}
	return out
}

// blockedActionDTO is a step the caller would take now but for its
// guard (domain.BlockedActions), with why: what a page says in place of
// the control. Taking it is refused with that very message.
type blockedActionDTO struct {
	Action          string `json:"action"`
	Reason          string `json:"reason"`
	ReasonMessageID string `json:"reason_message_id"`
}

// requestSummaryDTO is a request as lists show it.
type requestSummaryDTO struct {
	ID                     int64      `json:"id"`
	OperationID            int64      `json:"operation_id"`
	Reference              string     `json:"reference"`
	Title                  string     `json:"title"`
	Status                 string     `json:"status"`
	Version                int        `json:"version"`
	Priority               string     `json:"priority"`
	Sectors                []string   `json:"sectors"`
	TaskCategory           string     `json:"task_category"`
	RequestingOrganization refDTO     `json:"requesting_organization"`
	RequiredBy             *time.Time `json:"required_by"`
	SubmittedAt            *time.Time `json:"submitted_at"`
	UpdatedAt              time.Time  `json:"updated_at"`
}

func newRequestSummaryDTO(s domain.RequestSummary) requestSummaryDTO {
	return requestSummaryDTO{ID: s.ID, OperationID: s.OperationID, Reference: s.Reference, Title: s.Title,
		Status: string(s.Status), Version: s.Version, Priority: string(s.Priority), Sectors: append([]string{}, s.Sectors...),
		TaskCategory: string(s.TaskCategory), RequestingOrganization: refDTO{ID: s.RequestingOrgID, Name: s.RequestingOrgName},
		RequiredBy: timeOrNil(s.RequiredBy), SubmittedAt: timeOrNil(s.SubmittedAt), UpdatedAt: utc(s.UpdatedAt)}
}

// requestPageDTO is one page of a request list; NextCursor, passed back
// as ?cursor=, fetches the next one and is null on the last page.
type requestPageDTO struct {
	listDTO[requestSummaryDTO]
	NextCursor *string `json:"next_cursor"`
}

func newRequestPageDTO(p domain.RequestPage) requestPageDTO {
	out := requestPageDTO{listDTO: newList(p.Items, newRequestSummaryDTO)}
	if p.NextCursor != "" {
		out.NextCursor = &p.NextCursor
	}
	return out
}

// authorDTO is who wrote a comment, with their organisation's name.
type authorDTO struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Organization string `json:"organization"`
}

type commentDTO struct {
	ID        int64      `json:"id"`
	RequestID int64      `json:"request_id"`
	Author    authorDTO  `json:"author"`
	Body      string     `json:"body"`
	CreatedAt time.Time  `json:"created_at"`
	EditedAt  *time.Time `json:"edited_at"`
}

func newCommentDTO(c domain.Comment) commentDTO {
	return commentDTO{ID: c.ID, RequestID: c.RequestID,
		Author: authorDTO{ID: c.AuthorID, Name: c.AuthorName, Organization: c.AuthorOrg},
		Body:   c.Body, CreatedAt: utc(c.CreatedAt), EditedAt: timeOrNil(c.EditedAt)}
}

// eventDTO is one entry of the audit trail. Hashes are lowercase hex;
// Hash is the SHA-256 over PrevHash and the event's canonical content,
// so each event vouches for every one before it. Actor is null for
// cmcoord's own (system) events, and for a vote the caller may not see
// (domain.EventFor: the event then says only that a vote was recorded).
type eventDTO struct {
	ID       int64           `json:"id"`
	Seq      int             `json:"seq"`
	Actor    *refDTO         `json:"actor"`
	Action   string          `json:"action"`
	Payload  json.RawMessage `json:"payload"`
	At       time.Time       `json:"at"`
	PrevHash *string         `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

func newEventDTO(e domain.Event) eventDTO {
	out := eventDTO{ID: e.ID, Seq: e.Seq, Action: e.Action, Payload: json.RawMessage(e.Payload), At: utc(e.At),
		Hash: hex.EncodeToString(e.Hash)}
	if e.ActorID != 0 {
		out.Actor = &refDTO{ID: e.ActorID, Name: e.ActorName}
	}
	if len(e.PrevHash) > 0 {
		h := hex.EncodeToString(e.PrevHash)
		out.PrevHash = &h
	}
	if len(out.Payload) == 0 {
		out.Payload = json.RawMessage("{}")
	}
	return out
}
