package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/reqctx"
	"github.com/cmcoord/cmcoord/internal/tusstore"
	"github.com/cmcoord/cmcoord/web/components"
)

// Resumable uploads (issue 20): a document's bytes over a bad link, with
// the tus protocol (tusd's handler) at /uploads/, behind the session like
// every page; upload.js drives it from the request page's multipart form,
// which works without it. Each tus request goes to service.Attachments
// through internal/tusstore, as the signed-in user; the last PATCH
// finishes the document (finishUpload) and answers where to go, or the
// refusal in the reader's language.
//
// Locks: tusd's in-memory locker serialises the requests of one upload on
// this instance. Across instances the store's offset check keeps an
// upload whole: a PATCH writes only if the file stands at its
// Upload-Offset, and each chunk's commit checks the size it started from
// (store.AppendFileAt), so two instances never interleave bytes.

// uploadNetworkTimeout is how long a tus request's body may send nothing
// before its connection is dropped (what came is kept): tusd moves the
// read deadline on with every read, so a slow link is never cut for being
// slow, only for being silent.
const uploadNetworkTimeout = time.Minute

// uploads returns the tus handler, or nil when the server has no
// attachments service.
func (s *Server) uploads() http.Handler {
	if s.attachments == nil {
		return nil
	}
	composer := handler.NewStoreComposer()
	tusstore.New(s.attachments, s.uploadRefusal).UseIn(composer)
	memorylocker.New().UseIn(composer)
	h, err := handler.NewUnroutedHandler(handler.Config{
		StoreComposer:        composer,
		MaxSize:              s.attachments.MaxSize(),
		BasePath:             httpface.UploadsPath,
		DisableDownload:      true, // documents are downloaded from their request's page
		DisableConcatenation: true,
		// Same origin only: no CORS headers at all (the browser refuses
		// other origins' reads; CrossOriginProtection their writes).
		Cors:                      &handler.CorsConfig{Disable: true},
		Logger:                    newDebugLogger(s.log),
		NetworkTimeout:            uploadNetworkTimeout,
		PreFinishResponseCallback: s.finishUpload,
	})
	if err != nil { // only for a configuration error: constants here
		panic("web: tus handler: " + err.Error())
	}
	// tusd takes the upload ID from the path below its base path.
	mw := func(next http.Handler) http.Handler {
		return http.StripPrefix(httpface.UploadsPath, h.Middleware(next))
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+httpface.UploadsPath+"{$}", mw(http.HandlerFunc(h.PostFile)))
	mux.Handle("HEAD "+httpface.UploadsPath+"{id}", mw(http.HandlerFunc(h.HeadFile)))
	mux.Handle("PATCH "+httpface.UploadsPath+"{id}", mw(http.HandlerFunc(h.PatchFile)))
	mux.Handle("DELETE "+httpface.UploadsPath+"{id}", mw(http.HandlerFunc(h.DelFile)))
	// OPTIONS: tus discovery (the versions, extensions and the size limit);
	// the middleware answers it.
	mux.Handle("OPTIONS "+httpface.UploadsPath+"{$}", mw(http.NotFoundHandler()))
	mux.Handle("OPTIONS "+httpface.UploadsPath+"{id}", mw(http.NotFoundHandler()))
	return s.requireUploader(s.checkUploadLength(mux))
}

// requireUploader answers a tus request without a signed-in user with
// 401, never the sign-in page: a script reads the answer, and the page it
// came from signs in again.
func (s *Server) requireUploader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if actor(r).Anonymous() {
			writeUploadError(w, r, http.StatusUnauthorized, "unauthorized", i18n.T(r.Context(), "error.unauthorized"), nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkUploadLength refuses, before tusd does in English, a creation
// whose announced length is over the limit: 413, saying the limit in the
// reader's language.
func (s *Server) checkUploadLength(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if n, err := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64); err == nil && n > s.attachments.MaxSize() {
				msg := i18n.Data(r.Context(), "attachment.too_large", map[string]any{"MB": s.attachments.MaxSize() >> 20})
				writeUploadError(w, r, http.StatusRequestEntityTooLarge, "too_large", msg, map[string]string{"file": msg})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// uploadAnswer is the JSON body of a tus answer upload.js reads: where
// to go once the document is recorded, or why it was refused (Message,
// and Fields by form field name, in the reader's language).
type uploadAnswer struct {
	Location string            `json:"location,omitempty"`
	Error    string            `json:"error,omitempty"`
	Message  string            `json:"message,omitempty"`
	Fields   map[string]string `json:"fields,omitempty"`
}

func writeUploadError(w http.ResponseWriter, r *http.Request, status int, code, msg string, fields map[string]string) {
	h := w.Header()
	h.Set("Tus-Resumable", "1.0.0")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_ = json.NewEncoder(w).Encode(uploadAnswer{Error: code, Message: msg, Fields: fields})
	}
}

// uploadRefusal turns a service error into tusd's answer: the status of
// its code (httpface.Status) and a JSON body in the reader's language;
// an internal error is logged and answered without its text.
func (s *Server) uploadRefusal(ctx context.Context, err error) error {
	var he handler.Error
	if errors.As(err, &he) {
		return err
	}
	code := domain.ErrorCode(err)
	status, ok := httpface.Status(code)
	if !ok {
		if ctx.Err() == nil {
			logger(ctx).ErrorContext(ctx, "upload failed", "err", err)
		}
		status, code = http.StatusInternalServerError, "internal"
	}
	stem, ok := titleOf[status]
	if !ok {
		stem = "error.internal"
	}
	msg := i18n.T(ctx, stem)
	var fields map[string]string
	var de *domain.Error
	if errors.As(err, &de) {
		if s.catalog.Has(de.Message) && de.Message != stem {
			msg = i18n.Data(ctx, de.Message, de.Data)
		}
		for field, key := range de.Fields {
			if fields == nil {
				fields = map[string]string{}
			}
			fields[field] = i18n.Data(ctx, key, de.Data)
		}
		if m, ok := fields["file"]; ok { // what the reader needs most
			msg = m
		}
	}
	body, _ := json.Marshal(uploadAnswer{Error: string(code), Message: msg, Fields: fields})
	return handler.Error{ErrorCode: string(code), Message: msg, HTTPResponse: handler.HTTPResponse{
		StatusCode: status, Body: string(body),
		Header: handler.HTTPHeader{"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"}}}
}

// finishUpload records the document once its last byte came (tusd's
// PreFinishResponseCallback): Attachments.Finish, the one path of every
// upload (hash, type, scan, the record and its event). The answer says
// where to go — the request page, at the document, with a flash saying
// it was added — or why it was refused (422 for the file itself).
func (s *Server) finishUpload(hook handler.HookEvent) (handler.HTTPResponse, error) {
	ctx := hook.Context
	fileID, err := tusstore.ParseID(hook.Upload.ID)
	if err != nil {
		return handler.HTTPResponse{}, s.uploadRefusal(ctx, err)
	}
	t, err := s.attachments.Finish(ctx, reqctx.Actor(ctx), fileID)
	if err != nil {
		return handler.HTTPResponse{}, s.uploadRefusal(ctx, err)
	}
	loc := "/requests/" + strconv.FormatInt(t.RequestID, 10) + "#document-" + strconv.FormatInt(t.ID, 10)
	body, _ := json.Marshal(uploadAnswer{Location: loc})
	return handler.HTTPResponse{StatusCode: http.StatusOK, Body: string(body), Header: handler.HTTPHeader{
		"Content-Type": "application/json; charset=utf-8",
		"Set-Cookie":   s.flashCookie(components.FlashSuccess, "documents.added_flash").String(),
	}}, nil
}

// uploadMessages are upload.js's messages, by the name it uses.
var uploadMessages = []string{"sending", "waiting", "offline", "checking", "done", "failed", "sign_in"}

// uploadStrings returns upload.js's messages in the reader's language
// (JSON, for the script tag's data-strings).
func uploadStrings(ctx context.Context) string {
	m := make(map[string]string, len(uploadMessages))
	for _, k := range uploadMessages {
		m[k] = i18n.T(ctx, "upload."+k)
	}
	b, _ := json.Marshal(m)
	return string(b)
}
