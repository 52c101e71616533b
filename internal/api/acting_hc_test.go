package api_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestActingHC_API: walking every role, only the HC (and an
// administrator) names an acting HC; an overlap is 409; the list says who
// may name; an acting HC's decision carries "acting" in the review's
// decision object; a period ends early.
func TestActingHC_API(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	op := f.mustOperation(t, "NPL-EQ")
	deputy := f.mustUser(t, "deputy@example.org")
	f.mustMember(t, op.Code, deputy, domain.RoleViewer)
	path := "/operations/" + op.Code + "/acting-hc"
	now := time.Now().UTC().Truncate(time.Second)
	body := func(start time.Time) map[string]any {
		return map[string]any{"user_id": deputy.ID, "starts_at": start.Format(time.RFC3339),
			"ends_at": start.Add(time.Hour).Format(time.RFC3339), "reason": "HC on mission"}
	}
	var hcUser domain.User
	var hcToken string
	for i, role := range domain.AllRoles {
		u := f.mustUser(t, "walk-"+string(role)+"@example.org")
		f.mustMember(t, op.Code, u, role)
		tok := f.mustToken(t, u)
		r := f.call(t, req{Method: http.MethodPost, Path: path, Token: tok, Body: body(now.Add(time.Duration(i+10) * 24 * time.Hour))})
		if role != domain.RoleHC {
			r.wantError(t, http.StatusForbidden, "forbidden", nil)
			continue
		}
		got := decode[map[string]any](t, r.want(t, http.StatusCreated))
		if got["user"].(map[string]any)["id"] != float64(deputy.ID) || got["ended_at"] != nil {
			t.Fatalf("named: %v", got)
		}
		hcUser, hcToken = u, tok
	}
	f.call(t, req{Method: http.MethodPost, Path: path, Token: f.adminToken, Body: body(now.Add(30 * 24 * time.Hour))}).want(t, http.StatusCreated)
	// Overlapping the HC's period: 409.
	f.call(t, req{Method: http.MethodPost, Path: path, Token: hcToken, Body: body(now.Add(13*24*time.Hour + 30*time.Minute))}).
		wantError(t, http.StatusConflict, "conflict", nil)

	// A period now, and the deputy decides under it.
	named := decode[map[string]any](t, f.call(t, req{Method: http.MethodPost, Path: path, Token: hcToken,
		Body: map[string]any{"user_id": deputy.ID, "ends_at": now.Add(2 * time.Hour).Format(time.RFC3339), "reason": "Today"}}).
		want(t, http.StatusCreated))
	officerUser := f.mustUser(t, "officer@example.org")
	f.mustMember(t, op.Code, officerUser, domain.RoleOfficer)
	officerToken := f.mustToken(t, officerUser)
	list := decode[map[string]any](t, f.call(t, req{Method: http.MethodGet, Path: path, Token: officerToken}).want(t, http.StatusOK))
	if items, _ := list["items"].([]any); len(items) != 3 || list["can_name"] != false {
		t.Fatalf("the officer's list: %v", list)
	}
	requester := f.mustUser(t, "requester@example.org")
	f.mustMember(t, op.Code, requester, domain.RoleRequester)
	hctUser := f.mustUser(t, "hct@example.org")
	other := f.mustOrg(t, "Other agency", domain.OrgUNAgency)
	hctUser.OrganizationID = other.ID
	if _, err := f.dir.UpdateUser(ctx, f.admin, hctUser); err != nil {
		t.Fatal(err)
	}
	f.mustMember(t, op.Code, hctUser, domain.RoleHCTMember)
	officer, hct := f.mustActor(t, officerUser), f.mustActor(t, hctUser)
	r, _, err := f.reqs.Create(ctx, f.mustActor(t, requester), op.Code, fx.Request("Decided by the deputy", f.clock.Now()), "")
	if err != nil {
		t.Fatal(err)
	}
	if r, err = f.reqs.Transition(ctx, f.mustActor(t, requester), r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reviews.Open(ctx, officer, r.ID, service.OpenInput{Version: r.Version}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reviews.Vote(ctx, hct, r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reviews.Close(ctx, officer, r.ID, r.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reviews.Decide(ctx, f.mustActor(t, deputy), r.ID, service.DecisionInput{Version: r.Version,
		Outcome: domain.StatusApproved, Rationale: "Go."}); err != nil {
		t.Fatal(err)
	}
	rv := decode[map[string]any](t, f.call(t, req{Method: http.MethodGet, Path: "/requests/" + strconv.FormatInt(r.ID, 10) + "/review",
		Token: officerToken}).want(t, http.StatusOK))
	acting, _ := rv["decision"].(map[string]any)["acting"].(map[string]any)
	if acting == nil || acting["period_id"] != named["id"] || acting["named_by"] != hcUser.Name {
		t.Fatalf("the decision's acting: %v", rv["decision"])
	}

	// Ended early.
	end := path + "/" + strconv.FormatFloat(named["id"].(float64), 'f', 0, 64) + "/end"
	ended := decode[map[string]any](t, f.call(t, req{Method: http.MethodPost, Path: end, Token: hcToken}).want(t, http.StatusOK))
	if ended["ended_at"] == nil || ended["ended_by"].(map[string]any)["id"] != float64(hcUser.ID) {
		t.Fatalf("ended: %v", ended)
	}
	f.call(t, req{Method: http.MethodPost, Path: end, Token: hcToken}).wantError(t, http.StatusConflict, "conflict", nil)
	if f.mustActor(t, deputy).RolesIn(op.ID).Has(domain.RoleHC) {
		t.Error("ended early, the deputy is still HC")
	}
}
