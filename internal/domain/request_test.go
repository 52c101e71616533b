package domain_test

import (
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// testOperation is a natural-disaster operation with the default 48-hour
// lead time.
var testOperation = domain.Operation{ID: testOp, Code: "NPL-EQ-2026", Name: "Nepal earthquake", CountryISO3: "NPL",
	Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48}

// fieldsOf returns the field errors of err, failing t unless err is a
// CodeInvalid *domain.Error.
func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	var e *domain.Error
	if !asError(err, &e) || e.Code != domain.CodeInvalid {
		t.Fatalf("err = %v, want a CodeInvalid *domain.Error", err)
	}
	return e.Fields
}

func TestValidateDraft(t *testing.T) {
	t.Parallel()
	if err := domain.ValidateDraft(complete()); err != nil {
		t.Fatalf("ValidateDraft(complete()) = %v", err)
	}
	// A draft may be nearly empty: only the title is required.
	if err := domain.ValidateDraft(domain.Request{Title: "Airlift"}); err != nil {
		t.Fatalf("ValidateDraft(title only) = %v", err)
	}
	long := func(n int) string { return strings.Repeat("é", n) } // 2 bytes, 1 character
	F := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		edit func(*domain.Request)
		want map[string]string // nil: valid
	}{
		// Title: required, at most 120 characters.
		{"TitleEmpty", func(r *domain.Request) { r.Title = "" }, F("title", "request.required.title")},
		{"TitleBlank", func(r *domain.Request) { r.Title = " \t " }, F("title", "request.required.title")},
		{"Title120Characters", func(r *domain.Request) { r.Title = long(120) }, nil},
		{"Title121Characters", func(r *domain.Request) { r.Title = long(121) }, F("title", "field.too_long")},
		{"TitleInvalidUTF8", func(r *domain.Request) { r.Title = "Airlift \xff" }, F("title", "field.invalid")},

		// Code lists.
		{"SectorUnknown", func(r *domain.Request) { r.Sectors = []string{"SHL", "XYZ"} }, F("sectors", "field.choose")},
		{"SectorLowerCase", func(r *domain.Request) { r.Sectors = []string{"shl"} }, F("sectors", "field.choose")},
		{"EverySector", func(r *domain.Request) { r.Sectors = slices.Clone(domain.Sectors) }, nil},
		{"NoSectors", func(r *domain.Request) { r.Sectors = nil }, nil},
		{"TaskCategory", func(r *domain.Request) { r.TaskCategory = "helicopter" }, F("task_category", "field.choose")},
		{"SupportType", func(r *domain.Request) { r.SupportType = "kinetic" }, F("support_type", "field.choose")},
		{"Priority", func(r *domain.Request) { r.Priority = "urgent" }, F("priority", "field.choose")},

		// Ranges.
		{"PeopleNegative", func(r *domain.Request) { r.PeopleTargeted = -1 }, F("people_targeted", "request.people_range")},
		{"PeopleAtMost", func(r *domain.Request) { r.PeopleTargeted = 100_000_000 }, nil},
		{"PeopleTooMany", func(r *domain.Request) { r.PeopleTargeted = 100_000_001 }, F("people_targeted", "request.people_range")},

		// Dates.
		{"EndBeforeStart", func(r *domain.Request) { r.StartDate, r.EndDate = day(10), day(8) }, F("end_date", "request.end_before_start")},
		{"EndOnStart", func(r *domain.Request) { r.StartDate, r.EndDate, r.ExitStrategy.Date = day(5), day(5), day(5) }, nil},
		{"HandoverBeforeStart", func(r *domain.Request) { r.ExitStrategy.Date = day(4) }, F("exit_strategy.date", "request.handover_before_start")},
		{"HandoverOnStart", func(r *domain.Request) { r.ExitStrategy.Date = day(5) }, nil},
		{"RequiredAfterEnd", func(r *domain.Request) { r.RequiredBy = day(13).Add(time.Hour) }, F("required_by", "request.required_after_end")},
		{"RequiredOnEndDay", func(r *domain.Request) { r.RequiredBy = day(12).Add(23 * time.Hour) }, nil},

		// Coordinates.
		{"LatitudeTooHigh", func(r *domain.Request) { r.Origin.Lat = ptr(90.0001) }, F("origin.lat", "request.latitude_range")},
		{"LatitudeTooLow", func(r *domain.Request) { r.Destination.Lat = ptr(-90.5) }, F("destination.lat", "request.latitude_range")},
		{"LatitudeBounds", func(r *domain.Request) { r.Origin.Lat, r.Destination.Lat = ptr(90.0), ptr(-90.0) }, nil},
		{"LatitudeNaN", func(r *domain.Request) { r.Origin.Lat = ptr(math.NaN()) }, F("origin.lat", "request.latitude_range")},
		{"LongitudeTooHigh", func(r *domain.Request) { r.Origin.Lon = ptr(180.5) }, F("origin.lon", "request.longitude_range")},
		{"LongitudeTooLow", func(r *domain.Request) { r.Destination.Lon = ptr(-181.0) }, F("destination.lon", "request.longitude_range")},
		{"LongitudeInf", func(r *domain.Request) { r.Destination.Lon = ptr(math.Inf(1)) }, F("destination.lon", "request.longitude_range")},
		{"LongitudeBounds", func(r *domain.Request) { r.Origin.Lon, r.Destination.Lon = ptr(180.0), ptr(-180.0) }, nil},
		{"BothOutOfRange", func(r *domain.Request) { r.Origin.Lat, r.Origin.Lon = ptr(91.0), ptr(181.0) },
			F("origin.lat", "request.latitude_range", "origin.lon", "request.longitude_range")},
		{"LatitudeWithoutLongitude", func(r *domain.Request) { r.Origin.Lon = nil }, F("origin.lon", "request.coordinates_pair")},
		{"LongitudeWithoutLatitude", func(r *domain.Request) { r.Destination.Lat = nil }, F("destination.lat", "request.coordinates_pair")},
		{"NoCoordinates", func(r *domain.Request) { r.Origin.Lat, r.Origin.Lon = nil, nil }, nil},

		// P-codes.
		{"PCodeLowerCase", func(r *domain.Request) { r.Origin.Adm1PCode, r.Origin.Adm2PCode = "np03", "" }, F("origin.adm1_pcode", "field.pcode")},
		{"PCodeTooShort", func(r *domain.Request) { r.Destination.Adm1PCode, r.Destination.Adm2PCode = "N", "" }, F("destination.adm1_pcode", "field.pcode")},
		{"PCodePunctuation", func(r *domain.Request) { r.Destination.Adm2PCode = "NP04-01" }, F("destination.adm2_pcode", "field.pcode")},
		{"PCodeTooLong", func(r *domain.Request) { r.Origin.Adm1PCode, r.Origin.Adm2PCode = "NP"+strings.Repeat("0", 18), "" }, F("origin.adm1_pcode", "field.pcode")},
		{"PCodeLongest", func(r *domain.Request) { r.Origin.Adm1PCode, r.Origin.Adm2PCode = "NPL"+strings.Repeat("0", 17), "" }, nil},
		{"Adm2NotUnderAdm1", func(r *domain.Request) { r.Destination.Adm2PCode = "NP0501" }, F("destination.adm2_pcode", "request.pcode_not_in_adm1")},
		{"Adm2WithoutAdm1", func(r *domain.Request) { r.Destination.Adm1PCode = "" }, nil},
		{"PlaceNameTooLong", func(r *domain.Request) { r.Destination.Name = long(201) }, F("destination.name", "field.too_long")},
		{"Adm1NameTooLong", func(r *domain.Request) { r.Origin.Adm1Name = long(201) }, F("origin.adm1_name", "field.too_long")},

		// Civilian options (LR2).
		{"CivilianOptionInvalid", func(r *domain.Request) { r.CivilianOptions[0].Option = "army" }, F("civilian_options.0.option", "field.choose")},
		{"CivilianOptionEmpty", func(r *domain.Request) { r.CivilianOptions[1].Option = "" }, F("civilian_options.1.option", "field.choose")},
		{"CivilianResultInvalid", func(r *domain.Request) { r.CivilianOptions[1].Result = "busy" }, F("civilian_options.1.result", "field.choose")},
		{"CivilianOptionTwice", func(r *domain.Request) { r.CivilianOptions[1].Option = r.CivilianOptions[0].Option },
			F("civilian_options.1.option", "request.civilian_option_twice")},
		{"CivilianNoteTooLong", func(r *domain.Request) { r.CivilianOptions[0].Note = long(2001) }, F("civilian_options.0.note", "field.too_long")},
		{"EveryCivilianOption", func(r *domain.Request) {
			r.CivilianOptions = nil
			for i, o := range domain.CivilianOptions {
				r.CivilianOptions = append(r.CivilianOptions, domain.CivilianCheck{Option: o, Result: domain.CivilianResults[i%len(domain.CivilianResults)]})
			}
		}, nil},
		{"MoreChecksThanOptions", func(r *domain.Request) {
			r.CivilianOptions = nil
			for _, o := range append(slices.Clone(domain.CivilianOptions), "unhas") {
				r.CivilianOptions = append(r.CivilianOptions, domain.CivilianCheck{Option: o, Result: "too_slow"})
			}
		}, F("civilian_options.7.option", "request.civilian_option_twice", "civilian_options", "request.civilian_option_twice")},

		// Point of contact.
		{"EmailNoAt", func(r *domain.Request) { r.POC.Email = "ana" }, F("poc.email", "field.email")},
		{"EmailWithName", func(r *domain.Request) { r.POC.Email = "Ana <ana@example.org>" }, F("poc.email", "field.email")},
		{"EmailSpace", func(r *domain.Request) { r.POC.Email = "ana gurung@example.org" }, F("poc.email", "field.email")},
		{"EmailTooLong", func(r *domain.Request) { r.POC.Email = strings.Repeat("a", 250) + "@x.org" }, F("poc.email", "field.too_long")},
		{"PhoneLetters", func(r *domain.Request) { r.POC.Phone = "call the office" }, F("poc.phone", "field.phone")},
		{"PhoneTooShort", func(r *domain.Request) { r.POC.Phone = "1234" }, F("poc.phone", "field.phone")},
		{"PhoneTooLong", func(r *domain.Request) { r.POC.Phone = "+" + strings.Repeat("1", 40) }, F("poc.phone", "field.too_long")},
		{"PhoneFormats", func(r *domain.Request) { r.POC.Phone = "+977 (1) 421-1111" }, nil},
		{"PhonePlusInside", func(r *domain.Request) { r.POC.Phone = "977+14211111" }, F("poc.phone", "field.phone")},
		{"POCNameTooLong", func(r *domain.Request) { r.POC.Name = long(201) }, F("poc.name", "field.too_long")},
		{"POCRoleTooLong", func(r *domain.Request) { r.POC.Role = long(201) }, F("poc.role", "field.too_long")},

		// Checklist answers.
		{"ChecklistUnknownItem", answer("LR99", "yes", ""), F("checklist", "checklist.unknown_item")},
		{"ChecklistBadYesNo", answer("LR2", "maybe", ""), F("checklist.LR2", "field.choose")},
		{"ChecklistYesNoNoUnknown", answer("LR8", "unknown", ""), F("checklist.LR8", "field.choose")},
		{"ChecklistUnknownAllowed", answer("LR13", "unknown", "Asked"), nil},
		{"ChecklistBadConsent", answer("LR11", "yes", ""), F("checklist.LR11", "field.choose")},
		{"ChecklistBadRisk", answer("LR14", "none", ""), F("checklist.LR14", "field.choose")},
		{"ChecklistFieldItemTakesNoValue", answer("LR1", "yes", ""), F("checklist.LR1", "field.choose")},
		{"ChecklistFieldItemNote", answer("LR10", "", "Justification of direct support"), nil},
		{"ChecklistNoteAtLimit", answer("LR4", "yes", long(2000)), nil},
		{"ChecklistNoteTooLong", answer("LR4", "yes", long(2001)), F("checklist.LR4.note", "field.too_long")},

		// Long texts.
		{"NeedTooLong", func(r *domain.Request) { r.Need = long(4001) }, F("need", "field.too_long")},
		{"NeedAtLimit", func(r *domain.Request) { r.Need = long(4000) }, nil},
		{"CapabilityTooLong", func(r *domain.Request) { r.Capability = long(4001) }, F("capability", "field.too_long")},
		{"TaskDescriptionTooLong", func(r *domain.Request) { r.TaskDescription = long(4001) }, F("task_description", "field.too_long")},
		{"UrgencyReasonTooLong", func(r *domain.Request) { r.UrgencyReason = long(2001) }, F("urgency_reason", "field.too_long")},
		{"ComplementarityTooLong", func(r *domain.Request) { r.Complementarity = long(4001) }, F("complementarity", "field.too_long")},
		{"HandoverOrganizationTooLong", func(r *domain.Request) { r.ExitStrategy.Organization = long(201) }, F("exit_strategy.organization", "field.too_long")},
		{"HandoverPlanTooLong", func(r *domain.Request) { r.ExitStrategy.Plan = long(4001) }, F("exit_strategy.plan", "field.too_long")},
		{"EscortNeedTooLong", func(r *domain.Request) { r.Escort.NeedCriticality = long(2001) }, F("escort.need_criticality", "field.too_long")},
		{"EscortAuthorityTooLong", func(r *domain.Request) { r.Escort.ResponsibleAuthority = long(2001) }, F("escort.responsible_authority", "field.too_long")},
		{"EscortAssessmentTooLong", func(r *domain.Request) { r.Escort.SecurityAssessment = long(201) }, F("escort.security_assessment", "field.too_long")},
		{"EscortPlanTooLong", func(r *domain.Request) { r.Escort.DiscontinuationPlan = long(2001) }, F("escort.discontinuation_plan", "field.too_long")},

		// Several problems are all reported.
		{"Several", func(r *domain.Request) {
			r.Title, r.Sectors, r.POC.Email, r.StartDate, r.EndDate = "", []string{"XX"}, "x", day(10), day(8)
		}, F("title", "request.required.title", "sectors", "field.choose", "poc.email", "field.email", "end_date", "request.end_before_start")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := complete()
			tt.edit(&r)
			err := domain.ValidateDraft(r)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("ValidateDraft = %v, want nil", err)
				}
				return
			}
			if got := fieldsOf(t, err); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Fields = %v, want %v", got, tt.want)
			}
			if domain.ErrorMessage(err) != "error.invalid" {
				t.Errorf("Message = %q, want error.invalid", domain.ErrorMessage(err))
			}
		})
	}
}

func TestNormalizeRequest(t *testing.T) {
	t.Parallel()
	kathmandu := time.FixedZone("NPT", 5*3600+45*60)
	r := domain.Request{
		Title:           "  Airlift shelter kits \n",
		Need:            "\tfamilies without shelter ",
		Capability:      " heavy lift ",
		TaskDescription: " six rotations ",
		UrgencyReason:   " monsoon ",
		Complementarity: " last leg ",
		Sectors:         []string{" shl", "LOG", "SHL", "", "  ", "log "},
		Origin:          domain.Location{Name: " Airport ", Adm1Name: " Bagmati ", Adm1PCode: " np03 ", Adm2Name: " Kathmandu ", Adm2PCode: "np0304 "},
		Destination:     domain.Location{Name: " Barpak", Adm1PCode: "np04", Adm2PCode: " np0401"},
		CivilianOptions: []domain.CivilianCheck{
			{Note: "   "},
			{Option: "unhas", Result: "too_slow", Note: " three weeks "},
			{},
			{Note: " a note alone is kept "},
		},
		ExitStrategy: domain.ExitStrategy{Organization: " WFP ", Plan: " trucks ", Date: time.Date(2026, 3, 12, 18, 30, 0, 0, time.UTC)},
		POC:          domain.Contact{Name: " Ana ", Role: " officer ", Phone: " +977 1 4211 111 ", Email: " ana@example.org "},
		Escort:       domain.Escort{NeedCriticality: " a ", ResponsibleAuthority: " b ", SecurityAssessment: " c ", DiscontinuationPlan: " d "},
		Checklist: map[string]domain.Answer{
			"LR2":  {Value: " yes ", Note: "  "},
			"LR3":  {Value: " ", Note: " "},
			"LR10": {Note: " direct, justified "},
		},
		// 01:00 on 5 March in Kathmandu is still 4 March in UTC: the
		// date is the one the requester gave.
		StartDate:  time.Date(2026, 3, 5, 1, 0, 0, 0, kathmandu),
		EndDate:    time.Date(2026, 3, 12, 23, 59, 59, 999, time.UTC),
		RequiredBy: time.Date(2026, 3, 5, 8, 30, 59, 900_000_000, kathmandu),
	}
	domain.NormalizeRequest(&r)
	want := domain.Request{
		Title:           "Airlift shelter kits",
		Need:            "families without shelter",
		Capability:      "heavy lift",
		TaskDescription: "six rotations",
		UrgencyReason:   "monsoon",
		Complementarity: "last leg",
		Sectors:         []string{"SHL", "LOG"},
		Origin:          domain.Location{Name: "Airport", Adm1Name: "Bagmati", Adm1PCode: "NP03", Adm2Name: "Kathmandu", Adm2PCode: "NP0304"},
		Destination:     domain.Location{Name: "Barpak", Adm1PCode: "NP04", Adm2PCode: "NP0401"},
		CivilianOptions: []domain.CivilianCheck{{Option: "unhas", Result: "too_slow", Note: "three weeks"}, {Note: "a note alone is kept"}},
		ExitStrategy:    domain.ExitStrategy{Organization: "WFP", Plan: "trucks", Date: day(12)},
		POC:             domain.Contact{Name: "Ana", Role: "officer", Phone: "+977 1 4211 111", Email: "ana@example.org"},
		Escort:          domain.Escort{NeedCriticality: "a", ResponsibleAuthority: "b", SecurityAssessment: "c", DiscontinuationPlan: "d"},
		Checklist: map[string]domain.Answer{
			"LR2":  {Value: "yes"},
			"LR10": {Note: "direct, justified"},
		},
		StartDate:  day(5),
		EndDate:    day(12),
		RequiredBy: time.Date(2026, 3, 5, 2, 45, 0, 0, time.UTC),
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("NormalizeRequest:\n got %+v\nwant %+v", r, want)
	}
	if r.RequiredBy.Location() != time.UTC || r.StartDate.Location() != time.UTC {
		t.Errorf("times not in UTC: %v, %v", r.RequiredBy, r.StartDate)
	}
	again := r
	again.Sectors = slices.Clone(r.Sectors)
	domain.NormalizeRequest(&again)
	if !reflect.DeepEqual(again, r) {
		t.Errorf("NormalizeRequest is not idempotent:\n got %+v\nwant %+v", again, r)
	}
	// Nothing to keep: no sectors, no checks, no answers.
	var empty domain.Request
	empty.Sectors = []string{" ", ""}
	empty.CivilianOptions = []domain.CivilianCheck{{Note: " "}}
	empty.Checklist = map[string]domain.Answer{"LR2": {Value: " "}}
	domain.NormalizeRequest(&empty)
	if len(empty.Sectors) != 0 || len(empty.CivilianOptions) != 0 || len(empty.Checklist) != 0 || !empty.StartDate.IsZero() || !empty.RequiredBy.IsZero() {
		t.Errorf("empty request normalized to %+v", empty)
	}
	// A normalized complete request is still complete and valid.
	c := complete()
	domain.NormalizeRequest(&c)
	if err := domain.ValidateDraft(c); err != nil {
		t.Errorf("ValidateDraft(normalized complete) = %v", err)
	}
	if !domain.Evaluate(c, domain.ContextComplexEmergency, true, domain.Recorded{}).Complete() {
		t.Error("normalized complete request no longer evaluates complete")
	}
}

func TestDateOf(t *testing.T) {
	t.Parallel()
	tz := time.FixedZone("X", -5*3600)
	tests := []struct {
		in   time.Time
		want time.Time
	}{
		{time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), day(5)},
		{time.Date(2026, 3, 5, 23, 59, 59, 999_999_999, time.UTC), day(5)},
		{time.Date(2026, 3, 5, 22, 0, 0, 0, tz), day(5)}, // 6 March 03:00 UTC
	}
	for _, tt := range tests {
		if got := domain.DateOf(tt.in); !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("DateOf(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestCheckSubmittable(t *testing.T) {
	t.Parallel()
	check := func(r domain.Request, op domain.Operation, now time.Time) error {
		return domain.CheckSubmittable(r, op, domain.Evaluate(r, op.Context, false, domain.Recorded{}), now)
	}
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		if err := check(complete(), testOperation, testNow); err != nil {
			t.Fatalf("CheckSubmittable(complete()) = %v", err)
		}
	})

	// Each required field, with the checklist items its absence fails.
	required := []struct {
		field string
		edit  func(*domain.Request)
		items []string
	}{
		{"title", func(r *domain.Request) { r.Title = "" }, nil},
		{"sectors", func(r *domain.Request) { r.Sectors = nil }, nil},
		{"need", func(r *domain.Request) { r.Need = "" }, []string{"LR1"}},
		{"task_category", func(r *domain.Request) { r.TaskCategory = "" }, nil},
		{"capability", func(r *domain.Request) { r.Capability = "" }, []string{"LR3"}},
		{"support_type", func(r *domain.Request) { r.SupportType = "" }, []string{"LR10"}},
		{"task_description", func(r *domain.Request) { r.TaskDescription = "" }, nil},
		{"destination.name", func(r *domain.Request) { r.Destination.Name = "" }, nil},
		{"required_by", func(r *domain.Request) { r.RequiredBy = time.Time{} }, []string{"LR4"}},
		{"start_date", func(r *domain.Request) { r.StartDate = time.Time{} }, []string{"LR6"}},
		{"end_date", func(r *domain.Request) { r.EndDate = time.Time{} }, []string{"LR6"}},
		{"priority", func(r *domain.Request) { r.Priority = "" }, nil},
		{"civilian_options", func(r *domain.Request) { r.CivilianOptions = nil }, []string{"LR2"}},
		{"complementarity", func(r *domain.Request) { r.Complementarity = "" }, []string{"LR5"}},
		{"exit_strategy.organization", func(r *domain.Request) { r.ExitStrategy.Organization = "" }, []string{"LR7"}},
		{"exit_strategy.date", func(r *domain.Request) { r.ExitStrategy.Date = time.Time{} }, []string{"LR7"}},
		{"exit_strategy.plan", func(r *domain.Request) { r.ExitStrategy.Plan = "" }, nil},
		{"poc.name", func(r *domain.Request) { r.POC.Name = "" }, nil},
		{"poc.phone", func(r *domain.Request) { r.POC.Phone = "" }, nil},
		{"poc.email", func(r *domain.Request) { r.POC.Email = "" }, nil},
	}
	for _, tt := range required {
		t.Run("ErrRequired/"+tt.field, func(t *testing.T) {
			t.Parallel()
			r := complete()
			tt.edit(&r)
			err := check(r, testOperation, testNow)
			if got, want := fieldsOf(t, err), map[string]string{tt.field: "request.required." + tt.field}; !reflect.DeepEqual(got, want) {
				t.Errorf("Fields = %v, want %v", got, want)
			}
			var e *domain.Error
			asError(err, &e)
			if e.Message != "request.not_submittable" {
				t.Errorf("Message = %q, want request.not_submittable", e.Message)
			}
			var ids []string
			for _, it := range e.Items {
				ids = append(ids, it.ID)
			}
			if !slices.Equal(ids, tt.items) {
				t.Errorf("Items = %v, want %v", ids, tt.items)
			}
		})
	}

	// Time rules: the operation's lead time is 48 hours.
	timing := []struct {
		name    string
		in      time.Duration // required-by minus now
		urgency string
		lead    int
		want    map[string]string // nil: submittable
	}{
		{"RequiredByPast", -time.Hour, "", 48, map[string]string{"required_by": "request.required_by_past"}},
		{"RequiredByNow", 0, "", 48, map[string]string{"required_by": "request.required_by_past"}},
		{"RequiredByPastWithUrgency", -time.Minute, "Flooding", 48, map[string]string{"required_by": "request.required_by_past"}},
		{"InsideLeadTime", 47*time.Hour + 59*time.Minute, "", 48, map[string]string{"urgency_reason": "request.urgency_reason_needed"}},
		{"OneMinute", time.Minute, "", 48, map[string]string{"urgency_reason": "request.urgency_reason_needed"}},
		{"InsideLeadTimeWithUrgency", 47*time.Hour + 59*time.Minute, "Monsoon starts on Friday", 48, nil},
		{"ExactlyLeadTime", 48 * time.Hour, "", 48, nil},
		{"BeyondLeadTime", 72 * time.Hour, "", 48, nil},
		{"NoLeadTime", time.Minute, "", 0, nil},
		{"LongLeadTime", 71 * time.Hour, "", 72, map[string]string{"urgency_reason": "request.urgency_reason_needed"}},
	}
	for _, tt := range timing {
		t.Run("Timing/"+tt.name, func(t *testing.T) {
			t.Parallel()
			r := complete()
			r.RequiredBy, r.UrgencyReason = testNow.Add(tt.in), tt.urgency
			op := testOperation
			op.LeadTimeHours = tt.lead
			err := check(r, op, testNow)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckSubmittable = %v, want nil", err)
				}
			} else if got := fieldsOf(t, err); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Fields = %v, want %v", got, tt.want)
			}
			wantNeeds := tt.in < time.Duration(tt.lead)*time.Hour
			if got := domain.NeedsUrgencyReason(r, op, testNow); got != wantNeeds {
				t.Errorf("NeedsUrgencyReason = %v, want %v", got, wantNeeds)
			}
		})
	}
	t.Run("NeedsUrgencyReasonWithoutRequiredBy", func(t *testing.T) {
		t.Parallel()
		r := complete()
		r.RequiredBy = time.Time{}
		if domain.NeedsUrgencyReason(r, testOperation, testNow) {
			t.Error("NeedsUrgencyReason = true without a required-by time")
		}
	})

	t.Run("ErrFailingItems", func(t *testing.T) {
		t.Parallel()
		r := complete()
		r.Checklist["LR2"] = domain.Answer{Value: "no"}
		r.Checklist["LR12"] = domain.Answer{Value: "unknown"}
		r.Checklist["LR14"] = domain.Answer{Value: "high", Note: "Seen as a party"} // justified: not failing
		delete(r.Checklist, "LR16")
		err := check(r, testOperation, testNow)
		if got := fieldsOf(t, err); len(got) != 0 {
			t.Errorf("Fields = %v, want none", got)
		}
		var e *domain.Error
		asError(err, &e)
		want := []domain.ItemProblem{
			{ID: "LR2", Status: "blocked", Reason: "checklist.reason.civilian_alternative"},
			{ID: "LR12", Status: "needs_justification", Reason: "checklist.reason.cost"},
			{ID: "LR16", Status: "missing", Reason: "checklist.reason.unanswered"},
		}
		if !reflect.DeepEqual(e.Items, want) {
			t.Errorf("Items = %+v, want %+v", e.Items, want)
		}
		if e.Message != "request.not_submittable" {
			t.Errorf("Message = %q", e.Message)
		}
	})
	t.Run("ErrContextGate", func(t *testing.T) {
		t.Parallel()
		r := complete()
		r.SupportType = domain.SupportDirect
		r.Checklist["LR10"] = domain.Answer{Note: "Only the army runs a field hospital here"}
		if err := check(r, testOperation, testNow); err != nil {
			t.Errorf("justified direct support in a natural disaster: %v", err)
		}
		op := testOperation
		op.Context = domain.ContextComplexEmergency
		var e *domain.Error
		if !asError(check(r, op, testNow), &e) || len(e.Items) != 1 || e.Items[0].ID != "LR10" || e.Items[0].Status != "blocked" {
			t.Errorf("direct support in a complex emergency: %+v", e)
		}
	})
	t.Run("ErrDraftRulesToo", func(t *testing.T) {
		t.Parallel()
		r := complete()
		r.POC.Email = "not an address"
		r.Need = ""
		err := check(r, testOperation, testNow)
		want := map[string]string{"poc.email": "field.email", "need": "request.required.need"}
		if got := fieldsOf(t, err); !reflect.DeepEqual(got, want) {
			t.Errorf("Fields = %v, want %v", got, want)
		}
	})
	t.Run("EmptyRequestNamesEverything", func(t *testing.T) {
		t.Parallel()
		err := domain.CheckSubmittable(domain.Request{}, testOperation, domain.Evaluate(domain.Request{}, domain.ContextMixed, false, domain.Recorded{}), testNow)
		got := fieldsOf(t, err)
		for _, tt := range required {
			if got[tt.field] != "request.required."+tt.field {
				t.Errorf("Fields[%s] = %q, want request.required.%s", tt.field, got[tt.field], tt.field)
			}
		}
		var e *domain.Error
		asError(err, &e)
		if want := len(domain.Checklist) - 1; len(e.Items) != want { // every item but LR17, which the officer fills
			t.Errorf("%d failing items, want %d", len(e.Items), want)
		}
	})
}

func TestFormatReference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		iso3 string
		n    int
		want string
	}{
		{"NPL", 42, "NPL-RFA-0042"},
		{"NPL", 1, "NPL-RFA-0001"},
		{"HTI", 9999, "HTI-RFA-9999"},
		{"PHL", 12345, "PHL-RFA-12345"},
	}
	for _, tt := range tests {
		if got := domain.FormatReference(tt.iso3, tt.n); got != tt.want {
			t.Errorf("FormatReference(%q, %d) = %q, want %q", tt.iso3, tt.n, got, tt.want)
		}
	}
}

func TestIsReference(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		iso3 string
		n    int
	}{{"NPL", 1}, {"HTI", 9999}, {"PHL", 12345}} {
		if ref := domain.FormatReference(tt.iso3, tt.n); !domain.IsReference(ref) {
			t.Errorf("IsReference(%q) = false, want true", ref)
		}
	}
	for _, s := range []string{"", "npl-RFA-0001", "NPL-RFA-001", "NP-RFA-0001", "NPL-RFA-00a1", "NPL-RFB-0001",
		"NPL-RFA-0001 ", "NPL-RFA-0001\x00", "ÉPL-RFA-0001", "NPL-RFA-"} {
		if domain.IsReference(s) {
			t.Errorf("IsReference(%q) = true, want false", s)
		}
	}
}

func TestComments(t *testing.T) {
	t.Parallel()
	if err := domain.ValidateComment("Is the landing zone cleared?"); err != nil {
		t.Errorf("ValidateComment = %v", err)
	}
	for body, want := range map[string]string{"": "field.required", " \n ": "field.required", strings.Repeat("é", 4001): "field.too_long"} {
		if got := fieldsOf(t, domain.ValidateComment(body)); got["body"] != want {
			t.Errorf("ValidateComment(%.10q) Fields = %v, want body %s", body, got, want)
		}
	}
	if err := domain.ValidateComment(strings.Repeat("é", 4000)); err != nil {
		t.Errorf("ValidateComment(4000 characters) = %v", err)
	}
	author := member(100, testOrgA, domain.RoleRequester)
	c := domain.Comment{ID: 1, RequestID: 42, AuthorID: author.UserID, Body: "x", CreatedAt: testNow}
	tests := []struct {
		name  string
		actor domain.Actor
		at    time.Time
		code  domain.Code
		msg   string
	}{
		{"OKAtOnce", author, testNow, "", ""},
		{"OKAtWindowEnd", author, testNow.Add(domain.CommentEditWindow), "", ""},
		{"ErrLocked", author, testNow.Add(domain.CommentEditWindow + time.Nanosecond), domain.CodeConflict, "comment.locked"},
		{"ErrNotAuthor", officer, testNow, domain.CodeForbidden, "comment.not_author"},
		{"ErrNotAuthorLate", officer, testNow.Add(time.Hour), domain.CodeForbidden, "comment.not_author"},
	}
	for _, tt := range tests {
		err := domain.CanEditComment(tt.actor, c, tt.at)
		if domain.ErrorCode(err) != tt.code || (err != nil && domain.ErrorMessage(err) != tt.msg) {
			t.Errorf("%s: CanEditComment = %v, want %q %q", tt.name, err, tt.code, tt.msg)
		}
	}
	if domain.CommentEditWindow != 15*time.Minute {
		t.Errorf("CommentEditWindow = %v", domain.CommentEditWindow)
	}
}

func TestRequestVocabularies(t *testing.T) {
	t.Parallel()
	// OCHA cluster codes: upper-case, each once (the list itself is the
	// domain's, not restated here).
	code := regexp.MustCompile(`^[A-Z]{2,3}(-[A-Z]{3})?$`)
	for i, s := range domain.Sectors {
		if !code.MatchString(s) || slices.Index(domain.Sectors, s) != i {
			t.Errorf("sector %q is not an OCHA cluster code listed once", s)
		}
	}
	if n := len(domain.TaskCategories); n == 0 || domain.TaskCategories[n-1] != "other" {
		t.Errorf("TaskCategories = %v, want the catch-all other last", domain.TaskCategories)
	}
	for i, p := range domain.Priorities {
		if p.Rank() != i {
			t.Errorf("%s.Rank() = %d, want %d", p, p.Rank(), i)
		}
	}
	if domain.PriorityLifesaving.Rank() >= domain.PriorityNormal.Rank() || domain.Priority("someday").Rank() != len(domain.Priorities) {
		t.Errorf("Rank order wrong")
	}
	if !(domain.Location{}).Empty() || (domain.Location{Lat: ptr(0.0)}).Empty() || (domain.Location{Adm2PCode: "NP01"}).Empty() {
		t.Error("Location.Empty wrong")
	}
}

func TestNormalizeFilter(t *testing.T) {
	t.Parallel()
	f := domain.RequestFilter{Query: "  barpak  ", Limit: 500}
	if err := domain.NormalizeFilter(&f); err != nil {
		t.Fatal(err)
	}
	if f.Query != "barpak" || f.Sort != domain.SortUpdated || f.Limit != 25 {
		t.Errorf("NormalizeFilter = %+v", f)
	}
	f = domain.RequestFilter{Limit: domain.MaxPageSize, Sort: domain.SortUrgency}
	if err := domain.NormalizeFilter(&f); err != nil || f.Limit != domain.MaxPageSize || f.Sort != domain.SortUrgency {
		t.Errorf("NormalizeFilter = %+v, %v", f, err)
	}
	bad := domain.RequestFilter{Statuses: []domain.Status{"draft", "lost"}, Sector: "shl", Priority: "asap", TaskCategory: "jet", Sort: "random", Query: strings.Repeat("q", 201)}
	want := map[string]string{"status": "field.choose", "sector": "field.choose", "priority": "field.choose",
		"task_category": "field.choose", "sort": "field.choose", "q": "field.too_long"}
	if got := fieldsOf(t, domain.NormalizeFilter(&bad)); !reflect.DeepEqual(got, want) {
		t.Errorf("Fields = %v, want %v", got, want)
	}
}

// TestRequiredFields_OnePassSpecific walks domain.RequiredFields: an
// empty request is refused once with every required field, each with its
// own message (request.required.<field>, never the generic
// field.required), and each field, alone missing from a complete request,
// is the only one named.
func TestRequiredFields_OnePassSpecific(t *testing.T) {
	t.Parallel()
	err := domain.CheckSubmittable(domain.Request{}, testOperation, domain.Evaluate(domain.Request{}, testOperation.Context, false, domain.Recorded{}), testNow)
	got := fieldsOf(t, err)
	for _, rf := range domain.RequiredFields {
		if got[rf.Field] != rf.Message() {
			t.Errorf("empty request: %s = %q, want %q", rf.Field, got[rf.Field], rf.Message())
		}
	}
	for field, key := range got {
		if key == "field.required" {
			t.Errorf("%s has the generic message field.required", field)
		}
	}
	for _, rf := range domain.RequiredFields {
		if !rf.Missing(domain.Request{}) {
			t.Errorf("%s is not missing from an empty request", rf.Field)
		}
		if rf.Missing(complete()) {
			t.Errorf("%s is missing from a complete request", rf.Field)
		}
	}
}

// TestNormalizeRequest_ListOrder: the same sectors and civilian options
// chosen in any order (the API's, the form's) normalise to one request,
// so an unchanged save from another face changes nothing (Diff empty).
func TestNormalizeRequest_ListOrder(t *testing.T) {
	forward := domain.Request{Title: "x", Sectors: slices.Clone(domain.Sectors)}
	for _, o := range domain.CivilianOptions {
		forward.CivilianOptions = append(forward.CivilianOptions, domain.CivilianCheck{Option: o, Result: "unavailable", Note: o})
	}
	backward := forward
	backward.Sectors = slices.Clone(forward.Sectors)
	slices.Reverse(backward.Sectors)
	backward.CivilianOptions = slices.Clone(forward.CivilianOptions)
	slices.Reverse(backward.CivilianOptions)
	domain.NormalizeRequest(&forward)
	domain.NormalizeRequest(&backward)
	if !slices.Equal(forward.Sectors, domain.Sectors) {
		t.Errorf("sectors in the list's order normalise to %v", forward.Sectors)
	}
	if d := domain.Diff(forward, backward); len(d) != 0 {
		t.Errorf("the same choices in reverse order differ: %v", d)
	}
}
