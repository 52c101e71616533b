package service_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/demo"
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/internal/testutil/totptest"
	"github.com/cmcoord/cmcoord/migrations"
)

// step takes one request action through its use case, with inputs that
// are valid wherever the action is allowed, so that a refusal can only
// come from the rulebook.
type step func(ctx context.Context, by domain.Actor, r domain.Request) error

// notSteps are the request actions no use case takes on its own: reading
// (decided where the data is shown), and transitions taken inside another
// step (the HRDDP rejection, inside the assessment) or by the system.
var notSteps = []domain.Action{domain.ActionViewRequest, domain.ActionViewContact, domain.ActionViewHRDDP,
	domain.ActionHRDDPReject, domain.ActionExpire,
	// The documents' rows are read together (domain.CanAttach,
	// CanRemoveAttachment, AttachmentShown), per document:
	// TestCanAttach, TestDocumentRules and TestDocumentCanaries walk them.
	domain.ActionAttach, domain.ActionAttachAsRequester, domain.ActionRemoveAttachment, domain.ActionViewRestrictedAttachment}

func steps(reqs *service.Requests, revs *service.Reviews, life *service.Lifecycle, now time.Time) map[domain.Action]step {
	day := domain.DateOf(now)
	out := map[domain.Action]step{
		domain.ActionEditRequest: func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, err := reqs.Edit(ctx, by, r.ID, r.Version, func(*domain.Request) error { return nil })
			return err
		},
		domain.ActionComment: func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, err := reqs.AddComment(ctx, by, r.ID, "Probe.")
			return err
		},
		domain.ActionRecordBriefing: func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, err := reqs.RecordBriefing(ctx, by, r.ID, 0, domain.Answer{Value: "yes"})
			return err
		},
		domain.ActionExtend: func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, _, err := reqs.Extend(ctx, by, r.ID, 0, day.AddDate(1, 0, 0), "")
			return err
		},
		domain.ActionVote: func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, err := revs.Vote(ctx, by, r.ID, service.VoteInput{Value: domain.VoteSupport})
			return err
		},
		domain.ActionOpenReview: func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, err := revs.Open(ctx, by, r.ID, service.OpenInput{Version: r.Version})
			return err
		},
		domain.ActionCloseReview: func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, err := revs.Close(ctx, by, r.ID, r.Version)
			return err
		},
		domain.ActionRemindVoters: func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, err := revs.Remind(ctx, by, r.ID, r.Version)
			return err
		},
		domain.ActionReopenReview: func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, err := revs.Reopen(ctx, by, r.ID, service.OpenInput{Version: r.Version})
			return err
		},
		domain.ActionApprove: func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, err := revs.Decide(ctx, by, r.ID, service.DecisionInput{Version: r.Version, Outcome: domain.StatusApproved, Rationale: "Probe."})
			return err
		},
		domain.ActionReject: func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, err := revs.Decide(ctx, by, r.ID, service.DecisionInput{Version: r.Version, Outcome: domain.StatusRejected, Rationale: "Probe."})
			return err
		},
		domain.ActionRecordConsent: func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, err := life.RecordConsent(ctx, by, r.ID, r.Version, domain.Consent{Status: "consented", Authority: "NDMA", Date: day})
			return err
		},
		domain.ActionTask: func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, err := life.Task(ctx, by, r.ID, r.Version, domain.Tasking{ProviderISO3: "IND", Unit: "u", AssetType: "a", AssetCount: 1})
			return err
		},
		domain.ActionReport: func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, err := life.Report(ctx, by, r.ID, 0, domain.ExecutionReport{Date: day})
			return err
		},
		domain.ActionHandOver: func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, err := life.HandOver(ctx, by, r.ID, r.Version, domain.Handover{Organization: r.ExitStrategy.Organization, Date: day})
			return err
		},
		domain.ActionAssess: func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, err := life.Assess(ctx, by, r.ID, r.Version, domain.Assessment{ReceivingEntity: "e", SupportDescription: "d",
				SupportCategory: "logistical", GraveViolations: "g", Accountability: "a", RiskLevel: "low",
				BenefitsAndRisks: "b", MonitoringPlan: "m", InterventionProcess: "i", Outcome: "support"})
			return err
		},
	}
	for _, t := range domain.GenericTransitions() {
		out[t.Action] = func(ctx context.Context, by domain.Actor, r domain.Request) error {
			_, err := reqs.Transition(ctx, by, r.ID, t.Action, domain.TransitionInput{Version: r.Version,
				Reason: "Probe.", CivilianReference: "SRF-1"})
			return err
		}
	}
	return out
}

// demoWorld is the demo data (requests in every status, a user per role
// in each of several organisations) on a private database.
type demoWorld struct {
	st     *store.Store
	dir    *service.Directory
	reqs   *service.Requests
	revs   *service.Reviews
	life   *service.Lifecycle
	actors []domain.Actor
	ids    []int64
}

func newDemoWorld(t *testing.T) *demoWorld {
	t.Helper()
	ctx := t.Context()
	pool := testdb.New(t)
	st := store.New(pool)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	access := service.NewAccess(st, time.Now, log)
	w := &demoWorld{st: st, dir: service.NewDirectory(st, access, time.Now, log), reqs: service.NewRequests(st, time.Now, log).WithActionLimits(nil), revs: service.NewReviews(st, time.Now, log, nil),
		life: service.NewLifecycle(st, time.Now, log)}
	if _, err := demo.Load(ctx, demo.Services{System: service.NewSystem(st, migrations.Latest(), time.Now, log), Access: access,
		Directory: w.dir, Requests: w.reqs, Reviews: w.revs, Lifecycle: w.life}); err != nil {
		t.Fatal(err)
	}
	for _, l := range demo.Logins() {
		// The demo enrols nobody: whom the rule requires a second factor
		// of (the administrator) sets one up before their token works.
		u, err := access.SignIn(ctx, l.Email, l.Password, "127.0.0.1", "")
		if err != nil {
			t.Fatal(err)
		}
		if sf, err := access.SecondFactor(ctx, u.ID); err != nil {
			t.Fatal(err)
		} else if sf.Required {
			totptest.Enrol(t, access, u.ID, nil)
		}
		tok, _, err := access.IssueTokenForEmail(ctx, l.Email, domain.NewToken{Name: "rules", Scope: domain.TokenFull})
		if err != nil {
			t.Fatal(err)
		}
		a, err := access.ActorForToken(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		w.actors = append(w.actors, a)
	}
	rows, _ := pool.Query(ctx, `SELECT id FROM requests ORDER BY id`)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	w.ids = ids
	return w
}

// TestRulebook_PageAgreesWithServices: for every demo request (every
// status) and every demo user, the request page offers exactly the
// actions the rulebook allows on the facts the use cases load, and every
// action it does not offer is refused by its use case with the code the
// rulebook gives — the page never shows a control the service refuses,
// nor hides one it would take.
func TestRulebook_PageAgreesWithServices(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newDemoWorld(t)
	all := steps(w.reqs, w.revs, w.life, time.Now())
	for _, rule := range domain.Rules {
		if rule.Scope == domain.ScopeRequest && all[rule.Action] == nil && !slices.Contains(notSteps, rule.Action) {
			t.Errorf("%s: no use case takes it", rule.Action)
		}
	}
	statuses := map[domain.Status]bool{}
	for _, id := range w.ids {
		r, err := w.st.GetRequest(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		statuses[r.Status] = true
		subj, err := service.Subject(ctx, w.st, r, domain.AllFacts, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range w.actors {
			page, err := w.reqs.Page(ctx, a, id)
			if code := domain.ErrorCode(domain.Can(a, domain.ActionViewRequest, subj)); domain.ErrorCode(err) != code {
				t.Fatalf("%s as %s: Page = %v, want code %q", r.Reference, a.Email, err, code)
			}
			if err != nil {
				continue
			}
			want := domain.AvailableActions(a, subj)
			if !slices.Equal(page.Actions, want) || !slices.Equal(page.Lifecycle.Actions, want) {
				t.Errorf("%s (%s) as %s: page offers %v, lifecycle %v; the rulebook %v", r.Reference, r.Status, a.Email,
					page.Actions, page.Lifecycle.Actions, want)
			}
			for action, take := range all {
				canErr := domain.Can(a, action, subj)
				if canErr == nil {
					continue // taking it would change the request under the other checks
				}
				err := take(ctx, a, r)
				if domain.ErrorCode(err) != domain.ErrorCode(canErr) || domain.ErrorMessage(err) != domain.ErrorMessage(canErr) {
					t.Errorf("%s (%s) as %s, %s: use case = %v, rulebook = %v", r.Reference, r.Status, a.Email, action, err, canErr)
				}
			}
		}
	}
	// The demo reaches most statuses; the walk is only as good as that.
	if len(statuses) < len(domain.Statuses())/2 {
		t.Errorf("the demo covers %d statuses, fewer than half", len(statuses))
	}
}

// TestRulebook_ClosedOperation: once its operation is closed, no new
// request and no extension — on the page (the control gives way to the
// reason) and in the use cases alike.
func TestRulebook_ClosedOperation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newDemoWorld(t)
	var (
		by  domain.Actor
		req domain.Request
	)
	for _, id := range w.ids {
		for _, a := range w.actors {
			if p, err := w.reqs.Page(ctx, a, id); err == nil && p.Can(domain.ActionExtend) {
				by, req = a, p.Request
			}
		}
	}
	if req.ID == 0 {
		t.Fatal("the demo has no request its requester may extend")
	}
	admin := w.actors[slices.IndexFunc(w.actors, func(a domain.Actor) bool { return a.IsAdmin })]
	op, err := w.st.GetOperation(ctx, req.OperationID)
	if err != nil {
		t.Fatal(err)
	}
	op.Closed = true
	if _, err := w.dir.UpdateOperation(ctx, admin, op.Code, op); err != nil {
		t.Fatal(err)
	}
	p, err := w.reqs.Page(ctx, by, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Can(domain.ActionExtend) || domain.ErrorMessage(p.Blocked[domain.ActionExtend]) != "operation.closed_to_requests" {
		t.Errorf("closed operation: extension offered %v, blocked %v", p.Can(domain.ActionExtend), p.Blocked[domain.ActionExtend])
	}
	_, _, err = w.reqs.Extend(ctx, by, req.ID, 0, req.EndDate.AddDate(0, 1, 0), "")
	if domain.ErrorCode(err) != domain.CodeConflict || domain.ErrorMessage(err) != "operation.closed_to_requests" {
		t.Errorf("Extend on a closed operation = %v, want operation.closed", err)
	}
	_, _, err = w.reqs.Create(ctx, by, op.Code, domain.Request{Title: "New"}, "")
	if domain.ErrorMessage(err) != "operation.closed_to_requests" {
		t.Errorf("Create on a closed operation = %v, want operation.closed", err)
	}
}
