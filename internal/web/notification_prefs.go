package web

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// handleNotificationPrefsShow shows the user's notification preferences.
func (s *Server) handleNotificationPrefsShow(w http.ResponseWriter, r *http.Request) error {
	prefs, err := s.notifications.Preferences(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, pages.NotificationPrefs(s.notificationPrefsView(w, r, prefs)))
}

func (s *Server) notificationPrefsView(w http.ResponseWriter, r *http.Request, prefs []service.NoticePreference) pages.NotificationPrefsView {
	ctx := r.Context()
	v := pages.NotificationPrefsView{Shell: s.shell(w, r, i18n.T(ctx, "preferences.title"))}
	for _, p := range prefs {
		row := pages.PrefRow{Kind: string(p.Kind), Label: i18n.T(ctx, "preferences.kind."+string(p.Kind))}
		for _, d := range []domain.Delivery{domain.DeliveryInApp, domain.DeliveryEmail, domain.DeliveryDigest} {
			row.Options = append(row.Options, pages.PrefOption{ID: "pref-" + string(p.Kind) + "-" + string(d),
				Value: string(d), Label: i18n.T(ctx, "preferences.delivery."+string(d)),
				Checked: p.Delivery == d, Default: p.Default == d})
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// handleNotificationPrefsSave saves every choice of the form (fields
// "pref.<kind>") in one service call.
func (s *Server) handleNotificationPrefsSave(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	choices := map[domain.NoticeKind]domain.Delivery{}
	for name, vals := range r.PostForm {
		if kind, ok := strings.CutPrefix(name, "pref."); ok && len(vals) > 0 {
			choices[domain.NoticeKind(kind)] = domain.Delivery(vals[0])
		}
	}
	if _, err := s.notifications.SetPreferences(r.Context(), actor(r), choices); err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "preferences.saved")
	http.Redirect(w, r, "/profile/notifications", http.StatusSeeOther)
	return nil
}

// handleUnsubscribeShow is a GET on a digest's one-click unsubscribe
// link: it asks for confirmation and changes nothing (a mail scanner
// that follows links must not unsubscribe anyone). An invalid link is
// 404.
func (s *Server) handleUnsubscribeShow(w http.ResponseWriter, r *http.Request) error {
	token := chi.URLParam(r, "token")
	lang, err := s.notifications.CheckUnsubscribe(r.Context(), token)
	if err != nil {
		return err
	}
	r = s.inLinkLanguage(r, lang)
	v := pages.UnsubscribeView{Shell: s.shell(w, r, i18n.T(r.Context(), "unsubscribe.title")),
		Action: "/unsubscribe/digest/" + token}
	return s.render(w, r, http.StatusOK, pages.Unsubscribe(v))
}

// handleUnsubscribe is the one-click unsubscribe (RFC 8058): the POST a
// mail client sends ("List-Unsubscribe=One-Click"), or the confirmation
// page's form. It needs no session; it answers 200 with the page, in the
// token's user's language as the confirmation page.
func (s *Server) handleUnsubscribe(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	token := chi.URLParam(r, "token")
	lang, err := s.notifications.CheckUnsubscribe(r.Context(), token)
	if err != nil {
		return err
	}
	if _, err := s.notifications.UnsubscribeDigest(r.Context(), token); err != nil {
		return err
	}
	r = s.inLinkLanguage(r, lang)
	v := pages.UnsubscribeView{Shell: s.shell(w, r, i18n.T(r.Context(), "unsubscribe.title")), Done: true}
	return s.render(w, r, http.StatusOK, pages.Unsubscribe(v))
}

// inLinkLanguage returns r speaking lang, the language of the user an
// e-mailed link was made for, unless the visitor chose one with the
// language switcher or is signed in (their own applies): the link's
// page speaks as the e-mail did (as renderSetPassword does).
func (s *Server) inLinkLanguage(r *http.Request, lang string) *http.Request {
	if httpface.CookieLanguage(r) != "" || !actor(r).Anonymous() || s.catalog == nil {
		return r
	}
	return r.WithContext(i18n.WithLocalizer(r.Context(), s.catalog.Localizer(lang, r.Header.Get("Accept-Language"))))
}
