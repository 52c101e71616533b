package export

import (
	"io"
	"time"

	"github.com/xuri/excelize/v2"
)

// sheetRequests is the XLSX sheet of the RFA tracker.
const sheetRequests = "requests"

// XLSXWriter writes the RFA tracker as an XLSX workbook with excelize's
// stream writer, which spills rows to a temporary file past a small
// buffer, so the workbook is never held in memory. Sheet "requests" has
// the English header row, the HXL row under it, both frozen, a width per
// column and dates as real spreadsheet dates (UTC). Text cells are typed
// as strings, never formulas, so they need no formula guard.
type XLSXWriter struct {
	w      io.Writer
	f      *excelize.File
	sw     *excelize.StreamWriter
	cols   []Column
	row    int
	vals   []any
	date   int // style IDs
	dateTm int
}

// NewXLSXWriter starts a workbook that Close writes to w.
func NewXLSXWriter(w io.Writer, o Options) (*XLSXWriter, error) {
	f := excelize.NewFile()
	x := &XLSXWriter{w: w, f: f, cols: Select(o)}
	fail := func(err error) (*XLSXWriter, error) {
		f.Close()
		return nil, err
	}
	if err := f.SetSheetName("Sheet1", sheetRequests); err != nil {
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
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fail(err)
	}
	if x.sw, err = f.NewStreamWriter(sheetRequests); err != nil {
		return fail(err)
	}
	// Widths and panes must come before the first row.
	for i, c := range x.cols {
		if err := x.sw.SetColWidth(i+1, i+1, c.Width); err != nil {
			return fail(err)
		}
	}
	if err := x.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
		return fail(err)
	}
	header, hxl := make([]any, len(x.cols)), make([]any, len(x.cols))
	for i, c := range x.cols {
		header[i] = excelize.Cell{StyleID: bold, Value: c.Header}
		hxl[i] = c.HXL
	}
	if err := x.sw.SetRow("A1", header); err != nil {
		return fail(err)
	}
	if err := x.sw.SetRow("A2", hxl); err != nil {
		return fail(err)
	}
	x.row = 2
	x.vals = make([]any, len(x.cols))
	return x, nil
}

// Write appends one row.
func (x *XLSXWriter) Write(row Row) error {
	for i, c := range x.cols {
		var v any
		switch t := c.Value(row).(type) {
		case string:
			if t != "" {
				v = t
			}
		case int:
			if t != 0 {
				v = t
			}
		case *float64:
			if t != nil {
				v = *t
			}
		case time.Time:
			if !t.IsZero() {
				style := x.dateTm
				if c.Kind == Date {
					style = x.date
				}
				v = excelize.Cell{StyleID: style, Value: t.UTC()}
			}
		}
		x.vals[i] = v
	}
	x.row++
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, x.vals)
}

// Close finishes the sheet and writes the workbook to w.
func (x *XLSXWriter) Close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	_, err := x.f.WriteTo(x.w)
	return err
}
