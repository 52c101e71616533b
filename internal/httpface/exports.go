package httpface

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// ExportTimeout bounds one download, longer than a page or an API call:
// a large export streams for a while.
const ExportTimeout = 2 * time.Minute

// Export is the one download handler of the RFA tracker, mounted by both
// faces at /operations/{code}/exports/requests.{format} (query:
// ParseExportQuery). It streams the file for by, who authenticated with
// the face's own means. Every failure found before the first byte is
// returned, for the face to answer in its own way (the HTML error page,
// the JSON envelope): the response headers are sent only with the first
// byte of the file. A failure after that is logged and cuts the
// connection, so a client never takes a truncated file for a whole one.
// A nil exports answers 404, as if the route did not exist.
func Export(w http.ResponseWriter, r *http.Request, exports *service.Exports, by domain.Actor, now time.Time, log *slog.Logger) error {
	f, o, err := ParseExportQuery(r.URL.Query())
	if err != nil {
		return err
	}
	if exports == nil {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	code, format := chi.URLParam(r, "code"), chi.URLParam(r, "format")
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(ExportTimeout)) // unsupported in tests
	dw := &downloadWriter{w: w, start: func() {
		h := w.Header()
		h.Set("Content-Type", service.ExportContentType(format))
		h.Set("Content-Disposition", `attachment; filename="`+service.ExportFileName(code, format, o, now)+`"`)
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	}}
	err = exports.Requests(r.Context(), by, code, f, format, dw, o)
	if err != nil && dw.started {
		log.ErrorContext(r.Context(), "export failed after streaming started", "err", err)
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

// exportParams are the query parameters of the export routes, and
// whether each may repeat.
var exportParams = map[string]bool{"status": true, "sector": false, "priority": false, "date_field": false,
	"from": false, "to": false, "hxl": false, "public": false, "labels": true}

// ParseExportQuery reads an export route's query into the service's
// typed filter and options:
// status (repeatable, or comma-separated), sector, priority, date_field
// (created or submitted), from and to (YYYY-MM-DD, inclusive), hxl=1 and
// public=1, labels (languages, repeatable or comma-separated). An unknown or repeated parameter is CodeMalformed (400), so a
// misspelt filter never silently widens the export; an unreadable value
// is CodeInvalid naming the parameter. Code lists are checked by
// service.Exports.Requests.
func ParseExportQuery(q url.Values) (service.ExportFilter, service.ExportOptions, error) {
	var (
		f      service.ExportFilter
		o      service.ExportOptions
		fields = map[string]string{}
	)
	for name, vals := range q {
		repeats, known := exportParams[name]
		switch {
		case !known:
			fields[name] = "field.invalid"
		case len(vals) > 1 && !repeats:
			fields[name] = "field.invalid"
		}
	}
	if len(fields) > 0 {
		return f, o, &domain.Error{Code: domain.CodeMalformed, Message: "error.malformed", Fields: fields}
	}
	for _, v := range q["status"] {
		for st := range strings.SplitSeq(v, ",") {
			if st = strings.TrimSpace(st); st != "" {
				f.Statuses = append(f.Statuses, domain.Status(st))
			}
		}
	}
	for _, v := range q["labels"] {
		for l := range strings.SplitSeq(v, ",") {
			if l = strings.TrimSpace(l); l != "" {
				o.Labels = append(o.Labels, l)
			}
		}
	}
	f.Sector = q.Get("sector")
	f.Priority = domain.Priority(q.Get("priority"))
	f.DateField = q.Get("date_field")
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.DateOnly, v)
			if err != nil {
				fields[p.name] = "field.date"
			}
			*p.t = t
		}
	}
	for _, p := range []struct {
		name string
		b    *bool
	}{{"hxl", &o.HXLKeys}, {"public", &o.Public}} {
		switch q.Get(p.name) {
		case "", "0", "false":
		case "1", "true":
			*p.b = true
		default:
			fields[p.name] = "field.invalid"
		}
	}
	if len(fields) > 0 {
		return f, o, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: fields}
	}
	return f, o, nil
}
