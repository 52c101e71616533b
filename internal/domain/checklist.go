package domain

// The last-resort checklist (PRODUCT.md §3, domain-notes §a.2) is data:
// Checklist lists the items, and Evaluate is the one function that
// decides, for a request in an operation's context, which items are met,
// missing, blocking or in need of a justification. The form, the API,
// the submit guard, the screening view and the reports all call it.

// Gate is how hard an item's failing answer stops a request.
type Gate string

// Gates.
const (
	GateHard    Gate = "hard"    // a failing answer blocks submission, with the reason
	GateJustify Gate = "justify" // a failing answer needs a written justification, shown to reviewers
	GateInfo    Gate = "info"    // recorded, shown and reported; never blocks
)

// AnswerType is the kind of answer an item takes.
type AnswerType string

// Answer types.
const (
	AnswerField        AnswerType = "field"          // answered by a request field (LR1 need, LR10 support type)
	AnswerYesNo        AnswerType = "yes_no"         // yes / no
	AnswerYesNoUnknown AnswerType = "yes_no_unknown" // yes / no / unknown
	AnswerConsent      AnswerType = "consent"        // the affected State's consent
	AnswerRisk         AnswerType = "risk"           // low / medium / high
)

// Values returns the answers an item of type t accepts (none for a field).
func (t AnswerType) Values() []string {
	switch t {
	case AnswerYesNo:
		return []string{"yes", "no"}
	case AnswerYesNoUnknown:
		return []string{"yes", "no", "unknown"}
	case AnswerConsent:
		return ConsentStatuses
	case AnswerRisk:
		return []string{"low", "medium", "high"}
	}
	return nil
}

// ConsentStatuses are the answers to LR11, the affected State's consent.
var ConsentStatuses = []string{"requested", "consented", "pending", "refused", "not_applicable"}

// ChecklistItem is one last-resort criterion. Question and Help are i18n
// keys (checklist.LR4.question, checklist.LR4.help); Source cites the
// guidance it comes from, as the help text shows it.
type ChecklistItem struct {
	ID        string
	Answer    AnswerType
	Gate      Gate // the gate outside the context rules Evaluate applies
	Source    string
	Field     string // for AnswerField items: the request field that answers it
	ByOfficer bool   // filled by the CMCoord officer at screening, not the requester
	// Guard, when set, restricts who sees the item's answer (Sees).
	Guard Guard
	// Meets is the answer that meets the criterion outright ("" for items
	// a request field answers): what the form marks before any save, and
	// what an item with no rule of its own in Evaluate checks against.
	Meets string
}

// Question returns the i18n key of the item's question.
func (c ChecklistItem) Question() string { return "checklist." + c.ID + ".question" }

// Help returns the i18n key of the item's help text.
func (c ChecklistItem) Help() string { return "checklist." + c.ID + ".help" }

// Checklist is LR1–LR19 in order.
var Checklist = []ChecklistItem{
	{ID: "LR1", Answer: AnswerField, Field: "need", Gate: GateHard, Source: "Oslo Guidelines para 5; Last-resort pamphlet (OCHA)"},
	{ID: "LR2", Answer: AnswerYesNo, Meets: "yes", Gate: GateHard, Source: "Oslo Guidelines para 5; IASC 1995 principle 2; OCHA CMCS"},
	{ID: "LR3", Answer: AnswerYesNo, Meets: "yes", Gate: GateHard, Source: "Last-resort pamphlet (unique capability); Oslo Guidelines para 5"},
	{ID: "LR4", Answer: AnswerYesNo, Meets: "yes", Gate: GateHard, Source: "Last-resort pamphlet (availability and timeliness)"},
	{ID: "LR5", Answer: AnswerYesNo, Meets: "yes", Gate: GateJustify, Source: "Last-resort pamphlet (complement civilian capabilities)"},
	{ID: "LR6", Answer: AnswerYesNo, Meets: "yes", Gate: GateHard, Source: "Oslo Guidelines, basic principles (limited in time and scale)"},
	{ID: "LR7", Answer: AnswerYesNo, Meets: "yes", Gate: GateHard, Source: "Oslo Guidelines (exit strategy); Last-resort pamphlet (hand back to civilians)"},
	{ID: "LR8", Answer: AnswerYesNo, Meets: "yes", Gate: GateHard, Source: "IASC 1995 principle 1; Oslo Guidelines (humanitarian criteria)"},
	{ID: "LR9", Answer: AnswerYesNo, Meets: "yes", Gate: GateHard, Source: "IASC 1995 principle 3; Oslo and MCDA Guidelines (overall humanitarian authority)"},
	{ID: "LR10", Answer: AnswerField, Field: "support_type", Gate: GateJustify, Source: "IASC 1995 principle 5; Oslo Guidelines; MCDA Guidelines"},
	{ID: "LR11", Answer: AnswerConsent, Meets: "consented", Gate: GateHard, Source: "Oslo Guidelines (consent of the affected State); OCHA CMCS"},
	{ID: "LR12", Answer: AnswerYesNoUnknown, Meets: "yes", Gate: GateJustify, Source: "Oslo Guidelines (at no cost); OCHA CMCS (non-profit basis)"},
	{ID: "LR13", Answer: AnswerYesNoUnknown, Meets: "yes", Gate: GateJustify, Source: "Oslo Guidelines (unarmed, national uniform)"},
	{ID: "LR14", Answer: AnswerRisk, Meets: "low", Gate: GateJustify, Source: "Last-resort pamphlet (neutrality, impartiality, independence, access); UN-CMCoord Handbook (Do No Harm)"},
	{ID: "LR15", Answer: AnswerYesNoUnknown, Meets: "no", Gate: GateJustify, Source: "MCDA Guidelines; IASC Reference Paper (distinction)"},
	{ID: "LR16", Answer: AnswerYesNo, Meets: "yes", Gate: GateInfo, Source: "IASC 1995 principle 6"},
	{ID: "LR17", Answer: AnswerYesNo, Meets: "yes", Gate: GateInfo, ByOfficer: true, Source: "IASC 1995 principle 4; Oslo Guidelines (codes of conduct)"},
	{ID: "LR18", Answer: AnswerYesNo, Meets: "no", Gate: GateInfo, Guard: GuardEscort, Source: "UN Human Rights Due Diligence Policy (HRDDP)"},
	{ID: "LR19", Answer: AnswerYesNo, Meets: "no", Gate: GateInfo, Guard: GuardEscort, Source: "IASC Non-Binding Guidelines on the Use of Armed Escorts (2013)"},
}

// TakesNote reports whether the requester gives a note with the item: a
// justification where a failing answer may be justified, or the detail
// an answer calls for. Every item the requester answers takes one; an
// item a request field answers takes one when its gate lets a failure be
// justified (LR10: direct support outside a complex emergency); the
// officer's items take none from the requester.
func (it ChecklistItem) TakesNote() bool {
	return !it.ByOfficer && (it.Answer != AnswerField || it.Gate == GateJustify)
}

// ChecklistItemByID returns the item with id.
func ChecklistItemByID(id string) (ChecklistItem, bool) {
	for _, c := range Checklist {
		if c.ID == id {
			return c, true
		}
	}
	return ChecklistItem{}, false
}

// ItemStatus is an item's evaluation.
type ItemStatus string

// Item statuses.
const (
	ItemOK                 ItemStatus = "ok"                  // met (or justified, or informational)
	ItemMissing            ItemStatus = "missing"             // not answered yet
	ItemBlocked            ItemStatus = "blocked"             // the answer fails a hard gate
	ItemNeedsJustification ItemStatus = "needs_justification" // the answer fails a justify gate and no justification is written
)

// ItemResult is one item's evaluation. Reason is the i18n key saying why
// it is not ok (or, for an ok item, why reviewers should look: a
// justification, a high risk). Justified marks a failing justify item
// that carries a justification; Warning marks anything reviewers must
// see.
type ItemResult struct {
	ID        string
	Status    ItemStatus
	Gate      Gate // the gate that applied, after the context rules
	Reason    string
	Justified bool
	Warning   bool
	// Recorded is the answer recorded since the request's (LR11: the
	// consent the officer recorded), which the item was judged on
	// instead; "" when the request's own answer stands.
	Recorded string
}

// ItemState is how an item stands, as readers are told it: a justified
// failure is never "met", and an item the officer answers is awaiting
// the officer until answered.
type ItemState string

// Item states.
const (
	StateMet                ItemState = "met"
	StateJustified          ItemState = "justified"           // a failing answer whose justification is written
	StateNeedsJustification ItemState = "needs_justification" // a failing answer without one
	StateMissing            ItemState = "missing"
	StateBlocking           ItemState = "blocking"
	StateAwaitingOfficer    ItemState = "awaiting_officer"
)

// ItemStates lists every state in display order.
var ItemStates = []ItemState{StateMet, StateJustified, StateNeedsJustification, StateMissing, StateBlocking, StateAwaitingOfficer}

// State is r's state for readers (page, record, API).
func (r ItemResult) State() ItemState {
	switch {
	case r.Status == ItemMissing:
		return StateMissing
	case r.Status == ItemBlocked:
		return StateBlocking
	case r.Status == ItemNeedsJustification:
		return StateNeedsJustification
	case r.Justified:
		return StateJustified
	case r.Reason == "checklist.reason.officer_fills":
		return StateAwaitingOfficer
	}
	return StateMet
}

// Flag is something the screening officer and the reviewers must weigh.
type Flag string

// Flags raised by an evaluation.
const (
	FlagJustified     Flag = "justified"      // a justify item failed and was justified
	FlagHighRisk      Flag = "high_risk"      // LR14 is high
	FlagDirectSupport Flag = "direct_support" // LR10 is direct assistance
	FlagArmedEscort   Flag = "armed_escort"   // LR19 is yes
	FlagHRDDP         Flag = "hrddp"          // LR18 is yes and the requester is a UN entity: an assessment is required
	FlagNoConsent     Flag = "consent_open"   // LR11 is pending: consent is needed before tasking
	// FlagHRDDPAssessed: the HRDDP applies and its assessment is recorded.
	FlagHRDDPAssessed Flag = "hrddp_assessed"
)

// Flags lists every flag in display order.
var Flags = []Flag{FlagHRDDP, FlagHRDDPAssessed, FlagArmedEscort, FlagHighRisk, FlagDirectSupport, FlagJustified, FlagNoConsent}

// Recorded is what was recorded on a request after its answers: the
// affected State's consent as the officer recorded it, and whether the
// HRDDP assessment exists. Evaluate reads them, so a warning the answers
// raised (consent pending, an assessment required) stands only while
// what settles it is not recorded. A draft has none.
type Recorded struct {
	Consent  *Consent
	Assessed bool
}

// Settles is, for each flag a recorded fact settles, that fact: the
// flag is raised only while the fact is not recorded (what Evaluate
// applies, and what its tests walk).
var Settles = map[Flag]Fact{FlagNoConsent: FactConsent, FlagHRDDP: FactAssessment}

// Evaluation is the checklist's verdict on a request.
type Evaluation struct {
	Items []ItemResult // in checklist order
	Flags []Flag       // in Flags order
}

// Item returns the result for id.
func (e Evaluation) Item(id string) ItemResult {
	for _, it := range e.Items {
		if it.ID == id {
			return it
		}
	}
	return ItemResult{ID: id, Status: ItemMissing}
}

// Failing returns the items that stop submission.
func (e Evaluation) Failing() []ItemResult {
	var out []ItemResult
	for _, it := range e.Items {
		if it.Status != ItemOK {
			out = append(out, it)
		}
	}
	return out
}

// Complete reports whether no item stops submission.
func (e Evaluation) Complete() bool { return len(e.Failing()) == 0 }

// Has reports whether the evaluation raised flag f.
func (e Evaluation) Has(f Flag) bool { return oneOf(f, e.Flags) }

// Count returns how many items have status s.
// CountState is the number of e's items in state s (ItemResult.State):
// what a summary counts, so a justified item never counts as met.
func (e Evaluation) CountState(s ItemState) int {
	n := 0
	for _, it := range e.Items {
		if it.State() == s {
			n++
		}
	}
	return n
}

func (e Evaluation) Count(s ItemStatus) int {
	n := 0
	for _, it := range e.Items {
		if it.Status == s {
			n++
		}
	}
	return n
}

// Evaluate applies the checklist to r in an operation of context ctx,
// given what was recorded on r since (rec: consent, HRDDP assessment).
// unEntity says whether the requesting organisation is a UN entity (the
// HRDDP applies to UN entities only). It is a pure function: every
// warning and reason it returns is a function of the current answers
// and records, never of an earlier state.
func Evaluate(r Request, ctx Context, unEntity bool, rec Recorded) Evaluation {
	var ev Evaluation
	flags := map[Flag]bool{}
	complex := ctx == ContextComplexEmergency
	for _, item := range Checklist {
		a := r.Checklist[item.ID]
		res := ItemResult{ID: item.ID, Gate: item.Gate, Status: ItemOK}
		missing := func(reason string) { res.Status, res.Reason = ItemMissing, reason }
		block := func(reason string) { res.Status, res.Reason, res.Gate = ItemBlocked, reason, GateHard }
		// justify: the answer fails a justify gate; a note is the justification.
		justify := func(reason string) {
			res.Gate, res.Reason = GateJustify, reason
			if a.Note == "" {
				res.Status = ItemNeedsJustification
				return
			}
			res.Justified, res.Warning = true, true
			flags[FlagJustified] = true
		}
		switch item.ID {
		case "LR1":
			if r.Need == "" {
				missing("checklist.reason.need_missing")
			}
		case "LR2":
			switch {
			case a.Value == "":
				missing("checklist.reason.unanswered")
			case a.Value == "no":
				block("checklist.reason.civilian_alternative")
			case len(r.CivilianOptions) == 0:
				missing("checklist.reason.no_civilian_option")
			}
		case "LR3":
			switch {
			case a.Value == "":
				missing("checklist.reason.unanswered")
			case a.Value == "no":
				block("checklist.reason.not_unique")
			case r.Capability == "":
				missing("checklist.reason.capability_missing")
			}
		case "LR4":
			switch {
			case a.Value == "":
				missing("checklist.reason.unanswered")
			case a.Value == "no":
				block("checklist.reason.civilian_in_time")
			case r.RequiredBy.IsZero():
				missing("checklist.reason.required_by_missing")
			case a.Note == "":
				missing("checklist.reason.why_too_late")
			}
		case "LR5":
			switch {
			case a.Value == "":
				missing("checklist.reason.unanswered")
			case a.Value == "no":
				justify("checklist.reason.replaces_civilian")
			case r.Complementarity == "":
				missing("checklist.reason.complementarity_missing")
			}
		case "LR6":
			switch {
			case a.Value == "":
				missing("checklist.reason.unanswered")
			case a.Value == "no":
				block("checklist.reason.not_limited")
			case r.StartDate.IsZero() || r.EndDate.IsZero():
				missing("checklist.reason.dates_missing")
			}
		case "LR7":
			switch {
			case a.Value == "":
				missing("checklist.reason.unanswered")
			case a.Value == "no":
				block("checklist.reason.no_exit")
			case r.ExitStrategy.Organization == "" || r.ExitStrategy.Date.IsZero():
				missing("checklist.reason.exit_missing")
			}
		case "LR8":
			switch a.Value {
			case "":
				missing("checklist.reason.unanswered")
			case "no":
				block("checklist.reason.not_humanitarian")
			}
		case "LR9":
			switch a.Value {
			case "":
				missing("checklist.reason.unanswered")
			case "no":
				block("checklist.reason.not_civilian_control")
			}
		case "LR10":
			switch {
			case r.SupportType == "":
				missing("checklist.reason.support_type_missing")
			case r.SupportType == SupportDirect && complex:
				block("checklist.reason.direct_in_complex")
			case r.SupportType == SupportDirect:
				justify("checklist.reason.direct_support")
			}
			if r.SupportType == SupportDirect {
				res.Warning = true
				flags[FlagDirectSupport] = true
			}
		case "LR11":
			// The consent the officer recorded, once there is one,
			// supersedes the requester's answer.
			consent, recorded := a.Value, rec.Consent != nil
			if recorded {
				consent = rec.Consent.Status
				res.Recorded = consent
			}
			switch {
			case consent == "":
				missing("checklist.reason.unanswered")
			case consent == "refused":
				block("checklist.reason.consent_refused")
			case consent == "pending" && recorded:
				res.Reason, res.Warning = "checklist.reason.consent_recorded_pending", true
				flags[FlagNoConsent] = true
			case consent == "pending":
				res.Reason, res.Warning = "checklist.reason.consent_pending", true
				flags[FlagNoConsent] = true
			case consent == "requested" && recorded:
				// Tasking may go ahead (ConsentAllowsTasking), but the
				// State has not consented yet.
				res.Reason, res.Warning = "checklist.reason.consent_requested", true
			}
		case "LR12":
			switch a.Value {
			case "":
				missing("checklist.reason.unanswered")
			case "no", "unknown":
				justify("checklist.reason.cost")
			}
		case "LR13":
			switch {
			case a.Value == "":
				missing("checklist.reason.unanswered")
			case a.Value == "no" && complex && r.Checklist["LR19"].Value != "yes":
				block("checklist.reason.armed_in_complex")
			case a.Value == "no" || a.Value == "unknown":
				justify("checklist.reason.armed_or_unknown")
			}
		case "LR14":
			switch a.Value {
			case "":
				missing("checklist.reason.unanswered")
			case "high":
				justify("checklist.reason.high_risk")
				res.Warning = true
				flags[FlagHighRisk] = true
			}
		case "LR15":
			switch {
			case a.Value == "":
				missing("checklist.reason.unanswered")
			case a.Value == "yes" && complex:
				block("checklist.reason.party_in_complex")
			case a.Value == "yes" || a.Value == "unknown":
				justify("checklist.reason.party_to_conflict")
			}
		case "LR16":
			if a.Value == "" {
				missing("checklist.reason.unanswered")
			}
		case "LR17":
			// Filled by the officer at screening; never stops the requester.
			if a.Value == "" {
				res.Reason = "checklist.reason.officer_fills"
			}
		case "LR18":
			switch {
			case a.Value == "":
				missing("checklist.reason.unanswered")
			case a.Value == "yes" && a.Note == "":
				missing("checklist.reason.support_given_missing")
			case (a.Value == "yes" || EscortCompensated(r)) && unEntity && rec.Assessed:
				res.Reason, res.Warning = "checklist.reason.hrddp_assessed", true
				flags[FlagHRDDPAssessed] = true
			case a.Value == "yes" && unEntity:
				res.Reason, res.Warning = "checklist.reason.hrddp_required", true
				flags[FlagHRDDP] = true
			case EscortCompensated(r) && unEntity:
				// Paying or supplying an armed escort is UN support to a
				// security force: it counts as a yes to LR18.
				res.Reason, res.Warning = "checklist.reason.hrddp_escort", true
				flags[FlagHRDDP] = true
			}
		case "LR19":
			switch {
			case a.Value == "":
				missing("checklist.reason.unanswered")
			case a.Value == "yes":
				res.Warning = true
				flags[FlagArmedEscort] = true
				e := r.Escort
				switch {
				case e.NeedCriticality == "" || e.ResponsibleAuthority == "" || e.SecurityAssessment == "" || e.DiscontinuationPlan == "" ||
					e.Compensation == "":
					missing("checklist.reason.escort_criteria_missing")
				case !e.CommonPositionConsulted:
					missing("checklist.reason.escort_common_position")
				}
			}
		default:
			// An item with no rule of its own follows its row: the
			// officer's are never the requester's to answer; otherwise
			// unanswered is missing, Meets meets it, and any other answer
			// fails its gate.
			switch {
			case item.ByOfficer:
				if a.Value == "" {
					res.Reason = "checklist.reason.officer_fills"
				}
			case a.Value == "":
				missing("checklist.reason.unanswered")
			case item.Meets == "" || a.Value == item.Meets:
			case item.Gate == GateHard:
				block("checklist.reason.not_met")
			case item.Gate == GateJustify:
				justify("checklist.reason.not_met")
			}
		}
		ev.Items = append(ev.Items, res)
	}
	for _, f := range Flags {
		if flags[f] {
			ev.Flags = append(ev.Flags, f)
		}
	}
	return ev
}

// EscortCompensated reports whether r's armed escort would receive
// anything (fuel, food, allowances, payment) — support to a security
// force under the HRDDP when the requester is a UN entity.
func EscortCompensated(r Request) bool {
	return r.Checklist["LR19"].Value == "yes" && r.Escort.Compensation != "" && r.Escort.Compensation != "none"
}
