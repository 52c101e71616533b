package pages

import "github.com/cmcoord/cmcoord/web/components"

// ActingHCView is an operation's acting HC page: its periods and, for
// the HC and administrators, the form naming one.
type ActingHCView struct {
	Shell        components.Shell
	Code         string
	Name         string
	OperationURL string
	Periods      []ActingHCRow
	// Form is nil when the reader may not name an acting HC.
	Form   *ActingHCForm
	Errors []components.FormError
}

// ActingHCRow is one acting period.
type ActingHCRow struct {
	ID      string
	Member  string
	Period  string // translated "from – until"
	NamedBy string
	Reason  string
	State   string // translated: running, to come, over, ended early by …
	Running bool
	// EndAction is the URL ending it now; "" when it may not be ended.
	EndAction string
}

// ActingHCForm names an acting HC.
type ActingHCForm struct {
	Action string
	User   components.Field
	Starts components.Field
	Ends   components.Field
	Reason components.Field
	// NoCandidates: no member may be named (the select is not shown).
	NoCandidates bool
}
