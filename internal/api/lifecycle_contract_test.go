package api_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// lifecycleRoute reports whether op is documented under the lifecycle
// tag: TestOpenAPI_LifecycleResponses drives those.
func lifecycleRoute(op map[string]any) bool {
	tags, _ := op["tags"].([]any)
	return slices.Contains(tags, any("lifecycle"))
}

// TestOpenAPI_LifecycleResponses drives every lifecycle route in success
// and in its documented failures — an approved request to its hand-over,
// a cancellation, a refused consent, an HRDDP assessment — and checks
// each answer against openapi.json (see checkContract).
func TestOpenAPI_LifecycleResponses(t *testing.T) {
	t.Parallel()
	f := newLifecycleFixture(t)
	succeeded := map[string]bool{}
	check := func(route string, rq req, status int) map[string]any {
		t.Helper()
		if status < 300 {
			succeeded[route] = true
		}
		return f.checkContract(t, route, rq, status)
	}
	id := f.mustApproved(t, "Contract")
	p := fmt.Sprintf("/requests/%d", id)
	v1 := map[string]any{"version": 1}

	// An extension: the requester asks for more time (a new draft).
	check("POST /requests/{id}/extend", req{Path: p + "/extend", Token: f.officer, Body: map[string]any{"end_date": "2099-01-01"}}, 403)
	check("POST /requests/{id}/extend", req{Path: p + "/extend", Token: f.outsider, Body: map[string]any{"end_date": "2099-01-01"}}, 404)
	check("POST /requests/{id}/extend", req{Path: p + "/extend", Token: f.requester, Body: map[string]any{"end_date": "soon"}}, 422)
	check("POST /requests/{id}/extend", req{Path: p + "/extend", Token: f.requester, Body: map[string]any{"end_date": "2000-01-01"}}, 422)
	check("POST /requests/{id}/extend", req{Path: p + "/extend", Token: f.requester, Body: `{"end_date": 1}`}, 400)
	ext := check("POST /requests/{id}/extend", req{Path: p + "/extend", Token: f.requester, Body: map[string]any{"end_date": "2099-01-01"},
		Header: map[string]string{"Idempotency-Key": "ext-1"}}, 201)
	// Linked both ways: the extension names what it extends, the original
	// lists its extensions — to those who may see them (a draft stays with
	// its organisation).
	if eo, _ := ext["extension_of"].(map[string]any); eo == nil || eo["id"] != float64(id) || eo["status"] != string(domain.StatusApproved) {
		t.Errorf("the extension's extension_of = %v", ext["extension_of"])
	}
	orig := check("GET /requests/{id}", req{Path: p, Token: f.requester}, 200)
	if exts, _ := orig["extensions"].([]any); len(exts) != 1 || exts[0].(map[string]any)["id"] != ext["id"] ||
		exts[0].(map[string]any)["reference"] != ext["reference"] || orig["extension_of"] != nil {
		t.Errorf("the original's links = %v, %v", orig["extensions"], orig["extension_of"])
	}
	if exts, _ := check("GET /requests/{id}", req{Path: p, Token: f.officer}, 200)["extensions"].([]any); len(exts) != 0 {
		t.Errorf("the officer sees the requester's draft extension: %v", exts)
	}
	check("POST /requests/{id}/extend", req{Path: p + "/extend", Token: f.requester, Body: map[string]any{"end_date": "2099-01-01"},
		Header: map[string]string{"Idempotency-Key": "ext-1"}}, 201) // the retry: the first answer, replayed
	check("GET /requests/{id}/lifecycle", req{Path: p + "/lifecycle", Token: f.requester}, 200) // without the HRDDP keys
	check("GET /requests/{id}/lifecycle", req{Path: p + "/lifecycle", Token: f.officer}, 200)   // with them
	check("GET /requests/{id}/lifecycle", req{Path: p + "/lifecycle", Token: f.outsider}, 404)
	check("GET /requests/{id}/lifecycle", req{Path: p + "/lifecycle"}, 401)
	check("POST /requests/{id}/tasking", req{Path: p + "/tasking", Token: f.officer, Body: taskingBody}, 409) // no consent yet
	check("PUT /requests/{id}/consent", req{Path: p + "/consent", Token: f.viewer, Body: consentBody}, 403)
	check("PUT /requests/{id}/consent", req{Path: p + "/consent", Token: f.outsider, Body: consentBody}, 404)
	check("PUT /requests/{id}/consent", req{Path: p + "/consent", Token: f.officer, Body: map[string]any{"version": 1, "status": "consented"}}, 422)
	check("PUT /requests/{id}/consent", req{Path: p + "/consent", Token: f.officer, Body: map[string]any{"status": "consented"}}, 400) // version required: a refusal cancels
	check("PUT /requests/{id}/consent", req{Path: p + "/consent", Token: f.officer, Body: `{"status": true}`}, 400)
	check("PUT /requests/{id}/consent", req{Path: p + "/consent", Token: f.officer, Body: "{}",
		Header: map[string]string{"Content-Type": "text/plain"}}, 415)
	check("PUT /requests/{id}/consent", req{Path: p + "/consent", Token: f.officer, Body: consentBody}, 200)
	check("POST /requests/{id}/tasking", req{Path: p + "/tasking", Token: f.hc, Body: taskingBody}, 403)
	check("POST /requests/{id}/tasking", req{Path: p + "/tasking", Token: f.officer, Body: map[string]any{"version": 1, "asset_count": 0}}, 422)
	check("POST /requests/{id}/tasking", req{Path: p + "/tasking", Token: f.officer, Body: map[string]any{"version": 1, "x": 1}}, 400)
	check("POST /requests/{id}/tasking", req{Path: p + "/tasking", Token: f.officer, Body: taskingBody}, 200)
	check("POST /requests/{id}/tasking", req{Path: p + "/tasking", Token: f.officer, Body: taskingBody}, 409) // already tasked
	check("POST /requests/{id}/decline", req{Path: p + "/decline", Token: f.officer, Body: v1}, 422)
	check("POST /requests/{id}/decline", req{Path: p + "/decline", Token: f.requester, Body: map[string]any{"version": 1, "reason": "x"}}, 403)
	check("POST /requests/{id}/decline", req{Path: p + "/decline", Token: f.officer, Body: map[string]any{"version": 1, "reason": "Grounded."}}, 200)
	check("POST /requests/{id}/decline", req{Path: p + "/decline", Token: f.officer, Body: map[string]any{"version": 1, "reason": "Again."}}, 409)
	check("POST /requests/{id}/execution", req{Path: p + "/execution", Token: f.officer, Body: v1}, 409) // declined: task again first
	check("POST /requests/{id}/tasking", req{Path: p + "/tasking", Token: f.officer, Body: taskingBody}, 200)
	check("POST /requests/{id}/execution", req{Path: p + "/execution", Token: f.requester, Body: v1}, 403)
	check("POST /requests/{id}/execution", req{Path: p + "/execution", Token: f.officer, Body: `{"version": "1"}`}, 400)
	check("POST /requests/{id}/reports", req{Path: p + "/reports", Token: f.officer, Body: map[string]any{"date": today()}}, 409)
	check("POST /requests/{id}/execution", req{Path: p + "/execution", Token: f.officer, Body: v1}, 200)
	check("POST /requests/{id}/reports", req{Path: p + "/reports", Token: f.officer,
		Body: map[string]any{"date": today(), "sorties": 6, "flight_hours": 9.5, "tonnes": 12.25, "people_reached": 900}}, 201)
	check("POST /requests/{id}/reports", req{Path: p + "/reports", Token: f.officer, Body: map[string]any{"date": "2999-01-01"}}, 422)
	check("POST /requests/{id}/reports", req{Path: p + "/reports", Token: f.viewer, Body: map[string]any{"date": today()}}, 403)
	check("POST /requests/{id}/reports", req{Path: p + "/reports", Token: f.officer, Body: `{"date": "` + today() + `", "sorties": 1.5}`}, 400)
	check("GET /requests/{id}/lifecycle", req{Path: p + "/lifecycle", Token: f.hc}, 200) // with taskings and reports
	check("POST /requests/{id}/handover", req{Path: p + "/handover", Token: f.officer,
		Body: map[string]any{"version": 1, "organization": "WFP road convoys", "date": today()}}, 409) // not completed
	check("POST /requests/{id}/completion", req{Path: p + "/completion", Token: f.viewer, Body: v1}, 403)
	check("POST /requests/{id}/completion", req{Path: p + "/completion", Token: f.requester, Body: map[string]any{"version": 1, "x": 1}}, 400)
	check("POST /requests/{id}/completion", req{Path: p + "/completion", Token: f.requester, Body: v1}, 200)
	check("POST /requests/{id}/completion", req{Path: p + "/completion", Token: f.requester, Body: v1}, 409)
	check("POST /requests/{id}/handover", req{Path: p + "/handover", Token: f.officer,
		Body: map[string]any{"version": 1, "organization": "Another NGO", "date": today()}}, 422)
	check("POST /requests/{id}/handover", req{Path: p + "/handover", Token: f.hc,
		Body: map[string]any{"version": 1, "organization": "WFP road convoys", "date": today()}}, 403)
	check("POST /requests/{id}/handover", req{Path: p + "/handover", Token: f.officer,
		Body: map[string]any{"version": 1, "organization": "Another NGO", "date": today(), "reason": "WFP convoys left the area."}}, 200)
	check("GET /requests/{id}/lifecycle", req{Path: p + "/lifecycle", Token: f.viewer}, 200) // with the hand-over
	check("POST /requests/{id}/cancel", req{Path: p + "/cancel", Token: f.hc, Body: map[string]any{"version": 1, "reason": "x"}}, 409)

	// Cancellation, and a refused consent.
	c := fmt.Sprintf("/requests/%d", f.mustApproved(t, "Cancelled"))
	check("POST /requests/{id}/cancel", req{Path: c + "/cancel", Token: f.requester, Body: map[string]any{"version": 1, "reason": "x"}}, 403)
	check("POST /requests/{id}/cancel", req{Path: c + "/cancel", Token: f.hc, Body: v1}, 422)
	check("POST /requests/{id}/cancel", req{Path: c + "/cancel", Token: f.hc, Body: `{"version": 1, "reason": 1}`}, 400)
	check("POST /requests/{id}/cancel", req{Path: c + "/cancel", Token: f.hc,
		Body: map[string]any{"version": 1, "reason": "Civilian capacity now available: last resort ended."}}, 200)
	r := fmt.Sprintf("/requests/%d", f.mustApproved(t, "Refused"))
	check("PUT /requests/{id}/consent", req{Path: r + "/consent", Token: f.officer, Body: map[string]any{"version": 1, "status": "refused",
		"authority": "Ministry of Home Affairs", "date": today()}}, 200)
	check("PUT /requests/{id}/consent", req{Path: r + "/consent", Token: f.officer, Body: consentBody}, 409)

	// The HRDDP assessment of a UN entity's request with LR18 yes.
	un, err := f.dir.CreateOrganization(t.Context(), f.admin, domain.Organization{Name: "UN Agency", Acronym: "UNA",
		Type: domain.OrgUNAgency, UNEntity: true})
	if err != nil {
		t.Fatal(err)
	}
	u := f.mustUserIn(t, "umar@example.org", un.ID)
	f.mustMember(t, "NPL-EQ", u, domain.RoleRequester)
	unRequester := f.mustToken(t, u)
	body := completeBody("Escort")
	body["checklist"].(map[string]any)["LR18"] = map[string]any{"answer": "yes", "note": "Fuel for the escort."}
	created := f.mustCreate(t, unRequester, body)
	f.mustAct(t, unRequester, created.ID, "submit", v1)
	h := fmt.Sprintf("/requests/%d", created.ID)
	assessment := hrddpBody("support_with_mitigation")
	check("GET /requests/{id}/hrddp", req{Path: h + "/hrddp", Token: f.hrddp}, 404) // none yet
	check("PUT /requests/{id}/hrddp", req{Path: h + "/hrddp", Token: f.officer, Body: assessment}, 403)
	check("PUT /requests/{id}/hrddp", req{Path: h + "/hrddp", Token: f.outsider, Body: assessment}, 404)
	check("PUT /requests/{id}/hrddp", req{Path: h + "/hrddp", Token: f.hrddp, Body: assessment}, 422) // medium risk, no mitigation
	check("PUT /requests/{id}/hrddp", req{Path: h + "/hrddp", Token: f.hrddp, Body: `{"outcome": ["support"]}`}, 400)
	assessment["mitigation"] = "Fuel handed over only at checkpoints."
	check("PUT /requests/{id}/hrddp", req{Path: h + "/hrddp", Token: f.hrddp, Body: assessment}, 200)
	check("PUT /requests/{id}/hrddp", req{Path: p + "/hrddp", Token: f.hrddp, Body: assessment}, 409) // handed over
	check("GET /requests/{id}/hrddp", req{Path: h + "/hrddp", Token: f.hc}, 200)
	check("GET /requests/{id}/hrddp", req{Path: h + "/hrddp", Token: unRequester}, 404)
	check("GET /requests/{id}/hrddp", req{Path: h + "/hrddp"}, 401)
	check("GET /requests/{id}/lifecycle", req{Path: h + "/lifecycle", Token: f.hrddp}, 200) // with the assessment
	check("GET /requests/{id}/lifecycle", req{Path: h + "/lifecycle", Token: unRequester}, 200)

	for route, op := range loadDoc(t).operations() {
		if lifecycleRoute(op) && !succeeded[route] && !genericRoute(route) {
			t.Errorf("%s was not driven to success", route)
		}
	}
}
