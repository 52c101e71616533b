package api

import (
	"net/http"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// handleMeShow answers who the caller is: their organisation, and their
// roles in each operation they belong to.
func (a *API) handleMeShow(w http.ResponseWriter, r *http.Request) error {
	me := actor(r)
	// Any signed-in user may list organisations; GetOrganization is for
	// admins, so the caller's own one is picked from the list.
	orgs, err := a.directory.ListOrganizations(r.Context(), me)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newMeDTO(me, orgs))
}

func newMeDTO(me domain.Actor, orgs []domain.Organization) meDTO {
	out := meDTO{ID: me.UserID, Email: me.Email, Name: me.Name, Language: me.Language, IsAdmin: me.IsAdmin,
		Organization: organizationRefDTO{ID: me.OrganizationID}, Memberships: []membershipDTO{}}
	for _, o := range orgs {
		if o.ID == me.OrganizationID {
			out.Organization = organizationRefDTO{ID: o.ID, Name: o.Name, Acronym: o.Acronym}
		}
	}
	for _, op := range me.Operations { // sorted by code
		out.Memberships = append(out.Memberships, membershipDTO{OperationCode: op.Code, OperationName: op.Name,
			Roles: roleNames(me.RolesIn(op.ID))})
	}
	return out
}
