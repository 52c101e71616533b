package service_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/notify"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
)

// userOf reloads actor a as the faces would now (their roles at the
// services' clock).
func (f *requestsFixture) reload(t *testing.T, a domain.Actor) domain.Actor {
	t.Helper()
	u, err := store.New(f.pool).GetUser(t.Context(), a.UserID)
	if err != nil {
		t.Fatal(err)
	}
	return f.actor(t, u)
}

// TestActingHC_WhoMayName walks every role: only the HC of the operation
// (and an administrator) may name an acting HC.
func TestActingHC_WhoMayName(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	ctx := t.Context()
	deputy := f.member(t, "deputy@example.org", f.officer.OrganizationID, domain.RoleViewer)
	for i, role := range domain.AllRoles {
		by := f.member(t, "walk-"+string(role)+"@example.org", f.officer.OrganizationID, role)
		start := t0.Add(time.Duration(i+1) * 24 * time.Hour)
		p, err := f.dir.NameActingHC(ctx, by, f.op.Code, domain.ActingHCInput{UserID: deputy.UserID, StartsAt: start,
			EndsAt: start.Add(time.Hour), Reason: "Leave"})
		if role == domain.RoleHC {
			if err != nil || p.ID == 0 || p.NamedBy != by.UserID {
				t.Fatalf("the HC names: %+v, %v", p, err)
			}
			continue
		}
		wantCode(t, err, domain.CodeForbidden, "")
	}
	start := t0.Add(20 * 24 * time.Hour)
	if _, err := f.dir.NameActingHC(ctx, f.admin, f.op.Code, domain.ActingHCInput{UserID: deputy.UserID, StartsAt: start,
		EndsAt: start.Add(time.Hour), Reason: "Leave"}); err != nil {
		t.Fatalf("the administrator names: %v", err)
	}
	// Outside the operation: not found, as any operation one cannot see.
	outsider := f.outsider
	outsider.Roles = nil
	_, err := f.dir.NameActingHC(ctx, outsider, f.op.Code, domain.ActingHCInput{UserID: deputy.UserID, StartsAt: start, EndsAt: start.Add(time.Hour), Reason: "x"})
	wantCode(t, err, domain.CodeNotFound, "")
	// The directory log holds both namings.
	page, err := f.dir.DirectoryLog(ctx, f.admin, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range page.Items {
		if e.Action == domain.DirActingHCNamed && e.Target.ID == deputy.UserID && e.OperationID == f.op.ID {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("directory log holds %d namings, want 2", n)
	}
}

// TestActingHC_Rules: whom and for how long one may name, overlaps, and
// the acting HC names nobody in turn.
func TestActingHC_Rules(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	ctx := t.Context()
	hc := f.member(t, "hc@example.org", f.officer.OrganizationID, domain.RoleHC)
	deputy := f.member(t, "deputy@example.org", f.officer.OrganizationID, domain.RoleViewer)
	other := f.member(t, "other@example.org", f.officer.OrganizationID, domain.RoleOfficer)
	stranger, _, err := f.dir.CreateUser(ctx, f.admin, service.NewUser{User: domain.User{Email: "s@example.org", Name: "S",
		OrganizationID: f.officer.OrganizationID}, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	name := func(by domain.Actor, user int64, from, until time.Time) (domain.ActingHC, error) {
		return f.dir.NameActingHC(ctx, by, f.op.Code, domain.ActingHCInput{UserID: user, StartsAt: from, EndsAt: until, Reason: "Mission"})
	}
	h := time.Hour
	for _, c := range []struct {
		name        string
		user        int64
		from, until time.Time
		field, key  string
	}{
		{"not a member", stranger.ID, t0.Add(h), t0.Add(2 * h), "user", "acting_hc.not_member"},
		{"the HC already", hc.UserID, t0.Add(h), t0.Add(2 * h), "user", "acting_hc.already_hc"},
		{"in the past", deputy.UserID, t0.Add(-h), t0.Add(2 * h), "starts_at", "acting_hc.start_past"},
		{"ends before it starts", deputy.UserID, t0.Add(2 * h), t0.Add(h), "ends_at", "acting_hc.end_before_start"},
		{"too long", deputy.UserID, t0, t0.Add(domain.MaxActingPeriod + h), "ends_at", "acting_hc.too_long"},
	} {
		_, err := name(hc, c.user, c.from, c.until)
		var e *domain.Error
		if domain.ErrorCode(err) != domain.CodeInvalid || !errorAs(err, &e) || e.Fields[c.field] != c.key {
			t.Errorf("%s: %v, want %s on %s", c.name, err, c.key, c.field)
		}
	}
	p, err := name(hc, deputy.UserID, t0, t0.Add(domain.MaxActingPeriod))
	if err != nil || !p.StartsAt.Equal(t0) {
		t.Fatalf("a period of the longest length starting now: %+v, %v", p, err)
	}
	_, err = name(hc, other.UserID, t0.Add(24*h), t0.Add(48*h))
	wantCode(t, err, domain.CodeConflict, "acting_hc.overlap")
	if _, err := name(hc, other.UserID, p.EndsAt, p.EndsAt.Add(h)); err != nil {
		t.Fatalf("a period right after: %v", err)
	}
	// The acting HC holds the role now, but names nobody.
	deputy = f.reload(t, deputy)
	if !deputy.RolesIn(f.op.ID).Has(domain.RoleHC) || deputy.ActsAsHC(f.op.ID) != p.ID {
		t.Fatalf("acting HC's roles %v, acting %v", deputy.RolesIn(f.op.ID), deputy.ActingHC)
	}
	_, err = name(deputy, other.UserID, p.EndsAt.Add(2*h), p.EndsAt.Add(3*h))
	wantCode(t, err, domain.CodeForbidden, "acting_hc.acting_cannot_name")
	// The database refuses an overlap whatever the service checked.
	_, err = store.New(f.pool).InsertActingHC(ctx, domain.ActingHC{OperationID: f.op.ID, UserID: other.UserID, NamedBy: hc.UserID,
		StartsAt: t0.Add(h), EndsAt: t0.Add(2 * h), Reason: "x", CreatedAt: t0})
	wantCode(t, err, domain.CodeConflict, "acting_hc.overlap")
}

func errorAs(err error, e **domain.Error) bool {
	v, ok := err.(*domain.Error)
	if ok {
		*e = v
	}
	return ok
}

// TestActingHC_Decides: the acting HC decides during the period, not
// before nor after it; the decision, its event and its record say acting;
// a closed review is told to the acting HC during the period; ended
// early, the period grants nothing more.
func TestActingHC_Decides(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 1)
	ctx := t.Context()
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	n := notify.New(catalog, false, "https://cmcoord.example.org", log)
	st := store.New(f.pool)
	f.reviews = service.NewReviews(st, f.clock.now, log, n)
	f.access.WithNotifier(n)
	count := func(userID int64, kind domain.NoticeKind) int {
		t.Helper()
		var c int
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = $2`, userID, string(kind)).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	deputy := f.member(t, "deputy@example.org", f.officer.OrganizationID, domain.RoleViewer)
	h := time.Hour
	p, err := f.dir.NameActingHC(ctx, f.hc, f.op.Code, domain.ActingHCInput{UserID: deputy.UserID, StartsAt: t0.Add(h), EndsAt: t0.Add(3 * h), Reason: "HC travelling"})
	if err != nil {
		t.Fatal(err)
	}
	if count(deputy.UserID, domain.NoticeActingHC) != 1 {
		t.Error("the acting HC was not told")
	}
	decided := func(title string) domain.Request {
		r := f.submitted(t, title)
		f.open(t, r)
		if _, err := f.reviews.Vote(ctx, f.hct[0], r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.reviews.Close(ctx, f.officer, r.ID, r.Version); err != nil {
			t.Fatal(err)
		}
		cur, _ := f.reqs.Get(ctx, f.officer, r.ID)
		return cur.Request
	}
	decide := func(by domain.Actor, r domain.Request) (domain.Decision, error) {
		return f.reviews.Decide(ctx, by, r.ID, service.DecisionInput{Version: r.Version, Outcome: domain.StatusApproved, Rationale: "Go."})
	}

	// Before the period: not the HC, and not told of a closed review.
	before := decided("Before")
	if count(deputy.UserID, domain.NoticeReviewClosed) != 0 {
		t.Error("told of a closed review before the period")
	}
	_, err = decide(f.reload(t, deputy), before)
	wantCode(t, err, domain.CodeForbidden, "")

	// During it: the HC's notices, and the decision.
	f.clock.t = t0.Add(2 * h)
	during := decided("During")
	if count(deputy.UserID, domain.NoticeReviewClosed) != 1 {
		t.Error("the acting HC was not told of the closed review")
	}
	acting := f.reload(t, deputy)
	d, err := decide(acting, during)
	if err != nil || d.ActingHCID != p.ID {
		t.Fatalf("acting HC decides: %+v, %v", d, err)
	}
	rs, err := f.reviews.State(ctx, f.officer, during.ID)
	if err != nil || rs.Decision == nil || rs.Decision.ActingHCID != p.ID || rs.Decision.ActingNamedByName != "hc@example.org" ||
		!rs.Decision.ActingUntil.Equal(p.EndsAt) {
		t.Fatalf("the decision's record: %+v, %v", rs.Decision, err)
	}
	evs, err := f.reqs.Events(ctx, f.officer, during.ID)
	if err != nil {
		t.Fatal(err)
	}
	var payload struct {
		Acting    bool    `json:"acting"`
		ActingFor []int64 `json:"acting_for"`
		ActingHC  int64   `json:"acting_hc_id"`
	}
	last := evs[len(evs)-1]
	if err := json.Unmarshal(last.Payload, &payload); err != nil || last.Action != string(domain.ActionApprove) ||
		!payload.Acting || !slices.Equal(payload.ActingFor, []int64{f.hc.UserID}) || payload.ActingHC != p.ID {
		t.Fatalf("decision event %s %s", last.Action, last.Payload)
	}
	// The HC's own decision is not acting.
	own := decided("Own")
	if d, err := decide(f.reload(t, f.hc), own); err != nil || d.ActingHCID != 0 {
		t.Fatalf("the HC decides: %+v, %v", d, err)
	}

	// After it: the role has gone by itself, even from an actor loaded
	// during the period.
	f.clock.t = t0.Add(3 * h)
	_, err = decide(acting, before)
	wantCode(t, err, domain.CodeForbidden, "")
	after := f.reload(t, deputy)
	if after.RolesIn(f.op.ID).Has(domain.RoleHC) || after.ActsAsHC(f.op.ID) != 0 {
		t.Fatalf("after the period: roles %v", after.RolesIn(f.op.ID))
	}
	_, err = decide(after, before)
	wantCode(t, err, domain.CodeForbidden, "")
	if _, err := f.reqs.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestActingHC_EndedEarly: a period ended early grants the role no more;
// it cannot be ended twice; the acting HC is told.
func TestActingHC_EndedEarly(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	ctx := t.Context()
	hc := f.member(t, "hc@example.org", f.officer.OrganizationID, domain.RoleHC)
	deputy := f.member(t, "deputy@example.org", f.officer.OrganizationID, domain.RoleViewer)
	p, err := f.dir.NameActingHC(ctx, hc, f.op.Code, domain.ActingHCInput{UserID: deputy.UserID, EndsAt: t0.Add(48 * time.Hour), Reason: "Leave"})
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(f.pool)
	holders := func() []int64 {
		ids, err := st.MembersWithRole(ctx, f.op.ID, domain.RoleHC, nil, f.clock.now())
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if !slices.Contains(holders(), deputy.UserID) || !f.reload(t, deputy).RolesIn(f.op.ID).Has(domain.RoleHC) {
		t.Fatal("the acting HC does not hold the role")
	}
	// The HC's second-factor rule applies to the acting HC during the
	// period (the operation's policy requires one of its HC).
	op := f.op
	op.RequireSecondFactor = true
	if _, err := f.dir.UpdateOperation(ctx, f.admin, op.Code, op); err != nil {
		t.Fatal(err)
	}
	factor := func() bool {
		sf, err := f.access.SecondFactor(ctx, deputy.UserID)
		if err != nil {
			t.Fatal(err)
		}
		return sf.Required
	}
	if !factor() {
		t.Error("the acting HC needs no second factor where the HC does")
	}
	f.clock.t = t0.Add(time.Hour)
	// Only the HC or an administrator ends it.
	_, err = f.dir.EndActingHC(ctx, f.officer, f.op.Code, p.ID)
	wantCode(t, err, domain.CodeForbidden, "")
	ended, err := f.dir.EndActingHC(ctx, hc, f.op.Code, p.ID)
	if err != nil || !ended.EndedAt.Equal(f.clock.now()) || ended.EndedBy != hc.UserID {
		t.Fatalf("end: %+v, %v", ended, err)
	}
	if slices.Contains(holders(), deputy.UserID) || f.reload(t, deputy).RolesIn(f.op.ID).Has(domain.RoleHC) {
		t.Fatal("ended early, still HC")
	}
	if factor() {
		t.Error("ended early, still bound by the HC's second-factor rule")
	}
	_, err = f.dir.EndActingHC(ctx, hc, f.op.Code, p.ID)
	wantCode(t, err, domain.CodeConflict, "acting_hc.already_over")
	// Its time is free again.
	if _, err := f.dir.NameActingHC(ctx, hc, f.op.Code, domain.ActingHCInput{UserID: deputy.UserID, StartsAt: t0.Add(2 * time.Hour),
		EndsAt: t0.Add(4 * time.Hour), Reason: "Again"}); err != nil {
		t.Fatalf("a new period after the early end: %v", err)
	}
	page, err := f.dir.ActingHC(ctx, f.officer, f.op.Code)
	if err != nil || len(page.Periods) != 2 || page.CanName || page.Periods[0].Reason != "Again" {
		t.Fatalf("the officer's list: %+v, %v", page, err)
	}
}

// TestActingHC_HCTold: when an administrator names or ends an acting
// HC, the operation's HC are told too (their notice names the acting
// HC); when an HC does it, the other HC are told and the HC who acted is
// not.
func TestActingHC_HCTold(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	ctx := t.Context()
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	f.access.WithNotifier(notify.New(catalog, false, "https://cmcoord.example.org", slog.New(slog.NewTextHandler(io.Discard, nil))))
	hc := f.member(t, "hc@example.org", f.officer.OrganizationID, domain.RoleHC)
	hc2 := f.member(t, "hc2@example.org", f.officer.OrganizationID, domain.RoleHC)
	deputy := f.member(t, "deputy@example.org", f.officer.OrganizationID, domain.RoleViewer)
	told := func(userID int64) []map[string]string {
		t.Helper()
		rows, err := f.pool.Query(ctx, `SELECT data FROM notifications WHERE user_id = $1 AND kind = $2 ORDER BY id`, userID, string(domain.NoticeActingHC))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []map[string]string
		for rows.Next() {
			var raw []byte
			if err := rows.Scan(&raw); err != nil {
				t.Fatal(err)
			}
			var m map[string]string
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := func(who string, userID int64, n int, change, acting string) {
		t.Helper()
		got := told(userID)
		if len(got) != n {
			t.Fatalf("%s: %d acting HC notices, want %d: %v", who, len(got), n, got)
		}
		if n == 0 {
			return
		}
		last := got[n-1]
		if last["Change"] != change || last["Acting"] != acting {
			t.Fatalf("%s: last notice %v, want change %q acting %q", who, last, change, acting)
		}
	}

	// The administrator names: the acting HC and both HC are told.
	p, err := f.dir.NameActingHC(ctx, f.admin, f.op.Code, domain.ActingHCInput{UserID: deputy.UserID, EndsAt: t0.Add(48 * time.Hour), Reason: "Leave"})
	if err != nil {
		t.Fatal(err)
	}
	want("acting HC", deputy.UserID, 1, "named", "")
	want("HC", hc.UserID, 1, "named", "deputy@example.org")
	want("other HC", hc2.UserID, 1, "named", "deputy@example.org")
	want("administrator", f.admin.UserID, 0, "", "")

	// The administrator ends it: all three are told, and who ended it.
	f.clock.t = t0.Add(time.Hour)
	if _, err := f.dir.EndActingHC(ctx, f.admin, f.op.Code, p.ID); err != nil {
		t.Fatal(err)
	}
	want("acting HC", deputy.UserID, 2, "ended", "")
	want("HC", hc.UserID, 2, "ended", "deputy@example.org")
	want("other HC", hc2.UserID, 2, "ended", "deputy@example.org")
	if got := told(hc.UserID)[1]["EndedBy"]; got != f.admin.Name {
		t.Errorf("the HC's notice says it was ended by %q, want %q", got, f.admin.Name)
	}

	// An HC names and ends: the other HC is told, the HC who acted is not.
	p, err = f.dir.NameActingHC(ctx, hc, f.op.Code, domain.ActingHCInput{UserID: deputy.UserID, EndsAt: t0.Add(48 * time.Hour), Reason: "Mission"})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.t = t0.Add(2 * time.Hour)
	if _, err := f.dir.EndActingHC(ctx, hc, f.op.Code, p.ID); err != nil {
		t.Fatal(err)
	}
	want("acting HC", deputy.UserID, 4, "ended", "")
	want("other HC", hc2.UserID, 4, "ended", "deputy@example.org")
	want("HC who acted", hc.UserID, 2, "ended", "deputy@example.org")
}
