package service

import (
	"context"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// RequestPage is everything the request page shows of a request: the
// request with its comments and audit trail (Detail), its review
// (Reviews.State) and its life after approval (Lifecycle.State), each as
// the caller may see it.
type RequestPage struct {
	RequestDetail
	Review    ReviewState
	Lifecycle LifecycleState
}

// Page returns request id as by may see it, with what Detail,
// Reviews.State and Lifecycle.State return for it, read in two round
// trips: the request (and the check that by may see it), then everything
// else in one batch. The rules are theirs (detailOf, reviewState,
// lifecycleState); the HRDDP assessment is read only for roles that may
// see it.
func (s *Requests) Page(ctx context.Context, by domain.Actor, id int64) (RequestPage, error) {
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return RequestPage{}, err
	}
	if err := domain.CanRequest(by, domain.ActionViewRequest, r); err != nil {
		return RequestPage{}, err
	}
	data, err := s.store.RequestPage(ctx, r, domain.CanSeeHRDDP(by.RolesIn(r.OperationID)))
	if err != nil {
		return RequestPage{}, err
	}
	p := RequestPage{RequestDetail: s.detailOf(by, r, data.Operation, data.Organization)}
	p.Comments, p.Events = data.Comments, eventsFor(by, p.Request, data.Events, data.Reviews)
	if data.HasReview {
		p.Review = reviewState(by, r, data.Review, data.Votes, data.OrgNames, data.VoteHistory, data.Decision, data.HasDecision)
	}
	p.Lifecycle = lifecycleState(by, r, p.Evaluation, data.Assessment, data.Consent, data.Taskings, data.Reports,
		data.Handover, s.now())
	return p, nil
}
