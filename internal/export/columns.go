package export

import (
	"slices"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// Row is one request as the tracker exports it: the request and what the
// row needs beyond it (the operation's country, the latest decision, the
// checklist's verdict, what happened after approval).
type Row struct {
	Request     domain.Request
	CountryISO3 string
	GLIDE       string
	// Outcome is the HC's latest decision ("approved", "rejected") or "";
	// DecidedAt when it was taken.
	Outcome   string
	DecidedAt time.Time
	// ExtensionOf is the reference of the request this one extends; ""
	// for an original request.
	ExtensionOf string
	// Evaluation is the checklist's verdict on the whole request
	// (domain.Evaluate); the items a reader may not see in a file are
	// never columns (ChecklistColumns).
	Evaluation domain.Evaluation
	Lifecycle  Lifecycle
	// Attachments are the request's documents (not removed) the reader
	// may see in a file (domain.AttachmentsShown): counted in every
	// format, listed in JSON.
	Attachments []domain.Attachment
}

// Lifecycle is what the tracker counts of a request after approval
// (domain lifecycle.go): the consent, the current tasking, the hand-over
// and the execution reports' totals.
type Lifecycle struct {
	// Consent is the recorded consent status (domain.ConsentStatuses), ""
	// when none is recorded.
	Consent string
	// Tasking is the live tasking, or the latest declined one when none
	// is live; nil when the request was never tasked.
	Tasking *domain.Tasking
	// Handover is the recorded hand-over, nil before it.
	Handover *domain.Handover
	// Reports is the number of execution reports; Totals their sums
	// (domain.Totals).
	Reports int
	Totals  domain.ExecutionReport
}

// Kind is how a column's values are typed, which decides how each
// format writes them.
type Kind int

// Kinds of column.
const (
	Text     Kind = iota // a string
	Int                  // an int; 0 is written as blank when Blank0
	Float                // a *float64; nil is blank
	Date                 // a time.Time, written as YYYY-MM-DD (UTC); zero is blank
	DateTime             // a time.Time, written as RFC 3339 in UTC; zero is blank
	// List is a []string: a JSON array; in CSV and XLSX one cell of the
	// values joined by ", ", under a hashtag with HXL's +list attribute
	// (the form HXL tools split back, e.g. libhxl's Row.get(parsed=True)).
	List
)

// Col is one column of an exported table whose rows are R.
type Col[R any] struct {
	Key    string // stable snake_case key (JSON, API consumers)
	Header string // English human header (CSV/XLSX first row)
	HXL    string // HXL 1.1 hashtag with attributes, e.g. "#date +reported"
	Kind   Kind
	// Labels, when set, is the catalogue key prefix of the column's
	// codes ("status."): a label column per language asked for
	// (Options.Labels) follows the column, with the code's label, or
	// each code's label for ";"-joined codes.
	Labels string
	// Restricted columns hold personal contact details: never in the
	// public variant, and blank on rows whose contact the caller may not
	// see (the service passes each row through domain.RequestFor, which
	// blanks Request.POC by domain.GuardContact), so the column set is the
	// same for every caller of the restricted variant.
	Restricted bool
	// Public columns are safe for the public (HDX) variant: codes,
	// dates, numbers, the reference and the requesting organisation's
	// directory name — no free text typed into a request (title, need,
	// capability, place and admin names, the hand-over organisation), no
	// coordinates, no contacts.
	Public bool
	// Width is the XLSX column width in characters.
	Width float64
	// Decimals is the number of decimals a Float is written with (0: as
	// many as it has).
	Decimals int
	// Value is the column's value in a row, typed by Kind (Cell).
	Value func(R) Cell
}

// Column is one column of the RFA tracker.
type Column = Col[Row]

// Columns is the RFA tracker, in column order. Hashtags follow
// domain-notes §e.3: core hashtags and attributes where one fits,
// custom attributes (legal in HXL 1.1) on core hashtags next, and an x_
// extension hashtag only for priority, which no core hashtag covers
// (#severity means crisis severity). Multiple sectors are joined with
// ", " under +list (Kind List). HRDDP data and HCT votes are never
// columns; the checklist's columns (ChecklistColumns) come from
// domain.Checklist, one state and one justification column per item.
var Columns = slices.Concat(requestColumns, lifecycleColumns, ChecklistColumns(), contactColumns)

var requestColumns = []Column{
	{Key: "reference", Header: "RFA ID", HXL: "#meta +id", Public: true, Width: 16,
		Value: func(r Row) Cell { return text(r.Request.Reference) }},
	{Key: "country_code", Header: "Country", HXL: "#country +code +v_iso3", Public: true, Width: 8,
		Value: func(r Row) Cell { return text(r.CountryISO3) }},
	{Key: "crisis_code", Header: "Crisis", HXL: "#crisis +code +v_glide", Public: true, Width: 20,
		Value: func(r Row) Cell { return text(r.GLIDE) }},
	{Key: "title", Header: "Request title", HXL: "#activity +name", Width: 40,
		Value: func(r Row) Cell { return text(r.Request.Title) }},
	{Key: "task_category", Header: "Task category", HXL: "#activity +type", Public: true, Width: 18, Labels: "task_category.",
		Value: func(r Row) Cell { return text(string(r.Request.TaskCategory)) }},
	{Key: "task_description", Header: "Task description", HXL: "#description", Width: 50,
		Value: func(r Row) Cell { return text(r.Request.TaskDescription) }},
	{Key: "need", Header: "Humanitarian need", HXL: "#description +need", Width: 50,
		Value: func(r Row) Cell { return text(r.Request.Need) }},
	{Key: "requesting_org", Header: "Requesting org", HXL: "#org +name +requester", Public: true, Width: 24,
		Value: func(r Row) Cell { return text(r.Request.RequestingOrgName) }},
	{Key: "sector_codes", Header: "Cluster code", HXL: "#sector +cluster +code +list +v_ocha_clusters", Kind: List, Public: true, Width: 14, Labels: "sector.",
		Value: func(r Row) Cell { return list(r.Request.Sectors) }},
	{Key: "capability", Header: "Capability", HXL: "#capacity +type", Width: 30,
		Value: func(r Row) Cell { return text(r.Request.Capability) }},
	{Key: "support_type", Header: "Support type", HXL: "#modality +name", Public: true, Width: 14, Labels: "support_type.",
		Value: func(r Row) Cell { return text(string(r.Request.SupportType)) }},
	{Key: "priority", Header: "Priority", HXL: "#x_priority", Public: true, Width: 14, Labels: "priority.",
		Value: func(r Row) Cell { return text(string(r.Request.Priority)) }},
	{Key: "people_targeted", Header: "People targeted", HXL: "#targeted +ind", Kind: Int, Public: true, Width: 12,
		Value: func(r Row) Cell { return count(r.Request.PeopleTargeted) }},
	{Key: "origin_name", Header: "From", HXL: "#loc +name +origin", Width: 24,
		Value: func(r Row) Cell { return text(r.Request.Origin.Name) }},
	{Key: "origin_adm1_name", Header: "From (adm1)", HXL: "#adm1 +name +origin", Width: 18,
		Value: func(r Row) Cell { return text(r.Request.Origin.Adm1Name) }},
	{Key: "origin_adm1_pcode", Header: "From (adm1 p-code)", HXL: "#adm1 +code +v_pcode +origin", Public: true, Width: 12,
		Value: func(r Row) Cell { return text(r.Request.Origin.Adm1PCode) }},
	{Key: "origin_lat", Header: "From latitude", HXL: "#geo +lat +origin", Kind: Float, Width: 10,
		Value: func(r Row) Cell { return floatPtr(r.Request.Origin.Lat) }},
	{Key: "origin_lon", Header: "From longitude", HXL: "#geo +lon +origin", Kind: Float, Width: 10,
		Value: func(r Row) Cell { return floatPtr(r.Request.Origin.Lon) }},
	{Key: "destination_name", Header: "To", HXL: "#loc +name +dest", Width: 24,
		Value: func(r Row) Cell { return text(r.Request.Destination.Name) }},
	{Key: "destination_adm1_name", Header: "To (adm1)", HXL: "#adm1 +name +dest", Width: 18,
		Value: func(r Row) Cell { return text(r.Request.Destination.Adm1Name) }},
	{Key: "destination_adm1_pcode", Header: "To (adm1 p-code)", HXL: "#adm1 +code +v_pcode +dest", Public: true, Width: 12,
		Value: func(r Row) Cell { return text(r.Request.Destination.Adm1PCode) }},
	{Key: "destination_adm2_pcode", Header: "To (adm2 p-code)", HXL: "#adm2 +code +v_pcode +dest", Public: true, Width: 12,
		Value: func(r Row) Cell { return text(r.Request.Destination.Adm2PCode) }},
	{Key: "destination_lat", Header: "To latitude", HXL: "#geo +lat +dest", Kind: Float, Width: 10,
		Value: func(r Row) Cell { return floatPtr(r.Request.Destination.Lat) }},
	{Key: "destination_lon", Header: "To longitude", HXL: "#geo +lon +dest", Kind: Float, Width: 10,
		Value: func(r Row) Cell { return floatPtr(r.Request.Destination.Lon) }},
	{Key: "submitted_at", Header: "Submitted", HXL: "#date +reported", Kind: DateTime, Public: true, Width: 20,
		Value: func(r Row) Cell { return when(r.Request.SubmittedAt) }},
	{Key: "required_by", Header: "Required by", HXL: "#date +required", Kind: DateTime, Public: true, Width: 20,
		Value: func(r Row) Cell { return when(r.Request.RequiredBy) }},
	{Key: "start_date", Header: "Start", HXL: "#date +start", Kind: Date, Public: true, Width: 12,
		Value: func(r Row) Cell { return when(r.Request.StartDate) }},
	{Key: "end_date", Header: "End", HXL: "#date +end", Kind: Date, Public: true, Width: 12,
		Value: func(r Row) Cell { return when(r.Request.EndDate) }},
	{Key: "status", Header: "Status", HXL: "#status +name", Public: true, Width: 16, Labels: "status.",
		Value: func(r Row) Cell { return text(string(r.Request.Status)) }},
	{Key: "decision", Header: "Decision", HXL: "#status +decision", Public: true, Width: 12, Labels: "decision.",
		Value: func(r Row) Cell { return text(r.Outcome) }},
	{Key: "approved_at", Header: "Approved", HXL: "#date +approved", Kind: DateTime, Public: true, Width: 20,
		Value: func(r Row) Cell { return decidedIf(r, "approved") }},
	{Key: "rejected_at", Header: "Rejected", HXL: "#date +rejected", Kind: DateTime, Public: true, Width: 20,
		Value: func(r Row) Cell { return decidedIf(r, "rejected") }},
	{Key: "hours_to_decision", Header: "Hours to decision", HXL: "#indicator +num +hours_to_decision", Kind: Float, Decimals: 1, Public: true, Width: 10,
		Value: hoursToDecision},
	{Key: "extension_of", Header: "Extends", HXL: "#meta +id +extends", Public: true, Width: 16,
		Value: func(r Row) Cell { return text(r.ExtensionOf) }},
	{Key: "handover_org", Header: "Hand-over to", HXL: "#org +name +handover", Width: 24,
		Value: func(r Row) Cell { return text(r.Request.ExitStrategy.Organization) }},
	{Key: "handover_date", Header: "Hand-over date", HXL: "#date +handover", Kind: Date, Public: true, Width: 12,
		Value: func(r Row) Cell { return when(r.Request.ExitStrategy.Date) }},
}

// lifecycleColumns are what OCHA's reports count after approval: the
// affected State's consent, the provider and its assets, the tasking,
// execution and hand-over dates, and the execution reports' totals
// (domain-notes §e.1, §e.3). The provider's unit, the asset type and the
// hand-over organisation are typed text, so not public.
var lifecycleColumns = []Column{
	{Key: "consent_status", Header: "Consent", HXL: "#x_consent +name", Width: 14, Labels: "consent.",
		Value: func(r Row) Cell { return text(r.Lifecycle.Consent) }},
	{Key: "provider_iso3", Header: "Provider country", HXL: "#country +code +v_iso3 +provider", Public: true, Width: 8,
		Value: func(r Row) Cell { return text(taskingOf(r).ProviderISO3) }},
	{Key: "provider_unit", Header: "Provider unit", HXL: "#org +name +provider", Width: 24,
		Value: func(r Row) Cell { return text(taskingOf(r).Unit) }},
	{Key: "asset_type", Header: "Asset type", HXL: "#capacity +type +provided", Width: 20,
		Value: func(r Row) Cell { return text(taskingOf(r).AssetType) }},
	{Key: "asset_count", Header: "Assets", HXL: "#capacity +num +provided", Kind: Int, Public: true, Width: 8,
		Value: func(r Row) Cell { return count(taskingOf(r).AssetCount) }},
	{Key: "tasked_at", Header: "Tasked", HXL: "#date +tasked", Kind: DateTime, Public: true, Width: 20,
		Value: func(r Row) Cell { return when(taskingOf(r).TaskedAt) }},
	{Key: "tasking_declined_at", Header: "Tasking declined", HXL: "#date +tasked +declined", Kind: DateTime, Public: true, Width: 20,
		Value: func(r Row) Cell { return when(taskingOf(r).DeclinedAt) }},
	{Key: "execution_started_at", Header: "Execution started", HXL: "#date +start +executed", Kind: DateTime, Public: true, Width: 20,
		Value: func(r Row) Cell { return when(taskingOf(r).StartedAt) }},
	{Key: "handed_over_to", Header: "Handed over to", HXL: "#org +name +handover +done", Width: 24,
		Value: func(r Row) Cell {
			if h := r.Lifecycle.Handover; h != nil {
				return text(h.Organization)
			}
			return Cell{}
		}},
	{Key: "handed_over_on", Header: "Handed over", HXL: "#date +handover +done", Kind: Date, Public: true, Width: 12,
		Value: func(r Row) Cell {
			if h := r.Lifecycle.Handover; h != nil {
				return when(h.Date)
			}
			return Cell{}
		}},
	{Key: "document_count", Header: "Documents", HXL: "#meta +documents +num", Kind: Int, Width: 10,
		Value: func(r Row) Cell { return figure(len(r.Attachments)) }},
	{Key: "reports", Header: "Execution reports", HXL: "#output +num +reports", Kind: Int, Public: true, Width: 10,
		Value: func(r Row) Cell { return reportedInt(r, r.Lifecycle.Reports) }},
	{Key: "sorties", Header: "Sorties", HXL: "#output +num +sorties", Kind: Int, Public: true, Width: 10,
		Value: func(r Row) Cell { return reportedInt(r, r.Lifecycle.Totals.Sorties) }},
	{Key: "flight_hours", Header: "Flight hours", HXL: "#output +num +flight_hours", Kind: Float, Decimals: 1, Public: true, Width: 10,
		Value: func(r Row) Cell { return reportedFloat(r, r.Lifecycle.Totals.FlightHours) }},
	{Key: "tonnes", Header: "Tonnes", HXL: "#output +num +tonnes", Kind: Float, Decimals: 2, Public: true, Width: 10,
		Value: func(r Row) Cell { return reportedFloat(r, r.Lifecycle.Totals.Tonnes) }},
	{Key: "passengers", Header: "Passengers", HXL: "#output +num +passengers", Kind: Int, Public: true, Width: 10,
		Value: func(r Row) Cell { return reportedInt(r, r.Lifecycle.Totals.Passengers) }},
	{Key: "medevacs", Header: "Medevacs", HXL: "#output +num +medevacs", Kind: Int, Public: true, Width: 10,
		Value: func(r Row) Cell { return reportedInt(r, r.Lifecycle.Totals.Medevacs) }},
	{Key: "people_reached", Header: "People reached", HXL: "#reached +ind", Kind: Int, Public: true, Width: 12,
		Value: func(r Row) Cell { return reportedInt(r, r.Lifecycle.Totals.PeopleReached) }},
}

// noTasking is the tasking of a request never tasked: every column blank.
var noTasking domain.Tasking

// taskingOf returns r's tasking, or a zero one when r was never tasked.
func taskingOf(r Row) *domain.Tasking {
	if r.Lifecycle.Tasking == nil {
		return &noTasking
	}
	return r.Lifecycle.Tasking
}

// reportedInt and reportedFloat return a total of r's execution reports
// as a figure (0 is a figure once something is reported), or blank
// before any report.
func reportedInt(r Row, n int) Cell {
	if r.Lifecycle.Reports == 0 {
		return blank
	}
	return figure(n)
}

func reportedFloat(r Row, f float64) Cell {
	if r.Lifecycle.Reports == 0 {
		return blank
	}
	return float(f)
}

// ChecklistColumns are the last-resort checklist's columns, derived from
// domain.Checklist: for each item a file may carry (its Guard, if any, is
// carried on domain.ChannelExport), its state as readers are told it
// (domain.ItemResult.State: met, justified, needs_justification,
// missing, blocking, awaiting_officer) and the justification written for
// a justified failure. Not public: the vetting stays with the operation.
func ChecklistColumns() []Column {
	var out []Column
	for _, it := range domain.Checklist {
		if it.Guard != "" && !domain.ChannelCarries(domain.ChannelExport, it.Guard) {
			continue
		}
		id, attr := it.ID, strings.ToLower(it.ID)
		out = append(out,
			Column{Key: attr + "_state", Header: id + " state", HXL: "#status +lastresort +" + attr, Width: 14, Labels: "checklist.state.",
				Value: func(r Row) Cell { return text(string(itemState(r, id))) }},
			Column{Key: attr + "_justification", Header: id + " justification", HXL: "#description +lastresort +justification +" + attr, Width: 40,
				Value: func(r Row) Cell {
					if itemState(r, id) != domain.StateJustified {
						return Cell{}
					}
					return text(r.Request.Checklist[id].Note)
				}})
	}
	return out
}

// itemState is item id's state in r's evaluation, "" when not evaluated.
func itemState(r Row, id string) domain.ItemState {
	for _, res := range r.Evaluation.Items {
		if res.ID == id {
			return res.State()
		}
	}
	return ""
}

// contactColumns are the point of contact: restricted.
var contactColumns = []Column{
	{Key: "contact_name", Header: "Contact", HXL: "#contact +name", Restricted: true, Width: 20,
		Value: func(r Row) Cell { return text(r.Request.POC.Name) }},
	{Key: "contact_email", Header: "Contact email", HXL: "#contact +email", Restricted: true, Width: 24,
		Value: func(r Row) Cell { return text(r.Request.POC.Email) }},
	{Key: "contact_phone", Header: "Contact phone", HXL: "#contact +phone", Restricted: true, Width: 18,
		Value: func(r Row) Cell { return text(r.Request.POC.Phone) }},
}

func decidedIf(r Row, outcome string) Cell {
	if r.Outcome != outcome {
		return Cell{}
	}
	return when(r.DecidedAt)
}

// hoursToDecision is the hours from the last submission to the decision,
// one decimal, or nil when either is missing.
func hoursToDecision(r Row) Cell {
	if r.DecidedAt.IsZero() || r.Request.SubmittedAt.IsZero() {
		return blank
	}
	h := r.DecidedAt.Sub(r.Request.SubmittedAt).Hours()
	return float(float64(int64(h*10+0.5)) / 10)
}

// Options chooses the variant of an export.
type Options struct {
	// Public keeps only the Public columns (the HDX variant).
	Public bool
	// HXLKeys keys JSON objects by normalised hashtag ("#date+reported")
	// instead of snake_case keys.
	HXLKeys bool
	// Labels adds, after each coded column, one label column per
	// language, in this order.
	Labels []Labeller
}

// Labeller gives the label of a catalogue key in one language.
type Labeller struct {
	Lang string // ISO 639-1, e.g. "fr"
	T    func(key string) string
}

// Select returns the columns o allows, in order, with the label columns
// o asks for.
func Select(o Options) []Column {
	var out []Column
	for _, c := range Columns {
		if !o.Public || c.Public && !c.Restricted {
			out = append(out, c)
		}
	}
	return withLabels(out, o.Labels)
}

// withLabels returns cols with each coded column followed by its label
// columns.
func withLabels[R any](cols []Col[R], ls []Labeller) []Col[R] {
	if len(ls) == 0 {
		return cols
	}
	out := make([]Col[R], 0, len(cols))
	for _, c := range cols {
		out = append(out, c)
		out = append(out, labelColumns(c, ls)...)
	}
	return out
}

// labelColumns returns c's label columns, one per labeller: header
// "<header> [<lang>]", key "<key>_label_<lang>", and c's hashtag without
// its code, list and vocabulary attributes, with +name and the HXL language
// attribute +i_<lang> ("#sector +cluster +code +v_ocha_clusters" →
// "#sector +cluster +name +i_fr").
func labelColumns[R any](c Col[R], ls []Labeller) []Col[R] {
	if c.Labels == "" {
		return nil
	}
	out := make([]Col[R], 0, len(ls))
	for _, l := range ls {
		value, prefix, t := c.Value, c.Labels, l.T
		out = append(out, Col[R]{
			Key:    c.Key + "_label_" + l.Lang,
			Header: c.Header + " [" + l.Lang + "]",
			HXL:    labelHXL(c.HXL, l.Lang),
			Public: c.Public, Restricted: c.Restricted, Width: c.Width + 8,
			Value: func(r R) Cell {
				v := value(r)
				if v.List == nil {
					if v.Text == "" {
						return Cell{}
					}
					return text(t(prefix + v.Text))
				}
				parts := make([]string, len(v.List))
				for i, p := range v.List {
					parts[i] = t(prefix + p)
				}
				return text(strings.Join(parts, "; "))
			},
		})
	}
	return out
}

// labelHXL is the hashtag of a label column in language lang. A list's
// labels are joined by "; " for people (a label may hold a comma), so the
// label column has no +list: tools split the code column.
func labelHXL(spec, lang string) string {
	fields := strings.Fields(spec)
	out := []string{fields[0]}
	for _, a := range fields[1:] {
		if a == "+code" || a == "+name" || a == "+list" || strings.HasPrefix(a, "+v_") {
			continue
		}
		out = append(out, a)
	}
	return strings.Join(append(out, "+name", "+i_"+lang), " ")
}
