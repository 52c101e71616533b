package service_test

import (
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestReasonBelongsToItsStep takes real requests through every step of
// the rulebook that states a reason (domain.Rule.StatesReason), each
// followed by the steps after it where there are any: after each step,
// the request (what the API answers) carries that step's reason and no
// other, and the trail's step for the status (domain.StatusStep, what
// the page and the record show it under) is that step, with that reason.
// It fails when a row that states a reason is added and not walked.
func TestReasonBelongsToItsStep(t *testing.T) {
	t.Parallel()
	f := newLifeFixture(t)
	ctx := t.Context()
	taken := map[domain.Action]bool{}
	// after checks request id once action has been taken, with want
	// (a person's words) or code (the system's) as its reason.
	after := func(id int64, action domain.Action, want string, code domain.ReasonCode) {
		t.Helper()
		taken[action] = true
		d, err := f.reqs.Detail(ctx, f.officer, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Request.StatusReason != want || d.Request.StatusReasonCode != code {
			t.Errorf("after %s: reason %q code %q, want %q %q", action, d.Request.StatusReason, d.Request.StatusReasonCode, want, code)
		}
		st, ok := domain.StatusStep(d.Events)
		if !ok || st.Action != action || st.Reason != want || st.ReasonCode != code {
			t.Errorf("after %s: the status's step is %+v", action, st)
		}
	}
	version := func(id int64) int {
		t.Helper()
		d, err := f.reqs.Get(ctx, f.officer, id)
		if err != nil {
			t.Fatal(err)
		}
		return d.Request.Version
	}
	step := func(id int64, by domain.Actor, action domain.Action, reason string) {
		t.Helper()
		in := domain.TransitionInput{Version: version(id), Reason: reason, CivilianReference: "LogCluster-77"}
		if _, err := f.reqs.Transition(ctx, by, id, action, in); err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		if t, _ := domain.TransitionFor(action); !t.NeedsReason {
			reason = ""
		}
		after(id, action, reason, "")
	}
	open := func(id int64) {
		t.Helper()
		if _, err := f.reviews.Open(ctx, f.officer, id, service.OpenInput{Version: version(id)}); err != nil {
			t.Fatal(err)
		}
		after(id, domain.ActionOpenReview, "", "")
	}
	closeReview := func(id int64) {
		t.Helper()
		for _, a := range f.hct {
			if _, err := f.reviews.Vote(ctx, a, id, service.VoteInput{Value: domain.VoteSupport}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.reviews.Close(ctx, f.officer, id, version(id)); err != nil {
			t.Fatal(err)
		}
		after(id, domain.ActionCloseReview, "", "")
	}
	decide := func(id int64, outcome domain.Status, action domain.Action, rationale string) {
		t.Helper()
		if _, err := f.reviews.Decide(ctx, f.hc, id, service.DecisionInput{Version: version(id), Outcome: outcome, Rationale: rationale}); err != nil {
			t.Fatal(err)
		}
		after(id, action, rationale, "")
	}
	task := func(id int64) {
		t.Helper()
		if _, err := f.life.Task(ctx, f.officer, id, version(id), tasking); err != nil {
			t.Fatal(err)
		}
		after(id, domain.ActionTask, "", "")
	}
	consent := func(id int64) {
		t.Helper()
		if _, err := f.life.RecordConsent(ctx, f.officer, id, nowVersion(t, f.reqs, id), domain.Consent{Status: "consented", Authority: "NDRRMA", Date: f.clock.now()}); err != nil {
			t.Fatal(err)
		}
	}

	// Return, review return, approval and decline, each followed by the
	// next steps up to the hand-over.
	a := f.submitted(t, "The long way").ID
	step(a, f.officer, domain.ActionReturn, "Say which landing zones.")
	step(a, f.requester, domain.ActionSubmit, "")
	open(a)
	step(a, f.officer, domain.ActionReturnReview, "The HCT asks for the fuel plan.")
	step(a, f.requester, domain.ActionSubmit, "")
	open(a)
	closeReview(a)
	decide(a, domain.StatusApproved, domain.ActionApprove, "Only heavy-lift helicopters can reach Barpak this week.")
	consent(a)
	task(a)
	step(a, f.officer, domain.ActionDecline, "Both helicopters grounded for maintenance.")
	task(a)
	step(a, f.officer, domain.ActionStartExecution, "")
	step(a, f.officer, domain.ActionComplete, "")
	if _, err := f.life.HandOver(ctx, f.officer, a, version(a), domain.Handover{Organization: "wfp road convoys", Date: f.clock.now()}); err != nil {
		t.Fatal(err)
	}
	after(a, domain.ActionHandOver, "", "")

	// Each ending that states a reason.
	step(f.submitted(t, "Redirected").ID, f.officer, domain.ActionRedirect, "The Logistics Cluster flies it on Tuesday.")
	step(f.submitted(t, "Withdrawn").ID, f.requester, domain.ActionWithdraw, "The road reopened.")
	rej := f.submitted(t, "Rejected").ID
	open(rej)
	closeReview(rej)
	decide(rej, domain.StatusRejected, domain.ActionReject, "Civilian trucks can reach the site in time.")
	cancelled := f.approved(t, "Cancelled").ID
	consent(cancelled)
	task(cancelled)
	step(cancelled, f.officer, domain.ActionCancel, "The last resort ended: the road reopened.")

	// The system's: expiry when the required-by time passes.
	exp := f.submitted(t, "Expired")
	t0 := f.clock.t
	f.clock.t = exp.RequiredBy.Add(time.Minute)
	if _, err := f.reviews.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	after(exp.ID, domain.ActionExpire, "", domain.ReasonRequiredByPassed)
	f.clock.t = t0

	// The HRDDP assessment's "no support".
	un, err := f.dir.CreateOrganization(ctx, f.admin, domain.Organization{Name: "UN Agency", Acronym: "UNA", Type: domain.OrgUNAgency, UNEntity: true})
	if err != nil {
		t.Fatal(err)
	}
	rq := f.member(t, "un@example.org", un.ID, domain.RoleRequester)
	req := fixture.Request("Fuel for the force", f.clock.now())
	req.Checklist["LR18"] = domain.Answer{Value: "yes", Note: "Fuel for the helicopters"}
	h, _, err := f.reqs.Create(ctx, rq, f.op.Code, req, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.reqs.Transition(ctx, rq, h.ID, domain.ActionSubmit, domain.TransitionInput{Version: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.life.Assess(ctx, f.hrddp, h.ID, nowVersion(t, f.reqs, h.ID), domain.Assessment{ReceivingEntity: "Unit", SupportDescription: "Fuel", SupportCategory: "logistical",
		GraveViolations: "Reported", Accountability: "None", RiskLevel: "high", BenefitsAndRisks: "Risky", Mitigation: "None possible",
		MonitoringPlan: "n/a", InterventionProcess: "n/a", Outcome: "no_support"}); err != nil {
		t.Fatal(err)
	}
	after(h.ID, domain.ActionHRDDPReject, "", domain.ReasonHRDDPNoSupport)

	for _, r := range domain.Transitions() {
		if r.StatesReason() && !taken[r.Action] {
			t.Errorf("%s states a reason and this walk does not take it", r.Action)
		}
	}
}
