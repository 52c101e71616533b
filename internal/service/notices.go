package service

import (
	"context"
	"slices"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// tellEach tells every notice of ns with recipients through n, in st's
// transaction: at once when n can (BatchNotifier), otherwise one by one.
// A nil n tells nobody.
func tellEach(ctx context.Context, st *store.Store, n Notifier, ns ...domain.Notice) error {
	ns = slices.DeleteFunc(ns, func(x domain.Notice) bool { return len(x.Recipients) == 0 })
	if n == nil || len(ns) == 0 {
		return nil
	}
	if b, ok := n.(BatchNotifier); ok {
		return b.NotifyAll(ctx, st, ns)
	}
	for _, x := range ns {
		if err := n.Notify(ctx, st, x); err != nil {
			return err
		}
	}
	return nil
}

// requestNotice is a notice of kind about request r, told by by (never
// told of their own action) to recipients.
func requestNotice(kind domain.NoticeKind, r domain.Request, by int64, recipients []int64, data map[string]string) domain.Notice {
	return domain.Notice{Kind: kind, RequestID: r.ID, Reference: r.Reference, Title: r.Title, Actor: by,
		Recipients: recipients, Data: data}
}

// transitionNotices are the notices of generic transition action on r
// (now in its new status, from status from) taken by by, beyond the
// review's cancellation and the return (Transition): a submission tells
// the officers (submitted, or resubmitted after a return) and, when the
// HRDDP assessment is missing (ev, the checklist's evaluation), the HRDDP
// reviewers; the start of execution and the completion tell the
// requester. Roles are read as they are at now.
func transitionNotices(ctx context.Context, st *store.Store, by domain.Actor, action domain.Action, from domain.Status,
	r domain.Request, ev domain.Evaluation, now time.Time) ([]domain.Notice, error) {
	switch action {
	case domain.ActionSubmit:
		officers, err := st.MembersWithRole(ctx, r.OperationID, domain.RoleOfficer, nil, now)
		if err != nil {
			return nil, err
		}
		kind := domain.NoticeSubmitted
		if from == domain.StatusReturned {
			kind = domain.NoticeResubmitted
		}
		out := []domain.Notice{requestNotice(kind, r, by.UserID, officers, nil)}
		if domain.AssessmentMissing(ev) {
			reviewers, err := st.MembersWithRole(ctx, r.OperationID, domain.RoleHRDDPReviewer, nil, now)
			if err != nil {
				return nil, err
			}
			out = append(out, requestNotice(domain.NoticeAssessmentNeeded, r, by.UserID, reviewers, nil))
		}
		return out, nil
	case domain.ActionStartExecution:
		return []domain.Notice{requestNotice(domain.NoticeExecutionStarted, r, by.UserID, []int64{r.CreatedBy}, nil)}, nil
	case domain.ActionComplete:
		return []domain.Notice{requestNotice(domain.NoticeCompleted, r, by.UserID, []int64{r.CreatedBy}, nil)}, nil
	}
	return nil, nil
}

// commentNotice is the notice of by's comment body on request r (locked)
// at now,
// quoting its beginning (domain.CommentExcerpt):
// to its participants who may see it (domain.CommentAudience), read in
// st's transaction; commenters are the authors of its comments.
func commentNotice(ctx context.Context, st *store.Store, by domain.Actor, r domain.Request, commenters []int64, body string,
	now time.Time) (domain.Notice, error) {
	members, err := st.ListMembers(ctx, r.OperationID)
	if err != nil {
		return domain.Notice{}, err
	}
	// The members' roles as they stand now: an acting HC holds the HC's
	// for their period (memberships_at), which ListMembers does not show.
	hc, err := st.MembersWithRole(ctx, r.OperationID, domain.RoleHC, nil, now)
	if err != nil {
		return domain.Notice{}, err
	}
	for i, m := range members {
		if slices.Contains(hc, m.User.ID) && !m.Roles.Has(domain.RoleHC) {
			members[i].Roles = append(slices.Clone(m.Roles), domain.RoleHC)
		}
	}
	var open *domain.Review
	if r.Status == domain.StatusHCTReview {
		rv, ok, err := st.LatestReview(ctx, r.ID)
		if err != nil {
			return domain.Notice{}, err
		}
		if ok && rv.Open() {
			open = &rv
		}
	}
	to := domain.CommentAudience(r, members, commenters, open, by.UserID)
	return requestNotice(domain.NoticeComment, r, by.UserID, to, map[string]string{"Author": by.Name,
		"Comment": domain.Excerpt(body, domain.CommentExcerpt)}), nil
}
