package pages

import "github.com/cmcoord/cmcoord/web/components"

// NotificationPrefsView is the notification preferences page.
type NotificationPrefsView struct {
	Shell components.Shell
	Rows  []PrefRow
}

// PrefRow is one kind of notice and how the user may receive it.
type PrefRow struct {
	Kind    string // the notice kind, the field's name after "pref."
	Label   string // translated
	Options []PrefOption
}

// PrefOption is one radio button of a PrefRow.
type PrefOption struct {
	ID      string
	Value   string // the delivery
	Label   string // translated
	Checked bool   // how the user receives the kind now
	Default bool   // the default of the user's roles
}

// UnsubscribeView is the digest's one-click unsubscribe page: Action is
// the URL the confirmation posts to; Done says it was posted.
type UnsubscribeView struct {
	Shell  components.Shell
	Action string
	Done   bool
}
