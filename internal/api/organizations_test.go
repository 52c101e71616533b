package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// organizationJSON mirrors the documented Organization.
type organizationJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Acronym   string    `json:"acronym"`
	Type      string    `json:"type"`
	UNEntity  bool      `json:"un_entity"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func TestOrganizations_Create(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	user := f.mustToken(t, f.mustUser(t, "user@example.org"))

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		r := f.call(t, req{Method: "POST", Path: "/organizations", Token: f.adminToken,
			Body: map[string]any{"name": "  World Food Programme ", "acronym": "WFP", "type": "un_agency", "un_entity": true}})
		got := decode[organizationJSON](t, r.want(t, http.StatusCreated))
		if got.ID == 0 || got.Name != "World Food Programme" || got.Acronym != "WFP" || got.Type != "un_agency" || !got.UNEntity {
			t.Errorf("organization = %+v, want WFP trimmed, un_agency, UN entity", got)
		}
		if got.CreatedAt.IsZero() || got.CreatedAt.Location() != time.UTC {
			t.Errorf("created_at = %v, want a UTC time", got.CreatedAt)
		}
		show := decode[organizationJSON](t, f.call(t, req{Method: "GET", Path: fmt.Sprintf("/organizations/%d", got.ID), Token: f.adminToken}).want(t, http.StatusOK))
		if show != got {
			t.Errorf("GET = %+v, want %+v", show, got)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "POST", Path: "/organizations", Token: f.adminToken,
			Body: map[string]any{"name": " ", "type": "army"}}).
			wantError(t, http.StatusUnprocessableEntity, "invalid",
				map[string]string{"name": "field.required", "acronym": "field.required", "type": "field.choose"})
	})
	t.Run("ErrNameTaken", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "POST", Path: "/organizations", Token: f.adminToken,
			Body: map[string]any{"name": "ocha", "acronym": "OCHA", "type": "un_agency"}}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"name": "organization.name_taken"})
	})
	t.Run("ErrNotAdmin", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "POST", Path: "/organizations", Token: user,
			Body: map[string]any{"name": "Mine", "acronym": "MINE", "type": "other"}}).
			wantError(t, http.StatusForbidden, "forbidden", nil)
	})
}

func TestOrganizations_Read(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wfp := f.mustOrg(t, "World Food Programme", domain.OrgUNAgency)
	user := f.mustToken(t, f.mustUser(t, "user@example.org"))

	t.Run("OKListAnySignedIn", func(t *testing.T) {
		t.Parallel()
		got := decode[struct {
			Items []organizationJSON `json:"items"`
		}](t, f.call(t, req{Method: "GET", Path: "/organizations", Token: user}).want(t, http.StatusOK))
		if len(got.Items) != 2 || got.Items[0].Name != "OCHA" || got.Items[1].ID != wfp.ID {
			t.Errorf("items = %+v, want OCHA and WFP by name", got.Items)
		}
	})
	t.Run("OKOneAnySignedIn", func(t *testing.T) {
		t.Parallel()
		got := decode[organizationJSON](t, f.call(t, req{Method: "GET", Path: fmt.Sprintf("/organizations/%d", wfp.ID), Token: user}).want(t, http.StatusOK))
		if got.ID != wfp.ID || got.Name != "World Food Programme" {
			t.Errorf("organisation = %+v, want WFP", got)
		}
	})
	tests := []struct {
		name   string
		token  string
		path   string
		status int
		code   string
	}{
		{"ErrNotFound", f.adminToken, "/organizations/999999", http.StatusNotFound, "not_found"},
		{"ErrBadID", f.adminToken, "/organizations/abc", http.StatusNotFound, "not_found"},
		{"ErrZeroID", f.adminToken, "/organizations/0", http.StatusNotFound, "not_found"},
		{"ErrHugeID", f.adminToken, "/organizations/99999999999999999999999", http.StatusNotFound, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f.call(t, req{Method: "GET", Path: tt.path, Token: tt.token}).wantError(t, tt.status, tt.code, nil)
		})
	}
}

func TestOrganizations_Update(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	user := f.mustToken(t, f.mustUser(t, "user@example.org"))

	t.Run("OKPartial", func(t *testing.T) {
		t.Parallel()
		o := f.mustOrg(t, "International Committee of the Red Cross", domain.OrgRedCross)
		got := decode[organizationJSON](t, f.call(t, req{Method: "PATCH", Path: fmt.Sprintf("/organizations/%d", o.ID),
			Token: f.adminToken, Body: map[string]any{"acronym": "ICRC", "un_entity": nil}}).want(t, http.StatusOK))
		if got.Acronym != "ICRC" || got.Name != o.Name || got.Type != "red_cross_red_crescent" || got.UNEntity {
			t.Errorf("organization = %+v, want only the acronym changed", got)
		}
		if !got.UpdatedAt.After(o.UpdatedAt) {
			t.Errorf("updated_at = %v, want after %v", got.UpdatedAt, o.UpdatedAt)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		o := f.mustOrg(t, "Norwegian Refugee Council", domain.OrgINGO)
		f.call(t, req{Method: "PATCH", Path: fmt.Sprintf("/organizations/%d", o.ID), Token: f.adminToken,
			Body: map[string]any{"type": "guild"}}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"type": "field.choose"})
	})
	t.Run("ErrNotAdmin", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "PATCH", Path: fmt.Sprintf("/organizations/%d", f.org.ID), Token: user,
			Body: map[string]any{"acronym": "X"}}).wantError(t, http.StatusForbidden, "forbidden", nil)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "PATCH", Path: "/organizations/424242", Token: f.adminToken,
			Body: map[string]any{"acronym": "X"}}).wantError(t, http.StatusNotFound, "not_found", nil)
	})
}
