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
	// Attachments are the documents as the reader sees them, with what
	// they may do (Attachments.View); empty when documents are off.
	Attachments AttachmentsView
}

// Page returns request id as by may see it, with what Detail,
// Reviews.State and Lifecycle.State return for it, read in one round
// trip; nothing of it is used before the check that by may see the
// request. The rules are theirs (detailOf, reviewState,
// lifecycleState); the HRDDP assessment is shown only to roles that may
// see it.
func (s *Requests) Page(ctx context.Context, by domain.Actor, id int64) (RequestPage, error) {
	r, data, err := s.store.RequestPage(ctx, id)
	if err != nil {
		return RequestPage{}, err
	}
	if err := domain.Can(by, domain.ActionViewRequest, domain.OnRequest(r)); err != nil {
		return RequestPage{}, err
	}
	// Every fact the rulebook's guards read, from the batch: what the
	// page offers is what the services would accept.
	subj := subjectOf(r, data.RequestFactsData, s.now())
	p := RequestPage{RequestDetail: s.detailOf(by, subj, data.Organization)}
	// From the events as stored, before eventsFor redacts them in place.
	p.Resubmission = resubmissionFor(by, r, data.Events)
	p.Comments, p.Events = data.Comments, eventsFor(by, p.Request, data.Events, data.Reviews)
	p.ExtensionOf, p.Extensions = linksFor(by, data.Links)
	if data.HasReview {
		p.Review = reviewState(by, subj, data.Votes, data.OrgNames, data.VoteHistory, data.Decision, data.HasDecision)
	}
	p.Lifecycle = lifecycleState(by, subj, data.Taskings, data.Reports, data.Handover, s.now())
	if s.attach != nil {
		p.Attachments = s.attach.viewOf(by, r.Ref(), data.Attachments)
	}
	return p, nil
}
