package domain

import (
	"net/netip"
	"slices"
	"time"
)

// Limit bounds how often one key (an account, an address, a user) may do
// one thing: at most Max counted events within the sliding Window. Every
// limit is kept in PostgreSQL, so it holds across instances, and a slot is
// reserved atomically before the work it guards (a password check, a
// draft), so a burst of parallel attempts cannot walk through it.
type Limit struct {
	// Name is the limit's bucket prefix and its name in logs and docs.
	Name   string
	Max    int
	Window time.Duration
	// FailuresOnly limits failed attempts: a successful attempt gives its
	// slot back, and one on a ClearOnSuccess limit also clears the key's
	// earlier failures (a user who got their password right starts again).
	FailuresOnly   bool
	ClearOnSuccess bool
	// Scope says what the key is: "account" (an e-mail typed at sign-in),
	// "address" (the client address), "device" (a browser the account
	// signed in on), "user" (a signed-in user's ID).
	Scope string
}

// The limits. Sign-in failures count per account and per address; the
// address allows more, since a field office's staff share one satellite
// link's address. Every other place a password or a second factor is
// checked is limited per user; business actions per user.
var (
	LimitSignInAccount = Limit{Name: "sign_in.account", Max: 5, Window: 15 * time.Minute,
		FailuresOnly: true, ClearOnSuccess: true, Scope: "account"}
	LimitSignInAddress = Limit{Name: "sign_in.address", Max: 20, Window: 15 * time.Minute,
		FailuresOnly: true, Scope: "address"}
	LimitPasswordCheck = Limit{Name: "password.current", Max: 5, Window: 15 * time.Minute,
		FailuresOnly: true, ClearOnSuccess: true, Scope: "user"}
	LimitPasswordLink = Limit{Name: "password.link", Max: 10, Window: 15 * time.Minute,
		FailuresOnly: true, Scope: "address"}
	// LimitActionLink counts, per address, links in e-mails opened or
	// posted that find no link (domain.ActionLink): none are guessed at speed.
	LimitActionLink = Limit{Name: "action.link", Max: 20, Window: 15 * time.Minute,
		FailuresOnly: true, Scope: "address"}
	LimitSecondFactor = Limit{Name: "second_factor", Max: 5, Window: 15 * time.Minute,
		FailuresOnly: true, ClearOnSuccess: true, Scope: "user"}
	// LimitSecondFactorProfile counts the wrong codes typed on the
	// profile (replacing recovery codes, removing the factor) apart from
	// sign-in's: a session, perhaps a stolen one, cannot lock its user
	// out of signing in by failing there.
	LimitSecondFactorProfile = Limit{Name: "second_factor.profile", Max: 5, Window: 15 * time.Minute,
		FailuresOnly: true, ClearOnSuccess: true, Scope: "user"}
	// LimitSignInDevice counts, instead of the account's bucket, the
	// failed sign-ins from a browser the account fully signed in on before
	// (a trusted device): the account's owner is not locked out of it by
	// a stranger's failures elsewhere (SignInSlots).
	LimitSignInDevice = Limit{Name: "sign_in.device", Max: 5, Window: 15 * time.Minute,
		FailuresOnly: true, ClearOnSuccess: true, Scope: "device"}

	LimitDrafts   = Limit{Name: "request.create", Max: 20, Window: time.Minute, Scope: "user"}
	LimitComments = Limit{Name: "comment.create", Max: 30, Window: time.Minute, Scope: "user"}
	LimitExports  = Limit{Name: "export", Max: 30, Window: time.Minute, Scope: "user"}
)

// Limits lists every limit, for the documentation and the tests.
var Limits = []Limit{LimitSignInAccount, LimitSignInAddress, LimitSignInDevice, LimitPasswordCheck, LimitPasswordLink, LimitActionLink,
	LimitSecondFactor, LimitSecondFactorProfile, LimitDrafts, LimitComments, LimitExports}

// SignInSlots are the buckets a sign-in attempt at account email from
// address reserves before its password is checked: the address's, and
// the account's — or, when the attempt comes from a browser this account
// signed in on before (device, its key; "" for none), that browser's own.
// A stranger's failures fill the account's bucket and lock it, but not
// for its owner on their own browser; a stranger holding no such browser
// cannot reach the device buckets.
func SignInSlots(email, address, device string) []Slot {
	first := Slot{Limit: LimitSignInAccount, Key: email}
	if device != "" {
		first = Slot{Limit: LimitSignInDevice, Key: device}
	}
	return []Slot{first, {Limit: LimitSignInAddress, Key: address}}
}

// ActionLimits is the limit on each business action a user takes, by the
// rulebook's action: the service reserves a slot in the action's own
// transaction, so a refused or failed action does not count.
var ActionLimits = map[Action]Limit{
	ActionCreateRequest:  LimitDrafts,
	ActionComment:        LimitComments,
	ActionExportRequests: LimitExports,
}

// Slot is one key of one limit: the bucket an attempt reserves.
type Slot struct {
	Limit Limit
	Key   string
}

// Bucket is the slot's stored key. A client address counts by network
// (AddressBucket): an IPv6 client holds a whole /64.
func (s Slot) Bucket() string {
	if s.Limit.Scope == "address" {
		return s.Limit.Name + ":" + AddressBucket(s.Key)
	}
	return s.Limit.Name + ":" + s.Key
}

// AddressBucket is the part of a client address that limits count by:
// an IPv4 address itself (also written as IPv4-mapped IPv6), and the /64
// of an IPv6 address, the block one subscriber or one host is given
// (RFC 6177), which it may draw any number of addresses from. Anything
// that is not an address is counted as given.
func AddressBucket(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}

// Wait returns how long a new event must wait given the times of the
// counted events in the bucket at now; zero means it may go ahead.
// Events older than the window are ignored; events after now count (an
// instance whose clock read a moment later, or that read it before
// waiting for the bucket's lock, recorded them).
func (l Limit) Wait(counted []time.Time, now time.Time) time.Duration {
	var recent []time.Time
	for _, t := range counted {
		if now.Sub(t) < l.Window {
			recent = append(recent, t)
		}
	}
	if len(recent) < l.Max {
		return 0
	}
	slices.SortFunc(recent, func(a, b time.Time) int { return a.Compare(b) })
	// Enough of the oldest events must age out to leave Max-1.
	return max(recent[len(recent)-l.Max].Add(l.Window).Sub(now), time.Second)
}

// RateLimited is the error of a refused attempt: message is its i18n key,
// whose template gets the wait in whole minutes (Count) and seconds
// (Seconds); the faces send Retry-After from Seconds.
func RateLimited(message string, wait time.Duration) *Error {
	secs := int((wait + time.Second - 1) / time.Second)
	return &Error{Code: CodeRateLimited, Message: message,
		Data: map[string]any{"Count": (secs + 59) / 60, "Seconds": secs}}
}
