package pages

import "github.com/cmcoord/cmcoord/web/components"

// AdminDocumentsView is the administrators' page to purge a document's
// content: a search by request reference and, when one was given, the
// documents of the requests it names. It never holds a document's
// title, file name or hash.
type AdminDocumentsView struct {
	Shell components.Shell
	// Reference is the search field (method GET).
	Reference components.Field
	// Searched: a reference was given; Requests are then what it found.
	Searched bool
	Requests []AdminDocumentsRequest
	// Errors is the summary of a refused purge, linking to its fields.
	Errors []components.FormError
}

// AdminDocumentsRequest is one request found, with its documents.
type AdminDocumentsRequest struct {
	ID        string
	Reference string
	Operation string // its code
	Rows      []AdminDocumentRow
}

// AdminDocumentRow is one document, ready to read.
type AdminDocumentRow struct {
	ID         string
	Kind       string // translated
	Visibility string // translated
	Size       string // "1.2 MB"
	Added      string // in the reader's language
	// State says whether it is in use, removed (when) or purged (when,
	// why); StateCode is in_use, removed or purged.
	State     string
	StateCode string
	// Purge is the form to purge it; nil once purged.
	Purge *AdminPurgeForm
}

// AdminPurgeForm asks why a document's content is purged, and for the
// administrator to confirm it.
type AdminPurgeForm struct {
	URL     string
	Reason  components.Field
	Confirm components.Field
	Open    bool // reopened after a refusal
}
