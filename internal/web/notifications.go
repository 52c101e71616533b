package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// notificationsShown is how many notifications the page lists.
const notificationsShown = 50

// handleNotificationList shows the user's latest notifications, newest
// first.
func (s *Server) handleNotificationList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	list, err := s.notifications.List(ctx, actor(r), notificationsShown)
	if err != nil {
		return err
	}
	v := pages.NotificationsView{Shell: s.shell(w, r, i18n.T(ctx, "notifications.title"))}
	// The count comes from the shell's own query; a notification that
	// arrived in between may make it larger than the list suggests.
	if unread := v.Shell.Unread; unread > 0 && len(list) > 0 {
		key, n := "notifications.unread_summary", unread
		if shown, more := domain.UnreadShown(unread); more {
			key, n = "notifications.unread_summary_more", shown
		}
		v.UnreadText = components.N(ctx, key, n)
		v.MarkReadURL = "/notifications/read"
		v.UpToID = strconv.FormatInt(list[0].ID, 10)
	} else {
		v.UnreadText = i18n.T(ctx, "notifications.all_read")
	}
	if len(list) == notificationsShown {
		v.LatestText = components.N(ctx, "notifications.latest", notificationsShown)
	}
	for _, n := range list {
		v.Items = append(v.Items, s.notificationItem(ctx, n))
	}
	return s.render(w, r, http.StatusOK, pages.Notifications(v))
}

// summaryFields are the template fields the notifications.kind.* messages
// may use; one a notification lacks reads as empty.
var summaryFields = []string{"Reference", "Title", "Deadline", "Outcome", "Reason", "Turnout", "RequiredBy", "At", "Address", "TokenName", "Change",
	"Starts", "Ends", "NamedBy", "Author"}

func (s *Server) notificationItem(ctx context.Context, n domain.Notification) pages.NotificationItem {
	item := pages.NotificationItem{
		ID:          strconv.FormatInt(n.ID, 10),
		Unread:      n.Unread(),
		State:       i18n.T(ctx, "notifications.state_read"),
		Reference:   n.Data["Reference"],
		Title:       n.Data["Title"],
		Received:    displayTime(ctx, n.CreatedAt),
		ReceivedISO: n.CreatedAt.UTC().Format(time.RFC3339),
	}
	if item.Unread {
		item.State = i18n.T(ctx, "notifications.state_unread")
	}
	switch {
	case n.Kind.Account():
		item.URL, item.Title = "/profile", i18n.T(ctx, "notifications.account_title")
	case n.RequestID != 0:
		item.URL = "/requests/" + strconv.FormatInt(n.RequestID, 10)
	case n.Kind == domain.NoticeActingHC:
		item.URL = "/operations/" + url.PathEscape(n.Data["Reference"]) + "/acting-hc"
	}
	vals := make(map[string]string, len(summaryFields)+len(n.Data))
	for _, f := range summaryFields {
		vals[f] = ""
	}
	for k, v := range n.Data {
		vals[k] = v
	}
	// An outcome is stored as a code (passed, approved…): say it in words.
	if o := vals["Outcome"]; o != "" && s.catalog.Has("notify.outcome."+o) {
		vals["Outcome"] = i18n.T(ctx, "notify.outcome."+o)
	}
	loc := i18n.FromContext(ctx)
	for _, k := range []string{"Deadline", "RequiredBy", "At", "Starts", "Ends"} {
		vals[k] = loc.StoredTime(vals[k])
	}
	kv := make([]any, 0, 2*len(vals))
	for k, v := range vals {
		kv = append(kv, k, v)
	}
	key := "notifications.kind." + string(n.Kind)
	if !s.catalog.Has(key) {
		key = "notifications.kind.other"
	}
	item.Summary = i18n.T(ctx, key, kv...)
	return item
}

// handleNotificationsRead marks the user's notifications read up to the
// newest the page showed (all of them when the form names none).
func (s *Server) handleNotificationsRead(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	var upTo int64
	if raw := strings.TrimSpace(r.PostForm.Get("up_to")); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 0 {
			return domain.Errorf(domain.CodeMalformed, "error.malformed")
		}
		upTo = n
	}
	if _, err := s.notifications.MarkRead(r.Context(), actor(r), upTo); err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "notifications.marked_read")
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
	return nil
}
