package service_test

import (
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// lifeFixture has an approved request and the Lifecycle service.
type lifeFixture struct {
	*reviewFixture
	life  *service.Lifecycle
	hrddp domain.Actor
}

func newLifeFixture(t *testing.T) *lifeFixture {
	t.Helper()
	f := &lifeFixture{reviewFixture: newReviewFixture(t, 2)}
	f.life = service.NewLifecycle(store.New(f.pool), f.clock.now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.hrddp = f.member(t, "hrddp@example.org", f.officer.OrganizationID, domain.RoleHRDDPReviewer)
	return f
}

// approved takes a complete request through review and approval.
func (f *lifeFixture) approved(t *testing.T, title string) domain.Request {
	t.Helper()
	ctx := t.Context()
	r := f.submitted(t, title)
	f.open(t, r)
	for _, a := range f.hct {
		if _, err := f.reviews.Vote(ctx, a, r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.reviews.Close(ctx, f.officer, r.ID, r.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reviews.Decide(ctx, f.hc, r.ID, service.DecisionInput{Version: r.Version, Outcome: domain.StatusApproved, Rationale: "Passed."}); err != nil {
		t.Fatal(err)
	}
	return r
}

var tasking = domain.Tasking{ProviderISO3: "ind", Unit: "Air Force 152 Helicopter Unit", AssetType: "Mi-17 helicopter", AssetCount: 2, PlatformRef: "MNMCC-0042"}

func TestLifecycleToHandover(t *testing.T) {
	t.Parallel()
	f := newLifeFixture(t)
	ctx := t.Context()
	r := f.approved(t, "Heavy lift")
	v := r.Version

	// No tasking without consent requested or given.
	_, err := f.life.Task(ctx, f.officer, r.ID, v, tasking)
	wantCode(t, err, domain.CodeConflict, "tasking.consent_needed")
	_, err = f.life.RecordConsent(ctx, f.requester, r.ID, nowVersion(t, f.reqs, r.ID), domain.Consent{Status: "consented"})
	wantCode(t, err, domain.CodeForbidden, "")
	_, err = f.life.RecordConsent(ctx, f.officer, r.ID, nowVersion(t, f.reqs, r.ID), domain.Consent{Status: "consented"})
	wantCode(t, err, domain.CodeInvalid, "")
	if _, err := f.life.RecordConsent(ctx, f.officer, r.ID, nowVersion(t, f.reqs, r.ID), domain.Consent{Status: "consented", Authority: "NDRRMA",
		Channel: "Letter", Date: f.clock.now(), Reference: "NDRRMA/2026/114"}); err != nil {
		t.Fatal(err)
	}
	// Tasked, declined by the provider, tasked again to another.
	if _, err := f.life.Task(ctx, f.officer, r.ID, v, tasking); err != nil {
		t.Fatal(err)
	}
	_, err = f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionDecline, domain.TransitionInput{Version: v, Reason: ""})
	wantCode(t, err, domain.CodeInvalid, "")
	if _, err := f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionDecline, domain.TransitionInput{Version: v, Reason: "Both helicopters grounded for maintenance."}); err != nil {
		t.Fatal(err)
	}
	other := tasking
	other.ProviderISO3, other.Unit = "CHN", "PLA Air Force transport unit"
	if _, err := f.life.Task(ctx, f.officer, r.ID, v, other); err != nil {
		t.Fatal(err)
	}
	// Execution with reports, then completion and the hand-over.
	if _, err := f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionStartExecution, domain.TransitionInput{Version: v}); err != nil {
		t.Fatal(err)
	}
	for _, rep := range []domain.ExecutionReport{
		{Date: f.clock.now(), Sorties: 6, FlightHours: 9.5, Tonnes: 12, Passengers: 3},
		{Date: f.clock.now(), Sorties: 4, FlightHours: 6, Tonnes: 8.25, Medevacs: 2, PeopleReached: 4000},
	} {
		if _, err := f.life.Report(ctx, f.officer, r.ID, 0, rep); err != nil {
			t.Fatal(err)
		}
	}
	_, err = f.life.Report(ctx, f.officer, r.ID, 0, domain.ExecutionReport{Date: f.clock.now().Add(72 * time.Hour)})
	wantCode(t, err, domain.CodeInvalid, "")
	if _, err := f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionComplete, domain.TransitionInput{Version: v}); err != nil {
		t.Fatal(err)
	}
	_, err = f.life.HandOver(ctx, f.officer, r.ID, v, domain.Handover{Organization: "Another NGO", Date: f.clock.now()})
	wantCode(t, err, domain.CodeInvalid, "")
	got, err := f.life.HandOver(ctx, f.officer, r.ID, v, domain.Handover{Organization: "wfp road convoys", Date: f.clock.now()})
	if err != nil || got.Status != domain.StatusHandedOver {
		t.Fatalf("hand over = %s, %v", got.Status, err)
	}
	st, err := f.life.State(ctx, f.requester, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Taskings) != 2 || st.Taskings[0].DeclinedAt.IsZero() || st.Taskings[1].StartedAt.IsZero() ||
		st.Totals.Sorties != 10 || st.Totals.Tonnes != 20.25 || st.Totals.Medevacs != 2 || st.Handover == nil {
		t.Fatalf("state = %+v", st)
	}
	if _, err := f.reqs.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestConsentSettlesWarning: the consent-pending warning of a request
// answered "pending" stands until the officer records a consent that
// settles it, on the request as every reader gets it (Get).
func TestConsentSettlesWarning(t *testing.T) {
	t.Parallel()
	f := newLifeFixture(t)
	ctx := t.Context()
	req := fixture.Request("Consent pending", f.clock.now())
	req.Checklist["LR11"] = domain.Answer{Value: "pending"}
	r := f.create(t, req)
	r, err := f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version})
	if err != nil {
		t.Fatal(err)
	}
	f.open(t, r)
	for _, a := range f.hct {
		if _, err := f.reviews.Vote(ctx, a, r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.reviews.Close(ctx, f.officer, r.ID, r.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reviews.Decide(ctx, f.hc, r.ID, service.DecisionInput{Version: r.Version, Outcome: domain.StatusApproved, Rationale: "Passed."}); err != nil {
		t.Fatal(err)
	}
	flags := func() domain.Evaluation {
		t.Helper()
		d, err := f.reqs.Get(ctx, f.requester, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		return d.Evaluation
	}
	if ev := flags(); !ev.Has(domain.FlagNoConsent) || ev.Item("LR11").Reason != "checklist.reason.consent_pending" {
		t.Fatalf("before consent: %v %+v", ev.Flags, ev.Item("LR11"))
	}
	if _, err := f.life.RecordConsent(ctx, f.officer, r.ID, nowVersion(t, f.reqs, r.ID), domain.Consent{Status: "consented", Authority: "NDRRMA", Date: f.clock.now()}); err != nil {
		t.Fatal(err)
	}
	if ev := flags(); ev.Has(domain.FlagNoConsent) || ev.Item("LR11").Warning || ev.Item("LR11").State() != domain.StateMet {
		t.Fatalf("after consent: %v %+v", ev.Flags, ev.Item("LR11"))
	}
}

func TestConsentRefusedCancels(t *testing.T) {
	t.Parallel()
	f := newLifeFixture(t)
	r := f.approved(t, "Refused")
	got, err := f.life.RecordConsent(t.Context(), f.officer, r.ID, nowVersion(t, f.reqs, r.ID), domain.Consent{Status: "refused", Authority: "Ministry of Home Affairs", Date: f.clock.now()})
	// The system's reason is a code, never a sentence in one language.
	if err != nil || got.Status != domain.StatusCancelled || got.StatusReasonCode != domain.ReasonConsentRefused || got.StatusReason != "" {
		t.Fatalf("after refusal: %s %q %q, %v", got.Status, got.StatusReasonCode, got.StatusReason, err)
	}
}

func TestCancelAndTiming(t *testing.T) {
	t.Parallel()
	f := newLifeFixture(t)
	ctx := t.Context()
	r := f.approved(t, "Ends soon")
	// The fixture request ends 19 days after t0: not yet flagged.
	st, _ := f.life.State(ctx, f.officer, r.ID)
	if st.Timing != domain.TaskOnTime {
		t.Fatalf("timing %q", st.Timing)
	}
	f.clock.t = f.clock.t.Add(14 * 24 * time.Hour)
	if st, _ = f.life.State(ctx, f.officer, r.ID); st.Timing != domain.TaskEndingSoon {
		t.Fatalf("timing %q, want ending soon", st.Timing)
	}
	q, err := f.reqs.Queue(ctx, f.officer, f.op.ID, domain.QueueTasksEnding)
	if err != nil || len(q) != 1 {
		t.Fatalf("tasks ending = %d, %v", len(q), err)
	}
	f.clock.t = f.clock.t.Add(7 * 24 * time.Hour)
	if st, _ = f.life.State(ctx, f.officer, r.ID); st.Timing != domain.TaskOverrun {
		t.Fatalf("timing %q, want overrun", st.Timing)
	}
	_, err = f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionCancel, domain.TransitionInput{Version: r.Version, Reason: ""})
	wantCode(t, err, domain.CodeInvalid, "")
	got, err := f.reqs.Transition(ctx, f.hc, r.ID, domain.ActionCancel, domain.TransitionInput{Version: r.Version, Reason: "Civilian capacity now available: last resort ended."})
	if err != nil || got.Status != domain.StatusCancelled {
		t.Fatalf("cancel = %s, %v", got.Status, err)
	}
}

// TestHRDDPAssessment: a UN entity paying an armed escort needs an
// assessment before review; only the HRDDP reviewer records it; only the
// reviewer, the HC and the officer see it; "no support" rejects; the
// trail never holds its content.
func TestHRDDPAssessment(t *testing.T) {
	t.Parallel()
	f := newLifeFixture(t)
	ctx := t.Context()
	un, rq := f.unRequester(t)
	viewer := f.member(t, "viewer@example.org", un.ID, domain.RoleViewer)
	escorted := func(title string) domain.Request { return f.escorted(t, rq, title, true) }
	r := escorted("Escort paid in fuel")
	_, err := f.reviews.Open(ctx, f.officer, r.ID, service.OpenInput{Version: 1})
	wantCode(t, err, domain.CodeConflict, "review.hrddp_required")
	q, err := f.reqs.Queue(ctx, f.hrddp, f.op.ID, domain.QueueAwaitingAssessment)
	if err != nil || len(q) != 1 || q[0].ID != r.ID {
		t.Fatalf("awaiting assessment = %+v, %v", q, err)
	}
	a := domain.Assessment{ReceivingEntity: "SPLA 3rd Division", SupportDescription: "Fuel for escort vehicles", SupportCategory: "logistical",
		GraveViolations: "OHCHR 2025 report: none attributed to this unit", Accountability: "Military justice cases opened in 2025",
		RiskLevel: "medium", BenefitsAndRisks: "Food reaches 40,000 people", MonitoringPlan: "Monthly review with the mission HR section",
		InterventionProcess: "Suspend fuel on any credible allegation", Outcome: "support_with_mitigation"}
	if d, err := f.reqs.Get(ctx, f.officer, r.ID); err != nil || !d.Evaluation.Has(domain.FlagHRDDP) {
		t.Fatalf("before the assessment: flags %v, %v", d.Evaluation.Flags, err)
	}
	_, err = f.life.Assess(ctx, f.officer, r.ID, nowVersion(t, f.reqs, r.ID), a)
	wantCode(t, err, domain.CodeForbidden, "")
	_, err = f.life.Assess(ctx, f.hrddp, r.ID, nowVersion(t, f.reqs, r.ID), a)
	wantCode(t, err, domain.CodeInvalid, "") // medium risk needs mitigation
	a.Mitigation = "Fuel delivered only at checkpoints; monitoring by the HR section"
	if _, err := f.life.Assess(ctx, f.hrddp, r.ID, nowVersion(t, f.reqs, r.ID), a); err != nil {
		t.Fatal(err)
	}
	// The warning is the current state's: "required" gives way to "recorded".
	if d, err := f.reqs.Get(ctx, f.officer, r.ID); err != nil || d.Evaluation.Has(domain.FlagHRDDP) || !d.Evaluation.Has(domain.FlagHRDDPAssessed) ||
		d.Evaluation.Item("LR18").Reason != "checklist.reason.hrddp_assessed" {
		t.Fatalf("after the assessment: flags %v, LR18 %+v, %v", d.Evaluation.Flags, d.Evaluation.Item("LR18"), err)
	}
	if q, err := f.reqs.Queue(ctx, f.hrddp, f.op.ID, domain.QueueAwaitingAssessment); err != nil || len(q) != 0 {
		t.Fatalf("awaiting assessment after it = %+v, %v", q, err)
	}
	for who, sees := range map[string]domain.Actor{"officer": f.officer, "hc": f.hc, "hrddp": f.hrddp} {
		st, err := f.life.State(ctx, sees, r.ID)
		if err != nil || st.Assessment == nil || st.Assessment.ReceivingEntity != "SPLA 3rd Division" {
			t.Errorf("%s does not see the assessment: %+v, %v", who, st.Assessment, err)
		}
	}
	for who, hidden := range map[string]domain.Actor{"requester": rq, "viewer": viewer, "hct": f.hct[0]} {
		st, err := f.life.State(ctx, hidden, r.ID)
		if err != nil || st.Assessment != nil {
			t.Errorf("%s sees the assessment (%v)", who, err)
		}
	}
	evs, _ := f.reqs.Events(ctx, f.officer, r.ID)
	for _, e := range evs {
		if strings.Contains(string(e.Payload), "SPLA") || strings.Contains(string(e.Payload), "OHCHR") {
			t.Fatalf("HRDDP content in the trail: %s", e.Payload)
		}
	}
	if _, err := f.reviews.Open(ctx, f.officer, r.ID, service.OpenInput{Version: 1}); err != nil {
		t.Fatalf("open after the assessment: %v", err)
	}

	// "No support" rejects the request.
	r2 := escorted("Escort refused")
	a.Outcome = "no_support"
	got, err := f.life.Assess(ctx, f.hrddp, r2.ID, nowVersion(t, f.reqs, r2.ID), a)
	if err != nil || got.Status != domain.StatusRejected {
		t.Fatalf("no support: %s, %v", got.Status, err)
	}
}

// TestExtension: more time for an approved task is a new request that
// answers LR2–LR7 again and goes through review and decision again; the
// current tasking continues meanwhile.
func TestExtension(t *testing.T) {
	t.Parallel()
	f := newLifeFixture(t)
	ctx := t.Context()
	r := f.approved(t, "Needs longer")
	cur, _ := f.reqs.Get(ctx, f.requester, r.ID)
	_, _, err := f.reqs.Extend(ctx, f.requester, r.ID, 0, cur.Request.EndDate, "")
	wantCode(t, err, domain.CodeInvalid, "")
	_, _, err = f.reqs.Extend(ctx, f.officer, r.ID, 0, cur.Request.EndDate.AddDate(0, 0, 10), "")
	wantCode(t, err, domain.CodeForbidden, "")
	ext, created, err := f.reqs.Extend(ctx, f.requester, r.ID, 0, cur.Request.EndDate.AddDate(0, 0, 10), "ext-1")
	if err != nil || !created {
		t.Fatalf("extend = %v, %v", created, err)
	}
	if ext.ExtensionOf != r.ID || ext.Status != domain.StatusDraft || ext.Reference == r.Reference ||
		!ext.StartDate.Equal(cur.Request.EndDate.AddDate(0, 0, 1)) || len(ext.CivilianOptions) != 0 {
		t.Fatalf("extension = %+v", ext)
	}
	for _, id := range []string{"LR2", "LR3", "LR4", "LR5", "LR6", "LR7"} {
		if _, ok := ext.Checklist[id]; ok {
			t.Errorf("%s carried over to the extension", id)
		}
	}
	again, created, err := f.reqs.Extend(ctx, f.requester, r.ID, 0, cur.Request.EndDate.AddDate(0, 0, 10), "ext-1")
	if err != nil || created || again.ID != ext.ID {
		t.Fatalf("a repeated extension made another: %v %v %v", again.ID, created, err)
	}
	// It cannot be submitted before the last-resort test is answered anew.
	_, err = f.reqs.Transition(ctx, f.requester, ext.ID, domain.ActionSubmit, domain.TransitionInput{Version: 1})
	if de, ok := err.(*domain.Error); !ok || len(de.Items) < 6 {
		t.Fatalf("submitting the bare extension: %v", err)
	}
	if got, _ := f.reqs.Get(ctx, f.requester, r.ID); got.Request.Status != domain.StatusApproved {
		t.Fatalf("the original moved to %s", got.Request.Status)
	}
	evs, _ := f.reqs.Events(ctx, f.officer, r.ID)
	if evs[len(evs)-1].Action != domain.EventExtension {
		t.Fatalf("the original's trail ends with %s", evs[len(evs)-1].Action)
	}
}

// nowVersion is request id's version now, read by its system's eyes (a
// step that may change the status must be sent with it).
func nowVersion(t *testing.T, reqs *service.Requests, id int64) int {
	t.Helper()
	v, err := reqs.CurrentVersion(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestQueuesSayWhenMoreWait: a queue holds its first QueueLimit requests
// and says whether more wait behind them, exactly at the boundary, for a
// queue read by the list's filter (the requester's drafts) and for the
// one read by paging through the checklist's rule (awaiting an HRDDP
// assessment).
func TestQueuesSayWhenMoreWait(t *testing.T) {
	t.Parallel()
	f := newLifeFixture(t)
	ctx := t.Context()
	_, rq := f.unRequester(t)
	check := func(by domain.Actor, q domain.Queue, items int, more bool) {
		t.Helper()
		got, err := f.reqs.Queues(ctx, by, []service.QueueRef{{OperationID: f.op.ID, Queue: q}})
		if err != nil || len(got[0].Items) != items || got[0].More != more {
			t.Fatalf("%s: %d items, more %v (%v); want %d, %v", q, len(got[0].Items), got[0].More, err, items, more)
		}
	}
	for i := range service.QueueLimit + 1 {
		f.escorted(t, rq, "Escort "+strconv.Itoa(i), false)
		f.escorted(t, rq, "Submitted escort "+strconv.Itoa(i), true)
		n := min(i+1, service.QueueLimit)
		check(rq, domain.QueueMyDrafts, n, i+1 > service.QueueLimit)
		check(f.hrddp, domain.QueueAwaitingAssessment, n, i+1 > service.QueueLimit)
	}
}

// unRequester makes a UN agency and a requester of it in the operation.
func (f *lifeFixture) unRequester(t *testing.T) (domain.Organization, domain.Actor) {
	t.Helper()
	un, err := f.dir.CreateOrganization(t.Context(), f.admin, domain.Organization{Name: "UN Agency", Acronym: "UNA", Type: domain.OrgUNAgency, UNEntity: true})
	if err != nil {
		t.Fatal(err)
	}
	return un, f.member(t, "un@example.org", un.ID, domain.RoleRequester)
}

// escorted creates, as rq (a UN entity's requester), a request paying an
// armed escort, which needs an HRDDP assessment (LR19), and submits it
// when submit.
func (f *lifeFixture) escorted(t *testing.T, rq domain.Actor, title string, submit bool) domain.Request {
	t.Helper()
	ctx := t.Context()
	req := fixture.Request(title, f.clock.now())
	req.Checklist["LR19"] = domain.Answer{Value: "yes"}
	req.Escort = domain.Escort{NeedCriticality: "Only route", ResponsibleAuthority: "Police absent", SecurityAssessment: "UNDSS SRA 7",
		DiscontinuationPlan: "Stop when safe", CommonPositionConsulted: true, Compensation: "fuel"}
	r, _, err := f.reqs.Create(ctx, rq, f.op.Code, req, "")
	if err != nil {
		t.Fatal(err)
	}
	if submit {
		if r, err = f.reqs.Transition(ctx, rq, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 1}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}
