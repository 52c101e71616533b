package pages

import (
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/web/components"
)

// HomeView is the view model of the home page.
type HomeView struct {
	Shell components.Shell
}

// ErrorView is the view model of the error page (404, 500 and any other
// failure shown as a page).
type ErrorView struct {
	Shell components.Shell
	// Status is the HTTP status code.
	Status int
	// Title and Message are translated texts.
	Title   string
	Message string
	// RequestID identifies the request in the server log; shown on 5xx
	// pages so a user can quote it to support.
	RequestID string
}

// ShowRequestID reports whether the page shows the request ID.
func (v ErrorView) ShowRequestID() bool { return v.Status >= 500 && v.RequestID != "" }

// LoginView is the view model of the sign-in page.
type LoginView struct {
	Shell    components.Shell
	Email    components.Field
	Password components.Field
	Next     string // where to go after signing in (a local path)
	Errors   []components.FormError
}

// DashboardView is the home page of a signed-in user.
type DashboardView struct {
	Shell      components.Shell
	Name       string
	Operations []OperationCard
}

// OperationCard summarises one operation for one member.
type OperationCard struct {
	Code    string
	Name    string
	URL     string
	Country string
	Context string // translated
	Closed  bool
	Roles   []string // translated
	Queues  []QueueView
}

// QueueView is one list of requests waiting for the member.
type QueueView struct {
	ID    string
	Title string // translated
	Empty string // translated, shown when Items is empty
	Items []QueueItem
}

// QueueItem is one request in a queue.
type QueueItem struct {
	Reference string
	Title     string
	URL       string
}

// OperationView is an operation's page.
type OperationView struct {
	Shell      components.Shell
	Card       OperationCard
	GLIDE      string
	Policy     domain.ReviewPolicy
	PassRule   string // translated
	LeadTime   int
	CanMembers bool
	CanEdit    bool
}
