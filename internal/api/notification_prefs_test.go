package api_test

import (
	"net/http"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

type notificationPrefsJSON struct {
	Items []struct {
		Kind     string `json:"kind"`
		Delivery string `json:"delivery"`
		Default  string `json:"default"`
	} `json:"items"`
}

func (p notificationPrefsJSON) of(kind string) (delivery, def string) {
	for _, it := range p.Items {
		if it.Kind == kind {
			return it.Delivery, it.Default
		}
	}
	return "", ""
}

// TestNotificationPreferences: GET lists the kinds the caller's roles
// receive with their defaults; PUT changes the kinds it names, keeps the
// others, and round-trips; a bad kind or delivery is 422 and changes
// nothing; a read-only token may read but not change them.
func TestNotificationPreferences(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.mustOperation(t, "NPL-EQ-2015")
	u := f.mustUser(t, "rita@example.org")
	f.mustMember(t, "NPL-EQ-2015", u, domain.RoleRequester)
	token := f.mustToken(t, u)

	got := decode[notificationPrefsJSON](t, f.call(t, req{Method: "GET", Path: "/me/notification-preferences", Token: token}).want(t, http.StatusOK))
	if d, def := got.of("decision"); d != "email" || def != "email" {
		t.Errorf("decision = %s (default %s), want email", d, def)
	}
	if d, _ := got.of("comment"); d != "digest" {
		t.Errorf("comment = %s, want digest", d)
	}
	if d, _ := got.of("submitted"); d != "" {
		t.Errorf("a requester is offered the officers' submitted kind")
	}

	put := func(prefs map[string]string, status int) notificationPrefsJSON {
		t.Helper()
		r := f.call(t, req{Method: "PUT", Path: "/me/notification-preferences", Token: token,
			Body: map[string]any{"preferences": prefs}}).want(t, status)
		if status != http.StatusOK {
			return notificationPrefsJSON{}
		}
		return decode[notificationPrefsJSON](t, r)
	}
	got = put(map[string]string{"decision": "digest", "comment": "inapp"}, http.StatusOK)
	if d, def := got.of("decision"); d != "digest" || def != "email" {
		t.Errorf("after PUT, decision = %s (default %s), want digest (default email)", d, def)
	}
	got = put(map[string]string{"tasked": "inapp"}, http.StatusOK)
	if d, _ := got.of("decision"); d != "digest" {
		t.Errorf("a kind not named changed: decision = %s", d)
	}
	again := decode[notificationPrefsJSON](t, f.call(t, req{Method: "GET", Path: "/me/notification-preferences", Token: token}).want(t, http.StatusOK))
	for _, k := range []string{"decision", "comment", "tasked", "returned"} {
		a, _ := again.of(k)
		b, _ := got.of(k)
		if a != b {
			t.Errorf("GET after PUT: %s = %s, PUT answered %s", k, a, b)
		}
	}
	put(map[string]string{"decision": "pigeon"}, http.StatusUnprocessableEntity)
	put(map[string]string{"account_password": "inapp"}, http.StatusUnprocessableEntity)
	put(map[string]string{"no_such_kind": "email"}, http.StatusUnprocessableEntity)
	if d, _ := decode[notificationPrefsJSON](t, f.call(t, req{Method: "GET", Path: "/me/notification-preferences", Token: token}).want(t, http.StatusOK)).of("decision"); d != "digest" {
		t.Errorf("a refused PUT changed decision to %s", d)
	}
	f.call(t, req{Method: "PUT", Path: "/me/notification-preferences", Body: map[string]any{"preferences": map[string]string{}}}).want(t, http.StatusUnauthorized)
}
