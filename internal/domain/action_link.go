package domain

import (
	"slices"
	"time"
)

// Acting from an e-mail (issue 19). A review-opened or reminder e-mail
// carries one link per vote value, and the e-mail telling the HC a review
// closed one link per outcome they may choose. A link opens a page that
// asks to confirm (GET never changes anything: mail scanners open links);
// one POST of that page acts, through the same service use case as the
// request page, as the link's user.
//
// A link is bound to its user, its request, the review and its round, its
// purpose and its value: all are stored with the link and signed together
// (service.ActionLinks), so a link cannot be made to act for anything
// else. It is stored hashed, works once, and is live only while
// LinkLive says so.

// LinkPurpose is what a link does.
type LinkPurpose string

// Link purposes.
const (
	LinkVote   LinkPurpose = "vote"   // cast the organisation's vote; Value is a VoteValue
	LinkDecide LinkPurpose = "decide" // the HC's decision; Value is StatusApproved or StatusRejected
)

// LinkPurposes lists every purpose; the database's check is written from it.
var LinkPurposes = []LinkPurpose{LinkVote, LinkDecide}

// LinkAction is the rulebook action a link of purpose p with value v
// takes: the link only carries the user to it, and domain.Can decides.
func LinkAction(p LinkPurpose, v string) Action {
	switch {
	case p == LinkVote:
		return ActionVote
	case v == string(StatusApproved):
		return ActionApprove
	default:
		return ActionReject
	}
}

// LinkValues are the values a link of purpose p may carry, in the order
// an e-mail lists them.
func LinkValues(p LinkPurpose) []string {
	if p == LinkVote {
		out := make([]string, len(VoteValues))
		for i, v := range VoteValues {
			out[i] = string(v)
		}
		return out
	}
	return []string{string(StatusApproved), string(StatusRejected)}
}

// DecideLinkLifetime is how long the HC's links work at most when the
// request names no earlier required-by time: a decision taken from an
// e-mail a fortnight old would be taken on a stale picture.
const DecideLinkLifetime = 14 * 24 * time.Hour

// ActionLinkKept is how long an expired link is kept, so that opening it
// says it expired rather than that it is not valid; housekeeping deletes
// it after.
const ActionLinkKept = 30 * 24 * time.Hour

// ActionLink is one link as stored: never its secret, only the secret's
// hash and the signature over what follows.
type ActionLink struct {
	ID        int64
	UserID    int64
	RequestID int64
	ReviewID  int64
	Round     int
	Purpose   LinkPurpose
	Value     string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used (or spent by a sibling's use)
}

// LinkOffer asks the notifier to put action links in a notice's e-mails:
// one link per value, for each recipient of Users (all the notice's
// recipients when Users is nil), bound to the review and its round.
type LinkOffer struct {
	Purpose   LinkPurpose
	ReviewID  int64
	Round     int
	Values    []string
	ExpiresAt time.Time
	Users     []int64
}

// For reports whether userID gets links from the offer.
func (o LinkOffer) For(userID int64) bool { return o.Users == nil || slices.Contains(o.Users, userID) }

// LinkState is what a link finds when it is opened or posted: the
// request's current review and its vote or decision.
type LinkState struct {
	Now  time.Time
	User User
	// Viewer is the user signed in where the link is opened (0: nobody).
	// A link acts only for its own user: opened in a browser signed in
	// as someone else, it refuses rather than act in another's name.
	Viewer  int64
	Request RequestRef
	// Review is the request's latest review (nil when it has none).
	Review *Review
	// OrgVoted is the link user's organisation's current vote in the
	// link's review, when it has one.
	OrgVoted *Vote
	// Decided is the decision taken on the link's review, when there is one.
	Decided *Decision
}

// Link refusals: the i18n keys of why a link no longer works. Each
// names what happened, so the page can say it and send the user on.
const (
	LinkUnknown     = "link.unknown"      // no such link, or a forged one
	LinkUsed        = "link.used"         // this link (or one of its siblings) acted already
	LinkExpired     = "link.expired"      // past its expiry (the review's deadline)
	LinkRoundClosed = "link.round_closed" // the review it was sent for is closed or replaced by a new round
	LinkDisabled    = "link.disabled"     // the user's account is disabled
	LinkVotedOther  = "link.voted"        // the organisation's vote was cast another way
	LinkDecided     = "link.decided"      // the decision was taken another way
	LinkOtherUser   = "link.other_user"   // opened in a browser signed in as someone else
	// LinkFactorMissing: the operation requires a second factor of the
	// user's role and the user has none to give (they must sign in and
	// enrol first).
	LinkFactorMissing = "link.factor_missing"
)

// LinkRefused is the error of a link refused for reason key (LinkLive's,
// or LinkFactorMissing): forbidden when the link is not for whoever holds
// it now (another user signed in, a disabled account, a second factor
// missing), a conflict when it no longer fits the request (used,
// expired, closed, voted, decided).
func LinkRefused(key string) *Error {
	switch key {
	case LinkFactorMissing, LinkOtherUser, LinkDisabled:
		return &Error{Code: CodeForbidden, Message: key}
	}
	return &Error{Code: CodeConflict, Message: key}
}

// LinkLive is the one rule of whether link l still works in state s; ""
// when it does, else the refusal's key. It does not decide whether the
// user may take the action: domain.Can does, when the link is used.
func LinkLive(l ActionLink, s LinkState) string {
	switch {
	case s.Viewer != 0 && s.Viewer != l.UserID:
		return LinkOtherUser
	case s.User.Disabled:
		return LinkDisabled
	case !l.UsedAt.IsZero():
		// Used, or spent: by a sibling's use, or when the account was
		// disabled (store.EndUserLinks), so re-enabling revives nothing.
		return LinkUsed
	case !s.Now.Before(l.ExpiresAt):
		return LinkExpired
	case s.Review == nil || s.Review.ID != l.ReviewID || s.Review.Round != l.Round:
		return LinkRoundClosed
	}
	switch l.Purpose {
	case LinkVote:
		switch {
		case s.Review.Cancelled || !s.Review.Open() || s.Review.PastDeadline(s.Now):
			return LinkRoundClosed
		case s.OrgVoted != nil:
			// Cast on the page, through the API or another member's link:
			// a link never changes a vote that exists; the request page
			// does.
			return LinkVotedOther
		}
	case LinkDecide:
		switch {
		case s.Decided != nil:
			return LinkDecided
		case s.Review.Cancelled || s.Review.Open() || s.Request.Status != StatusHCDecision:
			return LinkRoundClosed
		}
	default:
		return LinkUnknown
	}
	return ""
}

// VoteLinks is the offer of vote links in the e-mails of review rv
// (opened, or reminding): every value, live until the deadline.
func VoteLinks(rv Review) *LinkOffer {
	return &LinkOffer{Purpose: LinkVote, ReviewID: rv.ID, Round: rv.Round, Values: LinkValues(LinkVote), ExpiresAt: rv.Deadline}
}

// DecideLinks is the offer of decision links to the HC (users hc) in the
// e-mail telling them review rv closed with tally t: approval only when
// the review passed, rejection always; live until the request's
// required-by time (it expires undecided then) or DecideLinkLifetime,
// whichever comes first. nil when there is no one to offer them to.
func DecideLinks(rv Review, t Tally, requiredBy, now time.Time, hc []int64) *LinkOffer {
	if len(hc) == 0 {
		return nil
	}
	values := []string{string(StatusRejected)}
	if t.Passed {
		values = []string{string(StatusApproved), string(StatusRejected)}
	}
	expires := now.Add(DecideLinkLifetime)
	if !requiredBy.IsZero() && requiredBy.Before(expires) {
		expires = requiredBy
	}
	return &LinkOffer{Purpose: LinkDecide, ReviewID: rv.ID, Round: rv.Round, Values: values, ExpiresAt: expires, Users: hc}
}
