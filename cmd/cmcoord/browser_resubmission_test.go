package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestBrowserResubmission: on a 360 px phone with scripts off, the
// officer reads what changed since the previous submission on the request
// page and the record: every row a card (field, before, after labelled),
// long texts wrapped in full, nothing scrolling sideways.
func TestBrowserResubmission(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := services(t, srv.DB)
	ctx := t.Context()
	actors := fieldReady(t, svc)
	rita, omar := actors["rita@example.org"], actors["omar@example.org"]

	r, _, err := svc.requests.Create(ctx, rita, "NPL-EQ", fixture.Request("Airlift to Upper Rasuwa", time.Now()), "")
	if err != nil {
		t.Fatal(err)
	}
	if r, err = svc.requests.Transition(ctx, rita, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version}); err != nil {
		t.Fatal(err)
	}
	if r, err = svc.requests.Transition(ctx, omar, r.ID, domain.ActionReturn, domain.TransitionInput{Version: r.Version, Reason: "Say more."}); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("The road stays closed until the bridge is rebuilt. ", 12) + "https://example.org/" + strings.Repeat("x", 120)
	edits := map[string]func(*domain.Request){}
	for f, e := range fixture.FieldEdits {
		edits[f] = e
	}
	edits["need"] = func(x *domain.Request) { x.Need = long }
	for _, f := range domain.AuditFields() {
		if r, err = svc.requests.Edit(ctx, rita, r.ID, r.Version, func(x *domain.Request) error { edits[f](x); return nil }); err != nil {
			t.Fatalf("edit %s: %v", f, err)
		}
	}
	if _, err = svc.requests.Transition(ctx, rita, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version}); err != nil {
		t.Fatal(err)
	}

	b := browser.New(t)
	b.SetViewport(browser.Phone)
	assertScriptsOff(t, b)
	noJS(b,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "omar@example.org"),
		chromedp.SendKeys(chromedp.CSS(`#password`), fieldReadyPassword),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-name"]`)),
	)
	page := srv.URL + "/requests/" + strconv.FormatInt(r.ID, 10)
	for i, path := range []string{page, page + "/record"} {
		noJS(b,
			chromedp.Navigate(path),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="resubmission"]`)),
		)
		b.SaveArtifacts([]string{"page", "record"}[i] + "-phone")
		if browser.Get(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)) {
			t.Errorf("%s scrolls sideways on a 360 px phone", path)
		}
		// Each row a card: the cells stacked, each named by its column.
		probe := `(() => {
  const sec = document.querySelector('[data-testid="resubmission"]');
  const td = sec.querySelector('tr[data-testid="change-need"] [data-testid="change-after"]');
  const before = getComputedStyle(td, '::before').content;
  const cells = [...sec.querySelectorAll('tbody td')];
  const wide = cells.filter(c => c.getBoundingClientRect().right > sec.getBoundingClientRect().right + 1).length;
  return [getComputedStyle(td).display, before, String(wide), String(td.innerText.length)].join('|');
})()`
		got := strings.Split(browser.Get(b, chromedp.Evaluate[string](probe)), "|")
		if got[0] != "block" || !strings.Contains(got[1], "After") {
			t.Errorf("%s: a cell is display %q labelled %q, want a block named After", path, got[0], got[1])
		}
		if got[2] != "0" {
			t.Errorf("%s: %s cells stick out of the section", path, got[2])
		}
		if n, _ := strconv.Atoi(got[3]); n < len(long) {
			t.Errorf("%s: the long need shows %d characters, want all %d", path, n, len(long))
		}
	}
}
