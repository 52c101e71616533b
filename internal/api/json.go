package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
)

// maxBodyBytes bounds a request body; the largest input is well under it.
const maxBodyBytes = 1 << 20

// writeJSON writes v as the JSON response with status. Responses carry
// personal data and are never cached. <, > and & are not escaped: the
// body is never HTML (and is sent with nosniff), and an audit event's
// payload must reach the client byte for byte as it was hashed. Only an
// encoding failure (a programming error) is returned: once the header is
// out, a failed write means the client has gone and there is nobody
// left to tell.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // Encode ends the value with a newline
		return fmt.Errorf("api: encode %T: %w", v, err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
	return nil
}

// writeNoContent answers 204.
func writeNoContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// readJSON decodes the request body, which must be exactly one JSON value
// of at most maxBodyBytes sent as application/json, into v. Unknown
// fields and values of the wrong type are refused, naming the field:
// a typo in a PATCH must not be silently ignored. Failures are a 415 for
// another content type, a 413 for a body over the limit, and
// CodeMalformed (400) for anything that is not the expected JSON.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &httpError{status: http.StatusUnsupportedMediaType, code: domain.CodeMalformed,
			err: &domain.Error{Code: domain.CodeMalformed, Message: "error.malformed",
				Fields: map[string]string{"content_type": "field.invalid"}}}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return decodeError(err, nil, nil)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, reflect.TypeOf(v), body)
	}
	// Exactly one value: anything but white space after it is malformed.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return decodeError(err, reflect.TypeOf(v), body)
		}
		return malformed("body", "field.invalid")
	}
	return nil
}

// decodeError turns a failure to decode body into a value of type into
// the error the client sees, naming the field by its path in the body.
func decodeError(err error, into reflect.Type, body []byte) error {
	var (
		tooLarge  *http.MaxBytesError
		typeErr   *json.UnmarshalTypeError
		syntaxErr *json.SyntaxError
	)
	switch {
	case errors.As(err, &tooLarge):
		return &httpError{status: http.StatusRequestEntityTooLarge, code: domain.CodeMalformed,
			err: &domain.Error{Code: domain.CodeMalformed, Message: "error.malformed",
				Fields: map[string]string{"body": "field.too_long"}}}
	case errors.Is(err, io.EOF):
		return malformed("body", "field.required")
	case errors.As(err, &typeErr):
		field := jsonPath(into, typeErr.Field) // the dotted path, e.g. review_policy.quorum_percent
		if field == "" {
			field = "body"
		}
		return malformed(field, typeMessage(typeErr.Type))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("body", "field.invalid")
	}
	// encoding/json has no type for an unknown field, only this text,
	// and no path: the body, read again, gives it (origin.colour).
	if name, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
		var raw any
		if json.Unmarshal(body, &raw) == nil {
			if path, found := unknownKey(raw, into); found {
				return malformed(path, "field.unknown")
			}
		}
		return malformed(strings.TrimSuffix(name, `"`), "field.unknown")
	}
	return malformed("body", "field.invalid")
}

// typeMessage is the message for a JSON value that is not of type t,
// the type its field holds: what to send instead.
func typeMessage(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "field.invalid"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "field.number"
	case reflect.Float32, reflect.Float64:
		return "field.float"
	case reflect.String:
		return "field.text"
	case reflect.Bool:
		return "field.boolean"
	case reflect.Slice, reflect.Array:
		return "field.list"
	case reflect.Struct, reflect.Map:
		return "field.object"
	}
	return "field.invalid"
}

// jsonPath is encoding/json's dotted path of a field in a value of type
// t as the body names it: the Go name of an embedded struct (requestPatch
// embeds requestInput) is no key of the body, so it is dropped — an
// error names the API's fields, never a Go identifier.
func jsonPath(t reflect.Type, path string) string {
	embedded := map[string]bool{}
	embeddedNames(t, embedded, map[reflect.Type]bool{})
	var out []string
	for _, p := range strings.Split(path, ".") {
		if p != "" && !embedded[p] {
			out = append(out, p)
		}
	}
	return strings.Join(out, ".")
}

// unknownKey returns the dotted path of the first key in v (a decoded
// JSON value) that type t has no field for, as encoding/json matches
// them (its name, or its Go name, in any case; an embedded struct's
// fields are its parent's; optional[T] holds a T).
func unknownKey(v any, t reflect.Type) (string, bool) {
	for t.Kind() == reflect.Pointer || (t.Kind() == reflect.Struct && strings.HasPrefix(t.Name(), "optional[")) {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
			continue
		}
		f, _ := t.FieldByName("v")
		t = f.Type
	}
	switch v := v.(type) {
	case map[string]any:
		keys := slices.Sorted(maps.Keys(v))
		for _, k := range keys {
			var (
				sub   reflect.Type
				found bool
			)
			switch t.Kind() {
			case reflect.Map:
				sub, found = t.Elem(), true
			case reflect.Struct:
				sub, found = fieldType(t, k)
			default:
				return "", false
			}
			if !found {
				return k, true
			}
			if p, ok := unknownKey(v[k], sub); ok {
				return k + "." + p, true
			}
		}
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for _, e := range v {
				if p, ok := unknownKey(e, t.Elem()); ok {
					return p, true
				}
			}
		}
	}
	return "", false
}

// fieldType returns the type of struct t's field that JSON key k sets.
func fieldType(t reflect.Type, k string) (reflect.Type, bool) {
	for i := range t.NumField() {
		sf := t.Field(i)
		name := strings.Split(sf.Tag.Get("json"), ",")[0]
		if sf.Anonymous && name == "" {
			if ft, ok := fieldType(sf.Type, k); ok {
				return ft, true
			}
			continue
		}
		if !sf.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if strings.EqualFold(name, k) {
			return sf.Type, true
		}
	}
	return nil, false
}

// embeddedNames adds to names the Go names of the untagged embedded
// structs anywhere in t.
func embeddedNames(t reflect.Type, names map[string]bool, seen map[reflect.Type]bool) {
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct || seen[t] {
		return
	}
	seen[t] = true
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous && sf.Tag.Get("json") == "" {
			names[sf.Name] = true
		}
		embeddedNames(sf.Type, names, seen)
	}
}

// renameFields returns err with its fields named by rename: where the
// body names a field otherwise than the domain and the form do.
func renameFields(err error, rename func(field string) string) error {
	var de *domain.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 {
		return err
	}
	out := *de
	out.Fields = make(map[string]string, len(de.Fields))
	for field, key := range de.Fields {
		out.Fields[rename(field)] = key
	}
	return &out
}

// malformed is a CodeMalformed error naming the field at fault.
func malformed(field, key string) error {
	return &domain.Error{Code: domain.CodeMalformed, Message: "error.malformed", Fields: map[string]string{field: key}}
}

// httpError is a failure of HTTP itself rather than of a domain rule (an
// unsupported media type, a body too large, a method the path does not
// accept, a timeout): its status is not in httpface.Status, but its body is the
// same envelope.
type httpError struct {
	status int
	code   domain.Code
	err    *domain.Error // message and field keys
}

func (e *httpError) Error() string { return fmt.Sprintf("http %d: %v", e.status, e.err) }

// known reports whether code has its own HTTP status.
func known(code domain.Code) bool {
	_, ok := httpface.Status(code)
	return ok
}

// Codes the API adds for failures that are not domain errors.
const (
	codeMethodNotAllowed domain.Code = "method_not_allowed"
	codeTimeout          domain.Code = "timeout"
)

// WriteError writes err as the error envelope. Messages are translated
// into the caller's language; the message IDs travel along so clients can
// localise themselves. A domain error's Items (the checklist items that
// stop a submission) become the envelope's items. Anything that is not a *domain.Error is logged
// here, once, with the request ID, and reaches the client only as
// "internal error": its text may hold SQL or addresses.
func (a *API) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if httpface.ClientGone(w, r, err) {
		return
	}
	ctx := r.Context()
	var (
		he     *httpError
		de     *domain.Error
		status int
		code   domain.Code
	)
	switch {
	case errors.As(err, &he):
		status, code, de = he.status, he.code, he.err
	case errors.As(err, &de) && known(de.Code):
		status, _ = httpface.Status(de.Code)
		code = de.Code
	case httpface.TimedOut(r):
		a.log.WarnContext(ctx, "api request timed out", "request_id", middleware.GetReqID(ctx), "err", err)
		status, code, de = http.StatusGatewayTimeout, codeTimeout, domain.Errorf(codeTimeout, "error.timeout")
	case errors.Is(err, httpface.ErrPanic): // logged with its stack
		status, code, de = http.StatusInternalServerError, domain.CodeInternal, domain.Errorf(domain.CodeInternal, "error.internal")
	default:
		a.log.ErrorContext(ctx, "api request failed", "request_id", middleware.GetReqID(ctx),
			"method", r.Method, "path", r.URL.Path, "err", err)
		status, code, de = http.StatusInternalServerError, domain.CodeInternal, domain.Errorf(domain.CodeInternal, "error.internal")
	}
	httpface.SetRetryAfter(w.Header(), err)
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", bearerChallenge)
	}
	body := errorDTO{
		Code:      string(code),
		Message:   i18n.Data(ctx, de.Message, de.Data),
		MessageID: de.Message,
		RequestID: middleware.GetReqID(ctx),
	}
	if len(de.Fields) > 0 {
		body.Fields = make(map[string]string, len(de.Fields))
		body.FieldMessageIDs = make(map[string]string, len(de.Fields))
		for field, id := range de.Fields {
			body.Fields[field] = i18n.Data(ctx, id, de.Data)
			body.FieldMessageIDs[field] = id
		}
	}
	for _, it := range de.Items {
		body.Items = append(body.Items, errorItemDTO{ID: it.ID, Status: it.Status,
			Reason: translate(ctx, it.Reason), ReasonMessageID: it.Reason})
	}
	if c := de.Conflict; c != nil {
		body.Conflict = &conflictDTO{Version: c.Version, Changes: c.Changes}
	}
	if werr := writeJSON(w, status, errorEnvelope{Error: body}); werr != nil {
		a.log.ErrorContext(ctx, "api write error", "request_id", middleware.GetReqID(ctx), "err", werr)
		http.Error(w, http.StatusText(status), status)
	}
}

// handleNotFound answers any path under /api/v1 that names no route.
func (a *API) handleNotFound(w http.ResponseWriter, r *http.Request) error {
	return domain.Errorf(domain.CodeNotFound, "error.not_found")
}

// methodNotAllowed answers a method the path does not accept, listing in
// Allow the ones it does (chi sets Allow only in its default handler).
func (a *API) methodNotAllowed(routes chi.Routes) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		path := r.URL.Path
		if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.RoutePath != "" {
			path = rctx.RoutePath // the path below the mount point
		}
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if routes.Match(chi.NewRouteContext(), m, path) {
				w.Header().Add("Allow", m)
			}
		}
		return &httpError{status: http.StatusMethodNotAllowed, code: codeMethodNotAllowed,
			err: domain.Errorf(codeMethodNotAllowed, "error.method_not_allowed")}
	}
}
