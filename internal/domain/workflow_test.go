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

// allow returns r as the subject of action with facts under which the
// action's guard, if any, lets it through: the tests of roles, states
// and inputs then see only those.
func allow(r domain.Request, action domain.Action) domain.Subject {
	s := domain.OnRequest(r)
	s.Known = domain.AllFacts
	s.Operation = domain.Operation{ID: r.OperationID}
	s.Now = testNow
	s.Voters = []int64{testOrgB, testOrgOC}
	s.Consent = &domain.Consent{Status: "consented"}
	s.Evaluation = domain.Evaluation{Flags: []domain.Flag{domain.FlagHRDDP}}
	s.Assessment = &domain.Assessment{Outcome: "support"}
	rv := domain.Review{ID: 1, Round: 1, Eligible: s.Voters, Policy: domain.ReviewPolicy{QuorumPercent: 50},
		OpenedAt: testNow.Add(-time.Hour), Deadline: testNow.Add(time.Hour)}
	switch action {
	case domain.ActionApprove, domain.ActionReject:
		rv.ClosedAt, rv.Tally = testNow, &domain.Tally{Eligible: 2, Voted: 2, QuorumMet: true, Passed: true}
	case domain.ActionReopenReview:
		rv.ClosedAt, rv.Tally = testNow, &domain.Tally{Eligible: 2}
	}
	s.Review = &rv
	if rv.Tally != nil {
		s.Tally = *rv.Tally
	} else {
		s.Tally = domain.Tally{Eligible: 2, Voted: 2, QuorumMet: true}
	}
	if action == domain.ActionRemindVoters { // someone left to remind
		s.Tally = domain.Tally{Eligible: 2, Voted: 1}
	}
	return s
}

// TestStatusPairs: the database's status check allows exactly the
// table's (from, to) pairs, each once.
func TestStatusPairs(t *testing.T) {
	t.Parallel()
	want := map[[2]domain.Status]bool{}
	for _, tr := range domain.Transitions() {
		for _, f := range tr.From {
			want[[2]domain.Status{f, tr.To}] = true
		}
	}
	got := map[[2]domain.Status]bool{}
	for _, p := range domain.StatusPairs() {
		if got[p] {
			t.Errorf("pair %v listed twice", p)
		}
		got[p] = true
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("StatusPairs = %v, want %v", got, want)
	}
}

func TestStatuses(t *testing.T) {
	t.Parallel()
	seen := map[domain.Status]bool{}
	for _, st := range domain.Statuses() {
		if seen[st] {
			t.Errorf("%s listed twice", st)
		}
		seen[st] = true
		// Terminal means exactly that no row leaves the status.
		leaves := slices.ContainsFunc(domain.Transitions(), func(tr domain.Rule) bool { return slices.Contains(tr.From, st) })
		if st.Terminal() == leaves {
			t.Errorf("%s.Terminal() = %v, but a row leaves it: %v", st, st.Terminal(), leaves)
		}
	}
	// Every status the table names is listed, and every status but the
	// first (a new request's) is reached by some row.
	for _, tr := range domain.Transitions() {
		for _, st := range append(slices.Clone(tr.From), tr.To) {
			if !seen[st] {
				t.Errorf("%s names status %q, which Statuses lacks", tr.Action, st)
			}
		}
	}
	for _, st := range domain.Statuses()[1:] {
		if !slices.ContainsFunc(domain.Transitions(), func(tr domain.Rule) bool { return tr.To == st }) {
			t.Errorf("no transition reaches %s", st)
		}
	}
}

func TestTransitionFor(t *testing.T) {
	t.Parallel()
	for _, tr := range domain.Transitions() {
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
func wantCan(tr domain.Rule, role domain.Role, s domain.Status) (domain.Code, string) {
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
	for _, tr := range domain.Transitions() {
		t.Run(string(tr.Action), func(t *testing.T) {
			t.Parallel()
			for _, s := range domain.Statuses() {
				r := requestIn(s)
				for _, role := range domain.AllRoles {
					code, msg := wantCan(tr, role, s)
					err := domain.Can(roleActor(role), tr.Action, allow(r, tr.Action))
					if domain.ErrorCode(err) != code || (err != nil && domain.ErrorMessage(err) != msg) {
						t.Errorf("%s from %s as %s: CanRequest = %v, want %q %q", tr.Action, s, role, err, code, msg)
					}
				}
				// A requester of another organisation sees none of its
				// requests; one who also holds a role that sees the
				// operation's requests may see it but not act as requester.
				if got := domain.ErrorCode(domain.Can(requesterB, tr.Action, domain.OnRequest(r))); got != domain.CodeNotFound {
					t.Errorf("%s from %s by another organisation's requester: code %q, want not_found", tr.Action, s, got)
				}
				want := domain.CodeForbidden
				if s == domain.StatusDraft {
					want = domain.CodeNotFound
				}
				if got := domain.ErrorCode(domain.Can(requesterBHCT, tr.Action, domain.OnRequest(r))); got != want {
					t.Errorf("%s from %s by another organisation's requester and HCT member: code %q, want %q", tr.Action, s, got, want)
				}
				if got := domain.ErrorCode(domain.Can(outsider, tr.Action, domain.OnRequest(r))); got != domain.CodeNotFound {
					t.Errorf("%s from %s by a non-member: code %q, want not_found", tr.Action, s, got)
				}
				if got := domain.ErrorCode(domain.Can(anonymous, tr.Action, domain.OnRequest(r))); got != domain.CodeUnauthorized {
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
	for _, tr := range domain.Transitions() {
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
					payload, err := r.Apply(roleActor(role), tr.Action, allow(r, tr.Action), in, testNow)
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
					// The reason is the step's own, or none: never the
					// earlier step's (TestApply_ReasonBelongsToItsStep).
					switch {
					case tr.NeedsReason && r.StatusReason != in.Reason:
						t.Errorf("StatusReason = %q, want %q", r.StatusReason, in.Reason)
					case !tr.NeedsReason && r.StatusReason != "":
						t.Errorf("StatusReason = %q, want none (the earlier step's is not this one's)", r.StatusReason)
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
			_, err := r.Apply(tt.actor, tt.action, allow(r, tt.action), tt.in, testNow)
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
		payload, err := r.Apply(requesterA, domain.ActionSubmit, allow(r, domain.ActionSubmit), domain.TransitionInput{Version: 1}, testNow)
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
		payload, err := r.Apply(requesterA, domain.ActionSubmit, allow(r, domain.ActionSubmit), domain.TransitionInput{Version: 3}, testNow)
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
		if _, err := r.Apply(requesterA, domain.ActionSubmit, allow(r, domain.ActionSubmit), domain.TransitionInput{Version: 3}, testNow); domain.ErrorMessage(err) != "request.stale" {
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
		payload, err := r.Apply(officer, domain.ActionRedirect, allow(r, domain.ActionRedirect), in, testNow)
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
		payload, err := r.Apply(officer, domain.ActionReturn, allow(r, domain.ActionReturn), domain.TransitionInput{Version: 3, Reason: "Name the hand-over organisation"}, testNow)
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
		payload, err := r.Apply(officer, domain.ActionOpenReview, allow(r, domain.ActionOpenReview), domain.TransitionInput{Version: 3}, testNow)
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
		{"UnknownAction", officer, domain.Action("request.launch"), "submitted", domain.CodeForbidden, "error.forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := domain.Can(tt.actor, tt.action, allow(requestIn(tt.status), tt.action))
			if got := domain.ErrorCode(err); got != tt.want {
				t.Fatalf("CanRequest = %v (code %q), want code %q", err, got, tt.want)
			}
			if err != nil && domain.ErrorMessage(err) != tt.msg {
				t.Errorf("message = %q, want %q", domain.ErrorMessage(err), tt.msg)
			}
		})
	}
}

func TestCan_CreateRequest(t *testing.T) {
	t.Parallel()
	open := domain.Operation{ID: testOp}
	closed := domain.Operation{ID: testOp, Closed: true}
	tests := []struct {
		name  string
		actor domain.Actor
		op    domain.Operation
		want  domain.Code
	}{
		{"OK", requesterA, open, ""},
		{"ErrClosed", requesterA, closed, domain.CodeConflict},
		{"ErrAnonymous", anonymous, open, domain.CodeUnauthorized},
		{"ErrNonMember", outsider, open, domain.CodeNotFound},
		{"ErrOtherOperation", requesterA, domain.Operation{ID: 2}, domain.CodeNotFound},
		{"ErrOfficer", officer, open, domain.CodeForbidden},
		{"ErrViewer", viewer, open, domain.CodeForbidden},
		{"OKOutsiderInOwnOperation", outsider, domain.Operation{ID: 2}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := domain.ErrorCode(domain.Can(tt.actor, domain.ActionCreateRequest, domain.OnOperation(tt.op))); got != tt.want {
				t.Fatalf("Can(create) code = %q, want %q", got, tt.want)
			}
		})
	}
}
