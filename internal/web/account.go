package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// errPasswordMismatch is the message when a new password and its
// confirmation differ: a property of the form, checked here, not a rule
// of the domain.
func errPasswordMismatch(field string) error {
	return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{field: "password.mismatch"}}
}

// renderProfile renders the profile page. err holds the messages of the
// form just sent (its values are kept, passwords excepted); newToken is a
// token created by this very request, shown once.
func (s *Server) renderProfile(w http.ResponseWriter, r *http.Request, status int, err error, newToken *pages.NewToken) error {
	a := actor(r)
	ctx := r.Context()
	// Any signed-in user may list organisations; GetOrganization is for
	// admins, so the user's own one is picked from the list.
	orgs, lerr := s.directory.ListOrganizations(ctx, a)
	if lerr != nil {
		return lerr
	}
	tokens, lerr := s.access.ListTokens(ctx, a)
	if lerr != nil {
		return lerr
	}
	f := newForm(r, err)
	values := url.Values{"language": {a.Language}, "token_scope": {string(domain.TokenRead)}, "token_expires": {"90"}}
	if r.Method == http.MethodPost && newToken == nil {
		values = r.PostForm // what was typed in the form that failed
		for k, v := range map[string]string{"language": a.Language, "token_scope": string(domain.TokenRead), "token_expires": "90"} {
			if values.Get(k) == "" {
				values.Set(k, v)
			}
		}
	}
	f.values = values
	v := pages.ProfileView{
		Shell:    s.shell(w, r, i18n.T(ctx, "profile.title")),
		Name:     a.Name,
		Email:    a.Email,
		IsAdmin:  a.IsAdmin,
		NewToken: newToken,
		// From the user's row as this request loaded it: a set-password
		// link used meanwhile shows the forms at the next page.
		HasPassword: a.HasPassword,
	}
	for _, o := range orgs {
		if o.ID == a.OrganizationID {
			v.Organization = o.Name + " (" + o.Acronym + ")"
		}
	}
	for _, op := range a.Operations {
		m := pages.ProfileMembership{Code: op.Code, Name: op.Name, URL: "/operations/" + op.Code}
		for _, role := range a.RolesIn(op.ID) {
			m.Roles = append(m.Roles, i18n.T(ctx, "role."+string(role)))
		}
		v.Memberships = append(v.Memberships, m)
	}
	v.Language = f.choice("language", "profile.language", true, languageOptions(ctx))
	v.CurrentPassword = passwordField(f, "current_password", "profile.current_password", "current-password")
	v.NewPassword = passwordField(f, "new_password", "profile.new_password", "new-password")
	v.NewPassword.Hint = i18n.T(ctx, "password.hint")
	v.ConfirmPassword = passwordField(f, "password_confirm", "profile.confirm_password", "new-password")
	v.TokenName = f.text("token_name", "token.name", false, 100)
	v.TokenName.Hint = i18n.T(ctx, "token.name_hint")
	v.TokenName.Autocomplete = "off"
	var scopes []components.Option
	for _, sc := range domain.TokenScopes {
		scopes = append(scopes, components.Option{Value: string(sc), Label: i18n.T(ctx, scopeKey(sc))})
	}
	v.TokenScope = f.choice("token_scope", "credentials.scope", true, scopes)
	v.TokenScope.Hint = i18n.T(ctx, "credentials.scope_hint")
	var lifetimes []components.Option
	for _, days := range domain.TokenLifetimes {
		o := components.Option{Value: strconv.Itoa(days), Label: components.N(ctx, "credentials.expires_days", days)}
		if days == 0 {
			o = components.Option{Value: "never", Label: i18n.T(ctx, "credentials.expires_never")}
		}
		lifetimes = append(lifetimes, o)
	}
	v.TokenExpires = f.choice("token_expires", "credentials.expires", true, lifetimes)
	v.TokenPassword = passwordField(f, "token_password", "credentials.token_password", "current-password")
	v.TokenPassword.Hint = i18n.T(ctx, "credentials.token_password_hint")
	kept := map[string]bool{}
	if r.Method == http.MethodPost {
		for _, id := range r.PostForm["keep_token"] {
			kept[id] = true
		}
	}
	now := s.now()
	for _, t := range tokens {
		id := strconv.FormatInt(t.ID, 10)
		if t.Live(now) {
			v.KeepTokens = append(v.KeepTokens, pages.KeepToken{ID: id, Label: t.Name + " (" + t.Prefix + "…)", Checked: kept[id]})
		}
		row := pages.TokenRow{ID: id, Name: t.Name, Prefix: t.Prefix, Created: displayTime(ctx, t.CreatedAt),
			Scope: i18n.T(ctx, scopeKey(t.Scope)), Expires: i18n.T(ctx, "credentials.expires_never")}
		if t.ExpiresAt != nil {
			row.Expires = displayTime(ctx, *t.ExpiresAt)
			row.Expired = !now.Before(*t.ExpiresAt)
		}
		if t.LastUsedAt != nil {
			row.LastUsed = displayTime(ctx, *t.LastUsedAt)
		}
		if t.RevokedAt != nil {
			row.Revoked = displayTime(ctx, *t.RevokedAt)
		} else {
			row.RevokeURL = "/profile/tokens/" + id + "/revoke"
		}
		v.Tokens = append(v.Tokens, row)
	}
	if v.Sessions, lerr = s.sessionsView(r); lerr != nil {
		return lerr
	}
	if v.Factor, lerr = s.factorPanel(r, f); lerr != nil {
		return lerr
	}
	v.Errors = f.summary()
	return s.render(w, r, status, pages.Profile(v))
}

// passwordField is a password input that never shows a value back.
func passwordField(f *form, id, labelKey, autocomplete string) components.Field {
	fl := f.field(id, labelKey, "password", true)
	fl.Autocomplete = autocomplete
	fl.Value = ""
	return fl
}

// handleProfileShow shows the signed-in user's profile.
func (s *Server) handleProfileShow(w http.ResponseWriter, r *http.Request) error {
	return s.renderProfile(w, r, http.StatusOK, nil, nil)
}

// handleLanguageUpdate saves the interface language; the next page is in
// it, flash included.
func (s *Server) handleLanguageUpdate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	err := s.access.SetLanguage(r.Context(), actor(r), r.PostForm.Get("language"))
	if domain.ErrorCode(err) == domain.CodeInvalid {
		return s.renderProfile(w, r, http.StatusUnprocessableEntity, err, nil)
	}
	if err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "profile.language_saved")
	http.Redirect(w, r, "/profile", http.StatusSeeOther)
	return nil
}

// handlePasswordChange replaces the user's password. Every other session
// of the user ends (the service moves the session epoch); this one is
// renewed into the new epoch so the user stays signed in here.
func (s *Server) handlePasswordChange(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	next, confirm := r.PostForm.Get("new_password"), r.PostForm.Get("password_confirm")
	var u domain.User
	var err error
	if next != confirm {
		err = joinInvalid(domain.ValidatePassword("new_password", next), errPasswordMismatch("password_confirm"))
	} else {
		var keep []int64
		for _, v := range r.PostForm["keep_token"] {
			if id, perr := strconv.ParseInt(v, 10, 64); perr == nil {
				keep = append(keep, id)
			}
		}
		u, err = s.access.ChangePassword(r.Context(), actor(r), r.PostForm.Get("current_password"), next, keep)
	}
	if code := domain.ErrorCode(err); code == domain.CodeInvalid || code == domain.CodeRateLimited {
		return s.renderProfile(w, r, formStatus(w, err), err, nil)
	}
	if err != nil {
		return err
	}
	// A new session token as well as the new epoch: the password changed,
	// so nothing issued before it should keep working.
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), httpface.SessionEpoch, u.SessionEpoch)
	if err := s.recordSession(r, u, service.SignInMethod{}); err != nil { // renewed, not a sign-in
		return err
	}
	logger(r.Context()).InfoContext(r.Context(), "password changed", "user_id", u.ID)
	s.setFlash(w, components.FlashSuccess, "profile.password_changed")
	http.Redirect(w, r, "/profile", http.StatusSeeOther)
	return nil
}

// handleTokenCreate issues an API token and shows its secret on this
// response only (201): it is never stored, redirected with or flashed.
func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request) error {
	service.WithholdAnswer(r.Context()) // the answer holds a secret: never kept for replay
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := service.TokenRequest{CurrentPassword: r.PostForm.Get("token_password"), NewToken: domain.NewToken{
		Name: r.PostForm.Get("token_name"), Scope: domain.TokenScope(r.PostForm.Get("token_scope"))}}
	switch days := r.PostForm.Get("token_expires"); days {
	case "never":
	default:
		n, perr := strconv.Atoi(days)
		if perr != nil || !slices.Contains(domain.TokenLifetimes, n) || n == 0 {
			// Not one of the offered expiries: said with the rest of the
			// form's problems (the rule's, without creating anything).
			err := joinInvalid(&domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"token_expires": "field.choose"}},
				domain.CheckNewToken(actor(r), in.NewToken, s.now()))
			for from, to := range map[string]string{"name": "token_name", "scope": "token_scope"} {
				err = renameField(err, from, to)
			}
			return s.renderProfile(w, r, http.StatusUnprocessableEntity, err, nil)
		}
		at := s.now().Add(time.Duration(n) * 24 * time.Hour)
		in.ExpiresAt = &at
	}
	secret, t, err := s.access.CreateToken(r.Context(), actor(r), in)
	if code := domain.ErrorCode(err); code == domain.CodeInvalid || code == domain.CodeRateLimited {
		for from, to := range map[string]string{"name": "token_name", "scope": "token_scope", "expires_at": "token_expires", "current_password": "token_password"} {
			err = renameField(err, from, to)
		}
		return s.renderProfile(w, r, formStatus(w, err), err, nil)
	}
	if err != nil {
		return err
	}
	logger(r.Context()).InfoContext(r.Context(), "api token created", "token_id", t.ID)
	return s.renderProfile(w, r, http.StatusCreated, nil, &pages.NewToken{Name: t.Name, Secret: secret})
}

// handleTokenRevoke revokes one of the user's own tokens; anyone else's
// is 404.
func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	if err := s.access.RevokeToken(r.Context(), actor(r), id); err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "token.revoked_flash")
	http.Redirect(w, r, "/profile", http.StatusSeeOther)
	return nil
}

// scopeKey is the message naming token scope sc.
func scopeKey(sc domain.TokenScope) string { return "credentials.scope_" + string(sc) }
