package notify_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/notify"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

var t0 = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// world is a private database with an organisation, users by e-mail and
// one request.
type world struct {
	pool    *pgxpool.Pool
	st      *store.Store
	users   map[string]domain.User
	request domain.Request
}

// userSpec is "local-part:language" or "local-part:language:disabled".
func newWorld(t *testing.T, specs ...string) *world {
	t.Helper()
	pool := testdb.New(t)
	st := store.New(pool)
	ctx := t.Context()
	org, err := st.CreateOrganization(ctx, domain.Organization{Name: "World Food Programme", Acronym: "WFP",
		Type: domain.OrgUNAgency, UNEntity: true}, t0)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{pool: pool, st: st, users: map[string]domain.User{}}
	for _, spec := range specs {
		parts := strings.Split(spec, ":")
		u, err := st.CreateUser(ctx, domain.User{Email: parts[0] + "@example.org", Name: parts[0], OrganizationID: org.ID,
			Language: parts[1], Disabled: len(parts) > 2}, "", t0)
		if err != nil {
			t.Fatal(err)
		}
		w.users[parts[0]] = u
	}
	op, err := st.CreateOperation(ctx, domain.Operation{Code: "NPL-EQ", Name: "Nepal earthquake", CountryISO3: "NPL",
		Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48}, t0)
	if err != nil {
		t.Fatal(err)
	}
	r := fixture.Request("Évacuation médicale", t0)
	creator := w.users[strings.Split(specs[0], ":")[0]]
	r.OperationID, r.RequestingOrgID, r.CreatedBy, r.CreatedAt = op.ID, org.ID, creator.ID, t0
	n, err := st.NextRequestNumber(ctx, op.ID)
	if err != nil {
		t.Fatal(err)
	}
	r.Reference = domain.FormatReference("NPL", n)
	if w.request, err = st.InsertRequest(ctx, r, n); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) id(name string) int64 { return w.users[name].ID }

// notify runs Notify in a transaction, as a service does.
func (w *world) notify(t *testing.T, n *notify.Notifier, notice domain.Notice) {
	t.Helper()
	err := w.st.InTx(t.Context(), func(tx *store.Store) error { return n.Notify(t.Context(), tx, notice) })
	if err != nil {
		t.Fatalf("Notify: %v", err)
	}
}

// outbox returns every outbox row, by ID.
func (w *world) outbox(t *testing.T) []domain.OutboxMessage {
	t.Helper()
	rows, err := w.pool.Query(t.Context(), `SELECT id FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var out []domain.OutboxMessage
	for _, id := range ids {
		m, err := w.st.GetOutbox(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func mustCatalog(t *testing.T) *i18n.Catalog {
	t.Helper()
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	c.OnMissing(func(lang, id string) { t.Errorf("missing translation %s:%s", lang, id) })
	return c
}

// frenchCatalog is the real English notify catalogue plus a French
// subject for returned requests only: there is no French catalogue yet.
func frenchCatalog(t *testing.T) *i18n.Catalog {
	t.Helper()
	en, err := os.ReadFile(filepath.Join("..", "i18n", "locales", "notify.en.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := i18n.LoadFS(fstest.MapFS{
		"l/notify.en.json": {Data: en},
		"l/notify.fr.json": {Data: []byte(`{"notify.returned.subject": "Demande {{.Reference}} renvoyée : {{.Title}}"}`)},
	}, "l")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNotify(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, "ana:en", "ben:fr", "carl:en:disabled", "dora:es")
		n := notify.New(frenchCatalog(t), true, "https://cmcoord.example.org/", nil).WithClock(func() time.Time { return t0 })
		w.notify(t, n, domain.Notice{Kind: domain.NoticeReturned, RequestID: w.request.ID, Reference: w.request.Reference,
			Title: w.request.Title, Data: map[string]string{"Reason": "Name the civilian options you tried."},
			Recipients: []int64{w.id("ana"), w.id("ben"), w.id("ana"), w.id("carl"), 0, 987654, w.id("dora"), w.id("ben")}})

		for name, want := range map[string]int{"ana": 1, "ben": 1, "carl": 0, "dora": 1} {
			list, err := w.st.ListNotifications(t.Context(), w.id(name), 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != want {
				t.Errorf("%s has %d notifications, want %d", name, len(list), want)
				continue
			}
			if want == 0 {
				continue
			}
			got := list[0]
			if got.Kind != domain.NoticeReturned || got.RequestID != w.request.ID || !got.CreatedAt.Equal(t0) || !got.Unread() ||
				got.Data["Reference"] != w.request.Reference || got.Data["Title"] != "Évacuation médicale" ||
				got.Data["Reason"] != "Name the civilian options you tried." || len(got.Data) != 3 {
				t.Errorf("%s's notification = %+v", name, got)
			}
		}

		mail := map[string]domain.OutboxMessage{}
		for _, m := range w.outbox(t) {
			if _, dup := mail[m.To]; dup {
				t.Errorf("two e-mails to %s", m.To)
			}
			mail[m.To] = m
		}
		if len(mail) != 3 {
			t.Fatalf("outbox has e-mails to %v, want ana, ben and dora", mail)
		}
		link := "https://cmcoord.example.org/requests/" + strconv.FormatInt(w.request.ID, 10)
		ref := w.request.Reference
		for to, want := range map[string]string{
			"ana@example.org":  "Request " + ref + " returned for changes: Évacuation médicale",
			"ben@example.org":  "Demande " + ref + " renvoyée : Évacuation médicale",            // French
			"dora@example.org": "Request " + ref + " returned for changes: Évacuation médicale", // no Spanish: English
		} {
			m := mail[to]
			if m.Subject != want {
				t.Errorf("subject to %s = %q, want %q", to, m.Subject, want)
			}
			// Ben's body has no French message: it falls back to English.
			for _, part := range []string{"Open the request: " + link, "Reason: Name the civilian options you tried.",
				"“Évacuation médicale”", "https://cmcoord.example.org/notifications"} {
				if !strings.Contains(m.Body, part) {
					t.Errorf("body to %s lacks %q:\n%s", to, part, m.Body)
				}
			}
			if strings.Contains(m.Body, "<no value>") || m.NotificationID == 0 || !m.NextAttemptAt.Equal(t0) || m.Attempts != 0 {
				t.Errorf("e-mail to %s = %+v", to, m)
			}
		}
	})

	t.Run("MailDisabled", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, "ana:en")
		n := notify.New(mustCatalog(t), false, "http://127.0.0.1:8080", nil)
		w.notify(t, n, domain.Notice{Kind: domain.NoticeDecision, RequestID: w.request.ID, Reference: w.request.Reference,
			Title: w.request.Title, Data: map[string]string{"Outcome": "approved"}, Recipients: []int64{w.id("ana")}})
		if got, _ := w.st.UnreadCount(t.Context(), w.id("ana")); got != 1 {
			t.Errorf("unread = %d, want 1", got)
		}
		if got := w.outbox(t); len(got) != 0 {
			t.Errorf("outbox = %+v, want nothing with mail disabled", got)
		}
	})

	t.Run("RolledBackWithTheChange", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, "ana:en")
		n := notify.New(mustCatalog(t), true, "http://x", nil)
		err := w.st.InTx(t.Context(), func(tx *store.Store) error {
			if err := n.Notify(t.Context(), tx, domain.Notice{Kind: domain.NoticeReturned, RequestID: w.request.ID,
				Recipients: []int64{w.id("ana")}}); err != nil {
				return err
			}
			return context.Canceled // the use case fails after notifying
		})
		if err == nil {
			t.Fatal("the transaction did not fail")
		}
		if got, _ := w.st.UnreadCount(t.Context(), w.id("ana")); got != 0 || len(w.outbox(t)) != 0 {
			t.Errorf("a rolled-back change left %d notifications and %d e-mails", got, len(w.outbox(t)))
		}
	})

	t.Run("ErrUnknownKind", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, "ana:en")
		n := notify.New(mustCatalog(t), true, "http://x", nil)
		err := w.st.InTx(t.Context(), func(tx *store.Store) error {
			return n.Notify(t.Context(), tx, domain.Notice{Kind: "gossip", Recipients: []int64{w.id("ana")}})
		})
		if err == nil || !strings.Contains(err.Error(), "gossip") {
			t.Fatalf("Notify(unknown kind) = %v, want an error naming it", err)
		}
	})
}

// TestRenderEveryKind renders each kind with the data the services send
// and checks the English text is whole: no missing message, no template
// hole, the outcome in words.
func TestRenderEveryKind(t *testing.T) {
	t.Parallel()
	n := notify.New(mustCatalog(t), true, "https://cmcoord.example.org", nil)
	data := map[domain.NoticeKind]map[string]string{
		domain.NoticeReviewOpened:   {"Deadline": "2026-11-30T09:00:00Z"}, // as the services store it
		domain.NoticeReviewReminder: {"Deadline": "2026-11-30 09:00 UTC"}, // as an earlier version did
		domain.NoticeReviewClosed:   {"Outcome": "passed", "Turnout": "5/7"},
		domain.NoticeDecision:       {"Outcome": "rejected"},
		domain.NoticeReturned:       {"Reason": "Too vague."},
		domain.NoticeExpired:        {"Deadline": "2026-11-30T09:00:00Z"},
	}
	want := map[domain.NoticeKind][]string{
		domain.NoticeReviewOpened:   {"vote before 30 Nov 2026, 09:00 UTC"},
		domain.NoticeReviewReminder: {"closes at 2026-11-30 09:00 UTC"},
		domain.NoticeReviewClosed:   {"has closed: the review passed", "voted: 5/7"},
		domain.NoticeDecision:       {": rejected."},
		domain.NoticeReturned:       {"Reason: Too vague."},
		domain.NoticeExpired:        {"expired", "30 Nov 2026, 09:00 UTC"},
	}
	for _, kind := range domain.NoticeKinds {
		if kind.Account() {
			continue // TestRenderAccountKinds
		}
		subject, body := n.Render("en", domain.Notice{Kind: kind, RequestID: 42, Reference: "NPL-RFA-0042",
			Title: "Airlift\r\nBcc: evil@example.org", Data: data[kind]})
		if strings.Contains(subject, "notify.") || strings.Contains(body, "notify.") ||
			strings.Contains(subject+body, "<no value>") || !strings.Contains(subject, "NPL-RFA-0042") {
			t.Errorf("%s: subject %q, body:\n%s", kind, subject, body)
		}
		if strings.ContainsAny(subject, "\r\n") {
			t.Errorf("%s: subject %q holds a line break", kind, subject)
		}
		if !strings.Contains(body, "https://cmcoord.example.org/requests/42") {
			t.Errorf("%s: body lacks the link:\n%s", kind, body)
		}
		for _, w := range want[kind] {
			if !strings.Contains(body, w) {
				t.Errorf("%s: body lacks %q:\n%s", kind, w, body)
			}
		}
	}
	// The deadline in the recipient's language.
	for lang, want := range map[string]string{"fr": "30 nov. 2026 à 09:00 UTC", "es": "30 nov 2026, 09:00 UTC", "ar": "٣٠ نوفمبر ٢٠٢٦"} {
		subject, body := n.Render(lang, domain.Notice{Kind: domain.NoticeReviewReminder, Reference: "NPL-RFA-0042",
			Data: map[string]string{"Deadline": "2026-11-30T09:00:00Z"}})
		if !strings.Contains(subject+body, want) {
			t.Errorf("%s: the deadline is not %q:\n%s\n%s", lang, want, subject, body)
		}
	}
	// A review closing after the request's need tells the voters so, in their language.
	for lang, want := range map[string]string{"en": "needed by 29 Nov 2026, 18:00 UTC, before the review closes", "fr": "29 nov. 2026 à 18:00 UTC"} {
		_, body := n.Render(lang, domain.Notice{Kind: domain.NoticeReviewOpened, Reference: "NPL-RFA-0042",
			Data: map[string]string{"Deadline": "2026-11-30T09:00:00Z", "RequiredBy": "2026-11-29T18:00:00Z"}})
		if !strings.Contains(body, want) {
			t.Errorf("%s: the need is not told: %q\n%s", lang, want, body)
		}
	}
	long := strings.Repeat("é", 400)
	if subject, _ := n.Render("en", domain.Notice{Kind: domain.NoticeReturned, Title: long}); len([]rune(subject)) != 300 {
		t.Errorf("a long subject has %d characters, want 300", len([]rune(subject)))
	}
}

// TestRenderAccountKinds renders each account notice in every language:
// whole (no missing message or hole), saying when and from where, with
// the profile link and never a request's, and no secret.
func TestRenderAccountKinds(t *testing.T) {
	t.Parallel()
	n := notify.New(mustCatalog(t), true, "https://cmcoord.example.org", nil)
	data := map[domain.NoticeKind]map[string]string{
		domain.NoticeAccountPassword: {},
		domain.NoticeAccountToken:    {"TokenName": "reporting script", "Scope": "read", "Expires": "2026-12-31T00:00:00Z"},
		domain.NoticeAccountFactor:   {},
	}
	for _, lang := range []string{"en", "fr", "es", "ar"} {
		for _, kind := range domain.AccountNoticeKinds {
			d := map[string]string{"At": "2026-11-30T09:00:00Z", "Address": "203.0.113.7"}
			for k, v := range data[kind] {
				d[k] = v
			}
			subject, body := n.Render(lang, domain.Notice{Kind: kind, Recipients: []int64{1}, Data: d})
			if strings.Contains(subject+body, "notify.") || strings.Contains(subject+body, "<no value>") || subject == "" {
				t.Errorf("%s %s: subject %q, body:\n%s", lang, kind, subject, body)
			}
			for _, w := range []string{"203.0.113.7", "https://cmcoord.example.org/profile"} {
				if !strings.Contains(body, w) {
					t.Errorf("%s %s: body lacks %q:\n%s", lang, kind, w, body)
				}
			}
			if strings.Contains(body, "2026-11-30T09:00:00Z") || strings.Contains(body, "/requests/") {
				t.Errorf("%s %s: the time is not in words, or a request is linked:\n%s", lang, kind, body)
			}
			if kind == domain.NoticeAccountToken && (!strings.Contains(body, "reporting script") || strings.Contains(body, "cmc_")) {
				t.Errorf("%s: the token notice lacks the name or shows a secret:\n%s", lang, body)
			}
		}
	}
	// The factor notice says which change: added, removed, new recovery codes.
	subjects := map[string]bool{}
	for _, change := range []string{domain.DirFactorEnrolled, domain.DirFactorRemoved, domain.DirRecoveryRegenerated} {
		for _, lang := range []string{"en", "fr", "es", "ar"} {
			subject, body := n.Render(lang, domain.Notice{Kind: domain.NoticeAccountFactor, Data: map[string]string{"At": "2026-11-30T09:00:00Z", "Address": "203.0.113.7", "Change": change}})
			if strings.Contains(subject+body, "notify.") || !strings.Contains(body, "203.0.113.7") {
				t.Errorf("%s %s: %q\n%s", lang, change, subject, body)
			}
			subjects[lang+subject] = true
		}
	}
	if len(subjects) != 12 {
		t.Errorf("%d different factor subjects, want 12 (3 changes × 4 languages)", len(subjects))
	}
	// A token issued at the command line has no client address: the
	// sentence says nothing of one.
	for _, lang := range []string{"en", "fr", "es", "ar"} {
		subject, body := n.Render(lang, domain.Notice{Kind: domain.NoticeAccountToken, Data: map[string]string{"At": "2026-11-30T09:00:00Z", "TokenName": "ci", "Scope": "full"}})
		if strings.Contains(subject+body, " .") || strings.Contains(body, "()") || strings.Contains(body, " ،") {
			t.Errorf("%s: a hole where the address would be:\n%s", lang, body)
		}
	}
	_, body := n.Render("en", domain.Notice{Kind: domain.NoticeAccountToken, Data: map[string]string{"At": "2026-11-30T09:00:00Z",
		"Address": "203.0.113.7", "TokenName": "ci", "Scope": "read", "Expires": "2026-12-31T00:00:00Z"}})
	for _, w := range []string{"30 Nov 2026, 09:00 UTC", "read only", "expires on 31 Dec 2026"} {
		if !strings.Contains(body, w) {
			t.Errorf("token notice lacks %q:\n%s", w, body)
		}
	}
}

// TestRenderActingHC renders the acting HC notice, to the acting HC and
// to the operation's HC (Data Acting), named and ended, in every
// language: whole, its link line naming the operation's acting HC page
// rather than a request, and the HC's message naming the acting HC.
func TestRenderActingHC(t *testing.T) {
	t.Parallel()
	n := notify.New(mustCatalog(t), true, "https://cmcoord.example.org", nil)
	requestLine := map[string]string{"en": "Open the request", "fr": "Ouvrir la demande", "es": "Abrir la solicitud", "ar": "افتح الطلب"}
	bodies := map[string]bool{}
	for _, lang := range []string{"en", "fr", "es", "ar"} {
		for _, change := range []string{"named", "ended"} {
			for _, acting := range []string{"", "Amira Haddad"} {
				d := map[string]string{"Change": change, "NamedBy": "Hana Kim", "Starts": "2026-11-28T09:00:00Z",
					"Ends": "2026-12-05T09:00:00Z", "Reason": "Leave", "Period": "3"}
				if change == "ended" {
					d["EndedBy"] = "Root Admin"
				}
				if acting != "" {
					d["Acting"] = acting
				}
				subject, body := n.Render(lang, domain.Notice{Kind: domain.NoticeActingHC, Reference: "NPL", Title: "Nepal", Data: d})
				if strings.Contains(subject+body, "notify.") || strings.Contains(subject+body, "<no value>") || !strings.Contains(subject, "NPL") {
					t.Errorf("%s %s %q: subject %q, body:\n%s", lang, change, acting, subject, body)
				}
				if !strings.Contains(body, ": https://cmcoord.example.org/operations/NPL/acting-hc\n") ||
					strings.Contains(body, requestLine[lang]) || strings.Contains(body, "/requests/") {
					t.Errorf("%s %s %q: the link line is not the acting HC page's:\n%s", lang, change, acting, body)
				}
				if acting != "" && !strings.Contains(subject, acting) && !strings.Contains(body, acting) {
					t.Errorf("%s %s: the HC's notice does not name the acting HC:\n%s\n%s", lang, change, subject, body)
				}
				if acting != "" && change == "ended" && !strings.Contains(body, "Root Admin") {
					t.Errorf("%s: the HC's notice of an end does not say who ended it:\n%s", lang, body)
				}
				bodies[lang+change+acting+body] = true
			}
		}
	}
	if len(bodies) != 16 {
		t.Errorf("%d different bodies, want 16 (4 languages × named/ended × acting HC/HC)", len(bodies))
	}
}
