package api

import (
	"net/http"
	"net/url"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// userCreateInput is the body of POST /users. Without a password the
// response carries a one-time set-password link for the admin to pass on.
type userCreateInput struct {
	Email          string `json:"email"`
	Name           string `json:"name"`
	OrganizationID int64  `json:"organization_id"`
	Language       string `json:"language"`
	IsAdmin        bool   `json:"is_admin"`
	Password       string `json:"password"`
}

// userUpdateInput is the body of PATCH /users/{id}: only the fields
// present change (null counts as absent). Passwords are never set here.
type userUpdateInput struct {
	Email          *string `json:"email"`
	Name           *string `json:"name"`
	OrganizationID *int64  `json:"organization_id"`
	Language       *string `json:"language"`
	IsAdmin        *bool   `json:"is_admin"`
	Disabled       *bool   `json:"disabled"`
}

func (in userUpdateInput) applyTo(u domain.User) domain.User {
	set(&u.Email, in.Email)
	set(&u.Name, in.Name)
	set(&u.OrganizationID, in.OrganizationID)
	set(&u.Language, in.Language)
	set(&u.IsAdmin, in.IsAdmin)
	set(&u.Disabled, in.Disabled)
	return u
}

// setPasswordURL is the web page where the link's user chooses a
// password, at the configured base URL. Only a server without one (a
// test's) uses the host the admin called, where X-Forwarded-Proto may
// only upgrade the scheme to https, never downgrade.
func (a *API) setPasswordURL(r *http.Request, secret string) string {
	if a.baseURL != "" {
		return a.baseURL + "/set-password/" + secret
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host, Path: "/set-password/" + secret}).String()
}

func (a *API) handleUserList(w http.ResponseWriter, r *http.Request) error {
	users, err := a.directory.ListUsers(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(users, newUserDTO))
}

func (a *API) handleUserCreate(w http.ResponseWriter, r *http.Request) error {
	service.WithholdAnswer(r.Context()) // the answer holds a secret: never kept for replay
	var in userCreateInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	u, secret, err := a.directory.CreateUser(r.Context(), actor(r), service.NewUser{
		User: domain.User{Email: in.Email, Name: in.Name, OrganizationID: in.OrganizationID,
			Language: in.Language, IsAdmin: in.IsAdmin},
		Password: in.Password,
	})
	if err != nil {
		return err
	}
	out := createdUserDTO{userDTO: newUserDTO(u)}
	if secret != "" {
		out.SetPasswordURL = a.setPasswordURL(r, secret)
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (a *API) handleUserShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := a.directory.GetUser(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newUserDTO(u))
}

// handleUserUpdate applies a partial update on top of the stored user.
// Disabling a user ends their sessions and revokes their API tokens.
func (a *API) handleUserUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in userUpdateInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	cur, err := a.directory.GetUser(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	u, err := a.directory.UpdateUser(r.Context(), actor(r), in.applyTo(cur))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newUserDTO(u))
}

// handleUserPasswordLink issues a new set-password link for the user;
// earlier unused links stop working.
func (a *API) handleUserPasswordLink(w http.ResponseWriter, r *http.Request) error {
	service.WithholdAnswer(r.Context()) // the answer holds a secret: never kept for replay
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	secret, err := a.directory.IssuePasswordLink(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, passwordLinkDTO{SetPasswordURL: a.setPasswordURL(r, secret)})
}

// handleUserSignOut ends every session of the user and revokes every API
// token of theirs (admins only).
func (a *API) handleUserSignOut(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.directory.EndSessions(r.Context(), actor(r), id); err != nil {
		return err
	}
	return writeNoContent(w)
}
