package web

import (
	"context"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
)

// TestEventSentences walks every action an audit event carries
// (domain.EventActions: the event kinds and every rulebook transition) in
// every language: the trail and the record say what happened in record
// language — a sentence naming who took the step, never a button's verb
// (action.<action>) — the system's own steps say they were automatic,
// and an event whose actor is withheld names nobody.
func TestEventSentences(t *testing.T) {
	t.Parallel()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	cat.OnMissing(func(lang, id string) { t.Errorf("missing translation %s:%s", lang, id) })
	for _, tag := range cat.Languages() {
		loc := cat.Localizer(tag.String())
		ctx := i18n.WithLocalizer(context.Background(), loc)
		seen := map[string]string{}
		for _, a := range domain.EventActions() {
			by := eventSentence(ctx, domain.Event{Action: a, ActorID: 7, ActorName: "Hugo Cruz"})
			bare := eventSentence(ctx, domain.Event{Action: a})
			what := loc.T("record.event." + a)
			if !strings.Contains(by, "Hugo Cruz") || !strings.Contains(by, what) {
				t.Errorf("%s %s: %q does not say what and who", tag, a, by)
			}
			if verb := "action." + a; cat.Has(verb) && what == loc.T(verb) {
				t.Errorf("%s %s: the record reads the button's verb %q", tag, a, what)
			}
			if other, dup := seen[what]; dup {
				t.Errorf("%s: %s and %s read alike: %q", tag, a, other, what)
			}
			seen[what] = a
			r, isRule := domain.RuleFor(domain.Action(a))
			switch {
			case isRule && r.System:
				if bare == what || !strings.Contains(bare, what) {
					t.Errorf("%s %s: the system's step reads %q, not as automatic", tag, a, bare)
				}
			case bare != what:
				t.Errorf("%s %s: without its actor it reads %q, want %q", tag, a, bare, what)
			}
		}
	}
}
