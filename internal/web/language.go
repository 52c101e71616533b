package web

import (
	"net/http"
	"slices"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/web/components"
)

// autonyms returns each interface language named in itself ("Français"),
// from the English catalogue, which holds the autonyms.
func (s *Server) autonyms() []components.Language {
	out := make([]components.Language, 0, len(domain.Languages))
	en := s.catalog.Localizer("en")
	for _, l := range domain.Languages {
		out = append(out, components.Language{Code: l, Name: en.T("language." + l)})
	}
	return out
}

// handleLanguage is the footer's language switcher: it saves a signed-in
// user's profile language, remembers the choice in a cookie for anyone,
// and goes back to the page it came from (a local path only).
func (s *Server) handleLanguage(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	lang := r.PostForm.Get("language")
	if !slices.Contains(domain.Languages, lang) {
		return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"language": "field.choose"}}
	}
	if a := actor(r); !a.Anonymous() {
		if err := s.access.SetLanguage(r.Context(), a, lang); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: httpface.LanguageCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: s.secureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, safeNext(r.PostForm.Get("return")), http.StatusSeeOther)
	return nil
}
