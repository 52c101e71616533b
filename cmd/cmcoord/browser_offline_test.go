package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
)

// offlineWorld makes, through the services, operation NPL-EQ (a natural
// disaster) and two requesters of WFP in it, rita and sam, with
// browserPassword.
func offlineWorld(t *testing.T, dbURL string) (testServices, map[string]domain.Actor) {
	t.Helper()
	svc := services(t, dbURL)
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
	actors := map[string]domain.Actor{}
	for _, name := range []string{"rita", "sam"} {
		u, _, err := svc.directory.CreateUser(ctx, admin, service.NewUser{User: domain.User{Email: name + "@example.org", Name: name,
			OrganizationID: wfp.ID, Language: "en"}, Password: browserPassword})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.directory.SetMember(ctx, admin, "NPL-EQ", u.ID, domain.RoleSet{domain.RoleRequester}); err != nil {
			t.Fatal(err)
		}
		if actors[name], err = svc.access.Actor(ctx, u.ID, u.SessionEpoch); err != nil {
			t.Fatal(err)
		}
	}
	return svc, actors
}

// waitJS polls expr in the tab until it is true, for up to 20 s.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		deadline := time.Now().Add(20 * time.Second)
		for {
			ok, err := chromedp.Evaluate[bool](expr, chromedp.EvalAwaitPromise)(ctx, tg)
			if err == nil && ok {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("waiting for %s: %v", expr, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// localRecords evaluates to the offline script's IndexedDB records that
// pass filter (a JS predicate on a record), as a count.
func localRecords(filter string) string {
	return `new Promise((ok, ko) => { const r = indexedDB.open('cmcoord', 1);
	  r.onupgradeneeded = () => r.result.createObjectStore('records', {keyPath: 'id'}).createIndex('user', 'user');
	  r.onerror = () => ko(r.error);
	  r.onsuccess = () => { const q = r.result.transaction('records').objectStore('records').getAll();
	    q.onsuccess = () => { r.result.close(); ok(q.result.filter(` + filter + `).length); }; }; })`
}

// setOffline cuts (or restores) the tab's network, the service worker's
// included, and says so to navigator.onLine.
func setOffline(off bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		var conds []*network.Conditions
		if off {
			conds = []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}
		} else {
			conds = []*network.Conditions{}
		}
		if _, err := cdp.Call(ctx, tg, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: &off, MatchedNetworkConditions: conds}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	})
}

// offline cuts (or restores) the network of the tab and of the site's
// service worker: emulation set on a page does not reach the worker's own
// fetches, so the worker's target is attached to, once (emulation belongs
// to the session that set it), and cut too.
type offlineSwitch struct {
	t  *testing.T
	b  *browser.Browser
	sw context.Context
}

func (o *offlineSwitch) set(off bool) {
	o.t.Helper()
	o.b.Do(setOffline(off))
	if o.sw == nil {
		infos := browser.Get(o.b, chromedp.Action[target.GetTargetsResult](func(ctx context.Context, tg *chromedp.Target) (target.GetTargetsResult, error) {
			return cdp.Call(ctx, tg, target.GetTargets, target.GetTargetsParams{})
		}))
		for _, info := range infos.TargetInfos {
			if info.Type == "service_worker" {
				sw, cancel := chromedp.NewContext(o.b.Context(), chromedp.WithTargetID(info.TargetID))
				o.t.Cleanup(cancel)
				if err := chromedp.Do(sw); err != nil {
					o.t.Fatalf("attach to the service worker: %v", err)
				}
				o.sw = sw
			}
		}
		if o.sw == nil {
			o.t.Fatal("no service worker to cut off")
		}
	}
	ctx, stop := context.WithTimeout(o.sw, 30*time.Second)
	defer stop()
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		conds := []*network.Conditions{}
		if off {
			conds = []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}
		}
		_, err := cdp.Call(ctx, tg, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: &off, MatchedNetworkConditions: conds})
		return err
	})); err != nil {
		o.t.Fatalf("service worker offline=%v: %v", off, err)
	}
}

func byName(name string) chromedp.CSS { return chromedp.CSS(`[name="` + name + `"]`) }

// TestBrowserAutosave: on a 360 px phone, what is typed in the new-request
// form is kept while typing; the tab is closed without saving, the form
// opened again in a new tab shows it again with a banner (axe passes);
// once saved on the server the copy is gone.
func TestBrowserAutosave(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc, actors := offlineWorld(t, srv.DB)
	form := srv.URL + "/operations/NPL-EQ/requests/new"
	b := browser.New(t)
	b.SetViewport(browser.Phone)
	b.Do(signIn(srv.URL, "rita@example.org", browserPassword))

	// A second tab types, waits for the copy, and is closed unsaved.
	tab, closeTab := chromedp.NewContext(b.Context())
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("tab: %v", err)
	}
	func() {
		ctx, cancel := context.WithTimeout(tab, time.Minute)
		defer cancel()
		if err := chromedp.Do(ctx,
			chromedp.Navigate(form),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="request-form"]`)),
			chromedp.SendKeys(byName("title"), "Airlift of shelter kits"),
			chromedp.SendKeys(byName("need"), "Road cut by landslides; 4,000 households without shelter."),
			waitJS(localRecords(`x => x.kind === 'copy'`)+` .then(n => n === 1)`),
		); err != nil {
			t.Fatalf("typing tab: %v", err)
		}
	}()
	closeTab()

	b.Do(
		chromedp.Navigate(form),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="autosave-banner"]`)),
	)
	if got := browser.Get(b, chromedp.Value(byName("title"))); got != "Airlift of shelter kits" {
		t.Errorf("title after reopening = %q", got)
	}
	if got := browser.Get(b, chromedp.Value(byName("need"))); got != "Road cut by landslides; 4,000 households without shelter." {
		t.Errorf("need after reopening = %q", got)
	}
	banner := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="autosave-banner"]`)))
	if !strings.Contains(banner, "Restored what you typed at") {
		t.Errorf("banner = %q", banner)
	}
	if role := browser.Get(b, chromedp.AttributeValue(chromedp.CSS(`[data-testid="autosave-banner"]`), "role")); role.Value != "status" {
		t.Errorf("banner role = %+v, want status", role)
	}
	b.CheckA11y()
	b.SaveArtifacts("restored")

	// Keep, then save: the server has it, the copy goes.
	b.Do(
		chromedp.Click(chromedp.CSS(`[data-testid="autosave-banner"] button`)),
		browser.ClickAndLoad(`[data-testid="save-draft"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
		waitJS(localRecords(`x => x.kind === 'copy'`)+` .then(n => n === 0)`),
		chromedp.Navigate(form),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="request-form"]`)),
	)
	_, page, err := svc.requests.List(t.Context(), actors["rita"], "NPL-EQ", domain.RequestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].Title != "Airlift of shelter kits" {
		t.Errorf("requests after saving: %+v", page.Items)
	}
	time.Sleep(300 * time.Millisecond) // the script's restore, had there been a copy
	if n := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="autosave-banner"]').length`)); n != 0 {
		t.Errorf("a banner after the save: %d", n)
	}

	// A step of the guided form saved in place ("Save" comes back to the
	// same step): the page after the save is not overwritten by the copy
	// made while typing, so the next save carries the new version and is
	// no conflict with oneself.
	step := fmt.Sprintf("%s/requests/%d/steps/task", srv.URL, page.Items[0].ID)
	for i, capability := range []string{"Heavy-lift helicopter.", " With a sling."} { // typed after what is there
		b.Do(
			chromedp.Navigate(step),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="step-form"]`)),
		)
		if i == 1 {
			time.Sleep(300 * time.Millisecond) // the script's restore, had there been a copy
			if n := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="autosave-banner"]').length`)); n != 0 {
				t.Errorf("a banner on the step after its own save: %d", n)
			}
		}
		b.Do(
			chromedp.SendKeys(chromedp.CSS(`[name="capability"]`), capability),
			waitJS(localRecords(`x => x.kind === 'copy'`)+` .then(n => n > 0)`),
			browser.ClickAndLoad(`[data-testid="step-save"]`),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
		)
		if n := browser.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="edit-conflict"]').length`)); n != 0 {
			t.Fatalf("save %d of the step by its only editor: a conflict", i+1)
		}
	}
	d, err := svc.requests.Get(t.Context(), actors["rita"], page.Items[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Request.Capability; !strings.Contains(c, "Heavy-lift helicopter.") || !strings.Contains(c, "With a sling.") {
		t.Errorf("capability after two saves of the step = %q", d.Request.Capability)
	}
	b.NoConsoleErrors()
}

// offlineDraft is what a test types into the new-request form offline.
type offlineDraft struct {
	title, need, people, capability, task, poc, phone, destination, sector string
}

func (d offlineDraft) fill() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="request-form"]`)),
		chromedp.SetValue(byName("title"), d.title),
		chromedp.SetValue(byName("need"), d.need),
		chromedp.SetValue(byName("people_targeted"), d.people),
		chromedp.SetValue(byName("capability"), d.capability),
		chromedp.SetValue(byName("task_description"), d.task),
		chromedp.SetValue(byName("poc.name"), d.poc),
		chromedp.SetValue(byName("poc.phone"), d.phone),
		chromedp.SetValue(byName("destination.name"), d.destination),
		chromedp.Click(chromedp.CSS(`input[name="sectors"][value="`+d.sector+`"]`)),
	)
}

// TestBrowserOfflineDrafts: on a 360 px phone, the new-request form opened
// online is kept by the service worker; offline (the tab's network and
// the worker's cut: a page never kept falls back to the drafts page) the
// form opens, three drafts are kept on the device, one of them with a
// number the server refuses; back online they are sent: exactly two
// requests exist with every field as typed, the third draft stays with
// the server's message, shown on the list and on the reopened form (axe
// passes on both). Another account signing in on the same browser sees
// no draft and cannot decrypt the first one's records; the first one,
// back, finds the draft; signing out removes it.
func TestBrowserOfflineDrafts(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	svc, actors := offlineWorld(t, srv.DB)
	ctx := t.Context()
	form := srv.URL + "/operations/NPL-EQ/requests/new"
	b := browser.New(t)
	b.SetViewport(browser.Phone)
	b.Do(
		signIn(srv.URL, "rita@example.org", browserPassword),
		chromedp.Navigate(form),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="request-form"]`)),
		// The worker is active and has kept the form and the drafts page.
		waitJS(`navigator.serviceWorker.ready.then(() => caches.open('cmcoord-pages')).then(c => c.keys()).then(k => k.length >= 2)`),
		chromedp.Navigate(form),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="request-form"]`)),
		waitJS(`!!navigator.serviceWorker.controller`),
	)

	net := &offlineSwitch{t: t, b: b}
	net.set(true)
	b.Do(waitJS(`!navigator.onLine`))
	// Really offline, the worker too: a page it never kept is not fetched
	// but answered with the kept drafts page.
	b.Do(chromedp.Navigate(srv.URL+"/profile"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="local-drafts"]`)))
	if got := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="page-title"]`))); got != "Drafts on this device" {
		t.Fatalf("offline /profile shows %q, want the kept drafts page (the worker reached the server?)", got)
	}

	drafts := []offlineDraft{
		{"Airlift of shelter kits", "Road cut; 4,000 households without shelter.", "4000", "Medium-lift helicopter",
			"Six rotations a day to Upper Rasuwa.", "Rita Field", "+977 1 555 0100", "Upper Rasuwa", "SHL"},
		{"Water purification units", "Wells contaminated after the quake.", "12000", "Water purification",
			"Two units for three weeks in Dhunche.", "Sam Water", "+977 1 555 0199", "Dhunche", "WSH"},
		{"Bridge assessment", "A bridge may have failed.", "lots", "Engineers",
			"Assess the Trishuli bridge.", "Rita Field", "+977 1 555 0100", "Betrawati", "LOG"},
	}
	for i, d := range drafts {
		b.Do(
			chromedp.Navigate(form),
			d.fill(),
			browser.ClickAndLoad(`[data-testid="save-draft"]`),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="local-drafts"]`)),
			waitJS(`document.querySelectorAll('[data-testid="local-draft"]').length === `+strconv.Itoa(i+1)),
		)
	}
	waiting := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="drafts-waiting"]`)))
	if !strings.Contains(waiting, "3") {
		t.Errorf("header indicator = %q, want 3 drafts waiting", waiting)
	}
	b.CheckA11y()
	b.SaveArtifacts("offline-list")
	if _, page, err := svc.requests.List(ctx, actors["rita"], "NPL-EQ", domain.RequestFilter{}); err != nil || len(page.Items) != 0 {
		t.Fatalf("offline, the server has %d requests (%v), want none", len(page.Items), err)
	}

	// Online: the script sends them on the "online" event.
	net.set(false)
	b.Do(
		waitJS(`document.querySelectorAll('[data-testid="sent-drafts"] li').length === 2 && document.querySelectorAll('[data-testid="local-draft"] [data-testid="draft-errors"] li').length > 0`),
	)
	b.CheckA11y()
	b.SaveArtifacts("synced")
	errs := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="local-draft"] [data-testid="draft-errors"]`)))
	if !strings.Contains(errs, "number") {
		t.Errorf("the refused draft says %q, want the number problem", errs)
	}
	// Sending again (Send now sends every draft left, the refused one
	// too) duplicates nothing; the refusal stays.
	b.Do(
		chromedp.Click(chromedp.CSS(`[data-testid="send-drafts"]`)),
		waitJS(`document.querySelectorAll('[data-testid="local-draft"] [data-testid="draft-errors"] li').length > 0`),
		chromedp.Reload(),
		waitJS(`document.querySelectorAll('[data-testid="local-draft"]').length === 1`),
	)
	time.Sleep(500 * time.Millisecond)
	_, page, err := svc.requests.List(ctx, actors["rita"], "NPL-EQ", domain.RequestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 {
		t.Fatalf("after the sync: %d requests, want exactly 2", len(page.Items))
	}
	for _, want := range drafts[:2] {
		i := slices.IndexFunc(page.Items, func(s domain.RequestSummary) bool { return s.Title == want.title })
		if i < 0 {
			t.Errorf("no request titled %q", want.title)
			continue
		}
		d, err := svc.requests.Get(ctx, actors["rita"], page.Items[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		r := d.Request
		got := offlineDraft{r.Title, r.Need, strconv.Itoa(r.PeopleTargeted), r.Capability, r.TaskDescription, r.POC.Name,
			r.POC.Phone, r.Destination.Name, strings.Join(r.Sectors, ",")}
		if got != want {
			t.Errorf("request %q:\n got  %+v\n want %+v", want.title, got, want)
		}
		if r.Status != domain.StatusDraft {
			t.Errorf("request %q is %s, want a draft", want.title, r.Status)
		}
	}

	// The refused draft, reopened, says why (axe passes).
	b.Do(
		browser.ClickAndLoad(`[data-testid="local-draft"] a.button`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="autosave-banner"] [data-testid="draft-errors"]`)),
	)
	if got := browser.Get(b, chromedp.Value(byName("people_targeted"))); got != "lots" {
		t.Errorf("reopened draft: people_targeted = %q", got)
	}
	b.CheckA11y()

	// Rita's session ends (cookies gone, as on expiry); Sam signs in on
	// the same browser: he sees no draft and cannot decrypt Rita's.
	b.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}))
	ritaID := strconv.FormatInt(actors["rita"].UserID, 10)
	b.Do(
		signIn(srv.URL, "sam@example.org", browserPassword),
		chromedp.Navigate(srv.URL+"/offline-drafts"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="no-local-drafts"]`)),
	)
	if n := browser.Get(b, chromedp.Evaluate[int](localRecords(`x => x.user === '`+ritaID+`'`), chromedp.EvalAwaitPromise)); n == 0 {
		t.Fatal("Rita's records are gone before she signed out: the test proves nothing")
	}
	// Nor the titles of the drafts Rita sent from this tab.
	if got := browser.Get(b, chromedp.Evaluate[string](`(document.querySelector('[data-testid="sent-drafts"]') || {}).textContent || ''`)); got != "" {
		t.Errorf("Sam's drafts page lists what Rita sent: %q", got)
	}
	decrypted := browser.Get(b, chromedp.Evaluate[int](`(async () => {
	  const recs = await new Promise(ok => { const r = indexedDB.open('cmcoord', 1); r.onsuccess = () => {
	    const q = r.result.transaction('records').objectStore('records').getAll(); q.onsuccess = () => { r.result.close(); ok(q.result); }; }; });
	  const raw = document.querySelector('meta[name="cmcoord-local-key"]').content;
	  const k = await crypto.subtle.importKey('raw', Uint8Array.from(atob(raw.replace(/-/g, '+').replace(/_/g, '/')), c => c.charCodeAt(0)), 'AES-GCM', false, ['decrypt']);
	  let n = 0;
	  for (const r of recs.filter(r => r.user === '`+ritaID+`')) for (const ad of [r.user, document.querySelector('meta[name="cmcoord-user"]').content]) {
	    try { await crypto.subtle.decrypt({name: 'AES-GCM', iv: r.iv, additionalData: new TextEncoder().encode(ad)}, k, r.ct); n++; } catch (e) {}
	  }
	  return n; })()`, chromedp.EvalAwaitPromise))
	if decrypted != 0 {
		t.Errorf("Sam's key decrypts %d of Rita's records", decrypted)
	}
	b.Do(browser.ClickAndLoad(`[data-testid="signout"]`), chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)))

	// Rita, back, finds her draft; signing out removes her records.
	b.Do(
		signIn(srv.URL, "rita@example.org", browserPassword),
		chromedp.Navigate(srv.URL+"/offline-drafts"),
		waitJS(`document.querySelectorAll('[data-testid="local-draft"]').length === 1`),
		browser.ClickAndLoad(`[data-testid="signout"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
	)
	if n := browser.Get(b, chromedp.Evaluate[int](localRecords(`x => x.user === '`+ritaID+`'`), chromedp.EvalAwaitPromise)); n != 0 {
		t.Errorf("after Rita signed out, %d of her records are left", n)
	}
	if n := browser.Get(b, chromedp.Evaluate[int](`caches.has('cmcoord-pages').then(h => h ? 1 : 0)`, chromedp.EvalAwaitPromise)); n != 0 {
		t.Error("after signing out, the kept pages are left")
	}
	if _, page, err := svc.requests.List(ctx, actors["rita"], "NPL-EQ", domain.RequestFilter{}); err != nil || len(page.Items) != 2 {
		t.Errorf("in the end: %d requests (%v), want 2", len(page.Items), err)
	}
	b.NoConsoleErrors()
}
