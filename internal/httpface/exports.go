package httpface

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// DefaultExportStall is how long a download may go without progress
// (ExportStall).
const DefaultExportStall = time.Minute

// exportStall holds ExportStall, in nanoseconds.
var exportStall atomic.Int64

func init() { exportStall.Store(int64(DefaultExportStall)) }

// ExportStall bounds a download by progress, not by wall time: its first
// byte must come, and every write must complete, within it. A download
// that keeps flowing runs as long as it flows — at 256 kbit/s a 4 MB file
// takes more than two minutes — while one whose client stopped reading,
// or whose query stopped producing, ends after ExportStall.
func ExportStall() time.Duration { return time.Duration(exportStall.Load()) }

// SetExportStall sets ExportStall until restore is called (tests).
func SetExportStall(d time.Duration) (restore func()) {
	old := exportStall.Swap(int64(d))
	return func() { exportStall.Store(old) }
}

// errStalled is the cause of a download's context ending for want of
// progress.
// progress; it is a deadline, not the client going away (TimedOut).
var errStalled = fmt.Errorf("download made no progress in time: %w", context.DeadlineExceeded)

// progress ends a download's context, and bounds its writes, when it
// makes no progress for stall.
type progress struct {
	rc     *http.ResponseController
	stall  time.Duration
	timer  *time.Timer
	cancel context.CancelCauseFunc
}

// watchProgress returns ctx, ended with errStalled when the first byte has
// not come within first, or later after stall without progress, and the
// progress to report on; stop it when done.
func watchProgress(ctx context.Context, w http.ResponseWriter, first, stall time.Duration) (context.Context, *progress) {
	ctx, cancel := context.WithCancelCause(ctx)
	p := &progress{rc: http.NewResponseController(w), stall: stall, cancel: cancel}
	p.timer = time.AfterFunc(first, func() { cancel(errStalled) })
	// Room to write the answer to a download that never started.
	_ = p.rc.SetWriteDeadline(time.Now().Add(first + stall)) // unsupported by test recorders
	return ctx, p
}

// progressKey holds a download's progress in its context (bound).
type progressKey struct{}

func withProgress(ctx context.Context, p *progress) context.Context {
	return context.WithValue(ctx, progressKey{}, p)
}

// TimedOut reports whether r's time ran out — its deadline, or a
// download's want of progress — rather than its client going away, once
// its context has ended: the faces answer 504.
func TimedOut(r *http.Request) bool {
	ctx := r.Context()
	return ctx.Err() != nil && errors.Is(context.Cause(ctx), context.DeadlineExceeded)
}

// IsDownload reports whether r asks for a download of the RFA tracker or
// of a document, which may stream for longer than any page: bounded by
// progress.
func IsDownload(r *http.Request) bool {
	return r.Method == http.MethodGet && (strings.Contains(r.URL.Path, "/exports/requests.") || isAttachmentDownload(r))
}

// moved records progress: another stall's time for the next write, and
// before the context ends.
func (p *progress) moved() {
	p.timer.Reset(p.stall)
	_ = p.rc.SetWriteDeadline(time.Now().Add(p.stall)) // unsupported by test recorders
}

func (p *progress) stop() {
	p.timer.Stop()
	p.cancel(nil)
}

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
	ctx := r.Context()
	p, ok := ctx.Value(progressKey{}).(*progress)
	if !ok { // not behind the stack (bound)
		ctx, p = watchProgress(ctx, w, ExportStall(), ExportStall())
		defer p.stop()
	}
	p.rc = http.NewResponseController(w) // the handler's writer: its write deadline is the connection's
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		log = l // the request's, with its id
	}
	dw := &downloadWriter{w: w, progress: p, start: func() {
		h := w.Header()
		h.Set("Content-Type", service.ExportContentType(format))
		h.Set("Content-Disposition", `attachment; filename="`+service.ExportFileName(code, format, o, now)+`"`)
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	}}
	err = exports.Requests(ctx, by, code, f, format, dw, o)
	switch {
	case err == nil:
	case !dw.started:
		return err // the face answers it: 504 when the time ran out (TimedOut)
	case errors.Is(context.Cause(ctx), errStalled):
		log.WarnContext(ctx, "download stopped: no progress", "stall_s", ExportStall().Seconds(), "bytes", dw.n, "err", err)
		panic(http.ErrAbortHandler)
	case r.Context().Err() != nil:
		log.InfoContext(ctx, "client went away during the download", "bytes", dw.n)
		panic(http.ErrAbortHandler)
	case dw.started:
		log.ErrorContext(ctx, "export failed after streaming started", "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// downloadWriter sends the response headers (start) with the first byte
// and reports each write's progress.
type downloadWriter struct {
	w        http.ResponseWriter
	progress *progress
	start    func()
	started  bool
	n        int64
}

func (d *downloadWriter) Write(p []byte) (int, error) {
	if !d.started {
		d.started = true
		d.start()
	}
	d.progress.moved()
	n, err := d.w.Write(p)
	d.n += int64(n)
	if err == nil {
		d.progress.moved()
	}
	return n, err
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
