package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// sessionJSON mirrors the documented Session.
type sessionJSON struct {
	ID         int64     `json:"id"`
	Device     string    `json:"device"`
	Address    string    `json:"address"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	Current    bool      `json:"current"`
}

type sessionList struct {
	Items []sessionJSON `json:"items"`
}

// TestSessions: the caller's browser sessions, listed with a token or
// the session cookie (which marks its own), ended one by one; another
// user's is 404 however asked.
func TestSessions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.mustUser(t, "traveller@example.org")
	token := f.mustToken(t, u)
	laptop, phone := f.signIn(t, u.Email), f.signIn(t, u.Email)
	adminBrowser := f.signIn(t, "admin@example.org")
	// Same-origin, as the browser's own pages would call.
	sameSite := map[string]string{"Sec-Fetch-Site": "same-origin"}

	byToken := decode[sessionList](t, f.call(t, req{Method: "GET", Path: "/me/sessions", Token: token}).want(t, http.StatusOK))
	if len(byToken.Items) != 2 {
		t.Fatalf("sessions = %+v, want the two browsers", byToken.Items)
	}
	for _, s := range byToken.Items {
		if s.Current || s.Address != "127.0.0.1" || s.Device != "Go-http-client 1" || s.LastSeenAt.Before(s.CreatedAt) {
			t.Errorf("with a token: %+v, want none current, the address and the client", s)
		}
	}
	mine := decode[sessionList](t, f.call(t, req{Method: "GET", Path: "/me/sessions", Client: laptop, Header: sameSite}).want(t, http.StatusOK))
	var laptopID, phoneID int64
	for _, s := range mine.Items {
		if s.Current {
			laptopID = s.ID
		} else {
			phoneID = s.ID
		}
	}
	if laptopID == 0 || phoneID == 0 {
		t.Fatalf("with the laptop's cookie: %+v, want it marked current", mine.Items)
	}

	t.Run("ErrAnotherUsersSession", func(t *testing.T) {
		admins := decode[sessionList](t, f.call(t, req{Method: "GET", Path: "/me/sessions", Token: f.adminToken}).want(t, http.StatusOK))
		if len(admins.Items) != 1 {
			t.Fatalf("admin's sessions = %+v", admins.Items)
		}
		for _, rq := range []req{
			{Method: "DELETE", Path: fmt.Sprintf("/me/sessions/%d", admins.Items[0].ID), Token: token},
			{Method: "DELETE", Path: fmt.Sprintf("/me/sessions/%d", admins.Items[0].ID), Client: laptop, Header: sameSite},
			{Method: "DELETE", Path: "/me/sessions/999999", Token: token},
			{Method: "DELETE", Path: "/me/sessions/nope", Token: token},
		} {
			f.call(t, rq).wantError(t, http.StatusNotFound, "not_found", nil)
		}
		f.call(t, req{Method: "GET", Path: "/me", Client: adminBrowser, Header: sameSite}).want(t, http.StatusOK)
	})
	t.Run("OKEnd", func(t *testing.T) {
		f.call(t, req{Method: "DELETE", Path: fmt.Sprintf("/me/sessions/%d", phoneID), Client: laptop, Header: sameSite}).want(t, http.StatusNoContent)
		f.call(t, req{Method: "GET", Path: "/me", Client: phone, Header: sameSite}).wantError(t, http.StatusUnauthorized, "unauthorized", nil)
		f.call(t, req{Method: "GET", Path: "/me", Client: laptop, Header: sameSite}).want(t, http.StatusOK)
		f.call(t, req{Method: "DELETE", Path: fmt.Sprintf("/me/sessions/%d", phoneID), Token: token}).wantError(t, http.StatusNotFound, "not_found", nil)
		// Ending its own session signs the browser out.
		f.call(t, req{Method: "DELETE", Path: fmt.Sprintf("/me/sessions/%d", laptopID), Client: laptop, Header: sameSite}).want(t, http.StatusNoContent)
		f.call(t, req{Method: "GET", Path: "/me", Client: laptop, Header: sameSite}).wantError(t, http.StatusUnauthorized, "unauthorized", nil)
		left := decode[sessionList](t, f.call(t, req{Method: "GET", Path: "/me/sessions", Token: token}).want(t, http.StatusOK))
		if len(left.Items) != 0 {
			t.Fatalf("sessions left = %+v, want none", left.Items)
		}
	})
}
