package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// sessionsView lists the signed-in user's sessions for the profile.
func (s *Server) sessionsView(r *http.Request) (pages.SessionsView, error) {
	ctx := r.Context()
	list, err := s.access.ListSessions(ctx, actor(r), s.sessions.Token(ctx))
	if err != nil {
		return pages.SessionsView{}, err
	}
	v := pages.SessionsView{Idle: inWords(ctx, s.access.SessionIdle), Lifetime: inWords(ctx, s.sessions.Lifetime),
		NoPassword: !actor(r).HasPassword}
	for _, u := range list {
		id := strconv.FormatInt(u.ID, 10)
		row := pages.SessionRow{ID: id, Device: u.Device, Address: u.Address, Current: u.Current,
			Started: displayTime(ctx, u.CreatedAt), LastSeen: displayTime(ctx, u.LastSeenAt)}
		if !u.Current {
			row.EndURL = "/profile/sessions/" + id + "/end"
			v.EndOthersURL = "/profile/sessions/end-others"
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

// inWords is a session timeout in whole hours, else whole minutes, in
// the reader's language.
func inWords(ctx context.Context, d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		return i18n.FromContext(ctx).N("sessions.hours", int(d/time.Hour))
	}
	return i18n.FromContext(ctx).N("sessions.minutes", int(d.Round(time.Minute)/time.Minute))
}

// handleSessionEnd ends one of the user's sessions at once; anyone
// else's is 404. Ending this very session signs out here too.
func (s *Server) handleSessionEnd(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	if err := s.access.EndSession(r.Context(), actor(r), id); err != nil {
		return err
	}
	// Was it this one? Then it must not be written back at the end of
	// this response: destroy it here as sign-out does.
	ctx := r.Context()
	if err := s.access.SeeSession(ctx, s.sessions.Token(ctx), middleware.GetClientIP(ctx)); domain.ErrorCode(err) == domain.CodeUnauthorized {
		if err := s.sessions.Destroy(ctx); err != nil {
			return err
		}
		s.setFlash(w, components.FlashInfo, "logout.done")
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	} else if err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "sessions.ended")
	http.Redirect(w, r, "/profile#sessions-h", http.StatusSeeOther)
	return nil
}

// handleSessionsEndOthers signs out every other browser of the user,
// keeping this one.
func (s *Server) handleSessionsEndOthers(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if _, err := s.access.EndOtherSessions(ctx, actor(r), s.sessions.Token(ctx)); err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "sessions.others_ended")
	http.Redirect(w, r, "/profile#sessions-h", http.StatusSeeOther)
	return nil
}
