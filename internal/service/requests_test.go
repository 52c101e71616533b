package service_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// requestsFixture is an operation (NPL-EQ, natural disaster) with a
// requester and an officer, over real services on a private database.
type requestsFixture struct {
	pool      *pgxpool.Pool
	clock     *clock
	reqs      *service.Requests
	dir       *service.Directory
	access    *service.Access
	admin     domain.Actor
	op        domain.Operation
	requester domain.Actor
	colleague domain.Actor // another requester of the same organisation
	outsider  domain.Actor // a requester of another organisation
	officer   domain.Actor
}

func newRequestsFixture(t *testing.T) *requestsFixture {
	t.Helper()
	ctx := t.Context()
	c := &clock{t: t0}
	pool := testdb.New(t)
	st := store.New(pool)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	access := service.NewAccess(st, c.now, log)
	dir := service.NewDirectory(st, access, c.now, log)
	f := &requestsFixture{pool: pool, clock: c, reqs: service.NewRequests(st, c.now, log).WithActionLimits(nil), dir: dir, access: access}
	adminUser, err := dir.CreateAdmin(ctx, "admin@example.org", "Ada", pw, domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatal(err)
	}
	f.admin = f.actor(t, adminUser)
	f.op, err = dir.CreateOperation(ctx, f.admin, domain.Operation{Code: "NPL-EQ", Name: "Nepal earthquake", CountryISO3: "NPL",
		Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48})
	if err != nil {
		t.Fatal(err)
	}
	ngo, err := dir.CreateOrganization(ctx, f.admin, domain.Organization{Name: "Relief NGO", Acronym: "RNGO", Type: domain.OrgINGO})
	if err != nil {
		t.Fatal(err)
	}
	other, err := dir.CreateOrganization(ctx, f.admin, domain.Organization{Name: "Other NGO", Acronym: "ONGO", Type: domain.OrgNNGO})
	if err != nil {
		t.Fatal(err)
	}
	f.requester = f.member(t, "rita@example.org", ngo.ID, domain.RoleRequester)
	f.colleague = f.member(t, "carl@example.org", ngo.ID, domain.RoleRequester)
	f.outsider = f.member(t, "otto@example.org", other.ID, domain.RoleRequester)
	f.officer = f.member(t, "olga@example.org", adminUser.OrganizationID, domain.RoleOfficer)
	return f
}

func (f *requestsFixture) actor(t *testing.T, u domain.User) domain.Actor {
	t.Helper()
	a, err := f.access.Actor(t.Context(), u.ID, u.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *requestsFixture) member(t *testing.T, email string, orgID int64, roles ...domain.Role) domain.Actor {
	t.Helper()
	u, _, err := f.dir.CreateUser(t.Context(), f.admin, service.NewUser{User: domain.User{Email: email, Name: email, OrganizationID: orgID}, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.dir.SetMember(t.Context(), f.admin, f.op.Code, u.ID, roles); err != nil {
		t.Fatal(err)
	}
	return f.actor(t, u)
}

func (f *requestsFixture) create(t *testing.T, r domain.Request) domain.Request {
	t.Helper()
	out, created, err := f.reqs.Create(t.Context(), f.requester, f.op.Code, r, "")
	if err != nil || !created {
		t.Fatalf("Create = %v, %v", created, err)
	}
	return out
}

func wantCode(t *testing.T, err error, code domain.Code, msg string) {
	t.Helper()
	if domain.ErrorCode(err) != code || (msg != "" && domain.ErrorMessage(err) != msg) {
		t.Fatalf("err = %v, want %s %s", err, code, msg)
	}
}

// TestWithdrawDraft: a requester may withdraw a draft that was never
// submitted (the schema allows it since migration 4).
func TestWithdrawDraft(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	r := f.create(t, domain.Request{Title: "Not needed after all"})
	got, err := f.reqs.Transition(t.Context(), f.requester, r.ID, domain.ActionWithdraw, domain.TransitionInput{Version: 1, Reason: "Road reopened."})
	if err != nil || got.Status != domain.StatusWithdrawn {
		t.Fatalf("withdraw a draft = %v, %v", got.Status, err)
	}
}

func TestRequestLifecycle(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	ctx := t.Context()

	draft := fixture.Request("Helicopter to Upper Valley", t0)
	draft.Checklist = map[string]domain.Answer{"LR2": {Value: "no"}} // a civilian alternative exists: blocks
	r := f.create(t, draft)
	if r.Reference != "NPL-RFA-0001" || r.Status != domain.StatusDraft || r.Version != 1 {
		t.Fatalf("created %s %s v%d", r.Reference, r.Status, r.Version)
	}

	// Officers do not see drafts; another organisation neither.
	for _, a := range []domain.Actor{f.officer, f.outsider} {
		_, err := f.reqs.Get(ctx, a, r.ID)
		wantCode(t, err, domain.CodeNotFound, "")
	}

	// Submitting with a blocking item lists it.
	_, err := f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 1})
	wantCode(t, err, domain.CodeInvalid, "request.not_submittable")
	var de *domain.Error
	if !asDomainError(err, &de) || len(de.Items) == 0 || de.Items[0].ID != "LR2" || de.Items[0].Status != "blocked" {
		t.Fatalf("failing items = %+v, want LR2 blocked first", de)
	}

	// A colleague of the same organisation fixes it.
	complete := fixture.Request("Helicopter to Upper Valley", t0)
	r, err = f.reqs.Edit(ctx, f.colleague, r.ID, 1, func(x *domain.Request) error {
		x.Checklist = complete.Checklist
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 2 {
		t.Fatalf("edited version = %d, want 2 (every saved edit moves the version on)", r.Version)
	}
	if _, err := f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 2}); err != nil {
		t.Fatalf("submit: %v", err)
	}
	// A second submit (a double click) is a conflict, never a second event.
	_, err = f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 2})
	wantCode(t, err, domain.CodeConflict, "request.wrong_state")

	// Submitted requests are no longer editable.
	_, err = f.reqs.Edit(ctx, f.requester, r.ID, 2, func(x *domain.Request) error { x.Title = "Changed"; return nil })
	wantCode(t, err, domain.CodeConflict, "request.not_editable")

	// The officer returns it with a reason; the requester resubmits as version 3.
	_, err = f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionReturn, domain.TransitionInput{Version: 2})
	wantCode(t, err, domain.CodeInvalid, "")
	r, err = f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionReturn, domain.TransitionInput{Version: 2, Reason: "Say why UNHAS cannot fly."})
	if err != nil || r.Status != domain.StatusReturned || r.StatusReason != "Say why UNHAS cannot fly." {
		t.Fatalf("return = %s %q, %v", r.Status, r.StatusReason, err)
	}
	_, err = f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 0})
	wantCode(t, err, domain.CodeMalformed, "request.version_missing")
	_, err = f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 3})
	wantCode(t, err, domain.CodeConflict, "request.stale")
	r, err = f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 2})
	if err != nil || r.Version != 3 || r.Status != domain.StatusSubmitted {
		t.Fatalf("resubmit = v%d %s, %v", r.Version, r.Status, err)
	}
	// The officer redirects it to the Logistics Cluster.
	_, err = f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionRedirect, domain.TransitionInput{Version: 3, Reason: "Logistics Cluster can fly it."})
	wantCode(t, err, domain.CodeInvalid, "")
	r, err = f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionRedirect, domain.TransitionInput{Version: 3, Reason: "Logistics Cluster can fly it.", CivilianReference: "SRF-NPL-0042"})
	if err != nil || r.Status != domain.StatusRedirected {
		t.Fatalf("redirect = %s, %v", r.Status, err)
	}

	d, err := f.reqs.Detail(ctx, f.officer, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range d.Events {
		actions = append(actions, e.Action)
	}
	want := []string{"request.created", "request.edited", "request.submit", "request.return", "request.submit", "request.redirect"}
	if len(actions) != len(want) {
		t.Fatalf("events = %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Fatalf("events = %v, want %v", actions, want)
		}
	}
	rep, err := f.reqs.VerifyAudit(ctx)
	if err != nil || rep.Break != nil || rep.Events != 6 || rep.Requests != 1 {
		t.Fatalf("VerifyAudit = %+v, %v", rep, err)
	}
}

func TestRequestWithdrawAndComments(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	ctx := t.Context()
	r := f.create(t, fixture.Request("Field hospital", t0))
	_, err := f.reqs.Transition(ctx, f.outsider, r.ID, domain.ActionWithdraw, domain.TransitionInput{Version: 1, Reason: "x"})
	wantCode(t, err, domain.CodeNotFound, "")
	if _, err := f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 1}); err != nil {
		t.Fatal(err)
	}
	// Another organisation's requester does not see it, even submitted.
	_, err = f.reqs.Get(ctx, f.outsider, r.ID)
	wantCode(t, err, domain.CodeNotFound, "")
	// A viewer sees it, without the contact, and may neither comment nor withdraw.
	viewer := f.member(t, "vera@example.org", f.officer.OrganizationID, domain.RoleViewer)
	d, err := f.reqs.Get(ctx, viewer, r.ID)
	if err != nil || !d.ContactHidden || d.Request.POC.Email != "" {
		t.Fatalf("viewer sees the contact: %+v, %v", d.Request.POC, err)
	}
	_, err = f.reqs.Transition(ctx, viewer, r.ID, domain.ActionWithdraw, domain.TransitionInput{Version: 1, Reason: "x"})
	wantCode(t, err, domain.CodeForbidden, "")
	_, err = f.reqs.AddComment(ctx, viewer, r.ID, "hello")
	wantCode(t, err, domain.CodeForbidden, "")

	c, err := f.reqs.AddComment(ctx, f.officer, r.ID, "Is the airstrip usable at night?")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.reqs.AddComment(ctx, f.officer, r.ID, "   ")
	wantCode(t, err, domain.CodeInvalid, "")
	_, err = f.reqs.EditComment(ctx, f.requester, r.ID, c.ID, "hijack", time.Time{})
	wantCode(t, err, domain.CodeForbidden, "comment.not_author")
	f.clock.t = t0.Add(10 * time.Minute)
	if _, err := f.reqs.EditComment(ctx, f.officer, r.ID, c.ID, "Is the airstrip lit at night?", time.Time{}); err != nil {
		t.Fatal(err)
	}
	f.clock.t = t0.Add(16 * time.Minute)
	_, err = f.reqs.EditComment(ctx, f.officer, r.ID, c.ID, "too late", time.Time{})
	wantCode(t, err, domain.CodeConflict, "comment.locked")

	r, err = f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionWithdraw, domain.TransitionInput{Version: 1, Reason: "Road reopened."})
	if err != nil || r.Status != domain.StatusWithdrawn {
		t.Fatalf("withdraw = %s, %v", r.Status, err)
	}
	_, err = f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionWithdraw, domain.TransitionInput{Version: 1, Reason: "again"})
	wantCode(t, err, domain.CodeConflict, "request.wrong_state")

	// Comments cannot be deleted, events neither changed nor deleted, even in SQL.
	for _, q := range []string{
		`DELETE FROM comments`, `UPDATE events SET action = 'x'`, `DELETE FROM events`, `TRUNCATE events CASCADE`, `DELETE FROM requests`,
	} {
		if _, err := f.pool.Exec(ctx, q); err == nil {
			t.Errorf("%s succeeded", q)
		}
	}
}

// TestReferencesUnderConcurrency creates requests from many goroutines:
// the references are 1…n without gaps or duplicates.
func TestReferencesUnderConcurrency(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	const n = 24
	var wg sync.WaitGroup
	refs := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := f.requester
			if i%2 == 1 {
				a = f.colleague
			}
			r, _, err := f.reqs.Create(context.Background(), a, f.op.Code, domain.Request{Title: "Concurrent"}, "")
			if err != nil {
				t.Error(err)
				return
			}
			refs <- r.Reference
		}()
	}
	wg.Wait()
	close(refs)
	seen := map[string]bool{}
	for ref := range refs {
		if seen[ref] {
			t.Errorf("duplicate %s", ref)
		}
		seen[ref] = true
	}
	for i := 1; i <= n; i++ {
		if ref := domain.FormatReference("NPL", i); !seen[ref] {
			t.Errorf("missing %s", ref)
		}
	}
}

// TestIdempotentCreate: the same key returns the first request, even
// when the retries race each other.
func TestIdempotentCreate(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	var wg sync.WaitGroup
	ids := make(chan int64, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _, err := f.reqs.Create(context.Background(), f.requester, f.op.Code, domain.Request{Title: "Once"}, "key-1")
			if err != nil {
				t.Error(err)
				return
			}
			ids <- r.ID
		}()
	}
	wg.Wait()
	close(ids)
	first := int64(0)
	for id := range ids {
		if first == 0 {
			first = id
		}
		if id != first {
			t.Errorf("ids differ: %d and %d", first, id)
		}
	}
	page, err := f.reqs.Queue(t.Context(), f.requester, f.op.ID, domain.QueueMyDrafts)
	if err != nil || len(page) != 1 {
		t.Fatalf("drafts = %d, %v; want exactly one request", len(page), err)
	}
	// The same key for another operation is refused, not replayed.
	if _, err := f.dir.CreateOperation(t.Context(), f.admin, domain.Operation{Code: "NPL-FL", Name: "Floods", CountryISO3: "NPL",
		Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48}); err != nil {
		t.Fatal(err)
	}
	u, err := f.dir.GetUser(t.Context(), f.admin, f.requester.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.dir.SetMember(t.Context(), f.admin, "NPL-FL", u.ID, domain.RoleSet{domain.RoleRequester}); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.reqs.Create(t.Context(), f.actor(t, u), "NPL-FL", domain.Request{Title: "Once"}, "key-1")
	wantCode(t, err, domain.CodeConflict, "request.idempotency_key_reused")
	// Another key, or another user with the same key, creates another.
	if r, created, err := f.reqs.Create(t.Context(), f.colleague, f.op.Code, domain.Request{Title: "Once"}, "key-1"); err != nil || !created || r.ID == first {
		t.Fatalf("colleague with the same key: %d created=%v %v", r.ID, created, err)
	}
}

// TestStatusTransitionsInDatabase: the database refuses any status change
// the workflow does not have, and its table is exactly the domain's.
func TestStatusTransitionsInDatabase(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	ctx := t.Context()
	r := f.create(t, domain.Request{Title: "Raw SQL"})
	for _, to := range []string{"approved", "submitted_typo", "hct_review"} {
		if _, err := f.pool.Exec(ctx, `UPDATE requests SET status = $2, submitted_at = now() WHERE id = $1`, r.ID, to); err == nil {
			t.Errorf("draft → %s succeeded in SQL", to)
		}
	}
	if _, err := f.pool.Exec(ctx, `UPDATE requests SET status = 'submitted', submitted_at = now() WHERE id = $1`, r.ID); err != nil {
		t.Errorf("draft → submitted refused: %v", err)
	}
	pairs, err := store.New(f.pool).WorkflowPairs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[[2]domain.Status]bool{}
	for _, p := range domain.StatusPairs() {
		want[p] = true
	}
	if len(pairs) != len(want) {
		t.Errorf("database has %d pairs, domain %d", len(pairs), len(want))
	}
	for _, p := range pairs {
		if !want[p] {
			t.Errorf("database allows %s → %s, the domain does not", p[0], p[1])
		}
	}
}

// TestAuditVerifyCatchesTampering alters an event with the append-only
// trigger disabled; VerifyAudit names it.
func TestAuditVerifyCatchesTampering(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	ctx := t.Context()
	r := f.create(t, fixture.Request("Tamper", t0))
	if _, err := f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reqs.AddComment(ctx, f.officer, r.ID, "ok"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`ALTER TABLE events DISABLE TRIGGER events_append_only`,
		`UPDATE events SET payload = replace(payload, '"ok"', '"approved by me"') WHERE request_id = ` + itoa(r.ID) + ` AND seq = 3`,
		`ALTER TABLE events ENABLE TRIGGER events_append_only`,
	} {
		if _, err := f.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := f.reqs.VerifyAudit(ctx)
	if err != nil || rep.Break == nil || rep.Break.RequestID != r.ID || rep.Break.Seq != 3 {
		t.Fatalf("VerifyAudit = %+v %+v, %v; want a break at seq 3", rep, rep.Break, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestCreateDetailIsGet: the answer CreateDetail builds from what a
// creation knows equals what Get reads back, in every operation context,
// for an empty and a complete draft, from a UN entity and an NGO, with
// and without HCT members, and for a replayed key.
func TestCreateDetailIsGet(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	ctx := t.Context()
	un, err := f.dir.CreateOrganization(ctx, f.admin, domain.Organization{Name: "UN agency", Acronym: "UNA", Type: domain.OrgUNAgency, UNEntity: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range domain.Contexts {
		code := "OP-" + strconv.Itoa(i)
		if _, err := f.dir.CreateOperation(ctx, f.admin, domain.Operation{Code: code, Name: "Operation " + code, CountryISO3: "NPL",
			Context: c, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48}); err != nil {
			t.Fatal(err)
		}
		var requesters []domain.Actor
		for j, org := range []int64{f.requester.OrganizationID, un.ID} {
			u, _, err := f.dir.CreateUser(ctx, f.admin, service.NewUser{User: domain.User{Email: fmt.Sprintf("r%d-%d@example.org", i, j),
				Name: "Requester", OrganizationID: org}, Password: pw})
			if err != nil {
				t.Fatal(err)
			}
			if err := f.dir.SetMember(ctx, f.admin, code, u.ID, domain.RoleSet{domain.RoleRequester}); err != nil {
				t.Fatal(err)
			}
			requesters = append(requesters, f.actor(t, u))
		}
		for hct := range 2 {
			if hct == 1 {
				u, _, err := f.dir.CreateUser(ctx, f.admin, service.NewUser{User: domain.User{Email: fmt.Sprintf("hct%d@example.org", i),
					Name: "HCT", OrganizationID: un.ID}, Password: pw})
				if err != nil {
					t.Fatal(err)
				}
				if err := f.dir.SetMember(ctx, f.admin, code, u.ID, domain.RoleSet{domain.RoleHCTMember}); err != nil {
					t.Fatal(err)
				}
			}
			for j, by := range requesters {
				for k, draft := range []domain.Request{{Title: "Empty"}, fixture.Request("Complete", t0)} {
					key := fmt.Sprintf("key-%d-%d-%d-%d", i, hct, j, k)
					got, created, err := f.reqs.CreateDetail(ctx, by, code, draft, key)
					if err != nil || !created {
						t.Fatalf("%s: CreateDetail = %v, %v", key, created, err)
					}
					want, err := f.reqs.Get(ctx, by, got.Request.ID)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("%s: CreateDetail answered\n%+v\nGet reads\n%+v", key, got, want)
					}
					again, created, err := f.reqs.CreateDetail(ctx, by, code, draft, key)
					if err != nil || created || !reflect.DeepEqual(again, want) {
						t.Fatalf("%s: replay = %v, %v; equal to Get: %v", key, created, err, reflect.DeepEqual(again, want))
					}
				}
			}
		}
	}
}
