package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// mailURL is the administrators' e-mail queue page.
const mailURL = "/admin/mail"

// mailListURL is the queue page listing state ("" for all), older than
// message before when before > 0.
func mailListURL(state domain.MailState, before int64) string {
	q := url.Values{}
	if state != "" {
		q.Set("state", string(state))
	}
	if before > 0 {
		q.Set("before", strconv.FormatInt(before, 10))
	}
	if len(q) == 0 {
		return mailURL
	}
	return mailURL + "?" + q.Encode()
}

// handleMailQueue shows a page of the e-mail outbox (administrators
// only, as the service decides): ?state=queued|failed|sent filters,
// ?before=N pages back. A state it does not know lists every message.
func (s *Server) handleMailQueue(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	state := domain.MailState(q.Get("state"))
	if !slices.Contains(domain.MailStates, state) {
		state = ""
	}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	page, err := s.directory.MailQueue(ctx, actor(r), state, before, 0)
	if err != nil {
		return err
	}
	v := pages.AdminMailView{Shell: s.shell(w, r, i18n.T(ctx, "mailq.title"))}
	v.Filters = append(v.Filters, pages.AdminMailFilter{ID: "all", Label: i18n.T(ctx, "mailq.all"), URL: mailURL, Current: state == ""})
	for _, st := range domain.MailStates {
		v.Filters = append(v.Filters, pages.AdminMailFilter{ID: string(st), Label: i18n.T(ctx, "mailq.state."+string(st)),
			URL: mailListURL(st, 0), Current: st == state})
	}
	for _, m := range page.Items {
		row := pages.AdminMailRow{ID: strconv.FormatInt(m.ID, 10), StateCode: string(m.State()),
			State: i18n.T(ctx, "mailq.state."+string(m.State())), To: visible(m.To), Subject: visible(m.Subject),
			Attempts: i18n.FromContext(ctx).Number(m.Attempts), Created: displayTime(ctx, m.CreatedAt), LastError: visible(m.LastError)}
		if domain.CheckRetry(m) == nil {
			row.RetryURL = mailURL + "/" + row.ID + "/retry"
		}
		switch m.State() {
		case domain.MailQueued:
			row.When = i18n.T(ctx, "mailq.next_attempt", "At", displayTime(ctx, m.NextAttemptAt))
		case domain.MailFailed:
			row.When = i18n.T(ctx, "mailq.given_up", "At", displayTime(ctx, m.FailedAt))
		case domain.MailSent:
			row.When = i18n.T(ctx, "mailq.sent_at", "At", displayTime(ctx, m.SentAt))
		}
		v.Rows = append(v.Rows, row)
	}
	if page.Before > 0 {
		v.OlderURL = mailListURL(state, page.Before)
	}
	if before > 0 {
		v.NewestURL = mailListURL(state, 0)
	}
	return s.render(w, r, http.StatusOK, pages.AdminMail(v))
}

// handleMailRetry makes a given-up message due again at once and comes
// back to the failed list with a flash; the directory log records it.
func (s *Server) handleMailRetry(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	if err := s.directory.RetryMail(r.Context(), actor(r), id); err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "mailq.retried_flash")
	http.Redirect(w, r, mailListURL(domain.MailFailed, 0), http.StatusSeeOther)
	return nil
}
