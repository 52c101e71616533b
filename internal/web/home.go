package web

import (
	"net/http"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/pages"
)

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) error {
	v := pages.HomeView{Shell: s.shell(w, r, i18n.T(r.Context(), "home.title"))}
	return s.render(w, r, http.StatusOK, pages.Home(v))
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) error {
	return domain.Errorf(domain.CodeNotFound, "error.not_found")
}

func (s *Server) handleMethodNotAllowed(w http.ResponseWriter, r *http.Request) error {
	s.renderErrorPage(w, r, http.StatusMethodNotAllowed, nil)
	return nil
}

// handleCrossOriginDenied answers a state-changing request that came from
// another site (a forged form post): 403, with the usual page.
func (s *Server) handleCrossOriginDenied(w http.ResponseWriter, r *http.Request) error {
	logger(r.Context()).WarnContext(r.Context(), "cross-origin request refused",
		"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
	return domain.Errorf(domain.CodeForbidden, "error.cross_origin")
}
