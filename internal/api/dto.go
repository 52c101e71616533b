package api

import (
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
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
	RequestID       string            `json:"request_id,omitempty"`
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
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
}

func newOperationDTO(o domain.Operation) operationDTO {
	p := o.Policy
	return operationDTO{ID: o.ID, Code: o.Code, Name: o.Name, CountryISO3: o.CountryISO3, GLIDE: o.GLIDE,
		Context: string(o.Context),
		ReviewPolicy: reviewPolicyDTO{QuorumPercent: p.QuorumPercent, PassRule: string(p.PassRule),
			ReviewHours: p.ReviewHours, UrgentReviewHours: p.UrgentReviewHours, SealedVotes: p.SealedVotes},
		LeadTimeHours: o.LeadTimeHours, Closed: o.Closed, CreatedAt: utc(o.CreatedAt), UpdatedAt: utc(o.UpdatedAt)}
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

func newMemberDTO(m store.Member) memberDTO {
	return memberDTO{
		User: memberUserDTO{ID: m.User.ID, Name: m.User.Name, Email: m.User.Email,
			Organization: organizationRefDTO{ID: m.Organization.ID, Name: m.Organization.Name, Acronym: m.Organization.Acronym}},
		Roles: roleNames(m.Roles),
	}
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
}

func newTokenDTO(t store.APIToken) tokenDTO {
	return tokenDTO{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: utc(t.CreatedAt),
		LastUsedAt: utcPtr(t.LastUsedAt), RevokedAt: utcPtr(t.RevokedAt)}
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
