package web

import (
	"net/http"

	"github.com/cmcoord/cmcoord/internal/httpface"
)

// handleExportRequests downloads the operation's RFA tracker with the
// browser session: the API's download (httpface.Export), whose failures
// before the first byte show the error page.
func (s *Server) handleExportRequests(w http.ResponseWriter, r *http.Request) error {
	return httpface.Export(w, r, s.exports, actor(r), s.now(), logger(r.Context()))
}
