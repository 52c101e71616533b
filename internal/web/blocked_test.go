package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestBlockedStepsSayWhy: for requests in the states where a step's
// guard stands in the way (an HRDDP assessment pending, a review the
// member's organisation does not vote in, an approval without consent, a
// closed operation) and for every member of the operation, each step the
// rulebook says they would take but for its guard (domain.BlockedActions,
// through Requests.Page) is not offered and the page says why, in words;
// and no guard's reason is shown to a member it does not block. An
// incomplete draft's submission is blocked with its count of problems and
// a link to the form that marks them.
func TestBlockedStepsSayWhy(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newRequestWorld(t)
	head := w.mustHC(t)
	un, err := w.dir.CreateOrganization(ctx, w.admin, domain.Organization{Name: "UN Agency", Acronym: "UNA", Type: domain.OrgUNAgency, UNEntity: true})
	if err != nil {
		t.Fatal(err)
	}
	members := map[string]domain.User{"requester": w.requesterUser, "officer": w.officerUser, "hct_member": w.hcU}
	for name, m := range map[string]struct {
		org  int64
		role domain.Role
	}{"un requester": {un.ID, domain.RoleRequester}, "hrddp_reviewer": {0, domain.RoleHRDDPReviewer},
		"viewer": {0, domain.RoleViewer}, "hct_member of the requesting organisation": {w.requesterUser.OrganizationID, domain.RoleHCTMember}} {
		u := w.mustUser(t, strings.ReplaceAll(name, " ", "-")+"@example.org", m.org)
		w.mustMember(t, "NPL-EQ", u, m.role)
		members[name] = u
	}
	members["hc"], _ = w.dir.GetUser(ctx, w.admin, head.UserID)
	clients := map[string]*http.Client{}
	for name, u := range members {
		clients[name] = w.signIn(t, u.Email)
	}
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	en := catalog.Localizer("en")
	officer := w.mustActor(t, w.officerUser)
	unActor := w.mustActor(t, members["un requester"])

	hrddp := fx.Request("Fuel for the force", w.clock.Now())
	hrddp.Checklist["LR18"] = domain.Answer{Value: "yes", Note: "Fuel for the helicopters"}
	pending, _, err := w.reqs.Create(ctx, unActor, w.op.Code, hrddp, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.reqs.Transition(ctx, unActor, pending.ID, domain.ActionSubmit, domain.TransitionInput{Version: 1}); err != nil {
		t.Fatal(err)
	}
	inReview := w.submitted(t, "Under review")
	if _, err := w.revs.Open(ctx, officer, inReview.ID, service.OpenInput{Version: 1}); err != nil {
		t.Fatal(err)
	}
	approved := w.approved(t, "Approved, no consent", head)
	incomplete := fx.Request("Incomplete draft", w.clock.Now())
	incomplete.Checklist["LR2"] = domain.Answer{Value: "no"} // a civilian alternative exists: blocks
	incomplete.Need = ""
	draft := w.create(t, incomplete)
	readCtx := i18n.WithLocalizer(ctx, en)
	closedOp := w.approved(t, "Approved in a closed operation", head)

	check := func(t *testing.T, ids ...int64) map[domain.Action]bool {
		t.Helper()
		seen := map[domain.Action]bool{}
		for name, u := range members {
			a := w.mustActor(t, u)
			for _, id := range ids {
				p, err := w.reqs.Page(ctx, a, id)
				if err != nil {
					continue // not theirs to see
				}
				d := doc(t, w.get(t, clients[name], "/requests/"+strconv.FormatInt(id, 10)))
				text := strings.Join(strings.Fields(d.Find("main").Text()), " ")
				for act, why := range p.Blocked {
					seen[act] = true
					if p.Can(act) {
						t.Errorf("%s on %d: %s offered and blocked", name, id, act)
					}
					msg := strings.Join(strings.Fields(httpface.Message(readCtx, why)), " ")
					if !strings.Contains(text, msg) {
						t.Errorf("%s on %d: %s is blocked (%s) but the page does not say %q", name, id, act, domain.ErrorMessage(why), msg)
					}
					fix := testid(d, "action-blocked-fix")
					if act == domain.ActionSubmit && (p.Can(domain.ActionEditRequest) != (fix.Length() == 1) ||
						fix.AttrOr("href", "") != "/requests/"+strconv.FormatInt(id, 10)+"/edit?check=submit" ||
						testid(d, "action-submit").Length() != 0) {
						t.Errorf("%s on %d: submission blocked; the page links to the form %d times (%q), offers it %d times",
							name, id, fix.Length(), fix.AttrOr("href", ""), testid(d, "action-submit").Length())
					}
				}
			}
		}
		return seen
	}
	seen := check(t, pending.ID, inReview.ID, approved.ID, draft.ID)
	op := w.op
	op.Closed = true
	if _, err := w.dir.UpdateOperation(ctx, w.admin, op.Code, op); err != nil {
		t.Fatal(err)
	}
	for act := range check(t, closedOp.ID) {
		seen[act] = true
	}
	for _, act := range []domain.Action{domain.ActionSubmit, domain.ActionOpenReview, domain.ActionVote, domain.ActionTask, domain.ActionExtend} {
		if !seen[act] {
			t.Errorf("%s: never blocked in the walk", act)
		}
	}
}
