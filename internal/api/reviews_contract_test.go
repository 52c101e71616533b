package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// reviewRoute reports whether op is documented under the reviews tag:
// TestOpenAPI_ReviewResponses drives those, the requests contract test
// the other request routes.
func reviewRoute(op map[string]any) bool {
	tags, _ := op["tags"].([]any)
	return slices.Contains(tags, any("reviews"))
}

// TestOpenAPI_ReviewResponses drives every review route in success and
// in its documented failures — a sealed and an unsealed view, a closed
// review with its history, a decision — and checks each answer against
// openapi.json (see checkContract).
func TestOpenAPI_ReviewResponses(t *testing.T) {
	t.Parallel()
	f := newReviewsFixture(t)
	succeeded := map[string]bool{}
	check := func(route string, rq req, status int) map[string]any {
		t.Helper()
		if status < 300 {
			succeeded[route] = true
		}
		return f.checkContract(t, route, rq, status)
	}
	id := f.mustSubmitted(t, "Contract")
	p := fmt.Sprintf("/requests/%d", id)
	vote := func(token string, body any) req { return req{Path: p + "/vote", Token: token, Body: body} }

	check("GET /requests/{id}/review", req{Path: p + "/review", Token: f.officer}, 404)
	check("POST /requests/{id}/review", req{Path: p + "/review", Token: f.viewer, Body: map[string]any{"version": 1}}, 403)
	check("POST /requests/{id}/review", req{Path: p + "/review", Token: f.officer, Body: map[string]any{"version": 1, "deadline": "soon"}}, 422)
	check("POST /requests/{id}/review", req{Path: p + "/review", Token: f.officer, Body: map[string]any{"version": 1, "x": 1}}, 400)
	check("POST /requests/{id}/review", req{Path: p + "/review", Token: f.officer, Body: map[string]any{}}, 400) // version required
	check("POST /requests/{id}/review", req{Path: p + "/review", Token: f.officer,
		Body: map[string]any{"version": 1, "deadline": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}}, 201)
	check("PUT /requests/{id}/vote", vote(f.hctA, map[string]any{"value": "support_with_conditions", "comment": "Daylight only."}), 200)
	check("PUT /requests/{id}/vote", vote(f.hctA, map[string]any{"value": "object"}), 422)
	check("PUT /requests/{id}/vote", vote(f.ownHCT, map[string]any{"value": "support"}), 403)
	check("PUT /requests/{id}/vote", vote(f.outsider, map[string]any{"value": "support"}), 404)
	check("PUT /requests/{id}/vote", vote(f.hctA, `{"value": 1}`), 400)
	check("GET /requests/{id}/review", req{Path: p + "/review", Token: f.hctB}, 200)    // turnout
	check("GET /requests/{id}/review", req{Path: p + "/review", Token: f.hctA}, 200)    // and its own vote
	check("GET /requests/{id}/review", req{Path: p + "/review", Token: f.officer}, 200) // and who has not voted
	check("GET /requests/{id}/review", req{Path: p + "/review", Token: f.outsider}, 404)
	check("GET /requests/{id}/review", req{Path: p + "/review"}, 401)
	remind := func(token string) req { return req{Path: p + "/review/remind", Token: token, Body: map[string]any{}} }
	check("POST /requests/{id}/review/remind", remind(f.hc), 403)
	check("POST /requests/{id}/review/remind", remind(f.officer), 200) // the organisation that has not voted
	if e := check("POST /requests/{id}/review/remind", remind(f.officer), 409); !strings.Contains(fmt.Sprint(e), "review.remind_too_soon") {
		t.Errorf("a second reminder at once: %v, want review.remind_too_soon", e)
	}
	check("POST /requests/{id}/review/reopen", req{Path: p + "/review/reopen", Token: f.officer, Body: map[string]any{"version": 1}}, 409)
	check("POST /requests/{id}/review/close", req{Path: p + "/review/close", Token: f.hc, Body: map[string]any{"version": 1}}, 403)
	check("POST /requests/{id}/review/close", req{Path: p + "/review/close", Token: f.officer, Body: map[string]any{"now": true}}, 400)
	check("POST /requests/{id}/review/close", req{Path: p + "/review/close", Token: f.officer, Body: map[string]any{}}, 400) // version required
	check("POST /requests/{id}/review/close", req{Path: p + "/review/close", Token: f.officer, Body: map[string]any{"version": 1}}, 200)
	check("PUT /requests/{id}/vote", vote(f.hctB, map[string]any{"value": "support"}), 409)
	check("POST /requests/{id}/review/close", req{Path: p + "/review/close", Token: f.officer, Body: map[string]any{"version": 1}}, 409)
	check("GET /requests/{id}/review", req{Path: p + "/review", Token: f.viewer}, 200) // votes, tally, history
	check("POST /requests/{id}/decision", req{Path: p + "/decision", Token: f.officer,
		Body: map[string]any{"version": 1, "outcome": "approved", "rationale": "x"}}, 403)
	check("POST /requests/{id}/decision", req{Path: p + "/decision", Token: f.hc, Body: map[string]any{"version": 1, "outcome": "approved"}}, 422)
	check("POST /requests/{id}/decision", req{Path: p + "/decision", Token: f.hc, Body: `{"version": 1, "outcome": true}`}, 400)
	check("POST /requests/{id}/decision", req{Path: p + "/decision", Token: f.hc,
		Body: map[string]any{"version": 1, "outcome": "approved", "rationale": "The HCT supports it.", "conditions": "Daylight only."}}, 201)
	check("POST /requests/{id}/decision", req{Path: p + "/decision", Token: f.hc,
		Body: map[string]any{"version": 1, "outcome": "rejected", "rationale": "Too late."}}, 409)
	check("GET /requests/{id}/review", req{Path: p + "/review", Token: f.requester}, 200) // with the decision

	// A review closed at its deadline without quorum is re-opened.
	qid := f.mustSubmitted(t, "Re-opened")
	q := fmt.Sprintf("/requests/%d", qid)
	first := f.mustOpen(t, qid)
	f.clock.Advance(first.Deadline.Sub(first.OpenedAt) + time.Minute)
	if _, err := f.reviews.RunDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	check("POST /requests/{id}/review/reopen", req{Path: q + "/review/reopen", Token: f.hc, Body: map[string]any{"version": 1}}, 403)
	check("POST /requests/{id}/review/reopen", req{Path: q + "/review/reopen", Token: f.officer,
		Body: map[string]any{"version": 1, "deadline": "2000-01-01T00:00:00Z"}}, 422)
	// The operation's 72 hours from now end after the required-by time:
	// refused until the officer confirms.
	check("POST /requests/{id}/review/reopen", req{Path: q + "/review/reopen", Token: f.officer, Body: map[string]any{"version": 1}}, 422)
	check("POST /requests/{id}/review/reopen", req{Path: q + "/review/reopen", Token: f.officer,
		Body: map[string]any{"version": 1, "after_required_by": true}}, 201)
	// Returned mid-review: the review is cancelled.
	check("POST /requests/{id}/review/return", req{Path: q + "/review/return", Token: f.hc, Body: map[string]any{"version": 1, "reason": "x"}}, 403)
	check("POST /requests/{id}/review/return", req{Path: q + "/review/return", Token: f.officer, Body: map[string]any{"version": 1}}, 422)
	check("POST /requests/{id}/review/return", req{Path: q + "/review/return", Token: f.officer,
		Body: map[string]any{"version": 1, "reason": "Add the landing-site coordinates."}}, 200)
	check("POST /requests/{id}/review/return", req{Path: q + "/review/return", Token: f.officer,
		Body: map[string]any{"version": 1, "reason": "Again."}}, 409)

	for route, op := range loadDoc(t).operations() {
		if reviewRoute(op) && !succeeded[route] && !genericRoute(route) {
			t.Errorf("%s was not driven to success", route)
		}
	}
}
