package domain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestRules_WellFormed walks the rulebook for rows no face could serve.
func TestRules_WellFormed(t *testing.T) {
	t.Parallel()
	actions := map[domain.Action]bool{}
	paths := map[string][]domain.Rule{}
	for _, r := range domain.Rules {
		if actions[r.Action] {
			t.Errorf("%s has two rows", r.Action)
		}
		actions[r.Action] = true
		if r.Scope != domain.ScopeRequest && (len(r.From) > 0 || r.Transition() || r.Path != "") {
			t.Errorf("%s: only request rows have states, a target or a path", r.Action)
		}
		if r.Scope == domain.ScopeInstance && !r.Admin {
			t.Errorf("%s: an instance action nobody may take", r.Action)
		}
		if r.Scope != domain.ScopeInstance && len(r.Roles) == 0 && !r.System && !r.Admin {
			t.Errorf("%s: nobody may take it", r.Action)
		}
		if r.Guard != nil && r.Needs == 0 && r.Scope == domain.ScopeRequest {
			// Guards on a request read something beyond its status (the
			// status itself is From's): they must say what.
			t.Errorf("%s: a guard that reads no fact", r.Action)
		}
		if r.Transition() {
			if len(r.From) == 0 {
				t.Errorf("%s: a transition from nowhere", r.Action)
			}
			if slices.Contains(r.From, r.To) {
				t.Errorf("%s: a transition to the status it leaves", r.Action)
			}
			if len(r.Roles) > 0 && r.Path == "" && r.Action != domain.ActionHRDDPReject {
				t.Errorf("%s: people take it but no route serves it", r.Action)
			}
		}
		if r.NeedsReference && !r.NeedsReason {
			t.Errorf("%s: a reference without a reason", r.Action)
		}
		if r.Path != "" {
			paths[r.Path] = append(paths[r.Path], r)
		}
	}
	// A path is one route: rows share one only when a custom use case
	// takes them both (approve and reject are one decision).
	for p, rows := range paths {
		if len(rows) > 1 && slices.ContainsFunc(rows, func(r domain.Rule) bool { return !r.Custom }) {
			t.Errorf("path %q serves %d rows, not all custom", p, len(rows))
		}
	}
	for _, tr := range domain.GenericTransitions() {
		if !tr.Generic() || tr.Custom || tr.Path == "" {
			t.Errorf("%s listed as generic", tr.Action)
		}
	}
}

// TestCan_GuardsDeclareTheirFacts: a guard never decides on facts the
// caller did not load — Can refuses with an internal error instead.
func TestCan_GuardsDeclareTheirFacts(t *testing.T) {
	t.Parallel()
	for _, rule := range domain.Rules {
		if rule.Guard == nil || rule.Needs == 0 {
			continue
		}
		t.Run(string(rule.Action), func(t *testing.T) {
			t.Parallel()
			a, s := permitted(t, rule)
			if err := domain.Can(a, rule.Action, s); err != nil {
				t.Fatalf("with every fact: Can = %v, want nil", err)
			}
			s.Known = 0
			err := domain.Can(a, rule.Action, s)
			if err == nil || domain.ErrorCode(err) != "internal" {
				t.Fatalf("without its facts: Can = %v, want an internal error", err)
			}
		})
	}
}

// permitted returns an actor holding the rule's first role and a subject
// in its first state with facts that satisfy its guard.
func permitted(t *testing.T, rule domain.Rule) (domain.Actor, domain.Subject) {
	t.Helper()
	if rule.Scope != domain.ScopeRequest {
		return roleActor(rule.Roles[0]), domain.OnOperation(domain.Operation{ID: testOp})
	}
	st := domain.StatusSubmitted
	if len(rule.From) > 0 {
		st = rule.From[0]
	}
	r := requestIn(st)
	return roleActor(rule.Roles[0]), allow(r, rule.Action)
}

// TestCan_InvisibleIsMissing: whatever the action and the status, a
// request the actor may not see answers 404 (never 409 or 403), so a
// probe learns nothing — including an officer probing a draft.
func TestCan_InvisibleIsMissing(t *testing.T) {
	t.Parallel()
	for _, rule := range domain.Rules {
		if rule.Scope != domain.ScopeRequest {
			continue
		}
		for _, st := range domain.Statuses() {
			r := requestIn(st)
			s := allow(r, rule.Action)
			blind := []domain.Actor{requesterB, outsider}
			if st == domain.StatusDraft {
				blind = append(blind, officer, hcActor, hctMember, hrddp, viewer, requesterBHCT)
			}
			for _, a := range blind {
				if got := domain.ErrorCode(domain.Can(a, rule.Action, s)); got != domain.CodeNotFound {
					t.Errorf("%s on %s by user %d: code %q, want not_found", rule.Action, st, a.UserID, got)
				}
			}
			if got := domain.ErrorCode(domain.Can(anonymous, rule.Action, s)); got != domain.CodeUnauthorized {
				t.Errorf("%s on %s anonymously: code %q, want unauthorized", rule.Action, st, got)
			}
		}
	}
}

// TestApply_AgreesWithCan: for every transition, status and role, Apply
// (what the services run) succeeds exactly when Can allows it and
// AvailableActions (what the pages offer) lists it; when refused, both
// give the same code.
func TestApply_AgreesWithCan(t *testing.T) {
	t.Parallel()
	actors := []domain.Actor{anonymous, requesterA, requesterB, requesterBHCT, officer, hcActor, hctMember, hrddp, viewer, outsider}
	for _, tr := range domain.Transitions() {
		for _, st := range domain.Statuses() {
			for _, a := range actors {
				name := fmt.Sprintf("%s/%s/%d", tr.Action, st, a.UserID)
				r := requestIn(st)
				s := allow(r, tr.Action)
				canErr := domain.Can(a, tr.Action, s)
				listed := slices.Contains(domain.AvailableActions(a, s), tr.Action)
				in := domain.TransitionInput{Version: r.Version, Reason: "Civilian helicopters arrived", CivilianReference: "SRF-0042"}
				_, applyErr := r.Apply(a, tr.Action, s, in, testNow)
				if domain.ErrorCode(applyErr) != domain.ErrorCode(canErr) {
					t.Errorf("%s: Apply = %v, Can = %v", name, applyErr, canErr)
				}
				if listed != (canErr == nil) {
					t.Errorf("%s: listed = %v, Can = %v", name, listed, canErr)
				}
			}
		}
	}
}

// TestApply_ReasonBelongsToItsStep walks every transition of the
// rulebook, from every status it leaves, on a request still carrying
// the reason of the step before (a person's and a system's): after it,
// the request carries the step's own reason when the step states one
// (StatesReason), and none otherwise — a later step never inherits an
// earlier step's reason; and every step that states a reason is one
// StatusStep can find in the trail.
func TestApply_ReasonBelongsToItsStep(t *testing.T) {
	t.Parallel()
	const why = "The step's own reason"
	for _, tr := range domain.Transitions() {
		for _, from := range tr.From {
			for _, stale := range []domain.Request{{StatusReason: "An earlier step's reason"}, {StatusReasonCode: domain.ReasonConsentRefused}} {
				name := fmt.Sprintf("%s from %s after %q%q", tr.Action, from, stale.StatusReason, stale.StatusReasonCode)
				r := requestIn(from)
				r.StatusReason, r.StatusReasonCode = stale.StatusReason, stale.StatusReasonCode
				var payload map[string]any
				var err error
				if len(tr.Roles) == 0 {
					payload, err = r.ApplySystem(tr.Action, testNow)
				} else {
					payload, err = r.Apply(roleActor(tr.Roles[0]), tr.Action, allow(r, tr.Action), domain.TransitionInput{Version: r.Version, Reason: why, CivilianReference: "SRF-1"}, testNow)
				}
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				switch {
				case tr.NeedsReason:
					if r.StatusReason != why || r.StatusReasonCode != "" || payload["reason"] != why {
						t.Errorf("%s: reason %q code %q payload %v, want its own", name, r.StatusReason, r.StatusReasonCode, payload)
					}
				case tr.StatesReason():
					if r.StatusReason != "" || r.StatusReasonCode == "" || payload["reason_code"] != string(r.StatusReasonCode) {
						t.Errorf("%s: reason %q code %q payload %v, want the system's code", name, r.StatusReason, r.StatusReasonCode, payload)
					}
				default:
					if r.StatusReason != "" || r.StatusReasonCode != "" {
						t.Errorf("%s: inherited reason %q code %q", name, r.StatusReason, r.StatusReasonCode)
					}
				}
				// The trail's step for the status is this one, with its
				// reason, whether its own event or taken inside another's.
				body, _ := json.Marshal(payload)
				nested, _ := json.Marshal(map[string]any{"status": "recorded", "inside": payload})
				earlier := domain.Event{Action: string(domain.ActionReturn), Payload: []byte(`{"from":"submitted","to":"returned","reason":"Earlier"}`)}
				for _, e := range []domain.Event{{Action: string(tr.Action), Payload: body}, {Action: domain.EventConsent, Payload: nested}} {
					if e.Action == domain.EventConsent && payload["action"] == nil {
						continue // only steps taken inside another name themselves
					}
					st, ok := domain.StatusStep([]domain.Event{earlier, e, {Action: domain.EventComment, Payload: []byte(`{"body":"x"}`)}})
					if !ok || st.Action != tr.Action || st.Reason != r.StatusReason || st.ReasonCode != r.StatusReasonCode {
						t.Errorf("%s: StatusStep in %s = %+v, %v", name, e.Action, st, ok)
					}
				}
			}
		}
	}
}

// TestSubmitGuard: the rulebook offers submission exactly when
// CheckSubmittable accepts the request, walking every checklist item ×
// operation context × answer (with and without a note), every required
// field missing and the time rules, on a draft and a returned request:
// when it does not, submit is not among AvailableActions, BlockedActions
// gives CheckSubmittable's own error (every field and item, with their
// count), and Can refuses with it. Without the time (FactTime) the guard
// does not decide.
func TestSubmitGuard(t *testing.T) {
	t.Parallel()
	type variant struct {
		name string
		op   domain.Operation
		edit func(*domain.Request)
	}
	var variants []variant
	for _, ctx := range domain.Contexts {
		op := testOperation
		op.Context = ctx
		variants = append(variants, variant{fmt.Sprintf("complete in %s", ctx), op, func(*domain.Request) {}})
		for _, it := range domain.Checklist {
			for _, v := range append(it.Answer.Values(), "") {
				for _, note := range []string{"", "Explained."} {
					variants = append(variants, variant{fmt.Sprintf("%s=%q note %q in %s", it.ID, v, note, ctx), op,
						func(r *domain.Request) { r.Checklist[it.ID] = domain.Answer{Value: v, Note: note} }})
				}
			}
		}
	}
	// Every required field missing (TestCheckSubmittable takes them one
	// by one).
	variants = append(variants, variant{"only a title", testOperation, func(r *domain.Request) {
		*r = domain.Request{ID: r.ID, OperationID: r.OperationID, RequestingOrgID: r.RequestingOrgID, Status: r.Status,
			Version: r.Version, Title: "Only a title"}
	}})
	for _, d := range []time.Duration{-time.Hour, 0, time.Hour, 72 * time.Hour} {
		variants = append(variants, variant{fmt.Sprintf("required-by now%+v", d), testOperation,
			func(r *domain.Request) { r.RequiredBy, r.UrgencyReason = testNow.Add(d), "" }})
	}
	var offered, blocked int
	for _, st := range []domain.Status{domain.StatusDraft, domain.StatusReturned} {
		for _, v := range variants {
			r := requestIn(st)
			v.edit(&r)
			s := allow(r, domain.ActionSubmit)
			s.Operation = v.op
			s.Evaluation = domain.Evaluate(r, v.op.Context, false, domain.Recorded{})
			want := domain.CheckSubmittable(r, v.op, s.Evaluation, testNow)
			listed := slices.Contains(domain.AvailableActions(requesterA, s), domain.ActionSubmit)
			why := domain.BlockedActions(requesterA, s)[domain.ActionSubmit]
			canErr := domain.Can(requesterA, domain.ActionSubmit, s)
			name := fmt.Sprintf("%s/%s", st, v.name)
			switch {
			case want == nil && (!listed || why != nil || canErr != nil):
				t.Errorf("%s: submittable, yet listed %v, blocked %v, Can %v", name, listed, why, canErr)
			case want != nil && (listed || !reflect.DeepEqual(why, want) || !reflect.DeepEqual(canErr, want)):
				t.Errorf("%s: CheckSubmittable = %v, yet listed %v, blocked %v, Can %v", name, want, listed, why, canErr)
			case want == nil:
				offered++
			default:
				blocked++
				var e *domain.Error
				if !errors.As(want, &e) || e.Data["Count"] != len(e.Fields)+len(e.Items) || e.Data["Count"] == 0 {
					t.Errorf("%s: the refusal does not count its problems: %+v", name, e)
				}
			}
			s.Known &^= domain.FactTime
			if slices.Contains(domain.AvailableActions(requesterA, s), domain.ActionSubmit) {
				t.Errorf("%s: submit listed without the time", name)
			}
		}
	}
	if offered == 0 || blocked == 0 {
		t.Errorf("the walk offered submit %d times and blocked it %d times; want both", offered, blocked)
	}
}

// TestCheckStepVersion walks every step of the rulebook: a step taking a
// transition within it names real transitions; every step that may
// change the status or the version (NeedsVersion) refuses none (400
// request.version_missing) and a stale one (409); every other step
// accepts none and refuses a stale one.
func TestCheckStepVersion(t *testing.T) {
	t.Parallel()
	r := domain.Request{Version: 3}
	for _, rule := range domain.Rules {
		for _, w := range rule.Within {
			if tr, ok := domain.RuleFor(w); !ok || !tr.Transition() {
				t.Errorf("%s: Within names %s, no transition", rule.Action, w)
			}
		}
		if !rule.Step() {
			continue
		}
		if rule.Transition() && !rule.NeedsVersion() {
			t.Errorf("%s: a transition that does not need the version", rule.Action)
		}
		if err := domain.CheckStepVersion(rule.Action, r, 2); domain.ErrorCode(err) != domain.CodeConflict {
			t.Errorf("%s with a stale version: %v, want a conflict", rule.Action, err)
		}
		if err := domain.CheckStepVersion(rule.Action, r, 3); err != nil {
			t.Errorf("%s with the current version: %v", rule.Action, err)
		}
		err := domain.CheckStepVersion(rule.Action, r, 0)
		if rule.NeedsVersion() {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.CodeMalformed || de.Message != "request.version_missing" || de.Fields["version"] == "" {
				t.Errorf("%s without a version: %v, want version required", rule.Action, err)
			}
		} else if err != nil {
			t.Errorf("%s only adds a record, yet without a version: %v", rule.Action, err)
		}
	}
	for _, a := range []domain.Action{domain.ActionRecordConsent, domain.ActionAssess, domain.ActionEditRequest} {
		if rule, _ := domain.RuleFor(a); !rule.NeedsVersion() {
			t.Errorf("%s may change the status or the version, yet does not need it", a)
		}
	}
}
