package export

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Writer writes an export one row at a time: Write per row, then Close,
// which ends the document and flushes. Nothing is held beyond a buffer.
type Writer interface {
	Write(Row) error
	Close() error
}

// format returns column c's value in row as text: ISO 8601 dates (UTC),
// plain decimal numbers, blank for zero dates, nil coordinates and a 0
// count.
func format[R any](c Col[R], row R) string {
	switch v := c.Value(row).(type) {
	case string:
		return v
	case int:
		if v == 0 {
			return ""
		}
		return strconv.Itoa(v)
	case *int: // a count where 0 is a figure, nil blank
		if v == nil {
			return ""
		}
		return strconv.Itoa(*v)
	case *float64:
		if v == nil {
			return ""
		}
		prec := -1
		if c.Decimals > 0 {
			prec = c.Decimals
		}
		return strconv.FormatFloat(*v, 'f', prec, 64)
	case []string:
		return strings.Join(v, ", ")
	case time.Time:
		if v.IsZero() {
			return ""
		}
		if c.Kind == Date {
			return v.UTC().Format(time.DateOnly)
		}
		return v.UTC().Format(time.RFC3339)
	}
	return ""
}

// guard defuses formula injection (CWE-1236, OWASP "CSV injection"): a
// cell a spreadsheet would read as a formula (leading = + - @, their
// full-width forms ＝ ＋ － ＠, which some spreadsheets fold to ASCII, tab
// or carriage return) is prefixed with a single quote. A phone number
// (phoneRe: + then digits, spaces and separators, no letters, so no
// function can be called) is left intact. Numbers and dates written by
// format never start so, except a negative coordinate, which is a number
// and left alone.
func guard(k Kind, s string) string {
	if s == "" || k != Text {
		return s
	}
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case '+':
		if phoneRe.MatchString(s) {
			return s
		}
		return "'" + s
	case '=', '-', '@', '\t', '\r', '＝', '＋', '－', '＠':
		return "'" + s
	}
	return s
}

// phoneRe is a phone number in international form: a leading + and
// digits with spaces, dots, dashes, slashes and parentheses.
var phoneRe = regexp.MustCompile(`^\+[0-9][0-9 ./()-]*$`)

// CSVWriter writes the RFA tracker as CSV: the English header row, the
// HXL hashtag row right under it, then one row per request (UTF-8,
// RFC 4180 quoting, CRLF line ends).
type CSVWriter struct {
	cols []Column
	cw   *csv.Writer
	rec  []string
}

// NewCSVWriter writes the two header rows of the columns o selects to w
// and returns the writer of the data rows.
func NewCSVWriter(w io.Writer, o Options) (*CSVWriter, error) {
	cols := Select(o)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	x := &CSVWriter{cols: cols, cw: cw, rec: make([]string, len(cols))}
	for i, c := range cols {
		x.rec[i] = c.Header
	}
	if err := cw.Write(x.rec); err != nil {
		return nil, err
	}
	for i, c := range cols {
		x.rec[i] = c.HXL
	}
	if err := cw.Write(x.rec); err != nil {
		return nil, err
	}
	return x, nil
}

// Write writes one data row.
func (x *CSVWriter) Write(row Row) error {
	for i, c := range x.cols {
		x.rec[i] = guard(c.Kind, format(c, row))
	}
	return x.cw.Write(x.rec)
}

// Close flushes what is buffered.
func (x *CSVWriter) Close() error {
	x.cw.Flush()
	return x.cw.Error()
}

// NormalizeHXL returns hashtag spec as HXL JSON keys want it: lower case,
// no spaces, attributes in US-ASCII alphabetical order
// ("#date +reported" → "#date+reported").
func NormalizeHXL(spec string) string {
	parts := strings.Split(strings.ReplaceAll(strings.ToLower(spec), " ", ""), "+")
	attrs := parts[1:]
	slices.Sort(attrs)
	if len(attrs) == 0 {
		return parts[0]
	}
	return parts[0] + "+" + strings.Join(attrs, "+")
}

// JSONWriter writes the RFA tracker as a JSON array of objects, one per
// request, streamed: keys are the columns' snake_case keys, or their
// normalised hashtags with Options.HXLKeys. Numbers are JSON numbers,
// dates ISO 8601 strings, blanks null.
type JSONWriter struct {
	cols []Column
	keys [][]byte // each column's key, JSON-encoded with its colon
	bw   *bufio.Writer
	n    int
}

// NewJSONWriter starts the array on w.
func NewJSONWriter(w io.Writer, o Options) (*JSONWriter, error) {
	cols := Select(o)
	x := &JSONWriter{cols: cols, keys: make([][]byte, len(cols)), bw: bufio.NewWriterSize(w, 32<<10)}
	for i, c := range cols {
		k := c.Key
		if o.HXLKeys {
			k = NormalizeHXL(c.HXL)
		}
		b, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		x.keys[i] = append(b, ':')
	}
	_, err := x.bw.WriteString("[")
	return x, err
}

// Write writes one object.
func (x *JSONWriter) Write(row Row) error {
	if x.n > 0 {
		x.bw.WriteString(",")
	}
	x.n++
	x.bw.WriteString("\n{")
	for i, c := range x.cols {
		if i > 0 {
			x.bw.WriteByte(',')
		}
		x.bw.Write(x.keys[i])
		s := format(c, row)
		var err error
		switch {
		case c.Kind == List:
			var b []byte
			list, _ := c.Value(row).([]string)
			if list == nil {
				list = []string{}
			}
			if b, err = json.Marshal(list); err == nil {
				_, err = x.bw.Write(b)
			}
		case s == "":
			_, err = x.bw.WriteString("null")
		case c.Kind == Int || c.Kind == Float:
			_, err = x.bw.WriteString(s)
		default:
			var b []byte
			if b, err = json.Marshal(s); err == nil {
				_, err = x.bw.Write(b)
			}
		}
		if err != nil {
			return err
		}
	}
	_, err := x.bw.WriteString("}")
	return err
}

// Close ends the array and flushes.
func (x *JSONWriter) Close() error {
	if x.n > 0 {
		x.bw.WriteString("\n")
	}
	if _, err := x.bw.WriteString("]\n"); err != nil {
		return err
	}
	return x.bw.Flush()
}
