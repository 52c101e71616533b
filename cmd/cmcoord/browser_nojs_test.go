package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// fieldReadyPassword is every fieldReady user's password.
const fieldReadyPassword = "violet kettle harbour at dawn"

// fieldReady sets up what the field-ready browser tests share: the
// operation NPL-EQ with a requester (WFP), an officer and two HCT members
// of different organisations, each as a signed-in service actor.
func fieldReady(t *testing.T, svc testServices) map[string]domain.Actor {
	t.Helper()
	ctx := t.Context()
	root, err := svc.directory.CreateAdmin(ctx, "admin@example.org", "Ada Admin", fieldReadyPassword, domain.Organization{Name: "OCHA"})
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
		typ        domain.OrgType
		role       domain.Role
	}{
		{"rita@example.org", "World Food Programme", domain.OrgUNAgency, domain.RoleRequester},
		{"omar@example.org", "", "", domain.RoleOfficer},
		{"hana@example.org", "Save the Children", domain.OrgINGO, domain.RoleHCTMember},
		{"hugo@example.org", "Community Action", domain.OrgINGO, domain.RoleHCTMember},
	} {
		orgID := root.OrganizationID
		if p.org != "" {
			o, err := svc.directory.CreateOrganization(ctx, by, domain.Organization{Name: p.org,
				Acronym: strings.ToUpper(p.org[:3]), Type: p.typ, UNEntity: p.typ == domain.OrgUNAgency})
			if err != nil {
				t.Fatal(err)
			}
			orgID = o.ID
		}
		u, _, err := svc.directory.CreateUser(ctx, by, service.NewUser{User: domain.User{Email: p.email,
			Name: strings.Split(p.email, "@")[0], OrganizationID: orgID, Language: "en"}, Password: fieldReadyPassword})
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
	return actors
}

// scriptsOff switches script execution in the tab off (true) or back on
// (false), through DevTools' Emulation.setScriptExecutionDisabled.
func scriptsOff(off bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off})
		return err
	})
}

// noJS runs a user's steps in b with JavaScript off: every page those
// steps load, every click and key press, runs without scripts. Once the
// steps are done scripts are switched back on, for the harness's own
// accessibility check only: axe-core is injected through DevTools and
// resolves asynchronously (timers), which a page with script execution
// disabled never runs. The page was loaded without scripts and has none,
// so switching them back on changes nothing in it.
func noJS(b *browser.Browser, steps ...chromedp.Action[chromedp.Void]) {
	b.Do(append(append([]chromedp.Action[chromedp.Void]{scriptsOff(true)}, steps...), scriptsOff(false))...)
}

// scriptProbe is a page that, if its script runs, retitles itself; with
// scripts off its <noscript> content is parsed as elements instead.
const scriptProbe = `data:text/html,<!DOCTYPE html><html lang="en"><title>scripts off</title>` +
	`<script>document.title = "scripts on"</script><noscript><p id="noscript">off</p></noscript></html>`

// assertScriptsOff fails the test unless noJS really loads pages without
// running their scripts.
func assertScriptsOff(t *testing.T, b *browser.Browser) {
	t.Helper()
	noJS(b, chromedp.Navigate(scriptProbe))
	if got := browser.Get(b, chromedp.Evaluate[string](`document.title`)); got != "scripts off" {
		t.Fatalf("probe page title = %q: its inline script ran, JavaScript is not off", got)
	}
	if !browser.Get(b, chromedp.Evaluate[bool](`document.getElementById('noscript') !== null`)) {
		t.Fatal("probe page's <noscript> content is not rendered: JavaScript is not off")
	}
	// The control: with scripts on, the same page runs its script.
	b.Do(chromedp.Navigate(scriptProbe))
	if got := browser.Get(b, chromedp.Evaluate[string](`document.title`)); got != "scripts on" {
		t.Fatalf("probe page title with scripts on = %q, want the script to have run", got)
	}
}

// TestBrowserNoJavaScript: with JavaScript off in Chromium, on a 360 px
// phone, the requester fills the whole request form, is told at the field
// what is missing without losing anything typed, completes it and
// submits; an HCT member votes "support with conditions", is told at the
// comment that the conditions are needed, gives them, and the vote is
// recorded. No page of the app carries a script but the offline one
// (issue 18), an enhancement that is off here: nothing needs it.
func TestBrowserNoJavaScript(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := services(t, srv.DB)
	ctx := t.Context()
	actors := fieldReady(t, svc)

	b := browser.New(t)
	b.SetViewport(browser.Phone)
	assertScriptsOff(t, b)

	text := func(sel string) string {
		t.Helper()
		return browser.Get(b, chromedp.Text(chromedp.CSS(sel)))
	}
	byName := func(name string) chromedp.CSS { return chromedp.CSS(`[name="` + name + `"]`) }
	noScripts := func(page string) {
		t.Helper()
		if n := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('script:not([src^="/static/js/offline."][defer]):not([src^="/static/js/upload."][defer])').length`)); n != 0 {
			t.Errorf("%s has %d <script> elements besides the deferred offline and upload ones; every flow must work without them", page, n)
		}
	}
	signIn := func(email string) {
		t.Helper()
		noJS(b,
			chromedp.Navigate(srv.URL+"/login"),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
			chromedp.SendKeys(chromedp.CSS(`#email`), email),
			chromedp.SendKeys(chromedp.CSS(`#password`), fieldReadyPassword),
			chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-name"]`)),
		)
	}
	signOut := func() {
		t.Helper()
		noJS(b, chromedp.Click(chromedp.CSS(`[data-testid="signout"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)))
	}

	// The requester opens the form from the operation's list.
	signIn("rita@example.org")
	noScripts("the dashboard")
	noJS(b,
		chromedp.Navigate(srv.URL+"/operations/NPL-EQ/requests"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="new-request"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="new-request"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="request-form"]`)),
	)
	noScripts("the new-request form")

	// Every field but one: the capability, which submission needs, is
	// forgotten.
	typed := completeRequestFields(time.Now().UTC().Add(5 * 24 * time.Hour))
	typed["title"] = "Airlift of shelter kits to Upper Rasuwa"
	typed["need"] = "4,000 families without shelter above 3,000 m; snow expected within 10 days."
	typed["checklist.LR4.note"] = "UNHAS next free slot in three weeks; snow in ten days."
	for _, name := range []string{"title", "need", "task_description", "destination.name", "complementarity", "poc.name"} {
		// Typed key by key, as a phone user would.
		noJS(b, chromedp.SendKeys(byName(name), typed[name]))
	}
	for name, val := range typed {
		// SetValue suits date inputs, whose typing differs by locale; it
		// leaves a value already typed as it is.
		noJS(b, chromedp.SetValue(byName(name), val))
	}
	chosen := map[string]string{"task_category": "air_rotary", "support_type": "indirect", "priority": "life_sustaining",
		"civilian.unhas.result": "not_available"}
	for name, val := range chosen {
		noJS(b, chromedp.SetValue(byName(name), val))
	}
	noJS(b, chromedp.Click(chromedp.CSS(`#sector-SHL`)))
	for id, val := range completeChecklist {
		noJS(b, chromedp.Click(chromedp.CSS(`[id="checklist.`+id+`-`+val+`"]`)))
	}
	b.SaveArtifacts("request-form-filled")
	noJS(b,
		chromedp.Click(chromedp.CSS(`[data-testid="save-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-summary"]`)),
	)
	noScripts("the refused form")
	// The summary links to the field, where the same message stands.
	msg := strings.TrimSpace(strings.TrimPrefix(text(`[data-testid="error-capability"]`), "Error:"))
	if msg == "" {
		t.Error("no message at the capability field")
	}
	// The summary names the field, then says its message.
	if got := text(`[data-testid="error-summary"] a[href="#capability"]`); got != "Capability needed: "+msg {
		t.Errorf("error summary's link to the capability says %q, want the field's label and message %q", got, msg)
	}
	if got := browser.Get(b, chromedp.AttributeValue(byName("capability"), "aria-invalid")); got.Value != "true" {
		t.Errorf("capability aria-invalid = %+v, want true", got)
	}
	// Without JavaScript the browser itself moves focus to the summary
	// (autofocus), so a screen reader starts there.
	if got := browser.Get(b, chromedp.Evaluate[string](`document.activeElement.dataset.testid || document.activeElement.tagName`)); got != "error-summary" {
		t.Errorf("focus is on %q, want the error summary", got)
	}
	for name, want := range typed {
		if got := browser.Get(b, chromedp.Value(byName(name))); got != want {
			t.Errorf("%s after the refused submission = %q, want %q (nothing typed may be lost)", name, got, want)
		}
	}
	for name, want := range chosen {
		if got := browser.Get(b, chromedp.Value(byName(name))); got != want {
			t.Errorf("%s after the refused submission = %q, want %q", name, got, want)
		}
	}
	lost := browser.Get(b, chromedp.Evaluate[[]string](`(() => {
		const answers = `+mustJSON(t, completeChecklist)+`;
		const lost = Object.entries(answers).filter(([id, v]) => !document.getElementById('checklist.' + id + '-' + v).checked).map(([id]) => id);
		if (!document.getElementById('sector-SHL').checked) lost.push('sector SHL');
		return lost;
	})()`))
	if len(lost) > 0 {
		t.Errorf("answers lost after the refused submission: %v", lost)
	}
	b.SaveArtifacts("request-form-refused")

	// The capability, then "Save and submit" again.
	noJS(b,
		chromedp.SendKeys(byName("capability"), "Heavy-lift helicopter with under-slung load."),
		chromedp.Click(chromedp.CSS(`[data-testid="save-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="timeline"]`)),
	)
	if got := text(`[data-testid="flash"]`); !strings.Contains(got, "submitted") {
		t.Fatalf("flash after submitting = %q; summary: %q", got, browser.Get(b, chromedp.Evaluate[string](
			`(document.querySelector('[data-testid="error-summary"]')||{}).innerText||""`)))
	}
	if got := text(`[data-testid="status"]`); !strings.HasPrefix(got, "Submitted") {
		t.Errorf("status = %q, want Submitted", got)
	}
	noScripts("the request page")
	b.SaveArtifacts("request-submitted")

	// A document through the plain multipart form, scripts off.
	docPath := filepath.Join(t.TempDir(), "consent.pdf")
	if err := os.WriteFile(docPath, []byte("%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noJS(b,
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{docPath}),
		chromedp.SendKeys(chromedp.CSS(`#title`), "Consent letter"),
		chromedp.Click(chromedp.CSS(`[data-testid="attachment-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="document-link"]`)),
	)
	if got := text(`[data-testid="flash"]`); !strings.Contains(got, "Document added") {
		t.Errorf("flash after a document = %q", got)
	}
	if got := text(`[data-testid="documents"]`); !strings.Contains(got, "Consent letter") || !strings.Contains(got, "application/pdf") {
		t.Errorf("documents after the upload = %q", got)
	}
	b.SaveArtifacts("document-added")
	loc := browser.Get(b, chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(u.Path, "/requests/"), 10, 64)
	if err != nil {
		t.Fatalf("request page at %s: %v", loc, err)
	}
	signOut()

	// The officer opens the HCT review.
	d, err := svc.requests.Get(ctx, actors["omar@example.org"], id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Request.Status != domain.StatusSubmitted {
		t.Fatalf("request status = %s, want submitted", d.Request.Status)
	}
	if _, err := svc.reviews.Open(ctx, actors["omar@example.org"], id, service.OpenInput{Version: d.Request.Version}); err != nil {
		t.Fatal(err)
	}

	// The HCT member votes with conditions but forgets to give them.
	signIn("hana@example.org")
	noJS(b,
		chromedp.Navigate(srv.URL+requestPath(id)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="vote-form"]`)),
		chromedp.Click(chromedp.CSS(`#vote-support_with_conditions`)),
		chromedp.Click(chromedp.CSS(`[data-testid="vote-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-summary"]`)),
	)
	noScripts("the refused vote")
	if got := text(`[data-testid="error-comment"]`); !strings.Contains(got, "conditions") {
		t.Errorf("message at the comment = %q, want the conditions asked for", got)
	}
	// The message is tied to the comment, which says it is invalid.
	if got := browser.Get(b, chromedp.AttributeValue(chromedp.CSS(`#comment`), "aria-describedby")); !strings.Contains(got.Value, "comment-error") {
		t.Errorf("comment aria-describedby = %+v, want its error message", got)
	}
	if got := browser.Get(b, chromedp.AttributeValue(chromedp.CSS(`#comment`), "aria-invalid")); got.Value != "true" {
		t.Errorf("comment aria-invalid = %+v, want true", got)
	}
	if !browser.Get(b, chromedp.Evaluate[bool](`document.getElementById('vote-support_with_conditions').checked`)) {
		t.Error("the chosen vote was lost with the refusal")
	}
	b.SaveArtifacts("vote-refused-phone")
	conditions := "Only until the road reopens."
	noJS(b,
		chromedp.SendKeys(chromedp.CSS(`#comment`), conditions),
		chromedp.Click(chromedp.CSS(`[data-testid="vote-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="my-vote"]`)),
	)
	if got := text(`[data-testid="my-vote"]`); !strings.Contains(got, "Support with conditions") || !strings.Contains(got, conditions) {
		t.Errorf("my vote = %q", got)
	}
	if got := text(`[data-testid="flash"]`); !strings.Contains(got, "vote is saved") {
		t.Errorf("flash after voting = %q", got)
	}
	noScripts("the request page after the vote")
	b.SaveArtifacts("vote-recorded-phone")
	rs, err := svc.reviews.State(ctx, actors["hana@example.org"], id)
	if err != nil {
		t.Fatal(err)
	}
	if rs.MyVote == nil || rs.MyVote.Value != domain.VoteSupportConditions || rs.MyVote.Comment != conditions {
		t.Errorf("recorded vote = %+v, want support with conditions %q", rs.MyVote, conditions)
	}
	// JavaScript stayed off throughout.
	assertScriptsOff(t, b)
	b.NoConsoleErrors()
}

// focusStop describes the focused element and whether it shows a focus
// indicator (an outline or a box shadow).
type focusStop struct {
	Tag, ID, Name, Type, TestID, Href, Text string
	Checked, Visible                        bool
	Outline, Shadow                         string
}

func (f focusStop) String() string {
	s := "<" + f.Tag
	for _, a := range [][2]string{{"id", f.ID}, {"name", f.Name}, {"type", f.Type}, {"data-testid", f.TestID}, {"href", f.Href}} {
		if a[1] != "" {
			s += fmt.Sprintf(" %s=%q", a[0], a[1])
		}
	}
	return s + ">" + f.Text
}

const focusedJS = `(() => {
  const e = document.activeElement;
  if (!e || e === document.body) return JSON.stringify({Tag: e ? 'body' : ''});
  const s = getComputedStyle(e);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const shadow = s.boxShadow && s.boxShadow !== 'none';
  const r = e.getBoundingClientRect();
  return JSON.stringify({Tag: e.tagName.toLowerCase(), ID: e.id, Name: e.getAttribute('name') || '', Type: e.getAttribute('type') || '',
    TestID: e.dataset.testid || '', Href: e.getAttribute('href') || '', Text: (e.innerText || '').trim().slice(0, 40),
    Checked: !!e.checked, Visible: (outline || shadow) && r.width > 0 && r.height > 0,
    Outline: s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor, Shadow: s.boxShadow});
})()`

// TestBrowserKeyboardOnly: signing in and voting with the keyboard alone.
// From a fresh page the first Tab reaches the skip link, Enter moves focus
// to the main content, Tab reaches each field in turn, Enter submits; on
// the request page Tab reaches the vote, the arrow keys choose it, Tab
// reaches the conditions and the button. Every focused element shows a
// focus indicator.
func TestBrowserKeyboardOnly(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc := services(t, srv.DB)
	ctx := t.Context()
	actors := fieldReady(t, svc)
	r, _, err := svc.requests.Create(ctx, actors["rita@example.org"], "NPL-EQ", fixture.Request("Heavy lift to Upper Rasuwa", time.Now()), "")
	if err != nil {
		t.Fatal(err)
	}
	if r, err = svc.requests.Transition(ctx, actors["rita@example.org"], r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.reviews.Open(ctx, actors["omar@example.org"], r.ID, service.OpenInput{Version: r.Version}); err != nil {
		t.Fatal(err)
	}

	b := browser.New(t)
	stops := 0
	focused := func() focusStop {
		t.Helper()
		var f focusStop
		if err := json.Unmarshal([]byte(browser.Get(b, chromedp.Evaluate[string](focusedJS))), &f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	// press presses key and returns the element focused after it, failing
	// the test when that element shows no focus indicator.
	press := func(key string) focusStop {
		t.Helper()
		b.Do(chromedp.KeyEvent(key))
		f := focused()
		stops++
		if f.Tag != "body" && !f.Visible {
			t.Errorf("focus stop %d, %s: no visible focus indicator (outline %s, box-shadow %s)", stops, f, f.Outline, f.Shadow)
		}
		return f
	}
	// tabTo presses Tab until want holds of the focused element, at most
	// limit times, and fails the test with the stops taken otherwise.
	tabTo := func(what string, limit int, want func(focusStop) bool) focusStop {
		t.Helper()
		var path []string
		for range limit {
			f := press(kb.Tab)
			if want(f) {
				return f
			}
			path = append(path, f.String())
		}
		t.Fatalf("%d Tabs did not reach %s; focus went to:\n  %s", limit, what, strings.Join(path, "\n  "))
		return focusStop{}
	}
	skipToMain := func(page string) {
		t.Helper()
		f := press(kb.Tab)
		if f.Href != "#main" || !strings.HasPrefix(f.Text, "Skip to") {
			t.Fatalf("%s: the first Tab focuses %s, want the skip link", page, f)
		}
		if browser.Get(b, chromedp.Evaluate[bool](`document.activeElement.getBoundingClientRect().top < 0`)) {
			t.Errorf("%s: the focused skip link is off screen", page)
		}
		b.SaveArtifacts("skip-link-" + page)
		if f = press(kb.Enter); f.Tag != "main" || f.ID != "main" {
			t.Fatalf("%s: Enter on the skip link focuses %s, want <main id=main>", page, f)
		}
	}

	// Sign in, arriving from a link to the request.
	reqPath := requestPath(r.ID)
	b.Do(
		chromedp.Navigate(srv.URL+"/login?next="+url.QueryEscape(reqPath)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
	)
	if f := focused(); f.Tag != "body" {
		t.Fatalf("a fresh sign-in page has %s focused, want nothing", f)
	}
	skipToMain("login")
	tabTo("the e-mail field", 5, func(f focusStop) bool { return f.ID == "email" })
	b.Do(chromedp.KeyEvent("hana@example.org"))
	if f := press(kb.Tab); f.ID != "password" {
		t.Fatalf("Tab after the e-mail focuses %s, want the password", f)
	}
	b.Do(chromedp.KeyEvent(fieldReadyPassword))
	b.SaveArtifacts("login-typed")
	b.Do(
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="vote-form"]`)),
	)
	if loc := browser.Get(b, chromedp.Location()); !strings.HasSuffix(loc, reqPath) {
		t.Fatalf("signed in to %s, want the request %s", loc, reqPath)
	}

	// Vote "support with conditions": the radio group is one Tab stop,
	// the arrow keys move the choice.
	skipToMain("request")
	f := tabTo("the vote", 200, func(f focusStop) bool { return f.Name == "value" })
	if f.ID != "vote-support" {
		t.Errorf("Tab enters the vote at %s, want its first choice", f)
	}
	if f = press(kb.ArrowDown); f.ID != "vote-support_with_conditions" || !f.Checked {
		t.Fatalf("ArrowDown moves to %s (checked %v), want support with conditions chosen", f, f.Checked)
	}
	if f = press(kb.ArrowDown); f.ID != "vote-object" || !f.Checked {
		t.Fatalf("ArrowDown moves to %s (checked %v), want object chosen", f, f.Checked)
	}
	if f = press(kb.ArrowUp); f.ID != "vote-support_with_conditions" || !f.Checked {
		t.Fatalf("ArrowUp moves to %s (checked %v), want support with conditions chosen", f, f.Checked)
	}
	if f = press(" "); f.ID != "vote-support_with_conditions" || !f.Checked {
		t.Fatalf("Space leaves %s (checked %v), want support with conditions chosen", f, f.Checked)
	}
	if f = press(kb.Tab); f.ID != "comment" {
		t.Fatalf("Tab after the vote focuses %s, want the comment", f)
	}
	conditions := "Only until the road reopens."
	b.Do(chromedp.KeyEvent(conditions))
	if f = press(kb.Tab); f.TestID != "vote-submit" {
		t.Fatalf("Tab after the comment focuses %s, want the vote button", f)
	}
	b.SaveArtifacts("vote-typed")
	b.Do(
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="my-vote"]`)),
	)
	if got := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="my-vote"]`))); !strings.Contains(got, "Support with conditions: "+conditions) {
		t.Errorf("my vote = %q", got)
	}
	b.SaveArtifacts("vote-recorded")
	rs, err := svc.reviews.State(ctx, actors["hana@example.org"], r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rs.MyVote == nil || rs.MyVote.Value != domain.VoteSupportConditions || rs.MyVote.Comment != conditions {
		t.Errorf("recorded vote = %+v, want support with conditions %q", rs.MyVote, conditions)
	}
	b.NoConsoleErrors()
}

func requestPath(id int64) string { return "/requests/" + strconv.FormatInt(id, 10) }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
