package api

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"

	"github.com/cmcoord/cmcoord/internal/service"
)

// exportTimeout bounds one export, longer than requestTimeout: a large
// export streams for a while.
const exportTimeout = 2 * time.Minute

// handleExportRequests streams the operation's RFA tracker as
// requests.csv, requests.json or requests.xlsx (query: service.
// ParseExportQuery). Every failure the service can foresee (401, 404,
// 403, 400, 422) is answered as the JSON error envelope, because the
// response headers are sent only with the first byte of the file; a
// failure after that cuts the connection, so a client never takes a
// truncated file for a whole one.
func (a *API) handleExportRequests(w http.ResponseWriter, r *http.Request) error {
	f, o, err := service.ParseExportQuery(r.URL.Query())
	if err != nil {
		return err
	}
	if a.exports == nil {
		return domain.Errorf(domain.CodeNotFound, "error.not_found") // not wired: as if the route did not exist
	}
	code, format := chi.URLParam(r, "code"), chi.URLParam(r, "format")
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(exportTimeout)) // unsupported in tests
	lw := &lazyWriter{w: w, start: func() {
		h := w.Header()
		h.Set("Content-Type", service.ExportContentType(format))
		h.Set("Content-Disposition", `attachment; filename="`+service.ExportFileName(code, format, o, time.Now())+`"`)
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	}}
	err = a.exports.Requests(r.Context(), actor(r), code, f, format, lw, o)
	if err != nil && lw.started {
		a.log.ErrorContext(r.Context(), "export failed after streaming started", "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// lazyWriter sends the response headers (start) with the first byte.
type lazyWriter struct {
	w       http.ResponseWriter
	start   func()
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.start()
	}
	return l.w.Write(p)
}
