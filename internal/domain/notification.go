package domain

import "time"

// Notification is one in-app notification of one user: a Notice as its
// recipient keeps it. Data holds the notice's Reference and Title under
// those keys, and the notice's own Data.
type Notification struct {
	ID        int64
	UserID    int64
	Kind      NoticeKind
	RequestID int64 // 0 when it concerns no request
	Data      map[string]string
	CreatedAt time.Time
	ReadAt    time.Time // zero while unread
}

// Unread reports whether the user has not marked n as read.
func (n Notification) Unread() bool { return n.ReadAt.IsZero() }

// UnreadCounted is the most unread notifications counted for a user:
// past it a count reads "more than UnreadCounted" ("999+"), so that
// counting costs the same for a user with a thousand unread as for one
// with a hundred thousand (an officer after a deadline backlog).
const UnreadCounted = 999

// UnreadShown is how a count of unread notifications (counted no further
// than UnreadCounted+1) is shown: the number, and whether it means "more
// than that".
func UnreadShown(counted int) (n int, more bool) {
	if counted > UnreadCounted {
		return UnreadCounted, true
	}
	return counted, false
}

// OutboxMessage is one e-mail waiting in the outbox, already rendered in
// its recipient's language.
type OutboxMessage struct {
	ID             int64
	NotificationID int64 // 0 when it belongs to no notification
	To             string
	Subject        string
	Body           string // plain text
	// ReplyTo is the Reply-To address, "" for none: a reply address
	// (ReplyAddress) on e-mails about a request when replies are on.
	ReplyTo string
	// ListUnsubscribe, when set, is the one-click unsubscribe URL the
	// e-mail carries in its List-Unsubscribe header (the daily digest).
	ListUnsubscribe string
	Language        string // the recipient's language when queued ("" when unknown)
	CreatedAt       time.Time
	// Attempts counts the sending attempts made so far.
	Attempts      int
	NextAttemptAt time.Time
	SentAt        time.Time // zero until sent
	FailedAt      time.Time // zero unless given up
	LastError     string
}
