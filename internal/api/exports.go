package api

import (
	"net/http"
	"time"

	"github.com/cmcoord/cmcoord/internal/httpface"
)

// handleExportRequests streams the operation's RFA tracker as
// requests.csv, requests.json or requests.xlsx (httpface.Export, the
// download both faces serve). Every failure the service can foresee (401,
// 404, 403, 400, 422) is answered as the JSON error envelope.
func (a *API) handleExportRequests(w http.ResponseWriter, r *http.Request) error {
	return httpface.Export(w, r, a.exports, actor(r), time.Now(), a.log)
}
