package api

import (
	"context"
	"net/http"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// The HCT review and the HC's decision (PRODUCT.md §4, Voting) over
// service.Reviews. The service decides who may do what with
// domain.Can: a request the caller cannot see is 404, one they
// see but may not act on 403, a wrong state or a stale version 409.

// handleReviewShow answers the request's latest review as the caller may
// see it (reviewDTO): sealed votes show turnout only until the review
// closes. A request without a review yet is 404 review.none.
func (a *API) handleReviewShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return a.writeReview(w, r, http.StatusOK, id)
}

// writeReview answers request id's review as GET shows it, after a
// change; a 201 carries the review's address in Location.
func (a *API) writeReview(w http.ResponseWriter, r *http.Request, status int, id int64) error {
	st, err := a.reviews.State(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	if !st.Exists {
		return domain.Errorf(domain.CodeNotFound, "review.none")
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", requestURL(r, id)+"/review")
	}
	return writeJSON(w, status, newReviewDTO(id, st))
}

// handleReviewOpen opens the HCT review of a submitted request (the
// officer): the eligible organisations, the operation's rules and the
// deadline are frozen now. A stale version is 409, a missing one 400.
func (a *API) handleReviewOpen(w http.ResponseWriter, r *http.Request) error {
	return a.openReview(w, r, a.reviews.Open)
}

// handleReviewReopen re-opens a review that failed its quorum, once, with
// a new deadline (the officer).
func (a *API) handleReviewReopen(w http.ResponseWriter, r *http.Request) error {
	return a.openReview(w, r, a.reviews.Reopen)
}

// openReview reads an openInput and opens a review with open.
func (a *API) openReview(w http.ResponseWriter, r *http.Request,
	open func(ctx context.Context, by domain.Actor, id int64, in service.OpenInput) (domain.Review, error)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in openInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	si, err := in.serviceInput()
	if err != nil {
		return err
	}
	if _, err := open(r.Context(), actor(r), id, si); err != nil {
		return err
	}
	return a.writeReview(w, r, http.StatusCreated, id)
}

// handleReviewClose closes an open review before its deadline (the
// officer), once every eligible organisation voted or quorum is met; the
// tally is frozen and the votes become visible. The body is the version
// the client last saw, as for every step.
func (a *API) handleReviewClose(w http.ResponseWriter, r *http.Request) error {
	return a.reviewStep(w, r, versionOf, func(ctx context.Context, by domain.Actor, id int64, version int) error {
		_, err := a.reviews.Close(ctx, by, id, version)
		return err
	})
}

// handleReviewRemind reminds the HCT members of the organisations that
// have not voted in the open review (the officer), at most once per
// domain.RemindAgainAfter, and answers the review. The body may carry
// the version the client last saw (checked when given).
func (a *API) handleReviewRemind(w http.ResponseWriter, r *http.Request) error {
	return a.reviewStep(w, r, givenVersion, func(ctx context.Context, by domain.Actor, id int64, version int) error {
		_, err := a.reviews.Remind(ctx, by, id, version)
		return err
	})
}

// reviewStep runs a review step whose body is only the version the
// client saw (read with version: required or optional) and answers the
// review as it is after it.
func (a *API) reviewStep(w http.ResponseWriter, r *http.Request, version func(*int) int,
	step func(ctx context.Context, by domain.Actor, id int64, version int) error) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in versionInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if err := step(r.Context(), actor(r), id, version(in.Version)); err != nil {
		return err
	}
	return a.writeReview(w, r, http.StatusOK, id)
}

// handleVoteCast casts or changes the caller's organisation's vote (an
// HCT member of an eligible organisation) and answers it. After the
// review closed it is 409 review.closed.
func (a *API) handleVoteCast(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in voteInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	by := actor(r)
	v, err := a.reviews.Vote(r.Context(), by, id, service.VoteInput{Value: domain.VoteValue(in.Value), Comment: in.Comment, Version: givenVersion(in.Version)})
	if err != nil {
		return err
	}
	// The service returns the vote without the names joined for display;
	// the review's state has them (and the organisation may see its own
	// vote however sealed the review is).
	if st, err := a.reviews.State(r.Context(), by, id); err != nil {
		return err
	} else if st.MyVote != nil {
		v = *st.MyVote
	}
	return writeJSON(w, http.StatusOK, newVoteDTO(v))
}

// handleDecisionCreate records the HC's decision on a request whose
// review has closed: approval only when the review passed (409
// decision.review_not_passed), a rationale always (422). Of two competing
// decisions one wins; the other is 409.
func (a *API) handleDecisionCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in decisionInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	by := actor(r)
	d, err := a.reviews.Decide(r.Context(), by, id, service.DecisionInput{Version: versionOf(in.Version),
		Outcome: domain.Status(in.Outcome), Rationale: in.Rationale, Conditions: in.Conditions})
	if err != nil {
		return err
	}
	if d.DecidedByName == "" { // the decider is the caller
		d.DecidedByName = by.Name
	}
	return writeJSON(w, http.StatusCreated, newDecisionDTO(d))
}

// openInput is the body of POST /requests/{id}/review and of
// /review/reopen: the version the client last saw (missing is 400,
// stale 409, as for every workflow action) and an optional deadline in RFC
// 3339; absent, null or "" takes the operation's review hours.
type openInput struct {
	Version  *int    `json:"version"`
	Deadline *string `json:"deadline"`
	// AfterRequiredBy confirms a deadline after the request's required-by
	// time (422 on deadline without it).
	AfterRequiredBy bool `json:"after_required_by"`
}

// serviceInput checks the deadline's format (422 field.invalid); whether
// it is in the future and close enough is the domain's to decide.
func (in openInput) serviceInput() (service.OpenInput, error) {
	out := service.OpenInput{Version: versionOf(in.Version), AfterRequiredBy: in.AfterRequiredBy}
	if in.Deadline == nil || *in.Deadline == "" {
		return out, nil
	}
	t, err := time.Parse(time.RFC3339, *in.Deadline)
	if err != nil || !representable(t) {
		return out, invalid("deadline", "field.invalid")
	}
	out.Deadline = t.UTC()
	return out, nil
}

// voteInput is the body of PUT /requests/{id}/vote. Value is one of
// domain.VoteValues; the comment holds the conditions
// (support_with_conditions) or the reason (object), required for those.
type voteInput struct {
	Version *int   `json:"version"`
	Value   string `json:"value"`
	Comment string `json:"comment"`
}

// decisionInput is the body of POST /requests/{id}/decision.
type decisionInput struct {
	Version    *int   `json:"version"`
	Outcome    string `json:"outcome"` // approved or rejected
	Rationale  string `json:"rationale"`
	Conditions string `json:"conditions"`
}
