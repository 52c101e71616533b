package i18n

import (
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// Dates, times and numbers in the reader's language (issue 8): digits and
// grouping from CLDR through golang.org/x/text (Arabic uses Arabic-Indic
// digits, French a narrow space between thousands), the order of day,
// month and year and the month names from the catalogue (format.*,
// month.1–12). Times are always UTC, said so, as the field works across
// time zones. Codes, form values and exports never go through here.

func (l *Localizer) printer() *message.Printer { return l.p }

// Number formats an integer: "1,234" (en), "1 234" (fr), "١٬٢٣٤" (ar).
func (l *Localizer) Number(n int) string {
	return l.printer().Sprint(number.Decimal(n))
}

// Decimal formats f with at most digits fraction digits.
func (l *Localizer) Decimal(f float64, digits int) string {
	return l.printer().Sprint(number.Decimal(f, number.MaxFractionDigits(digits)))
}

// digits formats n without grouping (a day or a year), in the language's
// digits (from CLDR, once per language: Localizer.digit), at least width
// of them.
func (l *Localizer) digits(n int, width int) string {
	if n < 0 {
		return l.printer().Sprint(number.Decimal(n, number.NoSeparator()))
	}
	var b strings.Builder
	l.appendDigits(&b, n, width)
	return b.String()
}

// Date formats t's UTC date: "2 Dec 2026", "2 déc. 2026", "2 dic 2026".
func (l *Localizer) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	var b strings.Builder
	b.Grow(24)
	l.appendDate(&b, t.UTC())
	return b.String()
}

// DateTime formats t in UTC with the date, hours and minutes: "2 Dec
// 2026, 14:05 UTC".
func (l *Localizer) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	f := l.dateFormats()
	if f.dateTime == nil { // a format the fast path cannot fill: the catalogue's template
		return l.T("format.datetime", "Date", l.Date(t), "Time", l.digits(t.Hour(), 2)+":"+l.digits(t.Minute(), 2))
	}
	var b strings.Builder
	b.Grow(48)
	for i, name := range f.dateTime.names {
		b.WriteString(f.dateTime.lits[i])
		switch name {
		case "Date":
			l.appendDate(&b, t)
		case "Time":
			l.appendDigits(&b, t.Hour(), 2)
			b.WriteByte(':')
			l.appendDigits(&b, t.Minute(), 2)
		default:
			b.WriteString("<no value>")
		}
	}
	b.WriteString(f.dateTime.lits[len(f.dateTime.names)])
	return b.String()
}

// appendDate writes t's date (UTC) as the catalogue's format.date says.
func (l *Localizer) appendDate(b *strings.Builder, t time.Time) {
	f := l.dateFormats()
	if f.date == nil {
		b.WriteString(l.T("format.date", "Day", l.digits(t.Day(), 0), "Month", f.months[t.Month()-1], "Year", l.digits(t.Year(), 0)))
		return
	}
	for i, name := range f.date.names {
		b.WriteString(f.date.lits[i])
		switch name {
		case "Day":
			l.appendDigits(b, t.Day(), 0)
		case "Month":
			b.WriteString(f.months[t.Month()-1])
		case "Year":
			l.appendDigits(b, t.Year(), 0)
		default:
			b.WriteString("<no value>")
		}
	}
	b.WriteString(f.date.lits[len(f.date.names)])
}

// appendDigits writes digits(n, width) to b.
func (l *Localizer) appendDigits(b *strings.Builder, n, width int) {
	if n < 0 {
		b.WriteString(l.digits(n, width))
		return
	}
	var buf [20]byte
	ascii := strconv.AppendInt(buf[:0], int64(n), 10)
	for i := len(ascii); i < width; i++ {
		b.WriteString(l.digit[0])
	}
	for _, d := range ascii {
		b.WriteString(l.digit[d-'0'])
	}
}

// dateFormats are the language's date formats and month names, read from
// the catalogue once (format.date, format.datetime, month.1–12).
type dateFormats struct {
	date, dateTime *compiled // nil: not a plain {{.Name}} template
	months         [12]string
}

func (l *Localizer) dateFormats() *dateFormats {
	l.datesOnce.Do(func() {
		f := &dateFormats{date: l.text("format.date"), dateTime: l.text("format.datetime")}
		for m := range f.months {
			f.months[m] = l.T("month." + strconv.Itoa(m+1))
		}
		l.dates = f
	})
	return l.dates
}

// StoredTime shows a time kept as RFC 3339 text (a notification's
// deadline) like DateTime; any other text, such as a time stored by an
// earlier version, is returned as it is.
func (l *Localizer) StoredTime(v string) string {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return l.DateTime(t)
	}
	return v
}
