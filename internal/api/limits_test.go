package api_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestBusinessLimits walks domain.ActionLimits: each limited action, taken
// Max times by one user within the window, works; the next is 429 with
// Retry-After and the JSON error body, and did nothing; another user is
// not affected; once the window has passed, it works again. The limit is
// kept in PostgreSQL, so it holds across instances: a second server on
// the same database refuses the same user too.
func TestBusinessLimits(t *testing.T) {
	t.Parallel()
	type driver struct {
		// do takes the action once as token's user; ok is its success status.
		do func(f *requestsFixture, token string, i int) response
		ok int
	}
	drivers := map[domain.Action]driver{
		domain.ActionCreateRequest: {ok: http.StatusCreated, do: func(f *requestsFixture, token string, i int) response {
			return f.call(t, req{Method: "POST", Path: "/operations/NPL-EQ/requests", Token: token,
				Body: map[string]any{"title": "Draft " + strconv.Itoa(i)}})
		}},
		domain.ActionComment: {ok: http.StatusCreated, do: func(f *requestsFixture, token string, i int) response {
			return f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/comments", f.target), Token: token,
				Body: map[string]any{"body": "Comment " + strconv.Itoa(i)}})
		}},
		domain.ActionExportRequests: {ok: http.StatusOK, do: func(f *requestsFixture, token string, _ int) response {
			return f.call(t, req{Method: "GET", Path: "/operations/NPL-EQ/exports/requests.csv", Token: token})
		}},
	}
	// Who may take each action: a requester creates and comments, the
	// officer exports; the second user of the same role is the control.
	users := map[domain.Action][2]func(f *requestsFixture) string{
		domain.ActionCreateRequest: {func(f *requestsFixture) string { return f.requester }, func(f *requestsFixture) string { return f.outsider }},
		domain.ActionComment: {func(f *requestsFixture) string { return f.requester }, func(f *requestsFixture) string {
			// A colleague of the same organisation, who sees the draft.
			u := f.mustUserIn(t, "rob@example.org", f.requesterUser.OrganizationID)
			f.mustMember(t, "NPL-EQ", u, domain.RoleRequester)
			return f.mustToken(t, u)
		}},
		domain.ActionExportRequests: {func(f *requestsFixture) string { return f.officer }, func(f *requestsFixture) string { return f.viewer }},
	}
	for action, limit := range domain.ActionLimits {
		d, ok := drivers[action]
		if !ok {
			t.Errorf("limited action %s has no driver here", action)
			continue
		}
		t.Run(string(action), func(t *testing.T) {
			t.Parallel()
			f := newRequestsFixture(t)
			withExports(t, f.fixture)
			f.reqs.WithActionLimits(domain.ActionLimits)
			f.exports.WithActionLimits(domain.ActionLimits)
			if action == domain.ActionComment {
				f.target = f.mustCreate(t, f.requester, map[string]any{"title": "Commented"}).ID
			}
			who, other := users[action][0](f), users[action][1](f)
			for i := range limit.Max {
				d.do(f, who, i).want(t, d.ok)
			}
			r := d.do(f, who, limit.Max)
			r.wantError(t, http.StatusTooManyRequests, "rate_limited", nil)
			secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
			if err != nil || secs < 1 || secs > int(limit.Window.Seconds()) {
				t.Fatalf("Retry-After = %q, want 1..%v seconds", r.Header.Get("Retry-After"), limit.Window.Seconds())
			}
			// Another instance on the same database says the same.
			g := f.sibling(t)
			if got := d.do(&requestsFixture{fixture: g, target: f.target}, who, limit.Max).Status; got != http.StatusTooManyRequests {
				t.Fatalf("second instance answered %d, want 429", got)
			}
			d.do(f, other, 0).want(t, d.ok)
			f.clock.Advance(limit.Window)
			d.do(f, who, limit.Max+1).want(t, d.ok)
		})
	}
}
