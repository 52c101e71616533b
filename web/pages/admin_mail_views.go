package pages

import "github.com/cmcoord/cmcoord/web/components"

// AdminMailView is one page of the e-mail outbox for administrators:
// queued, given-up and sent messages, newest first, filtered by state.
// It never holds a message's body.
type AdminMailView struct {
	Shell components.Shell
	// Filters are the state links ("all" first); the current one is marked.
	Filters   []AdminMailFilter
	Rows      []AdminMailRow
	OlderURL  string // "" on the last page
	NewestURL string // "" on the first page
}

// AdminMailFilter is one state to list.
type AdminMailFilter struct {
	ID, Label, URL string
	Current        bool
}

// AdminMailRow is one outbox message, ready to read.
type AdminMailRow struct {
	ID        string
	State     string // translated
	StateCode string // queued, failed, sent
	To        string
	Subject   string
	Attempts  string
	Created   string // in the reader's language
	// When is what the state dates: the next attempt of a queued
	// message, when a failed one was given up, when a sent one was sent.
	When      string
	LastError string
	// RetryURL, when set, retries a given-up message (POST).
	RetryURL string
}
