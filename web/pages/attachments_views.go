package pages

import "github.com/cmcoord/cmcoord/web/components"

// DocumentsView is a request's documents section: the documents the
// reader sees, and the form to add one when they may.
type DocumentsView struct {
	Items []DocumentView
	// Form is nil when the reader may not add a document now; Blocked
	// then says why, when their role would allow it.
	Form    *DocumentForm
	Blocked string
	// NotScanned: no virus scanner is configured; every document says
	// so.
	NotScanned bool
}

// DocumentView is one document as listed.
type DocumentView struct {
	ID         string
	Title      string
	Kind       string // translated
	Visibility string // translated
	// Restricted: not visible to everyone who sees the request.
	Restricted bool
	Filename   string
	Size       string // "1.2 MB"
	Type       string
	SHA256     string
	AddedBy    string
	AddedAt    string
	Scanned    bool
	// URL downloads it; "" once removed (or on the printed record).
	URL string
	// Removed says who removed it, when and why ("" when not).
	Removed string
	Purged  bool
	// Remove is the form to remove it; nil when the reader may not.
	Remove *RemoveDocumentForm
}

// RemoveDocumentForm asks why a document is removed.
type RemoveDocumentForm struct {
	URL    string
	Reason components.Field
	Open   bool // reopened after a refusal
}

// DocumentForm adds a document; without JavaScript a plain multipart
// form, which upload.js turns into a resumable upload (UploadURL).
type DocumentForm struct {
	URL        string
	UploadURL  string
	Kind       components.Field
	Title      components.Field
	Visibility []DocumentChoice
	// VisibilityError is the visibility's problem, or "".
	VisibilityError string
	File            components.Field
	Accept          string
	Hint            string // the size limit, the allowed types, scanning
}

// DocumentChoice is one visibility a document may be given.
type DocumentChoice struct {
	Value   string
	Label   string
	Hint    string
	Checked bool
}
