package pages

import "github.com/cmcoord/cmcoord/web/components"

// ActionLinkView is the page a link in an e-mail opens (/act/{token}):
// what the link would do, to confirm with one POST, or why it no longer
// works.
type ActionLinkView struct {
	Shell components.Shell
	// Heading says what the page is for: a vote, a decision, or what
	// became of the link.
	Heading string
	// For names the person the link was sent to: the page acts as them.
	For string
	// Done says what the link's POST recorded (after it, on the page the
	// POST redirected to); Refusal why the link does not work (any other
	// time). At most one is set.
	Done    string
	Refusal string
	// Next says where to go instead (the request page, the sign-in).
	Next    string
	NextURL string

	// The request, when the user may see it.
	Reference  string
	Title      string
	RequestURL string
	Facts      []Fact
	Evaluation *EvaluationView
	Turnout    string
	Tally      string
	Deadline   string
	// Votes are listed where the viewer may see them (the HC's decision).
	Votes []VoteRow

	// The form, while the link works.
	Form *ActionLinkForm
}

// ActionLinkForm is the confirmation: the value the link carries, what
// it needs written, and the second factor when the operation asks one.
type ActionLinkForm struct {
	URL        string
	Version    string
	ValueLabel string // "Your organisation's vote", "Your decision"
	Value      string // the value, translated
	ValueHelp  string
	Other      string // how to choose another value
	Fields     []components.Field
	Code       *components.Field
	Submit     string
	Errors     []components.FormError
}
