package i18n_test

import (
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/i18n"
)

// BenchmarkLocalize measures what a page pays per string it localises:
// choosing the Localizer for a request (the user's language and the
// browser's header), a plain message, a message with a value, and a
// date and time (what each row of the request list shows twice).
func BenchmarkLocalize(b *testing.B) {
	c, err := i18n.Load()
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 12, 2, 14, 5, 0, 0, time.UTC)
	for _, lang := range []string{"en", "ar"} {
		l := c.Localizer(lang)
		b.Run("localizer/"+lang, func(b *testing.B) {
			for b.Loop() {
				c.Localizer(lang, "fr-CA,fr;q=0.9,en;q=0.8")
			}
		})
		b.Run("plain/"+lang, func(b *testing.B) {
			for b.Loop() {
				l.T("status.submitted")
			}
		})
		b.Run("value/"+lang, func(b *testing.B) {
			for b.Loop() {
				l.T("screening.title", "Code", "NPL-EQ-DEMO")
			}
		})
		b.Run("datetime/"+lang, func(b *testing.B) {
			for b.Loop() {
				l.DateTime(at)
			}
		})
	}
}
