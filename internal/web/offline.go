package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// Offline drafts and local copies (issue 18, points 3 and 4), the server's
// side. With JavaScript, web/static/js/offline.js keeps an encrypted copy
// of every <form data-autosave="<key>"> while it is typed, and a new
// request submitted offline as a local draft sent when the connection is
// back; a service worker (/sw.js) keeps the form's page and the assets for
// offline use. The server gives each signed-in page the user's local key
// (Access.LocalDraftKey), says when a form's save succeeded (savedCookie)
// and serves the worker and the drafts page. Without JavaScript none of
// it runs and every form works as before.

// savedCookie names, for the page after a form's successful save, the
// autosave key of the form saved: the script then drops its local copy.
// It holds the key the form itself named, checked against autosaveKey.
const savedCookie = "cmcoord_saved"

// autosaveField is the field the script adds to an autosaved form when it
// is submitted: the form's data-autosave key.
const autosaveField = "autosave_key"

// autosaveKey is the shape of a form's autosave key: "new:NPL-EQ",
// "request:42:form", "request:42:need".
var autosaveKey = regexp.MustCompile(`^[a-z]+(?::[A-Za-z0-9_.-]{1,40}){1,3}$`)

// markSaved wraps a form's POST: when it ends in a redirect other than to
// the sign-in page (a save that succeeded), the next page is told the
// form's autosave key (savedCookie).
func (s *Server) markSaved(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Parsed here, as the handler would (its own parse is then a no-op):
		// the handlers below see copies of r, this one's PostForm included.
		if err := parseForm(w, r); err != nil {
			s.renderError(w, r, err)
			return
		}
		next.ServeHTTP(&savedWriter{ResponseWriter: w, r: r, s: s}, r)
	})
}

type savedWriter struct {
	http.ResponseWriter
	r       *http.Request
	s       *Server
	written bool
}

func (w *savedWriter) WriteHeader(status int) {
	if !w.written {
		w.written = true
		loc := w.Header().Get("Location")
		if status == http.StatusSeeOther && !strings.HasPrefix(loc, "/login") && w.r.PostForm != nil {
			if k := w.r.PostForm.Get(autosaveField); autosaveKey.MatchString(k) {
				http.SetCookie(w, &http.Cookie{Name: savedCookie, Value: k, Path: "/", MaxAge: 300,
					HttpOnly: true, Secure: w.s.secureCookies, SameSite: http.SameSiteLaxMode})
			}
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *savedWriter) Write(b []byte) (int, error) {
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *savedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// takeSaved returns the autosave key of the form saved just before, once.
func (s *Server) takeSaved(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(savedCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: savedCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secureCookies, SameSite: http.SameSiteLaxMode})
	if !autosaveKey.MatchString(c.Value) {
		return ""
	}
	return c.Value
}

// offlineShell adds to a signed-in page what the script needs: the user,
// their local key and its messages. A failure costs the offline features
// of this page, never the page: it is logged.
func (s *Server) offlineShell(r *http.Request, sh *components.Shell) {
	a, ctx := actor(r), r.Context()
	if a.Anonymous() {
		return
	}
	key, err := s.access.LocalDraftKey(ctx, a.UserID)
	if err != nil {
		logger(ctx).WarnContext(ctx, "local drafts key", "err", err)
		return
	}
	sh.UserID = strconv.FormatInt(a.UserID, 10)
	sh.LocalKey = base64.RawURLEncoding.EncodeToString(key)
	sh.OfflineStrings = offlineStrings(r)
	sh.Posted = r.Method == http.MethodPost
}

// offlineMessages are the script's messages, by the name it uses.
// Every signed-in page carries the form's and the header's; the drafts
// page, the list's (draftsMessages): the request form, the heaviest page,
// pays for no more than it shows.
var (
	offlineMessages = []string{"restored", "keep", "discard", "opened", "waiting"}
	draftsMessages  = []string{"none", "open", "delete", "send", "sent", "refused", "sign_in", "offline", "untitled", "kept_at"}
)

func offlineStrings(r *http.Request, names ...string) string {
	if len(names) == 0 {
		names = offlineMessages
	}
	m := make(map[string]string, len(names))
	for _, k := range names {
		m[k] = i18n.T(r.Context(), "offline."+k)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// handleServiceWorker serves the service worker at the root, so that its
// scope is the whole site. It names the build's hashed assets, so a
// deploy is a new worker that replaces the old cache; the browser asks
// for it again on every visit (no-cache).
func (s *Server) handleServiceWorker(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Service-Worker-Allowed", "/")
	body, etag := web.ServiceWorker()
	h.Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(body)
}

// handleLocalDrafts is the list of the drafts kept on this device. The
// server knows nothing of them: the page is a frame the script fills, and
// says, without JavaScript, that nothing is kept locally.
func (s *Server) handleLocalDrafts(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v := pages.LocalDraftsView{Shell: s.shell(w, r, i18n.T(ctx, "offline.drafts_title")), Strings: offlineStrings(r, draftsMessages...)}
	return s.render(w, r, http.StatusOK, pages.LocalDrafts(v))
}
