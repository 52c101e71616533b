package pages

import "github.com/cmcoord/cmcoord/web/components"

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
