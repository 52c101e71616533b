package notify

import (
	"context"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/store"
)

// Notifier turns a domain.Notice into one in-app notification per
// recipient and, when mail is enabled, one outbox e-mail per recipient in
// the recipient's language.
type Notifier struct {
	catalog *i18n.Catalog
	mail    bool
	baseURL string
	log     *slog.Logger
	now     func() time.Time
	replies replies // reply addresses (reply.go)
}

// New returns a Notifier. mailEnabled queues e-mail besides the in-app
// notifications; baseURL (such as "https://cmcoord.example.org") starts
// the links in e-mails.
func New(catalog *i18n.Catalog, mailEnabled bool, baseURL string, log *slog.Logger) *Notifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{catalog: catalog, mail: mailEnabled, baseURL: strings.TrimRight(baseURL, "/"), log: log, now: time.Now}
}

// WithClock makes n stamp notifications and e-mails with now's time (the
// services' clock, in tests); it returns n.
func (n *Notifier) WithClock(now func() time.Time) *Notifier {
	n.now = now
	return n
}

// MailEnabled reports whether Notify queues e-mail.
func (n *Notifier) MailEnabled() bool { return n.mail }

// Notify records notice for each of its recipients through st, which
// should be the caller's transaction. Repeated recipients are told once;
// disabled users and IDs that name no user are skipped. Every message is
// built from the notice's Reference, Title and Data and a link to the
// request, nothing else. An unknown kind is an error, so a new kind
// cannot ship without its messages.
func (n *Notifier) Notify(ctx context.Context, st *store.Store, notice domain.Notice) error {
	return n.NotifyAll(ctx, st, []domain.Notice{notice})
}

// dedupe drops zero and repeated IDs, keeping the first occurrence.
func dedupe(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id != 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// fields are the template fields every notify.* message may use; a field
// the notice does not carry is empty rather than "<no value>".
var fields = []string{"Reference", "Title", "Link", "NotificationsLink", "Deadline", "Outcome",
	"Reason", "Turnout", "Conditions", "Rationale", "RequiredBy", "At", "Address", "TokenName", "Scope", "Expires", "Change",
	"Starts", "Ends", "NamedBy", "Author", "Comment", "Acting", "EndedBy"}

// maxSubject is the outbox's limit on a subject, in characters.
const maxSubject = 300

// Render returns the subject and plain-text body of notice's e-mail in
// language lang (English when the catalogue lacks it): the kind's
// notify.<kind>.subject and .body, the link to the request and a footer.
// An Outcome code with a notify.outcome.<code> message is translated.
func (n *Notifier) Render(lang string, notice domain.Notice) (subject, body string) {
	return n.RenderWith(lang, notice, nil)
}

// OfferedLink is one action link as an e-mail lists it: its value and
// its token.
type OfferedLink struct {
	Value string
	Token string
}

// RenderWith is Render for one recipient given action links: the links
// (each value's label and its /act/ address) come after the message and
// before the link to the request.
func (n *Notifier) RenderWith(lang string, notice domain.Notice, links []OfferedLink) (subject, body string) {
	loc := n.catalog.Localizer(lang)
	link, linkKey := n.linkOf(notice)
	footerKey := "notify.footer"
	if notice.Kind.Account() {
		footerKey = "notify.account_footer"
	}
	vals := make(map[string]string, len(fields)+len(notice.Data))
	for _, f := range fields {
		vals[f] = ""
	}
	for k, v := range notice.Data {
		vals[k] = v
	}
	vals["Reference"], vals["Title"], vals["Link"] = notice.Reference, notice.Title, link
	vals["NotificationsLink"] = n.baseURL + "/notifications"
	if o := vals["Outcome"]; o != "" && n.catalog.Has("notify.outcome."+o) {
		vals["Outcome"] = loc.T("notify.outcome." + o)
	}
	if sc := vals["Scope"]; sc != "" && n.catalog.Has("notify.scope."+sc) {
		vals["Scope"] = loc.T("notify.scope." + sc)
	}
	for _, k := range []string{"Deadline", "RequiredBy", "At", "Expires", "Starts", "Ends"} {
		vals[k] = loc.StoredTime(vals[k])
	}
	kv := make([]any, 0, 2*len(vals))
	for k, v := range vals {
		kv = append(kv, k, v)
	}
	kind := string(notice.Kind)
	subject = oneLine(loc.T("notify."+kind+".subject", kv...), maxSubject)
	body = strings.TrimSpace(loc.T("notify."+kind+".body", kv...)) + "\n\n" +
		n.linkLines(loc, notice, links) +
		loc.T(linkKey, kv...) + "\n\n-- \n" + loc.T(footerKey, kv...) + "\n"
	return subject, body
}

// linkOf is where a notice's e-mail (and its digest line) sends its
// reader, and the key of the line that says so: the request; the
// profile for an account notice, never anything that signs in or
// carries a secret; the operation's acting-HC page for that notice,
// which concerns no request; else the notifications.
func (n *Notifier) linkOf(notice domain.Notice) (link, key string) {
	switch {
	case notice.Kind.Account():
		return n.baseURL + "/profile", "notify.account_link"
	case notice.RequestID != 0:
		return n.baseURL + "/requests/" + strconv.FormatInt(notice.RequestID, 10), "notify.link"
	case notice.Kind == domain.NoticeActingHC:
		return n.baseURL + "/operations/" + url.PathEscape(notice.Reference) + "/acting-hc", "notify.acting_hc_link"
	}
	return n.baseURL + "/notifications", "notify.link"
}

// linkLines is the block of action links of an e-mail: a line saying
// what they do, then one "Label: address" line per value; "" without
// links.
func (n *Notifier) linkLines(loc *i18n.Localizer, notice domain.Notice, links []OfferedLink) string {
	if len(links) == 0 || notice.Links == nil {
		return ""
	}
	var b strings.Builder
	purpose := string(notice.Links.Purpose)
	b.WriteString(loc.T("actlink.mail." + purpose))
	b.WriteString("\n\n")
	for _, l := range links {
		// "Label: address", as each language punctuates it; the HTML part
		// makes the label the link (htmlBody).
		b.WriteString(loc.T("actlink.mail.line", "Label", loc.T("actlink.value."+purpose+"."+l.Value),
			"URL", n.baseURL+"/act/"+l.Token))
		b.WriteString("\n")
	}
	b.WriteString("\n")
	return b.String()
}

// oneLine folds s's whitespace, line breaks included, into single spaces
// and cuts it to limit characters, so a title can never add a header line.
func oneLine(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:limit-1])) + "…"
}
