package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// linkErr turns "no such link" into a 404 that says what happened: the
// link was used, has expired or was replaced by a newer one.
func linkErr(err error) error {
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return domain.Errorf(domain.CodeNotFound, "password_link.invalid")
	}
	return err
}

// renderSetPassword renders the set-password form for the link's user u,
// in u's profile language unless the visitor chose another with the
// language switcher (or is signed in, when their own applies).
func (s *Server) renderSetPassword(w http.ResponseWriter, r *http.Request, status int, u domain.User, err error) error {
	if httpface.CookieLanguage(r) == "" && actor(r).Anonymous() && s.catalog != nil {
		r = r.WithContext(i18n.WithLocalizer(r.Context(), s.catalog.Localizer(u.Language, r.Header.Get("Accept-Language"))))
	}
	ctx := r.Context()
	f := newForm(r, err)
	pw := f.field("password", "set_password.password", "password", true)
	pw.Autocomplete = "new-password"
	pw.Hint = i18n.T(ctx, "password.hint")
	pw.Value = "" // never echo a password back
	confirm := f.field("password_confirm", "set_password.confirm", "password", true)
	confirm.Autocomplete = "new-password"
	confirm.Value = ""
	v := pages.SetPasswordView{
		Shell:    s.shell(w, r, i18n.T(ctx, "set_password.title")),
		Name:     u.Name,
		Email:    u.Email,
		Action:   "/set-password/" + chi.URLParam(r, "secret"),
		Password: pw,
		Confirm:  confirm,
		Errors:   f.summary(),
	}
	return s.render(w, r, status, pages.SetPassword(v))
}

// handleSetPasswordShow opens a one-time set-password link: the form, or
// a 404 saying the link no longer works.
func (s *Server) handleSetPasswordShow(w http.ResponseWriter, r *http.Request) error {
	u, err := s.access.PasswordLinkUser(r.Context(), chi.URLParam(r, "secret"), middleware.GetClientIP(r.Context()))
	if err != nil {
		return linkErr(err)
	}
	return s.renderSetPassword(w, r, http.StatusOK, u, nil)
}

// handleSetPassword sets the password and uses up the link, then sends
// the user to sign in with it (signing in proves they can).
func (s *Server) handleSetPassword(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	secret := chi.URLParam(r, "secret")
	pw, confirm := r.PostForm.Get("password"), r.PostForm.Get("password_confirm")
	var err error
	if pw != confirm {
		err = joinInvalid(domain.ValidatePassword("password", pw), errPasswordMismatch("password_confirm"))
	} else {
		_, err = s.access.SetPasswordWithLink(r.Context(), secret, pw, middleware.GetClientIP(r.Context()))
	}
	if domain.ErrorCode(err) == domain.CodeInvalid {
		// The link was not used up; show its form again (or the 404 if
		// it stopped working meanwhile).
		u, lerr := s.access.PasswordLinkUser(r.Context(), secret, middleware.GetClientIP(r.Context()))
		if lerr != nil {
			return linkErr(lerr)
		}
		return s.renderSetPassword(w, r, http.StatusUnprocessableEntity, u, err)
	}
	if err != nil {
		return linkErr(err)
	}
	s.setFlash(w, components.FlashSuccess, "set_password.done")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
