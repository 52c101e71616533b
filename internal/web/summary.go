package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// The operation summary: figures and SVG bar charts over a period. The
// Summary service decides who may see it and computes every figure.

func (s *Server) handleSummary(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	if s.summary == nil {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	a, ctx, q := actor(r), r.Context(), r.URL.Query()
	for _, k := range []string{"from", "to"} {
		if !validText(q.Get(k)) {
			return domain.Errorf(domain.CodeMalformed, "error.malformed")
		}
	}
	// A bad period in a hand-edited URL shows the default period with
	// the problem at the form, rather than an error page.
	from, to, fieldErr := service.ParseSummaryRange(q.Get("from"), q.Get("to"))
	sum, err := s.summary.Summary(ctx, a, code, from, to)
	if domain.ErrorCode(err) == domain.CodeInvalid {
		fieldErr = joinInvalid(fieldErr, err)
		sum, err = s.summary.Summary(ctx, a, code, time.Time{}, time.Time{})
	}
	if err != nil {
		return err
	}
	op := sum.Operation
	fm := &form{ctx: ctx, values: q, errs: map[string]string{}}
	if de := (*domain.Error)(nil); errors.As(fieldErr, &de) {
		for field, key := range de.Fields {
			fm.errs[field] = i18n.T(ctx, key)
		}
	} else {
		q.Set("from", sum.From.Format(time.DateOnly))
		q.Set("to", sum.To.Format(time.DateOnly))
	}
	v := pages.SummaryView{
		Shell: s.shell(w, r, i18n.T(ctx, "summary.title", "Code", op.Code)),
		Code:  op.Code, Name: op.Name, OperationURL: "/operations/" + op.Code,
		Action: "/operations/" + op.Code + "/summary",
		From:   fm.field("from", "summary.from", "date", false),
		To:     fm.field("to", "summary.to", "date", false),
		PeriodText: i18n.T(ctx, "summary.period", "From", displayDate(ctx, sum.From),
			"To", displayDate(ctx, sum.To)),
		AsOfText: i18n.T(ctx, "summary.as_of", "Time", displayTime(ctx, sum.AsOf)),
		Errors:   fm.summary(),
	}
	v.From.Quiet, v.To.Quiet = true, true
	v.Figures = s.summaryFigures(ctx, sum)
	v.Charts = s.summaryCharts(ctx, sum)
	if s.mayExport(a, op.ID) {
		v.Export = summaryExport(ctx, op.Code, sum.From, sum.To, s.languages)
	}
	return s.render(w, r, http.StatusOK, pages.Summary(v))
}

// summaryFigures lists the key figures, each in words.
func (s *Server) summaryFigures(ctx context.Context, sum service.OperationSummary) []pages.SummaryFigure {
	none := i18n.T(ctx, "summary.none")
	hours := func(h *float64) string {
		if h == nil {
			return none
		}
		return i18n.T(ctx, "summary.hours_value", "Hours", i18n.FromContext(ctx).Decimal(*h, 1))
	}
	share := func(id, label string, r *float64, n, of int) pages.SummaryFigure {
		f := pages.SummaryFigure{ID: id, Label: i18n.T(ctx, label), Value: none}
		if r != nil {
			f.Value = i18n.T(ctx, "summary.percent", "Percent", i18n.FromContext(ctx).Number(int(math.Round(*r*100))))
			f.Detail = i18n.T(ctx, "summary.n_of", "N", i18n.FromContext(ctx).Number(n), "Of", i18n.FromContext(ctx).Number(of))
		}
		return f
	}
	count := func(id, label string, n int) pages.SummaryFigure {
		return pages.SummaryFigure{ID: id, Label: i18n.T(ctx, label), Value: i18n.FromContext(ctx).Number(n)}
	}
	return []pages.SummaryFigure{
		count("submitted", "summary.submitted", sum.Submitted),
		count("decided", "summary.decided", sum.Decided),
		{ID: "median_hours", Label: i18n.T(ctx, "summary.median_hours"), Value: hours(sum.MedianHours)},
		{ID: "p90_hours", Label: i18n.T(ctx, "summary.p90_hours"), Value: hours(sum.P90Hours)},
		share("before_required_by", "summary.before_required_by", sum.ShareBeforeRequiredBy, sum.BeforeRequiredBy, sum.WithRequiredBy),
		share("redirected", "summary.redirected", sum.ShareRedirected, sum.Redirected, sum.Submitted),
		share("approval_rate", "summary.approval_rate", sum.ApprovalRate, sum.Approved, sum.Approved+sum.Rejected),
		count("ending_soon", "summary.ending_soon", sum.EndingSoon),
		count("open_too_long", "summary.open_too_long", sum.OpenTooLong),
	}
}

// summaryCharts builds one chart per breakdown.
func (s *Server) summaryCharts(ctx context.Context, sum service.OperationSummary) []pages.SummaryChart {
	label := func(prefix string) func(string) string {
		return func(code string) string {
			switch {
			case code == "":
				return i18n.T(ctx, "summary.not_set")
			case s.catalog != nil && s.catalog.Has(prefix+code):
				return i18n.T(ctx, prefix+code)
			}
			return code
		}
	}
	countChart := func(id, title, prefix string, counts []domain.SummaryCount) pages.SummaryChart {
		rows := make([]chartRow, len(counts))
		for i, c := range counts {
			rows[i] = chartRow{label: label(prefix)(c.Code), n: c.Count, values: []string{i18n.FromContext(ctx).Number(c.Count)}}
		}
		return barChart(ctx, id, i18n.T(ctx, title), []string{i18n.T(ctx, "summary.category"), i18n.T(ctx, "summary.requests")}, rows)
	}
	charts := []pages.SummaryChart{
		countChart("status", "summary.by_status", "status.", sum.ByStatus),
		countChart("sector", "summary.by_sector", "sector.", sum.BySector),
		countChart("task_category", "summary.by_task_category", "task_category.", sum.ByTaskCategory),
		countChart("support_type", "summary.by_support_type", "support_type.", sum.BySupportType),
		countChart("priority", "summary.by_priority", "priority.", sum.ByPriority),
	}
	rows := make([]chartRow, len(sum.MCDA))
	for i, u := range sum.MCDA {
		rows[i] = chartRow{label: u.ProviderISO3 + " · " + u.AssetType, n: u.Taskings,
			values: []string{i18n.FromContext(ctx).Number(u.Taskings), i18n.FromContext(ctx).Number(u.Assets)}}
	}
	charts = append(charts, barChart(ctx, "mcda", i18n.T(ctx, "summary.mcda"),
		[]string{i18n.T(ctx, "summary.provider_asset"), i18n.T(ctx, "summary.taskings"), i18n.T(ctx, "summary.assets")}, rows))
	return charts
}

// chartRow is one bar before layout: n is drawn, values fill the table.
type chartRow struct {
	label  string
	n      int
	values []string
}

// Bar chart geometry, in SVG user units: each bar has its label on a line
// above it, so long labels fit a 360 px phone; the value follows the bar.
const (
	chartWidth    = 320
	chartBarMax   = 260 // room for the value after the longest bar
	chartRowPitch = 38
	chartLabelMax = 48 // runes of a label drawn in the chart
)

// shorten cuts s to at most n runes, marking the cut with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// barChart lays rows out as horizontal bars scaled to the largest value.
func barChart(ctx context.Context, id, title string, columns []string, rows []chartRow) pages.SummaryChart {
	c := pages.SummaryChart{ID: id, Title: title, Columns: columns, Empty: i18n.T(ctx, "summary.no_data")}
	maxN := 0
	for _, r := range rows {
		maxN = max(maxN, r.n)
	}
	height := len(rows)*chartRowPitch + 4
	c.ViewBox = fmt.Sprintf("0 0 %d %d", chartWidth, height)
	c.Height = strconv.Itoa(height)
	var desc []string
	rtl := i18n.FromContext(ctx).Dir() == "rtl"
	for i, r := range rows {
		y := i * chartRowPitch
		w := 0
		if maxN > 0 {
			w = int(math.Round(float64(r.n) * chartBarMax / float64(maxN)))
		}
		w = max(w, 1) // a zero still shows as a hairline beside its 0
		b := pages.SummaryBar{
			Label: r.label, Short: shorten(r.label, chartLabelMax), Values: r.values,
			LabelX: "0", LabelY: strconv.Itoa(y + 13), BarX: "0", BarY: strconv.Itoa(y + 18), Width: strconv.Itoa(w),
			TextX: strconv.Itoa(w + 6), TextY: strconv.Itoa(y + 30),
		}
		if rtl { // mirrored: from the right edge
			b.LabelX, b.BarX, b.TextX = strconv.Itoa(chartWidth), strconv.Itoa(chartWidth-w), strconv.Itoa(chartWidth-w-6)
		}
		c.Bars = append(c.Bars, b)
		desc = append(desc, r.label+": "+i18n.FromContext(ctx).Number(r.n))
	}
	c.Desc = i18n.T(ctx, "summary.chart_desc", "Title", title, "Items", strings.Join(desc, "; "))
	return c
}

// mayExport reports whether a may download operation opID's requests:
// the rule service.Exports applies (domain.ActionExportRequests).
func (s *Server) mayExport(a domain.Actor, opID int64) bool {
	return s.exports != nil && domain.Allowed(a, domain.ActionExportRequests, domain.InOperation(opID))
}

// reportLinks are the summary and export links a's roles in op allow;
// the export link opens the summary's download form.
func (s *Server) reportLinks(a domain.Actor, op domain.Operation) pages.ReportLinks {
	var l pages.ReportLinks
	if s.summary == nil || !domain.Allowed(a, domain.ActionViewSummary, domain.InOperation(op.ID)) {
		return l
	}
	l.SummaryURL = "/operations/" + op.Code + "/summary"
	if s.mayExport(a, op.ID) {
		l.ExportURL = l.SummaryURL + "#export"
	}
	return l
}

// summaryExport is the download form of operation code, its dates
// prefilled with the summary's period (on the submission date, as the
// summary counts). Input names are the export query's
// (httpface.ParseExportQuery); ids are prefixed so they differ from the
// period form's.
func summaryExport(ctx context.Context, code string, from, to time.Time, languages []components.Language) *pages.SummaryExport {
	base := "/operations/" + code + "/exports/requests."
	e := &pages.SummaryExport{Action: base + service.FormatCSV}
	for _, f := range []struct{ code, label string }{
		{service.FormatCSV, "reports.download_csv"},
		{service.FormatXLSX, "reports.download_xlsx"},
		{service.FormatJSON, "reports.download_json"},
	} {
		e.Formats = append(e.Formats, pages.ExportFormat{Code: f.code, Label: i18n.T(ctx, f.label), URL: base + f.code})
	}
	field := func(name, labelKey, typ string) components.Field {
		return components.Field{ID: "export-" + name, Name: name, Label: i18n.T(ctx, labelKey), Type: typ, Quiet: true}
	}
	choice := func(name, labelKey string, opts []components.Option, selected string) components.Field {
		f := field(name, labelKey, "select")
		opts[0].Label = i18n.T(ctx, "reports.any")
		for i := range opts {
			opts[i].Selected = opts[i].Value == selected
		}
		f.Options = opts
		return f
	}
	e.Status = pages.RoleChecks{Name: "status", ID: "export-status", Legend: i18n.T(ctx, "reports.statuses")}
	for _, st := range domain.Statuses() {
		e.Status.Options = append(e.Status.Options, pages.RoleCheck{ID: "export-status-" + string(st),
			Value: string(st), Label: i18n.T(ctx, "status."+string(st))})
	}
	e.Sector = choice("sector", "request.sector", sectorOptions(ctx), "")
	e.Priority = choice("priority", "request.priority", codeOptions(ctx, "priority.", domain.Priorities), "")
	e.DateField = field("date_field", "reports.date_field", "select")
	for _, d := range []string{"submitted", "created"} {
		e.DateField.Options = append(e.DateField.Options, components.Option{Value: d,
			Label: i18n.T(ctx, "reports.date_field."+d), Selected: d == "submitted"})
	}
	e.From, e.To = field("from", "summary.from", "date"), field("to", "summary.to", "date")
	e.From.Value, e.To.Value = from.Format(time.DateOnly), to.Format(time.DateOnly)
	e.Public = field("public", "reports.public", "checkbox")
	e.Public.Hint = i18n.T(ctx, "reports.public_hint")
	e.HXL = field("hxl", "reports.hxl", "checkbox")
	e.HXL.Hint = i18n.T(ctx, "reports.hxl_hint")
	e.Labels = pages.RoleChecks{Name: "labels", ID: "export-labels", Legend: i18n.T(ctx, "reports.labels")}
	for _, l := range languages {
		e.Labels.Options = append(e.Labels.Options, pages.RoleCheck{ID: "export-labels-" + l.Code, Value: l.Code, Label: l.Name})
	}
	return e
}
