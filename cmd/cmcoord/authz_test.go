package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/config"
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/testutil/apicontract"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/internal/testutil/totptest"
	"github.com/cmcoord/cmcoord/internal/web"
	webassets "github.com/cmcoord/cmcoord/web"
)

// caller is one kind of visitor in the authorization matrix.
type caller string

const (
	anon      caller = "anonymous"
	requester caller = "requester"
	officer   caller = "cmcoord_officer"
	hctMember caller = "hct_member"
	hc        caller = "hc"
	hrddp     caller = "hrddp_reviewer"
	viewer    caller = "viewer"
	outsider  caller = "officer_elsewhere" // an officer of another operation only
	admin     caller = "admin"             // a global admin, member of no operation
	// Sign-ins whose password was accepted and whose second step was not
	// (issue 15.3): they get what an anonymous visitor gets, but for the
	// second step's own pages. Their API calls use the session cookie
	// (they have no token).
	pending   caller = "password_only" // a requester in OPA with a second factor, code not typed
	enrolling caller = "must_enrol"    // an officer of OPC, which requires a factor, with none
)

var callers = []caller{anon, requester, officer, hctMember, hc, hrddp, viewer, outsider, admin, pending, enrolling}

// passwordOnly are the callers whose sign-in stopped at the second step.
var passwordOnly = []caller{pending, enrolling}

// members are the callers with a role in operation OPA.
var members = []caller{requester, officer, hctMember, hc, hrddp, viewer}

// expect is the status each caller gets from one route.
type expect map[caller]int

// everyone answers code to all callers.
func everyone(code int) expect {
	e := expect{}
	for _, c := range callers {
		e[c] = code
	}
	return e
}

// signedIn: anonymous visitors are sent to sign in (HTML, 303) or refused
// (API, 401); everyone else gets code.
func signedIn(anonCode, code int) expect {
	e := everyone(code)
	e[anon] = anonCode
	for _, c := range passwordOnly {
		e[c] = anonCode
	}
	return e
}

// stepPage: a page of the second step of a sign-in answers code to
// caller c, and sends everyone else (signed in or not) to sign in.
func stepPage(codes map[caller]int) expect {
	e := everyone(see)
	for c, code := range codes {
		e[c] = code
	}
	return e
}

// withAdmin is e with the admin's answer changed to code.
func withAdmin(e expect, code int) expect {
	e[admin] = code
	return e
}

// adminOnly: admins get ok, other signed-in callers 403.
func adminOnly(anonCode, ok int) expect {
	e := signedIn(anonCode, http.StatusForbidden)
	e[admin] = ok
	return e
}

// inOperation: for a route on operation OPA, members holding one of roles
// (and admins when adminToo) get ok, other members 403, and callers who
// are not members 404 — the operation's existence does not leak.
func inOperation(anonCode, ok int, adminToo bool, roles ...caller) expect {
	e := signedIn(anonCode, http.StatusNotFound)
	for _, m := range members {
		e[m] = http.StatusForbidden
	}
	for _, r := range roles {
		e[r] = ok
	}
	if adminToo {
		e[admin] = ok
	}
	return e
}

const see = http.StatusSeeOther

// hrddpPage: the HRDDP page of a visible request exists only for the
// roles that may see HRDDP records; everyone else gets 404.
func hrddpPage() expect {
	e := inOperation(see, 200, false, officer, hc, hrddp)
	for _, c := range []caller{requester, hctMember, viewer} {
		e[c] = http.StatusNotFound
	}
	return e
}

// hrddpPost: a refused assessment comes back as the HRDDP page, which
// exists only for who may see HRDDP records (404 for the others, as the
// page); the officer and the HC see it with why (403).
func hrddpPost() expect {
	e := inOperation(see, http.StatusConflict, false, hrddp)
	for _, c := range []caller{requester, hctMember, viewer} {
		e[c] = http.StatusNotFound
	}
	return e
}

// The generic transitions' routes, page and API, are the rulebook's:
// their rows are derived from it, so a new row is checked the day it is
// added. The fixture's request is submitted with no version sent: whoever
// may take the step is told the version is required (400) or, for a step
// from another state, that it is in the wrong state (409) — except a
// step to where the request already is, which the page reads as done
// (303). A refusal on the page comes back as the request page.
func init() {
	for _, t := range domain.GenericTransitions() {
		roles := make([]caller, len(t.Roles))
		for i, r := range t.Roles {
			roles[i] = caller(r)
		}
		page, api := http.StatusConflict, http.StatusConflict
		if slices.Contains(t.From, domain.StatusSubmitted) {
			page, api = http.StatusBadRequest, http.StatusBadRequest // the right state, but no version
		}
		if t.To == domain.StatusSubmitted {
			page = see
		}
		matrix["POST /requests/{id}/"+t.Path] = inOperation(see, page, false, roles...)
		matrix["POST /api/v1/requests/{id}/"+t.Path] = inOperation(401, api, false, roles...)
	}
}

// matrix declares, for every route, what each caller gets. Form posts are
// sent empty (a caller who may act gets the validation answer, 422); API
// bodies are `{}`. A route missing here fails the test.
var matrix = map[string]expect{
	"GET /healthz":     everyone(200),
	"GET /readyz":      everyone(200),
	"GET /static/*":    everyone(200),
	"HEAD /static/*":   everyone(200),
	"GET /favicon.ico": everyone(http.StatusMovedPermanently),
	"GET /robots.txt":  everyone(200),
	"GET /sw.js":       everyone(200),
	// The keys that sign decision records: published to anyone.
	"GET /.well-known/cmcoord-record-keys": everyone(200),
	"GET /":                                everyone(200),
	"GET /login":                           signedIn(200, see),
	"POST /login":                          everyone(http.StatusUnprocessableEntity),
	"POST /language":                       everyone(http.StatusUnprocessableEntity),
	"POST /logout":                         signedIn(see, see),

	// The second step of a sign-in (second_factor.go): only a sign-in
	// waiting for it gets anything; an empty code is 422; the pending
	// sign-in with a factor is sent from enrolment to its code and back.
	"GET /login/2fa":          stepPage(map[caller]int{pending: 200}),
	"POST /login/2fa":         stepPage(map[caller]int{pending: 422}),
	"GET /login/enrol":        stepPage(map[caller]int{enrolling: 200}),
	"GET /login/enrol/qr.png": stepPage(map[caller]int{enrolling: 200, pending: 404}),
	"POST /login/enrol":       stepPage(map[caller]int{enrolling: 422}),
	"POST /login/cancel":      everyone(see),
	// The signed-in user's own second factor: the admin has one already
	// (so nothing to enrol: 303 and 409); removing one is refused to whom
	// has none and to whom the rule requires one (409); replacing one is
	// refused to whom has none (409) and asks the admin for a code (422);
	// with no replacement under way in the browser, its page and its
	// confirmation go back to the profile and its QR code is not there.
	"GET /profile/factor":                  withAdmin(signedIn(see, 200), see),
	"GET /profile/factor/qr.png":           withAdmin(signedIn(see, 200), http.StatusConflict),
	"POST /profile/factor":                 withAdmin(signedIn(see, 422), http.StatusConflict),
	"POST /profile/factor/recovery-codes":  signedIn(see, 422),
	"POST /profile/factor/remove":          signedIn(see, http.StatusConflict),
	"POST /profile/factor/replace":         withAdmin(signedIn(see, http.StatusConflict), 422),
	"GET /profile/factor/replace":          signedIn(see, see),
	"GET /profile/factor/replace/qr.png":   signedIn(see, 404),
	"POST /profile/factor/replace/confirm": signedIn(see, see),
	// {id} has no factor to reset.
	"POST /admin/users/{id}/factor-reset": adminOnly(see, http.StatusConflict),
	"GET /operations/{code}":              inOperation(see, 200, true, members...),

	// Everyone signed in sees only their own notifications.
	"GET /notifications":       signedIn(see, 200),
	"GET /offline-drafts":      signedIn(see, 200),
	"POST /notifications/read": signedIn(see, see),

	// One-time set-password links: the fixture's link does not exist.
	"GET /set-password/{secret}":  everyone(404),
	"POST /set-password/{secret}": everyone(404),
	// Links that act from an e-mail: the fixture's token finds no link.
	"GET /act/{token}":  everyone(404),
	"POST /act/{token}": everyone(404),
	// A digest's one-click unsubscribe link: the fixture's token is not
	// signed by the installation.
	"GET /unsubscribe/digest/{token}":  everyone(404),
	"POST /unsubscribe/digest/{token}": everyone(404),

	// Single sign-on: the fixture's provider does not exist; a callback
	// without a sign-in started in this browser is refused.
	"GET /login/sso/{slug}":          everyone(404),
	"GET /login/sso/{slug}/callback": everyone(401),

	// The signed-in user's own profile; {id} is another user's token.
	"GET /profile":                     signedIn(see, 200),
	"POST /profile/language":           signedIn(see, 422),
	"GET /profile/notifications":       signedIn(see, 200),
	"POST /profile/notifications":      signedIn(see, see), // nothing chosen: saved as it was
	"POST /profile/password":           signedIn(see, 422),
	"POST /profile/tokens":             signedIn(see, 422), // the current password is needed
	"POST /profile/tokens/{id}/revoke": signedIn(see, 404),
	// Someone else's session is 404; ending one's other sessions leaves
	// the caller's own (the matrix goes on with it).
	"POST /profile/sessions/{id}/end":   signedIn(see, 404),
	"POST /profile/sessions/end-others": signedIn(see, see),

	// Administration: global admins only.
	"GET /admin":                                       adminOnly(see, 200),
	"GET /admin/sso":                                   adminOnly(see, 200),
	"GET /admin/sso/new":                               adminOnly(see, 200),
	"POST /admin/sso/new":                              adminOnly(see, 422),
	"GET /admin/sso/{id}":                              adminOnly(see, 404),
	"POST /admin/sso/{id}":                             adminOnly(see, 422),
	"GET /admin/organizations":                         adminOnly(see, 200),
	"GET /admin/organizations/new":                     adminOnly(see, 200),
	"POST /admin/organizations/new":                    adminOnly(see, 422),
	"GET /admin/organizations/{id}":                    adminOnly(see, 200),
	"POST /admin/organizations/{id}":                   adminOnly(see, 422),
	"GET /admin/users":                                 adminOnly(see, 200),
	"GET /admin/users/new":                             adminOnly(see, 200),
	"POST /admin/users/new":                            adminOnly(see, 422),
	"GET /admin/users/{id}":                            adminOnly(see, 200),
	"POST /admin/users/{id}":                           adminOnly(see, 422),
	"POST /admin/users/{id}/password-link":             adminOnly(see, 201),
	"POST /admin/users/{id}/sign-out":                  adminOnly(see, see),
	"GET /admin/audit":                                 adminOnly(see, 200),
	"GET /admin/mail":                                  adminOnly(see, 200),
	"POST /admin/mail/{id}/retry":                      adminOnly(see, 404), // {id} names no e-mail
	"GET /admin/documents":                             adminOnly(see, 200),
	"POST /admin/documents/{attachment_id}/purge":      adminOnly(see, 422), // an empty post: no reason, not confirmed
	"GET /admin/operations":                            adminOnly(see, 200),
	"GET /admin/operations/new":                        adminOnly(see, 200),
	"POST /admin/operations/new":                       adminOnly(see, 422),
	"GET /operations/{code}/edit":                      inOperation(see, 200, true),
	"POST /operations/{code}/edit":                     inOperation(see, 422, true),
	"GET /operations/{code}/members":                   inOperation(see, 200, true, officer),
	"POST /operations/{code}/members":                  inOperation(see, 422, true, officer),
	"POST /operations/{code}/members/{user_id}":        inOperation(see, see, true, officer),
	"POST /operations/{code}/members/{user_id}/remove": inOperation(see, see, true, officer),
	// {invitation_id} is pending nowhere: cancelling it changes nothing.
	"POST /operations/{code}/invitations/{invitation_id}/cancel": inOperation(see, see, true, officer),
	"GET /operations/{code}/acting-hc":                           inOperation(see, 200, true, officer, hc),
	"POST /operations/{code}/acting-hc":                          inOperation(see, 422, true, hc),
	"POST /operations/{code}/acting-hc/{id}/end":                 inOperation(see, 404, true, hc),

	// The JSON API: a bearer token, or the session for same-origin calls.
	"GET /api/v1/openapi.json":                everyone(200),
	"GET /api/v1/me":                          signedIn(401, 200),
	"GET /api/v1/me/tokens":                   signedIn(401, 200),
	"GET /api/v1/me/notification-preferences": signedIn(401, 200),
	"PUT /api/v1/me/notification-preferences": signedIn(401, 200), // {}: nothing changed
	"POST /api/v1/me/tokens":                  signedIn(401, 422), // the current password is needed
	"DELETE /api/v1/me/tokens/{id}":           signedIn(401, 404),
	"GET /api/v1/me/sessions":                 signedIn(401, 200),
	"DELETE /api/v1/me/sessions/{id}":         signedIn(401, 404),
	"GET /api/v1/organizations":               signedIn(401, 200),
	"POST /api/v1/organizations":              adminOnly(401, 422),
	"GET /api/v1/organizations/{id}":          signedIn(401, 200),
	"PATCH /api/v1/organizations/{id}":        adminOnly(401, 200),
	"GET /api/v1/users":                       adminOnly(401, 200),
	"POST /api/v1/users":                      adminOnly(401, 422),
	"GET /api/v1/users/{id}":                  adminOnly(401, 200),
	"PATCH /api/v1/users/{id}":                adminOnly(401, 200),
	"POST /api/v1/users/{id}/password-link":   adminOnly(401, 200),
	"POST /api/v1/users/{id}/sign-out":        adminOnly(401, 204),
	"GET /api/v1/audit/directory":             adminOnly(401, 200),
	"GET /api/v1/audit/directory.jsonl":       adminOnly(401, 200),
	// Requests. {id} is a submitted request of the requester's
	// organisation, {comment_id} a comment on it by someone else. Empty
	// posts carry no version: a transition the caller may take is then
	// stale (409); the requester's "submit" finds it already submitted
	// and is shown the request (303).
	"GET /operations/{code}/requests":                         inOperation(see, 200, false, members...),
	"GET /operations/{code}/requests/new":                     inOperation(see, 200, false, requester),
	"POST /operations/{code}/requests/new":                    inOperation(see, 422, false, requester),
	"GET /operations/{code}/requests/new/steps":               inOperation(see, 200, false, requester),
	"POST /operations/{code}/requests/new/steps":              inOperation(see, 422, false, requester),
	"GET /operations/{code}/screening":                        inOperation(see, 200, false, officer),
	"GET /requests/{id}":                                      inOperation(see, 200, false, members...),
	"GET /operations/{code}/exports/requests.{format}":        inOperation(see, 200, false, officer, hc, viewer),
	"GET /api/v1/operations/{code}/exports/requests.{format}": inOperation(401, 200, false, officer, hc, viewer),
	"GET /operations/{code}/summary":                          inOperation(see, 200, false, officer, hctMember, hc, viewer),
	"GET /api/v1/operations/{code}/summary":                   inOperation(401, 200, false, officer, hctMember, hc, viewer),
	"GET /requests/{id}/record":                               inOperation(see, 200, false, members...),
	"GET /requests/{id}/record/bundle":                        inOperation(see, 200, false, members...),
	"GET /requests/{id}/edit":                                 inOperation(see, http.StatusConflict, false, requester),
	"POST /requests/{id}/edit":                                inOperation(see, see, false, requester),
	// A step of the guided form: the submitted request is no longer
	// editable, and its requester is sent to it.
	"GET /requests/{id}/steps/{step}":  inOperation(see, see, false, requester),
	"POST /requests/{id}/steps/{step}": inOperation(see, see, false, requester),
	"POST /requests/{id}/briefing":     inOperation(see, 422, false, officer),
	// The review steps: the fixture's request is submitted with no
	// review, so whoever may act is told the state does not allow it.
	"POST /requests/{id}/review":        inOperation(see, http.StatusConflict, false, officer),
	"POST /requests/{id}/review/close":  inOperation(see, http.StatusConflict, false, officer),
	"POST /requests/{id}/review/reopen": inOperation(see, http.StatusConflict, false, officer),
	"POST /requests/{id}/review/remind": inOperation(see, http.StatusConflict, false, officer),
	"POST /requests/{id}/vote":          inOperation(see, http.StatusConflict, false, hctMember),
	"POST /requests/{id}/decision":      inOperation(see, http.StatusConflict, false, hc),
	// After approval: the fixture's request is only submitted.
	"POST /requests/{id}/consent":  inOperation(see, http.StatusConflict, false, officer),
	"POST /requests/{id}/tasking":  inOperation(see, http.StatusConflict, false, officer),
	"POST /requests/{id}/report":   inOperation(see, http.StatusConflict, false, officer),
	"POST /requests/{id}/handover": inOperation(see, http.StatusConflict, false, officer),
	"POST /requests/{id}/extend":   inOperation(see, http.StatusConflict, false, requester),
	// HRDDP records: hidden (404) from every role but the reviewer, the HC
	// and the officer; only the reviewer records, and this request needs none.
	"GET /requests/{id}/hrddp":                  hrddpPage(),
	"POST /requests/{id}/hrddp":                 hrddpPost(),
	"POST /requests/{id}/comments":              inOperation(see, 422, false, requester, officer, hctMember, hc, hrddp),
	"POST /requests/{id}/comments/{comment_id}": inOperation(see, 403, false),
	// Documents: {attachment_id} is one the requester added for everyone.
	// An empty post is no multipart upload (400) for who may add, and
	// has no reason (422) for who may remove: the officer (the requester
	// calling is a colleague of its adder, who alone may remove it).
	// Resumable uploads (tus): 401 without a session, never the sign-in
	// page; without a Tus-Resumable header tusd refuses (412); an ID that
	// is no unfinished upload of the caller's is not found.
	// TestUploadEndpoints checks who may upload what.
	"POST /uploads/":                                                signedIn(401, http.StatusPreconditionFailed),
	"OPTIONS /uploads/":                                             signedIn(401, 200),
	"HEAD /uploads/{id}":                                            signedIn(401, 404),
	"PATCH /uploads/{id}":                                           signedIn(401, http.StatusPreconditionFailed),
	"DELETE /uploads/{id}":                                          signedIn(401, http.StatusPreconditionFailed),
	"OPTIONS /uploads/{id}":                                         signedIn(401, 200),
	"POST /requests/{id}/attachments":                               inOperation(see, http.StatusBadRequest, false, requester, officer, hc, hrddp),
	"GET /requests/{id}/attachments/{attachment_id}":                inOperation(see, 200, false, members...),
	"POST /requests/{id}/attachments/{attachment_id}/remove":        inOperation(see, 422, false, officer),
	"GET /api/v1/requests/{id}/attachments":                         inOperation(401, 200, false, members...),
	"POST /api/v1/requests/{id}/attachments":                        inOperation(401, http.StatusBadRequest, false, requester, officer, hc, hrddp),
	"GET /api/v1/requests/{id}/attachments/{attachment_id}":         inOperation(401, 200, false, members...),
	"GET /api/v1/requests/{id}/attachments/{attachment_id}/content": inOperation(401, 200, false, members...),
	"POST /api/v1/requests/{id}/attachments/{attachment_id}/remove": inOperation(401, 422, false, officer),
	"POST /api/v1/requests/{id}/attachments/{attachment_id}/purge":  adminOnly(401, 422),
	"GET /api/v1/operations/{code}/requests":                        inOperation(401, 200, false, members...),
	"POST /api/v1/operations/{code}/requests":                       inOperation(401, 422, false, requester),
	"GET /api/v1/requests/{id}":                                     inOperation(401, 200, false, members...),
	"PATCH /api/v1/requests/{id}":                                   inOperation(401, http.StatusConflict, false, requester),
	"POST /api/v1/requests/{id}/briefing":                           inOperation(401, 422, false, officer),
	"POST /api/v1/requests/{id}/extend":                             inOperation(401, http.StatusConflict, false, requester),
	// The review API: no review yet, and `{}` carries no version.
	"GET /api/v1/requests/{id}/review":         inOperation(401, http.StatusNotFound, false, members...),
	"POST /api/v1/requests/{id}/review":        inOperation(401, http.StatusConflict, false, officer),
	"POST /api/v1/requests/{id}/review/close":  inOperation(401, http.StatusConflict, false, officer),
	"POST /api/v1/requests/{id}/review/reopen": inOperation(401, http.StatusConflict, false, officer),
	"POST /api/v1/requests/{id}/review/remind": inOperation(401, http.StatusConflict, false, officer),
	"PUT /api/v1/requests/{id}/vote":           inOperation(401, http.StatusConflict, false, hctMember),
	"POST /api/v1/requests/{id}/decision":      inOperation(401, http.StatusConflict, false, hc),
	// The after-approval and HRDDP API.
	"GET /api/v1/requests/{id}/lifecycle": inOperation(401, 200, false, members...),
	"PUT /api/v1/requests/{id}/consent":   inOperation(401, http.StatusConflict, false, officer),
	"POST /api/v1/requests/{id}/tasking":  inOperation(401, http.StatusConflict, false, officer),
	"POST /api/v1/requests/{id}/reports":  inOperation(401, http.StatusConflict, false, officer),
	"POST /api/v1/requests/{id}/handover": inOperation(401, http.StatusConflict, false, officer),
	// No assessment exists: 404 for those who may see one, and the same
	// 404 as a missing request for everyone else.
	"GET /api/v1/requests/{id}/hrddp":                   signedIn(401, http.StatusNotFound),
	"PUT /api/v1/requests/{id}/hrddp":                   inOperation(401, http.StatusConflict, false, hrddp),
	"GET /api/v1/requests/{id}/comments":                inOperation(401, 200, false, members...),
	"POST /api/v1/requests/{id}/comments":               inOperation(401, 422, false, requester, officer, hctMember, hc, hrddp),
	"PATCH /api/v1/requests/{id}/comments/{comment_id}": inOperation(401, 403, false),
	"GET /api/v1/requests/{id}/events":                  inOperation(401, 200, false, members...),

	"GET /api/v1/operations":                                       signedIn(401, 200),
	"POST /api/v1/operations":                                      adminOnly(401, 422),
	"GET /api/v1/operations/{code}":                                inOperation(401, 200, true, members...),
	"PATCH /api/v1/operations/{code}":                              inOperation(401, 200, true),
	"GET /api/v1/operations/{code}/members":                        inOperation(401, 200, true, officer),
	"POST /api/v1/operations/{code}/members":                       inOperation(401, 422, true, officer),
	"PUT /api/v1/operations/{code}/members/{user_id}":              inOperation(401, 422, true, officer),
	"DELETE /api/v1/operations/{code}/members/{user_id}":           inOperation(401, 204, true, officer),
	"DELETE /api/v1/operations/{code}/invitations/{invitation_id}": inOperation(401, 204, true, officer),
	"GET /api/v1/operations/{code}/acting-hc":                      inOperation(401, 200, true, officer, hc),
	"POST /api/v1/operations/{code}/acting-hc":                     inOperation(401, 422, true, hc),
	"POST /api/v1/operations/{code}/acting-hc/{id}/end":            inOperation(401, 404, true, hc),
}

// authzFixture holds the running app and one signed-in client per caller.
type authzFixture struct {
	srv     *httptest.Server
	clients map[caller]*http.Client
	tokens  map[caller]string
	params  map[string]string // path parameter values by route prefix and name
	// reset restores what a previous caller's request may have changed
	// (the target's membership), so every answer stands on its own.
	reset func(t *testing.T)
	// contract is the served OpenAPI document every API answer is checked
	// against (apicontract.Transport).
	contract *apicontract.Contract
	// passwordStep signs a passwordOnly caller in anew, up to the second
	// step only (a fresh pending sign-in for every request: none expires
	// during the walk, and none is used up by the one before).
	passwordStep func(t *testing.T, c caller)
}

func newAuthzFixture(t *testing.T) *authzFixture {
	t.Helper()
	dbURL := testdb.URL(t)
	// Behind one trusted proxy, so each probe comes from an address of
	// its own: the walk probes unknown set-password links and
	// failures-only limits per address must not turn its 404s into 429s.
	cfg, _, err := config.Load("serve", []string{"-database-url", dbURL, "-no-migrate", "-trusted-proxies", "1"}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(t.Context(), cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	srv := httptest.NewServer(a.handler())
	t.Cleanup(srv.Close)

	ctx := t.Context()
	const pw = "matrix password 1"
	root, err := a.directory.CreateAdmin(ctx, "admin@example.org", "Admin", pw, domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatal(err)
	}
	by, err := a.access.Actor(ctx, root.ID, root.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	devices := map[caller]*totptest.Device{}
	devices[admin], _ = totptest.Enrol(t, a.access, root.ID, nil) // administrators need one
	for _, code := range []string{"OPA", "OPB", "OPC"} {
		if _, err := a.directory.CreateOperation(ctx, by, domain.Operation{Code: code, Name: code, CountryISO3: "NPL",
			Context: domain.ContextMixed, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48,
			RequireSecondFactor: code == "OPC"}); err != nil {
			t.Fatal(err)
		}
	}
	newUser := func(email string) domain.User {
		u, _, err := a.directory.CreateUser(ctx, by, service.NewUser{
			User: domain.User{Email: email, Name: email, OrganizationID: root.OrganizationID}, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f := &authzFixture{srv: srv, clients: map[caller]*http.Client{}, tokens: map[caller]string{},
		contract: apicontract.Fetch(t, srv.URL)}
	emails := map[caller]string{admin: "admin@example.org"}
	for _, m := range members {
		u := newUser(string(m) + "@example.org")
		emails[m] = u.Email
		if err := a.directory.SetMember(ctx, by, "OPA", u.ID, domain.RoleSet{domain.Role(m)}); err != nil {
			t.Fatal(err)
		}
	}
	out := newUser("outsider@example.org")
	emails[outsider] = out.Email
	if err := a.directory.SetMember(ctx, by, "OPB", out.ID, domain.RoleSet{domain.RoleOfficer}); err != nil {
		t.Fatal(err)
	}
	// Password only: a requester of OPA with a factor, and an officer of
	// OPC (which requires one) without.
	pu := newUser("pending@example.org")
	if err := a.directory.SetMember(ctx, by, "OPA", pu.ID, domain.RoleSet{domain.RoleRequester}); err != nil {
		t.Fatal(err)
	}
	totptest.Enrol(t, a.access, pu.ID, nil)
	eu := newUser("enrolling@example.org")
	if err := a.directory.SetMember(ctx, by, "OPC", eu.ID, domain.RoleSet{domain.RoleOfficer}); err != nil {
		t.Fatal(err)
	}
	f.passwordStep = func(t *testing.T, c caller) {
		t.Helper()
		email, want := pu.Email, "/login/2fa"
		if c == enrolling {
			email, want = eu.Email, "/login/enrol"
		}
		jar, _ := cookiejar.New(nil)
		cl := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := cl.PostForm(srv.URL+"/login", url.Values{"email": {email}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != see || resp.Header.Get("Location") != want {
			t.Fatalf("password step of %s: %d to %q, want 303 to %s", c, resp.StatusCode, resp.Header.Get("Location"), want)
		}
		f.clients[c] = cl
	}
	target := newUser("target@example.org") // the user routes act on; never a caller
	if err := a.directory.SetMember(ctx, by, "OPA", target.ID, domain.RoleSet{domain.RoleRequester}); err != nil {
		t.Fatal(err)
	}
	targetToken, _, err := a.access.IssueTokenForEmail(ctx, target.Email, domain.NewToken{Name: "target", Scope: domain.TokenFull})
	if err != nil {
		t.Fatal(err)
	}
	_ = targetToken
	// The target signs in once: routes on a session act on theirs.
	{
		resp, err := http.PostForm(srv.URL+"/login", url.Values{"email": {target.Email}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	targetSessions, err := a.access.ListSessions(ctx, mustActorFor(t, a, target), "")
	if err != nil || len(targetSessions) != 1 {
		t.Fatalf("the target's sessions: %v, %v", targetSessions, err)
	}
	for c, email := range emails {
		jar, _ := cookiejar.New(nil)
		cl := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := cl.PostForm(srv.URL+"/login", url.Values{"email": {email}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != see {
			t.Fatalf("sign in %s: %d", c, resp.StatusCode)
		}
		secondStep(t, cl, srv.URL, resp.Header.Get("Location"), devices[c])
		f.clients[c] = cl
		secret, _, err := a.access.IssueTokenForEmail(ctx, email, domain.NewToken{Name: "matrix", Scope: domain.TokenFull})
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[c] = secret
	}
	orgs, err := a.directory.ListOrganizations(ctx, by)
	if err != nil {
		t.Fatal(err)
	}
	toks, err := a.access.ListTokens(ctx, mustActorFor(t, a, target))
	if err != nil {
		t.Fatal(err)
	}
	// A submitted request of the requesters' organisation, and a comment
	// on it by its author (so no caller may correct it).
	targetActor := mustActorFor(t, a, target)
	req, _, err := a.requests.Create(ctx, targetActor, "OPA", fixture.Request("Matrix request", time.Now()), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.requests.Transition(ctx, targetActor, req.ID, domain.ActionSubmit, domain.TransitionInput{Version: req.Version}); err != nil {
		t.Fatal(err)
	}
	comment, err := a.requests.AddComment(ctx, targetActor, req.ID, "For the record.")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := a.attach.Add(ctx, targetActor, req.ID, domain.AttachmentInput{Kind: domain.KindMap, Title: "Access map",
		Filename: "map.txt", Visibility: domain.VisibleToAll}, strings.NewReader("Road cut at km 12.\n"))
	if err != nil {
		t.Fatal(err)
	}
	// An unfinished resumable upload of the target's: nobody else's.
	up, err := a.attach.Begin(ctx, targetActor, req.ID, domain.AttachmentInput{Kind: domain.KindMap, Title: "Half a map",
		Filename: "map.txt", Visibility: domain.VisibleToAll}, 100)
	if err != nil {
		t.Fatal(err)
	}
	f.reset = func(t *testing.T) {
		t.Helper()
		if err := a.directory.SetMember(ctx, by, "OPA", target.ID, domain.RoleSet{domain.RoleRequester}); err != nil {
			t.Fatal(err)
		}
	}
	f.params = map[string]string{
		"code":            "OPA",
		"user_id":         strconv.FormatInt(target.ID, 10),
		"invitation_id":   "999999",
		"secret":          "no-such-link",
		"token":           "1.not-signed",
		"slug":            "no-such-provider",
		"/sso/{id}":       "999999",
		"/acting-hc/{id}": "999999",
		"/mail/{id}":      "999999", // no such e-mail
		"format":          "csv",
		// {id} by the collection it names.
		"/organizations/{id}": strconv.FormatInt(orgs[0].ID, 10),
		"/users/{id}":         strconv.FormatInt(target.ID, 10),
		"/tokens/{id}":        strconv.FormatInt(toks[0].ID, 10),           // someone else's token
		"/sessions/{id}":      strconv.FormatInt(targetSessions[0].ID, 10), // someone else's session
		"/requests/{id}":      strconv.FormatInt(req.ID, 10),
		"comment_id":          strconv.FormatInt(comment.ID, 10),
		"attachment_id":       strconv.FormatInt(doc.ID, 10),
		"/uploads/{id}":       strconv.FormatInt(up.FileID, 10), // someone else's upload
		"step":                web.StepIDs()[0],
	}
	return f
}

func mustActorFor(t *testing.T, a *app, u domain.User) domain.Actor {
	t.Helper()
	act, err := a.access.Actor(t.Context(), u.ID, u.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	return act
}

// path fills a route pattern's parameters.
func (f *authzFixture) path(t *testing.T, pattern string) string {
	t.Helper()
	if strings.HasPrefix(pattern, "/static/") {
		return webassets.Asset("css/app.css")
	}
	out := pattern
	for strings.Contains(out, "{") {
		i := strings.Index(out, "{")
		j := strings.Index(out[i:], "}") + i
		name := out[i+1 : j]
		v, ok := "", false
		if name == "id" {
			prefix := out[:i]
			for k, val := range f.params {
				if strings.HasPrefix(k, "/") && strings.HasSuffix(prefix+"{id}", k) {
					v, ok = val, true
				}
			}
		} else {
			v, ok = f.params[name]
		}
		if !ok {
			t.Fatalf("route %s: no value for parameter {%s}; add one to the matrix fixture", pattern, name)
		}
		out = out[:i] + v + out[j+1:]
	}
	return out
}

// probes numbers the matrix's requests, each from its own address.
var probes atomic.Int64

// TestAuthorizationMatrix walks every route the router registers, for an
// anonymous visitor and each role, and checks each answer against the
// matrix. A new route without a declared expectation fails the test.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	f := newAuthzFixture(t)
	var routes []string
	handler := f.srv.Config.Handler.(chi.Routes)
	err := chi.Walk(handler, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes = append(routes, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(routes)
	seen := map[string]bool{}
	var logout []string // signing out ends the session: run those last
	for _, route := range routes {
		seen[route] = true
		want, ok := matrix[route]
		if !ok {
			t.Errorf("route %s has no expectation in the authorization matrix", route)
			continue
		}
		if route == "POST /logout" || route == "POST /login/cancel" {
			logout = append(logout, route)
			continue
		}
		f.check(t, route, want)
	}
	for _, route := range logout {
		f.check(t, route, matrix[route])
	}
	for route := range matrix {
		if !seen[route] {
			t.Errorf("matrix declares %s, which the router does not register", route)
		}
	}
	t.Logf("checked %d routes × %d callers", len(routes), len(callers))
}

func (f *authzFixture) check(t *testing.T, route string, want expect) {
	t.Helper()
	method, pattern, _ := strings.Cut(route, " ")
	path := f.path(t, pattern)
	api := strings.HasPrefix(pattern, "/api/")
	for _, c := range callers {
		var body io.Reader
		if method != http.MethodGet && method != http.MethodHead && method != http.MethodDelete {
			if api {
				body = strings.NewReader("{}")
			} else {
				body = strings.NewReader("")
			}
		}
		req, err := http.NewRequest(method, f.srv.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		n := probes.Add(1)
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255))
		cl := http.DefaultClient
		if slices.Contains(passwordOnly, c) {
			f.passwordStep(t, c)
		}
		switch {
		case c == anon:
			cl = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		case api && slices.Contains(passwordOnly, c):
			cl = f.clients[c] // the session cookie: all a password-only sign-in has
		case api:
			req.Header.Set("Authorization", "Bearer "+f.tokens[c])
			cl = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		default:
			cl = f.clients[c]
		}
		if body != nil {
			if api {
				req.Header.Set("Content-Type", "application/json")
			} else {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
		}
		if api {
			cl = f.contract.Client(t, cl)
		}
		f.reset(t)
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want[c] {
			t.Errorf("%s %s as %s: status %d, want %d%s", method, path, c, resp.StatusCode, want[c], snippet(b))
		}
		if resp.StatusCode >= 500 {
			t.Errorf("%s %s as %s: a 5xx is never an authorization answer", method, path, c)
		}
	}
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 160 {
		s = s[:160]
	}
	return fmt.Sprintf(" (%s)", s)
}

// TestAPICrossOrigin: a session-authenticated API call from another site
// is refused with 403 and the API's JSON error body; from the same site
// it works.
func TestAPICrossOrigin(t *testing.T) {
	t.Parallel()
	f := newAuthzFixture(t)
	for _, tt := range []struct {
		site string
		want int
	}{{"cross-site", http.StatusForbidden}, {"same-origin", http.StatusCreated}} {
		req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/api/v1/me/tokens", strings.NewReader(`{"name":"laptop","current_password":"matrix password 1"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", tt.site)
		resp, err := f.contract.Client(t, f.clients[requester]).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error struct{ Code string } `json:"error"`
			Token string                `json:"token"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tt.want || err != nil {
			t.Fatalf("%s: status %d (decode: %v), want %d", tt.site, resp.StatusCode, err, tt.want)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: Content-Type %q, want JSON", tt.site, ct)
		}
		if tt.want == http.StatusForbidden && body.Error.Code != "forbidden" {
			t.Errorf("%s: error code %q, want forbidden", tt.site, body.Error.Code)
		}
		if tt.want == http.StatusCreated && !strings.HasPrefix(body.Token, "cmc_") {
			t.Errorf("%s: token %q", tt.site, body.Token)
		}
	}
}
