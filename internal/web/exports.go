package web

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// exportTimeout bounds one download, longer than pageTimeout.
const exportTimeout = 2 * time.Minute

// handleExportRequests downloads the operation's RFA tracker with the
// browser session (requests.csv, .json or .xlsx; the query as the API's,
// service.ParseExportQuery). A failure found before the first byte shows
// the error page; one after it cuts the connection, so the browser
// reports a failed download instead of saving a truncated file.
func (s *Server) handleExportRequests(w http.ResponseWriter, r *http.Request) error {
	f, o, err := service.ParseExportQuery(r.URL.Query())
	if err != nil {
		return err
	}
	if s.exports == nil {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	code, format := chi.URLParam(r, "code"), chi.URLParam(r, "format")
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(exportTimeout)) // unsupported in tests
	dw := &downloadWriter{w: w, start: func() {
		h := w.Header()
		h.Set("Content-Type", service.ExportContentType(format))
		h.Set("Content-Disposition", `attachment; filename="`+service.ExportFileName(code, format, o, s.now())+`"`)
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	}}
	err = s.exports.Requests(r.Context(), actor(r), code, f, format, dw, o)
	if err != nil && dw.started {
		logger(r.Context()).ErrorContext(r.Context(), "export failed after streaming started", "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// downloadWriter sends the response headers (start) with the first byte.
type downloadWriter struct {
	w       http.ResponseWriter
	start   func()
	started bool
}

func (d *downloadWriter) Write(p []byte) (int, error) {
	if !d.started {
		d.started = true
		d.start()
	}
	return d.w.Write(p)
}
