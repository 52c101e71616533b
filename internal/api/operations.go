package api

import (
	"net/http"
	"reflect"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// defaultLeadTimeHours is a new operation's minimum lead time when the
// body names none (PRODUCT.md §2: 48 hours).
const defaultLeadTimeHours = 48

// operationInput is the body of POST and PATCH /operations. POST starts
// from the defaults (domain.DefaultReviewPolicy, 48 h lead time), PATCH
// from the stored operation; either way only the fields present change,
// review_policy field by field.
type operationInput struct {
	Code          *string            `json:"code"`
	Name          *string            `json:"name"`
	CountryISO3   *string            `json:"country_iso3"`
	GLIDE         *string            `json:"glide"`
	Context       *string            `json:"context"`
	ReviewPolicy  *reviewPolicyInput `json:"review_policy"`
	LeadTimeHours *int               `json:"lead_time_hours"`
	Closed        *bool              `json:"closed"`
	// RequireSecondFactor: its officers and HC sign in with a second factor.
	RequireSecondFactor *bool `json:"require_second_factor"`
}

type reviewPolicyInput struct {
	QuorumPercent     *int    `json:"quorum_percent"`
	PassRule          *string `json:"pass_rule"`
	ReviewHours       *int    `json:"review_hours"`
	UrgentReviewHours *int    `json:"urgent_review_hours"`
	SealedVotes       *bool   `json:"sealed_votes"`
}

func (in operationInput) applyTo(o domain.Operation) domain.Operation {
	set(&o.Code, in.Code)
	set(&o.Name, in.Name)
	set(&o.CountryISO3, in.CountryISO3)
	set(&o.GLIDE, in.GLIDE)
	if in.Context != nil {
		o.Context = domain.Context(*in.Context)
	}
	if p := in.ReviewPolicy; p != nil {
		set(&o.Policy.QuorumPercent, p.QuorumPercent)
		if p.PassRule != nil {
			o.Policy.PassRule = domain.PassRule(*p.PassRule)
		}
		set(&o.Policy.ReviewHours, p.ReviewHours)
		set(&o.Policy.UrgentReviewHours, p.UrgentReviewHours)
		set(&o.Policy.SealedVotes, p.SealedVotes)
	}
	set(&o.LeadTimeHours, in.LeadTimeHours)
	set(&o.Closed, in.Closed)
	set(&o.RequireSecondFactor, in.RequireSecondFactor)
	return o
}

func (a *API) handleOperationList(w http.ResponseWriter, r *http.Request) error {
	ops, err := a.directory.ListOperations(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(ops, newOperationDTO))
}

func (a *API) handleOperationCreate(w http.ResponseWriter, r *http.Request) error {
	var in operationInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	base := domain.Operation{Policy: domain.DefaultReviewPolicy, LeadTimeHours: defaultLeadTimeHours}
	op, err := a.directory.CreateOperation(r.Context(), actor(r), in.applyTo(base))
	if err != nil {
		return policyFields(err)
	}
	return writeJSON(w, http.StatusCreated, newOperationDTO(op))
}

func (a *API) handleOperationShow(w http.ResponseWriter, r *http.Request) error {
	op, err := a.directory.GetOperation(r.Context(), actor(r), chi.URLParam(r, "code"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newOperationDTO(op))
}

// handleOperationUpdate applies a partial update on top of the stored
// operation; the code itself may change. A member who is not an admin
// gets 403, anyone else who cannot see the operation 404.
func (a *API) handleOperationUpdate(w http.ResponseWriter, r *http.Request) error {
	code := chi.URLParam(r, "code")
	var in operationInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	cur, err := a.directory.GetOperation(r.Context(), actor(r), code)
	if err != nil {
		return err
	}
	op, err := a.directory.UpdateOperation(r.Context(), actor(r), code, in.applyTo(cur))
	if err != nil {
		return policyFields(err)
	}
	return writeJSON(w, http.StatusOK, newOperationDTO(op))
}

// policyFields names the review policy's fields in err as the body does
// (review_policy.quorum_percent): the domain names them as the form does.
func policyFields(err error) error {
	t := reflect.TypeFor[reviewPolicyInput]()
	return renameFields(err, func(field string) string {
		if _, ok := fieldType(t, field); ok {
			return "review_policy." + field
		}
		return field
	})
}
