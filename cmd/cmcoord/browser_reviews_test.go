package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/testutil/apicontract"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestBrowserReview: on a phone, an HCT member finds the review in
// "awaiting my vote", is told an objection-free condition needs its text,
// votes and changes the vote; the HC approves the passed request; on a
// failed review the page offers no approval and the API refuses one.
func TestBrowserReview(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := services(t, srv.DB)
	ctx := t.Context()
	const pw = "violet kettle harbour at dawn"
	root, err := svc.directory.CreateAdmin(ctx, "admin@example.org", "Ada Admin", pw, domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatal(err)
	}
	by, err := svc.access.Actor(ctx, root.ID, root.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.directory.CreateOperation(ctx, by, domain.Operation{Code: "NPL-EQ", Name: "Nepal earthquake",
		CountryISO3: "NPL", Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48}); err != nil {
		t.Fatal(err)
	}
	actors := map[string]domain.Actor{}
	for _, p := range []struct {
		email, org string
		role       domain.Role
	}{
		{"rita@example.org", "World Food Programme", domain.RoleRequester},
		{"omar@example.org", "", domain.RoleOfficer},
		{"hana@example.org", "Save the Children", domain.RoleHCTMember},
		{"hugo@example.org", "Community Action", domain.RoleHCTMember},
		{"hc@example.org", "", domain.RoleHC},
	} {
		orgID := root.OrganizationID
		if p.org != "" {
			o, err := svc.directory.CreateOrganization(ctx, by, domain.Organization{Name: p.org, Acronym: strings.ToUpper(p.org[:3]), Type: domain.OrgINGO})
			if err != nil {
				t.Fatal(err)
			}
			orgID = o.ID
		}
		u, _, err := svc.directory.CreateUser(ctx, by, service.NewUser{User: domain.User{Email: p.email, Name: strings.Split(p.email, "@")[0],
			OrganizationID: orgID, Language: "en"}, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.directory.SetMember(ctx, by, "NPL-EQ", u.ID, domain.RoleSet{p.role}); err != nil {
			t.Fatal(err)
		}
		if actors[p.email], err = svc.access.Actor(ctx, u.ID, u.SessionEpoch); err != nil {
			t.Fatal(err)
		}
	}
	underReview := func(title string) domain.Request {
		t.Helper()
		r, _, err := svc.requests.Create(ctx, actors["rita@example.org"], "NPL-EQ", fixture.Request(title, time.Now()), "")
		if err != nil {
			t.Fatal(err)
		}
		if r, err = svc.requests.Transition(ctx, actors["rita@example.org"], r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.reviews.Open(ctx, actors["omar@example.org"], r.ID, service.OpenInput{Version: r.Version}); err != nil {
			t.Fatal(err)
		}
		return r
	}
	passing := underReview("Heavy lift to Upper Rasuwa")
	failing := underReview("Engineers for the airstrip")

	b := browser.New(t)
	b.SetViewport(browser.Phone)
	signIn := func(email string) {
		t.Helper()
		b.Do(
			signIn(srv.URL, email, pw),
		)
	}
	signOut := func() {
		t.Helper()
		b.Do(browser.ClickAndLoad(`[data-testid="signout"]`), chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)))
	}
	text := func(sel string) string {
		t.Helper()
		return browser.Get(b, chromedp.Text(chromedp.CSS(sel)))
	}
	noSideways := func(page string) {
		t.Helper()
		if browser.Get(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)) {
			t.Errorf("%s scrolls sideways at %d px", page, browser.Phone.Width)
		}
	}

	// The HCT member votes from the home page's queue, then changes the vote.
	signIn("hana@example.org")
	if got := text(`[data-testid="queue-awaiting_vote"]`); !strings.Contains(got, passing.Reference) || !strings.Contains(got, "closes in") {
		t.Errorf("awaiting my vote = %q", got)
	}
	b.Do(
		chromedp.Navigate(srv.URL+"/requests/"+strconv.FormatInt(passing.ID, 10)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="vote-form"]`)),
		chromedp.Click(chromedp.CSS(`#vote-support_with_conditions`)),
		browser.ClickAndLoad(`[data-testid="vote-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-summary"]`)),
	)
	if got := text(`[data-testid="error-comment"]`); !strings.Contains(got, "conditions") {
		t.Errorf("message at the comment = %q", got)
	}
	b.Do(
		chromedp.Click(chromedp.CSS(`#vote-support_with_conditions`)),
		chromedp.SendKeys(chromedp.CSS(`#comment`), "Only until the road reopens."),
		browser.ClickAndLoad(`[data-testid="vote-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="my-vote"]`)),
	)
	if got := text(`[data-testid="my-vote"]`); !strings.Contains(got, "Support with conditions") {
		t.Errorf("my vote = %q", got)
	}
	if got := text(`[data-testid="turnout"]`); !strings.Contains(got, "1 of 2") {
		t.Errorf("turnout = %q", got)
	}
	noSideways("the review on the request page")
	b.SaveArtifacts("vote-phone")
	b.Do(
		chromedp.Click(chromedp.CSS(`#vote-support`)),
		browser.ClickAndLoad(`[data-testid="vote-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	)
	if got := text(`[data-testid="my-vote"]`); !strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(got, "Your organisation's vote:")), "Support") ||
		strings.Contains(got, "conditions") {
		t.Errorf("my vote after the change = %q", got)
	}
	// The other organisation votes; the officer closes both reviews.
	if _, err := svc.reviews.Vote(ctx, actors["hana@example.org"], failing.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
		t.Fatal(err)
	}
	for id, v := range map[int64]service.VoteInput{passing.ID: {Value: domain.VoteSupport},
		failing.ID: {Value: domain.VoteObject, Comment: "A party to the conflict would build it."}} {
		if _, err := svc.reviews.Vote(ctx, actors["hugo@example.org"], id, v); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.reviews.Close(ctx, actors["omar@example.org"], id, 1); err != nil {
			t.Fatal(err)
		}
	}
	signOut()

	// The HC approves the passed request.
	signIn("hc@example.org")
	if got := text(`[data-testid="queue-awaiting_decision"]`); !strings.Contains(got, passing.Reference) {
		t.Errorf("awaiting my decision = %q", got)
	}
	b.Do(
		chromedp.Navigate(srv.URL+"/requests/"+strconv.FormatInt(passing.ID, 10)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="decision-form"]`)),
		chromedp.Click(chromedp.CSS(`#outcome-approved`)),
		chromedp.SendKeys(chromedp.CSS(`#rationale`), "The HCT supports it; no civilian helicopter can land there."),
		browser.ClickAndLoad(`[data-testid="decision-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="decision"]`)),
	)
	if got := text(`[data-testid="status"]`); !strings.HasPrefix(got, "Approved") {
		t.Errorf("status after approval = %q", got)
	}
	b.SaveArtifacts("decision-phone")

	// The failed review: the form offers rejection only, and the API
	// refuses an approval.
	b.Do(
		chromedp.Navigate(srv.URL+"/requests/"+strconv.FormatInt(failing.ID, 10)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="decision-form"]`)),
	)
	if n := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('#outcome-approved').length`)); n != 0 {
		t.Error("the decision form offers approval of a failed review")
	}
	if got := text(`[data-testid="review-result"]`); !strings.HasPrefix(got, "Not passed") {
		t.Errorf("review result = %q", got)
	}
	token, _, err := svc.access.IssueTokenForEmail(ctx, "hc@example.org", domain.NewToken{Name: "browser test", Scope: domain.TokenFull})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/requests/"+strconv.FormatInt(failing.ID, 10)+"/decision",
		strings.NewReader(`{"version": 1, "outcome": "approved", "rationale": "Approve anyway"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := apicontract.Fetch(t, srv.URL).Client(t, nil).Do(req) // the answer must be the documented 409
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("API approval of a failed review: status %d, want 409", resp.StatusCode)
	}
	b.NoConsoleErrors()
}
