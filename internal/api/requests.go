package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// handleRequestList answers one page of an operation's requests that the
// caller may see, filtered and sorted by the query (requestFilter).
func (a *API) handleRequestList(w http.ResponseWriter, r *http.Request) error {
	f, err := requestFilter(r.URL.RawQuery)
	if err != nil {
		return err
	}
	_, page, err := a.requests.List(r.Context(), actor(r), chi.URLParam(r, "code"), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newRequestPageDTO(page))
}

// handleRequestCreate creates a draft for the caller's organisation. With
// an Idempotency-Key header, a retry with the same key is answered the
// first call's answer with Idempotent-Replayed: true (the middleware,
// httpface.Stack's idempotent, as for every state-changing route).
func (a *API) handleRequestCreate(w http.ResponseWriter, r *http.Request) error {
	var in requestInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	var draft domain.Request
	if err := in.applyTo(&draft); err != nil {
		// A value that cannot be read: every other problem of the draft
		// too, in one answer, as the page does.
		return domain.WithUnreadable(err, a.requests.Check(r.Context(), actor(r), chi.URLParam(r, "code"), draft, domain.Recorded{}, false))
	}
	// The answer is the request as GET shows it: evaluation and actions.
	d, _, err := a.requests.CreateDetail(r.Context(), actor(r), chi.URLParam(r, "code"), draft, "")
	if err != nil {
		return err
	}
	w.Header().Set("Location", requestURL(r, d.Request.ID))
	return writeJSON(w, http.StatusCreated, newRequestDTO(r.Context(), d))
}

// handleRequestExtend asks for more time for the task of an approved,
// tasked or executing request (its requesters): a new draft extending it
// to end_date, with the last-resort questions LR2–LR7 to answer again,
// answered as GET shows it (201, Location). A closed operation or a
// request past those states is 409. Idempotency-Key as on every
// state-changing route.
func (a *API) handleRequestExtend(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in extendInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	end, err := dateInput("end_date", in.EndDate)
	if err != nil {
		return err
	}
	ext, _, err := a.requests.Extend(r.Context(), actor(r), id, givenVersion(in.Version), end, "")
	if err != nil {
		return err
	}
	d, err := a.requests.Get(r.Context(), actor(r), ext.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Location", requestURL(r, ext.ID))
	return writeJSON(w, http.StatusCreated, newRequestDTO(r.Context(), d))
}

// requestURL is the address of request id under the point where the API
// is mounted (/api/v1), found from the path the caller used.
func requestURL(r *http.Request, id int64) string {
	base := ""
	if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.RoutePath != "" {
		base, _ = strings.CutSuffix(r.URL.Path, rctx.RoutePath)
	}
	return base + "/requests/" + strconv.FormatInt(id, 10)
}

// handleRequestShow answers the request with its checklist evaluation and
// what the caller may do; the contact is null where they may not see it.
// A request the caller cannot see is 404, as a missing one.
func (a *API) handleRequestShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := a.requests.Get(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newRequestDTO(r.Context(), d))
}

// handleRequestUpdate merges the body into the stored draft or returned
// request (requestInput) in one transaction, after the service has
// decided the caller may edit it; a stale version is 409, a missing one 400.
func (a *API) handleRequestUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in requestPatch
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	d, err := a.requests.Patch(r.Context(), actor(r), id, versionOf(in.Version), in.requestInput.applyTo)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newRequestDTO(r.Context(), d))
}

// writeRequest answers request id as GET shows it, after a change.
func (a *API) writeRequest(w http.ResponseWriter, r *http.Request, id int64) error {
	d, err := a.requests.Get(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newRequestDTO(r.Context(), d))
}

// handleTransition takes the generic transition t (domain.Rule.Generic)
// on the request named in the path: the body is the version the client
// last saw, with the reason and the civilian reference where t records
// them. Wrong state or a stale version is 409; a missing version 400; a
// missing reason 422; a submission failing its checklist or required fields 422
// listing the failing items. The answer is the request, or its lifecycle
// for the steps after approval.
func (a *API) handleTransition(t domain.Rule) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		// Every step takes an optional reason (a resubmission's note);
		// only those that record a civilian reference take one.
		// Flat bodies: an error names the JSON field, never a Go type.
		var in redirectInput
		if t.NeedsReference {
			if err := readJSON(w, r, &in); err != nil {
				return err
			}
		} else {
			var tin transitionInput
			if err := readJSON(w, r, &tin); err != nil {
				return err
			}
			in.Version, in.Reason = tin.Version, tin.Reason
		}
		_, err = a.requests.Transition(r.Context(), actor(r), id, t.Action,
			domain.TransitionInput{Version: versionOf(in.Version), Reason: in.Reason, CivilianReference: in.CivilianReference})
		if err != nil {
			return err
		}
		if t.Stage == domain.StageLifecycle {
			return a.writeLifecycle(w, r, id)
		}
		return a.writeRequest(w, r, id)
	}
}

// handleRequestBriefing records the officer's answer to LR17 (the
// providing force was briefed on humanitarian principles).
func (a *API) handleRequestBriefing(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in briefingInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if _, err := a.requests.RecordBriefing(r.Context(), actor(r), id, givenVersion(in.Version), domain.Answer{Value: in.Answer, Note: in.Note}); err != nil {
		// The domain names the answer as the request's checklist does.
		return renameFields(err, func(field string) string {
			if body, ok := briefingFields[field]; ok {
				return body
			}
			return field
		})
	}
	return a.writeRequest(w, r, id)
}
