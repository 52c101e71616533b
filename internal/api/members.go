package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// memberInput is the body of PUT /operations/{code}/members/{user_id}.
// Roles is required; an empty list removes the member.
type memberInput struct {
	Roles *[]string `json:"roles"`
}

// memberAddInput is the body of POST /operations/{code}/members: roles
// to add to the account with this e-mail address.
type memberAddInput struct {
	Email string   `json:"email"`
	Roles []string `json:"roles"`
}

// memberAddDTO answers an addition by e-mail. Confirmed is true only for
// callers who may browse the user directory (administrators); anyone
// else gets false whether or not the address has an account, so the
// answer reveals nothing about accounts outside the operation.
type memberAddDTO struct {
	Confirmed bool `json:"confirmed"`
}

// handleMemberAdd adds roles to the account with the given address
// (never removes one) and answers 202: an administrator's addition has
// happened (confirmed); anyone else's is a pending invitation, whether
// or not an account has the address.
func (a *API) handleMemberAdd(w http.ResponseWriter, r *http.Request) error {
	var in memberAddInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	roles, err := domain.NewRoleSet(in.Roles...)
	if err != nil {
		return err
	}
	confirmed, err := a.directory.SetMemberByEmail(r.Context(), actor(r), chi.URLParam(r, "code"), in.Email, roles)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, memberAddDTO{Confirmed: confirmed})
}

// memberListDTO is the member list with the operation's pending
// invitations, which name an address, never an account.
type memberListDTO struct {
	listDTO[memberDTO]
	Invitations []invitationDTO `json:"invitations"`
}

func (a *API) handleMemberList(w http.ResponseWriter, r *http.Request) error {
	code := chi.URLParam(r, "code")
	_, members, err := a.directory.ListMembers(r.Context(), actor(r), code)
	if err != nil {
		return err
	}
	invs, err := a.directory.ListInvitations(r.Context(), actor(r), code)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, memberListDTO{listDTO: newList(members, newMemberDTO),
		Invitations: newList(invs, newInvitationDTO).Items})
}

// handleInvitationCancel withdraws a pending invitation; one the
// operation does not have (any more) changes nothing and also answers 204.
func (a *API) handleInvitationCancel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "invitation_id")
	if err != nil {
		return err
	}
	if err := a.directory.CancelInvitation(r.Context(), actor(r), chi.URLParam(r, "code"), id); err != nil {
		return err
	}
	return writeNoContent(w)
}

// handleMemberSet gives the user exactly the roles in the body and
// answers with their entry in the member list, or 204 when the list was
// empty and the membership is gone.
func (a *API) handleMemberSet(w http.ResponseWriter, r *http.Request) error {
	code := chi.URLParam(r, "code")
	userID, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	var in memberInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	var names []string
	if in.Roles != nil {
		names = append([]string{}, *in.Roles...) // [] removes the membership
	}
	if err := a.directory.SetMemberRoles(r.Context(), actor(r), code, userID, names); err != nil {
		return err
	}
	if len(names) == 0 {
		return writeNoContent(w)
	}
	// The entry, with the user's name and organisation, comes from the
	// list the caller (an admin or the operation's officer) may read.
	_, members, err := a.directory.ListMembers(r.Context(), actor(r), code)
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.User.ID == userID {
			return writeJSON(w, http.StatusOK, newMemberDTO(m))
		}
	}
	// Removed again between the two calls by someone else.
	return domain.Errorf(domain.CodeNotFound, "error.not_found")
}

// handleMemberRemove removes the user from the operation; removing a
// non-member changes nothing and also answers 204.
func (a *API) handleMemberRemove(w http.ResponseWriter, r *http.Request) error {
	userID, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	if err := a.directory.SetMember(r.Context(), actor(r), chi.URLParam(r, "code"), userID, nil); err != nil {
		return err
	}
	return writeNoContent(w)
}
