package web

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func (s *Server) loginView(w http.ResponseWriter, r *http.Request, err error) pages.LoginView {
	f := newForm(r, err)
	email := f.field("email", "login.email", "email", true)
	email.Autocomplete = "username"
	email.Inputmode = "email"
	pw := f.field("password", "login.password", "password", true)
	pw.Autocomplete = "current-password"
	pw.Value = "" // never echo a password back
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostForm.Get("next")
	}
	return pages.LoginView{
		Shell:    s.shell(w, r, i18n.T(r.Context(), "login.title")),
		Email:    email,
		Password: pw,
		Next:     safeNext(next),
		Errors:   f.summary(),
		SSO:      s.ssoButtons(r.Context(), safeNext(next)),
	}
}

func (s *Server) handleLoginShow(w http.ResponseWriter, r *http.Request) error {
	if !actor(r).Anonymous() {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, http.StatusOK, pages.Login(s.loginView(w, r, nil)))
}

// handleLogin signs in. Failures re-show the form with the typed e-mail
// (never the password) and one generic message; throttling answers 429.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	u, err := s.access.SignIn(r.Context(), r.PostForm.Get("email"), r.PostForm.Get("password"), middleware.GetClientIP(r.Context()),
		cookieValue(r, deviceCookie))
	switch domain.ErrorCode(err) {
	case "":
	case domain.CodeInvalid, domain.CodeUnauthorized, domain.CodeRateLimited:
		status := formStatus(w, err)
		return s.render(w, r, status, pages.Login(s.loginView(w, r, err)))
	default:
		return err
	}
	return s.startSession(w, r, u, r.PostForm.Get("next"), service.SignInMethod{Method: "password"})
}

// startSession signs u in on this browser once every check of their
// sign-in has passed (password, or the organisation's identity
// provider, then the second factor when they have one or the rule
// requires one: openSession diverts to that step otherwise), and sends
// them on to next (a local path), to the form they were typing when their
// last session ended, or to the second step.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u domain.User, next string, how service.SignInMethod) error {
	dest, fl, err := s.openSession(w, r, u, next, how)
	if err != nil {
		return err
	}
	if fl != nil { // said on the page it goes to
		s.setFlash(w, fl.kind, fl.id)
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil
}

// recordSession writes this browser's renewed session to the store now
// (rather than when the response starts) and records it as u's, with
// the browser and address, for the profile's list of sessions.
func (s *Server) recordSession(r *http.Request, u domain.User, how service.SignInMethod) error {
	token, _, err := s.sessions.Commit(r.Context())
	if err != nil {
		return err
	}
	_, err = s.access.StartSession(r.Context(), u, token, middleware.GetClientIP(r.Context()), r.UserAgent(), how)
	return err
}

// handleLogout ends the session everywhere it is stored.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.sessions.Destroy(r.Context()); err != nil {
		return err
	}
	// Signed out on purpose: nothing typed here afterwards is theirs.
	if err := s.access.ForgetBrowser(r.Context(), cookieValue(r, markerCookie)); err != nil {
		return err
	}
	s.setCookie(w, markerCookie, "", -1)
	s.setFlash(w, components.FlashInfo, "logout.done")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
