package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// reviewBodySeeds are the fuzz corpus of the review routes' bodies:
// valid ones of each kind, and each kind of refusal.
var reviewBodySeeds = []string{
	`{"version": 1}`, `{"version": 1, "deadline": "2026-05-04T09:00:00Z"}`, `{"version": 2, "deadline": null}`,
	`{"version": 1, "deadline": ""}`, `{"version": 1, "deadline": "2026-05-04T09:00:00+05:45"}`,
	`{"version": 1, "deadline": "9999-12-31T23:59:59-05:00"}`, `{"deadline": "0000-01-01T00:00:00Z"}`, `{"deadline": "soon"}`,
	`{"value": "support"}`, `{"value": "support_with_conditions", "comment": "Daylight only."}`, `{"value": "object", "comment": " "}`,
	`{"value": "recuse", "comment": null}`, `{"value": 1}`, `{"value": "abstain", "comment": "` + strings.Repeat("é", 2001) + `"}`,
	`{"version": 1, "outcome": "approved", "rationale": "Needed.", "conditions": "Daylight only."}`,
	`{"version": 1, "outcome": "rejected", "rationale": ""}`, `{"version": 1, "outcome": "withdrawn", "rationale": "x"}`,
	`{"version": 1e400}`, `{"version": "1"}`, `{"colour": "blue"}`, ``, `{`, `null`, `[]`, `"x"`, `{} {}`,
}

// FuzzReviewBodies feeds arbitrary bytes to the decoders of the open,
// vote and decision bodies and to the checks the API and the domain
// make of them before anything is stored: never a panic, every failure
// a domain or HTTP error that the envelope shows as a 4xx, and nothing
// accepted holds a NUL.
func FuzzReviewBodies(f *testing.F) {
	for _, s := range withHostile(reviewBodySeeds) {
		f.Add([]byte(s))
	}
	a := New(Options{})
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		read := func(v any) (*http.Request, error) {
			r := httptest.NewRequest(http.MethodPost, "/requests/1/review", strings.NewReader(string(body)))
			r.Header.Set("Content-Type", "application/json")
			return r, readJSON(httptest.NewRecorder(), r, v)
		}
		var open openInput
		r, err := read(&open)
		if err == nil {
			var si service.OpenInput
			if si, err = open.serviceInput(); err == nil && !si.Deadline.IsZero() {
				_, err = domain.ReviewDeadline(domain.DefaultReviewPolicy, domain.Request{}, domain.DeadlineChoice{Explicit: si.Deadline, AfterRequiredBy: si.AfterRequiredBy}, now)
			}
		}
		wantClientError(t, a, r, body, err)

		var vote voteInput
		r, err = read(&vote)
		if err == nil {
			if err = domain.ValidateVote(domain.VoteValue(vote.Value), vote.Comment); err == nil {
				wantNoNUL(t, body, vote)
			}
		}
		wantClientError(t, a, r, body, err)

		var dec decisionInput
		r, err = read(&dec)
		if err == nil {
			d := domain.Decision{Outcome: domain.Status(dec.Outcome), Rationale: dec.Rationale, Conditions: dec.Conditions,
				DecidedAt: now}
			if err = domain.ValidateDecision(d); err == nil {
				wantNoNUL(t, body, d)
				// Whatever was accepted can be shown again.
				if werr := writeJSON(httptest.NewRecorder(), http.StatusCreated, newDecisionDTO(d)); werr != nil {
					t.Fatalf("body %q: accepted, but cannot be shown: %v", body, werr)
				}
			}
		}
		wantClientError(t, a, r, body, err)
	})
}

// wantClientError fails t unless err is nil or an error the envelope shows as a 4xx.
func wantClientError(t testing.TB, a *API, r *http.Request, body []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var de *domain.Error
	var he *httpError
	if !errors.As(err, &de) && !errors.As(err, &he) {
		t.Fatalf("body %q: error %T %v is not a domain or HTTP error", body, err, err)
	}
	w := httptest.NewRecorder()
	a.WriteError(w, r, err)
	if w.Code < 400 || w.Code >= 500 {
		t.Fatalf("body %q: error %v answers %d, want a 4xx", body, err, w.Code)
	}
}
