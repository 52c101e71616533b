package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/notify"
	"github.com/cmcoord/cmcoord/internal/store"
	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// tell records notice for its recipients as a service would, in-app only.
func (f *fixture) tell(t *testing.T, notice domain.Notice) {
	t.Helper()
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	n := notify.New(catalog, false, "", nil)
	st := store.New(f.pool)
	if err := st.InTx(t.Context(), func(tx *store.Store) error { return n.Notify(t.Context(), tx, notice) }); err != nil {
		t.Fatalf("notify: %v", err)
	}
}

// notificationsLink is the header's link to the notifications page.
func notificationsLink(d *goquery.Document) string {
	return strings.TrimSpace(d.Find(`header nav a[href="/notifications"]`).Text())
}

func TestNotificationsPage(t *testing.T) {
	t.Parallel()

	t.Run("ListAndMarkRead", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustOperation(t, "NPL-EQ", domain.ContextNaturalDisaster)
		ana := f.mustUser(t, "ana@example.org", 0)
		ben := f.mustUser(t, "ben@example.org", 0)
		f.mustMember(t, "NPL-EQ", ana, domain.RoleRequester)
		req, _, err := f.reqs.Create(t.Context(), f.mustActor(t, ana), "NPL-EQ", fx.Request("Airlift to Upper Valley", f.clock.Now()), "")
		if err != nil {
			t.Fatal(err)
		}
		notice := func(kind domain.NoticeKind, data map[string]string, to ...domain.User) domain.Notice {
			n := domain.Notice{Kind: kind, RequestID: req.ID, Reference: req.Reference, Title: req.Title, Data: data}
			for _, u := range to {
				n.Recipients = append(n.Recipients, u.ID)
			}
			return n
		}
		// Every kind, with the data the services send, oldest first.
		f.tell(t, notice(domain.NoticeReturned, map[string]string{"Reason": "Name the civilian options."}, ana))
		f.tell(t, notice(domain.NoticeReviewOpened, map[string]string{"Deadline": "2026-11-30 09:00 UTC"}, ana))
		f.tell(t, notice(domain.NoticeReviewReminder, map[string]string{"Deadline": "2026-11-30 09:00 UTC"}, ana))
		f.tell(t, notice(domain.NoticeReviewClosed, map[string]string{"Outcome": "passed", "Turnout": "3/4"}, ana))
		f.tell(t, notice(domain.NoticeDecision, map[string]string{"Outcome": "approved"}, ana, ben))

		c := f.signIn(t, "ana@example.org")
		r := f.get(t, c, "/notifications")
		wantStatus(t, r, http.StatusOK)
		d := doc(t, r)
		if got := notificationsLink(d); got != "Notifications (5)" {
			t.Errorf("header link = %q, want the count in words", got)
		}
		if got := d.Find(`nav a[aria-current="page"]`).Text(); !strings.HasPrefix(got, "Notifications") {
			t.Errorf("current nav item = %q", got)
		}
		if got := testid(d, "unread-summary").Text(); got != "You have 5 unread notifications." {
			t.Errorf("summary = %q", got)
		}
		var summaries, states, ids []string
		d.Find(`[data-testid="notifications"] > li`).Each(func(_ int, li *goquery.Selection) {
			ids = append(ids, strings.TrimPrefix(li.AttrOr("data-testid", ""), "notification-"))
			summaries = append(summaries, strings.TrimSpace(li.Find(`[data-testid="notification-summary"]`).Text()))
			states = append(states, li.Find(`[data-testid="notification-state"]`).Text())
			link := li.Find(`[data-testid="notification-link"]`)
			if href := link.AttrOr("href", ""); href != "/requests/"+strconv.FormatInt(req.ID, 10) {
				t.Errorf("link = %q", href)
			}
			if text := link.Text(); !strings.Contains(text, req.Reference) || !strings.Contains(text, "Airlift to Upper Valley") {
				t.Errorf("link text = %q", text)
			}
		})
		want := []string{
			"The Humanitarian Coordinator decided: approved.",
			"HCT review closed: the review passed.",
			"Reminder: your organisation has not voted yet; the review closes at 2026-11-30 09:00 UTC.",
			"HCT review opened: your organisation's vote is requested before 2026-11-30 09:00 UTC.",
			"Returned to your organisation for changes. Reason: Name the civilian options.",
		}
		if strings.Join(summaries, "\n") != strings.Join(want, "\n") {
			t.Errorf("summaries, newest first =\n%s\nwant\n%s", strings.Join(summaries, "\n"), strings.Join(want, "\n"))
		}
		if strings.Join(states, ",") != "Unread,Unread,Unread,Unread,Unread" {
			t.Errorf("states = %v", states)
		}
		upTo := testid(d, "mark-read-form").Find(`input[name="up_to"]`).AttrOr("value", "")
		if upTo != ids[0] {
			t.Errorf("up_to = %q, want the newest shown, %s", upTo, ids[0])
		}

		// One arrives after the page was drawn: marking leaves it unread.
		f.tell(t, notice(domain.NoticeReviewReminder, map[string]string{"Deadline": "2026-11-30 09:00 UTC"}, ana))
		wantRedirect(t, f.post(t, c, "/notifications/read", url.Values{"up_to": {upTo}}), "/notifications")
		d = doc(t, f.get(t, c, "/notifications"))
		if got := testid(d, "flash").Text(); !strings.Contains(got, "Your notifications are marked as read.") {
			t.Errorf("flash = %q", got)
		}
		if got := notificationsLink(d); got != "Notifications (1)" {
			t.Errorf("header link after marking = %q, want Notifications (1)", got)
		}
		states = nil
		d.Find(`[data-testid="notification-state"]`).Each(func(_ int, s *goquery.Selection) { states = append(states, s.Text()) })
		if strings.Join(states, ",") != "Unread,Read,Read,Read,Read,Read" {
			t.Errorf("states after marking = %v", states)
		}

		// Ben's own notification is untouched, and Ana never sees it.
		bc := f.signIn(t, "ben@example.org")
		bd := doc(t, f.get(t, bc, "/profile"))
		if got := notificationsLink(bd); got != "Notifications (1)" {
			t.Errorf("Ben's header link = %q, want Notifications (1)", got)
		}
		if n := d.Find(`[data-testid="notifications"] > li`).Length(); n != 6 {
			t.Errorf("Ana sees %d notifications, want her 6", n)
		}

		// Without up_to, everything is marked.
		wantRedirect(t, f.post(t, c, "/notifications/read", nil), "/notifications")
		d = doc(t, f.get(t, c, "/notifications"))
		if got := notificationsLink(d); got != "Notifications" {
			t.Errorf("header link with nothing unread = %q", got)
		}
		if testid(d, "mark-read-form").Length() != 0 || testid(d, "unread-summary").Text() != "You have no unread notifications." {
			t.Errorf("with nothing unread: form shown or summary %q", testid(d, "unread-summary").Text())
		}
	})

	// Counting stops past domain.UnreadCounted: the header and the summary
	// say "more than" it, on either side of the boundary.
	t.Run("CountedUpTo", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		ana := f.mustUser(t, "ana@example.org", 0)
		c := f.signIn(t, "ana@example.org")
		add := func(n int) {
			t.Helper()
			if _, err := f.pool.Exec(t.Context(), `INSERT INTO notifications (user_id, kind, created_at)
				SELECT $1, 'returned', now() FROM generate_series(1, $2)`, ana.ID, n); err != nil {
				t.Fatal(err)
			}
		}
		n := strconv.Itoa(domain.UnreadCounted)
		for _, c2 := range []struct {
			add             int
			header, summary string
		}{
			{domain.UnreadCounted, "Notifications (" + n + ")", "You have " + n + " unread notifications."},
			{1, "Notifications (" + n + "+)", "You have more than " + n + " unread notifications."},
			{5000, "Notifications (" + n + "+)", "You have more than " + n + " unread notifications."},
		} {
			add(c2.add)
			d := doc(t, f.get(t, c, "/notifications"))
			if got := notificationsLink(d); got != c2.header {
				t.Errorf("header link = %q, want %q", got, c2.header)
			}
			if got := testid(d, "unread-summary").Text(); got != c2.summary {
				t.Errorf("summary = %q, want %q", got, c2.summary)
			}
		}
	})

	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustUser(t, "ana@example.org", 0)
		c := f.signIn(t, "ana@example.org")
		d := doc(t, f.get(t, c, "/notifications"))
		if testid(d, "notifications-empty").Length() != 1 || notificationsLink(d) != "Notifications" {
			t.Errorf("empty page: %q", d.Find("main").Text())
		}
	})

	t.Run("ErrMalformed", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustUser(t, "ana@example.org", 0)
		c := f.signIn(t, "ana@example.org")
		wantStatus(t, f.post(t, c, "/notifications/read", url.Values{"up_to": {"lots"}}), http.StatusBadRequest)
	})

	t.Run("Anonymous", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		wantRedirect(t, f.get(t, f.client(t), "/notifications"), "/login?next=%2Fnotifications")
		wantRedirect(t, f.post(t, f.client(t), "/notifications/read", nil), "/login")
		if got := notificationsLink(doc(t, f.get(t, f.client(t), "/"))); got != "" {
			t.Errorf("an anonymous visitor sees %q", got)
		}
	})
}
