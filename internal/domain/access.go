package domain

import (
	"sort"
	"time"
)

// Role is what a user may do in one operation (PRODUCT.md §1).
type Role string

// Roles per operation.
const (
	RoleRequester     Role = "requester"
	RoleOfficer       Role = "cmcoord_officer"
	RoleHCTMember     Role = "hct_member"
	RoleHC            Role = "hc"
	RoleHRDDPReviewer Role = "hrddp_reviewer"
	RoleViewer        Role = "viewer"
)

// AllRoles lists every role in display order.
var AllRoles = []Role{RoleRequester, RoleOfficer, RoleHCTMember, RoleHC, RoleHRDDPReviewer, RoleViewer}

// RoleSet is a sorted set of roles without duplicates.
type RoleSet []Role

// NewRoleSet returns the set of roles named in names. An unknown name is
// a CodeInvalid error on field "roles"; an empty set is allowed (it means
// "no membership").
func NewRoleSet(names ...string) (RoleSet, error) {
	seen := map[Role]bool{}
	for _, n := range names {
		r := Role(n)
		if !oneOf(r, AllRoles) {
			return nil, &Error{Code: CodeInvalid, Message: "error.invalid", Fields: map[string]string{"roles": "field.role"}}
		}
		seen[r] = true
	}
	var out RoleSet
	for _, r := range AllRoles { // display order, deterministic
		if seen[r] {
			out = append(out, r)
		}
	}
	return out, nil
}

// Has reports whether s holds r.
func (s RoleSet) Has(r Role) bool { return oneOf(r, s) }

// Strings returns the role names, for storage.
func (s RoleSet) Strings() []string {
	out := make([]string, len(s))
	for i, r := range s {
		out[i] = string(r)
	}
	return out
}

// Actor is who is asking: a signed-in user with their roles per
// operation, or the anonymous zero value.
type Actor struct {
	UserID         int64
	OrganizationID int64
	Name           string
	Email          string
	Language       string
	IsAdmin        bool
	// HasPassword says the user has a password; one who signs in only by
	// single sign-on has none until an administrator's set-password link
	// gives them one (a token or a password change needs it).
	HasPassword bool
	// Roles maps operation ID to the user's roles there.
	Roles map[int64]RoleSet
	// ActingHC maps the operations where the user holds RoleHC only as
	// acting HC (in Roles) to the acting period's ID.
	ActingHC map[int64]int64
	// Operations lists the user's operations (ID, code), sorted by code.
	Operations []OperationRef
	// Address is the client address of the request the actor acts in
	// (set by the faces' authentication; "" for the command line). The
	// security log records it with every entry.
	Address string
	// ReadOnly is set when the actor authenticated with a read-only API
	// token: the faces' authentication refuses every request that is not
	// a safe method (GET, HEAD), so no write ever reaches a service.
	ReadOnly bool
}

// OperationRef names an operation the actor belongs to.
type OperationRef struct {
	ID   int64
	Code string
	Name string
}

// Anonymous reports whether nobody is signed in.
func (a Actor) Anonymous() bool { return a.UserID == 0 }

// RolesIn returns the actor's roles in operation opID.
func (a Actor) RolesIn(opID int64) RoleSet { return a.Roles[opID] }

// IsMember reports whether the actor holds any role in operation opID.
func (a Actor) IsMember(opID int64) bool { return len(a.Roles[opID]) > 0 }

// SortOperations orders refs by code.
func SortOperations(refs []OperationRef) {
	sort.Slice(refs, func(i, j int) bool { return refs[i].Code < refs[j].Code })
}

// Queue is a list of requests waiting for someone in a given role.
type Queue string

// Queues shown on the home page, filled as the request and review
// features arrive.
const (
	QueueMyDrafts           Queue = "my_drafts"
	QueueReturned           Queue = "returned_to_me"
	QueueAwaitingScreening  Queue = "awaiting_screening"
	QueueAwaitingVote       Queue = "awaiting_vote"
	QueueAwaitingDecision   Queue = "awaiting_decision"
	QueueAwaitingAssessment Queue = "awaiting_hrddp"
	QueueClosingSoon        Queue = "closing_soon" // reviews whose deadline is within ClosingSoon
	QueueTasksEnding        Queue = "tasks_ending" // approved or active tasks ending within EndingSoon, or overrun
)

// ClosingSoon is how close a review's deadline must be to be listed in
// the "closing soon" queue.
const ClosingSoon = 24 * time.Hour

// queueOf says which queues wait for each role; viewers have none.
var queueOf = map[Role][]Queue{
	RoleRequester:     {QueueMyDrafts, QueueReturned},
	RoleOfficer:       {QueueAwaitingScreening, QueueClosingSoon, QueueTasksEnding},
	RoleHCTMember:     {QueueAwaitingVote},
	RoleHC:            {QueueAwaitingDecision, QueueClosingSoon, QueueTasksEnding},
	RoleHRDDPReviewer: {QueueAwaitingAssessment},
}

// QueuesFor returns the queues a member with roles watches, in role
// order, each once.
func QueuesFor(roles RoleSet) []Queue {
	var out []Queue
	for _, r := range roles {
		for _, q := range queueOf[r] {
			if !oneOf(q, out) {
				out = append(out, q)
			}
		}
	}
	return out
}
