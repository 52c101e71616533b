package export

import (
	"archive/zip"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Sheet names of the XLSX workbook.
const (
	SheetRequests = "requests"
	SheetReviews  = "reviews"
	SheetVotes    = "votes"
	SheetEvents   = "events"
)

// XLSXWriter writes the RFA tracker as an XLSX workbook with excelize's
// stream writer, which spills rows to a temporary file past a small
// buffer, so the workbook is never held in memory. Sheet "requests" has
// the English header row, the HXL row under it, both frozen, a width per
// column and dates as real spreadsheet dates (UTC); further sheets
// (AddTable) are written the same way, one after the other. Text cells
// are typed as strings, never formulas, so they need no formula guard.
type XLSXWriter struct {
	w        io.Writer
	f        *excelize.File
	labels   []Labeller
	requests *Table[Row]
	flush    func() error // ends the sheet being written
	bold     int          // style IDs
	date     int
	dateTm   int
	decimals map[int]int // number style by Col.Decimals (1, 2)
}

// NewXLSXWriter starts a workbook that Close writes to w.
func NewXLSXWriter(w io.Writer, o Options) (*XLSXWriter, error) {
	f := excelize.NewFile()
	x := &XLSXWriter{w: w, f: f, labels: o.Labels}
	fail := func(err error) (*XLSXWriter, error) {
		f.Close()
		return nil, err
	}
	if err := f.SetSheetName("Sheet1", SheetRequests); err != nil {
		return fail(err)
	}
	dateFmt, dateTimeFmt := "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
	var err error
	if x.date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err != nil {
		return fail(err)
	}
	if x.dateTm, err = f.NewStyle(&excelize.Style{CustomNumFmt: &dateTimeFmt}); err != nil {
		return fail(err)
	}
	if x.bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return fail(err)
	}
	x.decimals = map[int]int{}
	for n, format := range map[int]string{1: "0.0", 2: "0.00"} {
		if x.decimals[n], err = f.NewStyle(&excelize.Style{CustomNumFmt: &format}); err != nil {
			return fail(err)
		}
	}
	if x.requests, err = newTable(x, SheetRequests, Select(o)); err != nil {
		return fail(err)
	}
	return x, nil
}

// Write appends one row to the requests sheet; it must come before any
// AddTable.
func (x *XLSXWriter) Write(row Row) error { return x.requests.Write(row) }

// Table is one further sheet being written.
type Table[R any] struct {
	x    *XLSXWriter
	sw   *excelize.StreamWriter
	cols []Col[R]
	row  int
	vals []any
}

// AddTable ends the sheet being written and starts sheet name with
// cols (and their label columns): the two header rows, frozen, and the
// widths.
func AddTable[R any](x *XLSXWriter, name string, cols []Col[R]) (*Table[R], error) {
	if _, err := x.f.NewSheet(name); err != nil {
		return nil, err
	}
	return newTable(x, name, withLabels(cols, x.labels))
}

func newTable[R any](x *XLSXWriter, name string, cols []Col[R]) (*Table[R], error) {
	if x.flush != nil {
		if err := x.flush(); err != nil {
			return nil, err
		}
		x.flush = nil
	}
	sw, err := x.f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	t := &Table[R]{x: x, sw: sw, cols: cols, row: 2, vals: make([]any, len(cols))}
	// Widths and panes must come before the first row.
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, c.Width); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	header, hxl := make([]any, len(cols)), make([]any, len(cols))
	for i, c := range cols {
		header[i] = excelize.Cell{StyleID: x.bold, Value: c.Header}
		hxl[i] = c.HXL
	}
	if err := sw.SetRow("A1", header); err != nil {
		return nil, err
	}
	if err := sw.SetRow("A2", hxl); err != nil {
		return nil, err
	}
	x.flush = sw.Flush
	return t, nil
}

// Write appends one row.
func (t *Table[R]) Write(row R) error {
	for i, c := range t.cols {
		var v any
		val := c.Value(row)
		switch c.Kind {
		case Text:
			if val.Text != "" {
				v = val.Text
			}
		case Int:
			if val.Num {
				v = val.Int
			}
		case Float:
			if val.Num {
				v = val.Float
				if style, ok := t.x.decimals[c.Decimals]; ok {
					v = excelize.Cell{StyleID: style, Value: val.Float}
				}
			}
		case List:
			if len(val.List) > 0 {
				v = strings.Join(val.List, ", ")
			}
		case Date, DateTime:
			if !val.Time.IsZero() {
				style := t.x.dateTm
				if c.Kind == Date {
					style = t.x.date
				}
				v = excelize.Cell{StyleID: style, Value: val.Time.UTC()}
			}
		}
		t.vals[i] = v
	}
	t.row++
	cell, err := excelize.CoordinatesToCellName(1, t.row)
	if err != nil {
		return err
	}
	return t.sw.SetRow(cell, t.vals)
}

// Close ends the last sheet and writes the workbook to w, zipping
// straight into w: excelize's WriteTo would first build the whole file in
// a bytes.Buffer (memory growing with the export). Its zip writer hook
// gets w instead, so the buffer it returns stays empty. (The one step
// that needs the buffer marks ZIP64 entries, over 4 GiB uncompressed per
// sheet: far beyond any operation's export.)
func (x *XLSXWriter) Close() error {
	defer x.f.Close()
	if x.flush != nil {
		if err := x.flush(); err != nil {
			return err
		}
		x.flush = nil
	}
	x.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(x.w) })
	buf, err := x.f.WriteToBuffer()
	if err == nil && buf.Len() > 0 {
		err = fmt.Errorf("xlsx: %d bytes left in excelize's buffer", buf.Len())
	}
	return err
}
