package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// meJSON mirrors the documented GET /me body.
type meJSON struct {
	ID           int64  `json:"id"`
	Email        string `json:"email"`
	Name         string `json:"name"`
	Language     string `json:"language"`
	IsAdmin      bool   `json:"is_admin"`
	Organization struct {
		ID      int64  `json:"id"`
		Name    string `json:"name"`
		Acronym string `json:"acronym"`
	} `json:"organization"`
	Memberships []struct {
		OperationCode string   `json:"operation_code"`
		OperationName string   `json:"operation_name"`
		Roles         []string `json:"roles"`
	} `json:"memberships"`
}

func TestMe(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	org := f.mustOrg(t, "World Food Programme", domain.OrgUNAgency)
	u, _, err := f.dir.CreateUser(t.Context(), f.admin, newUser("amina@wfp.example.org", org.ID, testPassword))
	if err != nil {
		t.Fatal(err)
	}
	f.mustOperation(t, "NPL-EQ-2015")
	f.mustOperation(t, "HTI-EQ-2021")
	f.mustMember(t, "NPL-EQ-2015", u, domain.RoleViewer, domain.RoleRequester)
	f.mustMember(t, "HTI-EQ-2021", u, domain.RoleOfficer)
	token := f.mustToken(t, u)

	check := func(t *testing.T, got meJSON) {
		t.Helper()
		if got.ID != u.ID || got.Email != "amina@wfp.example.org" || got.IsAdmin || got.Language != "en" {
			t.Errorf("me = %+v, want user %d amina@wfp.example.org, not admin, en", got, u.ID)
		}
		if got.Organization.ID != org.ID || got.Organization.Acronym != "WOR" || got.Organization.Name != org.Name {
			t.Errorf("organization = %+v, want %d %q WOR", got.Organization, org.ID, org.Name)
		}
		if len(got.Memberships) != 2 {
			t.Fatalf("memberships = %+v, want 2", got.Memberships)
		}
		// By operation code; roles in display order.
		if m := got.Memberships[0]; m.OperationCode != "HTI-EQ-2021" || len(m.Roles) != 1 || m.Roles[0] != "cmcoord_officer" {
			t.Errorf("memberships[0] = %+v, want HTI-EQ-2021 [cmcoord_officer]", m)
		}
		if m := got.Memberships[1]; m.OperationCode != "NPL-EQ-2015" || m.OperationName != "Operation NPL-EQ-2015" ||
			len(m.Roles) != 2 || m.Roles[0] != "requester" || m.Roles[1] != "viewer" {
			t.Errorf("memberships[1] = %+v, want NPL-EQ-2015 [requester viewer]", m)
		}
	}

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		r := f.call(t, req{Method: "GET", Path: "/me", Token: token}).want(t, http.StatusOK)
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", got)
		}
		check(t, decode[meJSON](t, r))
	})
	t.Run("OKSession", func(t *testing.T) {
		t.Parallel()
		c := f.signIn(t, "amina@wfp.example.org")
		check(t, decode[meJSON](t, f.call(t, req{Method: "GET", Path: "/me", Client: c}).want(t, http.StatusOK)))
	})
	t.Run("OKNoMemberships", func(t *testing.T) {
		t.Parallel()
		got := decode[meJSON](t, f.call(t, req{Method: "GET", Path: "/me", Token: f.adminToken}).want(t, http.StatusOK))
		if !got.IsAdmin || got.Memberships == nil || len(got.Memberships) != 0 {
			t.Errorf("admin me = %+v, want is_admin and memberships []", got)
		}
	})
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	revoked := f.mustUser(t, "revoked@example.org")
	revokedToken := f.mustToken(t, revoked)
	tokens, err := f.access.ListTokens(t.Context(), f.mustActor(t, revoked))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.access.RevokeToken(t.Context(), f.mustActor(t, revoked), tokens[0].ID); err != nil {
		t.Fatal(err)
	}
	disabled := f.mustUser(t, "disabled@example.org")
	disabledToken := f.mustToken(t, disabled)
	disabled.Disabled = true
	if _, err := f.dir.UpdateUser(t.Context(), f.admin, disabled); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		header    map[string]string
		token     string
		path      string
		challenge string
	}{
		{"ErrNoCredentials", nil, "", "/me", `Bearer realm="cmcoord"`},
		{"ErrNoCredentialsAdminRoute", nil, "", "/users", `Bearer realm="cmcoord"`},
		{"ErrNoCredentialsUnknownID", nil, "", "/operations/NOPE/members", `Bearer realm="cmcoord"`},
		{"ErrUnknownToken", nil, "cmc_notARealTokenAtAll0000000000000000000000000", "/me", `Bearer realm="cmcoord", error="invalid_token"`},
		{"ErrNotAToken", nil, "hello", "/me", `Bearer realm="cmcoord", error="invalid_token"`},
		{"ErrRevokedToken", nil, revokedToken, "/me", `Bearer realm="cmcoord", error="invalid_token"`},
		{"ErrDisabledUsersToken", nil, disabledToken, "/me", `Bearer realm="cmcoord", error="invalid_token"`},
		{"ErrNotBearer", map[string]string{"Authorization": "Basic YWRtaW46cGFzc3dvcmQ="}, "", "/me", `Bearer realm="cmcoord", error="invalid_token"`},
		{"ErrBadTokenOnPublicRoute", nil, "hello", "/openapi.json", `Bearer realm="cmcoord", error="invalid_token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := f.call(t, req{Method: "GET", Path: tt.path, Token: tt.token, Header: tt.header})
			r.wantError(t, http.StatusUnauthorized, "unauthorized", nil)
			if got := r.Header.Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.challenge)
			}
		})
	}

	t.Run("OKOpenAPIWithoutCredentials", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "GET", Path: "/openapi.json"}).want(t, http.StatusOK)
	})
	t.Run("OKTokenLastUsed", func(t *testing.T) {
		t.Parallel()
		u := f.mustUser(t, "user@example.org")
		before := time.Now().Add(-time.Second)
		f.call(t, req{Method: "GET", Path: "/me", Token: f.mustToken(t, u)}).want(t, http.StatusOK)
		list := decode[struct {
			Items []tokenJSON `json:"items"`
		}](t, f.call(t, req{Method: "GET", Path: "/me/tokens", Token: f.mustToken(t, u)}).want(t, http.StatusOK))
		used := 0
		for _, tok := range list.Items {
			if tok.LastUsedAt != nil && tok.LastUsedAt.After(before) {
				used++
			}
		}
		if used != 2 {
			t.Errorf("tokens with last_used_at = %d, want 2 (%+v)", used, list.Items)
		}
	})
}
