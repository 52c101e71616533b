package domain_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// member returns a signed-in actor of organisation org holding roles in
// the test operation.
func member(id, org int64, roles ...domain.Role) domain.Actor {
	return domain.Actor{UserID: id, OrganizationID: org, Name: fmt.Sprint("user ", id),
		Roles: map[int64]domain.RoleSet{testOp: roles}}
}

// roleActor returns an actor holding only role: a requester of the
// requesting organisation, anyone else from OCHA.
func roleActor(role domain.Role) domain.Actor {
	if role == domain.RoleRequester {
		return member(100, testOrgA, role)
	}
	return member(200+int64(slices.Index(domain.AllRoles, role)), testOrgOC, role)
}

var (
	requesterA = roleActor(domain.RoleRequester)
	requesterB = member(101, testOrgB, domain.RoleRequester) // another organisation's requester
	// another organisation's requester who is also an HCT member, so sees
	// every submitted request of the operation
	requesterBHCT = member(102, testOrgB, domain.RoleRequester, domain.RoleHCTMember)
	officer       = roleActor(domain.RoleOfficer)
	hcActor       = roleActor(domain.RoleHC)
	hctMember     = roleActor(domain.RoleHCTMember)
	hrddp         = roleActor(domain.RoleHRDDPReviewer)
	viewer        = roleActor(domain.RoleViewer)
	outsider      = domain.Actor{UserID: 300, OrganizationID: testOrgA, Roles: map[int64]domain.RoleSet{2: {domain.RoleRequester, domain.RoleOfficer}}}
	anonymous     = domain.Actor{}
)

// requestIn returns complete() of organisation A in status s, version 3.
func requestIn(s domain.Status) domain.Request {
	r := complete()
	r.Status, r.Version = s, 3
	return r
}

// specTransitions is PRODUCT.md §4 written out independently of
// domain.Transitions: action, from, to, roles, system, reason required.
var specTransitions = []domain.Transition{
	{Action: domain.ActionSubmit, From: []domain.Status{"draft", "returned"}, To: "submitted", Roles: []domain.Role{"requester"}},
	{Action: domain.ActionReturn, From: []domain.Status{"submitted"}, To: "returned", Roles: []domain.Role{"cmcoord_officer"}, NeedsReason: true},
	// The spec asks for the civilian alternative; the officer also says why.
	{Action: domain.ActionRedirect, From: []domain.Status{"submitted"}, To: "redirected", Roles: []domain.Role{"cmcoord_officer"}, NeedsReason: true},
	{Action: domain.ActionWithdraw, From: []domain.Status{"draft", "submitted", "returned", "hct_review", "hc_decision"}, To: "withdrawn",
		Roles: []domain.Role{"requester", "cmcoord_officer"}, NeedsReason: true},
	{Action: domain.ActionOpenReview, From: []domain.Status{"submitted"}, To: "hct_review", Roles: []domain.Role{"cmcoord_officer"}},
	{Action: domain.ActionCloseReview, From: []domain.Status{"hct_review"}, To: "hc_decision", Roles: []domain.Role{"cmcoord_officer"}, System: true},
	{Action: domain.ActionReturnReview, From: []domain.Status{"hct_review"}, To: "returned", Roles: []domain.Role{"cmcoord_officer"}, NeedsReason: true},
	{Action: domain.ActionReopenReview, From: []domain.Status{"hc_decision"}, To: "hct_review", Roles: []domain.Role{"cmcoord_officer"}},
	{Action: domain.ActionApprove, From: []domain.Status{"hc_decision"}, To: "approved", Roles: []domain.Role{"hc"}, NeedsReason: true},
	{Action: domain.ActionReject, From: []domain.Status{"hc_decision"}, To: "rejected", Roles: []domain.Role{"hc"}, NeedsReason: true},
	{Action: domain.ActionExpire, From: []domain.Status{"draft", "submitted", "returned", "hct_review", "hc_decision"}, To: "expired", System: true},
	// Issue 6: "no_support ends the request as rejected with that reason", recorded by the HRDDP reviewer.
	{Action: domain.ActionHRDDPReject, From: []domain.Status{"submitted"}, To: "rejected", Roles: []domain.Role{"hrddp_reviewer"}, NeedsReason: true},
	// Issue 6: "the officer can task a declined request again to another provider".
	{Action: domain.ActionTask, From: []domain.Status{"approved", "declined_by_provider"}, To: "tasked", Roles: []domain.Role{"cmcoord_officer"}},
	{Action: domain.ActionDecline, From: []domain.Status{"tasked"}, To: "declined_by_provider", Roles: []domain.Role{"cmcoord_officer"}, NeedsReason: true},
	{Action: domain.ActionStartExecution, From: []domain.Status{"tasked"}, To: "in_execution", Roles: []domain.Role{"cmcoord_officer"}},
	{Action: domain.ActionComplete, From: []domain.Status{"in_execution"}, To: "completed", Roles: []domain.Role{"cmcoord_officer", "requester"}},
	{Action: domain.ActionHandOver, From: []domain.Status{"completed"}, To: "handed_over", Roles: []domain.Role{"cmcoord_officer"}},
	{Action: domain.ActionCancel, From: []domain.Status{"approved", "tasked", "in_execution"}, To: "cancelled", Roles: []domain.Role{"cmcoord_officer", "hc"}, NeedsReason: true},
}

func sortedStatuses(s []domain.Status) []domain.Status {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func sortedRoles(s []domain.Role) []domain.Role {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// TestTransitions_MatchSpec compares the workflow table with PRODUCT.md
// §4, which says "No other transition exists".
func TestTransitions_MatchSpec(t *testing.T) {
	t.Parallel()
	if len(domain.Transitions) != len(specTransitions) {
		t.Errorf("len(Transitions) = %d, want %d", len(domain.Transitions), len(specTransitions))
	}
	seen := map[domain.Action]bool{}
	for _, got := range domain.Transitions {
		if seen[got.Action] {
			t.Errorf("%s has two rows", got.Action)
		}
		seen[got.Action] = true
		i := slices.IndexFunc(specTransitions, func(s domain.Transition) bool { return s.Action == got.Action })
		if i < 0 {
			t.Errorf("%s is not in PRODUCT.md §4", got.Action)
			continue
		}
		want := specTransitions[i]
		if g, w := sortedStatuses(got.From), sortedStatuses(want.From); !slices.Equal(g, w) {
			t.Errorf("%s From = %v, want %v", got.Action, g, w)
		}
		if got.To != want.To {
			t.Errorf("%s To = %q, want %q", got.Action, got.To, want.To)
		}
		if g, w := sortedRoles(got.Roles), sortedRoles(want.Roles); !slices.Equal(g, w) {
			t.Errorf("%s Roles = %v, want %v", got.Action, g, w)
		}
		if got.System != want.System || got.NeedsReason != want.NeedsReason {
			t.Errorf("%s System, NeedsReason = %v, %v; want %v, %v", got.Action, got.System, got.NeedsReason, want.System, want.NeedsReason)
		}
	}
	for _, s := range specTransitions {
		if !seen[s.Action] {
			t.Errorf("%s is missing from Transitions", s.Action)
		}
	}
}

func TestStatusPairs(t *testing.T) {
	t.Parallel()
	want := map[[2]domain.Status]bool{}
	for _, s := range specTransitions {
		for _, f := range s.From {
			want[[2]domain.Status{f, s.To}] = true
		}
	}
	got := map[[2]domain.Status]bool{}
	for _, p := range domain.StatusPairs() {
		if got[p] {
			t.Errorf("pair %v listed twice", p)
		}
		got[p] = true
		if !want[p] {
			t.Errorf("StatusPairs has %s → %s, which PRODUCT.md §4 does not allow", p[0], p[1])
		}
	}
	for p := range want {
		if !got[p] {
			t.Errorf("StatusPairs lacks %s → %s", p[0], p[1])
		}
	}
	// Every pair also comes from the table itself (no invented pairs).
	for p := range got {
		ok := slices.ContainsFunc(domain.Transitions, func(t domain.Transition) bool { return t.To == p[1] && slices.Contains(t.From, p[0]) })
		if !ok {
			t.Errorf("pair %v is not in Transitions", p)
		}
	}
}

func TestStatuses(t *testing.T) {
	t.Parallel()
	want := []domain.Status{"draft", "submitted", "returned", "redirected", "hct_review", "hc_decision", "approved",
		"rejected", "withdrawn", "expired", "tasked", "declined_by_provider", "in_execution", "completed", "handed_over", "cancelled"}
	if !slices.Equal(domain.Statuses, want) {
		t.Fatalf("Statuses = %v, want %v", domain.Statuses, want)
	}
	terminal := []domain.Status{"redirected", "rejected", "withdrawn", "expired", "handed_over", "cancelled"}
	open := []domain.Status{"draft", "submitted", "returned", "hct_review", "hc_decision", "approved", "tasked", "declined_by_provider", "in_execution", "completed"}
	for _, s := range terminal {
		if !s.Terminal() {
			t.Errorf("%s.Terminal() = false, want true", s)
		}
	}
	for _, s := range open {
		if s.Terminal() {
			t.Errorf("%s.Terminal() = true, want false", s)
		}
	}
	// Every status but draft is reached by some transition.
	for _, s := range domain.Statuses[1:] {
		if !slices.ContainsFunc(domain.Transitions, func(t domain.Transition) bool { return t.To == s }) {
			t.Errorf("no transition reaches %s", s)
		}
	}
}

func TestTransitionFor(t *testing.T) {
	t.Parallel()
	for _, tr := range domain.Transitions {
		got, ok := domain.TransitionFor(tr.Action)
		if !ok || got.Action != tr.Action || got.To != tr.To {
			t.Errorf("TransitionFor(%s) = %+v, %v", tr.Action, got, ok)
		}
	}
	for _, a := range []domain.Action{domain.ActionEditRequest, domain.ActionViewRequest, "request.nuke"} {
		if _, ok := domain.TransitionFor(a); ok {
			t.Errorf("TransitionFor(%s) found a transition", a)
		}
	}
}

// wantCan is what CanRequest must answer for an actor holding only role
// (of the requesting organisation when a requester), for transition tr,
// on a request in status s.
func wantCan(tr domain.Transition, role domain.Role, s domain.Status) (domain.Code, string) {
	switch {
	case s == domain.StatusDraft && role != domain.RoleRequester:
		return domain.CodeNotFound, "error.not_found"
	case !slices.Contains(tr.Roles, role):
		return domain.CodeForbidden, "error.forbidden"
	case !slices.Contains(tr.From, s):
		return domain.CodeConflict, "request.wrong_state"
	}
	return "", ""
}

// TestCanRequest_Transitions tries every transition from every status
// with every role, plus another organisation's requester, a non-member
// and an anonymous actor.
func TestCanRequest_Transitions(t *testing.T) {
	t.Parallel()
	for _, tr := range domain.Transitions {
		t.Run(string(tr.Action), func(t *testing.T) {
			t.Parallel()
			for _, s := range domain.Statuses {
				r := requestIn(s)
				for _, role := range domain.AllRoles {
					code, msg := wantCan(tr, role, s)
					err := domain.CanRequest(roleActor(role), tr.Action, r)
					if domain.ErrorCode(err) != code || (err != nil && domain.ErrorMessage(err) != msg) {
						t.Errorf("%s from %s as %s: CanRequest = %v, want %q %q", tr.Action, s, role, err, code, msg)
					}
				}
				// A requester of another organisation sees none of its
				// requests; one who also holds a role that sees the
				// operation's requests may see it but not act as requester.
				if got := domain.ErrorCode(domain.CanRequest(requesterB, tr.Action, r)); got != domain.CodeNotFound {
					t.Errorf("%s from %s by another organisation's requester: code %q, want not_found", tr.Action, s, got)
				}
				want := domain.CodeForbidden
				if s == domain.StatusDraft {
					want = domain.CodeNotFound
				}
				if got := domain.ErrorCode(domain.CanRequest(requesterBHCT, tr.Action, r)); got != want {
					t.Errorf("%s from %s by another organisation's requester and HCT member: code %q, want %q", tr.Action, s, got, want)
				}
				if got := domain.ErrorCode(domain.CanRequest(outsider, tr.Action, r)); got != domain.CodeNotFound {
					t.Errorf("%s from %s by a non-member: code %q, want not_found", tr.Action, s, got)
				}
				if got := domain.ErrorCode(domain.CanRequest(anonymous, tr.Action, r)); got != domain.CodeUnauthorized {
					t.Errorf("%s from %s anonymously: code %q, want unauthorized", tr.Action, s, got)
				}
			}
		})
	}
}

// TestApply_EveryRow applies every transition from each of its From
// states as each allowed role.
func TestApply_EveryRow(t *testing.T) {
	t.Parallel()
	for _, tr := range domain.Transitions {
		for _, from := range tr.From {
			for _, role := range tr.Roles {
				if from == domain.StatusDraft && role != domain.RoleRequester {
					continue // drafts are invisible to everyone else (TestCanRequest_Transitions)
				}
				t.Run(fmt.Sprintf("%s/%s/%s", tr.Action, from, role), func(t *testing.T) {
					t.Parallel()
					r := requestIn(from)
					r.StatusReason = "earlier reason"
					in := domain.TransitionInput{Version: 3, Reason: "Civilian helicopters arrived", CivilianReference: "SRF-NPL-0042"}
					payload, err := r.Apply(roleActor(role), tr.Action, in, testNow)
					if err != nil {
						t.Fatalf("Apply = %v", err)
					}
					if r.Status != tr.To {
						t.Errorf("Status = %q, want %q", r.Status, tr.To)
					}
					if !r.UpdatedAt.Equal(testNow) {
						t.Errorf("UpdatedAt = %v, want %v", r.UpdatedAt, testNow)
					}
					if payload["from"] != string(from) || payload["to"] != string(tr.To) || payload["reason"] != in.Reason {
						t.Errorf("payload = %v", payload)
					}
					switch {
					case tr.NeedsReason && r.StatusReason != in.Reason:
						t.Errorf("StatusReason = %q, want %q", r.StatusReason, in.Reason)
					case tr.Action == domain.ActionSubmit && r.StatusReason != "":
						t.Errorf("StatusReason = %q after submission, want empty", r.StatusReason)
					case !tr.NeedsReason && tr.Action != domain.ActionSubmit && r.StatusReason != "earlier reason":
						t.Errorf("StatusReason = %q, want it kept", r.StatusReason)
					}
				})
			}
		}
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	reason := "The Logistics Cluster can fly it on Tuesday."
	tests := []struct {
		name    string
		actor   domain.Actor
		status  domain.Status
		version int
		action  domain.Action
		in      domain.TransitionInput
		code    domain.Code
		message string
		fields  map[string]string
	}{
		{"ErrStale", officer, "submitted", 3, domain.ActionReturn, domain.TransitionInput{Version: 2, Reason: reason}, domain.CodeConflict, "request.stale", nil},
		{"ErrStaleNewer", requesterA, "returned", 3, domain.ActionSubmit, domain.TransitionInput{Version: 4}, domain.CodeConflict, "request.stale", nil},
		{"ErrWrongStateBeforeStale", officer, "approved", 3, domain.ActionReturn, domain.TransitionInput{Version: 1, Reason: reason}, domain.CodeConflict, "request.wrong_state", nil},
		{"ErrForbiddenBeforeStale", hctMember, "submitted", 3, domain.ActionReturn, domain.TransitionInput{Version: 1, Reason: reason}, domain.CodeForbidden, "error.forbidden", nil},
		{"ErrDraftHidden", officer, "draft", 1, domain.ActionWithdraw, domain.TransitionInput{Version: 1, Reason: reason}, domain.CodeNotFound, "error.not_found", nil},
		{"ErrOtherOrganization", requesterB, "submitted", 3, domain.ActionWithdraw, domain.TransitionInput{Version: 3, Reason: reason}, domain.CodeNotFound, "error.not_found", nil},
		{"ErrOtherOrganizationVisible", requesterBHCT, "submitted", 3, domain.ActionWithdraw, domain.TransitionInput{Version: 3, Reason: reason}, domain.CodeForbidden, "error.forbidden", nil},
		{"ErrOtherOrganizationComplete", requesterBHCT, "in_execution", 3, domain.ActionComplete, domain.TransitionInput{Version: 3}, domain.CodeForbidden, "error.forbidden", nil},
		{"ErrOtherOrganizationDraft", requesterB, "draft", 1, domain.ActionSubmit, domain.TransitionInput{Version: 1}, domain.CodeNotFound, "error.not_found", nil},
		{"ErrAnonymous", anonymous, "submitted", 3, domain.ActionReturn, domain.TransitionInput{Version: 3, Reason: reason}, domain.CodeUnauthorized, "error.unauthorized", nil},
		{"ErrNonMember", outsider, "submitted", 3, domain.ActionReturn, domain.TransitionInput{Version: 3, Reason: reason}, domain.CodeNotFound, "error.not_found", nil},
		{"ErrSystemOnly", officer, "submitted", 3, domain.ActionExpire, domain.TransitionInput{Version: 3}, domain.CodeForbidden, "error.forbidden", nil},
		{"ErrRedirectNoReference", officer, "submitted", 3, domain.ActionRedirect, domain.TransitionInput{Version: 3, Reason: reason},
			domain.CodeInvalid, "error.invalid", map[string]string{"civilian_reference": "field.required"}},
		{"ErrRedirectNothing", officer, "submitted", 3, domain.ActionRedirect, domain.TransitionInput{Version: 3, CivilianReference: " "},
			domain.CodeInvalid, "error.invalid", map[string]string{"reason": "field.required", "civilian_reference": "field.required"}},
		{"ErrRedirectReferenceTooLong", officer, "submitted", 3, domain.ActionRedirect, domain.TransitionInput{Version: 3, Reason: reason, CivilianReference: strings.Repeat("S", 201)},
			domain.CodeInvalid, "error.invalid", map[string]string{"civilian_reference": "field.too_long"}},
		{"ErrReasonBlank", officer, "submitted", 3, domain.ActionReturn, domain.TransitionInput{Version: 3, Reason: " \n\t"},
			domain.CodeInvalid, "error.invalid", map[string]string{"reason": "field.required"}},
		{"ErrReasonTooLong", hcActor, "hc_decision", 3, domain.ActionApprove, domain.TransitionInput{Version: 3, Reason: strings.Repeat("é", 2001)},
			domain.CodeInvalid, "error.invalid", map[string]string{"reason": "field.too_long"}},
		{"ReasonAtLimit", hcActor, "hc_decision", 3, domain.ActionApprove, domain.TransitionInput{Version: 3, Reason: strings.Repeat("é", 2000)}, "", "", nil},
		{"NoReasonNeeded", officer, "submitted", 3, domain.ActionOpenReview, domain.TransitionInput{Version: 3}, "", "", nil},
		// Apply takes transitions only; the other request actions are not moves.
		{"ErrNotATransitionView", officer, "submitted", 3, domain.ActionViewRequest, domain.TransitionInput{Version: 3}, domain.CodeForbidden, "error.forbidden", nil},
		{"ErrNotATransitionEdit", requesterA, "draft", 3, domain.ActionEditRequest, domain.TransitionInput{Version: 3}, domain.CodeForbidden, "error.forbidden", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := requestIn(tt.status)
			r.Version = tt.version
			before := r
			_, err := r.Apply(tt.actor, tt.action, tt.in, testNow)
			if got := domain.ErrorCode(err); got != tt.code {
				t.Fatalf("Apply = %v (code %q), want code %q", err, got, tt.code)
			}
			if err == nil {
				return
			}
			if got := domain.ErrorMessage(err); got != tt.message {
				t.Errorf("message = %q, want %q", got, tt.message)
			}
			var e *domain.Error
			asError(err, &e)
			if tt.fields != nil && !reflect.DeepEqual(e.Fields, tt.fields) {
				t.Errorf("Fields = %v, want %v", e.Fields, tt.fields)
			}
			if tt.message == "request.stale" && e.Data["Version"] != tt.version {
				t.Errorf("Data = %v, want Version %d", e.Data, tt.version)
			}
			if !reflect.DeepEqual(r, before) {
				t.Errorf("a refused Apply changed the request: %+v", r)
			}
		})
	}
}

func TestApply_Submit(t *testing.T) {
	t.Parallel()
	t.Run("OKFromDraftKeepsVersion", func(t *testing.T) {
		t.Parallel()
		r := complete()
		payload, err := r.Apply(requesterA, domain.ActionSubmit, domain.TransitionInput{Version: 1}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if r.Version != 1 || r.Status != domain.StatusSubmitted || !r.SubmittedAt.Equal(testNow) {
			t.Errorf("Version, Status, SubmittedAt = %d, %q, %v; want 1, submitted, %v", r.Version, r.Status, r.SubmittedAt, testNow)
		}
		want := map[string]any{"from": "draft", "to": "submitted", "version": 1}
		if !reflect.DeepEqual(payload, want) {
			t.Errorf("payload = %v, want %v", payload, want)
		}
	})
	t.Run("OKFromReturnedIncrementsVersion", func(t *testing.T) {
		t.Parallel()
		r := requestIn(domain.StatusReturned)
		r.StatusReason, r.CivilianReference = "Add the exit plan", "old"
		r.SubmittedAt = testNow.Add(-48 * time.Hour)
		payload, err := r.Apply(requesterA, domain.ActionSubmit, domain.TransitionInput{Version: 3}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if r.Version != 4 || !r.SubmittedAt.Equal(testNow) || r.StatusReason != "" || r.CivilianReference != "" {
			t.Errorf("Version, SubmittedAt, StatusReason, CivilianReference = %d, %v, %q, %q", r.Version, r.SubmittedAt, r.StatusReason, r.CivilianReference)
		}
		want := map[string]any{"from": "returned", "to": "submitted", "version": 4}
		if !reflect.DeepEqual(payload, want) {
			t.Errorf("payload = %v, want %v", payload, want)
		}
		// The old version is stale now.
		r.Status = domain.StatusReturned
		if _, err := r.Apply(requesterA, domain.ActionSubmit, domain.TransitionInput{Version: 3}, testNow); domain.ErrorMessage(err) != "request.stale" {
			t.Errorf("second submit with version 3 = %v, want request.stale", err)
		}
	})
}

func TestApply_Payloads(t *testing.T) {
	t.Parallel()
	t.Run("Redirect", func(t *testing.T) {
		t.Parallel()
		r := requestIn(domain.StatusSubmitted)
		in := domain.TransitionInput{Version: 3, Reason: "UNHAS can fly it", CivilianReference: "SRF-NPL-0042"}
		payload, err := r.Apply(officer, domain.ActionRedirect, in, testNow)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"from": "submitted", "to": "redirected", "reason": "UNHAS can fly it", "civilian_reference": "SRF-NPL-0042"}
		if !reflect.DeepEqual(payload, want) {
			t.Errorf("payload = %v, want %v", payload, want)
		}
		if r.CivilianReference != "SRF-NPL-0042" || r.StatusReason != "UNHAS can fly it" || !r.Status.Terminal() {
			t.Errorf("request = %q %q %q", r.Status, r.StatusReason, r.CivilianReference)
		}
		if r.Version != 3 {
			t.Errorf("Version = %d, want 3", r.Version)
		}
	})
	t.Run("Return", func(t *testing.T) {
		t.Parallel()
		r := requestIn(domain.StatusSubmitted)
		payload, err := r.Apply(officer, domain.ActionReturn, domain.TransitionInput{Version: 3, Reason: "Name the hand-over organisation"}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"from": "submitted", "to": "returned", "reason": "Name the hand-over organisation"}
		if !reflect.DeepEqual(payload, want) {
			t.Errorf("payload = %v, want %v", payload, want)
		}
		if r.CivilianReference != "" {
			t.Errorf("CivilianReference = %q on a return", r.CivilianReference)
		}
	})
	t.Run("OpenReview", func(t *testing.T) {
		t.Parallel()
		r := requestIn(domain.StatusSubmitted)
		payload, err := r.Apply(officer, domain.ActionOpenReview, domain.TransitionInput{Version: 3}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]any{"from": "submitted", "to": "hct_review"}; !reflect.DeepEqual(payload, want) {
			t.Errorf("payload = %v, want %v", payload, want)
		}
	})
}

func TestCanRequest_Actions(t *testing.T) {
	t.Parallel()
	dual := member(400, testOrgA, domain.RoleRequester, domain.RoleOfficer)
	tests := []struct {
		name   string
		actor  domain.Actor
		action domain.Action
		status domain.Status
		want   domain.Code
		msg    string
	}{
		{"ViewOwnDraft", requesterA, domain.ActionViewRequest, "draft", "", ""},
		{"ViewDraftOtherOrganization", requesterB, domain.ActionViewRequest, "draft", domain.CodeNotFound, "error.not_found"},
		{"ViewDraftOtherOrganizationHCT", requesterBHCT, domain.ActionViewRequest, "draft", domain.CodeNotFound, "error.not_found"},
		{"ViewSubmittedOtherOrganization", requesterB, domain.ActionViewRequest, "submitted", domain.CodeNotFound, "error.not_found"},
		{"ViewSubmittedOtherOrganizationHCT", requesterBHCT, domain.ActionViewRequest, "submitted", "", ""},
		{"ViewOwnSubmitted", requesterA, domain.ActionViewRequest, "handed_over", "", ""},
		{"ViewDraftOfficer", officer, domain.ActionViewRequest, "draft", domain.CodeNotFound, "error.not_found"},
		{"ViewDraftHC", hcActor, domain.ActionViewRequest, "draft", domain.CodeNotFound, "error.not_found"},
		{"ViewDraftHCTMember", hctMember, domain.ActionViewRequest, "draft", domain.CodeNotFound, "error.not_found"},
		{"ViewDraftHRDDP", hrddp, domain.ActionViewRequest, "draft", domain.CodeNotFound, "error.not_found"},
		{"ViewDraftViewer", viewer, domain.ActionViewRequest, "draft", domain.CodeNotFound, "error.not_found"},
		{"ViewDraftOfficerOfSameOrganization", dual, domain.ActionViewRequest, "draft", "", ""},
		{"ViewSubmittedOfficer", officer, domain.ActionViewRequest, "submitted", "", ""},
		{"ViewSubmittedViewer", viewer, domain.ActionViewRequest, "submitted", "", ""},
		{"ViewSubmittedHCTMember", hctMember, domain.ActionViewRequest, "hct_review", "", ""},
		{"ViewNonMember", outsider, domain.ActionViewRequest, "submitted", domain.CodeNotFound, "error.not_found"},
		{"ViewAnonymous", anonymous, domain.ActionViewRequest, "submitted", domain.CodeUnauthorized, "error.unauthorized"},
		{"EditOwnDraft", requesterA, domain.ActionEditRequest, "draft", "", ""},
		{"EditOwnReturned", requesterA, domain.ActionEditRequest, "returned", "", ""},
		{"EditSubmitted", requesterA, domain.ActionEditRequest, "submitted", domain.CodeConflict, "request.not_editable"},
		{"EditApproved", requesterA, domain.ActionEditRequest, "approved", domain.CodeConflict, "request.not_editable"},
		{"EditOtherOrganization", requesterB, domain.ActionEditRequest, "returned", domain.CodeNotFound, "error.not_found"},
		{"EditOtherOrganizationVisible", requesterBHCT, domain.ActionEditRequest, "returned", domain.CodeForbidden, "error.forbidden"},
		{"EditOfficer", officer, domain.ActionEditRequest, "returned", domain.CodeForbidden, "error.forbidden"},
		{"CommentRequester", requesterA, domain.ActionComment, "submitted", "", ""},
		{"CommentOtherOrganization", requesterB, domain.ActionComment, "submitted", domain.CodeNotFound, "error.not_found"},
		{"CommentOtherOrganizationAsHCTMember", requesterBHCT, domain.ActionComment, "submitted", "", ""},
		{"CommentHCTMember", hctMember, domain.ActionComment, "hct_review", "", ""},
		{"CommentHRDDP", hrddp, domain.ActionComment, "submitted", "", ""},
		{"CommentViewer", viewer, domain.ActionComment, "submitted", domain.CodeForbidden, "error.forbidden"},
		{"ContactOfficer", officer, domain.ActionViewContact, "submitted", "", ""},
		{"ContactHC", hcActor, domain.ActionViewContact, "hc_decision", "", ""},
		{"ContactOwnRequester", requesterA, domain.ActionViewContact, "submitted", "", ""},
		{"ContactOtherOrganization", requesterB, domain.ActionViewContact, "submitted", domain.CodeNotFound, "error.not_found"},
		{"ContactOtherOrganizationVisible", requesterBHCT, domain.ActionViewContact, "submitted", domain.CodeForbidden, "error.forbidden"},
		{"ContactHCTMember", hctMember, domain.ActionViewContact, "hct_review", domain.CodeForbidden, "error.forbidden"},
		{"ContactViewer", viewer, domain.ActionViewContact, "submitted", domain.CodeForbidden, "error.forbidden"},
		{"BriefingOfficer", officer, domain.ActionRecordBriefing, "submitted", "", ""},
		{"BriefingRequester", requesterA, domain.ActionRecordBriefing, "submitted", domain.CodeForbidden, "error.forbidden"},
		{"ScreenOfficer", officer, domain.ActionScreen, "submitted", "", ""},
		{"ScreenHC", hcActor, domain.ActionScreen, "submitted", domain.CodeForbidden, "error.forbidden"},
		{"UnknownAction", officer, domain.Action("request.launch"), "submitted", domain.CodeForbidden, "error.forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := domain.CanRequest(tt.actor, tt.action, requestIn(tt.status))
			if got := domain.ErrorCode(err); got != tt.want {
				t.Fatalf("CanRequest = %v (code %q), want code %q", err, got, tt.want)
			}
			if err != nil && domain.ErrorMessage(err) != tt.msg {
				t.Errorf("message = %q, want %q", domain.ErrorMessage(err), tt.msg)
			}
		})
	}
}

func TestCanCreateRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		actor domain.Actor
		opID  int64
		want  domain.Code
	}{
		{"OK", requesterA, testOp, ""},
		{"ErrAnonymous", anonymous, testOp, domain.CodeUnauthorized},
		{"ErrNonMember", outsider, testOp, domain.CodeNotFound},
		{"ErrOtherOperation", requesterA, 2, domain.CodeNotFound},
		{"ErrOfficer", officer, testOp, domain.CodeForbidden},
		{"ErrViewer", viewer, testOp, domain.CodeForbidden},
		{"OKOutsiderInOwnOperation", outsider, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := domain.ErrorCode(domain.CanCreateRequest(tt.actor, tt.opID)); got != tt.want {
				t.Fatalf("CanCreateRequest code = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAvailableActions(t *testing.T) {
	t.Parallel()
	A := func(a ...domain.Action) []domain.Action { return a }
	tests := []struct {
		name   string
		actor  domain.Actor
		status domain.Status
		want   []domain.Action
	}{
		{"RequesterDraft", requesterA, "draft", A(domain.ActionSubmit, domain.ActionWithdraw)},
		{"RequesterReturned", requesterA, "returned", A(domain.ActionSubmit, domain.ActionWithdraw)},
		{"RequesterSubmitted", requesterA, "submitted", A(domain.ActionWithdraw)},
		{"RequesterInExecution", requesterA, "in_execution", A(domain.ActionComplete)},
		{"OtherOrganizationSubmitted", requesterB, "submitted", nil},
		{"OtherOrganizationInExecution", requesterB, "in_execution", nil},
		{"OtherOrganizationHCTInExecution", requesterBHCT, "in_execution", nil},
		{"OfficerDraft", officer, "draft", nil},
		{"OfficerSubmitted", officer, "submitted", A(domain.ActionReturn, domain.ActionRedirect, domain.ActionWithdraw, domain.ActionOpenReview)},
		{"OfficerReview", officer, "hct_review", A(domain.ActionWithdraw, domain.ActionCloseReview, domain.ActionReturnReview)},
		{"OfficerDecision", officer, "hc_decision", A(domain.ActionWithdraw, domain.ActionReopenReview)},
		{"OfficerApproved", officer, "approved", A(domain.ActionTask, domain.ActionCancel)},
		{"OfficerTasked", officer, "tasked", A(domain.ActionDecline, domain.ActionStartExecution, domain.ActionCancel)},
		{"OfficerCompleted", officer, "completed", A(domain.ActionHandOver)},
		{"OfficerHandedOver", officer, "handed_over", nil},
		{"HCDecision", hcActor, "hc_decision", A(domain.ActionApprove, domain.ActionReject)},
		{"HCInExecution", hcActor, "in_execution", A(domain.ActionCancel)},
		{"HCTMemberReview", hctMember, "hct_review", nil},
		{"ViewerSubmitted", viewer, "submitted", nil},
		{"Anonymous", anonymous, "submitted", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := domain.AvailableActions(tt.actor, requestIn(tt.status)); !slices.Equal(got, tt.want) {
				t.Fatalf("AvailableActions = %v, want %v", got, tt.want)
			}
		})
	}
}
