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
	var buf [20]byte
	ascii := strconv.AppendInt(buf[:0], int64(n), 10)
	var b strings.Builder
	for i := len(ascii); i < width; i++ {
		b.WriteString(l.digit[0])
	}
	for _, d := range ascii {
		b.WriteString(l.digit[d-'0'])
	}
	return b.String()
}

// Date formats t's UTC date: "2 Dec 2026", "2 déc. 2026", "2 dic 2026".
func (l *Localizer) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	return l.T("format.date", "Day", l.digits(t.Day(), 0), "Month", l.T("month."+strconv.Itoa(int(t.Month()))),
		"Year", l.digits(t.Year(), 0))
}

// DateTime formats t in UTC with the date, hours and minutes: "2 Dec
// 2026, 14:05 UTC".
func (l *Localizer) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	return l.T("format.datetime", "Date", l.Date(t), "Time", l.digits(t.Hour(), 2)+":"+l.digits(t.Minute(), 2))
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
