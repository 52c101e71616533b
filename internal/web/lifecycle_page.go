package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// After approval on the request page: consent, tasking, execution and
// hand-over, and the short HRDDP section. What the viewer sees and may
// do is decided by service.Lifecycle.State; these handlers only lay it
// out and post the steps.

// afterApproval are the statuses from the approval on: the section shows
// for them even before anything is recorded.
var afterApproval = []domain.Status{domain.StatusApproved, domain.StatusTasked, domain.StatusDeclinedByProvider,
	domain.StatusInExecution, domain.StatusCompleted, domain.StatusHandedOver, domain.StatusCancelled}

// lifecycleForms are the pageState ids of the section's own forms (the
// generic steps' forms are the rulebook's, see genericForms). Their
// inputs' ids carry the form's id (report-sorties) so that two forms
// with a "reason" or a "date" can sit on one page; their names stay the
// domain's field names.
var lifecycleForms = map[string]bool{"consent": true, "tasking": true, "report": true, "handover": true}

// lifecyclePanel builds the after-approval section and the HRDDP summary
// of request d for the viewer; st carries a failed form back, shown with
// the page's form f so that the error summary links to its inputs. It is
// nil when there is nothing to show.
func (s *Server) lifecyclePanel(r *http.Request, d service.RequestPage, st pageState, f *form) *pages.LifecyclePanel {
	ctx := r.Context()
	req := d.Request
	ls := d.Lifecycle
	// formFor returns the failed form's values and messages for the form
	// that failed, and defaults for the others.
	formFor := func(id string, defaults url.Values) *form {
		if st.form == id {
			return f
		}
		return &form{ctx: ctx, values: defaults, errs: map[string]string{}}
	}
	base := requestURL(req.ID)
	version := strconv.Itoa(req.Version)
	p := &pages.LifecyclePanel{HRDDP: hrddpSummary(ctx, ls, base)}
	p.Shown = slices.Contains(afterApproval, req.Status) || ls.Consent != nil || len(ls.Taskings) > 0 ||
		len(ls.Reports) > 0 || ls.Handover != nil
	if !p.Shown {
		if p.HRDDP == nil {
			return nil
		}
		return p
	}
	switch ls.Timing {
	case domain.TaskEndingSoon, domain.TaskOverrun:
		p.Timing = i18n.T(ctx, "lifecycle.timing."+string(ls.Timing), "Date", formDate(req.EndDate))
		p.TimingCode = string(ls.Timing)
	}
	if c := ls.Consent; c != nil {
		p.Consent = &pages.ConsentView{Status: i18n.T(ctx, "consent."+c.Status), StatusCode: c.Status,
			Authority: c.Authority, Channel: c.Channel, Date: formDate(c.Date), Reference: c.Reference,
			Recorded: displayTime(ctx, c.RecordedAt)}
	}
	for _, t := range ls.Taskings {
		p.Taskings = append(p.Taskings, taskingRow(ctx, t))
	}
	for _, rep := range ls.Reports {
		p.Reports = append(p.Reports, reportRow(ctx, rep, displayDate(ctx, rep.Date)))
	}
	if len(ls.Reports) > 0 {
		t := reportRow(ctx, ls.Totals, i18n.T(ctx, "lifecycle.report.totals"))
		p.Totals = &t
	}
	if h := ls.Handover; h != nil {
		p.Handover = &pages.HandoverView{Organization: h.Organization, Date: formDate(h.Date), Reason: h.Reason,
			Other: !strings.EqualFold(strings.TrimSpace(h.Organization), strings.TrimSpace(ls.ExitStrategyOf))}
	}

	if ls.CanConsent {
		cur := url.Values{}
		if c := ls.Consent; c != nil {
			cur = url.Values{"status": {c.Status}, "authority": {c.Authority}, "channel": {c.Channel},
				"date": {formDate(c.Date)}, "reference": {c.Reference}}
		}
		p.ConsentForm = consentForm(ctx, formFor("consent", cur), base+"/consent", version, st.form == "consent")
	}
	if ls.CanTask {
		p.TaskForm = taskForm(ctx, formFor("tasking", url.Values{}), base+"/tasking", version, st.form == "tasking")
	} else {
		// Steps of this section the viewer would take but for their guard
		// (tasking before the consent): say why the form is missing.
		p.TaskBlocked = strings.Join(blockedIn(ctx, d.RequestDetail, domain.StageLifecycle), " ")
	}
	if ls.CanReport {
		p.ReportForm = reportForm(ctx, formFor("report", url.Values{"date": {formDate(s.now())}}), base+"/report", st.form == "report")
	}
	if ls.CanHandOver {
		hf := formFor("handover", url.Values{"organization": {ls.ExitStrategyOf}, "date": {formDate(s.now())}})
		p.HandoverForm = handoverForm(ctx, hf, base+"/handover", version, ls.ExitStrategyOf, st.form == "handover")
	}
	p.Steps = s.genericForms(ctx, f, d.RequestDetail, domain.StageLifecycle, st.form)
	return p
}

// hrddpSummary is the request page's HRDDP section: only for the roles
// that may see HRDDP records, and only when an assessment is required or
// exists. It says whether one is done and its outcome, never its content.
func hrddpSummary(ctx context.Context, ls service.LifecycleState, base string) *pages.HRDDPSummary {
	if !ls.CanSeeHRDDP || (!ls.HRDDPRequired && ls.Assessment == nil) {
		return nil
	}
	h := &pages.HRDDPSummary{Required: yesNo(ctx, ls.HRDDPRequired), Assessed: i18n.T(ctx, "hrddp_page.assessed_not_yet"),
		URL: base + "/hrddp", Link: i18n.T(ctx, "hrddp_page.open")}
	if a := ls.Assessment; a != nil {
		h.Assessed = i18n.T(ctx, "hrddp_page.assessed_by", "Name", a.AssessedByName, "At", displayTime(ctx, a.AssessedAt))
		h.Outcome, h.OutcomeCode = i18n.T(ctx, "hrddp_outcome."+a.Outcome), a.Outcome
		h.RiskLevel = i18n.T(ctx, "risk."+a.RiskLevel)
	}
	if ls.CanAssess {
		h.Link = i18n.T(ctx, "hrddp_page.record")
		if ls.Assessment != nil {
			h.Link = i18n.T(ctx, "hrddp_page.revise")
		}
	}
	return h
}

func taskingRow(ctx context.Context, t domain.Tasking) pages.TaskingRow {
	row := pages.TaskingRow{Provider: t.ProviderISO3, Unit: t.Unit, PlatformRef: t.PlatformRef, TaskedAt: displayTime(ctx, t.TaskedAt),
		Assets: i18n.T(ctx, "lifecycle.tasking.assets_value", "Type", t.AssetType, "Count", t.AssetCount)}
	switch {
	case !t.DeclinedAt.IsZero():
		row.StateCode, row.Reason = "declined", httpface.Reason(ctx, t.DeclineReasonCode, t.DeclineReason)
		row.State = i18n.T(ctx, "lifecycle.tasking.state.declined", "At", displayTime(ctx, t.DeclinedAt))
	case !t.StartedAt.IsZero():
		row.StateCode = "started"
		row.State = i18n.T(ctx, "lifecycle.tasking.state.started", "At", displayTime(ctx, t.StartedAt))
	default:
		row.StateCode = "tasked"
		row.State = i18n.T(ctx, "lifecycle.tasking.state.tasked")
	}
	return row
}

// reportRow is one report (or the totals, labelled by date) for display,
// numbers in the reader's language; decimals to two places at most (sums
// of floats drift in the last digits).
func reportRow(ctx context.Context, r domain.ExecutionReport, date string) pages.ReportRow {
	l := i18n.FromContext(ctx)
	return pages.ReportRow{Date: date, Sorties: l.Number(r.Sorties), FlightHours: l.Decimal(r.FlightHours, 2),
		Tonnes: l.Decimal(r.Tonnes, 2), Passengers: l.Number(r.Passengers), Medevacs: l.Number(r.Medevacs),
		PeopleReached: l.Number(r.PeopleReached), Incidents: r.Incidents, Notes: r.Notes}
}

// prefixed gives a section input the id of its form (report-date) and
// keeps the domain's field name as its name.
func prefixed(fl components.Field, formID string) components.Field {
	fl.Name, fl.ID = fl.ID, formID+"-"+fl.ID
	return fl
}

func consentForm(ctx context.Context, f *form, url, version string, failed bool) *pages.ConsentForm {
	cf := &pages.ConsentForm{URL: url, Version: version, Open: failed}
	cf.Status = prefixed(f.choice("status", "lifecycle.consent_status", true, codeOptions(ctx, "consent.", domain.ConsentStatuses)), "consent")
	cf.Status.Hint = i18n.T(ctx, "lifecycle.consent_status_hint")
	cf.Authority = prefixed(f.text("authority", "lifecycle.consent_authority", false, 200), "consent")
	cf.Authority.Hint, cf.Authority.Quiet = i18n.T(ctx, "lifecycle.consent_authority_hint"), true
	cf.Channel = prefixed(f.text("channel", "lifecycle.consent_channel", false, 200), "consent")
	cf.Channel.Hint = i18n.T(ctx, "lifecycle.consent_channel_hint")
	cf.Date = prefixed(f.field("date", "lifecycle.consent_date", "date", false), "consent")
	cf.Date.Hint, cf.Date.Quiet = i18n.T(ctx, "lifecycle.date_hint"), true
	cf.Reference = prefixed(f.text("reference", "lifecycle.consent_reference", false, 200), "consent")
	return cf
}

func taskForm(ctx context.Context, f *form, url, version string, failed bool) *pages.TaskForm {
	tf := &pages.TaskForm{URL: url, Version: version, Open: failed}
	tf.Provider = prefixed(f.text("provider_iso3", "lifecycle.tasking.provider", true, 3), "tasking")
	tf.Provider.Hint = i18n.T(ctx, "lifecycle.tasking.provider_hint")
	tf.Unit = prefixed(f.text("unit", "lifecycle.tasking.unit", true, 200), "tasking")
	tf.AssetType = prefixed(f.text("asset_type", "lifecycle.tasking.asset_type", true, 200), "tasking")
	tf.AssetType.Hint = i18n.T(ctx, "lifecycle.tasking.asset_type_hint")
	tf.AssetCount = prefixed(f.text("asset_count", "lifecycle.tasking.asset_count_field", true, 6), "tasking")
	tf.AssetCount.Inputmode = "numeric"
	tf.PlatformRef = prefixed(f.text("platform_ref", "lifecycle.tasking.platform_ref", false, 200), "tasking")
	tf.PlatformRef.Hint = i18n.T(ctx, "lifecycle.tasking.platform_ref_hint")
	return tf
}

func reportForm(ctx context.Context, f *form, url string, failed bool) *pages.ReportForm {
	rf := &pages.ReportForm{URL: url, Open: failed}
	num := func(id, label, mode string) components.Field {
		fl := prefixed(f.text(id, label, false, 12), "report")
		fl.Inputmode, fl.Quiet = mode, true
		return fl
	}
	rf.Date = prefixed(f.field("date", "lifecycle.report.date", "date", true), "report")
	rf.Date.Hint = i18n.T(ctx, "lifecycle.date_hint")
	rf.Sorties = num("sorties", "lifecycle.report.sorties", "numeric")
	rf.FlightHours = num("flight_hours", "lifecycle.report.flight_hours", "decimal")
	rf.Tonnes = num("tonnes", "lifecycle.report.tonnes", "decimal")
	rf.Passengers = num("passengers", "lifecycle.report.passengers", "numeric")
	rf.Medevacs = num("medevacs", "lifecycle.report.medevacs", "numeric")
	rf.PeopleReached = num("people_reached", "lifecycle.report.people_reached", "numeric")
	rf.Incidents = prefixed(f.field("incidents", "lifecycle.report.incidents", "textarea", false), "report")
	rf.Incidents.Hint, rf.Incidents.Maxlength = i18n.T(ctx, "lifecycle.incidents_hint"), 2000
	rf.Notes = prefixed(f.field("notes", "lifecycle.report.notes", "textarea", false), "report")
	rf.Notes.Maxlength = 2000
	return rf
}

func handoverForm(ctx context.Context, f *form, url, version, exitOrg string, failed bool) *pages.HandoverForm {
	hf := &pages.HandoverForm{URL: url, Version: version, Open: failed}
	hf.Organization = prefixed(f.text("organization", "lifecycle.handover_organization", true, 200), "handover")
	hf.Organization.Hint = i18n.T(ctx, "lifecycle.handover_organization_hint", "Organization", exitOrg)
	hf.Date = prefixed(f.field("date", "lifecycle.handover_date", "date", true), "handover")
	hf.Date.Hint = i18n.T(ctx, "lifecycle.date_hint")
	hf.Reason = prefixed(f.field("reason", "lifecycle.handover_reason", "textarea", false), "handover")
	hf.Reason.Hint, hf.Reason.Quiet, hf.Reason.Maxlength = i18n.T(ctx, "lifecycle.handover_reason_hint"), true, 2000
	return hf
}
