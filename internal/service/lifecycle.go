package service

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// Lifecycle is what follows an approval — consent, tasking, execution,
// hand-over, cancellation — and the HRDDP assessment. Like every change,
// each step locks the request row, decides with the domain, saves and
// appends its event in one transaction.
type Lifecycle struct {
	store *store.Store
	now   func() time.Time
	log   *slog.Logger
}

// NewLifecycle returns the Lifecycle service.
func NewLifecycle(st *store.Store, now func() time.Time, log *slog.Logger) *Lifecycle {
	return &Lifecycle{store: st, now: now, log: log}
}

// LifecycleState is what a caller may see of a request's life after
// approval, and the steps they may take now.
type LifecycleState struct {
	Consent  *domain.Consent
	Taskings []domain.Tasking
	Reports  []domain.ExecutionReport
	Totals   domain.ExecutionReport
	Handover *domain.Handover
	Timing   domain.TaskTiming
	// Assessment is nil for callers who may not see HRDDP records
	// (AssessmentHidden then tells whether one exists is not shown either).
	Assessment     *domain.Assessment
	HRDDPRequired  bool
	CanSeeHRDDP    bool
	CanAssess      bool
	CanConsent     bool
	CanTask        bool
	CanDecline     bool
	CanStart       bool
	CanReport      bool
	CanComplete    bool
	CanHandOver    bool
	CanCancel      bool
	ConsentBlocks  bool // tasking is refused until consent is requested or given
	ExitStrategyOf string
}

// State returns request id's lifecycle as by may see it.
func (s *Lifecycle) State(ctx context.Context, by domain.Actor, id int64) (LifecycleState, error) {
	var out LifecycleState
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return out, err
	}
	if err := domain.CanRequest(by, domain.ActionViewRequest, r); err != nil {
		return out, err
	}
	op, err := s.store.GetOperation(ctx, r.OperationID)
	if err != nil {
		return out, err
	}
	org, err := s.store.GetOrganization(ctx, r.RequestingOrgID)
	if err != nil {
		return out, err
	}
	ev := domain.Evaluate(r, op.Context, org.UNEntity)
	var assessment *domain.Assessment
	if domain.CanSeeHRDDP(by.RolesIn(r.OperationID)) {
		if assessment, err = s.store.GetAssessment(ctx, id); err != nil {
			return out, err
		}
	}
	consent, err := s.store.GetConsent(ctx, id)
	if err != nil {
		return out, err
	}
	taskings, err := s.store.ListTaskings(ctx, id)
	if err != nil {
		return out, err
	}
	reports, err := s.store.ListReports(ctx, id)
	if err != nil {
		return out, err
	}
	handover, err := s.store.GetHandover(ctx, id)
	if err != nil {
		return out, err
	}
	return lifecycleState(by, r, ev, assessment, consent, taskings, reports, handover, s.now()), nil
}

// lifecycleState is what by may see of request r's life after approval
// and the steps by may take now; ev is r's evaluation, assessment its
// HRDDP assessment (read only for roles that may see it).
func lifecycleState(by domain.Actor, r domain.Request, ev domain.Evaluation, assessment *domain.Assessment,
	consent *domain.Consent, taskings []domain.Tasking, reports []domain.ExecutionReport, handover *domain.Handover,
	now time.Time) LifecycleState {
	out := LifecycleState{Consent: consent, Taskings: taskings, Reports: reports, Handover: handover}
	roles := by.RolesIn(r.OperationID)
	out.HRDDPRequired = domain.HRDDPRequired(ev)
	out.CanSeeHRDDP = domain.CanSeeHRDDP(roles)
	if out.CanSeeHRDDP {
		out.Assessment = assessment
	}
	out.CanAssess = out.HRDDPRequired && roles.Has(domain.RoleHRDDPReviewer) && r.Status == domain.StatusSubmitted
	out.Totals = domain.Totals(out.Reports)
	out.Timing = domain.TimingOf(r, now)
	can := func(a domain.Action) bool { return domain.CanRequest(by, a, r) == nil }
	officer := roles.Has(domain.RoleOfficer)
	out.CanConsent = officer && (r.Status == domain.StatusApproved || r.Status == domain.StatusTasked || r.Status == domain.StatusDeclinedByProvider)
	out.ConsentBlocks = !domain.ConsentAllowsTasking(out.Consent)
	out.CanTask = can(domain.ActionTask) && !out.ConsentBlocks
	out.CanDecline = can(domain.ActionDecline)
	out.CanStart = can(domain.ActionStartExecution)
	out.CanReport = officer && (r.Status == domain.StatusInExecution)
	out.CanComplete = can(domain.ActionComplete)
	out.CanHandOver = can(domain.ActionHandOver)
	out.CanCancel = can(domain.ActionCancel)
	out.ExitStrategyOf = r.ExitStrategy.Organization
	return out
}

// step runs one lifecycle step on request id: lock, check the caller may
// take action (a transition, or "" for a record without one), run do,
// save the request and append the event.
func (s *Lifecycle) step(ctx context.Context, by domain.Actor, id int64, action domain.Action, event string,
	do func(st *store.Store, r *domain.Request, now time.Time) (map[string]any, error)) (domain.Request, error) {
	var out domain.Request
	err := s.store.InTx(ctx, func(st *store.Store) error {
		r, err := st.LockRequest(ctx, id)
		if err != nil {
			return err
		}
		if action != "" {
			if err := domain.CanRequest(by, action, r); err != nil {
				return err
			}
		}
		now := s.now()
		payload, err := do(st, &r, now)
		if err != nil {
			return err
		}
		if err := st.UpdateRequest(ctx, r); err != nil {
			return err
		}
		out = r
		return appendEvent(ctx, st, id, by.UserID, event, payload, now)
	})
	return out, err
}

// RecordConsent records the affected State's consent (officer). A refusal
// ends the request: it is cancelled with that reason.
func (s *Lifecycle) RecordConsent(ctx context.Context, by domain.Actor, id int64, c domain.Consent) (domain.Request, error) {
	return s.step(ctx, by, id, "", domain.EventConsent, func(st *store.Store, r *domain.Request, now time.Time) (map[string]any, error) {
		if err := mustHold(by, *r, domain.RoleOfficer); err != nil {
			return nil, err
		}
		switch r.Status {
		case domain.StatusApproved, domain.StatusTasked, domain.StatusDeclinedByProvider:
		default:
			return nil, domain.Errorf(domain.CodeConflict, "request.wrong_state")
		}
		if err := domain.ValidateConsent(c); err != nil {
			return nil, err
		}
		c.RecordedBy, c.RecordedAt = by.UserID, now
		if err := st.SaveConsent(ctx, r.ID, c); err != nil {
			return nil, err
		}
		payload := map[string]any{"status": c.Status, "authority": c.Authority, "channel": c.Channel,
			"date": dateString(c.Date), "reference": c.Reference}
		if c.Status == "refused" {
			if r.Status == domain.StatusDeclinedByProvider {
				// Nothing is tasked and a declined request cannot be
				// cancelled: the refusal is recorded before re-tasking is
				// refused for want of consent.
				return map[string]any{"status": c.Status, "authority": c.Authority, "channel": c.Channel,
					"date": dateString(c.Date), "reference": c.Reference}, nil
			}
			if r.Status == domain.StatusTasked {
				if err := st.DeclineTasking(ctx, r.ID, now, "", domain.ReasonConsentRefused); err != nil {
					return nil, err
				}
			}
			p, err := r.ApplyForReason(by, domain.ActionCancel, r.Version, domain.ReasonConsentRefused, now)
			if err != nil {
				return nil, err
			}
			payload["cancelled"] = p
		}
		return payload, nil
	})
}

func dateString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// Task sends an approved (or declined) request to a provider (officer);
// refused until consent is requested or given.
func (s *Lifecycle) Task(ctx context.Context, by domain.Actor, id int64, version int, t domain.Tasking) (domain.Request, error) {
	return s.step(ctx, by, id, domain.ActionTask, string(domain.ActionTask), func(st *store.Store, r *domain.Request, now time.Time) (map[string]any, error) {
		c, err := st.GetConsent(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		if !domain.ConsentAllowsTasking(c) {
			return nil, domain.Errorf(domain.CodeConflict, "tasking.consent_needed")
		}
		domain.NormalizeTasking(&t)
		if err := domain.ValidateTasking(t); err != nil {
			return nil, err
		}
		payload, err := r.Apply(by, domain.ActionTask, domain.TransitionInput{Version: version}, now)
		if err != nil {
			return nil, err
		}
		t.RequestID, t.TaskedBy, t.TaskedAt = r.ID, by.UserID, now
		saved, err := st.InsertTasking(ctx, t)
		if err != nil {
			return nil, err
		}
		payload["tasking_id"], payload["provider_iso3"], payload["unit"] = saved.ID, t.ProviderISO3, t.Unit
		payload["asset_type"], payload["asset_count"], payload["platform_ref"] = t.AssetType, t.AssetCount, t.PlatformRef
		return payload, nil
	})
}

// Decline records that the provider declined the tasking (officer).
func (s *Lifecycle) Decline(ctx context.Context, by domain.Actor, id int64, version int, reason string) (domain.Request, error) {
	return s.transition(ctx, by, id, domain.ActionDecline, domain.TransitionInput{Version: version, Reason: reason},
		func(st *store.Store, r *domain.Request, now time.Time) error {
			return st.DeclineTasking(ctx, r.ID, now, reason, "")
		})
}

// StartExecution records the actual start (officer).
func (s *Lifecycle) StartExecution(ctx context.Context, by domain.Actor, id int64, version int) (domain.Request, error) {
	return s.transition(ctx, by, id, domain.ActionStartExecution, domain.TransitionInput{Version: version},
		func(st *store.Store, r *domain.Request, now time.Time) error { return st.StartTasking(ctx, r.ID, now) })
}

// Complete ends the execution (officer or requester).
func (s *Lifecycle) Complete(ctx context.Context, by domain.Actor, id int64, version int) (domain.Request, error) {
	return s.transition(ctx, by, id, domain.ActionComplete, domain.TransitionInput{Version: version}, nil)
}

// Cancel ends an approved, tasked or executing request with a reason
// (officer or HC), e.g. "civilian capacity now available".
func (s *Lifecycle) Cancel(ctx context.Context, by domain.Actor, id int64, version int, reason string) (domain.Request, error) {
	return s.transition(ctx, by, id, domain.ActionCancel, domain.TransitionInput{Version: version, Reason: reason}, nil)
}

func (s *Lifecycle) transition(ctx context.Context, by domain.Actor, id int64, action domain.Action, in domain.TransitionInput,
	extra func(st *store.Store, r *domain.Request, now time.Time) error) (domain.Request, error) {
	return s.step(ctx, by, id, action, string(action), func(st *store.Store, r *domain.Request, now time.Time) (map[string]any, error) {
		payload, err := r.Apply(by, action, in, now)
		if err != nil {
			return nil, err
		}
		if extra != nil {
			if err := extra(st, r, now); err != nil {
				return nil, err
			}
		}
		return payload, nil
	})
}

// Report adds an execution report (officer, while in execution).
func (s *Lifecycle) Report(ctx context.Context, by domain.Actor, id int64, rep domain.ExecutionReport) (domain.ExecutionReport, error) {
	var out domain.ExecutionReport
	_, err := s.step(ctx, by, id, "", domain.EventReport, func(st *store.Store, r *domain.Request, now time.Time) (map[string]any, error) {
		if err := mustHold(by, *r, domain.RoleOfficer); err != nil {
			return nil, err
		}
		if r.Status != domain.StatusInExecution {
			return nil, domain.Errorf(domain.CodeConflict, "request.wrong_state")
		}
		if err := domain.ValidateReport(rep, now); err != nil {
			return nil, err
		}
		rep.RequestID, rep.ReportedBy, rep.ReportedAt, rep.Date = r.ID, by.UserID, now, domain.DateOf(rep.Date)
		var err error
		if out, err = st.InsertReport(ctx, rep); err != nil {
			return nil, err
		}
		return map[string]any{"report_id": out.ID, "date": dateString(rep.Date), "sorties": rep.Sorties,
			"flight_hours": strconv.FormatFloat(rep.FlightHours, 'f', -1, 64), "tonnes": strconv.FormatFloat(rep.Tonnes, 'f', -1, 64),
			"passengers": rep.Passengers, "medevacs": rep.Medevacs, "people_reached": rep.PeopleReached,
			"incidents": rep.Incidents, "notes": rep.Notes}, nil
	})
	return out, err
}

// HandOver records the hand-over to civilians (officer): the terminal
// success state.
func (s *Lifecycle) HandOver(ctx context.Context, by domain.Actor, id int64, version int, h domain.Handover) (domain.Request, error) {
	return s.step(ctx, by, id, domain.ActionHandOver, string(domain.ActionHandOver), func(st *store.Store, r *domain.Request, now time.Time) (map[string]any, error) {
		if err := domain.ValidateHandover(h, *r); err != nil {
			return nil, err
		}
		payload, err := r.Apply(by, domain.ActionHandOver, domain.TransitionInput{Version: version}, now)
		if err != nil {
			return nil, err
		}
		h.RecordedBy, h.RecordedAt, h.Date = by.UserID, now, domain.DateOf(h.Date)
		if err := st.InsertHandover(ctx, r.ID, h); err != nil {
			return nil, err
		}
		payload["organization"], payload["date"] = h.Organization, dateString(h.Date)
		if h.Reason != "" {
			payload["reason"] = h.Reason
		}
		return payload, nil
	})
}

// Assess records the HRDDP assessment (HRDDP reviewer) of a submitted
// request that needs one; "no support" rejects the request. The audit
// event says that an assessment was recorded, never its content: HRDDP
// records are for the HRDDP reviewer, the HC and the officer only.
func (s *Lifecycle) Assess(ctx context.Context, by domain.Actor, id int64, a domain.Assessment) (domain.Request, error) {
	return s.step(ctx, by, id, "", domain.EventAssessment, func(st *store.Store, r *domain.Request, now time.Time) (map[string]any, error) {
		if err := mustHold(by, *r, domain.RoleHRDDPReviewer); err != nil {
			return nil, err
		}
		if r.Status != domain.StatusSubmitted {
			return nil, domain.Errorf(domain.CodeConflict, "request.wrong_state")
		}
		op, err := st.GetOperation(ctx, r.OperationID)
		if err != nil {
			return nil, err
		}
		org, err := st.GetOrganization(ctx, r.RequestingOrgID)
		if err != nil {
			return nil, err
		}
		if !domain.HRDDPRequired(domain.Evaluate(*r, op.Context, org.UNEntity)) {
			return nil, domain.Errorf(domain.CodeConflict, "hrddp.not_required")
		}
		if err := domain.ValidateAssessment(a); err != nil {
			return nil, err
		}
		a.RequestID, a.AssessedBy, a.AssessedAt = r.ID, by.UserID, now
		if err := st.SaveAssessment(ctx, a); err != nil {
			return nil, err
		}
		payload := map[string]any{"assessment": "recorded"}
		if a.Outcome == "no_support" {
			p, err := r.ApplyForReason(by, domain.ActionHRDDPReject, r.Version, domain.ReasonHRDDPNoSupport, now)
			if err != nil {
				return nil, err
			}
			payload["rejected"] = p
		}
		return payload, nil
	})
}

// mustHold allows by to record on r only with role in r's operation: a
// member who may see r but lacks the role gets 403, anyone else what
// seeing r answers (404).
func mustHold(by domain.Actor, r domain.Request, role domain.Role) error {
	if by.RolesIn(r.OperationID).Has(role) {
		return nil
	}
	if err := domain.CanRequest(by, domain.ActionViewRequest, r); err != nil {
		return err
	}
	return domain.Errorf(domain.CodeForbidden, "error.forbidden")
}
