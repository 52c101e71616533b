package pages

import "github.com/cmcoord/cmcoord/web/components"

// NotificationsView is the signed-in user's notifications page.
type NotificationsView struct {
	Shell components.Shell
	// UnreadText says how many are unread, in words.
	UnreadText string
	// LatestText says that only the latest are shown, "" when all are.
	LatestText string
	Items      []NotificationItem
	// MarkReadURL is the "mark all as read" form's action, "" when
	// nothing is unread; UpToID is the newest notification shown, so one
	// that arrives after the page was drawn stays unread.
	MarkReadURL string
	UpToID      string
}

// NotificationItem is one notification, display-ready.
type NotificationItem struct {
	ID     string
	Unread bool
	// State is "Unread" or "Read", translated: the state is never shown
	// by colour or weight alone.
	State   string
	Summary string // translated
	// Reference and Title name the request; URL is its page, "" when the
	// notification concerns no request.
	Reference string
	Title     string
	URL       string
	Received  string // display time
	// ReceivedISO is the machine-readable time for <time datetime>.
	ReceivedISO string
}
