package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// lifecycleBodySeeds are the fuzz corpus of the lifecycle routes'
// bodies: valid ones of each kind, and each kind of refusal.
var lifecycleBodySeeds = []string{
	`{"status": "consented", "authority": "NDRRMA", "channel": "Letter", "date": "2026-05-02", "reference": "NDRRMA/2026/114"}`,
	`{"status": "not_applicable"}`, `{"status": "refused", "authority": "MoHA", "date": "2026-05-02"}`,
	`{"status": "requested", "date": "2026-02-30"}`, `{"status": "requested", "date": "0000-01-01"}`, `{"status": "pending", "date": null}`,
	`{"version": 1, "provider_iso3": "ind", "unit": "152 HU", "asset_type": "Mi-17", "asset_count": 2, "platform_ref": "MNMCC-0042"}`,
	`{"version": 1, "provider_iso3": "India", "unit": " ", "asset_type": "", "asset_count": 0}`, `{"version": 1, "asset_count": 1e10}`,
	`{"version": 1, "reason": "Grounded."}`, `{"version": 1}`, `{"version": 0}`, `{"version": 1, "reason": "` + strings.Repeat("é", 2001) + `"}`,
	`{"date": "2026-05-01", "sorties": 6, "flight_hours": 9.55, "tonnes": 12.125, "passengers": 3, "medevacs": 1, "people_reached": 4000,
	  "incidents": "None.", "notes": "Three rotations."}`,
	`{"date": "2026-05-02", "flight_hours": 1e7, "tonnes": 10000000}`, `{"date": "2999-01-01"}`, `{"date": "2026-05-01", "sorties": -1}`,
	`{"date": "2026-05-01", "tonnes": 1e308}`, `{"date": "yesterday"}`,
	`{"version": 1, "organization": "WFP road convoys", "date": "2026-05-18"}`, `{"version": 1, "organization": "Other", "date": "2026-05-18"}`,
	`{"version": 1, "organization": "Other", "date": "2026-05-18", "reason": "WFP left."}`,
	`{"receiving_entity": "3rd Division", "support_description": "Fuel", "support_category": "logistical", "grave_violations": "None.",
	  "accountability": "Courts.", "risk_level": "medium", "benefits_and_risks": "Food.", "mitigation": "Checkpoints.",
	  "communication": "Letter.", "monitoring_plan": "Monthly.", "intervention_process": "Suspend.", "outcome": "support_with_mitigation",
	  "country_mechanism_ref": "HRDDP-7"}`,
	`{"risk_level": "extreme", "outcome": "maybe"}`,
	`{"version": 1e400}`, `{"version": "1"}`, `{"colour": "blue"}`, ``, `{`, `null`, `[]`, `"x"`, `{} {}`,
}

// FuzzLifecycleBodies feeds arbitrary bytes to the decoders of the
// consent, tasking, transition, report, hand-over and assessment bodies
// and to the checks the API and the domain make of them before anything
// is stored: never a panic, every failure a domain or HTTP error that the
// envelope shows as a 4xx, whatever is accepted can be shown again and
// holds no NUL.
func FuzzLifecycleBodies(f *testing.F) {
	for _, s := range withHostile(lifecycleBodySeeds) {
		f.Add([]byte(s))
	}
	a := New(Options{})
	now := time.Date(2026, 5, 10, 9, 0, 0, 0, time.UTC)
	request := domain.Request{ID: 1, OperationID: 1, Status: domain.StatusInExecution, Version: 1,
		ExitStrategy: domain.ExitStrategy{Organization: "WFP road convoys"}}
	officer := domain.Actor{UserID: 1, OrganizationID: 1, Roles: map[int64]domain.RoleSet{1: {domain.RoleOfficer}}}
	show := func(t *testing.T, body []byte, st service.LifecycleState) {
		t.Helper()
		if err := writeJSON(httptest.NewRecorder(), http.StatusOK, newLifecycleDTO(t.Context(), request, st)); err != nil {
			t.Fatalf("body %q: accepted, but cannot be shown: %v", body, err)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		read := func(v any) (*http.Request, error) {
			r := httptest.NewRequest(http.MethodPost, "/requests/1/lifecycle", strings.NewReader(string(body)))
			r.Header.Set("Content-Type", "application/json")
			return r, readJSON(httptest.NewRecorder(), r, v)
		}

		var consent consentInput
		r, err := read(&consent)
		if err == nil {
			var c domain.Consent
			if c, err = consent.consent(); err == nil {
				if err = domain.ValidateConsent(c); err == nil {
					wantNoNUL(t, body, c)
					show(t, body, service.LifecycleState{Consent: &c})
				}
			}
		}
		wantClientError(t, a, r, body, err)

		var tasking taskingInput
		r, err = read(&tasking)
		if err == nil {
			tk := domain.Tasking{ProviderISO3: tasking.ProviderISO3, Unit: tasking.Unit, AssetType: tasking.AssetType,
				AssetCount: tasking.AssetCount, PlatformRef: tasking.PlatformRef}
			domain.NormalizeTasking(&tk)
			if err = domain.ValidateTasking(tk); err == nil {
				wantNoNUL(t, body, tk)
				show(t, body, service.LifecycleState{Taskings: []domain.Tasking{tk}})
			}
		}
		wantClientError(t, a, r, body, err)

		var tr transitionInput
		r, err = read(&tr)
		if err == nil {
			rq := request
			_, err = rq.Apply(officer, domain.ActionCancel, domain.OnRequest(rq),
				domain.TransitionInput{Version: versionOf(tr.Version), Reason: tr.Reason}, now)
			if err == nil {
				wantNoNUL(t, body, tr)
			}
		}
		wantClientError(t, a, r, body, err)

		var v versionInput
		r, err = read(&v)
		wantClientError(t, a, r, body, err)

		var rep reportInput
		r, err = read(&rep)
		if err == nil {
			var er domain.ExecutionReport
			if er, err = rep.report(); err == nil {
				if err = domain.ValidateReport(er, now); err == nil {
					wantNoNUL(t, body, er)
					er.Date = domain.DateOf(er.Date)
					show(t, body, service.LifecycleState{Reports: []domain.ExecutionReport{er, er},
						Totals: domain.Totals([]domain.ExecutionReport{er, er})})
				}
			}
		}
		wantClientError(t, a, r, body, err)

		var ho handoverInput
		r, err = read(&ho)
		if err == nil {
			var h domain.Handover
			if h, err = ho.handover(); err == nil {
				if err = domain.ValidateHandover(h, request); err == nil {
					wantNoNUL(t, body, h)
					show(t, body, service.LifecycleState{Handover: &h})
				}
			}
		}
		wantClientError(t, a, r, body, err)

		var as assessmentInput
		r, err = read(&as)
		if err == nil {
			asm := as.assessment()
			if err = domain.ValidateAssessment(asm); err == nil {
				wantNoNUL(t, body, asm)
				show(t, body, service.LifecycleState{CanSeeHRDDP: true, HRDDPRequired: true, Assessment: &asm})
				if werr := writeJSON(httptest.NewRecorder(), http.StatusOK, newAssessmentDTO(asm)); werr != nil {
					t.Fatalf("body %q: accepted, but cannot be shown: %v", body, werr)
				}
			}
		}
		wantClientError(t, a, r, body, err)
	})
}
