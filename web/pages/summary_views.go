package pages

import "github.com/cmcoord/cmcoord/web/components"

// ---- Operation summary ----

// SummaryView is an operation's summary over a period: the period form,
// the key figures and one bar chart (with its table) per breakdown.
type SummaryView struct {
	Shell        components.Shell
	Code         string
	Name         string
	OperationURL string
	// Period is the GET form; PeriodText says the period in words.
	Action     string
	From       components.Field
	To         components.Field
	PeriodText string
	AsOfText   string
	Errors     []components.FormError
	Figures    []SummaryFigure
	Charts     []SummaryChart
	// Export is the download form, nil for roles that may not export.
	Export *SummaryExport
}

// SummaryFigure is one key figure: a translated label, its value and,
// for a share, the counts it is made of.
type SummaryFigure struct {
	ID     string // data-testid suffix
	Label  string
	Value  string
	Detail string
}

// SummaryChart is a horizontal bar chart drawn as inline SVG, with the
// same numbers in a table. Geometry is computed by the handler, so the
// template only places it.
type SummaryChart struct {
	ID      string
	Title   string
	Desc    string // text alternative: every bar in words
	Empty   string // shown instead of the chart when there are no bars
	ViewBox string
	Height  string
	Columns []string // table headers: label first, then the numbers
	Bars    []SummaryBar
}

// SummaryBar is one bar and its table row.
type SummaryBar struct {
	Label  string
	Short  string   // Label shortened to fit the chart; the table has it whole
	Values []string // the table's number cells; Values[0] is drawn
	// Coordinates: in a right-to-left page the chart is mirrored (bars
	// grow from the right edge; SVG text inherits the page's direction, so
	// "start" is the right end of a label).
	LabelX string
	LabelY string
	BarX   string
	BarY   string
	Width  string
	TextX  string
	TextY  string
}

// ReportLinks are the operation's report pages a member may open, for
// the operation page and the request list: each URL is "" when the
// member's roles do not allow it.
type ReportLinks struct {
	SummaryURL string
	ExportURL  string
}

// SummaryExport is the summary page's download form: a plain GET form
// whose buttons each submit it to one format's export URL, filters
// prefilled with the summary's period.
type SummaryExport struct {
	Action    string // the default format's URL (Enter in a field)
	Formats   []ExportFormat
	Status    RoleChecks
	Sector    components.Field
	Priority  components.Field
	DateField components.Field
	From      components.Field
	To        components.Field
	Public    components.Field
	HXL       components.Field
	Labels    RoleChecks // a label column per language ticked
}

// ExportFormat is one download button.
type ExportFormat struct {
	Code  string // csv, xlsx, json: data-testid suffix
	Label string // translated
	URL   string
}
