package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// handlerFunc is an HTTP handler that returns its failure instead of
// writing it; handle renders the failure once, in one place.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.renderError(w, r, err)
		}
	}
}

// titleOf maps a status to the i18n key stem of its error page.
var titleOf = map[int]string{
	http.StatusBadRequest:            "error.malformed",
	http.StatusRequestEntityTooLarge: "error.too_large",
	http.StatusUnauthorized:          "error.unauthorized",
	http.StatusForbidden:             "error.forbidden",
	http.StatusNotFound:              "error.not_found",
	http.StatusMethodNotAllowed:      "error.method_not_allowed",
	http.StatusConflict:              "error.conflict",
	http.StatusUnprocessableEntity:   "error.invalid",
	http.StatusGatewayTimeout:        "error.timeout",
	http.StatusTooManyRequests:       "error.rate_limited",
	http.StatusServiceUnavailable:    "error.unavailable",
	http.StatusInternalServerError:   "error.internal",
}

// renderError shows err as a page with the status its code maps to.
// Internal errors are logged here, once, with the request ID; the user
// sees the request ID and never the error's text.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	if httpface.ClientGone(w, r, err) {
		return
	}
	status, ok := httpface.Status(domain.ErrorCode(err))
	if ps := (*pageStatus)(nil); errors.As(err, &ps) {
		status, ok = ps.status, true
	}
	httpface.SetRetryAfter(w.Header(), err)
	switch {
	case httpface.TimedOut(r):
		status = http.StatusGatewayTimeout
		logger(r.Context()).WarnContext(r.Context(), "request timed out", "err", err)
		err = nil
	case domain.ErrorCode(err) == domain.CodeUnauthorized && r.Method == http.MethodGet:
		// A page that needs a signed-in user: go and sign in, then come back.
		http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	case !ok:
		status = http.StatusInternalServerError
		if !errors.Is(err, httpface.ErrPanic) { // a panic is logged with its stack
			logger(r.Context()).ErrorContext(r.Context(), "request failed", "err", err)
		}
		err = nil // never shown
	}
	s.renderErrorPage(w, r, status, err)
}

// errorPageLookups bounds the database lookups of an error page's header
// (the operations, the unread count) once the request's own time is up.
const errorPageLookups = 500 * time.Millisecond

// renderErrorPage writes the error page for status. A *domain.Error's
// message key replaces the generic text when it has a translation.
func (s *Server) renderErrorPage(w http.ResponseWriter, r *http.Request, status int, err error) {
	if r.Context().Err() != nil {
		// The request's time is up (or its client gone): the page still
		// renders, its header's lookups bounded anew and short, so a hung
		// database costs them, never the page.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), errorPageLookups)
		defer cancel()
		r = r.WithContext(ctx)
	}
	if i18n.FromContext(r.Context()) == nil { // failures before the localize middleware ran
		r = r.WithContext(i18n.WithLocalizer(r.Context(), s.catalog.Localizer(r.Header.Get("Accept-Language"))))
	}
	ctx := r.Context()
	stem, ok := titleOf[status]
	if !ok {
		stem = "error.internal"
	}
	msg := i18n.T(ctx, stem)
	var de *domain.Error
	if errors.As(err, &de) && s.catalog.Has(de.Message) && de.Message != stem {
		msg = i18n.Data(ctx, de.Message, de.Data)
	}
	v := pages.ErrorView{
		Shell:     s.shellWithoutFlash(r, i18n.T(ctx, stem+".title")),
		Status:    status,
		Title:     i18n.T(ctx, stem+".title"),
		Message:   msg,
		RequestID: middleware.GetReqID(ctx),
	}
	if rerr := s.render(w, r, status, pages.Error(v)); rerr != nil {
		logger(ctx).ErrorContext(ctx, "render error page", "err", rerr)
		http.Error(w, http.StatusText(status), status)
	}
}

// render renders c into a buffer first, so a template failure becomes a
// clean 500 rather than half a page with status 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer putPageBuffer(buf)
	// Each POST form gets a fresh idempotency key (components.FormKey).
	if err := c.Render(components.WithFormKeys(r.Context(), newIdempotencyKey), buf); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages can hold restricted data once sign-in exists: never cache them
	// in shared caches, and revalidate in the browser.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// pageBuffers are the buffers pages render into: a list page is 40 KiB,
// grown in steps and dropped after every request otherwise.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer bounds what a buffer may keep for the next page: one
// exceptional page (a long history) is not held for ever.
const maxPooledBuffer = 256 << 10

func putPageBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	pageBuffers.Put(b)
}

// shell builds the page frame for r: navigation for the viewer, and the
// pending flash message (consumed by this render).
func (s *Server) shell(w http.ResponseWriter, r *http.Request, title string) components.Shell {
	sh := s.shellWithoutFlash(r, title)
	sh.Flash = s.takeFlash(w, r)
	sh.Saved = s.takeSaved(w, r)
	return sh
}

// shellWithoutFlash is shell leaving the flash for the next page: an
// error page never shows (or uses up) what an earlier step reported.
func (s *Server) shellWithoutFlash(r *http.Request, title string) components.Shell {
	ctx := r.Context()
	a := actor(r)
	nav := []components.NavItem{
		{Label: i18n.T(ctx, "nav.home"), URL: "/", Current: r.URL.Path == "/"},
	}
	unread := 0
	if !a.Anonymous() {
		// The unread count is in the link's words, never in colour alone.
		unread = s.unreadCount(r)
		label := i18n.T(ctx, "nav.notifications")
		switch shown, more := domain.UnreadShown(unread); {
		case more:
			label = components.N(ctx, "nav.notifications_unread_more", shown)
		case shown > 0:
			label = components.N(ctx, "nav.notifications_unread", shown)
		}
		nav = append(nav, components.NavItem{Label: label, URL: "/notifications", Current: r.URL.Path == "/notifications"})
		nav = append(nav, components.NavItem{Label: i18n.T(ctx, "nav.profile"), URL: "/profile", Current: r.URL.Path == "/profile"})
		if a.IsAdmin {
			nav = append(nav, components.NavItem{Label: i18n.T(ctx, "nav.admin"), URL: "/admin", Current: strings.HasPrefix(r.URL.Path, "/admin")})
		}
	}
	var ops []components.NavItem
	for _, o := range a.Operations {
		url := "/operations/" + o.Code
		ops = append(ops, components.NavItem{Label: o.Code, URL: url,
			Current: r.URL.Path == url || strings.HasPrefix(r.URL.Path, url+"/")})
	}
	langs := slices.Clone(s.languages)
	for i := range langs {
		langs[i].Current = langs[i].Code == i18n.FromContext(ctx).Lang()
	}
	version := s.version
	if a.Anonymous() { // nothing diagnostic for anonymous visitors
		version = ""
	}
	sh := components.Shell{
		Languages:  langs,
		Return:     r.URL.RequestURI(),
		Operations: ops,
		Title:      title,
		Nav:        nav,
		Version:    version,
		UserName:   a.Name,
		SignedIn:   !a.Anonymous(),
		Unread:     unread,
	}
	s.offlineShell(r, &sh)
	return sh
}

// unreadCount is the signed-in user's unread notifications for the
// header. A failure costs the count, never the page: it is logged.
func (s *Server) unreadCount(r *http.Request) int {
	if s.notifications == nil {
		return 0
	}
	n, err := s.notifications.UnreadCount(r.Context(), actor(r))
	if err != nil && r.Context().Err() == nil {
		logger(r.Context()).WarnContext(r.Context(), "unread notifications count", "err", err)
	}
	return n
}

// formStatus is the status of a refusal shown on the form that made it
// (bad input, a stale edit, an attempt a limit turned away), with
// Retry-After set when the refusal says when to try again.
func formStatus(w http.ResponseWriter, err error) int {
	status, _ := httpface.Status(domain.ErrorCode(err))
	httpface.SetRetryAfter(w.Header(), err)
	return status
}
