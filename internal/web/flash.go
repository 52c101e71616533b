package web

import (
	"net/http"
	"strings"

	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
)

// flashCookie carries a one-time message across a POST → redirect → GET.
// It holds only a kind and a message ID from the catalogue, never text, so
// it cannot be used to inject content and holds nothing secret; no server
// memory is involved, so any instance can show it.
const flashCookie = "cmcoord_flash"

var flashKinds = map[components.FlashKind]bool{
	components.FlashSuccess: true, components.FlashInfo: true,
	components.FlashWarning: true, components.FlashError: true,
}

// setFlash queues the message id (an i18n key) for the next page.
func (s *Server) setFlash(w http.ResponseWriter, kind components.FlashKind, id string) {
	http.SetCookie(w, s.flashCookie(kind, id))
}

// flashCookie is the cookie that queues message id for the next page.
func (s *Server) flashCookie(kind components.FlashKind, id string) *http.Cookie {
	return &http.Cookie{
		Name: flashCookie, Value: string(kind) + ":" + id, Path: "/", MaxAge: 300,
		HttpOnly: true, Secure: s.secureCookies, SameSite: http.SameSiteLaxMode,
	}
}

// takeFlash returns the queued message, if any, and clears it. A cookie
// naming an unknown kind or message is dropped silently.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) *components.Flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{
		Name: flashCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secureCookies, SameSite: http.SameSiteLaxMode,
	})
	kind, id, ok := strings.Cut(c.Value, ":")
	if !ok || !flashKinds[components.FlashKind(kind)] || !s.catalog.Has(id) {
		return nil
	}
	return &components.Flash{Kind: components.FlashKind(kind), Message: i18n.T(r.Context(), id)}
}
