package domain_test

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// testNow is the fixed "now" of the domain tests.
var testNow = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// Fixture identities: one operation, the requesting organisation and
// another one.
const (
	testOp    = int64(1)
	testOrgA  = int64(10) // the requesting organisation
	testOrgB  = int64(20) // another requesting organisation
	testOrgOC = int64(30) // OCHA
)

func ptr[T any](v T) *T { return &v }

func mustReadTestFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// day returns the UTC midnight of 2026-03-d.
func day(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }

// complete returns a draft that is valid, submittable at testNow in an
// operation with a 48-hour lead time, and whose checklist evaluates all
// ok, with no reason, warning or flag, in every context and for a UN or
// non-UN requester.
func complete() domain.Request {
	r := domain.Request{
		ID:              42,
		OperationID:     testOp,
		Status:          domain.StatusDraft,
		Version:         1,
		Title:           "Airlift shelter kits to Barpak",
		RequestingOrgID: testOrgA,
		CreatedBy:       7,
		Sectors:         []string{"SHL", "LOG"},
		Need:            "2,400 families in Barpak lost their homes; roads are cut by landslides.",
		PeopleTargeted:  12000,
		TaskCategory:    "air_rotary",
		Capability:      "Heavy-lift helicopter able to sling-load 4 t into an unprepared landing zone.",
		SupportType:     domain.SupportIndirect,
		TaskDescription: "Six rotations a day Kathmandu–Barpak with shelter kits, for seven days.",
		Origin: domain.Location{Name: "Tribhuvan International Airport", Adm1Name: "Bagmati", Adm1PCode: "NP03",
			Adm2Name: "Kathmandu", Adm2PCode: "NP0304", Lat: ptr(27.6966), Lon: ptr(85.3591)},
		Destination: domain.Location{Name: "Barpak", Adm1Name: "Gandaki", Adm1PCode: "NP04",
			Adm2Name: "Gorkha", Adm2PCode: "NP0401", Lat: ptr(28.2081), Lon: ptr(84.7447)},
		RequiredBy: testNow.Add(72 * time.Hour),
		StartDate:  day(5),
		EndDate:    day(12),
		Priority:   domain.PriorityLifesaving,
		CivilianOptions: []domain.CivilianCheck{
			{Option: "logistics_cluster", Result: "not_available", Note: "No rotary-wing capacity before 20 March."},
			{Option: "unhas", Result: "insufficient", Note: "Mi-8 cannot lift the loads."},
		},
		Complementarity: "Only the last leg; the Logistics Cluster trucks the kits to Kathmandu.",
		ExitStrategy:    domain.ExitStrategy{Organization: "WFP Logistics Cluster", Date: day(12), Plan: "Trucks take over once the road reopens."},
		POC:             domain.Contact{Name: "Ana Gurung", Role: "Logistics officer", Phone: "+977 1 4211 111", Email: "ana.gurung@example.org"},
		Checklist: map[string]domain.Answer{
			"LR2":  {Value: "yes"},
			"LR3":  {Value: "yes"},
			"LR4":  {Value: "yes", Note: "Civilian helicopters arrive in three weeks; families are without shelter before the monsoon."},
			"LR5":  {Value: "yes"},
			"LR6":  {Value: "yes"},
			"LR7":  {Value: "yes"},
			"LR8":  {Value: "yes"},
			"LR9":  {Value: "yes"},
			"LR11": {Value: "consented", Note: "NEOC letter 2026/114"},
			"LR12": {Value: "yes"},
			"LR13": {Value: "yes"},
			"LR14": {Value: "low"},
			"LR15": {Value: "no"},
			"LR16": {Value: "yes"},
			"LR17": {Value: "yes"},
			"LR18": {Value: "no"},
			"LR19": {Value: "no"},
		},
		CreatedAt: testNow.Add(-time.Hour),
		UpdatedAt: testNow.Add(-time.Hour),
	}
	// Items added since: the answer that meets them.
	for _, it := range domain.Checklist {
		if _, ok := r.Checklist[it.ID]; !ok && it.Meets != "" {
			r.Checklist[it.ID] = domain.Answer{Value: it.Meets}
		}
	}
	return r
}

// answer sets the checklist answer of item id on r.
func answer(id, value, note string) func(*domain.Request) {
	return func(r *domain.Request) { r.Checklist[id] = domain.Answer{Value: value, Note: note} }
}

// unanswer removes the answer of item id.
func unanswer(id string) func(*domain.Request) {
	return func(r *domain.Request) { delete(r.Checklist, id) }
}

// both applies every edit in order.
func both(edits ...func(*domain.Request)) func(*domain.Request) {
	return func(r *domain.Request) {
		for _, e := range edits {
			e(r)
		}
	}
}

var (
	allContexts = domain.Contexts
	complexOnly = []domain.Context{domain.ContextComplexEmergency}
	notComplex  = []domain.Context{domain.ContextNaturalDisaster, domain.ContextMixed}
)

func TestChecklistData(t *testing.T) {
	t.Parallel()
	// The table is the source: this checks its shape (ids in order, a
	// known gate, a source), not a copy of its rows.
	gates := []domain.Gate{domain.GateHard, domain.GateJustify, domain.GateInfo}
	for i, c := range domain.Checklist {
		id := fmt.Sprintf("LR%d", i+1)
		if c.ID != id {
			t.Errorf("Checklist[%d].ID = %q, want %q", i, c.ID, id)
			continue
		}
		if !slices.Contains(gates, c.Gate) {
			t.Errorf("%s Gate = %q, not one of %v", id, c.Gate, gates)
		}
		if c.Source == "" {
			t.Errorf("%s has no Source", id)
		}
		if c.Question() != "checklist."+id+".question" || c.Help() != "checklist."+id+".help" {
			t.Errorf("%s Question, Help = %q, %q", id, c.Question(), c.Help())
		}
		if got, ok := domain.ChecklistItemByID(id); !ok || got.ID != id {
			t.Errorf("ChecklistItemByID(%q) = %v, %v", id, got.ID, ok)
		}
		if (c.Answer == domain.AnswerField) != (c.Field != "") {
			t.Errorf("%s: Answer %q with Field %q", id, c.Answer, c.Field)
		}
		if c.ByOfficer != (id == "LR17") {
			t.Errorf("%s ByOfficer = %v", id, c.ByOfficer)
		}
	}
	if _, ok := domain.ChecklistItemByID("LR99"); ok {
		t.Error("ChecklistItemByID(LR99) found an item")
	}
	fields := map[string]string{"LR1": "need", "LR10": "support_type"}
	for id, f := range fields {
		if c, _ := domain.ChecklistItemByID(id); c.Field != f {
			t.Errorf("%s Field = %q, want %q", id, c.Field, f)
		}
	}
	values := map[domain.AnswerType][]string{
		domain.AnswerField:        nil,
		domain.AnswerYesNo:        {"yes", "no"},
		domain.AnswerYesNoUnknown: {"yes", "no", "unknown"},
		domain.AnswerConsent:      {"requested", "consented", "pending", "refused", "not_applicable"},
		domain.AnswerRisk:         {"low", "medium", "high"},
	}
	for at, want := range values {
		if got := at.Values(); !slices.Equal(got, want) {
			t.Errorf("%s.Values() = %v, want %v", at, got, want)
		}
	}
}

func TestEvaluate_CompleteIsAllOK(t *testing.T) {
	t.Parallel()
	for _, ctx := range allContexts {
		for _, un := range []bool{false, true} {
			ev := domain.Evaluate(complete(), ctx, un, domain.Recorded{})
			if len(ev.Items) != len(domain.Checklist) {
				t.Fatalf("%s: %d items, want %d", ctx, len(ev.Items), len(domain.Checklist))
			}
			for i, it := range ev.Items {
				want := domain.ItemResult{ID: domain.Checklist[i].ID, Status: domain.ItemOK, Gate: domain.Checklist[i].Gate}
				if it != want {
					t.Errorf("%s un=%v: item %d = %+v, want %+v", ctx, un, i, it, want)
				}
			}
			if len(ev.Flags) != 0 {
				t.Errorf("%s un=%v: Flags = %v, want none", ctx, un, ev.Flags)
			}
			if !ev.Complete() || len(ev.Failing()) != 0 || ev.Count(domain.ItemOK) != len(domain.Checklist) {
				t.Errorf("%s un=%v: Complete, Failing, Count(ok) = %v, %v, %d", ctx, un, ev.Complete(), ev.Failing(), ev.Count(domain.ItemOK))
			}
		}
	}
}

// itemCase mutates one thing of complete() and says what item ID must
// become; every other item must stay ok with no reason, except those in
// also.
type itemCase struct {
	name     string
	contexts []domain.Context
	unEntity bool
	edit     func(*domain.Request)
	id       string
	want     domain.ItemResult // ID is filled in from id
	flags    []domain.Flag
	also     []string // other items the edit legitimately changes
}

func (c itemCase) run(t *testing.T) {
	t.Helper()
	contexts := c.contexts
	if contexts == nil {
		contexts = allContexts
	}
	for _, ctx := range contexts {
		t.Run(string(ctx), func(t *testing.T) {
			t.Parallel()
			r := complete()
			c.edit(&r)
			ev := domain.Evaluate(r, ctx, c.unEntity, domain.Recorded{})
			want := c.want
			want.ID = c.id
			if got := ev.Item(c.id); got != want {
				t.Errorf("Item(%s) = %+v, want %+v", c.id, got, want)
			}
			if !slices.Equal(ev.Flags, c.flags) {
				t.Errorf("Flags = %v, want %v", ev.Flags, c.flags)
			}
			for _, it := range ev.Items {
				if it.ID == c.id || slices.Contains(c.also, it.ID) {
					continue
				}
				if it.Status != domain.ItemOK || it.Reason != "" || it.Justified || it.Warning {
					t.Errorf("untouched item changed: %+v", it)
				}
			}
		})
	}
}

// Short constructors of expected results.
func okItem(g domain.Gate) domain.ItemResult {
	return domain.ItemResult{Status: domain.ItemOK, Gate: g}
}

func missingItem(g domain.Gate, reason string) domain.ItemResult {
	return domain.ItemResult{Status: domain.ItemMissing, Gate: g, Reason: "checklist.reason." + reason}
}

func blockedItem(reason string) domain.ItemResult {
	return domain.ItemResult{Status: domain.ItemBlocked, Gate: domain.GateHard, Reason: "checklist.reason." + reason}
}

func needsJustification(reason string) domain.ItemResult {
	return domain.ItemResult{Status: domain.ItemNeedsJustification, Gate: domain.GateJustify, Reason: "checklist.reason." + reason}
}

func justified(reason string) domain.ItemResult {
	return domain.ItemResult{Status: domain.ItemOK, Gate: domain.GateJustify, Reason: "checklist.reason." + reason, Justified: true, Warning: true}
}

func withWarning(r domain.ItemResult) domain.ItemResult { r.Warning = true; return r }

func withReason(r domain.ItemResult, reason string) domain.ItemResult {
	r.Reason = "checklist.reason." + reason
	return r
}

const (
	hard    = domain.GateHard
	justify = domain.GateJustify
	info    = domain.GateInfo
)

func TestEvaluate_Items(t *testing.T) {
	t.Parallel()
	fJust := []domain.Flag{domain.FlagJustified}
	escort := func(r *domain.Request) {
		r.Escort = domain.Escort{NeedCriticality: "Only route to 30,000 people", ResponsibleAuthority: "Police cannot cover the route",
			SecurityAssessment: "UNDSS SRA 2026-07", DiscontinuationPlan: "Stop once the ceasefire holds for two weeks",
			CommonPositionConsulted: true, Compensation: "none"}
	}
	paid := func(r *domain.Request) { r.Escort.Compensation = "fuel" }
	tests := []itemCase{
		// LR1: need (field); hard.
		{name: "LR1/Missing", edit: func(r *domain.Request) { r.Need = "" }, id: "LR1", want: missingItem(hard, "need_missing")},

		// LR2: no civilian alternative; hard.
		{name: "LR2/Unanswered", edit: unanswer("LR2"), id: "LR2", want: missingItem(hard, "unanswered")},
		{name: "LR2/NoBlocks", edit: answer("LR2", "no", ""), id: "LR2", want: blockedItem("civilian_alternative")},
		{name: "LR2/NoBlocksEvenWithNote", edit: answer("LR2", "no", "We could use UNHAS"), id: "LR2", want: blockedItem("civilian_alternative")},
		{name: "LR2/NoCivilianOption", edit: func(r *domain.Request) { r.CivilianOptions = nil }, id: "LR2", want: missingItem(hard, "no_civilian_option")},

		// LR3: unique capability; hard.
		{name: "LR3/Unanswered", edit: unanswer("LR3"), id: "LR3", want: missingItem(hard, "unanswered")},
		{name: "LR3/NoBlocks", edit: answer("LR3", "no", ""), id: "LR3", want: blockedItem("not_unique")},
		{name: "LR3/NoCapability", edit: func(r *domain.Request) { r.Capability = "" }, id: "LR3", want: missingItem(hard, "capability_missing")},

		// LR4: timeliness; hard.
		{name: "LR4/Unanswered", edit: unanswer("LR4"), id: "LR4", want: missingItem(hard, "unanswered")},
		{name: "LR4/NoBlocks", edit: answer("LR4", "no", "x"), id: "LR4", want: blockedItem("civilian_in_time")},
		{name: "LR4/NoRequiredBy", edit: func(r *domain.Request) { r.RequiredBy = time.Time{} }, id: "LR4", want: missingItem(hard, "required_by_missing")},
		{name: "LR4/NoWhyTooLate", edit: answer("LR4", "yes", ""), id: "LR4", want: missingItem(hard, "why_too_late")},

		// LR5: complementarity; justify.
		{name: "LR5/Unanswered", edit: unanswer("LR5"), id: "LR5", want: missingItem(justify, "unanswered")},
		{name: "LR5/NoNeedsJustification", edit: answer("LR5", "no", ""), id: "LR5", want: needsJustification("replaces_civilian")},
		{name: "LR5/NoJustified", edit: answer("LR5", "no", "The civilian fleet is grounded for a week."), id: "LR5", want: justified("replaces_civilian"), flags: fJust},
		{name: "LR5/NoComplementarity", edit: func(r *domain.Request) { r.Complementarity = "" }, id: "LR5", want: missingItem(justify, "complementarity_missing")},

		// LR6: limited in time and scale; hard.
		{name: "LR6/Unanswered", edit: unanswer("LR6"), id: "LR6", want: missingItem(hard, "unanswered")},
		{name: "LR6/NoBlocks", edit: answer("LR6", "no", ""), id: "LR6", want: blockedItem("not_limited")},
		{name: "LR6/NoStart", edit: func(r *domain.Request) { r.StartDate = time.Time{} }, id: "LR6", want: missingItem(hard, "dates_missing")},
		{name: "LR6/NoEnd", edit: func(r *domain.Request) { r.EndDate = time.Time{} }, id: "LR6", want: missingItem(hard, "dates_missing")},

		// LR7: exit strategy; hard.
		{name: "LR7/Unanswered", edit: unanswer("LR7"), id: "LR7", want: missingItem(hard, "unanswered")},
		{name: "LR7/NoBlocks", edit: answer("LR7", "no", ""), id: "LR7", want: blockedItem("no_exit")},
		{name: "LR7/NoOrganization", edit: func(r *domain.Request) { r.ExitStrategy.Organization = "" }, id: "LR7", want: missingItem(hard, "exit_missing")},
		{name: "LR7/NoDate", edit: func(r *domain.Request) { r.ExitStrategy.Date = time.Time{} }, id: "LR7", want: missingItem(hard, "exit_missing")},

		// LR8: humanitarian request; hard.
		{name: "LR8/Unanswered", edit: unanswer("LR8"), id: "LR8", want: missingItem(hard, "unanswered")},
		{name: "LR8/NoBlocks", edit: answer("LR8", "no", ""), id: "LR8", want: blockedItem("not_humanitarian")},

		// LR9: humanitarian control; hard.
		{name: "LR9/Unanswered", edit: unanswer("LR9"), id: "LR9", want: missingItem(hard, "unanswered")},
		{name: "LR9/NoBlocks", edit: answer("LR9", "no", ""), id: "LR9", want: blockedItem("not_civilian_control")},

		// LR10: support type (field); direct is hard in complex emergencies, justify elsewhere.
		{name: "LR10/Missing", edit: func(r *domain.Request) { r.SupportType = "" }, id: "LR10", want: missingItem(justify, "support_type_missing")},
		{name: "LR10/Infrastructure", edit: func(r *domain.Request) { r.SupportType = domain.SupportInfrastructure }, id: "LR10", want: okItem(justify)},
		{name: "LR10/DirectBlocksInComplex", contexts: complexOnly, edit: func(r *domain.Request) { r.SupportType = domain.SupportDirect },
			id: "LR10", want: withWarning(blockedItem("direct_in_complex")), flags: []domain.Flag{domain.FlagDirectSupport}},
		{name: "LR10/DirectBlocksInComplexEvenJustified", contexts: complexOnly,
			edit: both(func(r *domain.Request) { r.SupportType = domain.SupportDirect }, answer("LR10", "", "Only the army has a field hospital")),
			id:   "LR10", want: withWarning(blockedItem("direct_in_complex")), flags: []domain.Flag{domain.FlagDirectSupport}},
		{name: "LR10/DirectNeedsJustification", contexts: notComplex, edit: func(r *domain.Request) { r.SupportType = domain.SupportDirect },
			id: "LR10", want: withWarning(needsJustification("direct_support")), flags: []domain.Flag{domain.FlagDirectSupport}},
		{name: "LR10/DirectJustified", contexts: notComplex,
			edit: both(func(r *domain.Request) { r.SupportType = domain.SupportDirect }, answer("LR10", "", "Only the army has a field hospital")),
			id:   "LR10", want: justified("direct_support"), flags: []domain.Flag{domain.FlagDirectSupport, domain.FlagJustified}},

		// LR11: consent of the affected State; refused blocks, pending is a warning.
		{name: "LR11/Unanswered", edit: unanswer("LR11"), id: "LR11", want: missingItem(hard, "unanswered")},
		{name: "LR11/RefusedBlocks", edit: answer("LR11", "refused", ""), id: "LR11", want: blockedItem("consent_refused")},
		{name: "LR11/PendingWarns", edit: answer("LR11", "pending", ""), id: "LR11",
			want: withWarning(withReason(okItem(hard), "consent_pending")), flags: []domain.Flag{domain.FlagNoConsent}},
		{name: "LR11/Requested", edit: answer("LR11", "requested", "NDMA request 12"), id: "LR11", want: okItem(hard)},
		{name: "LR11/NotApplicable", edit: answer("LR11", "not_applicable", ""), id: "LR11", want: okItem(hard)},

		// LR12: no cost; justify.
		{name: "LR12/Unanswered", edit: unanswer("LR12"), id: "LR12", want: missingItem(justify, "unanswered")},
		{name: "LR12/NoNeedsJustification", edit: answer("LR12", "no", ""), id: "LR12", want: needsJustification("cost")},
		{name: "LR12/UnknownNeedsJustification", edit: answer("LR12", "unknown", ""), id: "LR12", want: needsJustification("cost")},
		{name: "LR12/NoJustified", edit: answer("LR12", "no", "Fuel paid by WFP under the agreement of 3 March."), id: "LR12", want: justified("cost"), flags: fJust},

		// LR13: unarmed, in uniform; justify, hard "no" in complex emergencies unless LR19.
		{name: "LR13/Unanswered", edit: unanswer("LR13"), id: "LR13", want: missingItem(justify, "unanswered")},
		{name: "LR13/NoBlocksInComplex", contexts: complexOnly, edit: answer("LR13", "no", "They will carry sidearms"), id: "LR13", want: blockedItem("armed_in_complex")},
		{name: "LR13/NoNeedsJustification", contexts: notComplex, edit: answer("LR13", "no", ""), id: "LR13", want: needsJustification("armed_or_unknown")},
		{name: "LR13/NoJustified", contexts: notComplex, edit: answer("LR13", "no", "Sidearms for crew only"), id: "LR13", want: justified("armed_or_unknown"), flags: fJust},
		{name: "LR13/UnknownNeedsJustification", edit: answer("LR13", "unknown", ""), id: "LR13", want: needsJustification("armed_or_unknown")},
		{name: "LR13/UnknownJustified", edit: answer("LR13", "unknown", "Asked the MNCC, no answer yet"), id: "LR13", want: justified("armed_or_unknown"), flags: fJust},
		{name: "LR13/NoWithEscortInComplexNeedsJustification", contexts: complexOnly,
			edit: both(answer("LR13", "no", ""), answer("LR19", "yes", ""), escort), id: "LR13",
			want: needsJustification("armed_or_unknown"), flags: []domain.Flag{domain.FlagArmedEscort}, also: []string{"LR19"}},
		{name: "LR13/NoWithEscortInComplexJustified", contexts: complexOnly,
			edit: both(answer("LR13", "no", "An armed escort is the request"), answer("LR19", "yes", ""), escort), id: "LR13",
			want: justified("armed_or_unknown"), flags: []domain.Flag{domain.FlagArmedEscort, domain.FlagJustified}, also: []string{"LR19"}},

		// LR14: risk to principles; high needs a justification and always warns.
		{name: "LR14/Unanswered", edit: unanswer("LR14"), id: "LR14", want: missingItem(justify, "unanswered")},
		{name: "LR14/Medium", edit: answer("LR14", "medium", ""), id: "LR14", want: okItem(justify)},
		{name: "LR14/HighNeedsJustification", edit: answer("LR14", "high", ""), id: "LR14",
			want: withWarning(needsJustification("high_risk")), flags: []domain.Flag{domain.FlagHighRisk}},
		{name: "LR14/HighJustified", edit: answer("LR14", "high", "Local armed groups see the force as a party"), id: "LR14",
			want: justified("high_risk"), flags: []domain.Flag{domain.FlagHighRisk, domain.FlagJustified}},

		// LR15: party to a conflict; yes is hard in complex emergencies, justify elsewhere.
		{name: "LR15/Unanswered", edit: unanswer("LR15"), id: "LR15", want: missingItem(justify, "unanswered")},
		{name: "LR15/YesBlocksInComplex", contexts: complexOnly, edit: answer("LR15", "yes", "Border clashes"), id: "LR15", want: blockedItem("party_in_complex")},
		{name: "LR15/YesNeedsJustification", contexts: notComplex, edit: answer("LR15", "yes", ""), id: "LR15", want: needsJustification("party_to_conflict")},
		{name: "LR15/YesJustified", contexts: notComplex, edit: answer("LR15", "yes", "Clashes 400 km away"), id: "LR15", want: justified("party_to_conflict"), flags: fJust},
		{name: "LR15/UnknownNeedsJustification", edit: answer("LR15", "unknown", ""), id: "LR15", want: needsJustification("party_to_conflict")},
		{name: "LR15/UnknownJustified", edit: answer("LR15", "unknown", "Checking with the MNCC"), id: "LR15", want: justified("party_to_conflict"), flags: fJust},

		// LR16: multilateral character; info.
		{name: "LR16/Unanswered", edit: unanswer("LR16"), id: "LR16", want: missingItem(info, "unanswered")},
		{name: "LR16/NoIsInformation", edit: answer("LR16", "no", ""), id: "LR16", want: okItem(info)},

		// LR17: briefed on codes of conduct; the officer fills it, never stops the requester.
		{name: "LR17/UnansweredOfficerFills", edit: unanswer("LR17"), id: "LR17", want: withReason(okItem(info), "officer_fills")},
		{name: "LR17/NoIsInformation", edit: answer("LR17", "no", ""), id: "LR17", want: okItem(info)},

		// LR18: UN support to the force; the HRDDP flag only for a UN-entity requester.
		{name: "LR18/Unanswered", edit: unanswer("LR18"), id: "LR18", want: missingItem(info, "unanswered")},
		{name: "LR18/YesWithoutDetail", edit: answer("LR18", "yes", ""), id: "LR18", want: missingItem(info, "support_given_missing")},
		{name: "LR18/YesWithoutDetailUN", unEntity: true, edit: answer("LR18", "yes", ""), id: "LR18", want: missingItem(info, "support_given_missing")},
		{name: "LR18/YesUNEntityNeedsHRDDP", unEntity: true, edit: answer("LR18", "yes", "Fuel for the helicopters"), id: "LR18",
			want: withWarning(withReason(okItem(info), "hrddp_required")), flags: []domain.Flag{domain.FlagHRDDP}},
		{name: "LR18/YesNonUNNoHRDDP", edit: answer("LR18", "yes", "Fuel for the helicopters"), id: "LR18", want: okItem(info)},
		// An armed escort paid or supplied by a UN entity counts as a yes to LR18.
		{name: "LR18/EscortCompensatedByUNNeedsHRDDP", unEntity: true, edit: both(answer("LR19", "yes", ""), escort, paid), id: "LR18",
			want: withWarning(withReason(okItem(info), "hrddp_escort")), flags: []domain.Flag{domain.FlagHRDDP, domain.FlagArmedEscort}, also: []string{"LR19"}},
		{name: "LR18/EscortCompensatedByNGONoHRDDP", edit: both(answer("LR19", "yes", ""), escort, paid), id: "LR18",
			want: okItem(info), flags: []domain.Flag{domain.FlagArmedEscort}, also: []string{"LR19"}},
		{name: "LR18/EscortUnpaidByUNNoHRDDP", unEntity: true, edit: both(answer("LR19", "yes", ""), escort), id: "LR18",
			want: okItem(info), flags: []domain.Flag{domain.FlagArmedEscort}, also: []string{"LR19"}},

		// LR19: armed escort; the escort criteria are required.
		{name: "LR19/Unanswered", edit: unanswer("LR19"), id: "LR19", want: missingItem(info, "unanswered")},
		{name: "LR19/YesWithCriteria", edit: both(answer("LR19", "yes", ""), escort), id: "LR19",
			want: withWarning(okItem(info)), flags: []domain.Flag{domain.FlagArmedEscort}},
		{name: "LR19/YesNoCriteria", edit: answer("LR19", "yes", ""), id: "LR19",
			want: withWarning(missingItem(info, "escort_criteria_missing")), flags: []domain.Flag{domain.FlagArmedEscort}},
		{name: "LR19/YesNoNeed", edit: both(answer("LR19", "yes", ""), escort, func(r *domain.Request) { r.Escort.NeedCriticality = "" }), id: "LR19",
			want: withWarning(missingItem(info, "escort_criteria_missing")), flags: []domain.Flag{domain.FlagArmedEscort}},
		{name: "LR19/YesNoAuthority", edit: both(answer("LR19", "yes", ""), escort, func(r *domain.Request) { r.Escort.ResponsibleAuthority = "" }), id: "LR19",
			want: withWarning(missingItem(info, "escort_criteria_missing")), flags: []domain.Flag{domain.FlagArmedEscort}},
		{name: "LR19/YesNoAssessment", edit: both(answer("LR19", "yes", ""), escort, func(r *domain.Request) { r.Escort.SecurityAssessment = "" }), id: "LR19",
			want: withWarning(missingItem(info, "escort_criteria_missing")), flags: []domain.Flag{domain.FlagArmedEscort}},
		{name: "LR19/YesNoCompensationAnswer", edit: both(answer("LR19", "yes", ""), escort, func(r *domain.Request) { r.Escort.Compensation = "" }), id: "LR19",
			want: withWarning(missingItem(info, "escort_criteria_missing")), flags: []domain.Flag{domain.FlagArmedEscort}},
		{name: "LR19/YesCommonPositionNotConsulted", edit: both(answer("LR19", "yes", ""), escort, func(r *domain.Request) { r.Escort.CommonPositionConsulted = false }), id: "LR19",
			want: withWarning(missingItem(info, "escort_common_position")), flags: []domain.Flag{domain.FlagArmedEscort}},
		{name: "LR19/YesNoDiscontinuation", edit: both(answer("LR19", "yes", ""), escort, func(r *domain.Request) { r.Escort.DiscontinuationPlan = "" }), id: "LR19",
			want: withWarning(missingItem(info, "escort_criteria_missing")), flags: []domain.Flag{domain.FlagArmedEscort}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t)
		})
	}
}

// TestEvaluate_EveryItemCovered keeps TestEvaluate_Items honest: every
// item must have at least one non-ok case there.
func TestEvaluate_EveryItemCovered(t *testing.T) {
	t.Parallel()
	src := mustReadTestFile(t, "checklist_test.go")
	for _, c := range domain.Checklist {
		if !strings.Contains(src, `name: "`+c.ID+`/`) {
			t.Errorf("no TestEvaluate_Items case for %s", c.ID)
		}
	}
}

func TestEvaluate_FlagsOrderAndCombination(t *testing.T) {
	t.Parallel()
	r := complete()
	r.SupportType = domain.SupportDirect
	r.Checklist["LR10"] = domain.Answer{Note: "Field hospital"}
	r.Checklist["LR11"] = domain.Answer{Value: "pending"}
	r.Checklist["LR14"] = domain.Answer{Value: "high", Note: "Perception risk"}
	r.Checklist["LR18"] = domain.Answer{Value: "yes", Note: "Fuel"}
	r.Checklist["LR19"] = domain.Answer{Value: "yes"}
	ev := domain.Evaluate(r, domain.ContextNaturalDisaster, true, domain.Recorded{})
	// Flags come in the order of domain.Flags, whatever the item order.
	want := []domain.Flag{domain.FlagHRDDP, domain.FlagArmedEscort, domain.FlagHighRisk, domain.FlagDirectSupport, domain.FlagJustified, domain.FlagNoConsent}
	if !slices.Equal(ev.Flags, want) {
		t.Fatalf("Flags = %v, want %v", ev.Flags, want)
	}
	if all := slices.DeleteFunc(slices.Clone(domain.Flags), func(f domain.Flag) bool { return f == domain.FlagHRDDPAssessed }); !slices.Equal(all, want) {
		t.Fatalf("domain.Flags = %v, want %v and hrddp_assessed", domain.Flags, want)
	}
	for _, f := range want {
		if !ev.Has(f) {
			t.Errorf("Has(%s) = false", f)
		}
	}
	if domain.Evaluate(complete(), domain.ContextMixed, true, domain.Recorded{}).Has(domain.FlagHRDDP) {
		t.Error("complete request has the hrddp flag")
	}
	// LR19 lacks the escort criteria: the only failing item.
	if got := ev.Failing(); len(got) != 1 || got[0].ID != "LR19" {
		t.Errorf("Failing = %+v, want only LR19", got)
	}
}

func TestEvaluation_Helpers(t *testing.T) {
	t.Parallel()
	r := complete()
	r.Need = ""                                                   // LR1 missing
	r.Checklist["LR2"] = domain.Answer{Value: "no"}               // LR2 blocked
	r.Checklist["LR12"] = domain.Answer{Value: "unknown"}         // LR12 needs justification
	r.Checklist["LR14"] = domain.Answer{Value: "high", Note: "x"} // LR14 justified: ok
	delete(r.Checklist, "LR16")                                   // LR16 missing
	delete(r.Checklist, "LR17")                                   // LR17 ok (officer fills)
	ev := domain.Evaluate(r, domain.ContextComplexEmergency, false, domain.Recorded{})
	if ev.Complete() {
		t.Error("Complete = true, want false")
	}
	var ids []string
	for _, it := range ev.Failing() {
		ids = append(ids, it.ID)
	}
	if want := []string{"LR1", "LR2", "LR12", "LR16"}; !slices.Equal(ids, want) {
		t.Errorf("Failing = %v, want %v (checklist order)", ids, want)
	}
	counts := map[domain.ItemStatus]int{domain.ItemOK: len(domain.Checklist) - 4, domain.ItemMissing: 2, domain.ItemBlocked: 1, domain.ItemNeedsJustification: 1}
	for s, n := range counts {
		if got := ev.Count(s); got != n {
			t.Errorf("Count(%s) = %d, want %d", s, got, n)
		}
	}
	if got := ev.Item("LR99"); got.Status != domain.ItemMissing || got.ID != "LR99" {
		t.Errorf("Item(LR99) = %+v, want a missing item", got)
	}
	if got := ev.Item("LR14"); !got.Justified || got.Status != domain.ItemOK {
		t.Errorf("Item(LR14) = %+v, want justified ok", got)
	}
	if !ev.Has(domain.FlagJustified) || ev.Has(domain.FlagHRDDP) {
		t.Errorf("Flags = %v", ev.Flags)
	}
	var zero domain.Evaluation
	if !zero.Complete() || zero.Count(domain.ItemOK) != 0 || zero.Failing() != nil {
		t.Errorf("zero Evaluation: Complete %v, Count %d, Failing %v", zero.Complete(), zero.Count(domain.ItemOK), zero.Failing())
	}
}

// TestEvaluate_Pure checks that Evaluate neither changes its input nor
// depends on anything but its arguments.
func TestEvaluate_Pure(t *testing.T) {
	t.Parallel()
	r := complete()
	r.Checklist["LR14"] = domain.Answer{Value: "high"}
	before := complete()
	before.Checklist["LR14"] = domain.Answer{Value: "high"}
	a := domain.Evaluate(r, domain.ContextMixed, true, domain.Recorded{})
	b := domain.Evaluate(r, domain.ContextMixed, true, domain.Recorded{})
	if !reflect.DeepEqual(a, b) {
		t.Errorf("two evaluations differ: %+v, %+v", a, b)
	}
	if !reflect.DeepEqual(r, before) {
		t.Error("Evaluate changed its request")
	}
}

// TestItemResult_State: a justified failure reads justified, never met;
// an item the officer answers reads awaiting the officer until answered
// (walked over every item, context and answer of the checklist).
func TestItemResult_State(t *testing.T) {
	t.Parallel()
	for _, ctx := range domain.Contexts {
		for _, item := range domain.Checklist {
			for _, v := range append(item.Answer.Values(), "") {
				for _, note := range []string{"", "Because."} {
					r := complete()
					r.Checklist[item.ID] = domain.Answer{Value: v, Note: note}
					res := domain.Evaluate(r, ctx, false, domain.Recorded{}).Item(item.ID)
					st := res.State()
					switch {
					case res.Justified && st != domain.StateJustified:
						t.Errorf("%s=%q %q in %s: justified, state %s", item.ID, v, note, ctx, st)
					case st == domain.StateMet && (res.Status != domain.ItemOK || res.Justified):
						t.Errorf("%s=%q in %s: state met for %+v", item.ID, v, ctx, res)
					case item.ByOfficer && v == "" && st != domain.StateAwaitingOfficer:
						t.Errorf("%s unanswered in %s: state %s, want awaiting_officer", item.ID, ctx, st)
					case !slices.Contains(domain.ItemStates, st):
						t.Errorf("%s: state %q is not listed", item.ID, st)
					}
				}
			}
		}
	}
}

// TestEvaluate_WarningsAreCurrent walks every flag the checklist raises:
// each is raised by its answer; a flag a recorded fact settles
// (domain.Settles) is gone once the fact is recorded, and so is the
// reason its items gave; a flag of the request's own answers stays
// whatever is recorded, and goes when the answer changes.
func TestEvaluate_WarningsAreCurrent(t *testing.T) {
	t.Parallel()
	// raise sets the answers that raise each flag on a complete request.
	raise := map[domain.Flag]func(r *domain.Request){
		domain.FlagHRDDP:         func(r *domain.Request) { r.Checklist["LR18"] = domain.Answer{Value: "yes", Note: "Fuel"} },
		domain.FlagHRDDPAssessed: func(r *domain.Request) { r.Checklist["LR18"] = domain.Answer{Value: "yes", Note: "Fuel"} },
		domain.FlagArmedEscort:   func(r *domain.Request) { r.Checklist["LR19"] = domain.Answer{Value: "yes"} },
		domain.FlagHighRisk:      func(r *domain.Request) { r.Checklist["LR14"] = domain.Answer{Value: "high", Note: "Perception"} },
		domain.FlagDirectSupport: func(r *domain.Request) {
			r.SupportType, r.Checklist["LR10"] = domain.SupportDirect, domain.Answer{Note: "Field hospital"}
		},
		domain.FlagJustified: func(r *domain.Request) { r.Checklist["LR12"] = domain.Answer{Value: "unknown", Note: "Cost unknown"} },
		domain.FlagNoConsent: func(r *domain.Request) { r.Checklist["LR11"] = domain.Answer{Value: "pending"} },
	}
	// recorded is every way a fact can be recorded, with whether the
	// settled flag should still stand under it.
	type record struct {
		name  string
		rec   domain.Recorded
		still bool
	}
	records := map[domain.Fact][]record{
		domain.FactAssessment: {{name: "assessed", rec: domain.Recorded{Assessed: true}}},
	}
	for _, s := range domain.ConsentStatuses {
		// Only a consent recorded as pending leaves it pending.
		records[domain.FactConsent] = append(records[domain.FactConsent],
			record{name: "consent " + s, rec: domain.Recorded{Consent: &domain.Consent{Status: s}}, still: s == "pending"})
	}
	everything := domain.Recorded{Consent: &domain.Consent{Status: "consented"}, Assessed: true}
	for _, flag := range domain.Flags {
		set, ok := raise[flag]
		if !ok {
			t.Errorf("flag %s: no answer raises it in this test", flag)
			continue
		}
		r := complete()
		set(&r)
		before := domain.Evaluate(r, domain.ContextMixed, true, domain.Recorded{})
		fact, settled := domain.Settles[flag]
		if flag == domain.FlagHRDDPAssessed {
			// Raised by the record itself, in place of FlagHRDDP.
			if before.Has(flag) {
				t.Errorf("%s raised before the assessment", flag)
			}
			if after := domain.Evaluate(r, domain.ContextMixed, true, domain.Recorded{Assessed: true}); !after.Has(flag) || !domain.HRDDPRequired(after) {
				t.Errorf("%s: not raised once assessed (flags %v)", flag, after.Flags)
			}
			continue
		}
		if !before.Has(flag) {
			t.Errorf("%s: not raised by its answer (flags %v)", flag, before.Flags)
			continue
		}
		if !settled {
			if after := domain.Evaluate(r, domain.ContextMixed, true, everything); !after.Has(flag) {
				t.Errorf("%s: a record cleared a flag of the request's own answers", flag)
			}
			if domain.Evaluate(complete(), domain.ContextMixed, true, domain.Recorded{}).Has(flag) {
				t.Errorf("%s: still raised once the answer changed", flag)
			}
			continue
		}
		if len(records[fact]) == 0 {
			t.Errorf("%s: settled by fact %b that this test cannot record", flag, fact)
		}
		for _, c := range records[fact] {
			after := domain.Evaluate(r, domain.ContextMixed, true, c.rec)
			if after.Has(flag) != c.still {
				t.Errorf("%s after %s: raised = %v, want %v", flag, c.name, after.Has(flag), c.still)
			}
			if c.still {
				continue
			}
			for _, it := range before.Items {
				if it.Warning && it.Reason != "" && after.Item(it.ID).Reason == it.Reason {
					t.Errorf("%s after %s: %s still says %s", flag, c.name, it.ID, it.Reason)
				}
			}
		}
	}
}

// TestEvaluate_RecordedAnswerShown: once the officer records a consent,
// LR11 is judged on it, and the result says which answer that was, for
// every status the officer may record; before, the request's own stands.
func TestEvaluate_RecordedAnswerShown(t *testing.T) {
	r := complete()
	r.Checklist["LR11"] = domain.Answer{Value: "consented"}
	if got := domain.Evaluate(r, domain.ContextNaturalDisaster, false, domain.Recorded{}).Item("LR11").Recorded; got != "" {
		t.Errorf("nothing recorded, yet LR11 says %q was", got)
	}
	for _, s := range domain.ConsentStatuses {
		ev := domain.Evaluate(r, domain.ContextNaturalDisaster, false, domain.Recorded{Consent: &domain.Consent{Status: s}})
		if got := ev.Item("LR11").Recorded; got != s {
			t.Errorf("consent %s recorded: LR11 says %q", s, got)
		}
	}
}
