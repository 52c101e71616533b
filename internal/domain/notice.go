package domain

// NoticeKind is what a notification tells its recipients.
type NoticeKind string

// Notification kinds (PRODUCT.md §4 and the review issue).
const (
	NoticeReviewOpened   NoticeKind = "review_opened"   // to the eligible organisations' HCT members
	NoticeReviewReminder NoticeKind = "review_reminder" // to HCT members of organisations that have not voted
	NoticeReviewClosed   NoticeKind = "review_closed"   // to the HC and the officers
	NoticeDecision       NoticeKind = "decision"        // to the requester and the officers
	NoticeReturned       NoticeKind = "returned"        // to the requester
	// NoticeExpired: the required-by time passed undecided; to the
	// requester, the officers and the open review's voters.
	NoticeExpired NoticeKind = "expired"
	// NoticeReviewCancelled: a step (return, withdrawal) took the request
	// out of an open review; to that review's voters, whose ballot is void.
	NoticeReviewCancelled NoticeKind = "review_cancelled"
	// NoticeActingHC: the recipient was named acting HC of an operation
	// (Reference is the operation's code; Data: Starts, Ends, NamedBy,
	// Change "named" or "ended").
	NoticeActingHC NoticeKind = "acting_hc"
)

// Account notices (issue 15): a credential of the recipient's own account
// changed. They concern no request; their Data holds At (RFC 3339) and
// Address (the client address the change came from), never a secret.
const (
	NoticeAccountPassword NoticeKind = "account_password" // changed, or set through a link
	NoticeAccountToken    NoticeKind = "account_token"    // an API token was created (TokenName, Scope, Expires)
	NoticeAccountFactor   NoticeKind = "account_factor"   // a second factor was added
)

// NoticeKinds lists every kind.
var NoticeKinds = []NoticeKind{NoticeReviewOpened, NoticeReviewReminder, NoticeReviewClosed, NoticeDecision, NoticeReturned, NoticeExpired, NoticeReviewCancelled, NoticeActingHC,
	NoticeAccountPassword, NoticeAccountToken, NoticeAccountFactor}

// AccountNoticeKinds lists the kinds that tell of the recipient's own
// account rather than a request.
var AccountNoticeKinds = []NoticeKind{NoticeAccountPassword, NoticeAccountToken, NoticeAccountFactor}

// Account reports whether k tells of the recipient's own account.
func (k NoticeKind) Account() bool { return oneOf(k, AccountNoticeKinds) }

// Notice is one event to tell a set of users about, in-app and by
// e-mail. Data holds the values its message needs (Deadline, Outcome,
// Reason…), already formatted; it never holds a sealed vote.
type Notice struct {
	Kind       NoticeKind
	RequestID  int64
	Reference  string
	Title      string
	Recipients []int64 // user IDs; repeats and disabled users are skipped
	Data       map[string]string
	// Links, when set, puts action links in the e-mails of the offer's
	// users (the in-app notification never carries one).
	Links *LinkOffer
}
