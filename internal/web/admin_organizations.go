package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// handleOrganizationList lists every organisation for admins.
func (s *Server) handleOrganizationList(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	// ListOrganizations serves any signed-in user (pickers, /me); this
	// page is the administration's, so it asks for the admin action.
	if err := domain.Can(a, domain.ActionManageOrganizations, domain.OnInstance()); err != nil {
		return err
	}
	orgs, err := s.directory.ListOrganizations(r.Context(), a)
	if err != nil {
		return err
	}
	ctx := r.Context()
	v := pages.AdminOrganizationsView{Shell: s.shell(w, r, i18n.T(ctx, "admin.organizations"))}
	for _, o := range orgs {
		id := strconv.FormatInt(o.ID, 10)
		v.Rows = append(v.Rows, pages.AdminOrganizationRow{ID: id, Name: o.Name, Acronym: o.Acronym,
			Type: i18n.T(ctx, "org_type."+string(o.Type)), UNEntity: o.UNEntity, EditURL: "/admin/organizations/" + id})
	}
	return s.render(w, r, http.StatusOK, pages.AdminOrganizations(v))
}

// organizationValues is o as a form shows it.
func organizationValues(o domain.Organization) url.Values {
	return url.Values{"name": {o.Name}, "acronym": {o.Acronym}, "type": {string(o.Type)}, "un_entity": {boolValue(o.UNEntity)},
		"updated": {savedToken(o.UpdatedAt)}}
}

// organizationInput reads the organisation form.
func organizationInput(v url.Values) domain.Organization {
	return domain.Organization{Name: v.Get("name"), Acronym: v.Get("acronym"),
		Type: domain.OrgType(strings.TrimSpace(v.Get("type"))), UNEntity: formBool(v, "un_entity"), UpdatedAt: savedAt(v)}
}

// organizationFormView builds the create (id 0) or edit form.
func (s *Server) organizationFormView(w http.ResponseWriter, r *http.Request, f *form, id int64) pages.AdminOrganizationFormView {
	ctx := r.Context()
	v := pages.AdminOrganizationFormView{
		Title:  i18n.T(ctx, "organization.new"),
		Action: "/admin/organizations/new",
		Submit: i18n.T(ctx, "organization.create"),
	}
	if id != 0 {
		v.Title = i18n.T(ctx, "organization.edit")
		v.Action = "/admin/organizations/" + strconv.FormatInt(id, 10)
		v.Submit = i18n.T(ctx, "common.save")
	}
	v.Shell = s.shell(w, r, v.Title)
	v.Name = f.text("name", "organization.name", true, 200)
	v.Acronym = f.text("acronym", "organization.acronym", true, 30)
	v.Type = f.choice("type", "organization.type", true, orgTypeOptions(ctx))
	v.UNEntity = f.check("un_entity", "organization.un_entity")
	v.UNEntity.Hint = i18n.T(ctx, "organization.un_entity_hint")
	v.Errors = f.summary()
	v.Saved = f.values.Get("updated")
	return v
}

// handleOrganizationNew shows the empty organisation form.
func (s *Server) handleOrganizationNew(w http.ResponseWriter, r *http.Request) error {
	if err := domain.Can(actor(r), domain.ActionManageOrganizations, domain.OnInstance()); err != nil {
		return err
	}
	v := s.organizationFormView(w, r, prefilledForm(r, url.Values{}), 0)
	return s.render(w, r, http.StatusOK, pages.AdminOrganizationForm(v))
}

// handleOrganizationCreate creates an organisation and returns to the list.
func (s *Server) handleOrganizationCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	_, err := s.directory.CreateOrganization(r.Context(), actor(r), organizationInput(r.PostForm))
	if domain.ErrorCode(err) == domain.CodeInvalid {
		v := s.organizationFormView(w, r, newForm(r, err), 0)
		return s.render(w, r, http.StatusUnprocessableEntity, pages.AdminOrganizationForm(v))
	}
	if err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "organization.created")
	http.Redirect(w, r, "/admin/organizations", http.StatusSeeOther)
	return nil
}

// handleOrganizationEdit shows an organisation's form filled in.
func (s *Server) handleOrganizationEdit(w http.ResponseWriter, r *http.Request) error {
	if err := domain.Can(actor(r), domain.ActionManageOrganizations, domain.OnInstance()); err != nil {
		return err // the form is for those who may save it
	}
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	o, err := s.directory.GetOrganization(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	v := s.organizationFormView(w, r, prefilledForm(r, organizationValues(o)), id)
	return s.render(w, r, http.StatusOK, pages.AdminOrganizationForm(v))
}

// handleOrganizationUpdate saves an organisation; the ID comes from the
// path, never from the form.
func (s *Server) handleOrganizationUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	o := organizationInput(r.PostForm)
	o.ID = id
	_, err = s.directory.UpdateOrganization(r.Context(), actor(r), o)
	if de := staleForm(err); de != nil {
		// Saved by someone else since the form was loaded: the form
		// again with what was typed, what differs, and the new save.
		cur, gerr := s.directory.GetOrganization(r.Context(), actor(r), id)
		if gerr != nil {
			return gerr
		}
		f := newForm(r, nil)
		f.values.Set("updated", savedToken(cur.UpdatedAt))
		v := s.organizationFormView(w, r, f, id)
		v.Conflict = conflictView(r.Context(), f, de)
		return s.render(w, r, http.StatusConflict, pages.AdminOrganizationForm(v))
	}
	if domain.ErrorCode(err) == domain.CodeInvalid {
		v := s.organizationFormView(w, r, newForm(r, err), id)
		return s.render(w, r, http.StatusUnprocessableEntity, pages.AdminOrganizationForm(v))
	}
	if err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "organization.saved")
	http.Redirect(w, r, "/admin/organizations", http.StatusSeeOther)
	return nil
}
