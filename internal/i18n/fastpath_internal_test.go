package i18n

import (
	"strconv"
	"strings"
	"testing"
	"time"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/number"
)

// slow is what go-i18n renders for id with the pairs of kv: the path
// localize takes when its fast path does not apply.
func (l *Localizer) slow(id string, kv []any) string {
	var data map[string]any
	if len(kv) > 0 {
		data = map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			data[kv[i].(string)] = kv[i+1]
		}
	}
	s, _ := l.loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data})
	return s
}

// TestFastPathMatchesGoI18n walks every message of every language: the
// fast path (compiled) gives what go-i18n's template gives — with no
// data, with every name filled by a string, and by an integer — and a
// language missing a message falls back to the default one's, as
// go-i18n does.
func TestFastPathMatchesGoI18n(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	fast := 0
	for _, l := range c.locs {
		for _, id := range c.Keys(DefaultLanguage.String()) {
			tm := l.texts[id]
			if tm == nil {
				tm = l.fallback[id]
			}
			if tm == nil {
				continue // go-i18n renders it: nothing to compare
			}
			fast++
			var strs, ints []any
			for i, name := range tm.names {
				strs = append(strs, name, "«"+name+"»")
				ints = append(ints, name, 1000+i)
			}
			for _, kv := range [][]any{nil, strs, ints, strs[:min(len(strs), 2)]} {
				if got, want := l.T(id, kv...), l.slow(id, kv); got != want {
					t.Errorf("%s %s %v: fast path %q, go-i18n %q", l.Lang(), id, kv, got, want)
				}
			}
		}
	}
	if fast < 1000 {
		t.Errorf("only %d messages take the fast path", fast)
	}
}

// TestDigitsMatchCLDR: the digits table gives what x/text's number
// formatting gives, padded, in every language.
func TestDigitsMatchCLDR(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range c.locs {
		for _, n := range []int{0, 5, 9, 10, 31, 2026, 123456789} {
			want := l.p.Sprint(number.Decimal(n, number.NoSeparator()))
			if got := l.digits(n, 0); got != want {
				t.Errorf("%s digits(%d) = %q, want %q", l.Lang(), n, got, want)
			}
		}
		if got, want := l.digits(7, 2), l.p.Sprint(number.Decimal(0))+l.p.Sprint(number.Decimal(7)); got != want {
			t.Errorf("%s digits(7, 2) = %q, want %q", l.Lang(), got, want)
		}
		if l.DateTime(time.Date(2026, 12, 2, 14, 5, 0, 0, time.UTC)) == "" {
			t.Errorf("%s: no date", l.Lang())
		}
	}
}

// TestLocalizerSharedPerLanguage: every preference list resolving to a
// language gets that language's one Localizer, remembered or not.
func TestLocalizerSharedPerLanguage(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, prefs := range [][]string{{"fr"}, {"", "fr-CA,fr;q=0.9"}, {"de", "fr;q=0.5"}} {
		a, b := c.Localizer(prefs...), c.Localizer(prefs...)
		if a != b || a.Lang() != "fr" {
			t.Errorf("%q: %p %s and %p %s", prefs, a, a.Lang(), b, b.Lang())
		}
	}
	long := "fr;q=0.9, " + strings.Repeat("x-private-tag, ", 40)
	if l := c.Localizer(long); l.Lang() != "fr" {
		t.Errorf("a long header gave %s", l.Lang())
	}
	if _, ok := c.matched.Load(long); ok {
		t.Error("a header longer than maxMatchedKey was remembered")
	}
	c.nmatched.Store(maxMatched) // full: still answers, remembers no more
	if l := c.Localizer("ar-EG"); l.Lang() != "ar" {
		t.Errorf("ar-EG gave %s", l.Lang())
	}
	if _, ok := c.matched.Load("ar-EG"); ok {
		t.Error("a full memory remembered another list")
	}
}

// TestDateTimeMatchesCatalogue: the date formatter filled once per
// language writes what the catalogue's templates give through go-i18n,
// for every language and month, times with one and two digits.
func TestDateTimeMatchesCatalogue(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	cldr := func(l *Localizer, n, width int) string {
		s := l.p.Sprint(number.Decimal(n, number.NoSeparator()))
		for i := len(strconv.Itoa(n)); i < width; i++ {
			s = l.p.Sprint(number.Decimal(0)) + s
		}
		return s
	}
	for _, l := range c.locs {
		for m := 1; m <= 12; m++ {
			at := time.Date(2026, time.Month(m), 3*m-2, 2*m-1, 5*m-4, 0, 0, time.UTC)
			date := l.slow("format.date", []any{"Day", cldr(l, at.Day(), 0), "Month", l.slow("month."+strconv.Itoa(int(at.Month())), nil),
				"Year", cldr(l, at.Year(), 0)})
			want := l.slow("format.datetime", []any{"Date", date, "Time", cldr(l, at.Hour(), 2) + ":" + cldr(l, at.Minute(), 2)})
			if got := l.Date(at); got != date {
				t.Errorf("%s Date(%v) = %q, want %q", l.Lang(), at, got, date)
			}
			if got := l.DateTime(at); got != want {
				t.Errorf("%s DateTime(%v) = %q, want %q", l.Lang(), at, got, want)
			}
		}
	}
}
