package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// tokenJSON mirrors the documented Token (and TokenCreated).
type tokenJSON struct {
	Token      string     `json:"token"`
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

func TestTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.mustUser(t, "scripter@example.org")
	token := f.mustToken(t, u)

	t.Run("OKCreateListRevoke", func(t *testing.T) {
		t.Parallel()
		created := decode[tokenJSON](t, f.call(t, req{Method: "POST", Path: "/me/tokens", Token: token,
			Body: map[string]any{"name": " reporting script "}}).want(t, http.StatusCreated))
		if !strings.HasPrefix(created.Token, "cmc_") || created.Prefix != created.Token[:12] || created.Name != "reporting script" ||
			created.RevokedAt != nil || created.ID == 0 {
			t.Fatalf("created = %+v, want a cmc_ secret with its prefix, named, live", created)
		}
		// The new token works, and the list never shows a secret.
		r := f.call(t, req{Method: "GET", Path: "/me/tokens", Token: created.Token}).want(t, http.StatusOK)
		if strings.Contains(string(r.Body), created.Token) {
			t.Errorf("list shows the secret: %s", r.Body)
		}
		list := decode[struct {
			Items []tokenJSON `json:"items"`
		}](t, r)
		// Other subtests create tokens meanwhile: find ours, and check the
		// order (newest first) rather than a position.
		var found bool
		for i, it := range list.Items {
			if it.ID == created.ID {
				found = it.LastUsedAt != nil
			}
			if i > 0 && it.CreatedAt.After(list.Items[i-1].CreatedAt) {
				t.Errorf("items not newest first: %+v", list.Items)
			}
		}
		if len(list.Items) < 2 || !found {
			t.Errorf("items = %+v, want the new token, marked used", list.Items)
		}

		f.call(t, req{Method: "DELETE", Path: fmt.Sprintf("/me/tokens/%d", created.ID), Token: token}).want(t, http.StatusNoContent)
		f.call(t, req{Method: "GET", Path: "/me", Token: created.Token}).wantError(t, http.StatusUnauthorized, "unauthorized", nil)
		list = decode[struct {
			Items []tokenJSON `json:"items"`
		}](t, f.call(t, req{Method: "GET", Path: "/me/tokens", Token: token}).want(t, http.StatusOK))
		for _, it := range list.Items {
			if it.ID == created.ID && it.RevokedAt == nil {
				t.Errorf("token %d: revoked_at = nil, want a time", it.ID)
			}
		}
	})
	t.Run("OKDefaultName", func(t *testing.T) {
		t.Parallel()
		got := decode[tokenJSON](t, f.call(t, req{Method: "POST", Path: "/me/tokens", Token: token, Body: map[string]any{}}).want(t, http.StatusCreated))
		if got.Name != "API token" {
			t.Errorf("name = %q, want API token", got.Name)
		}
	})
	t.Run("ErrRevokeOthersToken", func(t *testing.T) {
		t.Parallel()
		other := decode[tokenJSON](t, f.call(t, req{Method: "POST", Path: "/me/tokens", Token: f.adminToken,
			Body: map[string]any{"name": "admin's"}}).want(t, http.StatusCreated))
		f.call(t, req{Method: "DELETE", Path: fmt.Sprintf("/me/tokens/%d", other.ID), Token: token}).
			wantError(t, http.StatusNotFound, "not_found", nil)
		f.call(t, req{Method: "GET", Path: "/me", Token: other.Token}).want(t, http.StatusOK)
	})
	t.Run("ErrNameTooLong", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "POST", Path: "/me/tokens", Token: token, Body: map[string]any{"name": strings.Repeat("x", 101)}}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"name": "field.too_long"})
	})
	t.Run("ErrBadID", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "DELETE", Path: "/me/tokens/first", Token: token}).wantError(t, http.StatusNotFound, "not_found", nil)
	})
}
