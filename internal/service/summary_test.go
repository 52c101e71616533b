package service_test

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestSummaryFigures builds a fixed data set through the services and
// checks every figure against values computed by hand:
//
//	F  draft created 60 days before t0 (never submitted; open too long)
//	D  draft created at t0
//	A  submitted t0, approved t0+10h, tasked to IND (declined), then CHN
//	B  submitted t0, rejected t0+144h (after its required-by, t0+5d)
//	C  submitted t0, redirected to a civilian option
//	E  submitted t0, still waiting
//
// Decision hours {10, 144}: median 77, p90 10 + 0.9·134 = 130.6.
func TestSummaryFigures(t *testing.T) {
	t.Parallel()
	f := newLifeFixture(t)
	ctx := t.Context()
	sum := service.NewSummary(store.New(f.pool), f.clock.now, slog.New(slog.NewTextHandler(io.Discard, nil)))

	f.clock.t = t0.AddDate(0, 0, -60)
	f.create(t, fixture.Request("Old draft", f.clock.now()))
	f.clock.t = t0
	f.create(t, fixture.Request("New draft", f.clock.now()))
	a := f.submitted(t, "Airlift A")
	b := f.submitted(t, "Airlift B")
	c := f.submitted(t, "Airlift C")
	f.submitted(t, "Airlift E")
	if _, err := f.reqs.Transition(ctx, f.officer, c.ID, domain.ActionRedirect, domain.TransitionInput{Version: c.Version,
		Reason: "UNHAS can fly it", CivilianReference: "SRF-NPL-0042"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []domain.Request{a, b} {
		f.open(t, r)
		for _, h := range f.hct {
			if _, err := f.reviews.Vote(ctx, h, r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.reviews.Close(ctx, f.officer, r.ID, r.Version); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.t = t0.Add(10 * time.Hour)
	if _, err := f.reviews.Decide(ctx, f.hc, a.ID, service.DecisionInput{Version: a.Version, Outcome: domain.StatusApproved, Rationale: "Passed."}); err != nil {
		t.Fatal(err)
	}
	f.clock.t = t0.Add(11 * time.Hour)
	if _, err := f.life.RecordConsent(ctx, f.officer, a.ID, nowVersion(t, f.reqs, a.ID), domain.Consent{Status: "consented", Authority: "NDRRMA",
		Channel: "Letter", Date: f.clock.now(), Reference: "NDRRMA/2026/114"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.life.Task(ctx, f.officer, a.ID, a.Version, tasking); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reqs.Transition(ctx, f.officer, a.ID, domain.ActionDecline, domain.TransitionInput{Version: a.Version, Reason: "Grounded."}); err != nil {
		t.Fatal(err)
	}
	other := tasking
	other.ProviderISO3 = "CHN"
	if _, err := f.life.Task(ctx, f.officer, a.ID, a.Version, other); err != nil {
		t.Fatal(err)
	}
	f.clock.t = t0.Add(100 * time.Hour)
	if _, err := f.reviews.Decide(ctx, f.hc, b.ID, service.DecisionInput{Version: b.Version, Outcome: domain.StatusRejected, Rationale: "Road open."}); err != nil {
		t.Fatal(err)
	}
	// A decision after the required-by time is refused today (the request
	// expires first), but records from before that rule have them: B's
	// required-by moved before its decision stands for one.
	if _, err := f.pool.Exec(ctx, `UPDATE requests SET required_by = $2 WHERE id = $1`, b.ID, t0.Add(90*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Now: 2026-12-12 09:00; A's task (end date 2026-12-17) ends within 7 days.
	f.clock.t = t0.AddDate(0, 0, 14)
	viewer := f.member(t, "vera@example.org", f.officer.OrganizationID, domain.RoleViewer)

	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	got, err := sum.Summary(ctx, viewer, f.op.Code, day, day)
	if err != nil {
		t.Fatal(err)
	}
	counts := func(cs []domain.SummaryCount) string { return fmt.Sprint(cs) }
	checks := []struct {
		name      string
		got, want any
	}{
		{"submitted", got.Submitted, 4},
		{"by status", counts(got.ByStatus), "[{redirected 1} {rejected 1} {submitted 1} {tasked 1}]"},
		{"by sector", counts(got.BySector), "[{HEA 4} {LOG 4}]"},
		{"by task category", counts(got.ByTaskCategory), "[{air_rotary 4}]"},
		{"by support type", counts(got.BySupportType), "[{indirect 4}]"},
		{"by priority", counts(got.ByPriority), "[{life_sustaining 4}]"},
		{"decided", got.Decided, 2},
		{"median", round(got.MedianHours), 55.0},
		{"p90", round(got.P90Hours), 91.0},
		{"with required-by", got.WithRequiredBy, 2},
		{"before required-by", got.BeforeRequiredBy, 1},
		{"share before", round(got.ShareBeforeRequiredBy), 0.5},
		{"redirected", got.Redirected, 1},
		{"share redirected", round(got.ShareRedirected), 0.25},
		{"approved", got.Approved, 1},
		{"rejected", got.Rejected, 1},
		{"approval rate", round(got.ApprovalRate), 0.5},
		{"ending soon", got.EndingSoon, 1},
		{"open too long", got.OpenTooLong, 1},
		{"mcda", fmt.Sprint(got.MCDA), "[{CHN Mi-17 helicopter 1 2}]"},
		{"from", got.From, day},
		{"to", got.To, day},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}

	// The default period is the last 90 days: the same requests.
	def, err := sum.Summary(ctx, f.hc, f.op.Code, time.Time{}, time.Time{})
	if err != nil || def.Submitted != 4 || !def.To.Equal(time.Date(2026, 12, 12, 0, 0, 0, 0, time.UTC)) ||
		!def.From.Equal(def.To.AddDate(0, 0, -89)) {
		t.Fatalf("default = %v..%v, %d submitted, %v", def.From, def.To, def.Submitted, err)
	}
	// A later period: nothing submitted, no ratios; the "now" figures stay.
	later, err := sum.Summary(ctx, f.officer, f.op.Code, day.AddDate(0, 0, 1), day.AddDate(0, 0, 20))
	if err != nil || later.Submitted != 0 || later.Decided != 0 || later.MedianHours != nil || later.ApprovalRate != nil ||
		later.ShareRedirected != nil || len(later.ByStatus) != 0 || len(later.MCDA) != 0 || later.EndingSoon != 1 || later.OpenTooLong != 1 {
		t.Fatalf("later = %+v, %v", later, err)
	}
	_, err = sum.Summary(ctx, f.officer, f.op.Code, day, day.AddDate(0, 0, -1))
	wantCode(t, err, domain.CodeInvalid, "")
}

func round(p *float64) any {
	if p == nil {
		return nil
	}
	return math.Round(*p*1000) / 1000
}

// TestSummaryAccess: the roles that follow the operation as a whole see
// the summary; other members get 403, anyone else 404.
func TestSummaryAccess(t *testing.T) {
	t.Parallel()
	f := newLifeFixture(t)
	ctx := t.Context()
	sum := service.NewSummary(store.New(f.pool), f.clock.now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	viewer := f.member(t, "vera@example.org", f.officer.OrganizationID, domain.RoleViewer)
	for name, a := range map[string]domain.Actor{"officer": f.officer, "hc": f.hc, "hct": f.hct[0], "viewer": viewer} {
		if _, err := sum.Summary(ctx, a, f.op.Code, time.Time{}, time.Time{}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, a := range map[string]domain.Actor{"requester": f.requester, "hrddp": f.hrddp} {
		_, err := sum.Summary(ctx, a, f.op.Code, time.Time{}, time.Time{})
		wantCode(t, err, domain.CodeForbidden, "")
		_ = name
	}
	_, err := sum.Summary(ctx, f.admin, f.op.Code, time.Time{}, time.Time{})
	wantCode(t, err, domain.CodeNotFound, "")
	_, err = sum.Summary(ctx, f.officer, "NOPE", time.Time{}, time.Time{})
	wantCode(t, err, domain.CodeNotFound, "")
	_, err = sum.Summary(ctx, domain.Actor{}, f.op.Code, time.Time{}, time.Time{})
	wantCode(t, err, domain.CodeUnauthorized, "")
	if _, _, err := service.ParseSummaryRange("2026-13-01", ""); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("bad date: %v", err)
	}
}
