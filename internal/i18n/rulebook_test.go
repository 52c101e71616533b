package i18n_test

import (
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
)

// TestRulebookIsTranslated: every status and step the rulebook names has
// the texts the pages show for it (TestCataloguesMatchEnglish then holds
// every language to English's keys): a row added without them fails here,
// not on a page that shows a key.
func TestRulebookIsTranslated(t *testing.T) {
	t.Parallel()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	need := func(key, why string) {
		if !cat.Has(key) {
			t.Errorf("missing %q (%s)", key, why)
		}
	}
	for _, s := range domain.Statuses() {
		need("status."+string(s), "a status")
	}
	for _, k := range domain.NoticeKinds {
		need("notify."+string(k)+".subject", "a notice's e-mail")
		need("notifications.kind."+string(k), "a notice on the notifications page")
	}
	for _, a := range domain.NoticeAudiences {
		need("preferences.kind."+string(a.Kind), "a kind on the preferences page")
	}
	for _, p := range domain.LinkPurposes {
		for _, v := range domain.LinkValues(p) {
			need("actlink.value."+string(p)+"."+v, "a link's value, in the e-mail and on its page")
		}
	}
	for _, r := range domain.Transitions() {
		if len(r.Roles) > 0 {
			need("action."+string(r.Action), "a step people take")
		}
	}
	for _, a := range domain.EventActions() {
		need("record.event."+a, "what an audit event records, in record language")
	}
	for _, r := range domain.Transitions() {
		if r.StatesReason() {
			need(domain.ReasonLabelKey(r.Action), "the label of the step's reason")
		}
	}
	for _, c := range domain.SystemReasons {
		need(c.MessageKey(), "a reason the system states")
	}
	for _, r := range domain.SSORefusals() {
		need("sso.refused."+r, "why a single sign-on is refused")
	}
	for _, r := range domain.GenericTransitions() {
		id := strings.ReplaceAll(r.Path, "/", "-")
		need("action_hint."+id, "the generic form's hint")
		need("flash."+id+"_done", "the generic step's confirmation")
	}
}
