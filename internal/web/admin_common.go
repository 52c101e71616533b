package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// Helpers shared by the admin and account pages.

// pathIDParam reads the numeric path parameter name. Anything that is not
// a positive integer is CodeNotFound: /admin/users/abc names a page that
// does not exist, it is not a malformed request (and never a 500).
func pathIDParam(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	return id, nil
}

// pathCode returns the operation code in the path. One that is not UTF-8
// names no operation (404) and never reaches the database.
func pathCode(r *http.Request) (string, error) {
	code := chi.URLParam(r, "code")
	if !utf8.ValidString(code) {
		return "", domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	return code, nil
}

// linkBase is the base of absolute links an admin passes on by other
// means (e-mail, chat): the configured base URL (-base-url), never the
// request's Host, which the caller chooses; only a server without one (a
// test's) uses requestBase.
func (s *Server) linkBase(r *http.Request) string {
	if s.baseURL != "" {
		return s.baseURL
	}
	return requestBase(r)
}

// requestBase returns the scheme and host the browser used.
func requestBase(r *http.Request) string {
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return scheme + r.Host
}

// prefilledForm is a form showing values — the record being edited, or a
// new record's defaults — rather than a posted form.
func prefilledForm(r *http.Request, values url.Values) *form {
	f := newForm(r, nil)
	f.values = values
	return f
}

// withFieldMessages returns err with the field messages of fe laid over
// its own: a value that could not even be parsed gets "enter a whole
// number" rather than the rule its placeholder broke. A nil err stays nil.
func withFieldMessages(err error, fe map[string]string) error {
	var e *domain.Error
	if len(fe) == 0 || !errors.As(err, &e) || e.Code != domain.CodeInvalid {
		return err
	}
	out := &domain.Error{Code: e.Code, Message: e.Message, Data: e.Data, Fields: map[string]string{}, Items: e.Items}
	for k, v := range e.Fields {
		out.Fields[k] = v
	}
	for k, v := range fe {
		out.Fields[k] = v
	}
	return out
}

// joinInvalid joins the field messages of CodeInvalid errors a and b
// (either may be nil); the first message for a field wins.
func joinInvalid(a, b error) error {
	var ea, eb *domain.Error
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case !errors.As(a, &ea) || !errors.As(b, &eb):
		return a
	}
	fe := map[string]string{}
	for k, v := range eb.Fields {
		fe[k] = v
	}
	for k, v := range ea.Fields {
		fe[k] = v
	}
	return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: fe}
}

// renameField moves the message of a service's field name to the input
// that shows it on a page where the plain name would be ambiguous.
func renameField(err error, from, to string) error {
	var e *domain.Error
	if !errors.As(err, &e) {
		return err
	}
	msg, ok := e.Fields[from]
	if !ok {
		return err
	}
	out := &domain.Error{Code: e.Code, Message: e.Message, Data: e.Data, Fields: map[string]string{to: msg}}
	for k, v := range e.Fields {
		if k != from {
			out.Fields[k] = v
		}
	}
	return out
}

// boolValue is a checkbox's submitted form.
func boolValue(b bool) string {
	if b {
		return "true"
	}
	return ""
}

// displayTime is t in the reader's language, in UTC ("2 Dec 2026, 14:05
// UTC"); blank for a zero time.
func displayTime(ctx context.Context, t time.Time) string { return i18n.FromContext(ctx).DateTime(t) }

// displayDate is t's UTC date in the reader's language.
func displayDate(ctx context.Context, t time.Time) string { return i18n.FromContext(ctx).Date(t) }

// chooseOption is the empty first choice of a required select, so nothing
// is chosen for the user by accident.
func chooseOption(ctx context.Context) components.Option {
	return components.Option{Value: "", Label: i18n.T(ctx, "form.choose")}
}

// languageOptions names each interface language in itself (English,
// Français…), so a user finds their own whatever the page's language.
func languageOptions(ctx context.Context) []components.Option {
	out := make([]components.Option, 0, len(domain.Languages))
	for _, l := range domain.Languages {
		out = append(out, components.Option{Value: l, Label: i18n.T(ctx, "language."+l)})
	}
	return out
}

func orgTypeOptions(ctx context.Context) []components.Option {
	out := []components.Option{chooseOption(ctx)}
	for _, t := range domain.OrgTypes {
		out = append(out, components.Option{Value: string(t), Label: i18n.T(ctx, "org_type."+string(t))})
	}
	return out
}

func organizationOptions(ctx context.Context, orgs []domain.Organization) []components.Option {
	out := []components.Option{chooseOption(ctx)}
	for _, o := range orgs {
		out = append(out, components.Option{Value: strconv.FormatInt(o.ID, 10), Label: o.Name + " (" + o.Acronym + ")"})
	}
	return out
}

func contextOptions(ctx context.Context) []components.Option {
	out := []components.Option{chooseOption(ctx)}
	for _, c := range domain.Contexts {
		out = append(out, components.Option{Value: string(c), Label: i18n.T(ctx, "context."+string(c))})
	}
	return out
}

func passRuleOptions(ctx context.Context) []components.Option {
	out := make([]components.Option, 0, len(domain.PassRules))
	for _, p := range domain.PassRules {
		out = append(out, components.Option{Value: string(p), Label: i18n.T(ctx, "pass_rule."+string(p))})
	}
	return out
}

// adminSections are the parts of the administration, each shown to those
// domain.Can allows.
var adminSections = []struct {
	id     string
	action domain.Action
	url    string
}{
	{"organizations", domain.ActionManageOrganizations, "/admin/organizations"},
	{"users", domain.ActionManageUsers, "/admin/users"},
	{"operations", domain.ActionCreateOperation, "/admin/operations"},
	{"audit", domain.ActionViewDirectoryLog, auditURL},
	{"sso", domain.ActionManageUsers, "/admin/sso"},
	{"mail", domain.ActionManageMail, mailURL},
	{"documents", domain.ActionPurgeAttachment, documentsAdminURL},
}

// adminLinks are the sections of the administration a may use; none for
// anyone but administrators.
func adminLinks(ctx context.Context, a domain.Actor) []pages.AdminLink {
	var links []pages.AdminLink
	for _, sec := range adminSections {
		if domain.Allowed(a, sec.action, domain.OnInstance()) {
			links = append(links, pages.AdminLink{ID: sec.id, URL: sec.url,
				Label: i18n.T(ctx, "admin."+sec.id), Description: i18n.T(ctx, "admin."+sec.id+".description")})
		}
	}
	return links
}

// handleAdminIndex links to the administration's lists. Someone allowed
// none of them gets 403, as on the lists themselves.
func (s *Server) handleAdminIndex(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	ctx := r.Context()
	links := adminLinks(ctx, a)
	if len(links) == 0 {
		return domain.Can(a, adminSections[0].action, domain.OnInstance())
	}
	v := pages.AdminIndexView{Shell: s.shell(w, r, i18n.T(ctx, "admin.title")), Links: links}
	return s.render(w, r, http.StatusOK, pages.AdminIndex(v))
}
