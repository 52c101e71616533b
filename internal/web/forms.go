package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
)

// maxFormBytes bounds a posted form; nothing cmcoord asks for comes close.
const maxFormBytes = 256 << 10

// parseForm reads a posted form with a size limit. A body that cannot be
// parsed is CodeMalformed (400), never a 500.
// errTooLarge is a form body over maxFormBytes: the error page with 413
// (pageStatus), as the API answers a body over its limit.
var errTooLarge = &pageStatus{status: http.StatusRequestEntityTooLarge, err: domain.Errorf(domain.CodeMalformed, "error.too_large")}

// pageStatus is an error shown with a status of its own, not the one its
// domain code maps to.
type pageStatus struct {
	status int
	err    error
}

func (e *pageStatus) Error() string { return e.err.Error() }
func (e *pageStatus) Unwrap() error { return e.err }

func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errTooLarge // 413, as the API answers
		}
		return domain.Errorf(domain.CodeMalformed, "error.malformed")
	}
	// Bytes that are not UTF-8, and NUL, are left to the domain's checks,
	// which refuse them in every text field as the API's are, naming the
	// field next to it on the form shown again.
	return nil
}

// form is a submitted (or blank) form being shown again: the values typed
// and, after a failed rule, the problem of each field, translated.
type form struct {
	ctx    context.Context
	values url.Values
	errs   map[string]string // field → translated message
	order  []string          // fields in the order they were rendered
	labels map[string]string // field → its translated label, named in the summary
	top    string            // a problem not tied to one field, translated
	notice string            // an explanation above the form, translated ("" for none)
	// need, when set, says when each field must be filled (the request
	// form: domain.RequirementOf); its fields' markers follow it.
	need func(id string) domain.Requirement
}

// newForm returns a form for r's posted values and err's field messages
// (err may be nil; a *domain.Error without fields becomes the top message).
func newForm(r *http.Request, err error) *form {
	f := &form{ctx: r.Context(), values: r.PostForm, errs: map[string]string{}}
	if f.values == nil {
		f.values = url.Values{}
	}
	var e *domain.Error
	if errors.As(err, &e) {
		for field, key := range e.Fields {
			f.errs[field] = i18n.Data(r.Context(), key, e.Data)
		}
		if len(e.Fields) == 0 || e.Message != "error.invalid" {
			f.top = i18n.Data(r.Context(), e.Message, e.Data)
		}
	}
	return f
}

// field returns the view of input id labelled by the message labelKey.
func (f *form) field(id, labelKey, typ string, required bool) components.Field {
	label := i18n.T(f.ctx, labelKey)
	f.rendered(id, label)
	fl := components.Field{ID: id, Label: label, Type: typ, Value: f.values.Get(id),
		Error: f.errs[id], Required: required}
	if f.need != nil {
		n := f.need(id)
		fl.Required, fl.NeededToSubmit = n == domain.RequiredToSave, n == domain.RequiredToSubmit
	}
	return fl
}

// rendered records that the page shows input or group id, labelled
// label, so the error summary lists its problem in page order, named.
func (f *form) rendered(id, label string) {
	f.order = append(f.order, id)
	if f.labels == nil {
		f.labels = map[string]string{}
	}
	f.labels[id] = label
}

// text is a required or optional single-line text input.
func (f *form) text(id, labelKey string, required bool, maxLen int) components.Field {
	fl := f.field(id, labelKey, "text", required)
	fl.Maxlength = maxLen
	return fl
}

// check is a checkbox; checked follows the submitted value.
func (f *form) check(id, labelKey string) components.Field {
	fl := f.field(id, labelKey, "checkbox", false)
	fl.Checked = f.values.Get(id) == "true"
	return fl
}

// choice is a select of options; the submitted value is selected.
func (f *form) choice(id, labelKey string, required bool, opts []components.Option) components.Field {
	fl := f.field(id, labelKey, "select", required)
	cur := f.values.Get(id)
	for i := range opts {
		opts[i].Selected = opts[i].Value == cur
	}
	fl.Options = opts
	return fl
}

// summary lists the problems in field order, for the error summary.
func (f *form) summary() []components.FormError {
	var out []components.FormError
	if f.top != "" {
		out = append(out, components.FormError{Message: f.top})
	}
	seen := map[string]bool{}
	for _, id := range f.order {
		if msg := f.errs[id]; msg != "" && !seen[id] {
			seen[id] = true
			out = append(out, components.FormError{FieldID: id, Label: f.labels[id], Message: msg})
		}
	}
	// Problems with fields the page did not render still reach the user.
	var rest []string
	for id := range f.errs {
		if !seen[id] {
			rest = append(rest, id)
		}
	}
	sort.Strings(rest)
	for _, id := range rest {
		out = append(out, components.FormError{Message: f.errs[id]})
	}
	return out
}

// formInt parses an integer field; a bad value is a field message, never
// a 500.
func formInt(v url.Values, field string, fe map[string]string) int {
	s := strings.TrimSpace(v.Get(field))
	n, err := strconv.Atoi(s)
	if err != nil {
		fe[field] = "field.number"
		return 0
	}
	return n
}

// formBool reads a checkbox.
func formBool(v url.Values, field string) bool { return v.Get(field) == "true" }

// invalid turns collected parse problems into a CodeInvalid error, or nil.
func invalid(fe map[string]string) error {
	if len(fe) == 0 {
		return nil
	}
	return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: fe}
}

// safeNext returns next if it is a local path, else "/": a sign-in link
// can never send the user to another site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}
