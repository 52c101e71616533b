package domain

import "time"

// Records the services read for the faces as they are stored: no rule
// reads them, but they belong here so that neither face needs the store.

// APIToken is a token's public record; the secret is never stored.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	// Scope is what the token may do: TokenRead (safe methods only) or
	// TokenFull.
	Scope TokenScope
	// ExpiresAt is when the token stops working; nil never.
	ExpiresAt *time.Time
}

// Live reports whether t works at now: not revoked and not expired.
func (t APIToken) Live(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

// Member is one row of an operation's member list.
type Member struct {
	User         User
	Organization Organization
	Roles        RoleSet
}

// Invitation is a pending grant of roles in an operation to whoever
// holds an e-mail address: what an officer's addition by e-mail records,
// since they may not learn whether an account has the address. It names
// the address and its inviter only, never an account.
type Invitation struct {
	ID          int64
	OperationID int64
	Email       string // InvitationEmail form
	Roles       RoleSet
	InvitedBy   int64
	// InvitedByName is the inviter's name, for the member list.
	InvitedByName string
	CreatedAt     time.Time
}

// SummaryCount is how many requests (or sector mentions) carry one code.
type SummaryCount struct {
	Code  string
	Count int
}

// SummaryUse is the MCDA used: live (not declined) taskings to one
// provider State with one asset type, and the assets they committed.
type SummaryUse struct {
	ProviderISO3 string
	AssetType    string
	Taskings     int
	Assets       int
}

// SummaryFigures is an operation's summary over a period, every figure
// an SQL aggregate. The period figures concern the requests submitted in
// [From, To); EndingSoon and OpenTooLong are as of Now.
type SummaryFigures struct {
	Submitted      int // requests submitted in the period
	ByStatus       []SummaryCount
	BySector       []SummaryCount // a request counts once per sector
	ByTaskCategory []SummaryCount
	BySupportType  []SummaryCount
	ByPriority     []SummaryCount

	// Decided: requests of the period with a decision (the latest one
	// counts); the hours are from submission to that decision, nil
	// without any decision.
	Decided     int
	MedianHours *float64
	P90Hours    *float64
	// WithRequiredBy of the decided had a required-by date;
	// BeforeRequiredBy were decided at or before it.
	WithRequiredBy   int
	BeforeRequiredBy int
	Approved         int
	Rejected         int
	Redirected       int // now redirected to a civilian option

	EndingSoon  int // active tasks whose end date falls within the next 7 days
	OpenTooLong int // not in a terminal status, created more than 8 weeks ago

	MCDA []SummaryUse // taskings made in the period, not declined
}
