package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// mustHC adds the operation's HC (hc@example.org).
func (w *requestWorld) mustHC(t *testing.T) domain.Actor {
	t.Helper()
	u := w.mustUser(t, "hc@example.org", 0)
	w.mustMember(t, "NPL-EQ", u, domain.RoleHC)
	return w.mustActor(t, u)
}

// approved takes a complete request through the HCT review and the
// approval of head (the HC), through the services.
func (w *requestWorld) approved(t *testing.T, title string, head domain.Actor) domain.Request {
	t.Helper()
	ctx := t.Context()
	officer, member := w.mustActor(t, w.officerUser), w.mustActor(t, w.hcU)
	r := w.submitted(t, title)
	if _, err := w.revs.Open(ctx, officer, r.ID, service.OpenInput{Version: r.Version}); err != nil {
		t.Fatalf("open review: %v", err)
	}
	if _, err := w.revs.Vote(ctx, member, r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
		t.Fatalf("vote: %v", err)
	}
	if _, err := w.revs.Close(ctx, officer, r.ID, r.Version); err != nil {
		t.Fatalf("close review: %v", err)
	}
	if _, err := w.revs.Decide(ctx, head, r.ID, service.DecisionInput{Version: r.Version, Outcome: domain.StatusApproved,
		Rationale: "No civilian helicopter can reach the valley."}); err != nil {
		t.Fatalf("decide: %v", err)
	}
	return r
}

func pageStatus(d *goquery.Document) string { return testid(d, "status").First().Text() }

// wantStepReason checks the reason page d shows with its status: the
// step's label and its words, or none when both are empty.
func wantStepReason(t *testing.T, d *goquery.Document, label, reason string) {
	t.Helper()
	got := testid(d, "status-reason")
	if label == "" {
		if got.Length() != 0 {
			t.Errorf("a reason shown with a step that gave none: %q", got.Text())
		}
		return
	}
	if l := strings.TrimSpace(testid(d, "status-reason-label").Text()); l != label || !strings.Contains(got.Text(), reason) {
		t.Errorf("status reason = %q under %q, want %q under %q", got.Text(), l, reason, label)
	}
}

// TestLifecyclePages walks a request from approval to hand-over on the
// request page, as the officer: no tasking before consent, consent,
// tasking, a decline and a new tasking, execution with reports, the
// completion and the hand-over to another organisation with its reason.
func TestLifecyclePages(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := w.approved(t, "Heavy lift", w.mustHC(t))
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	back := page + "#lifecycle-h"
	v := strconv.Itoa(r.Version)

	// No consent yet: the tasking form is not offered, and a forged post is refused.
	d := doc(t, w.get(t, w.officer, page))
	// The approval's rationale reads as the HC's rationale, not a "Reason".
	wantStepReason(t, d, "The HC's rationale for approving:", "No civilian helicopter can reach the valley.")
	if testid(d, "lifecycle").Length() != 1 || testid(d, "tasking-form").Length() != 0 {
		t.Fatalf("before consent the officer sees: %q", testid(d, "lifecycle").Text())
	}
	if !strings.Contains(testid(d, "task-blocked").Text(), "consent") {
		t.Errorf("the page does not say why tasking is not offered: %q", testid(d, "task-blocked").Text())
	}
	task := url.Values{"version": {v}, "provider_iso3": {"ind"}, "unit": {"Air Force 152 Helicopter Unit"},
		"asset_type": {"Mi-17 helicopter"}, "asset_count": {"2"}, "platform_ref": {"MNMCC-0042"}}
	wantStatus(t, w.post(t, w.officer, page+"/tasking", task), http.StatusConflict)
	if d := doc(t, w.get(t, w.requester, page)); testid(d, "consent-form").Length() != 0 || testid(d, "task-blocked").Length() != 0 {
		t.Error("the requester is offered the officer's steps")
	}
	wantStatus(t, w.post(t, w.requester, page+"/consent", url.Values{"status": {"consented"}}), http.StatusForbidden)

	// Consent posts the version it was loaded with: a refusal cancels
	// the request, so a post without one is refused (400) and records
	// nothing.
	if got := d.Find(`[data-testid="consent-form"] input[name="version"]`).AttrOr("value", ""); got != v {
		t.Errorf("the consent form carries version %q, want %s", got, v)
	}
	wantStatus(t, w.post(t, w.officer, page+"/consent", url.Values{"status": {"refused"}, "authority": {"NDRRMA"},
		"date": {w.clock.Now().Format(time.DateOnly)}}), http.StatusBadRequest)

	// Consent: given without its authority is refused at the field, then recorded.
	consent := url.Values{"version": {v}, "status": {"consented"}, "channel": {"Letter"}, "date": {w.clock.Now().Format(time.DateOnly)},
		"reference": {"NDRRMA/2026/114"}}
	resp := w.post(t, w.officer, page+"/consent", consent)
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	d = doc(t, resp)
	wantFieldError(t, d, "consent-authority", "Enter a value")
	if got := byAttr(d, "id", "consent-reference").AttrOr("value", ""); got != "NDRRMA/2026/114" {
		t.Errorf("the reference typed is lost: %q", got)
	}
	if testid(d, "error-summary").Find(`a[href="#consent-authority"]`).Length() != 1 {
		t.Error("the error summary does not link to the authority input")
	}
	consent.Set("authority", "NDRRMA")
	wantRedirect(t, w.post(t, w.officer, page+"/consent", consent), back)
	d = doc(t, w.get(t, w.requester, page))
	if c := testid(d, "consent").Text(); !strings.Contains(c, "Consented to by the affected State") || !strings.Contains(c, "NDRRMA/2026/114") {
		t.Errorf("consent on the page: %q", c)
	}

	// Tasked, declined (a reason is required), tasked again to another provider.
	d = doc(t, w.get(t, w.officer, page))
	if testid(d, "tasking-form").Length() != 1 || testid(d, "task-blocked").Length() != 0 {
		t.Fatal("after consent the tasking form is not offered")
	}
	bad := url.Values{"version": {v}, "provider_iso3": {"ind"}, "unit": {"Unit"}, "asset_type": {"Mi-17"}, "asset_count": {"two"}}
	resp = w.post(t, w.officer, page+"/tasking", bad)
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	wantFieldError(t, doc(t, resp), "tasking-asset_count", "whole number")
	wantRedirect(t, w.post(t, w.officer, page+"/tasking", task), back)
	resp = w.post(t, w.officer, page+"/decline", url.Values{"version": {v}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	wantFieldError(t, doc(t, resp), "decline-reason", "Enter a value")
	wantRedirect(t, w.post(t, w.officer, page+"/decline", url.Values{"version": {v}, "reason": {"Both helicopters grounded for maintenance."}}), back)
	d = doc(t, w.get(t, w.officer, page))
	if !strings.HasPrefix(pageStatus(d), "Declined by the provider") || !strings.Contains(testid(d, "tasking-declined").Text(), "grounded") {
		t.Fatalf("after the decline: %s, %q", pageStatus(d), testid(d, "taskings").Text())
	}
	wantStepReason(t, d, "Declined by the provider because:", "Both helicopters grounded for maintenance.")
	task.Set("provider_iso3", "CHN")
	task.Set("unit", "PLA Air Force transport unit")
	wantRedirect(t, w.post(t, w.officer, page+"/tasking", task), back)
	// The new tasking has no reason of its own: the decline's is not its headline.
	wantStepReason(t, doc(t, w.get(t, w.officer, page)), "", "")

	// Execution: started, two reports (one refused first), completed.
	wantRedirect(t, w.post(t, w.officer, page+"/execution", url.Values{"version": {v}}), back)
	today := w.clock.Now().UTC().Format(time.DateOnly)
	report := url.Values{"date": {today}, "sorties": {"six"}, "flight_hours": {"9,5"}, "tonnes": {"12"},
		"passengers": {"3"}, "notes": {"Landing zone muddy"}}
	resp = w.post(t, w.officer, page+"/report", report)
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	d = doc(t, resp)
	wantFieldError(t, d, "report-sorties", "whole number")
	if got := byAttr(d, "id", "report-sorties").AttrOr("value", ""); got != "six" {
		t.Errorf("the unreadable count is not shown back: %q", got)
	}
	if got := byAttr(d, "id", "report-notes").Text(); got != "Landing zone muddy" {
		t.Errorf("the notes are lost: %q", got)
	}
	if _, open := testid(d, "step-report").Attr("open"); !open {
		t.Error("the refused report form is folded")
	}
	report.Set("sorties", "6")
	wantRedirect(t, w.post(t, w.officer, page+"/report", report), back)
	wantRedirect(t, w.post(t, w.officer, page+"/report", url.Values{"date": {today}, "sorties": {"4"}, "flight_hours": {"6"},
		"tonnes": {"8.25"}, "medevacs": {"2"}, "people_reached": {"4,000"}}), back)
	d = doc(t, w.get(t, w.requester, page))
	cells := testid(d, "report-totals").Find("td").Map(func(_ int, c *goquery.Selection) string { return c.Text() })
	if got := strings.TrimSpace(strings.Join(cells, " ")); got != "Totals 10 15.5 20.25 3 2 4,000" { // English grouping
		t.Errorf("totals = %q", got)
	}
	if testid(d, "report-form").Length() != 0 {
		t.Error("the requester is offered the report form")
	}
	wantRedirect(t, w.post(t, w.officer, page+"/completion", url.Values{"version": {v}}), back)

	// Hand-over: the exit strategy's organisation is proposed; another one needs a reason.
	d = doc(t, w.get(t, w.officer, page))
	if got := byAttr(d, "id", "handover-organization").AttrOr("value", ""); got != "WFP road convoys" {
		t.Errorf("hand-over organisation proposed = %q", got)
	}
	handover := url.Values{"version": {v}, "organization": {"Nepal Red Cross"}, "date": {today}}
	resp = w.post(t, w.officer, page+"/handover", handover)
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	wantFieldError(t, doc(t, resp), "handover-reason", "Enter a value")
	handover.Set("reason", "The road convoys cannot start before the bridge is repaired.")
	wantRedirect(t, w.post(t, w.officer, page+"/handover", handover), back)
	d = doc(t, w.get(t, w.hct, page))
	if !strings.HasPrefix(pageStatus(d), "Handed over") || !strings.Contains(testid(d, "handover").Text(), "Nepal Red Cross") {
		t.Errorf("after the hand-over: %s, %q", pageStatus(d), testid(d, "handover").Text())
	}
	wantStepReason(t, d, "", "")
	if got := testid(d, "taskings").Find("tbody tr").Length(); got != 2 {
		t.Errorf("%d taskings shown, want 2", got)
	}
	if testid(d, "lifecycle").Find("form").Length() != 0 {
		t.Error("steps are offered after the hand-over")
	}
	if !strings.Contains(testid(d, "timeline").Text(), "Execution report filed by ") {
		t.Error("the execution reports are not in the timeline")
	}
	// The printed record carries what OCHA's reports count: the consent,
	// each tasking (provider State, unit, assets, date), the reports'
	// totals and the hand-over.
	rec := doc(t, w.get(t, w.hct, page+"/record"))
	if testid(rec, "consent").Length() != 1 || testid(rec, "taskings").Find("tbody tr").Length() != 2 ||
		testid(rec, "report-totals").Length() != 1 || !strings.Contains(testid(rec, "handover").Text(), "Nepal Red Cross") {
		t.Errorf("the record lacks lifecycle facts: %q", testid(rec, "lifecycle").Text())
	}
}

// TestLifecycleTimingAndCancel flags a task ending within 7 days, then
// overrun, in words; the officer then cancels it with a reason.
func TestLifecycleTimingAndCancel(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := w.approved(t, "Ends soon", w.mustHC(t))
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	if testid(doc(t, w.get(t, w.officer, page)), "timing").Length() != 0 {
		t.Error("a task 19 days from its end is flagged")
	}
	w.clock.Advance(14 * 24 * time.Hour) // the fixture request ends 19 days after it was made
	if got := testid(doc(t, w.get(t, w.requester, page)), "timing").Text(); !strings.Contains(got, "Ending soon") {
		t.Errorf("timing flag = %q, want ending soon", got)
	}
	w.clock.Advance(7 * 24 * time.Hour)
	if got := testid(doc(t, w.get(t, w.officer, page)), "timing").Text(); !strings.Contains(got, "Overrun") {
		t.Errorf("timing flag = %q, want overrun", got)
	}

	wantStatus(t, w.post(t, w.requester, page+"/cancel", url.Values{"version": {"1"}, "reason": {"No longer needed"}}), http.StatusForbidden)
	resp := w.post(t, w.officer, page+"/cancel", url.Values{"version": {"1"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	wantFieldError(t, doc(t, resp), "cancel-reason", "Enter a value")
	wantRedirect(t, w.post(t, w.officer, page+"/cancel", url.Values{"version": {"1"},
		"reason": {"Civilian capacity now available: last resort ended."}}), page+"#lifecycle-h")
	d := doc(t, w.get(t, w.requester, page))
	if !strings.HasPrefix(pageStatus(d), "Cancelled") || !strings.Contains(testid(d, "status-reason").Text(), "last resort ended") {
		t.Errorf("after cancel: %s, %q", pageStatus(d), testid(d, "status-reason").Text())
	}
	if testid(d, "timing").Length() != 0 {
		t.Error("a cancelled task is still flagged")
	}
}

// TestHRDDPPage: an LR18-yes request of a UN entity waits for the HRDDP
// reviewer's assessment; the reviewer records it on its own page; the
// officer and the HC read it; the requester and an HCT member can open
// neither the page nor anything of its content.
func TestHRDDPPage(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	ctx := t.Context()
	un, err := w.dir.CreateOrganization(ctx, w.admin, domain.Organization{Name: "UN Agency", Acronym: "UNA", Type: domain.OrgUNAgency, UNEntity: true})
	if err != nil {
		t.Fatal(err)
	}
	unUser := w.mustUser(t, "un@example.org", un.ID)
	w.mustMember(t, "NPL-EQ", unUser, domain.RoleRequester)
	reviewerUser := w.mustUser(t, "hrddp@example.org", 0)
	w.mustMember(t, "NPL-EQ", reviewerUser, domain.RoleHRDDPReviewer)
	hcUser := w.mustUser(t, "hc@example.org", 0)
	w.mustMember(t, "NPL-EQ", hcUser, domain.RoleHC)
	unActor := w.mustActor(t, unUser)
	req := fx.Request("Fuel for the force", w.clock.Now())
	req.Checklist["LR18"] = domain.Answer{Value: "yes", Note: "Fuel for the helicopters"}
	r, _, err := w.reqs.Create(ctx, unActor, w.op.Code, req, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.reqs.Transition(ctx, unActor, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 1}); err != nil {
		t.Fatal(err)
	}
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	requester, reviewer, hc := w.signIn(t, "un@example.org"), w.signIn(t, "hrddp@example.org"), w.signIn(t, "hc@example.org")

	for name, c := range map[string]*http.Client{"requester": requester, "HCT member": w.hct} {
		wantStatus(t, w.get(t, c, page+"/hrddp"), http.StatusNotFound)
		if testid(doc(t, w.get(t, c, page)), "hrddp").Length() != 0 {
			t.Errorf("the %s sees the HRDDP section", name)
		}
	}
	d := doc(t, w.get(t, w.officer, page))
	if !strings.Contains(testid(d, "hrddp-assessed").Text(), "Not yet") || testid(d, "hrddp-link").AttrOr("href", "") != page+"/hrddp" {
		t.Errorf("the officer's HRDDP section: %q", testid(d, "hrddp").Text())
	}
	if !strings.Contains(testid(doc(t, w.get(t, reviewer, "/")), "queue-awaiting_hrddp").Text(), r.Reference) {
		t.Error("the request is not in the HRDDP reviewer's queue")
	}
	d = doc(t, w.get(t, w.officer, page+"/hrddp"))
	if testid(d, "assessment-none").Length() != 1 || testid(d, "assessment-form").Length() != 0 {
		t.Error("the officer's HRDDP page: want no record and no form")
	}

	// The reviewer: medium risk without mitigation is refused at the field.
	d = doc(t, w.get(t, reviewer, page+"/hrddp"))
	if testid(d, "assessment-form").Length() != 1 || !strings.Contains(d.Find("details.help").Text(), "medium risk") {
		t.Fatal("the HRDDP reviewer has no form, or no help on mitigation")
	}
	secret := "Battalion 7 named in the 2025 OHCHR report"
	if got := d.Find(`[data-testid="assessment-form"] input[name="version"]`).AttrOr("value", ""); got != "1" {
		t.Errorf("the assessment form carries version %q, want 1 (\"no support\" rejects: the step needs it)", got)
	}
	form := url.Values{"version": {"1"}, "receiving_entity": {"Army aviation wing"}, "support_description": {"20,000 l of jet fuel"},
		"support_category": {"logistical"}, "grave_violations": {secret}, "accountability": {"Court martial opened"},
		"risk_level": {"medium"}, "benefits_and_risks": {"Reach 12,000 people cut off"}, "monitoring_plan": {"Monthly review"},
		"intervention_process": {"Suspend on any credible report"}, "outcome": {"support_with_mitigation"}}
	resp := w.post(t, reviewer, page+"/hrddp", form)
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	d = doc(t, resp)
	wantFieldError(t, d, "mitigation", "Enter a value")
	if got := byAttr(d, "name", "grave_violations").Text(); got != secret {
		t.Errorf("the typed text is lost: %q", got)
	}
	// Who may not see HRDDP records gets the page's own answer: as missing.
	wantStatus(t, w.post(t, w.hct, page+"/hrddp", form), http.StatusNotFound)
	form.Set("mitigation", "Fuel delivered to the UN-run depot only")
	wantRedirect(t, w.post(t, reviewer, page+"/hrddp", form), page+"#hrddp-h")

	for name, c := range map[string]*http.Client{"officer": w.officer, "HC": hc} {
		d = doc(t, w.get(t, c, page))
		if testid(d, "hrddp-outcome").Text() != "Support with mitigating measures" || testid(d, "hrddp-risk").Text() != "Medium" {
			t.Errorf("the %s's HRDDP section: %q", name, testid(d, "hrddp").Text())
		}
		if strings.Contains(testid(d, "hrddp").Text(), secret) {
			t.Errorf("the %s's request page shows the assessment's content", name)
		}
		if !strings.Contains(testid(doc(t, w.get(t, c, page+"/hrddp")), "assessment").Text(), secret) {
			t.Errorf("the %s cannot read the assessment", name)
		}
	}
	for name, c := range map[string]*http.Client{"requester": requester, "HCT member": w.hct} {
		wantStatus(t, w.get(t, c, page+"/hrddp"), http.StatusNotFound)
		p := w.get(t, c, page)
		wantStatus(t, p, http.StatusOK)
		if strings.Contains(p.body, secret) || strings.Contains(p.body, "Support with mitigating measures") || testid(doc(t, p), "hrddp").Length() != 0 {
			t.Errorf("the %s's request page shows the HRDDP assessment", name)
		}
	}
	if strings.Contains(testid(doc(t, w.get(t, reviewer, "/")), "queue-awaiting_hrddp").Text(), r.Reference) {
		t.Error("an assessed request stays in the HRDDP reviewer's queue")
	}
}

// TestExtensionPage: the requester asks for more time for an approved
// task; the new draft opens with the last-resort questions to answer.
func TestExtensionPage(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := approvedForExtension(t, w)
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	d := doc(t, w.get(t, w.requester, page))
	if testid(d, "action-extend").Length() != 1 {
		t.Fatal("the requester is not offered an extension")
	}
	if testid(doc(t, w.get(t, w.officer, page)), "action-extend").Length() != 0 {
		t.Error("the officer is offered the requester's extension")
	}
	resp := w.post(t, w.requester, page+"/extend", url.Values{"end_date": {r.EndDate.Format(time.DateOnly)}, "idempotency_key": {"x1"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if testid(doc(t, resp), "error-summary").Find(`a[href="#extend-end_date"]`).Length() != 1 {
		t.Error("the summary does not link to the end date")
	}
	resp = w.post(t, w.requester, page+"/extend", url.Values{"end_date": {r.EndDate.AddDate(0, 0, 14).Format(time.DateOnly)}, "idempotency_key": {"x2"}})
	wantStatus(t, resp, http.StatusSeeOther)
	loc := resp.Header.Get("Location")
	if !strings.HasSuffix(loc, "/edit") || loc == page+"/edit" {
		t.Fatalf("extension went to %q", loc)
	}
	d = doc(t, w.get(t, w.requester, loc))
	if byAttr(d, "id", "checklist.LR2-yes").AttrOr("checked", "x") != "x" {
		t.Error("LR2 carried over to the extension")
	}
	// The draft keeps the original's title; its page says, in the
	// reader's language, which request it extends.
	d = doc(t, w.get(t, w.requester, strings.TrimSuffix(loc, "/edit")))
	if href := testid(d, "extension-of").AttrOr("href", ""); href != page {
		t.Errorf("the extension links to %q, want %q", href, page)
	}
	if got := testid(d, "extension-of").Text(); !strings.HasPrefix(got, r.Reference+" (") {
		t.Errorf("the extension names %q, want %s with its status", got, r.Reference)
	}
	// The original lists it, to its organisation; the officer does not
	// see another organisation's draft, so neither its link.
	ext := strings.TrimSuffix(loc, "/edit")
	if href := testid(doc(t, w.get(t, w.requester, page)), "extension").AttrOr("href", ""); href != ext {
		t.Errorf("the original links to its extension at %q, want %q", href, ext)
	}
	if testid(doc(t, w.get(t, w.officer, page)), "extension").Length() != 0 {
		t.Error("the officer sees a link to the requester's draft extension")
	}
	// The record names it too, as text: a printed record has no links.
	if l := testid(doc(t, w.get(t, w.requester, page+"/record")), "extension"); l.Length() != 1 || l.Is("a") {
		t.Errorf("the record's extension = %d, a link: %v", l.Length(), l.Is("a"))
	}
}

// approvedForExtension takes a complete request to approval through the
// services.
func approvedForExtension(t *testing.T, w *requestWorld) domain.Request {
	t.Helper()
	ctx := t.Context()
	hcUser := w.mustUser(t, "hc-ext@example.org", 0)
	w.mustMember(t, "NPL-EQ", hcUser, domain.RoleHC)
	hc := w.mustActor(t, hcUser)
	officer := w.mustActor(t, w.officerUser)
	hct := w.mustActor(t, w.hcU)
	r := w.submitted(t, "Extend me")
	if _, err := w.revs.Open(ctx, officer, r.ID, service.OpenInput{Version: r.Version}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.revs.Vote(ctx, hct, r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.revs.Close(ctx, officer, r.ID, r.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := w.revs.Decide(ctx, hc, r.ID, service.DecisionInput{Version: r.Version, Outcome: domain.StatusApproved, Rationale: "Passed."}); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSystemReasonLocalized: a refused consent cancels the request for a
// reason the system states; the page shows it in each reader's language
// (the requester's profile language, in turn every catalogue language).
func TestSystemReasonLocalized(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := w.approved(t, "Refused consent", w.mustHC(t))
	page := "/requests/" + strconv.FormatInt(r.ID, 10)
	wantRedirect(t, w.post(t, w.officer, page+"/consent", url.Values{"version": {strconv.Itoa(r.Version)}, "status": {"refused"}, "authority": {"NDRRMA"},
		"channel": {"Letter"}, "date": {w.clock.Now().Format(time.DateOnly)}}), page+"#lifecycle-h")
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range domain.Languages {
		if err := w.access.SetLanguage(t.Context(), w.requesterActor, lang); err != nil {
			t.Fatal(err)
		}
		want := catalog.Localizer(lang).T(domain.ReasonConsentRefused.MessageKey())
		if got := testid(doc(t, w.get(t, w.requester, page)), "status-reason").Text(); !strings.Contains(got, want) {
			t.Errorf("%s: status reason %q, want %q", lang, got, want)
		}
	}
}
