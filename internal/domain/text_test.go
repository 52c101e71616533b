package domain_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// textPlaces returns a setter for every string held in *v (a pointer to
// a struct), at any depth: fields, nested structs, list items and map
// values, named by Go path.
func textPlaces(v reflect.Value, path string) map[string]func(string) {
	out := map[string]func(string){}
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			out[path] = func(s string) { v.SetString(s) }
		}
	case reflect.Pointer:
		if !v.IsNil() {
			return textPlaces(v.Elem(), path)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			break
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				for k, f := range textPlaces(v.Field(i), path+"."+v.Type().Field(i).Name) {
					out[k] = f
				}
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			for k, f := range textPlaces(v.Index(i), path+"[]") {
				out[k] = f
			}
		}
	case reflect.Map:
		for _, key := range v.MapKeys() {
			key := key
			elem := reflect.New(v.Type().Elem()).Elem()
			elem.Set(v.MapIndex(key))
			for k, f := range textPlaces(elem, path+"["+key.String()+"]") {
				out[k] = func(s string) {
					f(s)
					v.SetMapIndex(key, elem)
				}
			}
		}
	}
	return out
}

// TestValidate_RefusesNULInEveryText: for every value a person gives the
// domain's checks (a request, with its locations, civilian options,
// checklist answers, escort, exit strategy and contact; consent, tasking,
// report, hand-over, HRDDP assessment, decision; organisation, user,
// operation), a NUL or bytes that are not UTF-8 put in any of its texts,
// found by reflection at any depth, make the check fail naming a field:
// PostgreSQL stores neither in text or jsonb, and each face shows the
// domain's message next to the field. Texts given alone (a comment, a
// vote's comment, a reason, a token's name, a password, a sign-in) too.
func TestValidate_RefusesNULInEveryText(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 10, 9, 0, 0, 0, time.UTC)
	req := fixture.Request("Valid", now)
	req.Escort = domain.Escort{NeedCriticality: "a", ResponsibleAuthority: "b", SecurityAssessment: "c", DiscontinuationPlan: "d"}
	valid := map[string]struct {
		value    any // a pointer to a valid value
		validate func(v any) error
	}{
		"request": {&req, func(v any) error { return domain.ValidateDraft(*v.(*domain.Request)) }},
		"consent": {&domain.Consent{Status: "consented", Authority: "NDRRMA", Channel: "Letter", Date: now, Reference: "R-1"},
			func(v any) error { return domain.ValidateConsent(*v.(*domain.Consent)) }},
		"tasking": {&domain.Tasking{ProviderISO3: "IND", Unit: "152 HU", AssetType: "Mi-17", AssetCount: 2, PlatformRef: "P-1"},
			func(v any) error { return domain.ValidateTasking(*v.(*domain.Tasking)) }},
		"report": {&domain.ExecutionReport{Date: now, Incidents: "None.", Notes: "Fine."},
			func(v any) error { return domain.ValidateReport(*v.(*domain.ExecutionReport), now) }},
		"hand-over": {&domain.Handover{Organization: req.ExitStrategy.Organization, Date: now, Reason: "As planned."},
			func(v any) error { return domain.ValidateHandover(*v.(*domain.Handover), req) }},
		"assessment": {&domain.Assessment{ReceivingEntity: "a", SupportDescription: "b", SupportCategory: "logistical",
			GraveViolations: "c", Accountability: "d", RiskLevel: "low", BenefitsAndRisks: "e", Mitigation: "f", Communication: "g",
			MonitoringPlan: "h", InterventionProcess: "i", Outcome: "support", CountryMechanismRef: "j"},
			func(v any) error { return domain.ValidateAssessment(*v.(*domain.Assessment)) }},
		"decision": {&domain.Decision{Outcome: domain.StatusApproved, Rationale: "Needed.", Conditions: "Daylight."},
			func(v any) error { return domain.ValidateDecision(*v.(*domain.Decision)) }},
		"organisation": {&domain.Organization{Name: "WFP", Acronym: "WFP", Type: domain.OrgUNAgency},
			func(v any) error { return domain.ValidateOrganization(*v.(*domain.Organization)) }},
		"user": {&domain.User{Email: "a@example.org", Name: "A", OrganizationID: 1, Language: "en"},
			func(v any) error { return domain.ValidateUser(*v.(*domain.User)) }},
		"operation": {&domain.Operation{Code: "NPL-EQ", Name: "Nepal", CountryISO3: "NPL", GLIDE: "EQ-2015-000048-NPL",
			Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48},
			func(v any) error { return domain.ValidateOperation(*v.(*domain.Operation)) }},
	}
	for name, c := range valid {
		if err := c.validate(c.value); err != nil {
			t.Fatalf("%s: the valid value is refused: %v", name, err)
		}
		places := textPlaces(reflect.ValueOf(c.value), name)
		if len(places) == 0 {
			t.Fatalf("%s: no text found", name)
		}
		for path := range places {
			if systemSet[path] {
				continue
			}
			for _, bad := range []string{"a\x00b", "\x00", "a\xffb"} {
				// A fresh copy of the valid value each time.
				fresh := reflect.New(reflect.TypeOf(c.value).Elem())
				fresh.Elem().Set(reflect.ValueOf(c.value).Elem())
				if r, ok := fresh.Interface().(*domain.Request); ok {
					*r = cloneRequest(*r)
				}
				textPlaces(fresh, name)[path](bad)
				var de *domain.Error
				if err := c.validate(fresh.Interface()); !errors.As(err, &de) || len(de.Fields) == 0 {
					t.Errorf("%s = %q: %v, want a field refused", path, bad, err)
				}
			}
		}
	}
	for name, err := range map[string]error{
		"comment":        domain.ValidateComment("a\x00b"),
		"vote comment":   domain.ValidateVote(domain.VoteSupport, "a\x00b"),
		"token name":     domain.ValidateTokenName("a\x00b"),
		"password":       domain.ValidatePassword("password", strings.Repeat("a", 20)+"\x00"),
		"sign-in e-mail": domain.ValidateSignIn("a\x00b@example.org", "x"),
		"sign-in secret": domain.ValidateSignIn("a@example.org", "x\xff"),
	} {
		var de *domain.Error
		if !errors.As(err, &de) || len(de.Fields) == 0 {
			t.Errorf("%s with a NUL or bad bytes: %v, want a field refused", name, err)
		}
	}
}

// systemSet are the texts of those values that no one types into them:
// cmcoord sets them (a reference, a status, a name read from the
// directory), or a transition does from its own input, whose reason and
// civilian reference domain.Request.Apply checks as any other text.
var systemSet = map[string]bool{
	"request.Status": true, "request.Reference": true, "request.RequestingOrgName": true, "request.CreatedByName": true,
	"request.StatusReason": true, "request.StatusReasonCode": true, "request.CivilianReference": true,
	"tasking.DeclineReason": true, "tasking.DeclineReasonCode": true,
	"assessment.AssessedByName": true, "decision.DecidedByName": true, "decision.ActingNamedByName": true,
}

// cloneRequest copies r's maps and slices, so a change to the copy
// leaves r as it was.
func cloneRequest(r domain.Request) domain.Request {
	c := r
	c.Sectors = append([]string(nil), r.Sectors...)
	c.CivilianOptions = append([]domain.CivilianCheck(nil), r.CivilianOptions...)
	c.Checklist = make(map[string]domain.Answer, len(r.Checklist))
	for k, v := range r.Checklist {
		c.Checklist[k] = v
	}
	return c
}
