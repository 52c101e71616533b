package httpface

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/reqctx"
	"github.com/cmcoord/cmcoord/internal/service"
)

// Idempotency keys on the wire. An API client sends the header; every
// HTML form carries the field (a fresh key per rendered form).
const (
	IdempotencyKeyHeader = "Idempotency-Key"
	IdempotencyKeyField  = "idempotency_key"
	// ReplayedHeader marks an answer that is the first outcome of the
	// key (or, when that answer was lost, the current state it produced),
	// not a second execution.
	ReplayedHeader = "Idempotent-Replayed"
)

// maxIdempotentRequest is the largest body the middleware reads to
// fingerprint; a larger one passes through unkeyed (both faces refuse it
// anyway: 413 on the API, 400 on a form).
const maxIdempotentRequest = 1 << 20

// inFlightWait bounds how long a duplicate waits for the first request
// with its key on this instance before answering 409 (Retry-After: 1);
// below the request timeout, so the duplicate still answers in time.
const inFlightWait = 8 * time.Second

// answerPoll is how long a retry waits for the answer of a change that
// committed moments ago (on another instance, its answer being written)
// before it is shown the change's current state instead.
const answerPoll = 500 * time.Millisecond

// flights serialises the requests of one user's key on this instance: a
// double click waits for the first click's outcome instead of running.
type flights struct {
	mu sync.Mutex
	m  map[flightKey]chan struct{}
}

type flightKey struct {
	user int64
	key  string
}

// acquire waits until no other request of k runs here, then holds k
// until release; false when ctx ended or inFlightWait passed first.
func (f *flights) acquire(ctx context.Context, k flightKey) (release func(), ok bool) {
	timeout := time.NewTimer(inFlightWait)
	defer timeout.Stop()
	for {
		f.mu.Lock()
		ch, busy := f.m[k]
		if !busy {
			ch = make(chan struct{})
			f.m[k] = ch
			f.mu.Unlock()
			return func() {
				f.mu.Lock()
				delete(f.m, k)
				f.mu.Unlock()
				close(ch)
			}, true
		}
		f.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, false
		case <-timeout.C:
			return nil, false
		}
	}
}

// idempotent makes every state-changing request of a signed-in user that
// carries an Idempotency-Key (header, or the form field) happen at most
// once per key: the key is claimed in the transaction of the change it
// guards (service.Idempotency, store.Claim), the answer is kept, and a
// retry with the same key and the same request is answered with it and
// Idempotent-Replayed: true. See service.Idempotency.Finish for which
// answers are kept, and docs/api.md for the client's side.
func (s Stack) idempotent(fail Fail) func(http.Handler) http.Handler {
	idem := s.Idempotency
	if idem == nil && s.Access != nil {
		idem = s.Access.Idempotency()
	}
	inFlight := &flights{m: map[flightKey]chan struct{}{}}
	return func(next http.Handler) http.Handler {
		if idem == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a := reqctx.Actor(r.Context())
			if domain.SafeMethod(r.Method) || a.Anonymous() || IsUploadChunk(r) {
				next.ServeHTTP(w, r)
				return
			}
			var (
				body   []byte
				values url.Values
				key    = r.Header.Get(IdempotencyKeyHeader)
			)
			if boundary, ok := isMultipart(r); ok {
				// An upload: keyed by its fields, read from the body's
				// start up to the file, which streams on untouched.
				fields, ok := multipartFields(r, boundary)
				if !ok {
					next.ServeHTTP(w, r) // the face answers the broken body
					return
				}
				values = fields
			} else {
				var whole bool
				var err error
				body, whole, err = readBody(r)
				if err != nil || !whole {
					next.ServeHTTP(w, r) // the face answers the broken or oversized body
					return
				}
				if isForm(r) {
					values, _ = url.ParseQuery(string(body)) // a broken form is the face's 400
				}
			}
			if key == "" && values != nil {
				key = values.Get(IdempotencyKeyField)
			}
			if key == "" {
				next.ServeHTTP(w, r)
				return
			}
			if err := domain.CheckIdempotencyKey(key); err != nil {
				fail(w, r, err)
				return
			}
			call := &service.IdempotencyCall{UserID: a.UserID, Key: key, Method: r.Method, Path: r.URL.RequestURI(),
				Fingerprint: fingerprint(body, values)}
			release, ok := inFlight.acquire(r.Context(), flightKey{a.UserID, key})
			if !ok {
				inProgress(w, r, fail)
				return
			}
			defer release()
			// The face's mount point (/api/v1), before routing moves on.
			prefix := strings.TrimSuffix(r.URL.Path, routePath(chi.RouteContext(r.Context()), r))
			rec, found, err := idem.Lookup(r.Context(), a.UserID, key)
			if err != nil {
				fail(w, r, err)
				return
			}
			if found {
				s.answerFrom(w, r, idem, rec, call, prefix, fail)
				return
			}
			buf := newAnswerBuffer(w.Header())
			next.ServeHTTP(buf, r.WithContext(idem.Begin(r.Context(), call)))
			taken, err := idem.Finish(r.Context(), call, buf.answer())
			if err != nil { // the change and its answer stand; a retry sees the change
				Logger(r.Context()).WarnContext(r.Context(), "idempotency: answer not kept", "err", err)
			}
			if taken { // another request with the key (another instance) changed first
				if rec, found, err := idem.Lookup(r.Context(), a.UserID, key); err == nil && found {
					s.answerFrom(w, r, idem, rec, call, prefix, fail)
					return
				}
			}
			buf.writeTo(w)
		})
	}
}

// answerFrom answers a request whose key has a record: 422 when the
// record is of another request, the kept answer, or — the change
// committed but its answer is unknown — the change's current state.
func (s Stack) answerFrom(w http.ResponseWriter, r *http.Request, idem *service.Idempotency, rec service.IdempotencyRecord,
	call *service.IdempotencyCall, prefix string, fail Fail) {
	if rec.Method != "" && (rec.Method != call.Method || rec.Path != call.Path || rec.Fingerprint != call.Fingerprint) {
		fail(w, r, &domain.Error{Code: domain.CodeInvalid, Message: "idempotency.key_reused",
			Fields: map[string]string{IdempotencyKeyField: "idempotency.key_reused"}})
		return
	}
	// A change committed a moment ago on another instance: its answer is
	// on its way.
	for deadline := time.Now().Add(answerPoll); rec.Status == 0 && time.Since(rec.CreatedAt) < inFlightWait && time.Now().Before(deadline); {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(answerPoll / 5):
		}
		again, found, err := idem.Lookup(r.Context(), rec.UserID, rec.Key)
		if err != nil || !found {
			break
		}
		rec = again
	}
	h := w.Header()
	h.Set(ReplayedHeader, "true")
	h.Set("Cache-Control", "no-store")
	if rec.Status != 0 {
		if rec.ContentType != "" {
			h.Set("Content-Type", rec.ContentType)
		}
		if rec.Location != "" {
			h.Set("Location", rec.Location)
		}
		w.WriteHeader(rec.Status)
		_, _ = w.Write(rec.Body)
		return
	}
	s.equivalent(w, r, rec, prefix)
}

// equivalent answers a retry of a change that committed but whose answer
// was lost (the process stopped between the commit and the answer): the
// resource the change concerned, as it is now. The HTML face redirects
// (303) to its page; the API answers as GET on it would (200 and its
// representation). The resource is, in order: the one Stack.LostAnswer
// names for the route (the API: the GET of what the operation answers),
// the request the change concerned, the nearest enclosing path with a
// GET route.
func (s Stack) equivalent(w http.ResponseWriter, r *http.Request, rec service.IdempotencyRecord, prefix string) {
	var routes chi.Routes
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		routes = rctx.Routes
	}
	target := ""
	if s.LostAnswer != nil && routes != nil {
		rc := chi.NewRouteContext()
		if pattern := routes.Find(rc, r.Method, r.URL.Path); pattern != "" {
			if get := s.LostAnswer(r.Method, strings.TrimPrefix(pattern, prefix)); get != "" {
				if rec.RequestID != 0 && strings.HasPrefix(get, "/requests/{id}") {
					// The request the change made or changed: an extension
					// is a new request, not the one in the path.
					get = "/requests/" + strconv.FormatInt(rec.RequestID, 10) + strings.TrimPrefix(get, "/requests/{id}")
				}
				target = prefix + fillPattern(get, rc)
			}
		}
	}
	if target == "" && rec.RequestID != 0 {
		target = prefix + "/requests/" + strconv.FormatInt(rec.RequestID, 10)
	}
	for p := r.URL.Path; target == "" && p != "" && p != "/"; p = p[:strings.LastIndexByte(p, '/')] {
		if routes != nil && routes.Match(chi.NewRouteContext(), http.MethodGet, p) {
			target = p
		}
	}
	if target == "" {
		target = prefix + "/"
	}
	h, ok := routes.(http.Handler)
	if s.ReplayByRedirect || !ok {
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	get := r.Clone(context.WithValue(r.Context(), chi.RouteCtxKey, (*chi.Context)(nil)))
	get.Method, get.Body, get.ContentLength = http.MethodGet, http.NoBody, 0
	get.URL = &url.URL{Path: target}
	get.RequestURI = target
	get.Header.Del("Content-Type")
	get.Header.Del("Accept-Encoding") // the outer stack compresses, once
	get.Header.Del(IdempotencyKeyHeader)
	h.ServeHTTP(w, get)
}

// fillPattern puts rc's URL parameters into a route pattern.
func fillPattern(pattern string, rc *chi.Context) string {
	for i, k := range rc.URLParams.Keys {
		if k != "*" {
			pattern = strings.ReplaceAll(pattern, "{"+k+"}", url.PathEscape(rc.URLParams.Values[i]))
		}
	}
	return pattern
}

// routePath is r's path relative to the router the face is mounted on.
func routePath(rctx *chi.Context, r *http.Request) string {
	if rctx != nil && rctx.RoutePath != "" {
		return rctx.RoutePath
	}
	return r.URL.Path
}

// inProgress answers a duplicate whose first request is still running.
func inProgress(w http.ResponseWriter, r *http.Request, fail Fail) {
	w.Header().Set("Retry-After", "1")
	fail(w, r, &domain.Error{Code: domain.CodeConflict, Message: "idempotency.in_progress"})
}

// readBody reads r's body (up to maxIdempotentRequest) and puts it back;
// whole is false when the body is longer.
func readBody(r *http.Request) (body []byte, whole bool, err error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true, nil
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, maxIdempotentRequest+1))
	rest := r.Body
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), rest), rest}
	return body, err == nil && len(body) <= maxIdempotentRequest, err
}

// maxMultipartPrefix is how much of a multipart body the middleware
// reads to find its fields, which come before the file.
const maxMultipartPrefix = 64 << 10

// isMultipart reports whether r's body is multipart/form-data, and its
// boundary.
func isMultipart(r *http.Request) (string, bool) {
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return params["boundary"], err == nil && ct == "multipart/form-data" && params["boundary"] != ""
}

// multipartFields reads the start of r's multipart body up to its first
// file part and returns the fields before it, with the file's name (as
// "<part>.filename"): what an upload's key stands for. The body is left
// whole for the handler. false when the fields do not end within
// maxMultipartPrefix, or the body is broken.
func multipartFields(r *http.Request, boundary string) (url.Values, bool) {
	prefix, err := io.ReadAll(io.LimitReader(r.Body, maxMultipartPrefix))
	rest := r.Body
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(prefix), rest), rest}
	if err != nil {
		return nil, false
	}
	mr := multipart.NewReader(bytes.NewReader(prefix), boundary)
	values := url.Values{}
	for {
		part, err := mr.NextPart()
		if err != nil {
			return values, errors.Is(err, io.EOF) // a body without a file
		}
		if part.FileName() != "" {
			values.Add(part.FormName()+".filename", part.FileName())
			return values, true
		}
		v, err := io.ReadAll(part)
		if err != nil {
			return nil, false // cut by the prefix: fields too long to key
		}
		values.Add(part.FormName(), string(v))
	}
}

// isForm reports whether r's body is an HTML form.
func isForm(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/x-www-form-urlencoded"
}

// fingerprint hashes what a request asks for: a form's values without
// its key (sorted, so field order is not a difference), or the body.
func fingerprint(body []byte, form url.Values) string {
	h := sha256.New()
	if form != nil {
		form = cloneValues(form)
		form.Del(IdempotencyKeyField)
		h.Write([]byte(form.Encode()))
	} else {
		h.Write(body)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// answerBuffer holds a handler's answer until the key's outcome is known:
// it is written, or dropped for the first request's.
type answerBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newAnswerBuffer(h http.Header) *answerBuffer { return &answerBuffer{header: h.Clone()} }

func (b *answerBuffer) Header() http.Header { return b.header }

func (b *answerBuffer) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *answerBuffer) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *answerBuffer) answer() service.Answer {
	status := b.status
	if status == 0 {
		status = http.StatusOK
	}
	return service.Answer{Status: status, ContentType: b.header.Get("Content-Type"), Location: b.header.Get("Location"),
		Body: b.body.Bytes()}
}

// writeTo sends the held answer.
func (b *answerBuffer) writeTo(w http.ResponseWriter) {
	h := w.Header()
	for k := range h {
		if _, ok := b.header[k]; !ok {
			delete(h, k)
		}
	}
	for k, v := range b.header {
		h[k] = v
	}
	status := b.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = b.body.WriteTo(w)
}
