package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/components"
)

// No lost work when a session ends while a form is open: the request
// form's POST, arriving signed out, is kept server-side (service.StashForm)
// for the user who last signed in on this browser, the browser is sent to
// sign in, and after signing in as that user the form comes back with
// what was typed, not submitted: they check it and save. The browser
// marker and the kept form's key are random secrets in HttpOnly cookies;
// the database holds only their hashes; the kept body is never logged.

const (
	markerCookie = "cmcoord_browser" // who last signed in here (service.MarkBrowser)
	// deviceCookie is this browser's trusted-device token
	// (service.TrustDevice): the account's failed sign-ins from here
	// count apart from a stranger's. Kept across sign-outs.
	deviceCookie = "cmcoord_device"
	keptCookie   = "cmcoord_kept" // the key of the form kept here
	// Session keys of a kept form handed back, until its page shows it.
	sessionKeptPath = "kept_path"
	sessionKeptBody = "kept_body"
)

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: s.secureCookies, SameSite: http.SameSiteLaxMode}
	if maxAge < 0 {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

func cookieValue(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}

// keepTyping guards the POST of a form that is long to fill: signed out
// (the session expired or was ended meanwhile), what was posted is kept
// for this browser's last user and the browser goes to sign in, coming
// back to the form afterwards. Signed in, the route runs as usual.
func (s *Server) keepTyping(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !actor(r).Anonymous() || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		login := "/login?next=" + urlQueryEscape(r.URL.Path)
		if err := parseForm(w, r); err == nil {
			id, err := s.access.StashForm(r.Context(), cookieValue(r, markerCookie), r.URL.Path, r.PostForm.Encode())
			if err != nil {
				s.renderError(w, r, err)
				return
			}
			if id != "" {
				s.setCookie(w, keptCookie, id, service.StashLifetime)
				s.setFlash(w, components.FlashWarning, "kept.signed_out")
			}
		}
		http.Redirect(w, r, login, http.StatusSeeOther)
	})
}

// afterSignIn marks this browser as userID's (the kept forms' marker, and
// a trusted device for sign-in's limits) and, when a form was kept
// here for userID, hands it to the new session and returns the page to
// show it on ("" for none). A form kept for someone else is discarded.
func (s *Server) afterSignIn(w http.ResponseWriter, r *http.Request, userID int64) (string, error) {
	ctx := r.Context()
	marker := service.NewSecret()
	if err := s.access.MarkBrowser(ctx, userID, marker); err != nil {
		return "", err
	}
	s.setCookie(w, markerCookie, marker, service.MarkerLifetime)
	device, err := s.access.TrustDevice(ctx, userID, cookieValue(r, deviceCookie))
	if err != nil {
		return "", err
	}
	s.setCookie(w, deviceCookie, device, service.DeviceLifetime)
	id := cookieValue(r, keptCookie)
	if id == "" {
		return "", nil
	}
	s.setCookie(w, keptCookie, "", -1)
	path, body, ok, err := s.access.TakeStash(ctx, userID, id)
	if err != nil || !ok {
		return "", err
	}
	s.sessions.Put(ctx, sessionKeptPath, path)
	s.sessions.Put(ctx, sessionKeptBody, body)
	return path, nil
}

// keptValues returns, once, the form kept for the page being shown.
func (s *Server) keptValues(r *http.Request) (url.Values, bool) {
	ctx := r.Context()
	if s.sessions.GetString(ctx, sessionKeptPath) != r.URL.Path {
		return nil, false
	}
	body := s.sessions.PopString(ctx, sessionKeptBody)
	s.sessions.Remove(ctx, sessionKeptPath)
	v, err := url.ParseQuery(body)
	if err != nil {
		return nil, false
	}
	v.Del("intent") // shown again, never submitted by itself
	return v, true
}

// keptVersion is the version a kept form was loaded with, or 0.
func keptVersion(v url.Values) int {
	n, err := strconv.Atoi(v.Get("version"))
	if err != nil || n < 1 {
		return 0
	}
	return n
}
