package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Delivery is how a user receives a kind of notice besides the in-app
// notification, which is always made (issue 19).
type Delivery string

// Deliveries.
const (
	DeliveryInApp  Delivery = "inapp"  // in-app only
	DeliveryEmail  Delivery = "email"  // an e-mail at once
	DeliveryDigest Delivery = "digest" // listed in the daily digest e-mail
)

// Deliveries lists every delivery, from the least to the most immediate.
var Deliveries = []Delivery{DeliveryInApp, DeliveryDigest, DeliveryEmail}

// NoticeAudience is who receives one kind of notice: the roles, in the
// request's operation, the services address it to, and each role's
// default delivery.
type NoticeAudience struct {
	Kind NoticeKind
	To   map[Role]Delivery
}

// NoticeAudiences is the table of the request notices (every kind but
// the account ones), in the order the preferences page lists them. The
// services choose the recipients (each kind's comment in notice.go says
// whom); this table says which roles those are and how each is told by
// default:
//
//   - whoever must act next is e-mailed at once: officers of a new or
//     resubmitted request, HRDDP reviewers of an assessment needed, HCT
//     members of a vote (opened, reminder, cancelled), the HC and the
//     officers of a closed review;
//   - the requester is e-mailed at once of every step of their request
//     (returned, decision, expiry, tasking, execution, completion,
//     hand-over), as are the officers and voters of a decision or an
//     expiry;
//   - comments go to the daily digest: a conversation is rarely urgent,
//     and a busy request would otherwise send an e-mail per message.
//
// Viewers receive nothing: they are told of nothing they must act on,
// and may not comment.
var NoticeAudiences = []NoticeAudience{
	{NoticeSubmitted, map[Role]Delivery{RoleOfficer: DeliveryEmail}},
	{NoticeResubmitted, map[Role]Delivery{RoleOfficer: DeliveryEmail}},
	{NoticeAssessmentNeeded, map[Role]Delivery{RoleHRDDPReviewer: DeliveryEmail}},
	{NoticeReturned, map[Role]Delivery{RoleRequester: DeliveryEmail}},
	{NoticeReviewOpened, map[Role]Delivery{RoleHCTMember: DeliveryEmail}},
	{NoticeReviewReminder, map[Role]Delivery{RoleHCTMember: DeliveryEmail}},
	{NoticeReviewCancelled, map[Role]Delivery{RoleHCTMember: DeliveryEmail}},
	{NoticeReviewClosed, map[Role]Delivery{RoleHC: DeliveryEmail, RoleOfficer: DeliveryEmail}},
	{NoticeDecision, map[Role]Delivery{RoleRequester: DeliveryEmail, RoleOfficer: DeliveryEmail, RoleHCTMember: DeliveryEmail}},
	{NoticeExpired, map[Role]Delivery{RoleRequester: DeliveryEmail, RoleOfficer: DeliveryEmail, RoleHCTMember: DeliveryEmail}},
	{NoticeComment, map[Role]Delivery{RoleRequester: DeliveryDigest, RoleOfficer: DeliveryDigest, RoleHCTMember: DeliveryDigest,
		RoleHC: DeliveryDigest, RoleHRDDPReviewer: DeliveryDigest}},
	{NoticeTasked, map[Role]Delivery{RoleRequester: DeliveryEmail}},
	{NoticeExecutionStarted, map[Role]Delivery{RoleRequester: DeliveryEmail}},
	{NoticeCompleted, map[Role]Delivery{RoleRequester: DeliveryEmail}},
	{NoticeHandedOver, map[Role]Delivery{RoleRequester: DeliveryEmail}},
	// The member named acting HC (or whose period was ended early), who
	// holds the HC's role for the period and must know it at once, and
	// the operation's HC, who shares it.
	{NoticeActingHC, map[Role]Delivery{RoleHC: DeliveryEmail}},
}

// AudienceOf returns kind's row of NoticeAudiences; ok is false for an
// account notice (or an unknown kind).
func AudienceOf(kind NoticeKind) (NoticeAudience, bool) {
	for _, a := range NoticeAudiences {
		if a.Kind == kind {
			return a, true
		}
	}
	return NoticeAudience{}, false
}

// Configurable reports whether a user may choose how they receive kind:
// every request notice; never an account notice, which tells of a
// change to the user's own credentials and is e-mailed at once (a
// security warning must not wait for a digest nor be turned off).
func (k NoticeKind) Configurable() bool {
	_, ok := AudienceOf(k)
	return ok
}

// DefaultDelivery returns how a user holding roles (in any operation)
// receives kind when they have not chosen: the most immediate default
// among their roles that receive it; when none does (a service told
// them all the same, say after their role changed), the most immediate
// default of the kind, since whoever is told may have to act. An
// account notice is always DeliveryEmail.
func DefaultDelivery(kind NoticeKind, roles RoleSet) Delivery {
	a, ok := AudienceOf(kind)
	if !ok {
		return DeliveryEmail
	}
	best, held := DeliveryInApp, false
	for _, r := range roles {
		if d, ok := a.To[r]; ok {
			held = true
			if deliveryRank(d) > deliveryRank(best) {
				best = d
			}
		}
	}
	if !held {
		for _, d := range a.To {
			if deliveryRank(d) > deliveryRank(best) {
				best = d
			}
		}
	}
	return best
}

func deliveryRank(d Delivery) int {
	for i, x := range Deliveries {
		if x == d {
			return i
		}
	}
	return -1
}

// EffectiveDelivery returns how a user holding roles, who chose prefs
// (kind → delivery; kinds not chosen are absent), receives kind: their
// choice for a configurable kind, otherwise DefaultDelivery.
func EffectiveDelivery(kind NoticeKind, roles RoleSet, prefs map[NoticeKind]Delivery) Delivery {
	if d, ok := prefs[kind]; ok && kind.Configurable() && deliveryRank(d) >= 0 {
		return d
	}
	return DefaultDelivery(kind, roles)
}

// KindsFor returns the configurable kinds a user holding roles (in any
// operation) may receive, in table order: the rows of their preferences.
func KindsFor(roles RoleSet) []NoticeKind {
	var out []NoticeKind
	for _, a := range NoticeAudiences {
		for _, r := range roles {
			if _, ok := a.To[r]; ok {
				out = append(out, a.Kind)
				break
			}
		}
	}
	return out
}

// ValidatePreferences checks a user's choices: each kind configurable,
// each delivery one of Deliveries. A problem is CodeInvalid with the
// field "preferences.<kind>".
func ValidatePreferences(prefs map[NoticeKind]Delivery) error {
	fields := map[string]string{}
	for k, d := range prefs {
		switch {
		case !k.Configurable():
			fields["preferences."+string(k)] = "preferences.kind_unknown"
		case deliveryRank(d) < 0:
			fields["preferences."+string(k)] = "preferences.delivery_unknown"
		}
	}
	if len(fields) > 0 {
		return &Error{Code: CodeInvalid, Message: "error.invalid", Fields: fields}
	}
	return nil
}

// DigestEvery is how often a user receives the digest, at most: a
// notice waits in it no longer than this (and the job's interval), and
// the digest goes out once the oldest notice it lists has waited this
// long.
const DigestEvery = 24 * time.Hour

// DigestUnsubscribeSecret names the installation secret
// (store.InstanceSecret) that signs the digest's one-click unsubscribe
// links.
const DigestUnsubscribeSecret = "digest-unsubscribe"

// DigestUnsubscribeToken returns user userID's one-click unsubscribe
// token for the digest, signed with key: "<user id>.<HMAC-SHA256 of
// 'digest-unsubscribe:<user id>', base64url>". It carries no expiry: the
// link in an old digest still works, and all it can do is turn that
// user's digest kinds to in-app only.
func DigestUnsubscribeToken(key []byte, userID int64) string {
	id := strconv.FormatInt(userID, 10)
	return id + "." + base64.RawURLEncoding.EncodeToString(digestMAC(key, id))
}

// ParseDigestUnsubscribeToken returns the user a token of
// DigestUnsubscribeToken names, ok false when it is malformed or not
// signed with key.
func ParseDigestUnsubscribeToken(key []byte, token string) (userID int64, ok bool) {
	id, sig, found := strings.Cut(token, ".")
	if !found || len(token) > 100 {
		return 0, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != id {
		return 0, false
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, digestMAC(key, id)) {
		return 0, false
	}
	return n, true
}

func digestMAC(key []byte, id string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("digest-unsubscribe:" + id))
	return m.Sum(nil)
}

// CommentAudience returns who is told of a new comment by author on
// request r: its participants — the requester (its creator), the
// operation's officers, whoever has commented on it (commenters) and,
// when a review is open (open, nil for none), the HCT members of its
// eligible organisations, and while the request awaits the HC's
// decision, the HC — each only when they may see the request,
// and with it its comments (Can ActionViewRequest, the rule the request
// page and the API apply to the comments), and never the author.
// members are the operation's members; one who is not among them (no
// longer a member) is not told.
func CommentAudience(r Request, members []Member, commenters []int64, open *Review, author int64) []int64 {
	wanted := map[int64]bool{r.CreatedBy: true}
	for _, id := range commenters {
		wanted[id] = true
	}
	subj := OnRequest(r)
	var out []int64
	for _, m := range members {
		u := m.User
		if u.ID == author || u.Disabled {
			continue
		}
		in := wanted[u.ID] || m.Roles.Has(RoleOfficer) ||
			(open != nil && open.Open() && m.Roles.Has(RoleHCTMember) && oneOf(u.OrganizationID, open.Eligible)) ||
			(r.Status == StatusHCDecision && m.Roles.Has(RoleHC))
		if !in {
			continue
		}
		a := Actor{UserID: u.ID, OrganizationID: u.OrganizationID, Roles: map[int64]RoleSet{r.OperationID: m.Roles}}
		if Can(a, ActionViewRequest, subj) == nil {
			out = append(out, u.ID)
		}
	}
	return out
}
