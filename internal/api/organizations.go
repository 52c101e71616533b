package api

import (
	"net/http"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// organizationInput is the body of POST and PATCH /organizations: a PATCH
// changes only the fields present (null counts as absent).
type organizationInput struct {
	Name     *string `json:"name"`
	Acronym  *string `json:"acronym"`
	Type     *string `json:"type"`
	UNEntity *bool   `json:"un_entity"`
}

// applyTo returns o with the fields present in in.
func (in organizationInput) applyTo(o domain.Organization) domain.Organization {
	set(&o.Name, in.Name)
	set(&o.Acronym, in.Acronym)
	if in.Type != nil {
		o.Type = domain.OrgType(*in.Type)
	}
	set(&o.UNEntity, in.UNEntity)
	return o
}

// set copies *from into *to when from is present.
func set[T any](to *T, from *T) {
	if from != nil {
		*to = *from
	}
}

func (a *API) handleOrganizationList(w http.ResponseWriter, r *http.Request) error {
	orgs, err := a.directory.ListOrganizations(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(orgs, newOrganizationDTO))
}

func (a *API) handleOrganizationCreate(w http.ResponseWriter, r *http.Request) error {
	var in organizationInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	o, err := a.directory.CreateOrganization(r.Context(), actor(r), in.applyTo(domain.Organization{}))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, newOrganizationDTO(o))
}

func (a *API) handleOrganizationShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := a.directory.GetOrganization(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newOrganizationDTO(o))
}

// handleOrganizationUpdate applies a partial update on top of the stored
// organisation. Two concurrent PATCHes of different fields can lose one
// of them (last write wins), as with the HTML form.
func (a *API) handleOrganizationUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in organizationInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	cur, err := a.directory.GetOrganization(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	o, err := a.directory.UpdateOrganization(r.Context(), actor(r), in.applyTo(cur))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newOrganizationDTO(o))
}
