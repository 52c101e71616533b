package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/pages"
)

// ssoPendingKey holds, in the browser's server-side session, the sign-in
// started at a provider (service.SSOPending: state, nonce, PKCE verifier,
// where to go next) until the provider sends the browser back.
const ssoPendingKey = "sso_pending"

// ssoRedirectURL is the redirect URL to register at provider slug: under
// the configured base URL, never the request's Host header.
func (s *Server) ssoRedirectURL(slug string) string {
	return s.baseURL + "/login/sso/" + url.PathEscape(slug) + "/callback"
}

// ssoButtons are the sign-in page's "Sign in with …" links, one per
// enabled provider, carrying next. A failure to list them leaves the
// password form.
func (s *Server) ssoButtons(ctx context.Context, next string) []pages.SSOButton {
	if s.sso == nil {
		return nil
	}
	ps, err := s.sso.EnabledProviders(ctx)
	if err != nil {
		level := slog.LevelError
		if domain.ErrorCode(err) == domain.CodeUnavailable { // the page degrades; the outage is logged elsewhere
			level = slog.LevelWarn
		}
		logger(ctx).Log(ctx, level, "list sso providers", "error", err)
		return nil
	}
	out := make([]pages.SSOButton, 0, len(ps))
	for _, p := range ps {
		out = append(out, pages.SSOButton{Slug: p.Slug, URL: "/login/sso/" + url.PathEscape(p.Slug) + "?next=" + url.QueryEscape(next),
			Label: i18n.T(ctx, "sso.sign_in_with", "Name", p.Name)})
	}
	return out
}

// handleSSOBegin starts a sign-in at provider {slug}: a plain link (no
// script needed; a form could not be used, as the page's CSP lets forms
// post and redirect only to cmcoord) that keeps the flow's secrets in the
// session and sends the browser to the provider. Starting a flow changes
// nothing but this browser's pending sign-in: a sign-in needs the
// person's own credentials at the provider and this session's state.
func (s *Server) handleSSOBegin(w http.ResponseWriter, r *http.Request) error {
	if s.sso == nil {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	slug := chi.URLParam(r, "slug")
	authURL, pend, err := s.sso.Begin(r.Context(), slug, s.ssoRedirectURL(slug), safeNext(r.URL.Query().Get("next")))
	if domain.SSORefusalReason(err) != "" {
		return s.ssoRefused(w, r, err)
	}
	if err != nil {
		return err
	}
	b, err := json.Marshal(pend)
	if err != nil {
		return err
	}
	s.sessions.Put(r.Context(), ssoPendingKey, string(b))
	http.Redirect(w, r, authURL, http.StatusSeeOther)
	return nil
}

// handleSSOCallback is where provider {slug} sends the browser back. The
// pending sign-in is taken from the session (once: a replayed callback
// finds none) and the service decides; a refusal is the sign-in page
// with why, anything else a session (startSession, which every sign-in
// goes through).
func (s *Server) handleSSOCallback(w http.ResponseWriter, r *http.Request) error {
	if s.sso == nil {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	slug := chi.URLParam(r, "slug")
	var pend service.SSOPending
	if raw := s.sessions.PopString(r.Context(), ssoPendingKey); raw != "" {
		_ = json.Unmarshal([]byte(raw), &pend) // unreadable: no pending sign-in, refused below
	}
	q := r.URL.Query()
	u, err := s.sso.Complete(r.Context(), slug, s.ssoRedirectURL(slug), pend,
		service.SSOCallback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error")},
		middleware.GetClientIP(r.Context()))
	if domain.SSORefusalReason(err) != "" {
		return s.ssoRefused(w, r, err)
	}
	if err != nil {
		return err
	}
	return s.startSession(w, r, u, pend.Next, service.SignInMethod{Method: "sso", Provider: slug})
}

// ssoRefused shows the sign-in page with the refusal's message.
func (s *Server) ssoRefused(w http.ResponseWriter, r *http.Request, err error) error {
	status, _ := httpface.Status(domain.ErrorCode(err))
	v := s.loginView(w, r, err)
	return s.render(w, r, status, pages.Login(v))
}
