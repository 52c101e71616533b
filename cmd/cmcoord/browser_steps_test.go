package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
	"github.com/cmcoord/cmcoord/internal/web"
)

// stepInputs are the names of the inputs the current step's page asks.
func stepInputs(b *browser.Browser) []string {
	return browser.Get(b, chromedp.Evaluate[[]string](`[...new Set([...document.querySelectorAll(
		'[data-testid="step-form"] .step-body input:not([type=hidden]), [data-testid="step-form"] .step-body select, [data-testid="step-form"] .step-body textarea'
	)].map(e => e.name))]`))
}

// TestBrowserGuidedSteps: on a 360 px phone with JavaScript off, a
// requester fills a request step by step from the operation's list. Every
// step is a short page (at most six screens); every field and checklist
// item of the one-page form is asked on exactly one step; each button
// saves the step first; the items a field answers show that answer; the
// review step says which step still needs what, links to it, and submits
// once it is complete. The stored request holds every value as typed.
func TestBrowserGuidedSteps(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := services(t, srv.DB)
	ctx := t.Context()
	actors := fieldReady(t, svc)

	b := browser.New(t)
	b.SetViewport(browser.Phone)
	assertScriptsOff(t, b)
	byName := func(name string) chromedp.CSS { return chromedp.CSS(`[name="` + name + `"]`) }
	text := func(sel string) string {
		t.Helper()
		return browser.Get(b, chromedp.Text(chromedp.CSS(sel)))
	}
	noJS(b,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "rita@example.org"),
		chromedp.SendKeys(chromedp.CSS(`#password`), fieldReadyPassword),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-name"]`)),
		chromedp.Navigate(srv.URL+"/operations/NPL-EQ/requests"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="new-request-steps"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="new-request-steps"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="step-form"]`)),
	)

	// What a complete request holds, by input name; the capability is
	// left out at first, as a field worker might.
	required := time.Now().UTC().Add(5 * 24 * time.Hour)
	typed := completeRequestFields(required)
	typed["title"] = "Airlift of shelter kits to Upper Rasuwa"
	typed["need"] = "4,000 families without shelter above 3,000 m; snow expected within 10 days."
	typed["checklist.LR4.note"] = "UNHAS next free slot in three weeks; snow in ten days."
	typed["people_targeted"] = "20000"
	chosen := map[string]string{"task_category": "air_rotary", "support_type": "indirect", "priority": "life_sustaining",
		"civilian.unhas.result": "not_available"}
	const capability = "Heavy-lift helicopter with under-slung load."

	screens := int(browser.Phone.Height) * 6
	seen := map[string]string{} // input name → the step it was found on
	var (
		stepIDs []string
		id      int64
	)
	for n := 1; ; n++ {
		step := browser.Get(b, chromedp.AttributeValue(chromedp.CSS(`[data-testid="step-form"]`), "action")).Value
		title := text(`[data-testid="step-title"]`)
		if !strings.Contains(title, fmt.Sprintf("Step %d of", n)) {
			t.Fatalf("step %d is titled %q", n, title)
		}
		h := browser.Get(b, chromedp.Evaluate[int](`document.documentElement.scrollHeight`))
		if h > screens {
			t.Errorf("step %d (%s) is %d px tall at %d px wide: more than six screens (%d px)", n, title, h, browser.Phone.Width, screens)
		}
		if w := browser.Get(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > int(browser.Phone.Width) {
			t.Errorf("step %d scrolls sideways: %d px", n, w)
		}
		if n := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('script:not([src^="/static/js/offline."][defer])').length`)); n != 0 {
			t.Errorf("step %q carries %d scripts besides the deferred offline one", title, n)
		}
		if key := browser.Get(b, chromedp.AttributeValue(chromedp.CSS(`[data-testid="step-form"]`), "data-autosave")); key.Value == "" {
			t.Errorf("step %q's form has no local copy key (data-autosave)", title)
		}
		b.SaveArtifacts(fmt.Sprintf("step-%d", n))
		if strings.Contains(step, "/steps/review") {
			break
		}
		names := stepInputs(b)
		for _, name := range names {
			if prev, dup := seen[name]; dup {
				t.Errorf("input %s is asked on %s and again on %s", name, prev, title)
			}
			seen[name] = title
		}
		// Fill what this step holds.
		for _, name := range names {
			switch {
			case typed[name] != "":
				noJS(b, chromedp.SetValue(byName(name), typed[name]))
			case chosen[name] != "":
				noJS(b, chromedp.SetValue(byName(name), chosen[name]))
			case name == "sectors":
				noJS(b, chromedp.Click(chromedp.CSS(`#sector-SHL`)))
			case strings.HasPrefix(name, "checklist.") && !strings.HasSuffix(name, ".note"):
				id := strings.TrimPrefix(name, "checklist.")
				if val := completeChecklist[id]; val != "" {
					// The answer that meets the item is marked before any save.
					if got := browser.Get(b, chromedp.Evaluate[bool](`!!document.querySelector('label[for="checklist.`+id+`-`+val+`"] .meets')`)); !got {
						t.Errorf("%s: the answer that meets it (%s) is not marked", id, val)
					}
					noJS(b, chromedp.Click(chromedp.CSS(`[id="checklist.`+id+`-`+val+`"]`)))
				}
			}
		}
		noJS(b, chromedp.Click(chromedp.CSS(`[data-testid="step-next"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="step-form"]`)))
		if got := text(`[data-testid="flash"]`); !strings.Contains(got, "Saved") {
			t.Errorf("after step %d: flash %q, want Saved", n, got)
		}
		if id == 0 {
			u := browser.Get(b, chromedp.Evaluate[string](`location.pathname`))
			m := regexp.MustCompile(`^/requests/(\d+)/steps/`).FindStringSubmatch(u)
			if m == nil {
				t.Fatalf("after the first step the browser is at %s, want a step of the new draft", u)
			}
			id, _ = strconv.ParseInt(m[1], 10, 64)
		}
		stepIDs = append(stepIDs, title)
	}

	// Every input of the one-page form is on exactly one step.
	noJS(b, chromedp.Navigate(fmt.Sprintf("%s/requests/%d/edit", srv.URL, id)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="request-form"]`)))
	onePage := browser.Get(b, chromedp.Evaluate[[]string](`[...new Set([...document.querySelectorAll(
		'[data-testid="request-form"] input:not([type=hidden]), [data-testid="request-form"] select, [data-testid="request-form"] textarea'
	)].map(e => e.name))]`))
	for _, name := range onePage {
		if _, ok := seen[name]; !ok {
			t.Errorf("input %s of the one-page form is on no step", name)
		}
	}
	for name := range seen {
		if !slices.Contains(onePage, name) {
			t.Errorf("input %s is on a step but not on the one-page form", name)
		}
	}

	// The review: the capability is missing, on the task step.
	noJS(b, chromedp.Navigate(fmt.Sprintf("%s/requests/%d/steps/review", srv.URL, id)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="step-review"]`)))
	if got := text(`[data-testid="review-task"]`); !strings.Contains(got, "Capability") {
		t.Errorf("review of the task step = %q, want the missing capability named", got)
	}
	for _, st := range []string{"need", "places", "civilian", "timing", "principles", "risks", "escort"} {
		if got := text(`[data-testid="review-` + st + `"]`); !strings.Contains(got, "complete") {
			t.Errorf("review of step %s = %q, want complete", st, got)
		}
	}
	if got := text(`[data-testid="step-state-task"]`); got != "needs more" {
		t.Errorf("step indicator for the task step says %q", got)
	}
	// From the review to the task step; the need is shown where LR1 takes it.
	noJS(b, chromedp.Click(chromedp.CSS(`[data-testid="review-task"] button`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="step-pending"]`)))
	if got := browser.Get(b, chromedp.Evaluate[string](`document.querySelector("[data-testid=step-pending]").textContent`)); !strings.Contains(got, "Capability") {
		t.Errorf("task step's pending list = %q", got)
	}
	if got := text(`[data-testid="taken-LR10"]`); got != "Indirect assistance" && !strings.Contains(got, "ndirect") {
		t.Errorf("LR10 shows %q, want the support type it takes its answer from", got)
	}
	noJS(b,
		chromedp.SendKeys(byName("capability"), capability),
		chromedp.Click(chromedp.CSS(`[data-testid="step-link-review"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="step-review"]`)),
	)
	if got := text(`[data-testid="review-task"]`); !strings.Contains(got, "complete") {
		t.Errorf("review of the task step after the capability = %q", got)
	}
	noJS(b, chromedp.Click(chromedp.CSS(`[data-testid="save-submit"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="timeline"]`)))
	if got := text(`[data-testid="status"]`); !strings.HasPrefix(got, "Submitted") {
		t.Fatalf("status after submitting from the review = %q", got)
	}

	// Stored as typed.
	d, err := svc.requests.Get(ctx, actors["rita@example.org"], id)
	if err != nil {
		t.Fatal(err)
	}
	r := d.Request
	for field, got := range map[string]string{"title": r.Title, "need": r.Need, "capability": r.Capability,
		"task_description": r.TaskDescription, "complementarity": r.Complementarity, "destination.name": r.Destination.Name,
		"exit_strategy.plan": r.ExitStrategy.Plan, "poc.email": r.POC.Email, "checklist.LR4.note": r.Checklist["LR4"].Note,
		"start_date": r.StartDate.Format(time.DateOnly), "people_targeted": strconv.Itoa(r.PeopleTargeted),
		"task_category": string(r.TaskCategory), "support_type": string(r.SupportType)} {
		want := typed[field] + chosen[field]
		if field == "capability" {
			want = capability
		}
		if got != want {
			t.Errorf("stored %s = %q, want %q", field, got, want)
		}
	}
	if !slices.Equal(r.Sectors, []string{"SHL"}) {
		t.Errorf("stored sectors = %v", r.Sectors)
	}
	for id, val := range completeChecklist {
		if got := r.Checklist[id].Value; got != val {
			t.Errorf("stored %s = %q, want %q", id, got, val)
		}
	}
	if r.Status != domain.StatusSubmitted {
		t.Errorf("stored status = %s", r.Status)
	}
	// The longest a step gets: an empty draft (every problem listed on
	// the review), in English and in French (the longer text).
	empty, _, err := svc.requests.Create(ctx, actors["rita@example.org"], "NPL-EQ", domain.Request{Title: "Empty draft"}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "fr"} {
		noJS(b,
			chromedp.Navigate(srv.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="language-switch"]`)),
			chromedp.SetValue(chromedp.CSS(`#footer-language`), lang),
			chromedp.Click(chromedp.CSS(`[data-testid="language-switch"] button`)),
			chromedp.WaitReady(chromedp.CSS(`html[lang="`+lang+`"] [data-testid="page-title"]`)),
		)
		for _, st := range web.StepIDs() {
			noJS(b, chromedp.Navigate(fmt.Sprintf("%s/requests/%d/steps/%s", srv.URL, empty.ID, st)),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid="step-form"]`)))
			if h := browser.Get(b, chromedp.Evaluate[int](`document.documentElement.scrollHeight`)); h > screens {
				b.SaveArtifacts("tall-" + lang + "-" + st)
				t.Errorf("%s step %s of an empty draft is %d px tall: more than six screens (%d px)", lang, st, h, screens)
			}
		}
	}
	if len(stepIDs) != 8 {
		t.Errorf("went through %d steps before the review, want 8", len(stepIDs))
	}
}
