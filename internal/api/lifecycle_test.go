package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
)

// lifecycleJSON mirrors the documented Lifecycle.
type lifecycleJSON struct {
	RequestID        int64  `json:"request_id"`
	Status           string `json:"status"`
	StatusReason     string `json:"status_reason"`
	StatusReasonCode string `json:"status_reason_code"`
	Version          int    `json:"version"`
	Timing           string `json:"timing"`
	Consent          *struct {
		Status     string    `json:"status"`
		Authority  string    `json:"authority"`
		Channel    string    `json:"channel"`
		Date       *string   `json:"date"`
		Reference  string    `json:"reference"`
		RecordedAt time.Time `json:"recorded_at"`
	} `json:"consent"`
	ConsentBlocksTasking bool `json:"consent_blocks_tasking"`
	Taskings             []struct {
		ID                int64      `json:"id"`
		ProviderISO3      string     `json:"provider_iso3"`
		Unit              string     `json:"unit"`
		AssetType         string     `json:"asset_type"`
		AssetCount        int        `json:"asset_count"`
		PlatformRef       string     `json:"platform_ref"`
		TaskedAt          time.Time  `json:"tasked_at"`
		StartedAt         *time.Time `json:"started_at"`
		DeclinedAt        *time.Time `json:"declined_at"`
		DeclineReason     string     `json:"decline_reason"`
		DeclineReasonCode string     `json:"decline_reason_code"`
	} `json:"taskings"`
	Reports []reportJSON `json:"reports"`
	Totals  struct {
		Reports       int     `json:"reports"`
		Sorties       int     `json:"sorties"`
		FlightHours   float64 `json:"flight_hours"`
		Tonnes        float64 `json:"tonnes"`
		Passengers    int     `json:"passengers"`
		Medevacs      int     `json:"medevacs"`
		PeopleReached int     `json:"people_reached"`
	} `json:"totals"`
	Handover *struct {
		Organization string    `json:"organization"`
		Date         string    `json:"date"`
		Reason       string    `json:"reason"`
		RecordedAt   time.Time `json:"recorded_at"`
	} `json:"handover"`
	ExitStrategyOrganization string          `json:"exit_strategy_organization"`
	CanConsent               bool            `json:"can_consent"`
	CanTask                  bool            `json:"can_task"`
	CanDecline               bool            `json:"can_decline"`
	CanStart                 bool            `json:"can_start"`
	CanReport                bool            `json:"can_report"`
	CanComplete              bool            `json:"can_complete"`
	CanHandOver              bool            `json:"can_hand_over"`
	CanCancel                bool            `json:"can_cancel"`
	CanAssess                bool            `json:"can_assess"`
	HRDDPRequired            *bool           `json:"hrddp_required"`
	Assessment               *assessmentJSON `json:"assessment"`
}

type reportJSON struct {
	ID            int64     `json:"id"`
	Date          string    `json:"date"`
	Sorties       int       `json:"sorties"`
	FlightHours   float64   `json:"flight_hours"`
	Tonnes        float64   `json:"tonnes"`
	Passengers    int       `json:"passengers"`
	Medevacs      int       `json:"medevacs"`
	PeopleReached int       `json:"people_reached"`
	Incidents     string    `json:"incidents"`
	Notes         string    `json:"notes"`
	ReportedAt    time.Time `json:"reported_at"`
}

type assessmentJSON struct {
	RequestID           int64  `json:"request_id"`
	ReceivingEntity     string `json:"receiving_entity"`
	SupportDescription  string `json:"support_description"`
	SupportCategory     string `json:"support_category"`
	GraveViolations     string `json:"grave_violations"`
	Accountability      string `json:"accountability"`
	RiskLevel           string `json:"risk_level"`
	BenefitsAndRisks    string `json:"benefits_and_risks"`
	Mitigation          string `json:"mitigation"`
	Communication       string `json:"communication"`
	MonitoringPlan      string `json:"monitoring_plan"`
	InterventionProcess string `json:"intervention_process"`
	Outcome             string `json:"outcome"`
	CountryMechanismRef string `json:"country_mechanism_ref"`
	AssessedBy          struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"assessed_by"`
	AssessedAt time.Time `json:"assessed_at"`
}

// lifecycleFixture adds to the reviews fixture an HRDDP reviewer (of the
// default organisation) in NPL-EQ.
type lifecycleFixture struct {
	*reviewsFixture
	hrddp string
}

func newLifecycleFixture(t testing.TB) *lifecycleFixture {
	t.Helper()
	f := &lifecycleFixture{reviewsFixture: newReviewsFixture(t)}
	u := f.mustUser(t, "hana@example.org")
	f.mustMember(t, "NPL-EQ", u, domain.RoleHRDDPReviewer)
	f.hrddp = f.mustToken(t, u)
	return f
}

// actorOf is the caller behind token, for the services.
func (f *lifecycleFixture) actorOf(t testing.TB, token string) domain.Actor {
	t.Helper()
	a, err := f.access.ActorForToken(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// mustApproved submits a complete request through the API and takes it
// through the HCT review and the HC's approval with the services; it is
// at version 1.
func (f *lifecycleFixture) mustApproved(t testing.TB, title string) int64 {
	t.Helper()
	ctx := t.Context()
	id := f.mustSubmitted(t, title)
	if _, err := f.reviews.Open(ctx, f.actorOf(t, f.officer), id, service.OpenInput{Version: 1}); err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{f.hctA, f.hctB} {
		if _, err := f.reviews.Vote(ctx, f.actorOf(t, token), id, service.VoteInput{Value: domain.VoteSupport}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.reviews.Close(ctx, f.actorOf(t, f.officer), id, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reviews.Decide(ctx, f.actorOf(t, f.hc), id, service.DecisionInput{Version: 1, Outcome: domain.StatusApproved,
		Rationale: "The HCT supports it."}); err != nil {
		t.Fatal(err)
	}
	return id
}

// lifecycle is GET /requests/{id}/lifecycle as token: the decoded view
// and the raw answer.
func (f *lifecycleFixture) lifecycle(t testing.TB, token string, id int64) (lifecycleJSON, response) {
	t.Helper()
	r := f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d/lifecycle", id), Token: token}).want(t, http.StatusOK)
	return decode[lifecycleJSON](t, r), r
}

// step sends body to the lifecycle route verb (consent, tasking, …) of
// request id as token; consent and hrddp are PUT, the others POST.
func (f *lifecycleFixture) step(t testing.TB, token string, id int64, verb string, body any) response {
	t.Helper()
	method := "POST"
	if verb == "consent" || verb == "hrddp" {
		method = "PUT"
	}
	return f.call(t, req{Method: method, Path: fmt.Sprintf("/requests/%d/%s", id, verb), Token: token, Body: body})
}

// mustStep is step answered 200 with the lifecycle.
func (f *lifecycleFixture) mustStep(t testing.TB, token string, id int64, verb string, body any) lifecycleJSON {
	t.Helper()
	return decode[lifecycleJSON](t, f.step(t, token, id, verb, body).want(t, http.StatusOK))
}

func today() string { return time.Now().UTC().Format(time.DateOnly) }

var (
	consentBody = map[string]any{"version": 1, "status": "consented", "authority": "NDRRMA", "channel": "Letter to the NEOC",
		"date": "2026-05-02", "reference": "NDRRMA/2026/114"}
	taskingBody = map[string]any{"version": 1, "provider_iso3": "ind", "unit": "Air Force 152 Helicopter Unit",
		"asset_type": "Mi-17 helicopter", "asset_count": 2, "platform_ref": "MNMCC-0042"}
)

// TestLifecycle_ToHandover follows an approved request to its hand-over:
// consent first, a tasking declined and tasked again, execution with two
// reports, completion and the hand-over.
func TestLifecycle_ToHandover(t *testing.T) {
	t.Parallel()
	f := newLifecycleFixture(t)
	id := f.mustApproved(t, "Heavy lift")

	got, _ := f.lifecycle(t, f.officer, id)
	if got.RequestID != id || got.Status != "approved" || got.Version != 1 || got.Consent != nil || len(got.Taskings) != 0 ||
		len(got.Reports) != 0 || got.Handover != nil || got.Timing != "" || got.ExitStrategyOrganization != "WFP road convoys" {
		t.Errorf("officer's view when approved = %+v", got)
	}
	if !got.CanConsent || got.CanTask || !got.ConsentBlocksTasking || !got.CanCancel || got.CanStart || got.CanAssess {
		t.Errorf("officer's steps when approved: %+v", got)
	}
	if got.HRDDPRequired == nil || *got.HRDDPRequired || got.Assessment != nil {
		t.Errorf("officer: hrddp_required %v, assessment %+v; want false and null", got.HRDDPRequired, got.Assessment)
	}

	// No tasking before consent; only the officer records it.
	wantMessage(t, f.step(t, f.officer, id, "tasking", taskingBody).wantError(t, http.StatusConflict, "conflict", nil), "tasking.consent_needed")
	f.step(t, f.requester, id, "consent", consentBody).wantError(t, http.StatusForbidden, "forbidden", nil)
	f.step(t, f.hc, id, "consent", consentBody).wantError(t, http.StatusForbidden, "forbidden", nil)
	f.step(t, f.outsider, id, "consent", consentBody).wantError(t, http.StatusNotFound, "not_found", nil)
	f.step(t, f.officer, id, "consent", map[string]any{"version": 1, "status": "consented"}).wantError(t, http.StatusUnprocessableEntity, "invalid",
		map[string]string{"authority": "field.required", "date": "field.required"})
	f.step(t, f.officer, id, "consent", map[string]any{"status": "granted", "date": "02/05/2026"}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"date": "field.invalid"})
	f.step(t, f.officer, id, "consent", map[string]any{"version": 1, "status": "granted", "date": "2026-05-02"}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"status": "field.choose"})
	got = f.mustStep(t, f.officer, id, "consent", consentBody)
	if c := got.Consent; c == nil || c.Status != "consented" || c.Authority != "NDRRMA" || c.Channel != "Letter to the NEOC" ||
		c.Date == nil || *c.Date != "2026-05-02" || c.Reference != "NDRRMA/2026/114" || c.RecordedAt.IsZero() {
		t.Errorf("consent = %+v", got.Consent)
	}
	if got.Status != "approved" || got.ConsentBlocksTasking || !got.CanTask {
		t.Errorf("after consent: status %s, blocks %v, can_task %v", got.Status, got.ConsentBlocksTasking, got.CanTask)
	}

	// Tasked, declined by the provider, tasked again to another.
	f.step(t, f.hc, id, "tasking", taskingBody).wantError(t, http.StatusForbidden, "forbidden", nil)
	wantMessage(t, f.step(t, f.officer, id, "tasking", map[string]any{"provider_iso3": "IND", "unit": "u", "asset_type": "a", "asset_count": 1}).
		wantError(t, http.StatusBadRequest, "malformed", map[string]string{"version": "field.version_required"}), "request.version_missing")
	f.step(t, f.officer, id, "tasking", map[string]any{"version": 1, "provider_iso3": "India", "unit": " ", "asset_count": 0}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"provider_iso3": "field.iso3", "unit": "field.required",
			"asset_type": "field.required", "asset_count": "tasking.asset_count"})
	got = f.mustStep(t, f.officer, id, "tasking", taskingBody)
	if got.Status != "tasked" || len(got.Taskings) != 1 || got.Taskings[0].ProviderISO3 != "IND" || got.Taskings[0].AssetCount != 2 ||
		got.Taskings[0].PlatformRef != "MNMCC-0042" || got.Taskings[0].DeclinedAt != nil || got.Taskings[0].StartedAt != nil {
		t.Errorf("after tasking: %+v", got)
	}
	if !got.CanDecline || !got.CanStart || got.CanTask || !got.CanConsent {
		t.Errorf("steps when tasked: %+v", got)
	}
	f.step(t, f.officer, id, "decline", map[string]any{"version": 1}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"reason": "field.required"})
	f.step(t, f.requester, id, "decline", map[string]any{"version": 1, "reason": "x"}).wantError(t, http.StatusForbidden, "forbidden", nil)
	const grounded = "Both helicopters grounded for maintenance."
	got = f.mustStep(t, f.officer, id, "decline", map[string]any{"version": 1, "reason": grounded})
	if got.Status != "declined_by_provider" || got.StatusReason != grounded || len(got.Taskings) != 1 ||
		got.Taskings[0].DeclinedAt == nil || got.Taskings[0].DeclineReason != grounded || !got.CanTask {
		t.Errorf("after decline: %+v", got)
	}
	other := map[string]any{"version": 1, "provider_iso3": "CHN", "unit": "PLA Air Force transport unit", "asset_type": "Y-8",
		"asset_count": 1}
	got = f.mustStep(t, f.officer, id, "tasking", other)
	if got.Status != "tasked" || len(got.Taskings) != 2 || got.Taskings[1].ProviderISO3 != "CHN" || got.Taskings[1].DeclinedAt != nil {
		t.Errorf("after re-tasking: %+v", got.Taskings)
	}

	// Execution, with reports (the officer's) and their totals.
	f.step(t, f.officer, id, "reports", map[string]any{"date": today()}).wantError(t, http.StatusConflict, "conflict", nil)
	f.step(t, f.requester, id, "execution", map[string]any{"version": 1}).wantError(t, http.StatusForbidden, "forbidden", nil)
	wantMessage(t, f.step(t, f.officer, id, "execution", map[string]any{}).wantError(t, http.StatusBadRequest, "malformed", map[string]string{"version": "field.version_required"}), "request.version_missing")
	got = f.mustStep(t, f.officer, id, "execution", map[string]any{"version": 1})
	if got.Status != "in_execution" || got.Taskings[1].StartedAt == nil || got.Taskings[0].StartedAt != nil || !got.CanReport ||
		!got.CanComplete || !got.CanCancel || got.CanStart {
		t.Errorf("after the start: %+v", got)
	}
	f.step(t, f.requester, id, "reports", map[string]any{"date": today(), "sorties": 1}).wantError(t, http.StatusForbidden, "forbidden", nil)
	f.step(t, f.officer, id, "reports", map[string]any{"date": time.Now().Add(72 * time.Hour).UTC().Format(time.DateOnly)}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"date": "report.date_future"})
	f.step(t, f.officer, id, "reports", map[string]any{"date": today(), "sorties": -1, "tonnes": 2e7}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"sorties": "report.count_range", "tonnes": "report.count_range"})
	f.step(t, f.officer, id, "reports", map[string]any{"sorties": 1}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"date": "field.required"})
	f.step(t, f.officer, id, "reports", map[string]any{"date": "yesterday"}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"date": "field.invalid"})
	first := decode[reportJSON](t, f.step(t, f.officer, id, "reports", map[string]any{"date": today(), "sorties": 6, "flight_hours": 9.5,
		"tonnes": 12, "passengers": 3, "notes": "Three rotations."}).want(t, http.StatusCreated))
	if first.ID == 0 || first.Date != today() || first.Sorties != 6 || first.FlightHours != 9.5 || first.Tonnes != 12 ||
		first.Notes != "Three rotations." || first.ReportedAt.IsZero() {
		t.Errorf("report = %+v", first)
	}
	second := decode[reportJSON](t, f.step(t, f.officer, id, "reports", map[string]any{"date": today(), "sorties": 4, "flight_hours": 6.04,
		"tonnes": 8.25, "medevacs": 2, "people_reached": 4000, "incidents": "Hard landing, no injuries."}).want(t, http.StatusCreated))
	if second.FlightHours != 6 || second.Incidents != "Hard landing, no injuries." { // kept to 0.1 hours
		t.Errorf("second report = %+v, want 6 flight hours as stored", second)
	}
	got, _ = f.lifecycle(t, f.requester, id)
	if tt := got.Totals; tt.Reports != 2 || tt.Sorties != 10 || tt.FlightHours != 15.5 || tt.Tonnes != 20.25 || tt.Passengers != 3 ||
		tt.Medevacs != 2 || tt.PeopleReached != 4000 {
		t.Errorf("totals = %+v", got.Totals)
	}
	if len(got.Reports) != 2 || got.Reports[0].ID != first.ID || got.Reports[1].ID != second.ID {
		t.Errorf("reports = %+v", got.Reports)
	}
	if got.CanReport || !got.CanComplete || got.CanCancel {
		t.Errorf("requester's steps in execution: report %v, complete %v, cancel %v", got.CanReport, got.CanComplete, got.CanCancel)
	}

	// The requester completes; the officer hands over.
	f.step(t, f.viewer, id, "completion", map[string]any{"version": 1}).wantError(t, http.StatusForbidden, "forbidden", nil)
	got = f.mustStep(t, f.requester, id, "completion", map[string]any{"version": 1})
	if got.Status != "completed" || got.CanComplete || got.CanCancel {
		t.Errorf("after completion: %+v", got)
	}
	f.step(t, f.officer, id, "completion", map[string]any{"version": 1}).wantError(t, http.StatusConflict, "conflict", nil)
	f.step(t, f.officer, id, "handover", map[string]any{"version": 1, "organization": "Another NGO", "date": today()}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"reason": "field.required"})
	f.step(t, f.officer, id, "handover", map[string]any{"version": 1}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"organization": "field.required", "date": "field.required"})
	f.step(t, f.requester, id, "handover", map[string]any{"version": 1, "organization": "WFP road convoys", "date": today()}).
		wantError(t, http.StatusForbidden, "forbidden", nil)
	got = f.mustStep(t, f.officer, id, "handover", map[string]any{"version": 1, "organization": "wfp road convoys", "date": today()})
	if h := got.Handover; got.Status != "handed_over" || h == nil || h.Organization != "wfp road convoys" || h.Date != today() || h.Reason != "" {
		t.Errorf("after the hand-over: status %s, handover %+v", got.Status, got.Handover)
	}
	if got.CanConsent || got.CanTask || got.CanDecline || got.CanStart || got.CanReport || got.CanComplete || got.CanHandOver || got.CanCancel {
		t.Errorf("steps after the hand-over: %+v", got)
	}
	wantMessage(t, f.step(t, f.officer, id, "cancel", map[string]any{"version": 1, "reason": "Too late"}).
		wantError(t, http.StatusConflict, "conflict", nil), "request.wrong_state")

	// Every step is in the trail.
	events := decode[struct {
		Items []struct {
			Action string `json:"action"`
		} `json:"items"`
	}](t, f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d/events", id), Token: f.viewer}).want(t, http.StatusOK))
	var actions []string
	for _, e := range events.Items {
		actions = append(actions, e.Action)
	}
	trail := strings.Join(actions, " ")
	for _, a := range []string{"request.task", "request.decline", "request.execution.start", "request.complete", "request.hand_over"} {
		if !strings.Contains(trail, a) {
			t.Errorf("trail %q lacks %s", trail, a)
		}
	}
}

// TestLifecycle_Cancel cancels an approved request (the HC), and a tasked
// one (the officer).
func TestLifecycle_Cancel(t *testing.T) {
	t.Parallel()
	f := newLifecycleFixture(t)
	id := f.mustApproved(t, "Cancelled when approved")
	f.step(t, f.requester, id, "cancel", map[string]any{"version": 1, "reason": "x"}).wantError(t, http.StatusForbidden, "forbidden", nil)
	f.step(t, f.hc, id, "cancel", map[string]any{"version": 1, "reason": " "}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"reason": "field.required"})
	wantMessage(t, f.step(t, f.hc, id, "cancel", map[string]any{"version": 2, "reason": "x"}).
		wantError(t, http.StatusConflict, "conflict", nil), "request.stale")
	const ended = "Civilian capacity now available: last resort ended."
	got := f.mustStep(t, f.hc, id, "cancel", map[string]any{"version": 1, "reason": ended})
	if got.Status != "cancelled" || got.StatusReason != ended || got.CanCancel {
		t.Errorf("after cancel: %+v", got)
	}

	tasked := f.mustApproved(t, "Cancelled when tasked")
	f.mustStep(t, f.officer, tasked, "consent", map[string]any{"version": 1, "status": "requested", "date": today()})
	f.mustStep(t, f.officer, tasked, "tasking", taskingBody)
	if got := f.mustStep(t, f.officer, tasked, "cancel", map[string]any{"version": 1, "reason": ended}); got.Status != "cancelled" {
		t.Errorf("status = %s, want cancelled", got.Status)
	}
	f.step(t, f.officer, tasked, "tasking", taskingBody).wantError(t, http.StatusConflict, "conflict", nil)
}

// TestLifecycle_ConsentRefused: a refusal cancels the request with that
// reason.
func TestLifecycle_ConsentRefused(t *testing.T) {
	t.Parallel()
	f := newLifecycleFixture(t)
	id := f.mustApproved(t, "Refused")
	got := f.mustStep(t, f.officer, id, "consent", map[string]any{"version": 1, "status": "refused", "authority": "Ministry of Home Affairs",
		"date": today(), "reference": "MoHA/2026/88"})
	if got.Status != "cancelled" || got.StatusReasonCode != string(domain.ReasonConsentRefused) || got.Consent == nil ||
		got.Consent.Status != "refused" || got.CanTask || got.CanConsent || got.CanCancel {
		t.Errorf("after refusal: %+v", got)
	}
	if r := decode[requestJSON](t, f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d", id), Token: f.requester}).
		want(t, http.StatusOK)); r.Status != "cancelled" {
		t.Errorf("request status = %s, want cancelled", r.Status)
	}
	wantSystemReason(t, f.fixture, f.requester, id, domain.ReasonConsentRefused)
	wantMessage(t, f.step(t, f.officer, id, "consent", consentBody).wantError(t, http.StatusConflict, "conflict", nil), "request.wrong_state")
	wantMessage(t, f.step(t, f.officer, id, "tasking", taskingBody).wantError(t, http.StatusConflict, "conflict", nil), "request.wrong_state")
}

// hrddpBody is an assessment of medium risk, without the mitigation that
// risk requires.
func hrddpBody(outcome string) map[string]any {
	return map[string]any{
		"version":               1,
		"receiving_entity":      "3rd Infantry Division",
		"support_description":   "Fuel for escort vehicles",
		"support_category":      "logistical",
		"grave_violations":      "OHCHR 2025 report: none attributed to this unit",
		"accountability":        "Military justice cases opened in 2025",
		"risk_level":            "medium",
		"benefits_and_risks":    "Food reaches 40,000 people",
		"communication":         "Letter to the MoD, ref. UN/HRDDP/7",
		"monitoring_plan":       "Monthly review with the human rights section",
		"intervention_process":  "Suspend fuel on any credible allegation",
		"outcome":               outcome,
		"country_mechanism_ref": "HRDDP-NPL-7",
	}
}

// TestLifecycle_HRDDP: a UN entity's request with LR18 yes needs an
// assessment, which only the HRDDP reviewer records and only the
// reviewer, the HC and the officer see, on every route; no_support
// rejects the request.
func TestLifecycle_HRDDP(t *testing.T) {
	t.Parallel()
	f := newLifecycleFixture(t)
	un, err := f.dir.CreateOrganization(t.Context(), f.admin, domain.Organization{Name: "UN Agency", Acronym: "UNA",
		Type: domain.OrgUNAgency, UNEntity: true})
	if err != nil {
		t.Fatal(err)
	}
	u := f.mustUserIn(t, "umar@example.org", un.ID)
	f.mustMember(t, "NPL-EQ", u, domain.RoleRequester)
	unRequester := f.mustToken(t, u)
	submitted := func(title string) int64 {
		body := completeBody(title)
		body["checklist"].(map[string]any)["LR18"] = map[string]any{"answer": "yes", "note": "Fuel for the army's escort vehicles."}
		r := f.mustCreate(t, unRequester, body)
		f.mustAct(t, unRequester, r.ID, "submit", map[string]any{"version": 1})
		return r.ID
	}
	id := submitted("Escort fuelled by the UN")
	hrddp := fmt.Sprintf("/requests/%d/hrddp", id)

	got, _ := f.lifecycle(t, f.hrddp, id)
	if got.HRDDPRequired == nil || !*got.HRDDPRequired || got.Assessment != nil || !got.CanAssess {
		t.Errorf("reviewer before the assessment: hrddp_required %v, assessment %+v, can_assess %v", got.HRDDPRequired, got.Assessment, got.CanAssess)
	}
	wantMessage(t, f.call(t, req{Method: "GET", Path: hrddp, Token: f.officer}).wantError(t, http.StatusNotFound, "not_found", nil), "hrddp.no_assessment")
	wantMessage(t, f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/review", id), Token: f.officer,
		Body: map[string]any{"version": 1}}).wantError(t, http.StatusConflict, "conflict", nil), "review.hrddp_required")

	body := hrddpBody("support_with_mitigation")
	f.step(t, f.officer, id, "hrddp", body).wantError(t, http.StatusForbidden, "forbidden", nil)
	f.step(t, unRequester, id, "hrddp", body).wantError(t, http.StatusForbidden, "forbidden", nil)
	f.step(t, f.outsider, id, "hrddp", body).wantError(t, http.StatusNotFound, "not_found", nil)
	f.step(t, f.hrddp, id, "hrddp", body).wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"mitigation": "field.required"})
	f.step(t, f.hrddp, id, "hrddp", map[string]any{"version": 1, "risk_level": "extreme", "support_category": "fuel", "outcome": "maybe"}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"risk_level": "field.choose", "support_category": "field.choose",
			"outcome": "field.choose", "receiving_entity": "field.required", "monitoring_plan": "field.required"})
	const mitigation = "Fuel handed over only at checkpoints; monitoring by the human rights section"
	body["mitigation"] = mitigation
	a := decode[assessmentJSON](t, f.step(t, f.hrddp, id, "hrddp", body).want(t, http.StatusOK))
	if a.RequestID != id || a.ReceivingEntity != "3rd Infantry Division" || a.Mitigation != mitigation || a.RiskLevel != "medium" ||
		a.Outcome != "support_with_mitigation" || a.CountryMechanismRef != "HRDDP-NPL-7" || a.AssessedBy.Name != "hana" || a.AssessedAt.IsZero() {
		t.Errorf("assessment = %+v", a)
	}

	// Only the reviewer, the HC and the officer see it; for everyone else
	// it does not exist, on either route.
	for who, token := range map[string]string{"officer": f.officer, "hc": f.hc, "hrddp reviewer": f.hrddp} {
		got := decode[assessmentJSON](t, f.call(t, req{Method: "GET", Path: hrddp, Token: token}).want(t, http.StatusOK))
		if got.ReceivingEntity != "3rd Infantry Division" || got.Mitigation != mitigation {
			t.Errorf("%s: assessment = %+v", who, got)
		}
		lc, _ := f.lifecycle(t, token, id)
		if lc.HRDDPRequired == nil || !*lc.HRDDPRequired || lc.Assessment == nil || lc.Assessment.Mitigation != mitigation {
			t.Errorf("%s: lifecycle hrddp_required %v, assessment %+v", who, lc.HRDDPRequired, lc.Assessment)
		}
	}
	missing := f.call(t, req{Method: "GET", Path: "/requests/999999/hrddp", Token: f.officer}).wantError(t, http.StatusNotFound, "not_found", nil)
	for who, token := range map[string]string{"requester": unRequester, "viewer": f.viewer, "HCT member": f.hctA, "outsider": f.outsider} {
		e := f.call(t, req{Method: "GET", Path: hrddp, Token: token}).wantError(t, http.StatusNotFound, "not_found", nil)
		if e.Error.MessageID != missing.Error.MessageID {
			t.Errorf("%s: message_id %q, want %q as for a missing request", who, e.Error.MessageID, missing.Error.MessageID)
		}
		if who == "outsider" {
			continue
		}
		_, raw := f.lifecycle(t, token, id)
		m := keys(t, raw)
		for _, k := range []string{"assessment", "hrddp_required"} {
			if _, ok := m[k]; ok {
				t.Errorf("%s sees the %s key: %.400s", who, k, raw.Body)
			}
		}
		for _, secret := range []string{"3rd Infantry Division", "checkpoints", "HRDDP-NPL-7"} {
			if bytes.Contains(raw.Body, []byte(secret)) {
				t.Errorf("%s sees %q in the lifecycle", who, secret)
			}
		}
		ev := f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d/events", id), Token: token}).want(t, http.StatusOK)
		if bytes.Contains(ev.Body, []byte("3rd Infantry Division")) || bytes.Contains(ev.Body, []byte("checkpoints")) {
			t.Errorf("%s sees the assessment in the trail", who)
		}
	}

	// Now the review may open; a request that needs no assessment refuses one.
	f.mustOpen(t, id)
	wantMessage(t, f.step(t, f.hrddp, id, "hrddp", body).wantError(t, http.StatusConflict, "conflict", nil), "request.wrong_state")
	plain := f.mustSubmitted(t, "No HRDDP")
	wantMessage(t, f.step(t, f.hrddp, plain, "hrddp", body).wantError(t, http.StatusConflict, "conflict", nil), "hrddp.not_required")

	// No support rejects.
	refused := submitted("Escort the HRDDP refuses")
	body["outcome"] = "no_support"
	if a := decode[assessmentJSON](t, f.step(t, f.hrddp, refused, "hrddp", body).want(t, http.StatusOK)); a.Outcome != "no_support" {
		t.Errorf("outcome = %s", a.Outcome)
	}
	if r := decode[requestJSON](t, f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d", refused), Token: unRequester}).
		want(t, http.StatusOK)); r.Status != "rejected" || r.StatusReason == "" {
		t.Errorf("after no support: status %s (%q), want rejected", r.Status, r.StatusReason)
	}
	wantSystemReason(t, f.fixture, unRequester, refused, domain.ReasonHRDDPNoSupport)
}

// wantSystemReason checks that request id, as the client with token sees
// it in each language of the catalogue, carries code and its text in
// that language, on the request and on its lifecycle. It leaves every
// user's language changed.
func wantSystemReason(t testing.TB, f *fixture, token string, id int64, code domain.ReasonCode) {
	t.Helper()
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range domain.Languages {
		// The profile language decides (every user's: this database is the test's own).
		if _, err := f.pool.Exec(t.Context(), `UPDATE users SET language = $1`, lang); err != nil {
			t.Fatal(err)
		}
		want := catalog.Localizer(lang).T(code.MessageKey())
		r := decode[requestJSON](t, f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d", id), Token: token}).want(t, http.StatusOK))
		l := decode[lifecycleJSON](t, f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d/lifecycle", id), Token: token}).want(t, http.StatusOK))
		if r.StatusReasonCode != string(code) || r.StatusReason != want || l.StatusReasonCode != string(code) || l.StatusReason != want {
			t.Errorf("%s: request %q %q, lifecycle %q %q; want %q %q", lang, r.StatusReasonCode, r.StatusReason,
				l.StatusReasonCode, l.StatusReason, code, want)
		}
	}
}

// TestLifecycle_Timing flags a task ending within 7 days, then overrun.
func TestLifecycle_Timing(t *testing.T) {
	t.Parallel()
	f := newLifecycleFixture(t)
	id := f.mustApproved(t, "Ends soon")
	// The request ends 19 days from now.
	if got, _ := f.lifecycle(t, f.viewer, id); got.Timing != "" {
		t.Fatalf("timing = %q, want on time", got.Timing)
	}
	f.clock.Advance(14 * 24 * time.Hour)
	if got, _ := f.lifecycle(t, f.viewer, id); got.Timing != "ending_soon" {
		t.Errorf("timing = %q, want ending_soon", got.Timing)
	}
	f.clock.Advance(7 * 24 * time.Hour)
	if got, _ := f.lifecycle(t, f.viewer, id); got.Timing != "overrun" {
		t.Errorf("timing = %q, want overrun", got.Timing)
	}
}

// TestLifecycle_Authorization is the lifecycle routes' authorization
// matrix on a submitted request that needs no HRDDP assessment, with
// empty bodies (as cmd/cmcoord/authz_test.go sends them): 401 without
// credentials, 404 for whoever cannot see the request, 403 for members
// who may not act, and for the roles that may, the service's answer to
// `{}` in that state.
func TestLifecycle_Authorization(t *testing.T) {
	t.Parallel()
	f := newLifecycleFixture(t)
	id := f.mustSubmitted(t, "Matrix")
	elsewhere := func() string { // an officer of another operation only
		f.mustOperation(t, "HTI-EQ")
		u := f.mustUser(t, "olaf@example.org")
		f.mustMember(t, "HTI-EQ", u, domain.RoleOfficer)
		return f.mustToken(t, u)
	}()
	callers := []struct{ name, token string }{{"anonymous", ""}, {"requester", f.requester}, {"officer", f.officer},
		{"hct_member", f.hctA}, {"hct_member of the requesting organisation", f.ownHCT}, {"hc", f.hc},
		{"hrddp_reviewer", f.hrddp}, {"viewer", f.viewer}, {"outsider", f.outsider}, {"officer_elsewhere", elsewhere},
		{"admin", f.adminToken}}
	// want lists the status per caller, in the order above.
	routes := []struct {
		method, path string
		want         []int
	}{
		{"GET", "/lifecycle", []int{401, 200, 200, 200, 200, 200, 200, 200, 404, 404, 404}},
		{"PUT", "/consent", []int{401, 403, 409, 403, 403, 403, 403, 403, 404, 404, 404}},
		{"POST", "/tasking", []int{401, 403, 409, 403, 403, 403, 403, 403, 404, 404, 404}},
		{"POST", "/decline", []int{401, 403, 409, 403, 403, 403, 403, 403, 404, 404, 404}},
		{"POST", "/execution", []int{401, 403, 409, 403, 403, 403, 403, 403, 404, 404, 404}},
		{"POST", "/reports", []int{401, 403, 409, 403, 403, 403, 403, 403, 404, 404, 404}},
		{"POST", "/completion", []int{401, 409, 409, 403, 403, 403, 403, 403, 404, 404, 404}},
		{"POST", "/handover", []int{401, 403, 409, 403, 403, 403, 403, 403, 404, 404, 404}},
		{"POST", "/cancel", []int{401, 403, 409, 403, 403, 409, 403, 403, 404, 404, 404}},
		{"GET", "/hrddp", []int{401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404}},
		{"PUT", "/hrddp", []int{401, 403, 403, 403, 403, 403, 409, 403, 404, 404, 404}},
	}
	for _, rt := range routes {
		for i, c := range callers {
			rq := req{Method: rt.method, Path: fmt.Sprintf("/requests/%d%s", id, rt.path), Token: c.token}
			if rt.method != "GET" {
				rq.Body = "{}"
			}
			if got := f.call(t, rq); got.Status != rt.want[i] {
				t.Errorf("%s %s as %s: status = %d, want %d; body %.200s", rt.method, rt.path, c.name, got.Status, rt.want[i], got.Body)
			}
		}
	}
	// Whoever cannot see the request gets exactly the answer for a missing one.
	missing := f.call(t, req{Method: "GET", Path: "/requests/999999/lifecycle", Token: f.outsider}).wantError(t, http.StatusNotFound, "not_found", nil)
	for _, path := range []string{"/lifecycle", "/hrddp"} {
		if e := f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d%s", id, path), Token: f.outsider}).
			wantError(t, http.StatusNotFound, "not_found", nil); e.Error.MessageID != missing.Error.MessageID {
			t.Errorf("outsider %s: message_id %q, want %q as for a missing request", path, e.Error.MessageID, missing.Error.MessageID)
		}
	}
}

// TestLifecycle_Malformed sends broken bodies to every lifecycle route
// that reads one: each answer is a 4xx error envelope, never a 500, and
// nothing changes.
func TestLifecycle_Malformed(t *testing.T) {
	t.Parallel()
	f := newLifecycleFixture(t)
	approved := f.mustApproved(t, "Approved")
	executing := f.mustApproved(t, "Executing")
	f.mustStep(t, f.officer, executing, "consent", consentBody)
	f.mustStep(t, f.officer, executing, "tasking", taskingBody)
	f.mustStep(t, f.officer, executing, "execution", map[string]any{"version": 1})
	submitted := f.mustSubmitted(t, "Submitted")
	routes := []struct {
		method, path, token string
	}{
		{"PUT", fmt.Sprintf("/requests/%d/consent", approved), f.officer},
		{"POST", fmt.Sprintf("/requests/%d/tasking", approved), f.officer},
		{"POST", fmt.Sprintf("/requests/%d/cancel", approved), f.hc},
		{"POST", fmt.Sprintf("/requests/%d/decline", executing), f.officer},
		{"POST", fmt.Sprintf("/requests/%d/execution", executing), f.officer},
		{"POST", fmt.Sprintf("/requests/%d/reports", executing), f.officer},
		{"POST", fmt.Sprintf("/requests/%d/completion", executing), f.officer},
		{"POST", fmt.Sprintf("/requests/%d/handover", executing), f.officer},
		{"PUT", fmt.Sprintf("/requests/%d/hrddp", submitted), f.hrddp},
	}
	bodies := []string{
		`{`, `}`, `null`, `[]`, `[{}]`, `"text"`, `42`, `true`, `{"version": "1"}`, `{"version": 1.5}`, `{"version": 1e400}`,
		`{"version": 99999999999999999999}`, `{"version": -1}`, `{"version": 1, "colour": "blue"}`,
		`{"status": 1}`, `{"status": "consented", "authority": "x", "date": "2026-02-30"}`, `{"status": "requested", "date": "0000-01-01"}`,
		`{"status": "requested", "date": "2026-05-02T00:00:00Z"}`, `{"status": "consented", "authority": "\u0000", "date": "2026-05-02"}`,
		`{"status": "requested", "date": "2026-05-02", "reference": "` + strings.Repeat("x", 201) + `"}`,
		`{"version": 1, "provider_iso3": "IND", "unit": "u", "asset_type": "a", "asset_count": 1.5}`,
		`{"version": 1, "provider_iso3": "IND", "unit": "u", "asset_type": "a", "asset_count": 1e10}`,
		`{"version": 1, "provider_iso3": "IND", "unit": "u", "asset_type": "a", "asset_count": 100001}`,
		`{"version": 1, "provider_iso3": "IN\u0000", "unit": "u", "asset_type": "a", "asset_count": 1}`,
		`{"version": 1, "reason": "\u0000"}`, `{"version": 1, "reason": ["x"]}`, `{"version": 1, "reason": "` + strings.Repeat("é", 2001) + `"}`,
		`{"date": "2026-05-02", "sorties": 1.5}`, `{"date": "2026-05-02", "flight_hours": "9"}`, `{"date": "2026-05-02", "tonnes": 1e308}`,
		`{"date": "2026-05-02", "tonnes": -0.01}`, `{"date": "2026-05-02", "people_reached": 9999999999}`,
		`{"date": "0001-01-02", "notes": "\u0000"}`, `{"date": "9999-12-31"}`, `{"date": "10000-01-01"}`,
		`{"version": 1, "organization": "WFP road convoys", "date": "tomorrow"}`, `{"version": 1, "organization": "\u0000", "date": "2026-05-02"}`,
		`{"version": 1, "organization": "x", "date": "2026-05-02", "reason": "\u0000"}`,
		`{"risk_level": "LOW"}`, `{"receiving_entity": 1}`, `{"outcome": "no_support", "mitigation": null, "extra": 1}`,
		`{"receiving_entity": "\u0000", "support_description": "d", "support_category": "training", "grave_violations": "g",
		  "accountability": "a", "risk_level": "low", "benefits_and_risks": "b", "monitoring_plan": "m",
		  "intervention_process": "i", "outcome": "support"}`,
		`{"version": 1} {"version": 1}`,
	}
	for _, rt := range routes {
		for _, body := range bodies {
			got := f.call(t, req{Method: rt.method, Path: rt.path, Token: rt.token, Body: body})
			if got.Status < 400 || got.Status >= 500 {
				t.Errorf("%s %s %s: status %d; body %.300s", rt.method, rt.path, body, got.Status, got.Body)
				continue
			}
			if e := decode[apiError](t, got); e.Error.Code == "" || e.Error.Code == "internal" {
				t.Errorf("%s %s %s: error %+v", rt.method, rt.path, body, e.Error)
			}
		}
		got := f.call(t, req{Method: rt.method, Path: rt.path, Token: rt.token, Body: "{}", Header: map[string]string{"Content-Type": "text/plain"}})
		if got.Status != http.StatusUnsupportedMediaType {
			t.Errorf("%s %s as text/plain: status %d, want 415", rt.method, rt.path, got.Status)
		}
	}
	// Nothing above changed anything.
	if got, _ := f.lifecycle(t, f.officer, approved); got.Status != "approved" || got.Consent != nil || len(got.Taskings) != 0 {
		t.Errorf("approved request after the malformed calls: %+v", got)
	}
	if got, _ := f.lifecycle(t, f.officer, executing); got.Status != "in_execution" || len(got.Reports) != 0 {
		t.Errorf("executing request after the malformed calls: %+v", got)
	}
	f.call(t, req{Method: "GET", Path: "/requests/abc/lifecycle", Token: f.officer}).wantError(t, http.StatusNotFound, "not_found", nil)
	f.call(t, req{Method: "DELETE", Path: fmt.Sprintf("/requests/%d/hrddp", submitted), Token: f.officer}).
		wantError(t, http.StatusMethodNotAllowed, "method_not_allowed", nil)
}
