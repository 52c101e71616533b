package api

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// actingHCInput is the body of POST /operations/{code}/acting-hc.
// StartsAt is optional (now).
type actingHCInput struct {
	UserID   int64   `json:"user_id"`
	StartsAt *string `json:"starts_at"`
	EndsAt   string  `json:"ends_at"`
	Reason   string  `json:"reason"`
}

// domainInput checks the times' format (RFC 3339; 422 field.invalid, an
// empty ends_at field.required); the rest is the domain's to decide.
func (in actingHCInput) domainInput() (domain.ActingHCInput, error) {
	out := domain.ActingHCInput{UserID: in.UserID, Reason: in.Reason}
	if in.StartsAt != nil && *in.StartsAt != "" {
		t, err := time.Parse(time.RFC3339, *in.StartsAt)
		if err != nil || !representable(t) {
			return out, invalid("starts_at", "field.invalid")
		}
		out.StartsAt = t.UTC()
	}
	if in.EndsAt == "" {
		return out, invalid("ends_at", "field.required")
	}
	t, err := time.Parse(time.RFC3339, in.EndsAt)
	if err != nil || !representable(t) {
		return out, invalid("ends_at", "field.invalid")
	}
	out.EndsAt = t.UTC()
	return out, nil
}

// actingHCDTO is one acting HC period.
type actingHCDTO struct {
	ID       int64      `json:"id"`
	User     refDTO     `json:"user"`
	NamedBy  refDTO     `json:"named_by"`
	StartsAt time.Time  `json:"starts_at"`
	EndsAt   time.Time  `json:"ends_at"`
	Reason   string     `json:"reason"`
	EndedAt  *time.Time `json:"ended_at"`
	EndedBy  *refDTO    `json:"ended_by"`
}

// actingHCListDTO lists an operation's periods: running or to come
// first, then past ones, latest first.
type actingHCListDTO struct {
	listDTO[actingHCDTO]
	CanName bool `json:"can_name"`
}

func newActingHCDTO(p domain.ActingHC) actingHCDTO {
	out := actingHCDTO{ID: p.ID, User: refDTO{ID: p.UserID, Name: p.UserName}, NamedBy: refDTO{ID: p.NamedBy, Name: p.NamedByName},
		StartsAt: utc(p.StartsAt), EndsAt: utc(p.EndsAt), Reason: p.Reason, EndedAt: timeOrNil(p.EndedAt)}
	if p.EndedBy != 0 {
		out.EndedBy = &refDTO{ID: p.EndedBy, Name: p.EndedByName}
	}
	return out
}

func (a *API) handleActingHCList(w http.ResponseWriter, r *http.Request) error {
	page, err := a.directory.ActingHC(r.Context(), actor(r), chi.URLParam(r, "code"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, actingHCListDTO{listDTO: newList(page.Periods, newActingHCDTO), CanName: page.CanName})
}

func (a *API) handleActingHCName(w http.ResponseWriter, r *http.Request) error {
	var in actingHCInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	din, err := in.domainInput()
	if err != nil {
		if aerr := a.directory.MayNameActingHC(r.Context(), actor(r), chi.URLParam(r, "code")); aerr != nil {
			return aerr
		}
		return err
	}
	p, err := a.directory.NameActingHC(r.Context(), actor(r), chi.URLParam(r, "code"), din)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, newActingHCDTO(p))
}

func (a *API) handleActingHCEnd(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := a.directory.EndActingHC(r.Context(), actor(r), chi.URLParam(r, "code"), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newActingHCDTO(p))
}
