package service

import (
	"context"
	"log/slog"
	"slices"
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
	store  *store.Store
	now    func() time.Time
	log    *slog.Logger
	notify Notifier
}

// WithNotifier makes the service tell the requester of the tasking and
// the hand-over (lifecycleNotices); it returns s.
func (s *Lifecycle) WithNotifier(n Notifier) *Lifecycle {
	s.notify = n
	return s
}

// lifecycleNotices are the kinds of notice a lifecycle step tells the
// request's requester of (its creator; never the one who took it).
var lifecycleNotices = map[domain.Action]domain.NoticeKind{
	domain.ActionTask:     domain.NoticeTasked,
	domain.ActionHandOver: domain.NoticeHandedOver,
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
	Assessment    *domain.Assessment
	HRDDPRequired bool
	CanSeeHRDDP   bool
	CanAssess     bool
	CanConsent    bool
	CanTask       bool
	CanReport     bool
	CanHandOver   bool
	ConsentBlocks bool // the viewer could task but for the consent
	// Actions are the request actions the viewer may take now.
	Actions        []domain.Action
	ExitStrategyOf string
}

// State returns request id's lifecycle as by may see it.
func (s *Lifecycle) State(ctx context.Context, by domain.Actor, id int64) (LifecycleState, error) {
	var out LifecycleState
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return out, err
	}
	if err := domain.Can(by, domain.ActionViewRequest, domain.OnRequest(r)); err != nil {
		return out, err
	}
	subj, err := subject(ctx, s.store, r, domain.AllFacts, s.now())
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
	return lifecycleState(by, subj, taskings, reports, handover, s.now()), nil
}

// lifecycleState is what by may see of request s.Request's life after
// approval and the steps by may take now; s carries every fact
// (domain.AllFacts).
func lifecycleState(by domain.Actor, s domain.Subject, taskings []domain.Tasking, reports []domain.ExecutionReport,
	handover *domain.Handover, now time.Time) LifecycleState {
	r := *s.Request
	out := LifecycleState{Consent: s.Consent, Taskings: taskings, Reports: reports, Handover: handover}
	can := func(a domain.Action) bool { return domain.Can(by, a, s) == nil }
	out.HRDDPRequired = domain.HRDDPRequired(s.Evaluation)
	out.CanSeeHRDDP = can(domain.ActionViewHRDDP)
	if out.CanSeeHRDDP {
		out.Assessment = s.Assessment
	}
	out.CanAssess = can(domain.ActionAssess)
	out.Totals = domain.Totals(out.Reports)
	out.Timing = domain.TimingOf(r, now)
	out.CanConsent = can(domain.ActionRecordConsent)
	out.CanTask = can(domain.ActionTask)
	// The viewer could task but for its guard, the consent: the page
	// says why.
	out.ConsentBlocks = domain.Blocked(by, domain.ActionTask, s) != nil
	out.CanReport = can(domain.ActionReport)
	out.CanHandOver = can(domain.ActionHandOver)
	out.ExitStrategyOf = r.ExitStrategy.Organization
	out.Actions = domain.AvailableActions(by, s)
	return out
}

// Can reports whether the viewer may take action on the request now.
func (l LifecycleState) Can(action domain.Action) bool { return slices.Contains(l.Actions, action) }

// step runs one lifecycle step on request id: lock, ask domain.Can
// whether by may take action (with the facts its guard reads), check
// version, the request's version by saw (domain.CheckStepVersion:
// required where the step may change the status), run do, save the
// request and append the event.
func (s *Lifecycle) step(ctx context.Context, by domain.Actor, id int64, version int, action domain.Action, event string,
	do func(st *store.Store, r *domain.Request, subj domain.Subject, now time.Time) (map[string]any, error)) (domain.Request, error) {
	var out domain.Request
	err := s.store.InTx(ctx, func(st *store.Store) error {
		r, err := st.LockRequest(ctx, id)
		if err != nil {
			return err
		}
		subj, err := authorize(ctx, st, by, action, r, s.now())
		if err != nil {
			return err
		}
		if err := domain.CheckStepVersion(action, r, version); err != nil {
			return err
		}
		now := s.now()
		payload, err := do(st, &r, subj, now)
		if err != nil {
			return err
		}
		if err := st.UpdateRequest(ctx, r); err != nil {
			return err
		}
		out = r
		if err := appendEvent(ctx, st, id, by.UserID, event, payload, now); err != nil {
			return err
		}
		if kind, ok := lifecycleNotices[action]; ok {
			return tellEach(ctx, st, s.notify, requestNotice(kind, r, by.UserID, []int64{r.CreatedBy}, nil))
		}
		return nil
	})
	return out, err
}

// RecordConsent records the affected State's consent (officer). A refusal
// ends the request: it is cancelled with that reason. version is the
// request's version the officer saw (required).
func (s *Lifecycle) RecordConsent(ctx context.Context, by domain.Actor, id int64, version int, c domain.Consent) (domain.Request, error) {
	return s.step(ctx, by, id, version, domain.ActionRecordConsent, domain.EventConsent, func(st *store.Store, r *domain.Request, subj domain.Subject, now time.Time) (map[string]any, error) {
		if err := domain.ValidateConsent(c); err != nil {
			return nil, err
		}
		c.RecordedBy, c.RecordedAt = by.UserID, now
		if err := st.SaveConsent(ctx, r.ID, c); err != nil {
			return nil, err
		}
		payload := map[string]any{"status": c.Status, "authority": c.Authority, "channel": c.Channel,
			"date": dateString(c.Date), "reference": c.Reference}
		if c.Status != "refused" || r.Status == domain.StatusDeclinedByProvider {
			// A declined request has nothing tasked and cannot be
			// cancelled: the refusal is recorded, and re-tasking is refused
			// for want of consent.
			return payload, nil
		}
		if r.Status == domain.StatusTasked {
			if err := st.DeclineTasking(ctx, r.ID, now, "", domain.ReasonConsentRefused); err != nil {
				return nil, err
			}
		}
		p, err := r.ApplyForReason(by, domain.ActionCancel, subj, r.Version, domain.ReasonConsentRefused, now)
		if err != nil {
			return nil, err
		}
		payload["cancelled"] = p
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
	return s.step(ctx, by, id, version, domain.ActionTask, string(domain.ActionTask), func(st *store.Store, r *domain.Request, subj domain.Subject, now time.Time) (map[string]any, error) {
		domain.NormalizeTasking(&t)
		if err := domain.ValidateTasking(t); err != nil {
			return nil, err
		}
		payload, err := r.Apply(by, domain.ActionTask, subj, domain.TransitionInput{Version: version}, now)
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

// Report adds an execution report (officer, while in execution);
// version, when given (above 0), must be the request's.
func (s *Lifecycle) Report(ctx context.Context, by domain.Actor, id int64, version int, rep domain.ExecutionReport) (domain.ExecutionReport, error) {
	var out domain.ExecutionReport
	_, err := s.step(ctx, by, id, version, domain.ActionReport, domain.EventReport, func(st *store.Store, r *domain.Request, _ domain.Subject, now time.Time) (map[string]any, error) {
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
	return s.step(ctx, by, id, version, domain.ActionHandOver, string(domain.ActionHandOver), func(st *store.Store, r *domain.Request, subj domain.Subject, now time.Time) (map[string]any, error) {
		if err := domain.ValidateHandover(h, *r); err != nil {
			return nil, err
		}
		payload, err := r.Apply(by, domain.ActionHandOver, subj, domain.TransitionInput{Version: version}, now)
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
// version is the request's version the reviewer saw (required).
func (s *Lifecycle) Assess(ctx context.Context, by domain.Actor, id int64, version int, a domain.Assessment) (domain.Request, error) {
	return s.step(ctx, by, id, version, domain.ActionAssess, domain.EventAssessment, func(st *store.Store, r *domain.Request, subj domain.Subject, now time.Time) (map[string]any, error) {
		if err := domain.ValidateAssessment(a); err != nil {
			return nil, err
		}
		a.RequestID, a.AssessedBy, a.AssessedAt = r.ID, by.UserID, now
		if err := st.SaveAssessment(ctx, a); err != nil {
			return nil, err
		}
		payload := map[string]any{"assessment": "recorded"}
		if a.Outcome == "no_support" {
			p, err := r.ApplyForReason(by, domain.ActionHRDDPReject, subj, r.Version, domain.ReasonHRDDPNoSupport, now)
			if err != nil {
				return nil, err
			}
			payload["rejected"] = p
		}
		return payload, nil
	})
}
