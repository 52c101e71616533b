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

// The identity providers' administration (admins: they decide who may
// sign in, as they do accounts). The client secret is written, never
// shown back: its input is always empty, and left empty keeps it.

// handleSSOProviderList lists every provider with its redirect URL.
func (s *Server) handleSSOProviderList(w http.ResponseWriter, r *http.Request) error {
	if s.sso == nil {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	ctx := r.Context()
	ps, err := s.sso.ListProviders(ctx, actor(r))
	if err != nil {
		return err
	}
	v := pages.AdminSSOProvidersView{Shell: s.shell(w, r, i18n.T(ctx, "admin.sso"))}
	for _, p := range ps {
		id := strconv.FormatInt(p.ID, 10)
		v.Rows = append(v.Rows, pages.AdminSSOProviderRow{ID: id, Name: p.Name, Slug: p.Slug, Issuer: p.IssuerURL,
			Enabled: p.Enabled, Provisions: p.ProvisionOrgID != 0, Domains: strings.Join(p.TrustedDomains, ", "), RedirectURL: s.ssoRedirectURL(p.Slug), EditURL: "/admin/sso/" + id})
	}
	return s.render(w, r, http.StatusOK, pages.AdminSSOProviders(v))
}

// ssoProviderValues is p as its form shows it (never the secret).
func ssoProviderValues(p domain.SSOProvider) url.Values {
	org := ""
	if p.ProvisionOrgID != 0 {
		org = strconv.FormatInt(p.ProvisionOrgID, 10)
	}
	return url.Values{"name": {p.Name}, "slug": {p.Slug}, "issuer_url": {p.IssuerURL}, "client_id": {p.ClientID},
		"enabled": {boolValue(p.Enabled)}, "provision_org_id": {org}, "trusted_domains": {strings.Join(p.TrustedDomains, ", ")},
		"updated": {savedToken(p.UpdatedAt)}}
}

// ssoProviderInput reads the provider form; an unreadable organisation
// is a field message.
func ssoProviderInput(v url.Values) (domain.SSOProvider, string, error) {
	p := domain.SSOProvider{Name: v.Get("name"), Slug: v.Get("slug"), IssuerURL: v.Get("issuer_url"), ClientID: v.Get("client_id"),
		Enabled: formBool(v, "enabled"), TrustedDomains: domain.ParseTrustedDomains(v.Get("trusted_domains")), UpdatedAt: savedAt(v)}
	fe := map[string]string{}
	if org := v.Get("provision_org_id"); org != "" {
		p.ProvisionOrgID = int64(formInt(v, "provision_org_id", fe))
	}
	return p, v.Get("client_secret"), invalid(fe)
}

// ssoProviderFormView builds the create (id 0) or edit form.
func (s *Server) ssoProviderFormView(w http.ResponseWriter, r *http.Request, f *form, id int64) (pages.AdminSSOProviderFormView, error) {
	ctx := r.Context()
	orgs, err := s.directory.ListOrganizations(ctx, actor(r))
	if err != nil {
		return pages.AdminSSOProviderFormView{}, err
	}
	v := pages.AdminSSOProviderFormView{Title: i18n.T(ctx, "sso.new"), Action: "/admin/sso/new", Submit: i18n.T(ctx, "sso.create")}
	if id != 0 {
		v.Title, v.Action, v.Submit = i18n.T(ctx, "sso.edit"), "/admin/sso/"+strconv.FormatInt(id, 10), i18n.T(ctx, "common.save")
	}
	v.Shell = s.shell(w, r, v.Title)
	v.Name = f.text("name", "sso.name", true, 100)
	v.Name.Hint = i18n.T(ctx, "sso.name_hint")
	v.Slug = f.text("slug", "sso.slug", true, 40)
	// The placeholder is shown as typed, not path-escaped as a real
	// short name would be.
	// The URL between directional isolates (U+2066 … U+2069): in a
	// right-to-left sentence it stays a left-to-right URL.
	v.Slug.Hint = i18n.T(ctx, "sso.slug_hint", "RedirectURL", "\u2066"+s.baseURL+"/login/sso/"+i18n.T(ctx, "sso.slug_placeholder")+"/callback\u2069")
	v.Issuer = f.text("issuer_url", "sso.issuer_url", true, 500)
	v.Issuer.Type = "url"
	v.Issuer.Hint = i18n.T(ctx, "sso.issuer_url_hint")
	v.ClientID = f.text("client_id", "sso.client_id", true, 500)
	v.ClientID.Autocomplete = "off"
	v.Secret = f.field("client_secret", "sso.client_secret", "password", id == 0)
	v.Secret.Autocomplete = "new-password"
	v.Secret.Value = "" // never shown back, even after a refused save
	if id != 0 {
		v.Secret.Hint = i18n.T(ctx, "sso.client_secret_keep")
	}
	v.Domains = f.text("trusted_domains", "sso.trusted_domains", true, 2000)
	v.Domains.Hint = i18n.T(ctx, "sso.trusted_domains_hint")
	v.Domains.Autocomplete = "off"
	v.Enabled = f.check("enabled", "sso.enabled")
	opts := organizationOptions(ctx, orgs)
	opts[0].Label = i18n.T(ctx, "sso.provision_never")
	v.Provision = f.choice("provision_org_id", "sso.provision", false, opts)
	v.Provision.Hint = i18n.T(ctx, "sso.provision_hint")
	v.Errors = f.summary()
	v.Saved = f.values.Get("updated")
	return v, nil
}

// renderSSOProviderForm shows the provider form with status.
func (s *Server) renderSSOProviderForm(w http.ResponseWriter, r *http.Request, status int, f *form, id int64, conflict *domain.Error) error {
	v, err := s.ssoProviderFormView(w, r, f, id)
	if err != nil {
		return err
	}
	if conflict != nil {
		v.Conflict = conflictView(r.Context(), f, conflict)
	}
	return s.render(w, r, status, pages.AdminSSOProviderForm(v))
}

// handleSSOProviderNew shows the empty provider form (enabled, never
// provisioning).
func (s *Server) handleSSOProviderNew(w http.ResponseWriter, r *http.Request) error {
	if err := domain.Can(actor(r), domain.ActionManageUsers, domain.OnInstance()); err != nil || s.sso == nil {
		return cmpErr(err)
	}
	return s.renderSSOProviderForm(w, r, http.StatusOK, prefilledForm(r, url.Values{"enabled": {"true"}}), 0, nil)
}

// handleSSOProviderCreate saves a new provider and returns to the list.
func (s *Server) handleSSOProviderCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := domain.Can(actor(r), domain.ActionManageUsers, domain.OnInstance()); err != nil || s.sso == nil {
		return cmpErr(err)
	}
	p, secret, err := ssoProviderInput(r.PostForm)
	if err == nil {
		_, err = s.sso.CreateProvider(r.Context(), actor(r), p, secret)
	}
	if domain.ErrorCode(err) == domain.CodeInvalid {
		return s.renderSSOProviderForm(w, r, http.StatusUnprocessableEntity, newForm(r, err), 0, nil)
	}
	if err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "sso.created")
	http.Redirect(w, r, "/admin/sso", http.StatusSeeOther)
	return nil
}

// handleSSOProviderEdit shows a provider's form filled in, but for its
// secret.
func (s *Server) handleSSOProviderEdit(w http.ResponseWriter, r *http.Request) error {
	if err := domain.Can(actor(r), domain.ActionManageUsers, domain.OnInstance()); err != nil || s.sso == nil {
		return cmpErr(err)
	}
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	p, err := s.sso.GetProvider(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	return s.renderSSOProviderForm(w, r, http.StatusOK, prefilledForm(r, ssoProviderValues(p)), id, nil)
}

// handleSSOProviderUpdate saves a provider (enabling or disabling it is
// its checkbox); the ID comes from the path.
func (s *Server) handleSSOProviderUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := domain.Can(actor(r), domain.ActionManageUsers, domain.OnInstance()); err != nil || s.sso == nil {
		return cmpErr(err)
	}
	p, secret, err := ssoProviderInput(r.PostForm)
	p.ID = id
	if err == nil {
		_, err = s.sso.UpdateProvider(r.Context(), actor(r), p, secret)
	}
	if de := staleForm(err); de != nil {
		cur, gerr := s.sso.GetProvider(r.Context(), actor(r), id)
		if gerr != nil {
			return gerr
		}
		f := newForm(r, nil)
		f.values.Set("updated", savedToken(cur.UpdatedAt))
		return s.renderSSOProviderForm(w, r, http.StatusConflict, f, id, de)
	}
	if domain.ErrorCode(err) == domain.CodeInvalid {
		return s.renderSSOProviderForm(w, r, http.StatusUnprocessableEntity, newForm(r, err), id, nil)
	}
	if err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "sso.saved")
	http.Redirect(w, r, "/admin/sso", http.StatusSeeOther)
	return nil
}

// cmpErr is err, or not found when single sign-on is not wired (err nil).
func cmpErr(err error) error {
	if err != nil {
		return err
	}
	return domain.Errorf(domain.CodeNotFound, "error.not_found")
}
