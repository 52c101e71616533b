package web

import (
	"context"
	"net/http"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/pages"
)

// handleHome introduces cmcoord to visitors and shows a signed-in user
// their operations and what waits for them in each.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	if a.Anonymous() {
		v := pages.HomeView{Shell: s.shell(w, r, i18n.T(r.Context(), "home.title"))}
		return s.render(w, r, http.StatusOK, pages.Home(v))
	}
	ops, err := s.directory.ListOperations(r.Context(), a)
	if err != nil {
		return err
	}
	v := pages.DashboardView{Shell: s.shell(w, r, i18n.T(r.Context(), "dashboard.title")), Name: a.Name,
		Admin: adminLinks(r.Context(), a)}
	var mine []domain.Operation
	for _, op := range ops {
		if a.IsMember(op.ID) { // admins see every operation in the admin pages, not here
			mine = append(mine, op)
		}
	}
	if v.Operations, err = s.operationCards(r, a, mine); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, pages.Dashboard(v))
}

// operationCards are the summaries of operations ops for a member, with
// the requests waiting for them in each of their queues: every queue of
// every operation read in one round trip (service.Requests.Queues).
func (s *Server) operationCards(r *http.Request, a domain.Actor, ops []domain.Operation) ([]pages.OperationCard, error) {
	var refs []service.QueueRef
	for _, op := range ops {
		for _, q := range domain.QueuesFor(a.RolesIn(op.ID)) {
			refs = append(refs, service.QueueRef{OperationID: op.ID, Queue: q})
		}
	}
	queued, err := s.requests.Queues(r.Context(), a, refs)
	if err != nil {
		return nil, err
	}
	cards := make([]pages.OperationCard, 0, len(ops))
	for _, op := range ops {
		n := len(domain.QueuesFor(a.RolesIn(op.ID)))
		cards = append(cards, s.operationCard(r, a, op, queued[:n]))
		queued = queued[n:]
	}
	return cards, nil
}

// operationCard is the summary of operation op for a member, with the
// requests waiting for them in each of their queues (queued, in the order
// of domain.QueuesFor).
func (s *Server) operationCard(r *http.Request, a domain.Actor, op domain.Operation, queued []service.Queued) pages.OperationCard {
	ctx := r.Context()
	c := pages.OperationCard{
		Code:    op.Code,
		Name:    op.Name,
		URL:     "/operations/" + op.Code,
		Country: op.CountryISO3,
		Context: i18n.T(ctx, "context."+string(op.Context)),
		Closed:  op.Closed,
	}
	for _, role := range a.RolesIn(op.ID) {
		c.Roles = append(c.Roles, i18n.T(ctx, "role."+string(role)))
	}
	for i, q := range domain.QueuesFor(a.RolesIn(op.ID)) {
		qv := pages.QueueView{
			ID:    string(q),
			Title: i18n.T(ctx, "queue."+string(q)),
			Empty: i18n.T(ctx, "queue."+string(q)+".empty"),
		}
		qv.More = queued[i].More
		for _, it := range queued[i].Items {
			qi := pages.QueueItem{Reference: it.Reference, Title: it.Title, URL: requestURL(it.ID)}
			switch {
			case q == domain.QueueTasksEnding && !it.EndDate.IsZero():
				qi.Due = s.taskEnd(ctx, it.EndDate)
			case !it.ReviewDeadline.IsZero():
				qi.Due = s.countdown(ctx, it.ReviewDeadline)
				if domain.ClosesAfterNeed(it.ReviewDeadline, it.RequiredBy) {
					// Needed before the review closes: it expires first.
					qi.Expires = i18n.T(ctx, "queue.expires_first", "At", displayTime(ctx, it.RequiredBy))
				}
			}
			qv.Items = append(qv.Items, qi)
		}
		if q == domain.QueueAwaitingScreening {
			qv.MoreURL = "/operations/" + op.Code + "/screening"
		}
		c.Queues = append(c.Queues, qv)
	}
	c.RequestsURL = operationRequestsURL(op.Code)
	return c
}

// handleOperationShow is an operation's own page: its settings, the
// member's queues and the management links the member may use.
func (s *Server) handleOperationShow(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	op, err := s.directory.GetOperation(r.Context(), a, code)
	if err != nil {
		return err
	}
	ctx := r.Context()
	cards, err := s.operationCards(r, a, []domain.Operation{op})
	if err != nil {
		return err
	}
	card := cards[0]
	v := pages.OperationView{
		Shell:       s.shell(w, r, op.Code+" · "+op.Name),
		Card:        card,
		GLIDE:       op.GLIDE,
		Policy:      op.Policy,
		PassRule:    i18n.T(ctx, "pass_rule."+string(op.Policy.PassRule)),
		LeadTime:    op.LeadTimeHours,
		CanMembers:  domain.Allowed(a, domain.ActionViewMembers, domain.InOperation(op.ID)),
		CanEdit:     domain.Allowed(a, domain.ActionEditOperation, domain.InOperation(op.ID)),
		CanActingHC: domain.Allowed(a, domain.ActionViewActingHC, domain.InOperation(op.ID)),
		Reports:     s.reportLinks(a, op),
	}
	return s.render(w, r, http.StatusOK, pages.Operation(v))
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) error {
	return domain.Errorf(domain.CodeNotFound, "error.not_found")
}

func (s *Server) handleMethodNotAllowed(w http.ResponseWriter, r *http.Request) error {
	s.renderErrorPage(w, r, http.StatusMethodNotAllowed, nil)
	return nil
}

// countdown says how long until a review's deadline, and when it is.
func (s *Server) countdown(ctx context.Context, deadline time.Time) string {
	left := deadline.Sub(s.now())
	at := displayTime(ctx, deadline)
	switch {
	case left <= 0:
		return i18n.T(ctx, "queue.due_now", "At", at)
	case left < time.Hour:
		return i18n.T(ctx, "queue.due_minutes", "Minutes", int(left.Minutes())+1, "At", at)
	default:
		return i18n.T(ctx, "queue.due_hours", "Hours", int(left.Hours()), "At", at)
	}
}

// taskEnd says when an approved task ends, or that it overran: the
// approval is valid through its end date.
func (s *Server) taskEnd(ctx context.Context, end time.Time) string {
	if !s.now().Before(end.Add(24 * time.Hour)) {
		return i18n.T(ctx, "queue.task_overrun", "Date", displayDate(ctx, end))
	}
	return i18n.T(ctx, "queue.tasks_ending.countdown", "Date", displayDate(ctx, end))
}
