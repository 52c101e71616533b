package httpface

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"

	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// Documents on the wire, the same for both faces: an upload in one
// multipart body (ReadUpload) and a download (ServeAttachment). Both are
// bounded by progress, not wall time (bound): over a satellite link a
// 20 MB document takes minutes, and it may take them as long as it
// moves.

// IsUpload reports whether r sends a document's bytes: a form's (or the
// API's) multipart body, or a resumable upload's PATCH.
func IsUpload(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost:
		return strings.HasSuffix(r.URL.Path, "/attachments")
	case http.MethodPatch:
		return strings.Contains(r.URL.Path, "/uploads/")
	}
	return false
}

// isAttachmentDownload reports whether r downloads a document.
func isAttachmentDownload(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/attachments/")
}

// progressReader reports a body's progress: each read moves the
// upload's deadline on.
type progressReader struct {
	r io.ReadCloser
	p *progress
}

func (b *progressReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		b.p.timer.Reset(b.p.stall)
		_ = b.p.rc.SetReadDeadline(time.Now().Add(b.p.stall)) // unsupported by test recorders
		_ = b.p.rc.SetWriteDeadline(time.Now().Add(b.p.stall))
	}
	return n, err
}

func (b *progressReader) Close() error { return b.r.Close() }

// boundUpload bounds an upload by progress: its first bytes must come
// within first, then each read within ExportStall.
func boundUpload(w http.ResponseWriter, r *http.Request, first time.Duration, next http.Handler) {
	ctx, p := watchProgress(r.Context(), w, first, ExportStall())
	defer p.stop()
	_ = p.rc.SetReadDeadline(time.Now().Add(first)) // the server's ReadTimeout is for pages
	r.Body = &progressReader{r: r.Body, p: p}
	next.ServeHTTP(w, r.WithContext(withProgress(ctx, p)))
}

// maxUploadField is the most a text field of an upload may hold.
const maxUploadField = 8 << 10

// AddUpload adds the document a multipart body carries to request id,
// for by, as it streams (ReadUpload, then service.Attachments.Add): the
// body is cut at the size limit plus room for its fields, and a body cut
// there is refused as the limit's own refusal. fields receives the text
// fields read, for a form shown again. Both faces take uploads here.
func AddUpload(w http.ResponseWriter, r *http.Request, att *service.Attachments, by domain.Actor, id int64, fields map[string]string) (domain.Attachment, error) {
	r.Body = http.MaxBytesReader(w, r.Body, att.MaxSize()+1<<20)
	var added domain.Attachment
	err := ReadUpload(r, fields, func(in domain.AttachmentInput, file io.Reader) error {
		var err error
		added, err = att.Add(r.Context(), by, id, in, file)
		return err
	})
	var cut *http.MaxBytesError
	if errors.As(err, &cut) {
		err = att.TooLarge()
	}
	return added, err
}

// ReadUpload reads a multipart upload as it streams: its text fields
// (kind, title, visibility, and any other, into fields), then its file
// part "file", which add takes as a stream with the input the fields
// gave. Fields after the file are not read. No part is held whole in
// memory but the small text fields.
func ReadUpload(r *http.Request, fields map[string]string, add func(in domain.AttachmentInput, file io.Reader) error) error {
	mr, err := r.MultipartReader()
	if err != nil {
		return &domain.Error{Code: domain.CodeMalformed, Message: "error.malformed", Fields: map[string]string{"file": "attachment.not_multipart"}}
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"file": "attachment.no_file"}}
		}
		if err != nil {
			return domain.Errorf(domain.CodeMalformed, "error.malformed")
		}
		name := part.FormName()
		if name == "file" {
			_, kind := fields["kind"]
			_, vis := fields["visibility"]
			if !kind || !vis {
				// A field after the file is never reached by the stream:
				// say where it must be, not that it is missing.
				return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"file": "attachment.file_last"}}
			}
			in := domain.AttachmentInput{Kind: domain.AttachmentKind(fields["kind"]), Title: fields["title"],
				Visibility: domain.AttachmentVisibility(fields["visibility"]), Filename: part.FileName()}
			if in.Filename == "" {
				return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"file": "attachment.no_file"}}
			}
			return add(in, part)
		}
		v, err := io.ReadAll(io.LimitReader(part, maxUploadField+1))
		if err != nil {
			return domain.Errorf(domain.CodeMalformed, "error.malformed")
		}
		if len(v) > maxUploadField {
			return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{name: "field.too_long"}}
		}
		if name != "" {
			fields[name] = string(v)
		}
	}
}

// ServeAttachment streams document d to w, as a download: never shown
// in the browser (Content-Disposition: attachment, nosniff, a sandbox
// CSP), text always as plain text. A failure once bytes went out cuts
// the connection, so a client never takes a truncated file for a whole
// one.
func ServeAttachment(w http.ResponseWriter, r *http.Request, d service.Download, log *slog.Logger) error {
	h := w.Header()
	ct := d.ContentType
	if strings.HasPrefix(ct, "text/") {
		ct += "; charset=utf-8"
	}
	etag := `"` + d.HashHex() + `"`
	if match := r.Header.Get("If-None-Match"); match != "" && match == etag {
		h.Set("ETag", etag)
		h.Set("Cache-Control", "private, no-cache")
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	// The document's headers go out with its first byte only: a failure
	// before it is answered as an error, never under the file's name.
	start := func() {
		h.Set("Content-Type", ct)
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Filename}))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		h.Set("Cache-Control", "private, no-cache")
		h.Set("ETag", etag)
		h.Set("Content-Length", strconv.FormatInt(d.Size, 10))
		w.WriteHeader(http.StatusOK)
	}
	ctx := r.Context()
	p, ok := ctx.Value(progressKey{}).(*progress)
	if !ok {
		ctx, p = watchProgress(ctx, w, ExportStall(), ExportStall())
		defer p.stop()
	}
	p.rc = http.NewResponseController(w)
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		log = l
	}
	dw := &downloadWriter{w: w, progress: p, start: start}
	err := d.WriteTo(dw)
	switch {
	case err == nil && dw.n == d.Size:
		return nil
	case err == nil:
		log.ErrorContext(ctx, "stored document shorter or longer than recorded", "attachment", d.ID, "bytes", dw.n, "size", d.Size)
		panic(http.ErrAbortHandler)
	case !dw.started:
		return err
	case errors.Is(context.Cause(ctx), errStalled), r.Context().Err() != nil:
		log.InfoContext(ctx, "document download stopped", "attachment", d.ID, "bytes", dw.n, "err", err)
		panic(http.ErrAbortHandler)
	default:
		log.ErrorContext(ctx, "document download failed after streaming started", "attachment", d.ID, "err", err)
		panic(http.ErrAbortHandler)
	}
}
