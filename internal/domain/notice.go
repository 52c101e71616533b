package domain

import (
	"strings"
	"unicode"
)

// NoticeKind is what a notification tells its recipients.
type NoticeKind string

// Notification kinds (PRODUCT.md §4, the review issue and issue 19).
// Who receives each, by role in the request's operation, and how by
// default, is the table NoticeAudiences (notice_delivery.go); the
// comments here say who the services address. Nobody is ever told of
// their own action (Notice.Actor).
const (
	NoticeReviewOpened   NoticeKind = "review_opened"   // to the eligible organisations' HCT members
	NoticeReviewReminder NoticeKind = "review_reminder" // to HCT members of organisations that have not voted
	NoticeReviewClosed   NoticeKind = "review_closed"   // to the HC and the officers
	// NoticeDecision: to the requester, the officers and the voters of the
	// decided review — the HCT members of its eligible organisations (all
	// who were asked to vote, as for NoticeReviewOpened: a vote is an
	// organisation's, whichever member cast it).
	NoticeDecision NoticeKind = "decision"
	NoticeReturned NoticeKind = "returned" // to the requester
	// NoticeExpired: the required-by time passed undecided; to the
	// requester, the officers and the open review's voters.
	NoticeExpired NoticeKind = "expired"
	// NoticeReviewCancelled: a step (return, withdrawal) took the request
	// out of an open review; to that review's voters, whose ballot is void.
	NoticeReviewCancelled NoticeKind = "review_cancelled"
	// NoticeActingHC: a member was named acting HC of an operation, or
	// their period was ended early; to them and to the operation's HC
	// (Reference is the operation's code; Data: Starts, Ends, NamedBy,
	// Change "named" or "ended", EndedBy when ended, and, in the HC's
	// notice, Acting: the acting HC's name).
	NoticeActingHC NoticeKind = "acting_hc"
	// NoticeSubmitted: a request was submitted for the first time; to the
	// operation's officers, who screen it.
	NoticeSubmitted NoticeKind = "submitted"
	// NoticeResubmitted: a returned request was submitted again; to the
	// operation's officers.
	NoticeResubmitted NoticeKind = "resubmitted"
	// NoticeAssessmentNeeded: a submitted request needs an HRDDP
	// assessment before its review may open; to the operation's HRDDP
	// reviewers. It names the request only, never HRDDP content.
	NoticeAssessmentNeeded NoticeKind = "hrddp_assessment"
	// NoticeComment: someone commented on a request; to its participants
	// (CommentAudience: the requester, the officers, those who commented
	// and the open review's voters), each only if they may see it.
	NoticeComment NoticeKind = "comment"
	// Lifecycle notices, to the requester.
	NoticeTasked           NoticeKind = "tasked"            // sent to a provider
	NoticeExecutionStarted NoticeKind = "execution_started" // the task began
	NoticeCompleted        NoticeKind = "completed"         // the task was completed
	NoticeHandedOver       NoticeKind = "handed_over"       // handed over to civilians
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
	NoticeSubmitted, NoticeResubmitted, NoticeAssessmentNeeded, NoticeComment, NoticeTasked, NoticeExecutionStarted, NoticeCompleted, NoticeHandedOver,
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
	// Actor is the user whose action the notice tells of (0: the system):
	// never told of their own action, even when among Recipients.
	Actor int64
}

// CommentExcerpt is how much of a comment its notice quotes, in
// characters: enough to read it from the e-mail on a phone, not a whole
// essay in every inbox.
const CommentExcerpt = 500

// Excerpt returns s cut to at most limit characters, at a word boundary
// when one is near, with "…" when cut.
func Excerpt(s string, limit int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= limit {
		return string(r)
	}
	cut := limit - 1
	for i := cut; i > limit*4/5; i-- {
		if unicode.IsSpace(r[i]) {
			cut = i
			break
		}
	}
	return strings.TrimSpace(string(r[:cut])) + "…"
}
