package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// TestBrowserNoLostWork drives, in Chromium, the two ways work was lost:
// two tabs editing one draft (the second save is refused with the first
// tab's change shown and the second tab's typing kept; saving again is
// accepted), and a session that ends while the form is open (the save
// goes to the sign-in page; signing in again returns to the form with
// what was typed, not yet saved).
func TestBrowserNoLostWork(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := services(t, srv.DB)
	ctx := t.Context()
	root, err := svc.directory.CreateAdmin(ctx, "admin@example.org", "Ada Admin", browserPassword, domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := svc.access.Actor(ctx, root.ID, root.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.directory.CreateOperation(ctx, admin, domain.Operation{Code: "NPL-EQ", Name: "Nepal earthquake",
		CountryISO3: "NPL", Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48}); err != nil {
		t.Fatal(err)
	}
	wfp, err := svc.directory.CreateOrganization(ctx, admin, domain.Organization{Name: "World Food Programme", Acronym: "WFP",
		Type: domain.OrgUNAgency, UNEntity: true})
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := svc.directory.CreateUser(ctx, admin, service.NewUser{User: domain.User{Email: "rita@example.org", Name: "Rita",
		OrganizationID: wfp.ID, Language: "en"}, Password: browserPassword})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.directory.SetMember(ctx, admin, "NPL-EQ", u.ID, domain.RoleSet{domain.RoleRequester}); err != nil {
		t.Fatal(err)
	}
	rita, err := svc.access.Actor(ctx, u.ID, u.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	draft, _, err := svc.requests.Create(ctx, rita, "NPL-EQ", fixture.Request("Airlift", time.Now()), "")
	if err != nil {
		t.Fatal(err)
	}
	edit := srv.URL + "/requests/" + strconv.FormatInt(draft.ID, 10) + "/edit"
	stored := func() domain.Request {
		t.Helper()
		d, err := svc.requests.Get(ctx, rita, draft.ID)
		if err != nil {
			t.Fatal(err)
		}
		return d.Request
	}
	byName := func(name string) chromedp.CSS { return chromedp.CSS(`[name="` + name + `"]`) }

	a := browser.New(t)
	a.Do(signIn(srv.URL, "rita@example.org", browserPassword))
	// A second tab of the same browser: the same session.
	tabB, closeB := chromedp.NewContext(a.Context())
	t.Cleanup(closeB)
	// The first run opens the tab and binds it to the context it is given,
	// which must outlive every step: tabB itself, without a timeout.
	if err := chromedp.Do(tabB); err != nil {
		t.Fatalf("tab B: %v", err)
	}
	// Chrome gives animation frames to the active tab only: each tab is
	// brought to the front before it is used, as a person would.
	front := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.BringToFront, cdp.Empty{})
		return err
	})
	inB := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		steps = append([]chromedp.Action[chromedp.Void]{front}, steps...)
		c, cancel := context.WithTimeout(tabB, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(c, steps...); err != nil {
			t.Fatalf("tab B: %v", err)
		}
	}
	getB := func(act chromedp.Action[string]) string {
		t.Helper()
		c, cancel := context.WithTimeout(tabB, time.Minute)
		defer cancel()
		v, err := chromedp.Run(c, act)
		if err != nil {
			t.Fatalf("tab B: %v", err)
		}
		return v
	}

	// Two tabs open the draft; A saves a new title; B, still on the old
	// version, saves a new need.
	a.Do(chromedp.Navigate(edit), chromedp.WaitVisible(chromedp.CSS(`[data-testid="request-form"]`)))
	inB(chromedp.Navigate(edit), chromedp.WaitVisible(chromedp.CSS(`[data-testid="request-form"]`)))
	a.Do(
		front,
		chromedp.SetValue(byName("title"), "Airlift, retitled in tab A"),
		browser.ClickAndLoad(`[data-testid="save-draft"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="edit-request"]`)),
	)
	inB(
		chromedp.SetValue(byName("need"), "The need as tab B put it."),
		browser.ClickAndLoad(`[data-testid="save-draft"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="edit-conflict"]`)),
	)
	if got := getB(chromedp.Text(chromedp.CSS(`[data-testid="conflict-title"]`))); !strings.Contains(got, "Airlift, retitled in tab A") ||
		!strings.Contains(got, "Airlift") {
		t.Errorf("tab B's conflict row for the title = %q, want tab A's title now beside B's", got)
	}
	if got := getB(chromedp.Value(byName("need"))); got != "The need as tab B put it." {
		t.Errorf("tab B's need after the conflict = %q (typing lost)", got)
	}
	if r := stored(); r.Title != "Airlift, retitled in tab A" || r.Need == "The need as tab B put it." {
		t.Fatalf("after the refused save: %q / %q", r.Title, r.Need)
	}
	// B takes A's title and saves again: both changes stand.
	inB(
		chromedp.SetValue(byName("title"), "Airlift, retitled in tab A"),
		browser.ClickAndLoad(`[data-testid="save-draft"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="edit-request"]`)),
	)
	if r := stored(); r.Title != "Airlift, retitled in tab A" || r.Need != "The need as tab B put it." {
		t.Errorf("after re-applying: %q / %q", r.Title, r.Need)
	}

	// The session ends while the form is open: the save keeps the typing.
	a.Do(
		front,
		chromedp.Navigate(edit),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="request-form"]`)),
		chromedp.SetValue(byName("complementarity"), "Typed while the session was ending."),
	)
	if _, err := testdb.Pool(t, srv.DB).Exec(ctx, `UPDATE sessions SET expiry = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	a.Do(
		browser.ClickAndLoad(`[data-testid="save-draft"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
	)
	if got := browser.Get(a, chromedp.Text(chromedp.CSS(`[data-testid="flash"]`))); !strings.Contains(got, "kept") {
		t.Errorf("the sign-in page says %q, want that the typing is kept", got)
	}
	a.Do(
		chromedp.SendKeys(chromedp.CSS(`#email`), "rita@example.org"),
		chromedp.SendKeys(chromedp.CSS(`#password`), browserPassword),
		browser.ClickAndLoad(`[data-testid="login-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="request-form"]`)),
	)
	if got := browser.Get(a, chromedp.Value(byName("complementarity"))); got != "Typed while the session was ending." {
		t.Errorf("after signing in again the form holds %q", got)
	}
	if got := browser.Get(a, chromedp.Text(chromedp.CSS(`[data-testid="form-notice"]`))); !strings.Contains(got, "not been saved yet") {
		t.Errorf("the form's notice = %q", got)
	}
	if r := stored(); r.Complementarity == "Typed while the session was ending." {
		t.Fatal("the kept form was saved without the user")
	}
	a.Do(
		browser.ClickAndLoad(`[data-testid="save-draft"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="edit-request"]`)),
	)
	if r := stored(); r.Complementarity != "Typed while the session was ending." {
		t.Errorf("saved after signing in: %q", r.Complementarity)
	}
	a.NoConsoleErrors()
}
