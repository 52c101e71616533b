package service_test

import (
	"reflect"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestPageMatchesSeparateReads proves Requests.Page returns exactly what
// Detail, Reviews.State and Lifecycle.State return, for every role, at
// each stage of a request (submitted, under review with sealed votes,
// approved and tasked), and refuses whom Detail refuses.
func TestPageMatchesSeparateReads(t *testing.T) {
	t.Parallel()
	f := newLifeFixture(t)
	ctx := t.Context()
	viewers := map[string]domain.Actor{"requester": f.requester, "colleague": f.colleague, "officer": f.officer,
		"hct": f.hct[0], "own hct": f.ownHCT, "hc": f.hc, "hrddp": f.hrddp}
	check := func(stage string, id int64) {
		t.Helper()
		for name, a := range viewers {
			d, derr := f.reqs.Detail(ctx, a, id)
			p, perr := f.reqs.Page(ctx, a, id)
			if domain.ErrorCode(derr) != domain.ErrorCode(perr) {
				t.Errorf("%s, %s: Page error %v, Detail error %v", stage, name, perr, derr)
				continue
			}
			if derr != nil {
				continue
			}
			rs, err := f.reviews.State(ctx, a, id)
			if err != nil {
				t.Fatal(err)
			}
			ls, err := f.life.State(ctx, a, id)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.RequestDetail, d) {
				t.Errorf("%s, %s: Page's detail differs from Detail:\n%+v\n%+v", stage, name, p.RequestDetail, d)
			}
			if !reflect.DeepEqual(p.Review, rs) {
				t.Errorf("%s, %s: Page's review differs from Reviews.State:\n%+v\n%+v", stage, name, p.Review, rs)
			}
			if !reflect.DeepEqual(p.Lifecycle, ls) {
				t.Errorf("%s, %s: Page's lifecycle differs from Lifecycle.State:\n%+v\n%+v", stage, name, p.Lifecycle, ls)
			}
		}
	}
	draft := f.create(t, fixture.Request("Draft lift", f.clock.now()))
	check("draft", draft.ID)
	r := f.submitted(t, "Heavy lift")
	if _, err := f.reqs.AddComment(ctx, f.requester, r.ID, "Call +977 1 555 0101"); err != nil {
		t.Fatal(err)
	}
	check("submitted", r.ID)
	f.open(t, r)
	if _, err := f.reviews.Vote(ctx, f.hct[0], r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
		t.Fatal(err)
	}
	check("under review", r.ID)

	a := f.approved(t, "Approved lift")
	if _, err := f.life.RecordConsent(ctx, f.officer, a.ID, nowVersion(t, f.reqs, a.ID), domain.Consent{Status: "consented", Authority: "NDRRMA",
		Channel: "Letter", Date: f.clock.now(), Reference: "NDRRMA/2026/114"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.life.Task(ctx, f.officer, a.ID, a.Version, tasking); err != nil {
		t.Fatal(err)
	}
	check("approved and tasked", a.ID)
}
