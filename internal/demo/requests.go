package demo

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// demoRequest is one demo request and what happens to it after creation.
type demoRequest struct {
	op, by string // operation code, requester's e-mail
	req    domain.Request
	// steps after creation, in order: "submit", "return", "redirect",
	// "withdraw", "comment".
	steps []step
}

type step struct {
	action    string // submit, return, redirect, withdraw, comment, attach, open, vote, close, approve, reject
	by        string // e-mail of who takes it
	text      string // reason, comment, rationale, or a vote's comment
	reference string // redirect: the civilian service's reference; vote: the value; attach: kind/visibility
}

func ptr(f float64) *float64 { return &f }

func yes(note string) domain.Answer { return domain.Answer{Value: "yes", Note: note} }

// baseRequest returns a request whose every field is filled and every
// checklist item is met, required days after now; each demo request
// changes what makes it its own.
func baseRequest(title string, now time.Time, days int) domain.Request {
	day := domain.DateOf(now)
	r := domain.Request{
		Title:          title,
		PeopleTargeted: 5000,
		SupportType:    domain.SupportIndirect,
		RequiredBy:     now.Add(time.Duration(days) * 24 * time.Hour).UTC().Truncate(time.Hour),
		StartDate:      day.AddDate(0, 0, days),
		EndDate:        day.AddDate(0, 0, days+14),
		Priority:       domain.PriorityHigh,
		CivilianOptions: []domain.CivilianCheck{
			{Option: "logistics_cluster", Result: "insufficient", Note: "Common transport fully booked for three weeks."},
			{Option: "commercial", Result: "not_available", Note: "No commercial operator with this capacity in country."},
		},
		ExitStrategy: domain.ExitStrategy{Organization: "Logistics Cluster common transport", Date: day.AddDate(0, 0, days+14),
			Plan: "Civilian trucks take over when the road reopens; weekly review with the Logistics Cluster."},
		POC: domain.Contact{Name: "Ram Requester", Role: "Logistics officer", Phone: "+977 1 555 0100", Email: "requester@example.org"},
		Checklist: map[string]domain.Answer{
			"LR2": yes(""), "LR3": yes(""), "LR4": yes("Civilian options cannot arrive before the required date."),
			"LR5": yes(""), "LR6": yes(""), "LR7": yes(""), "LR8": yes(""), "LR9": yes(""),
			"LR11": {Value: "consented", Note: "Letter from the national disaster authority"}, "LR12": yes(""), "LR13": yes(""),
			"LR14": {Value: "low"}, "LR15": {Value: "no"}, "LR16": yes(""), "LR18": {Value: "no"}, "LR19": {Value: "no"},
		},
	}
	// Items added to the checklist since: the demo meets them.
	for _, it := range domain.Checklist {
		if _, ok := r.Checklist[it.ID]; !ok && it.Meets != "" && !it.ByOfficer {
			r.Checklist[it.ID] = domain.Answer{Value: it.Meets}
		}
	}
	return r
}

// demoRequests returns the demo requests: every state this release
// knows (draft, submitted, returned, redirected, withdrawn) in the three
// operations, across sectors, task categories and organisations.
func demoRequests(now time.Time) []demoRequest {
	heli := baseRequest("Heavy-lift helicopter to Upper Rasuwa", now, 3)
	heli.Sectors, heli.TaskCategory, heli.Priority = []string{"LOG", "FSC"}, "air_rotary", domain.PriorityLifesaving
	heli.Need = "About 12,000 people in four villages of Upper Rasuwa are cut off by landslides; food stocks last five days."
	heli.PeopleTargeted = 12000
	heli.Capability = "Heavy-lift helicopter (e.g. Mi-17 class) able to land on unprepared ground above 2,500 m with 4 t loads."
	heli.TaskDescription = "Three rotations a day for two weeks carrying food and shelter items from Dhunche to Upper Rasuwa."
	heli.Origin = domain.Location{Name: "Dhunche helipad", Adm1Name: "Bagmati", Adm1PCode: "NP03", Adm2Name: "Rasuwa", Adm2PCode: "NP0306", Lat: ptr(28.1072), Lon: ptr(85.2969)}
	heli.Destination = domain.Location{Name: "Gatlang", Adm1Name: "Bagmati", Adm1PCode: "NP03", Adm2Name: "Rasuwa", Adm2PCode: "NP0306", Lat: ptr(28.1566), Lon: ptr(85.2817)}
	heli.Complementarity = "Only the cut-off section is flown; WFP trucks bring the cargo to Dhunche."

	hospital := baseRequest("Field hospital support at Chautara", now, 6)
	hospital.Sectors, hospital.TaskCategory, hospital.SupportType = []string{"HEA"}, "medical", domain.SupportDirect
	hospital.Need = "The district hospital collapsed; 40,000 people have no surgical care."
	hospital.Capability = "A deployable field hospital with surgical teams."
	hospital.Checklist["LR10"] = domain.Answer{Note: "No civilian field hospital can deploy within ten days; WHO EMT roster exhausted."}
	hospital.Destination = domain.Location{Name: "Chautara", Adm1Name: "Bagmati", Adm1PCode: "NP03", Adm2Name: "Sindhupalchok", Adm2PCode: "NP0311"}
	hospital.Complementarity = "Bridges the gap until an emergency medical team arrives."
	hospital.TaskDescription = "Surgical and inpatient care for three weeks."

	bridge := baseRequest("Bailey bridge on the Araniko Highway", now, 8)
	bridge.Sectors, bridge.TaskCategory, bridge.SupportType = []string{"LOG", "ERY"}, "engineering", domain.SupportInfrastructure
	bridge.Need = "The Araniko Highway bridge at Balephi is down; 60 trucks a day of relief cannot pass."
	bridge.Capability = "Military engineers with a Bailey bridge kit."
	bridge.TaskDescription = "Install a 30 m Bailey bridge."
	bridge.Destination = domain.Location{Name: "Balephi", Adm1Name: "Bagmati", Adm1PCode: "NP03"}
	bridge.Complementarity = "The roads department takes over maintenance once installed."

	shelter := baseRequest("Airlift of shelter kits to Gorkha", now, 10)
	shelter.Sectors, shelter.TaskCategory = []string{"SHL"}, "air_fixed_wing"
	shelter.Need = "3,000 shelter kits for families sleeping in the open in Gorkha."
	shelter.Capability = "C-130 class aircraft."
	shelter.TaskDescription = "Two flights from Kathmandu to Bharatpur."
	shelter.Destination = domain.Location{Name: "Bharatpur airport", Adm1Name: "Bagmati", Adm1PCode: "NP03"}
	shelter.Complementarity = "Adds to the Logistics Cluster's road transport."
	shelter.POC = domain.Contact{Name: "Fatima Field", Role: "Shelter coordinator", Phone: "+977 1 555 0200", Email: "field@example.org"}

	water := baseRequest("Water purification units for Sindhupalchok", now, 7)
	water.Sectors, water.TaskCategory = []string{"WSH"}, "water_sanitation"
	water.Need = "Camps of 8,000 people have no safe water."
	water.Capability = "Reverse-osmosis units producing 50,000 l a day."
	water.TaskDescription = "Install and run two units for two weeks."
	water.Destination = domain.Location{Name: "Melamchi camp", Adm1Name: "Bagmati", Adm1PCode: "NP03"}
	water.Complementarity = "Until the water board repairs the intake."
	water.POC = shelter.POC

	escort := baseRequest("Armed escort for a food convoy to Pibor", now, 9)
	escort.Sectors, escort.TaskCategory = []string{"FSC", "LOG"}, "security_escort"
	escort.Need = "40,000 people in Pibor have received no food for six weeks; convoys were attacked twice."
	escort.Capability = "Armed protection for a 20-truck convoy."
	escort.TaskDescription = "Escort one convoy from Bor to Pibor and back."
	escort.Origin = domain.Location{Name: "Bor", Adm1Name: "Jonglei", Adm1PCode: "SS04"}
	escort.Destination = domain.Location{Name: "Pibor", Adm1Name: "Greater Pibor Administrative Area", Adm1PCode: "SS11"}
	escort.Complementarity = "One convoy only while the road is insecure."
	escort.Checklist["LR13"] = domain.Answer{Value: "no", Note: "An escort is armed by nature; see the armed-escort criteria."}
	escort.Checklist["LR14"] = domain.Answer{Value: "high", Note: "Association with the force may affect acceptance; HCT to weigh it."}
	escort.Checklist["LR18"] = domain.Answer{Value: "yes", Note: "WFP would provide fuel to the escorting unit."}
	escort.Checklist["LR19"] = domain.Answer{Value: "yes"}
	escort.Escort = domain.Escort{
		NeedCriticality:         "Lifesaving food for 40,000 people; no alternative route.",
		ResponsibleAuthority:    "The government has asked the UN mission to provide escort; police capacity is absent.",
		SecurityAssessment:      "UNDSS SRA Jonglei 2026-11",
		DiscontinuationPlan:     "Escorts stop when the road is declared low risk; reviewed monthly.",
		CommonPositionConsulted: true,
		Compensation:            "fuel",
	}

	airdrop := baseRequest("Airdrop of food to Leer", now, 12)
	airdrop.Sectors, airdrop.TaskCategory = []string{"FSC"}, "air_fixed_wing"
	airdrop.Need = "Leer is unreachable by road in the rainy season."
	airdrop.Capability = "Military transport aircraft able to airdrop."
	airdrop.Checklist["LR15"] = domain.Answer{Value: "yes"} // a party to the conflict: blocked here

	airstrip := baseRequest("Airstrip repair in Bentiu", now, 14)
	airstrip.Sectors, airstrip.TaskCategory, airstrip.SupportType = []string{"LOG"}, "engineering", domain.SupportInfrastructure
	airstrip.Need = "The Bentiu airstrip is closed by flooding; UNHAS cannot land."
	airstrip.Capability = "Engineering unit with earth-moving equipment."
	airstrip.TaskDescription = "Raise and compact 600 m of runway."
	airstrip.Destination = domain.Location{Name: "Bentiu airstrip", Adm1Name: "Unity", Adm1PCode: "SS08"}
	airstrip.Complementarity = "Restores civilian UNHAS access."

	boats := baseRequest("Boats for evacuation in Buzi", now, 1)
	boats.Sectors, boats.TaskCategory, boats.Priority = []string{"CCM", "PRO"}, "sea", domain.PriorityLifesaving
	boats.Need = "Families stranded on rooftops along the Buzi river after the cyclone."
	boats.Capability = "Shallow-draft boats with crews."
	boats.TaskDescription = "Evacuate people to Guara-Guara accommodation centre."
	boats.UrgencyReason = "Water is still rising; people have been on rooftops for two days."
	boats.Destination = domain.Location{Name: "Guara-Guara", Adm1Name: "Sofala", Adm1PCode: "MZ07"}
	boats.Complementarity = "INGC boats are all deployed; this adds capacity for 72 hours."

	power := baseRequest("Power generation for Beira central hospital", now, 5)
	power.Sectors, power.TaskCategory = []string{"HEA"}, "power"
	power.Need = "The hospital runs on one failing generator."
	power.Capability = "500 kVA generators with operators."
	power.TaskDescription = "Supply and run generators until the grid is restored."
	power.Destination = domain.Location{Name: "Beira", Adm1Name: "Sofala", Adm1PCode: "MZ07"}
	power.Complementarity = "Until EDM restores the grid."

	sar := baseRequest("Airlift of urban search and rescue teams to Sindhupalchok", now, 2)
	sar.Sectors, sar.TaskCategory, sar.Priority = []string{"LOG", "SHL"}, "search_and_rescue", domain.PriorityLifesaving
	sar.Need = "Collapsed buildings in Chautara; people may still be trapped. Teams are at Kathmandu airport."
	sar.Capability = "Medium-lift helicopters for 40 rescuers with their equipment."
	sar.TaskDescription = "Four rotations from Kathmandu to Chautara within 24 hours."
	sar.UrgencyReason = "Survival chances fall sharply after 72 hours."
	sar.Destination = domain.Location{Name: "Chautara", Adm1Name: "Bagmati", Adm1PCode: "NP03", Adm2Name: "Sindhupalchok", Adm2PCode: "NP0311"}
	sar.Complementarity = "Road teams follow when the landslide is cleared."

	medevac := baseRequest("Medical evacuation flights from Langtang", now, 4)
	medevac.Sectors, medevac.TaskCategory = []string{"HEA"}, "air_rotary"
	medevac.Need = "Thirty injured trekkers and villagers need hospital care in Kathmandu."
	medevac.Capability = "Helicopters with medical evacuation kits."
	medevac.TaskDescription = "Ten evacuation flights over three days."
	medevac.Destination = domain.Location{Name: "Kathmandu", Adm1Name: "Bagmati", Adm1PCode: "NP03"}
	medevac.Complementarity = "Commercial operators are grounded by insurance until the aftershocks stop."

	supplies := medevac
	supplies.Title = "Airlift of medical supplies to Langtang"
	supplies.Need = "The Langtang health posts have run out of trauma kits and antibiotics."
	supplies.TaskDescription = "Six flights over two days carrying 3 t of medical supplies."
	supplies.Checklist = maps.Clone(medevac.Checklist)

	const (
		ram    = "requester@example.org"
		fatima = "field@example.org"
		olivia = "officer@example.org"
		hari   = "hct@example.org"
		wanj   = "hct-wfp@example.org"
		hasina = "hct-hca@example.org"
		hannah = "hc@example.org"
	)
	return []demoRequest{
		// An open, sealed review: one organisation has voted.
		{op: "NPL-EQ-DEMO", by: ram, req: heli, steps: []step{{action: "submit", by: ram},
			{action: "attach", by: ram, text: "Dhunche helipad access map", reference: "map/everyone"},
			{action: "attach", by: olivia, text: "Security risk assessment, Rasuwa district", reference: "security_assessment/officer_hc"},
			{action: "comment", by: olivia, text: "Screening today; can Dhunche helipad take night landings?"},
			{action: "open", by: olivia},
			{action: "vote", by: hari, reference: "support_with_conditions", text: "Only while the road is closed; review weekly."}}},
		// Passed and approved.
		{op: "NPL-EQ-DEMO", by: ram, req: sar, steps: []step{{action: "submit", by: ram}, {action: "open", by: olivia},
			{action: "vote", by: hari, reference: "support"}, {action: "vote", by: hasina, reference: "support"},
			{action: "close", by: olivia},
			{action: "approve", by: hannah, text: "No civilian helicopter can lift the teams in time; the review supports it unanimously."},
			// From approval to hand-over, with a declined tasking re-tasked.
			{action: "consent", by: olivia, text: "National Disaster Risk Reduction and Management Authority", reference: "NDRRMA/2026/114"},
			{action: "attach", by: olivia, text: "NDRRMA consent letter NDRRMA/2026/114", reference: "consent_letter/everyone"},
			{action: "task", by: olivia, text: "IND", reference: "Indian Air Force 152 Helicopter Unit"},
			{action: "decline", by: olivia, text: "Both helicopters grounded for maintenance."},
			{action: "task", by: olivia, text: "CHN", reference: "PLA Air Force transport unit"},
			{action: "start", by: olivia}, {action: "report", by: olivia}, {action: "complete", by: olivia},
			{action: "handover", by: olivia}}},
		// Passed, awaiting the HC's decision.
		{op: "NPL-EQ-DEMO", by: ram, req: medevac, steps: []step{{action: "submit", by: ram}, {action: "open", by: olivia},
			{action: "vote", by: hari, reference: "support"},
			{action: "vote", by: hasina, reference: "abstain"}, {action: "close", by: olivia}}},
		{op: "NPL-EQ-DEMO", by: ram, req: hospital},
		{op: "NPL-EQ-DEMO", by: ram, req: bridge, steps: []step{{action: "submit", by: ram},
			{action: "return", by: olivia, text: "Please say which civilian engineering firms were contacted and their answers."}}},
		{op: "NPL-EQ-DEMO", by: fatima, req: shelter, steps: []step{{action: "submit", by: fatima},
			{action: "redirect", by: olivia, text: "The Logistics Cluster can fly this on its chartered aircraft next week.", reference: "SRF-NPL-0117"}}},
		{op: "NPL-EQ-DEMO", by: fatima, req: water, steps: []step{{action: "submit", by: fatima},
			{action: "withdraw", by: fatima, text: "The water board repaired the intake."}}},
		{op: "SSD-CE-DEMO", by: ram, req: escort, steps: []step{{action: "submit", by: ram}}},
		{op: "SSD-CE-DEMO", by: ram, req: airdrop},
		// Approved, consent recorded, waiting to be tasked.
		{op: "NPL-EQ-DEMO", by: ram, req: supplies, steps: []step{{action: "submit", by: ram}, {action: "open", by: olivia},
			{action: "vote", by: hari, reference: "support"}, {action: "vote", by: hasina, reference: "support"},
			{action: "close", by: olivia},
			{action: "approve", by: hannah, text: "Supports the health cluster until the road reopens."},
			{action: "consent", by: olivia, text: "Ministry of Home Affairs", reference: "MoHA/2026/77"}}},
		// Failed (an objection under consensus) and rejected.
		{op: "SSD-CE-DEMO", by: fatima, req: airstrip, steps: []step{{action: "submit", by: fatima}, {action: "open", by: olivia},
			{action: "vote", by: wanj, reference: "support"},
			{action: "vote", by: hasina, reference: "object", text: "Engineers of a party to the conflict would end our access in Unity."},
			{action: "close", by: olivia},
			{action: "reject", by: hannah, text: "The HCT objected: using this unit would compromise access. Ask the Logistics Cluster for a civilian contractor."}}},
		// An open, unsealed review (majority rule): votes are visible.
		{op: "MOZ-TC-DEMO", by: ram, req: boats, steps: []step{{action: "submit", by: ram}, {action: "open", by: olivia},
			{action: "vote", by: hari, reference: "support"}}},
		{op: "MOZ-TC-DEMO", by: fatima, req: power, steps: []step{{action: "submit", by: fatima},
			{action: "return", by: olivia, text: "Add the hand-over date agreed with EDM."}}},
	}
}

// loadRequests creates the demo requests and takes them through their
// steps as the named people would.
func loadRequests(ctx context.Context, svc Services, actors map[string]domain.Actor, now time.Time) error {
	for _, d := range demoRequests(now) {
		r, _, err := svc.Requests.Create(ctx, actors[d.by], d.op, d.req, "")
		if err != nil {
			return fmt.Errorf("request %q: %w", d.req.Title, err)
		}
		for _, s := range d.steps {
			by := actors[s.by]
			in := domain.TransitionInput{Version: r.Version, Reason: s.text, CivilianReference: s.reference}
			switch s.action {
			case "comment":
				_, err = svc.Requests.AddComment(ctx, by, r.ID, s.text)
			case "attach":
				if svc.Attachments == nil {
					continue
				}
				kind, vis, _ := strings.Cut(s.reference, "/")
				_, err = svc.Attachments.Add(ctx, by, r.ID, domain.AttachmentInput{Kind: domain.AttachmentKind(kind), Title: s.text,
					Filename: fileName(s.text) + ".pdf", Visibility: domain.AttachmentVisibility(vis)}, bytes.NewReader(onePagePDF(s.text)))
			case "submit":
				r, err = svc.Requests.Transition(ctx, by, r.ID, domain.ActionSubmit, in)
			case "return":
				r, err = svc.Requests.Transition(ctx, by, r.ID, domain.ActionReturn, in)
			case "redirect":
				r, err = svc.Requests.Transition(ctx, by, r.ID, domain.ActionRedirect, in)
			case "withdraw":
				r, err = svc.Requests.Transition(ctx, by, r.ID, domain.ActionWithdraw, in)
			case "open", "vote", "close", "approve", "reject":
				if svc.Reviews == nil {
					continue
				}
				err = reviewStep(ctx, svc.Reviews, by, r, s)
			case "consent", "task", "decline", "start", "report", "complete", "handover":
				if svc.Lifecycle == nil {
					continue
				}
				err = lifecycleStep(ctx, svc.Lifecycle, svc.Requests, by, r, s, now)
			}
			if err != nil {
				return fmt.Errorf("request %q: %s: %w", d.req.Title, s.action, err)
			}
		}
	}
	return nil
}

// reviewStep takes one step of a demo request's HCT review.
func reviewStep(ctx context.Context, rv *service.Reviews, by domain.Actor, r domain.Request, s step) error {
	var err error
	switch s.action {
	case "open":
		_, err = rv.Open(ctx, by, r.ID, service.OpenInput{Version: r.Version})
	case "vote":
		_, err = rv.Vote(ctx, by, r.ID, service.VoteInput{Value: domain.VoteValue(s.reference), Comment: s.text})
	case "close":
		_, err = rv.Close(ctx, by, r.ID, r.Version)
	case "approve", "reject":
		outcome := domain.StatusApproved
		if s.action == "reject" {
			outcome = domain.StatusRejected
		}
		_, err = rv.Decide(ctx, by, r.ID, service.DecisionInput{Version: r.Version, Outcome: outcome, Rationale: s.text})
	}
	return err
}

// lifecycleStep takes one step after a demo request's approval.
func lifecycleStep(ctx context.Context, lc *service.Lifecycle, rq *service.Requests, by domain.Actor, r domain.Request, s step, now time.Time) error {
	var err error
	switch s.action {
	case "consent":
		_, err = lc.RecordConsent(ctx, by, r.ID, r.Version, domain.Consent{Status: "consented", Authority: s.text, Channel: "Letter",
			Date: domain.DateOf(now), Reference: s.reference})
	case "task":
		_, err = lc.Task(ctx, by, r.ID, r.Version, domain.Tasking{ProviderISO3: s.text, Unit: s.reference, AssetType: "Mi-17 helicopter",
			AssetCount: 2, PlatformRef: "MNMCC-" + s.text + "-0042"})
	case "decline":
		_, err = rq.Transition(ctx, by, r.ID, domain.ActionDecline, domain.TransitionInput{Version: r.Version, Reason: s.text})
	case "start":
		_, err = rq.Transition(ctx, by, r.ID, domain.ActionStartExecution, domain.TransitionInput{Version: r.Version})
	case "report":
		_, err = lc.Report(ctx, by, r.ID, r.Version, domain.ExecutionReport{Date: now, Sorties: 8, FlightHours: 11.5, Tonnes: 6,
			Passengers: 40, Medevacs: 3, PeopleReached: 2500, Notes: "Teams and equipment delivered to Chautara."})
	case "complete":
		_, err = rq.Transition(ctx, by, r.ID, domain.ActionComplete, domain.TransitionInput{Version: r.Version})
	case "handover":
		_, err = lc.HandOver(ctx, by, r.ID, r.Version, domain.Handover{Organization: r.ExitStrategy.Organization, Date: now})
	}
	return err
}

// fileName is title as a file name: lower case, words joined by "-".
func fileName(title string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}), "-")
}

// onePagePDF is a real one-page PDF saying text (ASCII), its cross-
// reference table at the right offsets, for the demo's documents.
func onePagePDF(text string) []byte {
	text = strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(text)
	stream := "BT /F1 18 Tf 72 720 Td (" + text + ") Tj ET"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
