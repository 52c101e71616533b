package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/demo"

	"github.com/cmcoord/cmcoord/internal/testutil/browser"
)

// timing is what the page's Navigation, Paint and Resource Timing entries
// say about one visit.
type timing struct {
	FCP       float64 `json:"fcp"`       // first-contentful-paint startTime, ms (-1: none)
	TTFB      float64 `json:"ttfb"`      // navigation responseStart, ms
	DCL       float64 `json:"dcl"`       // domContentLoadedEventEnd, ms
	Load      float64 `json:"load"`      // loadEventEnd, ms
	Nav       int64   `json:"nav"`       // navigation transferSize (headers + encoded body)
	Resources int64   `json:"res"`       // sum of the resources' transferSize (0 from cache)
	Count     int     `json:"count"`     // resources loaded
	Fetched   int     `json:"fetched"`   // of which over the network (transferSize > 0: not from the cache)
	Redirects int     `json:"redirects"` // navigation redirectCount (a form post's 303)
}

// row is one visit of the report.
type row struct {
	user, page, visit string
	t                 timing
}

// timingJS waits until the load event has ended and the first
// contentful paint is recorded (10 s at most), then reports.
const timingJS = `new Promise(resolve => {
  const start = Date.now();
  const check = () => {
    const n = performance.getEntriesByType('navigation')[0];
    const f = performance.getEntriesByName('first-contentful-paint')[0];
    if ((n && n.loadEventEnd > 0 && f) || Date.now() - start > 10000) {
      const res = performance.getEntriesByType('resource');
      resolve(JSON.stringify({
        fcp: f ? f.startTime : -1, ttfb: n ? n.responseStart : -1,
        dcl: n ? n.domContentLoadedEventEnd : -1, load: n ? n.loadEventEnd : -1,
        nav: n ? n.transferSize : 0, res: res.reduce((s, r) => s + r.transferSize, 0), count: res.length,
        fetched: res.filter(r => r.transferSize > 0).length,
        redirects: n ? n.redirectCount : 0}));
    } else {
      setTimeout(check, 50);
    }
  };
  check();
})`

// measure drives Chromium: the sign-in page, then for the requester and
// the officer each main page, cold then warm; then the requester's
// journeys through the two request forms.
func measure(ctx context.Context, chromium, base, tmp string, logf func(string, ...any)) ([]row, []journey, error) {
	// The browser tests' flags, in a phone-sized window, as in the field.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, browser.AllocatorOptions(chromium, tmp+"/chromium", browser.Phone)...)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browserCtx); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", chromium, err)
	}

	var (
		rows []row
		js   []journey
	)
	// visit opens path twice: cold (HTTP cache emptied first), then warm.
	visit := func(tab context.Context, user, path string) error {
		for _, v := range []string{"cold", "warm"} {
			if v == "cold" {
				if _, err := chromedp.Call(tab, network.ClearBrowserCache, cdp.Empty{}); err != nil {
					return err
				}
			}
			t, err := open(tab, base+path)
			if err != nil {
				return fmt.Errorf("%s %s (%s): %w", user, path, v, err)
			}
			rows = append(rows, row{user: user, page: path, visit: v, t: t})
			logf("%-9s %-40s %s: first paint %s, load %s, %d bytes", user, path, v, msf(t.FCP), msf(t.Load), t.Nav+t.Resources)
		}
		return nil
	}

	for _, email := range []string{"requester@example.org", "officer@example.org"} {
		user := email[:len(email)-len("@example.org")]
		// A browser context of its own: empty cache, no connection open
		// yet, so the sign-in page's cold visit pays for the TCP handshake.
		tab, cancelTab := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
		err := func() error {
			if err := visit(tab, "anonymous", "/login"); err != nil {
				return err
			}
			tctx, cancel := context.WithTimeout(tab, 2*time.Minute)
			defer cancel()
			if err := chromedp.Do(tctx,
				chromedp.SendKeys(chromedp.CSS(`#email`), email),
				chromedp.SendKeys(chromedp.CSS(`#password`), demo.Password),
				chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-name"]`)),
			); err != nil {
				return fmt.Errorf("sign in as %s: %w", email, err)
			}
			list := "/operations/NPL-EQ-DEMO/requests"
			pages := []string{"/", list}
			for _, p := range pages {
				if err := visit(tab, user, p); err != nil {
					return err
				}
			}
			// A request page from the list: an approved one with its
			// lifecycle when the user sees one, else the first.
			href, err := chromedp.Run(tctx, chromedp.Evaluate[string](`(() => {
				const a = document.querySelector('[data-testid="requests"] tbody tr:has([data-status=handed_over]) a[href^="/requests/"]')
				  || document.querySelector('[data-testid="requests"] tbody a[href^="/requests/"]');
				return a ? a.getAttribute('href') : '';
			})()`))
			if err != nil {
				return err
			}
			if href == "" {
				return fmt.Errorf("%s: no request in %s", user, list)
			}
			more := []string{href}
			if user == "requester" {
				more = append(more, "/operations/NPL-EQ-DEMO/requests/new")
			} else {
				more = append(more, "/operations/NPL-EQ-DEMO/summary")
			}
			for _, p := range more {
				if err := visit(tab, user, p); err != nil {
					return err
				}
			}
			if user == "requester" {
				js, err = journeys(tab, base, time.Now(), logf)
			}
			return err
		}()
		cancelTab()
		if err != nil {
			return rows, js, err
		}
	}
	return rows, js, nil
}

// open navigates to u, waits for the load event and the first paint, and
// reads the timings.
func open(tab context.Context, u string) (timing, error) {
	ctx, cancel := context.WithTimeout(tab, 2*time.Minute)
	defer cancel()
	var t timing
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		return t, err
	}
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](timingJS, chromedp.EvalAwaitPromise))
	if err != nil {
		return t, err
	}
	err = json.Unmarshal([]byte(s), &t)
	return t, err
}

// report prints the table and checks that the shaping took effect.
func report(w io.Writer, o options, l *link, rows []row, js []journey) {
	fmt.Fprintf(w, "\ncmcoord over an emulated satellite link: %s each way (%s round trip), %d kbit/s each way (%s); headless Chromium, 360×740\n\n",
		o.delay, 2*o.delay, o.kbit, l.kind)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "user\tpage\tvisit\tfirst paint\tTTFB\tDOMContentLoaded\tload\tHTML bytes\tresource bytes\ttotal bytes\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t\n", r.user, r.page, r.visit,
			msf(r.t.FCP), msf(r.t.TTFB), msf(r.t.DCL), msf(r.t.Load), r.t.Nav, r.t.Resources, r.t.Nav+r.t.Resources)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nTimes are from the start of the navigation; bytes are transferSize (headers and compressed body), 0 for a file served from the cache.")
	reportJourneys(w, js)
	for _, r := range rows {
		if r.page == "/login" && r.visit == "cold" {
			if r.t.FCP < float64(2*o.delay/time.Millisecond) {
				fmt.Fprintf(w, "\nWARNING: the sign-in page painted after %s, less than one round trip (%s): the shaping did not take effect\n", msf(r.t.FCP), 2*o.delay)
			}
			break
		}
	}
}

func msf(v float64) string {
	if v < 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f ms", v)
}
