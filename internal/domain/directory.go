package domain

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// OrgType classifies an organisation.
type OrgType string

// Organisation types (PRODUCT.md §2).
const (
	OrgUNAgency       OrgType = "un_agency"
	OrgINGO           OrgType = "ingo"
	OrgNNGO           OrgType = "nngo"
	OrgRedCross       OrgType = "red_cross_red_crescent"
	OrgGovernment     OrgType = "government"
	OrgMilitaryCivDef OrgType = "military_civil_defence"
	OrgOther          OrgType = "other"
)

// OrgTypes lists every organisation type in display order.
var OrgTypes = []OrgType{OrgUNAgency, OrgINGO, OrgNNGO, OrgRedCross, OrgGovernment, OrgMilitaryCivDef, OrgOther}

// Organization is a humanitarian, governmental or military body whose
// people use cmcoord. UNEntity marks bodies the UN HRDDP applies to.
type Organization struct {
	ID        int64
	Name      string
	Acronym   string
	Type      OrgType
	UNEntity  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Languages are the user interface languages a user may choose.
var Languages = []string{"en", "fr", "es", "ar"}

// User is a person who signs in. Exactly one organisation; roles come
// from memberships in operations.
type User struct {
	ID             int64
	Email          string
	Name           string
	OrganizationID int64
	Language       string
	IsAdmin        bool
	Disabled       bool
	// HasPassword is false until the user sets one through a link.
	HasPassword bool
	// SessionEpoch changes whenever every session of the user must end
	// (disabled, password changed); a session holds the epoch it began in.
	SessionEpoch int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Context is the kind of crisis an operation responds to; it changes some
// checklist gates.
type Context string

// Operation contexts.
const (
	ContextNaturalDisaster  Context = "natural_disaster"
	ContextComplexEmergency Context = "complex_emergency"
	ContextMixed            Context = "mixed"
)

// Contexts lists every context in display order.
var Contexts = []Context{ContextNaturalDisaster, ContextComplexEmergency, ContextMixed}

// PassRule decides whether an HCT review passes once quorum is met.
type PassRule string

// Pass rules.
const (
	PassConsensus PassRule = "consensus"
	PassMajority  PassRule = "majority"
)

// PassRules lists every pass rule.
var PassRules = []PassRule{PassConsensus, PassMajority}

// ReviewPolicy is how an operation's HCT reviews run. A review copies it
// when it opens, so a later change never alters a running review.
type ReviewPolicy struct {
	QuorumPercent     int
	PassRule          PassRule
	ReviewHours       int
	UrgentReviewHours int
	SealedVotes       bool
}

// DefaultReviewPolicy is the policy of a new operation.
var DefaultReviewPolicy = ReviewPolicy{QuorumPercent: 50, PassRule: PassConsensus, ReviewHours: 72, UrgentReviewHours: 12, SealedVotes: true}

// Operation is one crisis response, the scope of every request and role.
type Operation struct {
	ID          int64
	Code        string // e.g. NPL-EQ-2015
	Name        string
	CountryISO3 string
	GLIDE       string // optional, e.g. EQ-2015-000048-NPL
	Context     Context
	Policy      ReviewPolicy
	// LeadTimeHours is the minimum notice a request should give before it
	// is required; sooner needs an urgency reason.
	LeadTimeHours int
	Closed        bool
	// RequireSecondFactor makes its CMCoord officers and HC sign in with a
	// second factor (NeedsSecondFactor).
	RequireSecondFactor bool
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Membership gives a user roles in one operation.
type Membership struct {
	OperationID   int64
	OperationCode string
	OperationName string
	UserID        int64
	Roles         RoleSet
	// RequireSecondFactor is the operation's policy (Operation.RequireSecondFactor).
	RequireSecondFactor bool
	// ActingHCID is the acting period that adds RoleHC to Roles now (0:
	// none); TimeBound says a period is running or still to come, so the
	// roles depend on the time they are read at.
	ActingHCID int64
	TimeBound  bool
}

var (
	codeRe  = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,39}$`)
	iso3Re  = regexp.MustCompile(`^[A-Z]{3}$`)
	glideRe = regexp.MustCompile(`^[A-Z]{2}-[0-9]{4}-[0-9]{6}-[A-Z]{3}$`)
)

// fieldErrors collects per-field problems and turns them into one
// CodeInvalid error.
type fieldErrors map[string]string

func (f fieldErrors) add(field, key string) {
	if _, ok := f[field]; !ok {
		f[field] = key
	}
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: CodeInvalid, Message: "error.invalid", Fields: f}
}

func checkText(f fieldErrors, field, v string, max int, required bool) {
	switch n := utf8.RuneCountInString(v); {
	case required && strings.TrimSpace(v) == "":
		f.add(field, "field.required")
	case n > max:
		f.add(field, "field.too_long")
	case !utf8.ValidString(v) || strings.ContainsRune(v, 0): // PostgreSQL stores no NUL
		f.add(field, "field.invalid")
	}
}

// ValidateTokenName checks an API token's name, as its owner gave it
// (the service names a token given no name).
func ValidateTokenName(name string) error {
	f := fieldErrors{}
	checkText(f, "name", name, 100, false)
	return f.err()
}

// NormalizeOrganization trims o's text fields.
func NormalizeOrganization(o *Organization) {
	o.Name = strings.TrimSpace(o.Name)
	o.Acronym = strings.TrimSpace(o.Acronym)
}

// ValidateOrganization returns a CodeInvalid error naming each bad field.
func ValidateOrganization(o Organization) error {
	f := fieldErrors{}
	checkText(f, "name", o.Name, 200, true)
	checkText(f, "acronym", o.Acronym, 30, true)
	if !oneOf(o.Type, OrgTypes) {
		f.add("type", "field.choose")
	}
	return f.err()
}

// NormalizeEmail trims an address; comparison is case-insensitive in the
// database (a unique index on lower(email)).
func NormalizeEmail(s string) string { return strings.TrimSpace(s) }

// NormalizeUser trims u's text fields and defaults its language.
func NormalizeUser(u *User) {
	u.Email = NormalizeEmail(u.Email)
	u.Name = strings.TrimSpace(u.Name)
	if u.Language == "" {
		u.Language = "en"
	}
}

// checkEmail adds a field error unless v is one plain address.
func checkEmail(f fieldErrors, field, v string) {
	checkText(f, field, v, 254, true)
	if _, ok := f[field]; !ok {
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v || !strings.Contains(v[strings.LastIndex(v, "@"):], ".") {
			f.add(field, "field.email")
		}
	}
}

// InvitationEmail is the form in which an invitation keeps an address:
// trimmed and lower-cased, as accounts are matched (lower(email)).
func InvitationEmail(s string) string { return strings.ToLower(NormalizeEmail(s)) }

// ValidateEmail returns a CodeInvalid error on field unless email is one
// plain address, as an account's must be.
func ValidateEmail(field, email string) error {
	f := fieldErrors{}
	checkEmail(f, field, email)
	return f.err()
}

// ValidateUser returns a CodeInvalid error naming each bad field.
func ValidateUser(u User) error {
	f := fieldErrors{}
	checkEmail(f, "email", u.Email)
	checkText(f, "name", u.Name, 200, true)
	if u.OrganizationID <= 0 {
		f.add("organization_id", "field.choose")
	}
	if !oneOf(u.Language, Languages) {
		f.add("language", "field.choose")
	}
	return f.err()
}

// NormalizeOperation upper-cases codes and trims text.
func NormalizeOperation(o *Operation) {
	o.Code = strings.ToUpper(strings.TrimSpace(o.Code))
	o.Name = strings.TrimSpace(o.Name)
	o.CountryISO3 = strings.ToUpper(strings.TrimSpace(o.CountryISO3))
	o.GLIDE = strings.ToUpper(strings.TrimSpace(o.GLIDE))
}

// ValidateOperation returns a CodeInvalid error naming each bad field.
func ValidateOperation(o Operation) error {
	f := fieldErrors{}
	if !codeRe.MatchString(o.Code) {
		f.add("code", "field.operation_code")
	}
	checkText(f, "name", o.Name, 200, true)
	if !iso3Re.MatchString(o.CountryISO3) {
		f.add("country_iso3", "field.iso3")
	}
	if o.GLIDE != "" && !glideRe.MatchString(o.GLIDE) {
		f.add("glide", "field.glide")
	}
	if !oneOf(o.Context, Contexts) {
		f.add("context", "field.choose")
	}
	p := o.Policy
	if p.QuorumPercent < 1 || p.QuorumPercent > 100 {
		f.add("quorum_percent", "field.percent")
	}
	if !oneOf(p.PassRule, PassRules) {
		f.add("pass_rule", "field.choose")
	}
	if p.ReviewHours < 1 || p.ReviewHours > 720 {
		f.add("review_hours", "field.hours")
	}
	if p.UrgentReviewHours < 1 || p.UrgentReviewHours > 720 {
		f.add("urgent_review_hours", "field.hours")
	} else if p.UrgentReviewHours > p.ReviewHours {
		f.add("urgent_review_hours", "field.urgent_hours")
	}
	if o.LeadTimeHours < 0 || o.LeadTimeHours > 720 {
		f.add("lead_time_hours", "field.hours")
	}
	return f.err()
}

func oneOf[T comparable](v T, set []T) bool {
	for _, x := range set {
		if v == x {
			return true
		}
	}
	return false
}
