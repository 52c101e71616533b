package api_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// userJSON mirrors the documented User (and UserCreated).
type userJSON struct {
	ID             int64  `json:"id"`
	Email          string `json:"email"`
	Name           string `json:"name"`
	OrganizationID int64  `json:"organization_id"`
	Language       string `json:"language"`
	IsAdmin        bool   `json:"is_admin"`
	Disabled       bool   `json:"disabled"`
	HasPassword    bool   `json:"has_password"`
	SetPasswordURL string `json:"set_password_url"`
}

func newUser(email string, orgID int64, password string) service.NewUser {
	return service.NewUser{User: domain.User{Email: email, Name: strings.Split(email, "@")[0], OrganizationID: orgID, Language: "en"},
		Password: password}
}

// setPasswordURL matches the link to the web page, on the test server.
var setPasswordURL = regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+/set-password/([A-Za-z0-9_-]{43})$`)

func TestUsers_Create(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	user := f.mustToken(t, f.mustUser(t, "taken@example.org"))

	t.Run("OKWithPassword", func(t *testing.T) {
		t.Parallel()
		got := decode[userJSON](t, f.call(t, req{Method: "POST", Path: "/users", Token: f.adminToken,
			Body: map[string]any{"email": "amina@example.org", "name": "Amina Khan", "organization_id": f.org.ID,
				"language": "fr", "password": testPassword}}).want(t, http.StatusCreated))
		if got.ID == 0 || got.Email != "amina@example.org" || got.Language != "fr" || !got.HasPassword || got.IsAdmin || got.Disabled {
			t.Errorf("user = %+v, want amina, fr, with password", got)
		}
		if got.SetPasswordURL != "" {
			t.Errorf("set_password_url = %q, want none when a password is given", got.SetPasswordURL)
		}
		if _, err := f.access.SignIn(t.Context(), "amina@example.org", testPassword, "192.0.2.1", ""); err != nil {
			t.Errorf("sign in with the new password: %v", err)
		}
	})
	t.Run("OKWithoutPassword", func(t *testing.T) {
		t.Parallel()
		got := decode[userJSON](t, f.call(t, req{Method: "POST", Path: "/users", Token: f.adminToken,
			Body: map[string]any{"email": "bo@example.org", "name": "Bo", "organization_id": f.org.ID}}).want(t, http.StatusCreated))
		if got.HasPassword || got.Language != "en" {
			t.Errorf("user = %+v, want no password yet, language en by default", got)
		}
		m := setPasswordURL.FindStringSubmatch(got.SetPasswordURL)
		if m == nil {
			t.Fatalf("set_password_url = %q, want %s", got.SetPasswordURL, setPasswordURL)
		}
		u, err := f.access.PasswordLinkUser(t.Context(), m[1], "10.0.0.1")
		if err != nil {
			t.Fatalf("PasswordLinkUser(secret of set_password_url): %v", err)
		}
		if u.ID != got.ID {
			t.Errorf("link user = %d, want %d", u.ID, got.ID)
		}
	})
	t.Run("OKForwardedHTTPS", func(t *testing.T) {
		t.Parallel()
		got := decode[userJSON](t, f.call(t, req{Method: "POST", Path: "/users", Token: f.adminToken,
			Header: map[string]string{"X-Forwarded-Proto": "https"},
			Body:   map[string]any{"email": "cy@example.org", "name": "Cy", "organization_id": f.org.ID}}).want(t, http.StatusCreated))
		if !strings.HasPrefix(got.SetPasswordURL, "https://127.0.0.1:") {
			t.Errorf("set_password_url = %q, want https behind a TLS proxy", got.SetPasswordURL)
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
		{"ErrEmailTakenOtherCase", f.adminToken, map[string]any{"email": "TAKEN@Example.org", "name": "T", "organization_id": f.org.ID},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"email": "user.email_taken"}},
		{"ErrInvalid", f.adminToken, map[string]any{"email": "not an address", "name": "", "organization_id": 0, "language": "de", "password": "short"},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"email": "field.email", "name": "field.required",
				"organization_id": "field.choose", "language": "field.choose", "password": "field.password_short"}},
		{"ErrUnknownOrganization", f.adminToken, map[string]any{"email": "x@example.org", "name": "X", "organization_id": 999999},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"organization_id": "field.choose"}},
		{"ErrNotAdmin", user, map[string]any{"email": "y@example.org", "name": "Y", "organization_id": f.org.ID},
			http.StatusForbidden, "forbidden", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f.call(t, req{Method: "POST", Path: "/users", Token: tt.token, Body: tt.body}).wantError(t, tt.status, tt.code, tt.fields)
		})
	}
}

func TestUsers_Read(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.mustUser(t, "user@example.org")
	user := f.mustToken(t, u)

	t.Run("OKList", func(t *testing.T) {
		t.Parallel()
		got := decode[struct {
			Items []userJSON `json:"items"`
		}](t, f.call(t, req{Method: "GET", Path: "/users", Token: f.adminToken}).want(t, http.StatusOK))
		if len(got.Items) != 2 {
			t.Errorf("items = %+v, want the admin and user", got.Items)
		}
	})
	t.Run("OKShow", func(t *testing.T) {
		t.Parallel()
		got := decode[userJSON](t, f.call(t, req{Method: "GET", Path: fmt.Sprintf("/users/%d", u.ID), Token: f.adminToken}).want(t, http.StatusOK))
		if got.ID != u.ID || got.Email != u.Email || got.OrganizationID != f.org.ID || !got.HasPassword {
			t.Errorf("user = %+v, want %+v", got, u)
		}
	})
	tests := []struct {
		name, method, path, token string
		status                    int
		code                      string
	}{
		{"ErrListNotAdmin", "GET", "/users", user, http.StatusForbidden, "forbidden"},
		{"ErrShowNotAdmin", "GET", fmt.Sprintf("/users/%d", u.ID), user, http.StatusForbidden, "forbidden"},
		{"ErrNotFound", "GET", "/users/999999", f.adminToken, http.StatusNotFound, "not_found"},
		{"ErrBadID", "GET", "/users/abc", f.adminToken, http.StatusNotFound, "not_found"},
		{"ErrNegativeID", "GET", "/users/-1", f.adminToken, http.StatusNotFound, "not_found"},
		{"ErrLinkNotAdmin", "POST", fmt.Sprintf("/users/%d/password-link", u.ID), user, http.StatusForbidden, "forbidden"},
		{"ErrLinkNotFound", "POST", "/users/999999/password-link", f.adminToken, http.StatusNotFound, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f.call(t, req{Method: tt.method, Path: tt.path, Token: tt.token}).wantError(t, tt.status, tt.code, nil)
		})
	}
}

func TestUsers_Update(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	user := f.mustToken(t, f.mustUser(t, "user@example.org"))

	t.Run("OKPartial", func(t *testing.T) {
		t.Parallel()
		u := f.mustUser(t, "partial@example.org")
		other := f.mustOrg(t, "UNICEF", domain.OrgUNAgency)
		got := decode[userJSON](t, f.call(t, req{Method: "PATCH", Path: fmt.Sprintf("/users/%d", u.ID), Token: f.adminToken,
			Body: map[string]any{"name": "Paola Partial", "organization_id": other.ID}}).want(t, http.StatusOK))
		if got.Name != "Paola Partial" || got.OrganizationID != other.ID || got.Email != u.Email || got.Language != "en" || got.Disabled {
			t.Errorf("user = %+v, want only name and organisation changed", got)
		}
	})
	t.Run("OKDisableRevokesTokens", func(t *testing.T) {
		t.Parallel()
		u := f.mustUser(t, "leaving@example.org")
		token := f.mustToken(t, u)
		f.call(t, req{Method: "GET", Path: "/me", Token: token}).want(t, http.StatusOK)
		got := decode[userJSON](t, f.call(t, req{Method: "PATCH", Path: fmt.Sprintf("/users/%d", u.ID), Token: f.adminToken,
			Body: map[string]any{"disabled": true}}).want(t, http.StatusOK))
		if !got.Disabled {
			t.Errorf("disabled = false, want true")
		}
		f.call(t, req{Method: "GET", Path: "/me", Token: token}).wantError(t, http.StatusUnauthorized, "unauthorized", nil)
	})
	t.Run("OKPasswordLink", func(t *testing.T) {
		t.Parallel()
		u := f.mustUser(t, "forgot@example.org")
		first := decode[userJSON](t, f.call(t, req{Method: "POST", Path: fmt.Sprintf("/users/%d/password-link", u.ID), Token: f.adminToken}).want(t, http.StatusOK))
		second := decode[userJSON](t, f.call(t, req{Method: "POST", Path: fmt.Sprintf("/users/%d/password-link", u.ID), Token: f.adminToken}).want(t, http.StatusOK))
		m1, m2 := setPasswordURL.FindStringSubmatch(first.SetPasswordURL), setPasswordURL.FindStringSubmatch(second.SetPasswordURL)
		if m1 == nil || m2 == nil {
			t.Fatalf("set_password_url = %q, %q, want %s", first.SetPasswordURL, second.SetPasswordURL, setPasswordURL)
		}
		if _, err := f.access.PasswordLinkUser(t.Context(), m1[1], "10.0.0.1"); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("first link after a second was issued: err = %v, want not_found", err)
		}
		if got, err := f.access.PasswordLinkUser(t.Context(), m2[1], "10.0.0.1"); err != nil || got.ID != u.ID {
			t.Errorf("second link: user %d, err %v, want user %d", got.ID, err, u.ID)
		}
	})
	t.Run("ErrEmailTaken", func(t *testing.T) {
		t.Parallel()
		u := f.mustUser(t, "dup@example.org")
		f.call(t, req{Method: "PATCH", Path: fmt.Sprintf("/users/%d", u.ID), Token: f.adminToken,
			Body: map[string]any{"email": "User@Example.org"}}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"email": "user.email_taken"})
	})
	t.Run("ErrUnknownOrganization", func(t *testing.T) {
		t.Parallel()
		u := f.mustUser(t, "moving@example.org")
		f.call(t, req{Method: "PATCH", Path: fmt.Sprintf("/users/%d", u.ID), Token: f.adminToken,
			Body: map[string]any{"organization_id": 999999}}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"organization_id": "field.choose"})
	})
	t.Run("ErrDisableSelf", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "PATCH", Path: fmt.Sprintf("/users/%d", f.admin.UserID), Token: f.adminToken,
			Body: map[string]any{"disabled": true}}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"disabled": "user.not_self"})
	})
	t.Run("ErrPasswordNotPatchable", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "PATCH", Path: fmt.Sprintf("/users/%d", f.admin.UserID), Token: f.adminToken,
			Body: map[string]any{"password": testPassword}}).
			wantError(t, http.StatusBadRequest, "malformed", map[string]string{"password": "field.unknown"})
	})
	t.Run("ErrNotAdmin", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "PATCH", Path: fmt.Sprintf("/users/%d", f.admin.UserID), Token: user,
			Body: map[string]any{"name": "Mallory"}}).wantError(t, http.StatusForbidden, "forbidden", nil)
	})
}
