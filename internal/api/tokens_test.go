package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/api"
	"github.com/cmcoord/cmcoord/internal/domain"
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
	Scope      string     `json:"scope"`
	ExpiresAt  *time.Time `json:"expires_at"`
}

func TestTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.mustUser(t, "scripter@example.org")
	token := f.mustToken(t, u)

	t.Run("OKCreateListRevoke", func(t *testing.T) {
		t.Parallel()
		created := decode[tokenJSON](t, f.call(t, req{Method: "POST", Path: "/me/tokens", Token: token,
			Body: map[string]any{"name": " reporting script ", "scope": "full", "current_password": testPassword}}).want(t, http.StatusCreated))
		if !strings.HasPrefix(created.Token, "cmc_") || created.Prefix != created.Token[:12] || created.Name != "reporting script" ||
			created.RevokedAt != nil || created.ID == 0 || created.Scope != "full" || created.ExpiresAt != nil {
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
		got := decode[tokenJSON](t, f.call(t, req{Method: "POST", Path: "/me/tokens", Token: token,
			Body: map[string]any{"current_password": testPassword}}).want(t, http.StatusCreated))
		if got.Name != "API token" || got.Scope != "read" || got.ExpiresAt != nil {
			t.Errorf("token = %+v, want named API token, read-only, never expiring", got)
		}
	})
	t.Run("ErrRevokeOthersToken", func(t *testing.T) {
		t.Parallel()
		other := decode[tokenJSON](t, f.call(t, req{Method: "POST", Path: "/me/tokens", Token: f.adminToken,
			Body: map[string]any{"name": "admin's", "current_password": testPassword}}).want(t, http.StatusCreated))
		f.call(t, req{Method: "DELETE", Path: fmt.Sprintf("/me/tokens/%d", other.ID), Token: token}).
			wantError(t, http.StatusNotFound, "not_found", nil)
		f.call(t, req{Method: "GET", Path: "/me", Token: other.Token}).want(t, http.StatusOK)
	})
	t.Run("ErrNameTooLong", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "POST", Path: "/me/tokens", Token: token, Body: map[string]any{"name": strings.Repeat("x", 101), "current_password": testPassword}}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"name": "field.too_long"})
	})
	t.Run("ErrReauthentication", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "POST", Path: "/me/tokens", Token: token, Body: map[string]any{"name": "x"}}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"current_password": "field.required"})
		f.call(t, req{Method: "POST", Path: "/me/tokens", Token: token, Body: map[string]any{"current_password": "not the password at all"}}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"current_password": "password.wrong"})
	})
	t.Run("ScopeAndExpiry", func(t *testing.T) {
		t.Parallel()
		expires := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		got := decode[tokenJSON](t, f.call(t, req{Method: "POST", Path: "/me/tokens", Token: token,
			Body: map[string]any{"scope": "read", "expires_at": expires, "current_password": testPassword}}).want(t, http.StatusCreated))
		if got.Scope != "read" || got.ExpiresAt == nil || !got.ExpiresAt.Equal(expires) {
			t.Errorf("token = %+v, want read-only, expiring %v", got, expires)
		}
		f.call(t, req{Method: "GET", Path: "/me", Token: got.Token}).want(t, http.StatusOK)
		// A read-only token creates no token, of any scope.
		for _, scope := range []string{"read", "full"} {
			f.call(t, req{Method: "POST", Path: "/me/tokens", Token: got.Token, Body: map[string]any{"scope": scope, "current_password": testPassword}}).
				wantError(t, http.StatusForbidden, "forbidden", nil)
		}
		for _, bad := range []map[string]any{
			{"scope": "admin", "current_password": testPassword},
			{"expires_at": time.Now().Add(-time.Hour).UTC(), "current_password": testPassword},
		} {
			r := f.call(t, req{Method: "POST", Path: "/me/tokens", Token: token, Body: bad})
			if r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%v: status %d, want 422: %s", bad, r.Status, r.Body)
			}
		}
	})
	t.Run("ErrBadID", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "DELETE", Path: "/me/tokens/first", Token: token}).wantError(t, http.StatusNotFound, "not_found", nil)
	})
}

// TestReadOnlyToken_EveryRoute walks every API route from the router
// with a read-only token and a full token of the same administrator:
// every route that is not a safe method is refused 403 with the JSON
// error (token.read_only) before doing anything, and every read answers
// exactly as it does for the full token. The fixture's client checks
// each answer against the OpenAPI document.
func TestReadOnlyToken_EveryRoute(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.mustOperation(t, "NPL-EQ")
	created := decode[tokenJSON](t, f.call(t, req{Method: "POST", Path: "/me/tokens", Token: f.adminToken,
		Body: map[string]any{"name": "reader", "scope": "read", "current_password": testPassword}}).want(t, http.StatusCreated))
	readOnly := created.Token
	params := strings.NewReplacer("{id}", "1", "{code}", "NPL-EQ", "{user_id}", "1", "{comment_id}", "1",
		"{invitation_id}", "1", "{format}", "csv")
	routes, _ := api.New(api.Options{}).Routes().(chi.Routes)
	writes, reads := 0, 0
	if err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		path := params.Replace(route)
		if !domain.SafeMethod(method) {
			writes++
			f.call(t, req{Method: method, Path: path, Token: readOnly, Body: map[string]any{}}).
				wantError(t, http.StatusForbidden, "forbidden", nil)
			r := f.call(t, req{Method: method, Path: path, Token: readOnly, Body: map[string]any{}})
			if e := decode[apiError](t, r); e.Error.MessageID != "token.read_only" {
				t.Errorf("%s %s: message %q, want token.read_only", method, route, e.Error.MessageID)
			}
			return nil
		}
		reads++
		full := f.call(t, req{Method: method, Path: path, Token: f.adminToken})
		ro := f.call(t, req{Method: method, Path: path, Token: readOnly})
		if ro.Status != full.Status {
			t.Errorf("%s %s: read-only token %d, full token %d: %.200s", method, route, ro.Status, full.Status, ro.Body)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if writes < 20 || reads < 10 {
		t.Errorf("walked %d writes and %d reads: the router was not walked", writes, reads)
	}
	// Nothing the refused writes asked for happened: the token list is
	// the fixture's two.
	list := decode[struct {
		Items []tokenJSON `json:"items"`
	}](t, f.call(t, req{Method: "GET", Path: "/me/tokens", Token: f.adminToken}).want(t, http.StatusOK))
	if len(list.Items) != 2 {
		t.Errorf("%d tokens after the walk, want 2", len(list.Items))
	}
}
