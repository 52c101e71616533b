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
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// requestBodySeeds are the fuzz corpus: valid bodies, each kind of
// refusal, and the edges of the merge patch (null, nesting, repeats).
var requestBodySeeds = []string{
	`{"version": 1, "title": "Helicopter lift", "sectors": ["LOG", "HEA"], "people_targeted": 12000}`,
	`{"title": "x", "origin": {"name": "Base", "lat": 27.7, "lon": 85.3}, "destination": null}`,
	`{"version": 2, "checklist": {"LR2": {"answer": "yes", "note": "none free"}, "LR16": null, "LR17": {"answer": "yes"}}}`,
	`{"required_by": "2026-05-01T10:00:00Z", "start_date": "2026-05-01", "end_date": "", "exit_strategy": {"date": "2026-05-20"}}`,
	`{"civilian_options": [{"option": "unhas", "result": "too_slow", "note": "weeks"}], "poc": {"email": "a@b.org"}}`,
	`{"escort": {"need_criticality": "x"}, "support_type": "direct", "priority": "lifesaving", "task_category": "sea"}`,
	`{"title": "a", "title": null}`, `{"checklist": {"LR2": {"answer": 1}}}`, `{"origin": {"lat": "north"}}`,
	`{"colour": "blue"}`, `{"origin": {"nmae": "x"}}`, `{"version": 1e400}`, `{"people_targeted": 1.5}`,
	`{"start_date": "2026-02-30"}`, `{"required_by": "tomorrow"}`, `{"required_by": "9999-12-31T23:00:00-05:00"}`,
	`{"start_date": "0001-01-01"}`, `{"checklist": []}`, `{"checklist": {"LR2": []}}`,
	``, `{`, `null`, `[]`, `"x"`, `{} {}`, `{"title": "` + strings.Repeat("é", 300) + `"}`,
}

// FuzzRequestBody feeds arbitrary bytes to the request body decoder and
// merge: it must never panic, and must give either a request or an error
// the envelope shows as a 4xx; a request the domain's checks accept holds
// no NUL in any text, nested or not (the seeds put one in every text).
func FuzzRequestBody(f *testing.F) {
	for _, s := range withHostile(requestBodySeeds) {
		f.Add([]byte(s))
	}
	a := New(Options{})
	base := fixture.Request("Base", time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC))
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPatch, "/requests/1", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/json")
		var in requestPatch
		err := readJSON(rec, r, &in)
		if err == nil {
			// Apply to a full request and to an empty one, then run the
			// domain's own normalisation and checks as the service would.
			for _, start := range []domain.Request{cloneForFuzz(base), {}} {
				got := start
				if err = in.applyTo(&got); err != nil {
					break
				}
				domain.NormalizeRequest(&got)
				if domain.ValidateDraft(got) == nil {
					wantNoNUL(t, body, got)
				}
				// Whatever was accepted can be shown again.
				d := service.RequestDetail{Request: got, Evaluation: domain.Evaluate(got, domain.ContextComplexEmergency, true, domain.Recorded{})}
				if werr := writeJSON(httptest.NewRecorder(), http.StatusOK, newRequestDTO(r.Context(), d)); werr != nil {
					t.Fatalf("body %q: accepted, but cannot be shown: %v", body, werr)
				}
			}
		}
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
	})
}

// cloneForFuzz copies r's maps and slices, so one run's merge cannot
// change the next run's base.
func cloneForFuzz(r domain.Request) domain.Request {
	c := r
	c.Sectors = append([]string(nil), r.Sectors...)
	c.CivilianOptions = append([]domain.CivilianCheck(nil), r.CivilianOptions...)
	c.Checklist = make(map[string]domain.Answer, len(r.Checklist))
	for k, v := range r.Checklist {
		c.Checklist[k] = v
	}
	return c
}

// FuzzRequestFilter feeds arbitrary query strings to the list's filter
// parser and the domain's normalisation: never a panic, and any failure
// is a 4xx.
func FuzzRequestFilter(f *testing.F) {
	for _, s := range []string{"", "status=draft,submitted&status=returned", "sector=LOG&priority=high&q=helicopter",
		"limit=10&cursor=WyJ4Il0", "organization_id=-1", "limit=abc", "statuses=x", "q=%zz", "sort=reference&sort=updated"} {
		f.Add(s)
	}
	a := New(Options{})
	f.Fuzz(func(t *testing.T, query string) {
		fl, err := requestFilter(query)
		if err == nil {
			err = domain.NormalizeFilter(&fl)
		}
		if err == nil {
			return
		}
		w := httptest.NewRecorder()
		a.WriteError(w, httptest.NewRequest(http.MethodGet, "/operations/X/requests", nil), err)
		if w.Code < 400 || w.Code >= 500 {
			t.Fatalf("query %q: error %v answers %d, want a 4xx", query, err, w.Code)
		}
	})
}
