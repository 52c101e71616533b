package export

import (
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// Row is one request as the tracker exports it: the request and what the
// row needs beyond it (the operation's country, the latest decision).
type Row struct {
	Request     domain.Request
	CountryISO3 string
	GLIDE       string
	// Outcome is the HC's latest decision ("approved", "rejected") or "";
	// DecidedAt when it was taken.
	Outcome   string
	DecidedAt time.Time
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
	Value func(R) any
}

// Column is one column of the RFA tracker.
type Column = Col[Row]

// Columns is the RFA tracker, in column order. Hashtags follow
// domain-notes §e.3: core hashtags and attributes where one fits,
// custom attributes (legal in HXL 1.1) on core hashtags next, and an x_
// extension hashtag only for priority, which no core hashtag covers
// (#severity means crisis severity). Multiple sectors are joined with
// ";". HRDDP data and HCT votes are never columns.
var Columns = []Column{
	{Key: "reference", Header: "RFA ID", HXL: "#meta +id", Public: true, Width: 16,
		Value: func(r Row) any { return r.Request.Reference }},
	{Key: "country_code", Header: "Country", HXL: "#country +code +v_iso3", Public: true, Width: 8,
		Value: func(r Row) any { return r.CountryISO3 }},
	{Key: "crisis_code", Header: "Crisis", HXL: "#crisis +code +v_glide", Public: true, Width: 20,
		Value: func(r Row) any { return r.GLIDE }},
	{Key: "title", Header: "Request title", HXL: "#activity +name", Width: 40,
		Value: func(r Row) any { return r.Request.Title }},
	{Key: "task_category", Header: "Task category", HXL: "#activity +type", Public: true, Width: 18, Labels: "task_category.",
		Value: func(r Row) any { return string(r.Request.TaskCategory) }},
	{Key: "task_description", Header: "Task description", HXL: "#description", Width: 50,
		Value: func(r Row) any { return r.Request.TaskDescription }},
	{Key: "need", Header: "Humanitarian need", HXL: "#description +need", Width: 50,
		Value: func(r Row) any { return r.Request.Need }},
	{Key: "requesting_org", Header: "Requesting org", HXL: "#org +name +requester", Public: true, Width: 24,
		Value: func(r Row) any { return r.Request.RequestingOrgName }},
	{Key: "sector_codes", Header: "Cluster code", HXL: "#sector +cluster +code +v_ocha_clusters", Public: true, Width: 14, Labels: "sector.",
		Value: func(r Row) any { return strings.Join(r.Request.Sectors, ";") }},
	{Key: "capability", Header: "Capability", HXL: "#capacity +type", Width: 30,
		Value: func(r Row) any { return r.Request.Capability }},
	{Key: "support_type", Header: "Support type", HXL: "#modality +name", Public: true, Width: 14, Labels: "support_type.",
		Value: func(r Row) any { return string(r.Request.SupportType) }},
	{Key: "priority", Header: "Priority", HXL: "#x_priority", Public: true, Width: 14, Labels: "priority.",
		Value: func(r Row) any { return string(r.Request.Priority) }},
	{Key: "people_targeted", Header: "People targeted", HXL: "#targeted +ind", Kind: Int, Public: true, Width: 12,
		Value: func(r Row) any { return r.Request.PeopleTargeted }},
	{Key: "origin_name", Header: "From", HXL: "#loc +name +origin", Width: 24,
		Value: func(r Row) any { return r.Request.Origin.Name }},
	{Key: "origin_adm1_name", Header: "From (adm1)", HXL: "#adm1 +name +origin", Width: 18,
		Value: func(r Row) any { return r.Request.Origin.Adm1Name }},
	{Key: "origin_adm1_pcode", Header: "From (adm1 p-code)", HXL: "#adm1 +code +v_pcode +origin", Public: true, Width: 12,
		Value: func(r Row) any { return r.Request.Origin.Adm1PCode }},
	{Key: "origin_lat", Header: "From latitude", HXL: "#geo +lat +origin", Kind: Float, Width: 10,
		Value: func(r Row) any { return r.Request.Origin.Lat }},
	{Key: "origin_lon", Header: "From longitude", HXL: "#geo +lon +origin", Kind: Float, Width: 10,
		Value: func(r Row) any { return r.Request.Origin.Lon }},
	{Key: "destination_name", Header: "To", HXL: "#loc +name +dest", Width: 24,
		Value: func(r Row) any { return r.Request.Destination.Name }},
	{Key: "destination_adm1_name", Header: "To (adm1)", HXL: "#adm1 +name +dest", Width: 18,
		Value: func(r Row) any { return r.Request.Destination.Adm1Name }},
	{Key: "destination_adm1_pcode", Header: "To (adm1 p-code)", HXL: "#adm1 +code +v_pcode +dest", Public: true, Width: 12,
		Value: func(r Row) any { return r.Request.Destination.Adm1PCode }},
	{Key: "destination_adm2_pcode", Header: "To (adm2 p-code)", HXL: "#adm2 +code +v_pcode +dest", Public: true, Width: 12,
		Value: func(r Row) any { return r.Request.Destination.Adm2PCode }},
	{Key: "destination_lat", Header: "To latitude", HXL: "#geo +lat +dest", Kind: Float, Width: 10,
		Value: func(r Row) any { return r.Request.Destination.Lat }},
	{Key: "destination_lon", Header: "To longitude", HXL: "#geo +lon +dest", Kind: Float, Width: 10,
		Value: func(r Row) any { return r.Request.Destination.Lon }},
	{Key: "submitted_at", Header: "Submitted", HXL: "#date +reported", Kind: DateTime, Public: true, Width: 20,
		Value: func(r Row) any { return r.Request.SubmittedAt }},
	{Key: "required_by", Header: "Required by", HXL: "#date +required", Kind: DateTime, Public: true, Width: 20,
		Value: func(r Row) any { return r.Request.RequiredBy }},
	{Key: "start_date", Header: "Start", HXL: "#date +start", Kind: Date, Public: true, Width: 12,
		Value: func(r Row) any { return r.Request.StartDate }},
	{Key: "end_date", Header: "End", HXL: "#date +end", Kind: Date, Public: true, Width: 12,
		Value: func(r Row) any { return r.Request.EndDate }},
	{Key: "status", Header: "Status", HXL: "#status +name", Public: true, Width: 16, Labels: "status.",
		Value: func(r Row) any { return string(r.Request.Status) }},
	{Key: "decision", Header: "Decision", HXL: "#status +decision", Public: true, Width: 12, Labels: "decision.",
		Value: func(r Row) any { return r.Outcome }},
	{Key: "approved_at", Header: "Approved", HXL: "#date +approved", Kind: DateTime, Public: true, Width: 20,
		Value: func(r Row) any { return decidedIf(r, "approved") }},
	{Key: "rejected_at", Header: "Rejected", HXL: "#date +rejected", Kind: DateTime, Public: true, Width: 20,
		Value: func(r Row) any { return decidedIf(r, "rejected") }},
	{Key: "hours_to_decision", Header: "Hours to decision", HXL: "#indicator +num +hours_to_decision", Kind: Float, Public: true, Width: 10,
		Value: hoursToDecision},
	{Key: "handover_org", Header: "Hand-over to", HXL: "#org +name +handover", Width: 24,
		Value: func(r Row) any { return r.Request.ExitStrategy.Organization }},
	{Key: "handover_date", Header: "Hand-over date", HXL: "#date +handover", Kind: Date, Public: true, Width: 12,
		Value: func(r Row) any { return r.Request.ExitStrategy.Date }},
	{Key: "contact_name", Header: "Contact", HXL: "#contact +name", Restricted: true, Width: 20,
		Value: func(r Row) any { return r.Request.POC.Name }},
	{Key: "contact_email", Header: "Contact email", HXL: "#contact +email", Restricted: true, Width: 24,
		Value: func(r Row) any { return r.Request.POC.Email }},
	{Key: "contact_phone", Header: "Contact phone", HXL: "#contact +phone", Restricted: true, Width: 18,
		Value: func(r Row) any { return r.Request.POC.Phone }},
}

func decidedIf(r Row, outcome string) time.Time {
	if r.Outcome != outcome {
		return time.Time{}
	}
	return r.DecidedAt
}

// hoursToDecision is the hours from the last submission to the decision,
// one decimal, or nil when either is missing.
func hoursToDecision(r Row) any {
	if r.DecidedAt.IsZero() || r.Request.SubmittedAt.IsZero() {
		return (*float64)(nil)
	}
	h := r.DecidedAt.Sub(r.Request.SubmittedAt).Hours()
	h = float64(int64(h*10+0.5)) / 10
	return &h
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
// its code and vocabulary attributes, with +name and the HXL language
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
			Value: func(r R) any {
				code, _ := value(r).(string)
				if code == "" {
					return ""
				}
				parts := strings.Split(code, ";")
				for i, p := range parts {
					parts[i] = t(prefix + p)
				}
				return strings.Join(parts, "; ")
			},
		})
	}
	return out
}

// labelHXL is the hashtag of a label column in language lang.
func labelHXL(spec, lang string) string {
	fields := strings.Fields(spec)
	out := []string{fields[0]}
	for _, a := range fields[1:] {
		if a == "+code" || a == "+name" || strings.HasPrefix(a, "+v_") {
			continue
		}
		out = append(out, a)
	}
	return strings.Join(append(out, "+name", "+i_"+lang), " ")
}
