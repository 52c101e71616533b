package api

import (
	"net/http"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/reqctx"
)

// sessionDTO is one of the caller's browser sessions; its token never
// leaves the server.
type sessionDTO struct {
	ID         int64     `json:"id"`
	Device     string    `json:"device"`
	Address    string    `json:"address"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	Current    bool      `json:"current"`
}

func newSessionDTO(s domain.UserSession) sessionDTO {
	return sessionDTO{ID: s.ID, Device: s.Device, Address: s.Address, CreatedAt: utc(s.CreatedAt),
		LastSeenAt: utc(s.LastSeenAt), Current: s.Current}
}

// sessionToken is the calling browser's session token when it called
// with its session cookie; "" for an API token.
func (a *API) sessionToken(r *http.Request) string {
	if a.sessions == nil || reqctx.From(r.Context()).Via != reqctx.ViaSession {
		return ""
	}
	return a.sessions.Token(r.Context())
}

func (a *API) handleSessionList(w http.ResponseWriter, r *http.Request) error {
	list, err := a.access.ListSessions(r.Context(), actor(r), a.sessionToken(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(list, newSessionDTO))
}

// handleSessionEnd ends one of the caller's sessions at once; another
// user's is 404. Ending the calling browser's own session signs it out.
func (a *API) handleSessionEnd(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.access.EndSession(r.Context(), actor(r), id); err != nil {
		return err
	}
	if token := a.sessionToken(r); token != "" {
		// Its own? Then it must not be written back with this response.
		if err := a.access.SeeSession(r.Context(), token, actor(r).Address); domain.ErrorCode(err) == domain.CodeUnauthorized {
			if err := a.sessions.Destroy(r.Context()); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	return writeNoContent(w)
}
