package api_test

import (
	"net/http"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// operationJSON mirrors the documented Operation.
type operationJSON struct {
	ID           int64  `json:"id"`
	Code         string `json:"code"`
	Name         string `json:"name"`
	CountryISO3  string `json:"country_iso3"`
	GLIDE        string `json:"glide"`
	Context      string `json:"context"`
	ReviewPolicy struct {
		QuorumPercent     int    `json:"quorum_percent"`
		PassRule          string `json:"pass_rule"`
		ReviewHours       int    `json:"review_hours"`
		UrgentReviewHours int    `json:"urgent_review_hours"`
		SealedVotes       bool   `json:"sealed_votes"`
	} `json:"review_policy"`
	LeadTimeHours int  `json:"lead_time_hours"`
	Closed        bool `json:"closed"`
}

func TestOperations_Create(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.mustOperation(t, "NPL-EQ-2015")
	user := f.mustToken(t, f.mustUser(t, "user@example.org"))

	t.Run("OKDefaults", func(t *testing.T) {
		t.Parallel()
		got := decode[operationJSON](t, f.call(t, req{Method: "POST", Path: "/operations", Token: f.adminToken,
			Body: map[string]any{"code": "hti-eq-2021", "name": "Haiti earthquake", "country_iso3": "hti",
				"glide": "EQ-2021-000110-HTI", "context": "natural_disaster", "review_policy": map[string]any{"pass_rule": "majority"}}}).
			want(t, http.StatusCreated))
		p := got.ReviewPolicy
		if got.ID == 0 || got.Code != "HTI-EQ-2021" || got.CountryISO3 != "HTI" || got.GLIDE != "EQ-2021-000110-HTI" || got.Closed {
			t.Errorf("operation = %+v, want HTI-EQ-2021 upper-cased, open", got)
		}
		if p.PassRule != "majority" || p.QuorumPercent != 50 || p.ReviewHours != 72 || p.UrgentReviewHours != 12 || !p.SealedVotes || got.LeadTimeHours != 48 {
			t.Errorf("review_policy = %+v, lead_time_hours = %d, want majority over the defaults, 48", p, got.LeadTimeHours)
		}
	})
	tests := []struct {
		name   string
		token  string
		body   map[string]any
		status int
		code   string
		fields map[string]string
	}{
		{"ErrInvalid", f.adminToken, map[string]any{"code": "x", "name": "", "country_iso3": "NEPAL", "glide": "EQ-2015",
			"context": "war", "review_policy": map[string]any{"quorum_percent": 0, "review_hours": 10, "urgent_review_hours": 12}, "lead_time_hours": -1},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"code": "field.operation_code", "name": "field.required",
				"country_iso3": "field.iso3", "glide": "field.glide", "context": "field.choose", "review_policy.quorum_percent": "field.percent",
				"review_policy.urgent_review_hours": "field.urgent_hours", "lead_time_hours": "field.hours"}},
		{"ErrCodeTaken", f.adminToken, map[string]any{"code": "npl-eq-2015", "name": "Again", "country_iso3": "NPL", "context": "mixed"},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"code": "operation.code_taken"}},
		{"ErrNotAdmin", user, map[string]any{"code": "MINE", "name": "Mine", "country_iso3": "NPL", "context": "mixed"},
			http.StatusForbidden, "forbidden", nil},
		{"ErrWrongType", f.adminToken, map[string]any{"code": "NPL-2", "review_policy": map[string]any{"quorum_percent": "half"}},
			http.StatusBadRequest, "malformed", map[string]string{"review_policy.quorum_percent": "field.number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f.call(t, req{Method: "POST", Path: "/operations", Token: tt.token, Body: tt.body}).wantError(t, tt.status, tt.code, tt.fields)
		})
	}
}

func TestOperations_Read(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.mustOperation(t, "NPL-EQ-2015")
	f.mustOperation(t, "HTI-EQ-2021")
	u := f.mustUser(t, "member@example.org")
	f.mustMember(t, "NPL-EQ-2015", u, domain.RoleViewer)
	member := f.mustToken(t, u)

	list := func(t *testing.T, token string) []string {
		t.Helper()
		got := decode[struct {
			Items []operationJSON `json:"items"`
		}](t, f.call(t, req{Method: "GET", Path: "/operations", Token: token}).want(t, http.StatusOK))
		var codes []string
		for _, o := range got.Items {
			codes = append(codes, o.Code)
		}
		return codes
	}
	t.Run("OKListMember", func(t *testing.T) {
		t.Parallel()
		if got := list(t, member); len(got) != 1 || got[0] != "NPL-EQ-2015" {
			t.Errorf("codes = %v, want [NPL-EQ-2015]", got)
		}
	})
	t.Run("OKListAdmin", func(t *testing.T) {
		t.Parallel()
		if got := list(t, f.adminToken); len(got) != 2 || got[0] != "HTI-EQ-2021" {
			t.Errorf("codes = %v, want [HTI-EQ-2021 NPL-EQ-2015]", got)
		}
	})
	t.Run("OKShowMember", func(t *testing.T) {
		t.Parallel()
		got := decode[operationJSON](t, f.call(t, req{Method: "GET", Path: "/operations/NPL-EQ-2015", Token: member}).want(t, http.StatusOK))
		if got.Code != "NPL-EQ-2015" || got.Context != "natural_disaster" {
			t.Errorf("operation = %+v", got)
		}
	})
	t.Run("ErrShowNotMember", func(t *testing.T) {
		t.Parallel()
		r := f.call(t, req{Method: "GET", Path: "/operations/HTI-EQ-2021", Token: member})
		missing := f.call(t, req{Method: "GET", Path: "/operations/NO-SUCH-OP", Token: member})
		a, b := r.wantError(t, http.StatusNotFound, "not_found", nil), missing.wantError(t, http.StatusNotFound, "not_found", nil)
		if a.Error.Message != b.Error.Message {
			t.Errorf("hidden operation message = %q, missing one %q, want the same", a.Error.Message, b.Error.Message)
		}
	})
}

func TestOperations_Update(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.mustUser(t, "officer@example.org")
	officer := f.mustToken(t, u)

	t.Run("OKPartial", func(t *testing.T) {
		t.Parallel()
		f.mustOperation(t, "PATCH-1")
		got := decode[operationJSON](t, f.call(t, req{Method: "PATCH", Path: "/operations/PATCH-1", Token: f.adminToken,
			Body: map[string]any{"review_policy": map[string]any{"review_hours": 48}, "closed": true}}).want(t, http.StatusOK))
		p := got.ReviewPolicy
		if p.ReviewHours != 48 || p.UrgentReviewHours != 12 || p.QuorumPercent != 50 || p.PassRule != "consensus" || !p.SealedVotes {
			t.Errorf("review_policy = %+v, want only review_hours changed", p)
		}
		if !got.Closed || got.Name != "Operation PATCH-1" || got.CountryISO3 != "NPL" || got.LeadTimeHours != 48 {
			t.Errorf("operation = %+v, want closed and nothing else changed", got)
		}
	})
	t.Run("OKRenameCode", func(t *testing.T) {
		t.Parallel()
		f.mustOperation(t, "PATCH-2")
		f.call(t, req{Method: "PATCH", Path: "/operations/PATCH-2", Token: f.adminToken,
			Body: map[string]any{"code": "patch-2b"}}).want(t, http.StatusOK)
		f.call(t, req{Method: "GET", Path: "/operations/PATCH-2B", Token: f.adminToken}).want(t, http.StatusOK)
		f.call(t, req{Method: "GET", Path: "/operations/PATCH-2", Token: f.adminToken}).wantError(t, http.StatusNotFound, "not_found", nil)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		f.mustOperation(t, "PATCH-3")
		f.call(t, req{Method: "PATCH", Path: "/operations/PATCH-3", Token: f.adminToken,
			Body: map[string]any{"country_iso3": "12"}}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"country_iso3": "field.iso3"})
	})
	t.Run("ErrMemberNotAdmin", func(t *testing.T) {
		t.Parallel()
		f.mustOperation(t, "PATCH-4")
		f.mustMember(t, "PATCH-4", u, domain.RoleOfficer)
		f.call(t, req{Method: "PATCH", Path: "/operations/PATCH-4", Token: officer,
			Body: map[string]any{"name": "Mine"}}).wantError(t, http.StatusForbidden, "forbidden", nil)
	})
	t.Run("ErrNotMember", func(t *testing.T) {
		t.Parallel()
		f.mustOperation(t, "PATCH-5")
		f.call(t, req{Method: "PATCH", Path: "/operations/PATCH-5", Token: officer,
			Body: map[string]any{"name": "Mine"}}).wantError(t, http.StatusNotFound, "not_found", nil)
	})
}
