package api

import (
	"net/http"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// tokenInput is the body of POST /me/tokens.
type tokenInput struct {
	Name string `json:"name"`
	// Scope defaults to read: a token does the least unless asked.
	Scope string `json:"scope"`
	// ExpiresAt is RFC 3339; null or absent never expires.
	ExpiresAt       *string `json:"expires_at"`
	CurrentPassword string  `json:"current_password"`
}

func (a *API) handleTokenList(w http.ResponseWriter, r *http.Request) error {
	tokens, err := a.access.ListTokens(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(tokens, newTokenDTO))
}

// handleTokenCreate issues a token for the caller. Its secret is in this
// response only; cmcoord keeps just its hash.
func (a *API) handleTokenCreate(w http.ResponseWriter, r *http.Request) error {
	service.WithholdAnswer(r.Context()) // the answer holds a secret: never kept for replay
	var in tokenInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if in.Scope == "" {
		in.Scope = string(domain.TokenRead)
	}
	var expires *time.Time
	if in.ExpiresAt != nil {
		at, err := time.Parse(time.RFC3339, *in.ExpiresAt)
		if err != nil || !representable(at) {
			return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"expires_at": "field.rfc3339"}}
		}
		expires = &at
	}
	secret, t, err := a.access.CreateToken(r.Context(), actor(r), service.TokenRequest{
		NewToken:        domain.NewToken{Name: in.Name, Scope: domain.TokenScope(in.Scope), ExpiresAt: expires},
		CurrentPassword: in.CurrentPassword})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, createdTokenDTO{Token: secret, tokenDTO: newTokenDTO(t)})
}

// handleTokenRevoke revokes one of the caller's tokens; another user's
// token is 404.
func (a *API) handleTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.access.RevokeToken(r.Context(), actor(r), id); err != nil {
		return err
	}
	return writeNoContent(w)
}
