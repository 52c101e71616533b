package export

import (
	"bufio"
	"encoding/json"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// Writer writes an export one row at a time: Write per row, then Close,
// which ends the document and flushes. Nothing is held beyond a buffer.
type Writer interface {
	Write(Row) error
	Close() error
}

// Cell is a column's value in one row, typed by the column's Kind, so
// that no value is boxed in an interface on its way to a file: Text for
// Text (and a coded column's code), List for List, Time for Date and
// DateTime (zero is blank), Int for Int and Float for Float when Num says
// there is a figure (no figure is blank). The zero Cell is blank in
// every kind.
type Cell struct {
	Text  string
	List  []string
	Time  time.Time
	Float float64
	Int   int
	Num   bool
}

// blank is a figure column's blank.
var blank Cell

// text is a Text cell.
func text(s string) Cell { return Cell{Text: s} }

// list is a List cell.
func list(l []string) Cell { return Cell{List: l} }

// when is a Date or DateTime cell; the zero time is blank.
func when(t time.Time) Cell { return Cell{Time: t} }

// count is an Int cell where 0 is blank (no count).
func count(n int) Cell { return Cell{Int: n, Num: n != 0} }

// figure is an Int cell where 0 is a figure.
func figure(n int) Cell { return Cell{Int: n, Num: true} }

// float is a Float cell.
func float(f float64) Cell { return Cell{Float: f, Num: true} }

// floatPtr is a Float cell, blank when f is nil.
func floatPtr(f *float64) Cell {
	if f == nil {
		return blank
	}
	return float(*f)
}

// appendFormat appends column c's value v as text to dst: ISO 8601
// dates (UTC), plain decimal numbers, a list's values joined by ", ",
// nothing for a blank. It never boxes v nor allocates beyond dst.
func appendFormat[R any](dst []byte, c *Col[R], v *Cell) []byte {
	switch c.Kind {
	case Text:
		return append(dst, v.Text...)
	case Int:
		if !v.Num {
			return dst
		}
		return strconv.AppendInt(dst, int64(v.Int), 10)
	case Float:
		if !v.Num {
			return dst
		}
		prec := -1
		if c.Decimals > 0 {
			prec = c.Decimals
		}
		return strconv.AppendFloat(dst, v.Float, 'f', prec, 64)
	case List:
		for i, s := range v.List {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = append(dst, s...)
		}
		return dst
	case Date, DateTime:
		if v.Time.IsZero() {
			return dst
		}
		if c.Kind == Date {
			return v.Time.UTC().AppendFormat(dst, time.DateOnly)
		}
		return v.Time.UTC().AppendFormat(dst, time.RFC3339)
	}
	return dst
}

// needsGuard reports whether a spreadsheet would read text cell s as a
// formula (CWE-1236, OWASP "CSV injection"): a leading = + - @, their
// full-width forms ＝ ＋ － ＠ (which some spreadsheets fold to ASCII), tab
// or carriage return. The writers defuse such a cell with a leading
// single quote. A phone number
// (phoneRe: + then digits, spaces and separators, no letters, so no
// function can be called) is left intact. Numbers and dates written by
// format never start so, except a negative coordinate, which is a number
// and left alone.
func needsGuard(s string) bool {
	if s == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case '+':
		return !phoneRe.MatchString(s)
	case '=', '-', '@', '\t', '\r', '＝', '＋', '－', '＠':
		return true
	}
	return false
}

// phoneRe is a phone number in international form: a leading + and
// digits with spaces, dots, dashes, slashes and parentheses.
var phoneRe = regexp.MustCompile(`^\+[0-9][0-9 ./()-]*$`)

// CSVWriter writes the RFA tracker as CSV: the English header row, the
// HXL hashtag row right under it, then one row per request (UTF-8,
// RFC 4180 quoting, CRLF line ends), byte for byte what encoding/csv
// writes with UseCRLF. Each row is formatted into one reused buffer,
// cell by cell from typed values (Cell), without a string per cell.
type CSVWriter struct {
	cols []Column
	bw   *bufio.Writer
	line []byte // the row being formatted
	cell []byte // the cell being formatted
}

// NewCSVWriter writes the two header rows of the columns o selects to w
// and returns the writer of the data rows.
func NewCSVWriter(w io.Writer, o Options) (*CSVWriter, error) {
	cols := Select(o)
	x := &CSVWriter{cols: cols, bw: bufio.NewWriterSize(w, 32<<10)}
	for _, field := range []func(Column) string{
		func(c Column) string { return c.Header },
		func(c Column) string { return c.HXL },
	} {
		x.line = x.line[:0]
		for i, c := range cols {
			if i > 0 {
				x.line = append(x.line, ',')
			}
			x.line = appendCSVField(x.line, field(c))
		}
		x.line = append(x.line, '\r', '\n')
		if _, err := x.bw.Write(x.line); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// Write writes one data row.
func (x *CSVWriter) Write(row Row) error {
	line := x.line[:0]
	for i := range x.cols {
		c := &x.cols[i]
		if i > 0 {
			line = append(line, ',')
		}
		v := c.Value(row)
		if c.Kind == Text {
			if needsGuard(v.Text) {
				x.cell = append(append(x.cell[:0], '\''), v.Text...)
				line = appendCSVField(line, x.cell)
			} else {
				line = appendCSVField(line, v.Text)
			}
			continue
		}
		x.cell = appendFormat(x.cell[:0], c, &v)
		line = appendCSVField(line, x.cell)
	}
	x.line = append(line, '\r', '\n')
	_, err := x.bw.Write(x.line)
	return err
}

// Close flushes what is buffered.
func (x *CSVWriter) Close() error {
	return x.bw.Flush()
}

// appendCSVField appends field to dst as encoding/csv's Writer does with
// a comma and UseCRLF: quoted when it holds a quote, a comma, a line
// break, or starts with a space, or is \.; inside quotes a quote is
// doubled, a line feed written CRLF and a carriage return dropped.
func appendCSVField[S ~string | ~[]byte](dst []byte, field S) []byte {
	if !csvNeedsQuotes(field) {
		return append(dst, field...)
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(field); i++ {
		switch field[i] {
		case '"':
			dst = append(append(dst, field[start:i]...), '"', '"')
		case '\r':
			dst = append(dst, field[start:i]...)
		case '\n':
			dst = append(append(dst, field[start:i]...), '\r', '\n')
		default:
			continue
		}
		start = i + 1
	}
	return append(append(dst, field[start:]...), '"')
}

// csvNeedsQuotes is encoding/csv's fieldNeedsQuotes with a comma.
func csvNeedsQuotes[S ~string | ~[]byte](field S) bool {
	if len(field) == 0 {
		return false
	}
	if len(field) == 2 && field[0] == '\\' && field[1] == '.' {
		return true
	}
	for i := 0; i < len(field); i++ {
		switch field[i] {
		case '\n', '\r', '"', ',':
			return true
		}
	}
	if c := field[0]; c < utf8.RuneSelf {
		return c == ' ' || c == '\t' || c == '\v' || c == '\f' // unicode.IsSpace in ASCII, \r and \n aside
	}
	var r1 rune
	if s, ok := any(field).(string); ok {
		r1, _ = utf8.DecodeRuneInString(s)
	} else {
		r1, _ = utf8.DecodeRune([]byte(field))
	}
	return unicode.IsSpace(r1)
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
	// docs lists each row's documents (Row.Attachments) under
	// "documents": id, kind, title, file name, type, size, SHA-256,
	// visibility, when added (never in the public variant).
	docs bool
	keys [][]byte // each column's key, JSON-encoded with its colon
	bw   *bufio.Writer
	line []byte // the object being formatted
	n    int
}

// NewJSONWriter starts the array on w.
func NewJSONWriter(w io.Writer, o Options) (*JSONWriter, error) {
	cols := Select(o)
	x := &JSONWriter{cols: cols, keys: make([][]byte, len(cols)), bw: bufio.NewWriterSize(w, 32<<10), docs: !o.Public}
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
	line := x.line[:0]
	if x.n > 0 {
		line = append(line, ',')
	}
	x.n++
	line = append(line, "\n{"...)
	for i := range x.cols {
		c := &x.cols[i]
		if i > 0 {
			line = append(line, ',')
		}
		line = append(line, x.keys[i]...)
		v := c.Value(row)
		switch c.Kind {
		case List:
			line = append(line, '[')
			for j, s := range v.List {
				if j > 0 {
					line = append(line, ',')
				}
				line = appendJSONString(line, s)
			}
			line = append(line, ']')
		case Text:
			if v.Text == "" {
				line = append(line, "null"...)
			} else {
				line = appendJSONString(line, v.Text)
			}
		case Date, DateTime: // a date has no character to escape
			if v.Time.IsZero() {
				line = append(line, "null"...)
			} else {
				line = append(appendFormat(append(line, '"'), c, &v), '"')
			}
		default: // a number
			start := len(line)
			if line = appendFormat(line, c, &v); len(line) == start {
				line = append(line, "null"...)
			}
		}
	}
	if x.docs {
		line = appendDocuments(line, row.Attachments)
	}
	x.line = append(line, '}')
	_, err := x.bw.Write(x.line)
	return err
}

// documentJSON is one document as the JSON export lists it.
type documentJSON struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	Title       string    `json:"title"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Visibility  string    `json:"visibility"`
	AddedAt     time.Time `json:"added_at"`
}

// appendDocuments appends the "documents" member: ts as a JSON array.
func appendDocuments(line []byte, ts []domain.Attachment) []byte {
	line = append(line, `,"documents":[`...)
	for i, t := range ts {
		if i > 0 {
			line = append(line, ',')
		}
		b, err := json.Marshal(documentJSON{ID: t.ID, Kind: string(t.Kind), Title: t.Title, Filename: t.Filename,
			ContentType: t.ContentType, Size: t.Size, SHA256: t.HashHex(), Visibility: string(t.Visibility), AddedAt: t.AddedAt.UTC()})
		if err != nil { // plain strings and numbers: never fails
			panic(err)
		}
		line = append(line, b...)
	}
	return append(line, ']')
}

// appendJSONString appends s as encoding/json writes a string (HTML
// characters, control characters, U+2028 and U+2029 escaped): plain
// printable ASCII is copied, anything else goes through json.Marshal.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&':
			b, err := json.Marshal(s)
			if err != nil { // invalid UTF-8 is replaced, never an error
				panic(err)
			}
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
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
