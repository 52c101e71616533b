package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// handleUserList lists every user with their organisation and state.
func (s *Server) handleUserList(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	users, err := s.directory.ListUsers(r.Context(), a)
	if err != nil {
		return err
	}
	// The organisation names; ListUsers has already refused non-admins.
	orgs, err := s.directory.ListOrganizations(r.Context(), a)
	if err != nil {
		return err
	}
	names := make(map[int64]string, len(orgs))
	for _, o := range orgs {
		names[o.ID] = o.Name
	}
	v := pages.AdminUsersView{Shell: s.shell(w, r, i18n.T(r.Context(), "admin.users"))}
	for _, u := range users {
		id := strconv.FormatInt(u.ID, 10)
		v.Rows = append(v.Rows, pages.AdminUserRow{ID: id, Name: u.Name, Email: u.Email, Organization: names[u.OrganizationID],
			IsAdmin: u.IsAdmin, Disabled: u.Disabled, HasPassword: u.HasPassword, EditURL: "/admin/users/" + id})
	}
	return s.render(w, r, http.StatusOK, pages.AdminUsers(v))
}

// userValues is u as the form shows it.
func userValues(u domain.User) url.Values {
	org := ""
	if u.OrganizationID != 0 {
		org = strconv.FormatInt(u.OrganizationID, 10)
	}
	return url.Values{"email": {u.Email}, "name": {u.Name}, "organization_id": {org}, "language": {u.Language},
		"is_admin": {boolValue(u.IsAdmin)}, "disabled": {boolValue(u.Disabled)}, "updated": {savedToken(u.UpdatedAt)}}
}

// userInput reads the user form. An organisation that is not a number is
// 0, which the service reports as "choose one of the options".
func userInput(v url.Values) domain.User {
	org, _ := strconv.ParseInt(strings.TrimSpace(v.Get("organization_id")), 10, 64)
	return domain.User{Email: v.Get("email"), Name: v.Get("name"), OrganizationID: org,
		Language: strings.TrimSpace(v.Get("language")), IsAdmin: formBool(v, "is_admin"), Disabled: formBool(v, "disabled"),
		UpdatedAt: savedAt(v)}
}

// userFormView builds the create form (u.ID 0) or the edit form of u.
func (s *Server) userFormView(w http.ResponseWriter, r *http.Request, f *form, u domain.User, orgs []domain.Organization) pages.AdminUserFormView {
	ctx := r.Context()
	v := pages.AdminUserFormView{
		Title:        i18n.T(ctx, "user.new"),
		Action:       "/admin/users/new",
		Submit:       i18n.T(ctx, "user.create"),
		ShowPassword: u.ID == 0,
	}
	if u.ID != 0 {
		id := strconv.FormatInt(u.ID, 10)
		v.Title = i18n.T(ctx, "user.edit_named", "Name", u.Name)
		v.Action = "/admin/users/" + id
		v.Submit = i18n.T(ctx, "common.save")
		v.Editing = true
		v.HasPassword = u.HasPassword
		v.PasswordLinkURL = "/admin/users/" + id + "/password-link"
		v.SignOutURL = "/admin/users/" + id + "/sign-out"
	}
	v.Shell = s.shell(w, r, v.Title)
	v.Email = f.field("email", "user.email", "email", true)
	v.Email.Autocomplete = "off"
	v.Email.Inputmode = "email"
	v.Email.Maxlength = 254
	v.Name = f.text("name", "user.name", true, 200)
	v.Name.Autocomplete = "off"
	v.Organization = f.choice("organization_id", "user.organization", true, organizationOptions(ctx, orgs))
	v.Language = f.choice("language", "user.language", true, languageOptions(ctx))
	v.IsAdmin = f.check("is_admin", "user.is_admin")
	v.IsAdmin.Hint = i18n.T(ctx, "user.is_admin_hint")
	if v.ShowPassword {
		v.Password = f.field("password", "user.initial_password", "password", false)
		v.Password.Autocomplete = "new-password"
		v.Password.Hint = components.N(ctx, "user.initial_password_hint", int(service.PasswordLinkLifetime.Hours()))
		v.Password.Value = "" // never echo a password back
	}
	if v.Editing {
		v.Disabled = f.check("disabled", "user.disabled_field")
		v.Disabled.Hint = i18n.T(ctx, "user.disabled_hint")
	}
	v.Errors = f.summary()
	v.Saved = f.values.Get("updated")
	return v
}

// handleUserNew shows the empty user form.
func (s *Server) handleUserNew(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	if err := domain.Can(a, domain.ActionManageUsers, domain.OnInstance()); err != nil {
		return err
	}
	orgs, err := s.directory.ListOrganizations(r.Context(), a)
	if err != nil {
		return err
	}
	f := prefilledForm(r, url.Values{"language": {"en"}})
	return s.render(w, r, http.StatusOK, pages.AdminUserForm(s.userFormView(w, r, f, domain.User{}, orgs)))
}

// handleUserCreate creates a user. With an initial password it returns to
// the list; without one it shows the one-time set-password link, once
// (201, never in a redirect or a cookie).
func (s *Server) handleUserCreate(w http.ResponseWriter, r *http.Request) error {
	service.WithholdAnswer(r.Context()) // the answer holds a secret: never kept for replay
	if err := parseForm(w, r); err != nil {
		return err
	}
	a := actor(r)
	u, secret, err := s.directory.CreateUser(r.Context(), a, service.NewUser{User: userInput(r.PostForm), Password: r.PostForm.Get("password")})
	if domain.ErrorCode(err) == domain.CodeInvalid {
		orgs, lerr := s.directory.ListOrganizations(r.Context(), a)
		if lerr != nil {
			return lerr
		}
		v := s.userFormView(w, r, newForm(r, err), domain.User{}, orgs)
		return s.render(w, r, http.StatusUnprocessableEntity, pages.AdminUserForm(v))
	}
	if err != nil {
		return err
	}
	if secret == "" {
		s.setFlash(w, components.FlashSuccess, "user.created")
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
		return nil
	}
	return s.renderPasswordLink(w, r, "user.created_title", u, secret)
}

// renderPasswordLink shows the set-password link of u to the admin.
func (s *Server) renderPasswordLink(w http.ResponseWriter, r *http.Request, titleKey string, u domain.User, secret string) error {
	title := i18n.T(r.Context(), titleKey, "Name", u.Name)
	v := pages.AdminPasswordLinkView{
		Shell:         s.shell(w, r, title),
		Title:         title,
		Name:          u.Name,
		Email:         u.Email,
		Link:          s.linkBase(r) + "/set-password/" + secret,
		LifetimeHours: int(service.PasswordLinkLifetime.Hours()),
		EditURL:       "/admin/users/" + strconv.FormatInt(u.ID, 10),
	}
	return s.render(w, r, http.StatusCreated, pages.AdminPasswordLink(v))
}

// handleUserEdit shows a user's form filled in.
func (s *Server) handleUserEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	a := actor(r)
	u, err := s.directory.GetUser(r.Context(), a, id)
	if err != nil {
		return err
	}
	orgs, err := s.directory.ListOrganizations(r.Context(), a)
	if err != nil {
		return err
	}
	v := s.userFormView(w, r, prefilledForm(r, userValues(u)), u, orgs)
	factor, err := s.userFactor(r, u.ID)
	if err != nil {
		return err
	}
	v.Factor = &factor
	return s.render(w, r, http.StatusOK, pages.AdminUserForm(v))
}

// handleUserUpdate saves an admin's edit of a user. Disabling ends the
// user's sessions and revokes their API tokens (the service does both);
// the flash says so.
func (s *Server) handleUserUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	a := actor(r)
	in := userInput(r.PostForm)
	in.ID = id
	out, err := s.directory.UpdateUser(r.Context(), a, in)
	if de := staleForm(err); de != nil {
		// Saved by someone else since the form was loaded: the form
		// again with what was typed, what differs, and the new save.
		cur, gerr := s.directory.GetUser(r.Context(), a, id)
		if gerr != nil {
			return gerr
		}
		orgs, lerr := s.directory.ListOrganizations(r.Context(), a)
		if lerr != nil {
			return lerr
		}
		f := newForm(r, nil)
		f.values.Set("updated", savedToken(cur.UpdatedAt))
		v := s.userFormView(w, r, f, cur, orgs)
		v.Conflict = conflictView(r.Context(), f, de)
		return s.render(w, r, http.StatusConflict, pages.AdminUserForm(v))
	}
	if domain.ErrorCode(err) == domain.CodeInvalid {
		// The form needs what is stored (the password state) beside what
		// was typed.
		cur, gerr := s.directory.GetUser(r.Context(), a, id)
		if gerr != nil {
			return gerr
		}
		orgs, lerr := s.directory.ListOrganizations(r.Context(), a)
		if lerr != nil {
			return lerr
		}
		v := s.userFormView(w, r, newForm(r, err), cur, orgs)
		return s.render(w, r, http.StatusUnprocessableEntity, pages.AdminUserForm(v))
	}
	if err != nil {
		return err
	}
	msg := "user.saved"
	if out.Disabled {
		msg = "user.saved_disabled"
	}
	s.setFlash(w, components.FlashSuccess, msg)
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	return nil
}

// handleUserPasswordLink issues a new one-time set-password link for a
// user (earlier unused links stop working) and shows it once.
func (s *Server) handleUserPasswordLink(w http.ResponseWriter, r *http.Request) error {
	service.WithholdAnswer(r.Context()) // the answer holds a secret: never kept for replay
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	a := actor(r)
	secret, err := s.directory.IssuePasswordLink(r.Context(), a, id)
	if err != nil {
		return err
	}
	u, err := s.directory.GetUser(r.Context(), a, id)
	if err != nil {
		return err
	}
	return s.renderPasswordLink(w, r, "user.link_issued_title", u, secret)
}

// handleUserSignOut is an administrator's "sign out everywhere": every
// session of the user ends and every API token of theirs is revoked (the
// service does both, in one transaction, and logs it).
func (s *Server) handleUserSignOut(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	if err := s.directory.EndSessions(r.Context(), actor(r), id); err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "credentials.signed_out_flash")
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}
