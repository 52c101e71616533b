package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// notificationPrefDTO is one kind of notice the caller may receive, how
// they receive it and its default for their roles.
type notificationPrefDTO struct {
	Kind     string `json:"kind"`
	Delivery string `json:"delivery"`
	Default  string `json:"default"`
}

type notificationPrefsInput struct {
	// Preferences maps a kind to its delivery; kinds not named keep theirs.
	Preferences deliveryChoices `json:"preferences"`
}

// deliveryChoices is the preferences key: a delivery by kind.
type deliveryChoices map[string]string

// UnmarshalJSON decodes the choices one by one, so that a value of the
// wrong type is reported with its kind (preferences.comment):
// encoding/json names struct fields in its errors, never map keys.
func (c *deliveryChoices) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(deliveryChoices, len(raw))
	for kind, v := range raw {
		var d string
		if err := json.Unmarshal(v, &d); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				typeErr.Field = kind
			}
			return err
		}
		out[kind] = d
	}
	*c = out
	return nil
}

func newNotificationPrefDTO(p service.NoticePreference) notificationPrefDTO {
	return notificationPrefDTO{Kind: string(p.Kind), Delivery: string(p.Delivery), Default: string(p.Default)}
}

func (a *API) notificationsService() (*service.Notifications, error) {
	if a.notices == nil {
		return nil, domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	return a.notices, nil
}

// handleNotificationPrefsShow answers the caller's notification
// preferences, one per kind they may receive.
func (a *API) handleNotificationPrefsShow(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.notificationsService()
	if err != nil {
		return err
	}
	prefs, err := svc.Preferences(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(prefs, newNotificationPrefDTO))
}

// handleNotificationPrefsSet changes how the caller receives the kinds it
// names and answers the preferences as they now are.
func (a *API) handleNotificationPrefsSet(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.notificationsService()
	if err != nil {
		return err
	}
	var in notificationPrefsInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	choices := make(map[domain.NoticeKind]domain.Delivery, len(in.Preferences))
	for k, d := range in.Preferences {
		choices[domain.NoticeKind(k)] = domain.Delivery(d)
	}
	prefs, err := svc.SetPreferences(r.Context(), actor(r), choices)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(prefs, newNotificationPrefDTO))
}
