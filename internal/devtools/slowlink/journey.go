package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
)

// The journeys: the requester fills a whole request, from opening the
// form to the submitted request's page, on the one-page form and on the
// guided form's steps, each cold (HTTP cache emptied first) then warm.
// Inputs are set through the DOM, so no typing is timed; what is timed is
// each page load, from its navigation's start (the click that posts a
// form, or the address) to its load event, as the page's own Navigation
// Timing entry says.

// journeyOp is the operation the journeys file their requests in.
const journeyOp = "NPL-EQ-DEMO"

// journey is one run through a form.
type journey struct {
	form, visit string
	loads       []load
}

// load is one page load of a journey.
type load struct {
	path string // the page it ended on
	sent int64  // the url-encoded form body posted to reach it; 0 for an address opened
	t    timing
	wall time.Duration // on the tool's clock, from the click or Navigate to the timings read: a check on t.Load
}

// journeyTotals sums a journey's page loads.
type journeyTotals struct {
	pages     int     // documents loaded
	requests  int     // HTTP requests: the documents, their redirects (a post's 303) and the resources not from the cache
	sent      int64   // form bodies posted
	html      int64   // navigation transferSize
	resources int64   // resources' transferSize
	waiting   float64 // ms: the sum of the loads' loadEventEnd
}

func (j journey) totals() journeyTotals {
	var s journeyTotals
	for _, l := range j.loads {
		s.pages++
		s.requests += 1 + l.t.Redirects + l.t.Fetched
		s.sent += l.sent
		s.html += l.t.Nav
		s.resources += l.t.Resources
		s.waiting += l.t.Load
	}
	return s
}

// fill is one input to set: a value by input name, or an element to
// click by id (a radio button, a checkbox).
type fill struct {
	name, value string
	click       string
}

// journeyValues are the values, by input name, of a request the demo
// requester may submit in journeyOp (a natural disaster, WFP asking): the
// browser tests' complete request, required five days from now.
func journeyValues(now time.Time) map[string]string {
	required := now.UTC().Add(5 * 24 * time.Hour)
	end := required.AddDate(0, 0, 14).Format(time.DateOnly)
	return map[string]string{
		"title":                      "Airlift of shelter kits to Upper Rasuwa",
		"need":                       "4,000 families without shelter above 3,000 m; snow expected within 10 days.",
		"people_targeted":            "20000",
		"priority":                   "life_sustaining",
		"required_by":                required.Format("2006-01-02T15:04"),
		"checklist.LR4.note":         "UNHAS next free slot in three weeks; snow in ten days.",
		"task_category":              "air_rotary",
		"capability":                 "Heavy-lift helicopter with under-slung load.",
		"support_type":               "indirect",
		"task_description":           "Six rotations a day from Dhunche to Upper Rasuwa for two weeks.",
		"complementarity":            "Trucks carry the kits to Dhunche; only the last leg needs air.",
		"destination.name":           "Upper Rasuwa",
		"destination.adm1_pcode":     "NP03",
		"civilian.unhas.result":      "not_available",
		"civilian.unhas.note":        "Both UNHAS helicopters are committed for three weeks.",
		"start_date":                 required.Format(time.DateOnly),
		"end_date":                   end,
		"exit_strategy.organization": "WFP road convoys",
		"exit_strategy.date":         end,
		"exit_strategy.plan":         "The road reopens within two weeks; convoys take over.",
		"checklist.LR11.note":        "NEOC letter 2026/114",
		"poc.name":                   "Ram Requester",
		"poc.role":                   "Logistics officer",
		"poc.phone":                  "+977 1 555 0100",
		"poc.email":                  "requester@example.org",
	}
}

// fills is what to set on a page asking for the inputs names so that the
// request can be submitted: values' value for a name it has, the shelter
// sector, and for each checklist item the requester answers the answer
// that meets it (domain.Checklist's Meets). Names it has nothing for are
// left as they are.
func fills(names []string, values map[string]string) []fill {
	var out []fill
	for _, name := range names {
		id, isItem := strings.CutPrefix(name, "checklist.")
		switch {
		case values[name] != "":
			out = append(out, fill{name: name, value: values[name]})
		case name == "sectors":
			out = append(out, fill{click: "sector-SHL"})
		case isItem && !strings.Contains(id, "."):
			if it, ok := domain.ChecklistItemByID(id); ok && it.Meets != "" && !it.ByOfficer {
				out = append(out, fill{click: "checklist." + id + "-" + it.Meets})
			}
		}
	}
	return out
}

// formInputsJS lists the names of the inputs of the form %s selects.
const formInputsJS = `[...new Set([...document.querySelectorAll(
  '%[1]s input:not([type=hidden]), %[1]s select, %[1]s textarea')].map(e => e.name))]`

// fillForm sets the inputs of the form sel selects (see fills), through
// the DOM: no typing, nothing sent.
func fillForm(tab context.Context, sel string, values map[string]string) error {
	names, err := chromedp.Run(tab, chromedp.Evaluate[[]string](fmt.Sprintf(formInputsJS, sel)))
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("no inputs in %s", sel)
	}
	var steps []chromedp.Action[chromedp.Void]
	for _, f := range fills(names, values) {
		if f.click != "" {
			steps = append(steps, chromedp.Click(chromedp.CSS(`[id="`+f.click+`"]`)))
			continue
		}
		steps = append(steps, chromedp.SetValue(chromedp.CSS(`[name="`+f.name+`"]`), f.value))
	}
	return chromedp.Do(tab, steps...)
}

// postedJS is the size of the url-encoded body the button %s posts.
const postedJS = `(() => {
  const b = document.querySelector('%s');
  return new URLSearchParams(new FormData(b.form, b)).toString().length;
})()`

// submit presses the button sel, waits for the page it leads to and
// reads that page's timings; want selects what that page must show.
func submit(tab context.Context, sel, want string) (load, error) {
	ctx, cancel := context.WithTimeout(tab, 2*time.Minute)
	defer cancel()
	sent, err := chromedp.Run(ctx, chromedp.Evaluate[int64](fmt.Sprintf(postedJS, sel)))
	if err != nil {
		return load{}, err
	}
	start := time.Now()
	if err := chromedp.Do(ctx, browser.ClickAndLoad(sel)); err != nil {
		return load{}, err
	}
	l, err := loaded(ctx, want)
	l.sent, l.wall = sent, time.Since(start)
	return l, err
}

// loaded reads the timings of the page just loaded, once its load event
// has ended, and checks it shows want and no error summary.
func loaded(ctx context.Context, want string) (load, error) {
	var l load
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](timingJS, chromedp.EvalAwaitPromise))
	if err != nil {
		return l, err
	}
	if err := json.Unmarshal([]byte(s), &l.t); err != nil {
		return l, err
	}
	var page struct {
		Path    string `json:"path"`
		Want    bool   `json:"want"`
		Refused string `json:"refused"`
	}
	s, err = chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({path: location.pathname,
	  want: !!document.querySelector('`+want+`'),
	  refused: (document.querySelector('[data-testid="error-summary"]') || {}).innerText || ''})`))
	if err != nil {
		return l, err
	}
	if err := json.Unmarshal([]byte(s), &page); err != nil {
		return l, err
	}
	l.path = page.Path
	switch {
	case page.Refused != "":
		return l, fmt.Errorf("%s refused the form: %s", page.Path, page.Refused)
	case !page.Want:
		return l, fmt.Errorf("%s shows no %s", page.Path, want)
	}
	return l, nil
}

// journeys runs the one-page form, then the guided form, each cold then
// warm, in tab, where the requester is signed in.
func journeys(tab context.Context, base string, now time.Time, logf func(string, ...any)) ([]journey, error) {
	values := journeyValues(now)
	var out []journey
	for _, form := range []struct {
		name string
		run  func(context.Context, string, map[string]string, func(load)) error
	}{{"one-page form", onePage}, {"guided form", guided}} {
		for _, visit := range []string{"cold", "warm"} {
			if visit == "cold" {
				if _, err := chromedp.Call(tab, network.ClearBrowserCache, cdp.Empty{}); err != nil {
					return out, err
				}
			}
			j := journey{form: form.name, visit: visit}
			err := form.run(tab, base, values, func(l load) {
				j.loads = append(j.loads, l)
				logf("requester %-13s %s %2d %-36s sent %5d, load %s (tool's clock %s), %d bytes", form.name, visit, len(j.loads), l.path,
					l.sent, msf(l.t.Load), ms(l.wall), l.t.Nav+l.t.Resources)
			})
			if err != nil {
				return out, fmt.Errorf("%s (%s): %w", form.name, visit, err)
			}
			out = append(out, j)
		}
	}
	return out, nil
}

// onePage opens the one-page form, fills it and presses "Save and submit".
func onePage(tab context.Context, base string, values map[string]string, record func(load)) error {
	const form = `[data-testid="request-form"]`
	l, err := openLoad(tab, base+"/operations/"+journeyOp+"/requests/new", form)
	if err != nil {
		return err
	}
	record(l)
	if err := fillForm(tab, form, values); err != nil {
		return err
	}
	l, err = submit(tab, `[data-testid="save-submit"]`, `[data-testid="timeline"]`)
	if err != nil {
		return err
	}
	record(l)
	return submitted(tab)
}

// guided opens the guided form's first step, fills each step and presses
// "Save and continue", then submits from the review step.
func guided(tab context.Context, base string, values map[string]string, record func(load)) error {
	const form = `[data-testid="step-form"]`
	l, err := openLoad(tab, base+"/operations/"+journeyOp+"/requests/new/steps", form)
	if err != nil {
		return err
	}
	record(l)
	for range 20 { // a bound, should the steps never reach the review
		if strings.HasSuffix(l.path, "/steps/review") {
			if l, err = submit(tab, `[data-testid="save-submit"]`, `[data-testid="timeline"]`); err != nil {
				return err
			}
			record(l)
			return submitted(tab)
		}
		if err := fillForm(tab, form, values); err != nil {
			return fmt.Errorf("%s: %w", l.path, err)
		}
		if l, err = submit(tab, `[data-testid="step-next"]`, form); err != nil {
			return err
		}
		record(l)
	}
	return fmt.Errorf("no review step after 20 steps (at %s)", l.path)
}

// openLoad opens u and reads its timings; want selects what it must show.
func openLoad(tab context.Context, u, want string) (load, error) {
	ctx, cancel := context.WithTimeout(tab, 2*time.Minute)
	defer cancel()
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		return load{}, err
	}
	l, err := loaded(ctx, want)
	l.wall = time.Since(start)
	return l, err
}

// submitted checks that the request page says the request was submitted.
func submitted(tab context.Context) error {
	status, err := chromedp.Run(tab, chromedp.Evaluate[string](`(document.querySelector('[data-testid="status"]') || {}).innerText || ''`))
	if err != nil {
		return err
	}
	if !strings.HasPrefix(strings.TrimSpace(status), "Submitted") {
		return fmt.Errorf("the request page's status is %q, want Submitted", status)
	}
	return nil
}

// reportJourneys prints the journeys' totals, then each page load.
func reportJourneys(w io.Writer, js []journey) {
	if len(js) == 0 {
		return
	}
	fmt.Fprintf(w, "\nFilling a request as the requester (%s), from opening the form to the submitted request's page; inputs set through the DOM, no typing timed\n\n", journeyOp)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "form\tcache\tpage loads\tHTTP requests\tform bytes sent\tHTML bytes\tresource bytes\ttotal bytes received\twaiting on the network\tper page load\t")
	for _, j := range js {
		s := j.totals()
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", j.form, j.visit, s.pages, s.requests, s.sent,
			s.html, s.resources, s.html+s.resources, msf(s.waiting), msf(s.waiting/float64(max(s.pages, 1))))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nWaiting is the sum over the page loads of the time from the navigation's start (the click that posts the form, or opening the address) to the load event, the 303 after a post included; bytes received are transferSize, bytes sent the url-encoded form bodies (request headers not counted).")

	fmt.Fprintf(w, "\nEach page load of the journeys\n\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "form\tcache\t#\tpage\tform bytes sent\tTTFB\tload\tHTML bytes\tresource bytes\t")
	for _, j := range js {
		for i, l := range j.loads {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%d\t%d\t\n", j.form, j.visit, strconv.Itoa(i+1), l.path, l.sent,
				msf(l.t.TTFB), msf(l.t.Load), l.t.Nav, l.t.Resources)
		}
	}
	tw.Flush()
}
