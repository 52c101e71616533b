package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/notify"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
	"github.com/cmcoord/cmcoord/internal/testutil/smtptest"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// TestBrowserVoteFromEmail: the review e-mail, sent over SMTP and read as
// its recipient reads it, carries one link per vote value. Prefetching a
// link (a mail scanner) changes nothing; opened on a phone, the link
// shows the request, the checklist and the value; confirming votes and
// the tally moves; a second click says the link was used; a link of a
// round that closed is refused.
func TestBrowserVoteFromEmail(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := services(t, srv.DB)
	ctx := t.Context()
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	// The review is opened through services whose notices go by e-mail,
	// with links to the server under test; the outbox is drained to a
	// real SMTP server by the real worker and mailer.
	pool := testdb.Pool(t, srv.DB)
	st := store.New(pool)
	reviews := service.NewReviews(st, time.Now, discardLogger(), notify.New(catalog, true, srv.URL, discardLogger()))
	smtpd := smtptest.Start(t)
	mailer, err := notify.NewMailer(smtpd.URL())
	if err != nil {
		t.Fatal(err)
	}
	worker := notify.NewWorker(st, mailer, discardLogger())
	drain := func() {
		t.Helper()
		if _, failed, err := worker.DrainOnce(ctx); err != nil || failed != 0 {
			t.Fatalf("drain the outbox: %d failed, %v", failed, err)
		}
	}

	actors := ssdOperation(t, svc, map[string]ssdMember{
		"rita@example.org": {org: orgWFP, role: domain.RoleRequester},
		"omar@example.org": {org: orgOCHA, role: domain.RoleOfficer},
		"hana@example.org": {org: orgNGO, role: domain.RoleHCTMember},
		"hugo@example.org": {org: orgOCHA, role: domain.RoleHCTMember},
	})
	r, _, err := svc.requests.Create(ctx, actors["rita@example.org"], "SSD-CE", fixture.Request("Airlift to Upper Nile", time.Now()), "")
	if err != nil {
		t.Fatal(err)
	}
	if r, err = svc.requests.Transition(ctx, actors["rita@example.org"], r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version}); err != nil {
		t.Fatal(err)
	}
	if _, err := reviews.Open(ctx, actors["omar@example.org"], r.ID, service.OpenInput{Version: r.Version}); err != nil {
		t.Fatal(err)
	}
	drain()
	linkRE := regexp.MustCompile(`(?m)^(.+): (` + regexp.QuoteMeta(srv.URL) + `/act/[A-Za-z0-9_-]+)$`)
	links := func(to string) map[string]string {
		t.Helper()
		ms := smtpd.To(to)
		if len(ms) == 0 {
			t.Fatalf("no e-mail to %s", to)
		}
		out := map[string]string{}
		for _, m := range linkRE.FindAllStringSubmatch(ms[len(ms)-1].Text(), -1) {
			out[m[1]] = m[2]
		}
		if len(out) != len(domain.VoteValues) {
			t.Fatalf("e-mail to %s has links %v:\n%s", to, out, ms[len(ms)-1].Text())
		}
		return out
	}
	hana, hugo := links("hana@example.org"), links("hugo@example.org")
	// Once sent, the stored copy holds no live link: a backup or a
	// replica of the database opens nothing.
	var live int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL AND body ~ '/act/[A-Za-z0-9_-]{20}'`).Scan(&live); err != nil || live != 0 {
		t.Errorf("%d sent e-mails still hold a link's token (%v)", live, err)
	}
	// Small enough for a satellite link, and readable without images: a
	// text part and an HTML part made from it, no image anywhere.
	m := smtpd.To("hana@example.org")[0]
	if ct := m.Header("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") || len(m.Raw) > 16<<10 ||
		strings.Contains(strings.ToLower(string(m.Raw)), "<img") {
		t.Errorf("review e-mail: %s, %d bytes", ct, len(m.Raw))
	}
	t.Logf("review e-mail with vote links: %d bytes", len(m.Raw))
	votes := func() int {
		t.Helper()
		rs, err := svc.reviews.State(ctx, actors["omar@example.org"], r.ID)
		if err != nil {
			t.Fatal(err)
		}
		return rs.Tally.Voted
	}

	// A mail scanner prefetches every link: nothing changes.
	for _, l := range hana {
		resp, err := http.Get(l)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("prefetch %s: %d", l, resp.StatusCode)
		}
	}
	if n := votes(); n != 0 {
		t.Fatalf("prefetching the links cast %d votes", n)
	}

	b := browser.New(t)
	b.SetViewport(browser.Phone)
	text := func(sel string) string {
		t.Helper()
		return browser.Get(b, chromedp.Text(chromedp.CSS(sel)))
	}
	b.Do(
		chromedp.Navigate(hana["Support with conditions"]),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="act-form"]`)),
	)
	if got := text(`[data-testid="act-value"]`); !strings.Contains(got, "Support with conditions") {
		t.Errorf("value on the page = %q", got)
	}
	if got := text(`[data-testid="act-request"]`); !strings.Contains(got, r.Reference) || !strings.Contains(got, "0 of 2") {
		t.Errorf("request on the page = %q", got)
	}
	b.CheckPhoneLayout()
	b.CheckA11y()
	b.SaveArtifacts("vote-link-phone")
	// Conditions are required: the page says so next to the field.
	b.Do(
		browser.ClickAndLoad(`[data-testid="act-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-comment"]`)),
		chromedp.SendKeys(chromedp.CSS(`#comment`), "Unarmed crew; civilian markings."),
		browser.ClickAndLoad(`[data-testid="act-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="act-done"]`)),
	)
	if got := text(`[data-testid="act-turnout"]`); !strings.Contains(got, "1 of 2") {
		t.Errorf("turnout after the vote = %q", got)
	}
	if n := votes(); n != 1 {
		t.Fatalf("%d votes after confirming", n)
	}
	// A second click on the same link, or on another of the e-mail.
	for _, l := range []string{hana["Support with conditions"], hana["Object"]} {
		b.Do(chromedp.Navigate(l), chromedp.WaitVisible(chromedp.CSS(`[data-testid="act-refusal"]`)))
		if got := text(`[data-testid="act-refusal"]`); !strings.Contains(got, "already used") {
			t.Errorf("second click: %q", got)
		}
	}

	// Quorum is met: the officer closes the review. Hugo's organisation
	// never voted; his links are for a round that is no longer open.
	if _, err := svc.reviews.Close(ctx, actors["omar@example.org"], r.ID, r.Version); err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.Navigate(hugo["Support"]), chromedp.WaitVisible(chromedp.CSS(`[data-testid="act-refusal"]`)))
	if got := text(`[data-testid="act-refusal"]`); !strings.Contains(got, "no longer open") {
		t.Errorf("link of a closed round: %q", got)
	}
	if browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="act-form"]').length`)) != 0 {
		t.Error("a closed round's link still offers to vote")
	}
	b.NoConsoleErrors()
}
