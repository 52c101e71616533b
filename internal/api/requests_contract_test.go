package api_test

import (
	"fmt"
	"github.com/cmcoord/cmcoord/internal/domain"
	"strings"
	"testing"
)

// TestOpenAPI_RequestResponses drives every request, comment and event
// route in success and in its documented failures, and checks each
// answer against openapi.json (see checkContract).
func TestOpenAPI_RequestResponses(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	succeeded := map[string]bool{}
	check := func(route string, rq req, status int) map[string]any {
		t.Helper()
		if status < 300 {
			succeeded[route] = true
		}
		return f.checkContract(t, route, rq, status)
	}
	id := func(m map[string]any) string { return fmt.Sprint(int64(m["id"].(float64))) }
	const ops = "/operations/NPL-EQ/requests"

	created := check("POST /operations/{code}/requests", req{Path: ops, Token: f.requester, Body: completeBody("Contract")}, 201)
	p := "/requests/" + id(created)
	check("POST /operations/{code}/requests", req{Path: ops, Token: f.requester, Body: map[string]any{"title": "Keyed"},
		Header: map[string]string{"Idempotency-Key": "k"}}, 201)
	check("POST /operations/{code}/requests", req{Path: ops, Token: f.requester, Body: map[string]any{"title": "Keyed"},
		Header: map[string]string{"Idempotency-Key": "k"}}, 201) // the retry: the first answer, replayed
	check("POST /operations/{code}/requests", req{Path: ops, Token: f.requester, Body: map[string]any{"title": ""}}, 422)
	check("POST /operations/{code}/requests", req{Path: ops, Token: f.requester, Body: `{"title": 1}`}, 422)
	check("POST /operations/{code}/requests", req{Path: ops, Token: f.requester, Body: `{"title": "x", "colour": 1}`}, 400)
	check("POST /operations/{code}/requests", req{Path: ops, Token: f.officer, Body: map[string]any{"title": "x"}}, 403)
	check("POST /operations/{code}/requests", req{Path: ops, Token: f.adminToken, Body: map[string]any{"title": "x"}}, 404)
	check("POST /operations/{code}/requests", req{Path: ops, Token: f.requester, Body: "{}",
		Header: map[string]string{"Content-Type": "text/plain"}}, 415)
	check("POST /operations/{code}/requests", req{Path: ops, Token: f.requester,
		Body: `{"title": "` + strings.Repeat("x", 1<<20) + `"}`}, 413)
	check("POST /operations/{code}/requests", req{Path: ops}, 401)

	check("GET /requests/{id}", req{Path: p, Token: f.requester}, 200)
	check("GET /requests/{id}", req{Path: p, Token: f.outsider}, 404)
	check("GET /requests/{id}", req{Path: p}, 401)
	check("PATCH /requests/{id}", req{Path: p, Token: f.requester,
		Body: map[string]any{"version": 1, "title": "Contract 2", "checklist": map[string]any{"LR16": nil}}}, 200)
	check("PATCH /requests/{id}", req{Path: p, Token: f.requester, Body: map[string]any{"version": 9}}, 409)
	// Saved over since version 1:
	check("PATCH /requests/{id}", req{Path: p, Token: f.requester, Body: map[string]any{"version": 1, "title": "Stale"}}, 409)
	check("PATCH /requests/{id}", req{Path: p, Token: f.requester, Body: map[string]any{"title": "x"}}, 400) // no version: required
	check("PATCH /requests/{id}", req{Path: p, Token: f.requester, Body: map[string]any{"version": 2, "title": ""}}, 422)
	check("PATCH /requests/{id}", req{Path: p, Token: f.requester, Body: map[string]any{"version": 1, "x": 1}}, 400)
	check("POST /requests/{id}/submit", req{Path: p + "/submit", Token: f.requester, Body: map[string]any{"version": 2}}, 422)
	check("PATCH /requests/{id}", req{Path: p, Token: f.requester,
		Body: map[string]any{"version": 2, "checklist": map[string]any{"LR16": map[string]any{"answer": "yes"}}}}, 200)

	// A second request goes the other ways: redirected, withdrawn.
	other := check("POST /operations/{code}/requests", req{Path: ops, Token: f.requester, Body: completeBody("Other")}, 201)
	q := "/requests/" + id(other)
	check("POST /requests/{id}/submit", req{Path: p + "/submit", Token: f.requester, Body: map[string]any{"version": 3}}, 200)
	check("POST /requests/{id}/submit", req{Path: p + "/submit", Token: f.requester, Body: map[string]any{"version": 3}}, 409)
	check("POST /requests/{id}/submit", req{Path: q + "/submit", Token: f.requester, Body: map[string]any{"version": 1}}, 200)
	check("PATCH /requests/{id}", req{Path: p, Token: f.officer, Body: map[string]any{"version": 1, "title": "x"}}, 403)
	check("POST /requests/{id}/return", req{Path: p + "/return", Token: f.officer, Body: map[string]any{"version": 3}}, 422)
	check("POST /requests/{id}/return", req{Path: p + "/return", Token: f.requester, Body: map[string]any{"version": 3, "reason": "x"}}, 403)
	check("POST /requests/{id}/return", req{Path: p + "/return", Token: f.officer, Body: map[string]any{"version": 3, "reason": "Coordinates?"}}, 200)
	// Resubmitted with a change: every answer tells what changed since
	// the previous submission.
	check("PATCH /requests/{id}", req{Path: p, Token: f.requester, Body: map[string]any{"version": 3, "title": "Contract 3"}}, 200)
	check("POST /requests/{id}/submit", req{Path: p + "/submit", Token: f.requester, Body: map[string]any{"version": 4}}, 200)
	got := check("GET /requests/{id}", req{Path: p, Token: f.officer}, 200)
	if rs, _ := got["changes_since_previous_submission"].(map[string]any); rs == nil || fmt.Sprint(rs["changes"]) != "[map[field:title new:Contract 3 old:Contract 2]]" {
		t.Errorf("changes_since_previous_submission = %v, want the title's change", got["changes_since_previous_submission"])
	}
	check("POST /requests/{id}/briefing", req{Path: q + "/briefing", Token: f.officer, Body: map[string]any{"answer": "yes"}}, 200)
	check("POST /requests/{id}/briefing", req{Path: q + "/briefing", Token: f.officer, Body: map[string]any{"answer": "?"}}, 422)
	check("POST /requests/{id}/briefing", req{Path: q + "/briefing", Token: f.requester, Body: map[string]any{"answer": "yes"}}, 403)
	check("POST /requests/{id}/redirect", req{Path: q + "/redirect", Token: f.officer,
		Body: map[string]any{"version": 1, "reason": "LC flies it", "civilian_reference": "LC-SRF-1"}}, 200)
	check("POST /requests/{id}/redirect", req{Path: q + "/redirect", Token: f.officer,
		Body: map[string]any{"version": 1, "reason": "again", "civilian_reference": "LC-SRF-1"}}, 409)
	check("POST /requests/{id}/withdraw", req{Path: p + "/withdraw", Token: f.requester, Body: map[string]any{"version": 5, "reason": "Road open."}}, 200)
	check("POST /requests/{id}/withdraw", req{Path: p + "/withdraw", Token: f.requester, Body: map[string]any{"version": 5, "reason": "x"}}, 409)

	c := check("POST /requests/{id}/comments", req{Path: p + "/comments", Token: f.officer, Body: map[string]any{"body": "Noted."}}, 201)
	check("POST /requests/{id}/comments", req{Path: p + "/comments", Token: f.viewer, Body: map[string]any{"body": "Hi"}}, 403)
	check("POST /requests/{id}/comments", req{Path: p + "/comments", Token: f.officer, Body: map[string]any{"body": ""}}, 422)
	check("GET /requests/{id}/comments", req{Path: p + "/comments", Token: f.viewer}, 200)
	check("GET /requests/{id}/comments", req{Path: p + "/comments", Token: f.outsider}, 404)
	check("PATCH /requests/{id}/comments/{comment_id}", req{Path: p + "/comments/" + id(c), Token: f.officer,
		Body: map[string]any{"body": "Noted, thanks."}}, 200)
	check("PATCH /requests/{id}/comments/{comment_id}", req{Path: p + "/comments/" + id(c), Token: f.requester,
		Body: map[string]any{"body": "Mine now"}}, 403)
	check("PATCH /requests/{id}/comments/{comment_id}", req{Path: p + "/comments/999999", Token: f.officer,
		Body: map[string]any{"body": "x"}}, 404)
	check("GET /requests/{id}/events", req{Path: p + "/events", Token: f.viewer}, 200)
	check("GET /requests/{id}/events", req{Path: p + "/events", Token: f.outsider}, 404)

	page := check("GET /operations/{code}/requests", req{Path: ops + "?limit=1", Token: f.requester}, 200)
	if page["next_cursor"] == nil {
		t.Error("next_cursor = null on a first page of one, want a cursor")
	}
	check("GET /operations/{code}/requests", req{Path: ops + "?status=lost", Token: f.requester}, 422)
	check("GET /operations/{code}/requests", req{Path: ops + "?colour=blue", Token: f.requester}, 400)
	check("GET /operations/{code}/requests", req{Path: ops, Token: f.adminToken}, 404)
	check("GET /operations/{code}/requests", req{Path: ops}, 401)

	for route, op := range loadDoc(t).operations() {
		if reviewRoute(op) || lifecycleRoute(op) || exportRoute(op) || attachmentRoute(op) || genericRoute(route) {
			continue // TestOpenAPI_ReviewResponses, TestOpenAPI_LifecycleResponses, TestOpenAPI_AttachmentResponses and TestExportRequests_Matrix drive those
		}
		if (strings.Contains(route, "/requests") || strings.Contains(route, "/comments")) && !succeeded[route] {
			t.Errorf("%s was not driven to success", route)
		}
	}
}

// genericRoute reports whether route is one of the rulebook's generic
// steps. They share one handler and one generated description: the
// contract tests drive those of today to success where their stage's
// flow reaches them (and every call is checked against the document); a
// row added to the rulebook is driven by internal/rulesproof, so it needs
// no line here.
func genericRoute(route string) bool {
	for _, tr := range domain.GenericTransitions() {
		if route == "POST /requests/{id}/"+tr.Path {
			return true
		}
	}
	return false
}
