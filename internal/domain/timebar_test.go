package domain_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestTimeBar walks the rulebook: once a review's deadline has come, or a
// request's required-by time has passed in a status that expires, every
// status change and every review step is refused with the reason — even
// before any job has closed or expired anything — while what time does
// not overtake (comments, briefings, reads) stays open. The refusal is
// the same through Can, AvailableActions and BlockedActions.
func TestTimeBar(t *testing.T) {
	t.Parallel()
	type clock struct {
		name string
		set  func(s *domain.Subject)
		// applies reports whether this time makes a step due on a request
		// in status st, and the refusal's message.
		applies func(st domain.Status) (bool, string)
	}
	clocks := []clock{
		{"deadline came", func(s *domain.Subject) {
			s.Review.Deadline = s.Now // the deadline minute has begun: too late
		}, func(st domain.Status) (bool, string) { return st == domain.StatusHCTReview, "review.deadline_passed" }},
		{"deadline passed a second ago", func(s *domain.Subject) {
			s.Review.Deadline = s.Now.Add(-time.Second)
		}, func(st domain.Status) (bool, string) { return st == domain.StatusHCTReview, "review.deadline_passed" }},
		{"required-by passed", func(s *domain.Subject) {
			s.Request.RequiredBy = s.Now.Add(-time.Minute)
		}, func(st domain.Status) (bool, string) {
			expire, _ := domain.TransitionFor(domain.ActionExpire)
			return slices.Contains(expire.From, st), "request.required_by_passed"
		}},
	}
	checked := 0
	for _, rule := range domain.Rules {
		if rule.Scope != domain.ScopeRequest || rule.System && len(rule.Roles) == 0 {
			continue
		}
		from := rule.From
		if len(from) == 0 {
			from = domain.Statuses()
		}
		for _, st := range from {
			for _, role := range rule.Roles {
				if st == domain.StatusDraft && role != domain.RoleRequester {
					continue
				}
				for _, c := range clocks {
					name := fmt.Sprintf("%s/%s/%s/%s", rule.Action, st, role, c.name)
					r := requestIn(st)
					s := allow(r, rule.Action)
					a := roleActor(role)
					if domain.Can(a, rule.Action, s) != nil {
						continue // refused for another reason in time (tested elsewhere)
					}
					rv := *s.Review
					s.Review = &rv
					c.set(&s)
					due, msg := c.applies(st)
					barred := due && (rule.To != "" || rule.Stage == domain.StageReview) && !rule.Reads
					err := domain.Can(a, rule.Action, s)
					listed := slices.Contains(domain.AvailableActions(a, s), rule.Action)
					why := domain.BlockedActions(a, s)[rule.Action]
					checked++
					if rule.Needs&domain.FactTime != 0 && domain.ErrorCode(err) == domain.CodeInvalid {
						continue // the step's own guard reads the time and refused first, saying which field (submit)
					}
					switch {
					case barred && (domain.ErrorCode(err) != domain.CodeConflict || domain.ErrorMessage(err) != msg):
						t.Errorf("%s: Can = %v, want conflict %s", name, err, msg)
					case barred && (listed || domain.ErrorMessage(why) != msg):
						t.Errorf("%s: listed %v, blocked %v; want not listed, blocked with %s", name, listed, why, msg)
					case !barred && err != nil:
						t.Errorf("%s: Can = %v, want allowed (time does not overtake this step here)", name, err)
					}
				}
			}
		}
	}
	if checked < 50 {
		t.Fatalf("walked %d cases; the rulebook walk is broken", checked)
	}
}

// TestOverdue: the step time made due first is the one that came first.
func TestOverdue(t *testing.T) {
	t.Parallel()
	r := requestIn(domain.StatusHCTReview)
	s := allow(r, domain.ActionVote)
	rv := *s.Review
	s.Review = &rv
	if due, _, ok := domain.Overdue(s); ok {
		t.Fatalf("Overdue = %s before any deadline, want none", due)
	}
	s.Review.Deadline = testNow.Add(-time.Hour)
	s.Request.RequiredBy = testNow.Add(-2 * time.Hour)
	if due, at, _ := domain.Overdue(s); due != domain.ActionExpire || !at.Equal(s.Request.RequiredBy) {
		t.Errorf("required-by first: Overdue = %s at %v, want expiry", due, at)
	}
	s.Request.RequiredBy = testNow.Add(-time.Minute)
	if due, at, _ := domain.Overdue(s); due != domain.ActionCloseReview || !at.Equal(s.Review.Deadline) {
		t.Errorf("deadline first: Overdue = %s at %v, want the close", due, at)
	}
	s.Known &^= domain.FactTime
	if due, _, ok := domain.Overdue(s); ok {
		t.Errorf("without the time: Overdue = %s, want none (cannot tell)", due)
	}
}
