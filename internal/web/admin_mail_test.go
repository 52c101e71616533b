package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// TestAdminMail: the e-mail queue is the administrators' alone; it shows
// a failed message's recipient and error, never any body, pages back
// newest first, and a failed message can be retried once (POST), which
// the directory log records.
func TestAdminMail(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	ctx := t.Context()
	st := store.New(f.pool)
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	const secret = "https://cmcoord.example.org/set-password/SECRET-TOKEN"
	queue := func(to string) domain.OutboxMessage {
		t.Helper()
		m, err := st.InsertOutbox(ctx, domain.OutboxMessage{To: to, Subject: "Request NPL-RFA-0001 <b>returned</b>",
			Body: "Set your password: " + secret, CreatedAt: t0, NextAttemptAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for i := range domain.MailPageSize {
		m := queue(fmt.Sprintf("sent%02d@example.org", i))
		if err := st.MarkOutboxSent(ctx, m.ID, 1, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	failed := queue("bea@example.org")
	const smtpErr = `smtp mail.example.org:587: 550 5.1.1 <bea@example.org>: "no such user"`
	if err := st.MarkOutboxFailed(ctx, failed.ID, 8, t0.Add(6*time.Hour), smtpErr); err != nil {
		t.Fatal(err)
	}
	queued := queue("ben@example.org")
	retryURL := "/admin/mail/" + strconv.FormatInt(failed.ID, 10) + "/retry"

	// Anyone but an administrator is refused, the list and the retry.
	f.mustUser(t, "officer@example.org", 0)
	other := f.signIn(t, "officer@example.org")
	for _, r := range []response{f.get(t, other, "/admin/mail"), f.get(t, other, "/admin/mail?state=failed"),
		f.post(t, other, retryURL, url.Values{})} {
		if r.StatusCode != http.StatusForbidden && r.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s as a non-administrator: %d, want 403 or 404", r.Request.Method, r.Request.URL, r.StatusCode)
		}
		if strings.Contains(r.body, "bea@example.org") {
			t.Error("a non-administrator sees the queue")
		}
	}
	if m, _ := st.GetOutbox(ctx, failed.ID); m.FailedAt.IsZero() {
		t.Fatal("a non-administrator retried a message")
	}

	admin := f.signIn(t, "admin@example.org")
	if d := doc(t, f.get(t, admin, "/admin")); testid(d, "admin-link-mail").Find(`a[href="/admin/mail"]`).Length() != 1 {
		t.Error("the administration's home does not link to the e-mail queue")
	}
	// Every message, newest first: the queued one, the failed one, then
	// the sent ones, past the first page.
	r := f.get(t, admin, "/admin/mail")
	wantStatus(t, r, http.StatusOK)
	if strings.Contains(r.body, "SECRET-TOKEN") || strings.Contains(r.body, "Set your password") {
		t.Fatal("the queue shows a message's body")
	}
	d := doc(t, r)
	rows := d.Find(`[data-testid="mailq"] tbody tr`)
	if rows.Length() != domain.MailPageSize {
		t.Fatalf("%d rows on the first page, want %d", rows.Length(), domain.MailPageSize)
	}
	if first, _ := rows.First().Attr("data-testid"); first != "mailq-"+strconv.FormatInt(queued.ID, 10) {
		t.Errorf("first row %s, want the newest message %d", first, queued.ID)
	}
	older, ok := testid(d, "mailq-older").Attr("href")
	if !ok {
		t.Fatal("no link to older messages")
	}
	d = doc(t, f.get(t, admin, older))
	if n := d.Find(`[data-testid="mailq"] tbody tr`).Length(); n != 2 {
		t.Errorf("%d rows on the second page, want 2", n)
	}

	// The failed list: the error, escaped, and the retry form.
	r = f.get(t, admin, "/admin/mail?state=failed")
	wantStatus(t, r, http.StatusOK)
	d = doc(t, r)
	row := testid(d, "mailq-"+strconv.FormatInt(failed.ID, 10))
	if d.Find(`[data-testid="mailq"] tbody tr`).Length() != 1 || row.Length() != 1 {
		t.Fatalf("the failed list does not hold exactly the failed message:\n%.2000s", r.body)
	}
	if got := strings.TrimSpace(row.Find(`[data-testid="mailq-error"] code`).Text()); got != smtpErr {
		t.Errorf("error shown %q, want %q", got, smtpErr)
	}
	if strings.Contains(r.body, "<b>returned</b>") {
		t.Error("a subject's markup is not escaped")
	}
	if row.Find(`form[method="post"][action="`+retryURL+`"] button[data-testid="mailq-retry"]`).Length() != 1 {
		t.Fatal("no retry form on the failed message")
	}
	if testid(d, "mailq-filter-failed").AttrOr("aria-current", "") != "page" {
		t.Error("the failed filter is not marked current")
	}

	wantRedirect(t, f.post(t, admin, retryURL, url.Values{}), "/admin/mail?state=failed")
	m, err := st.GetOutbox(ctx, failed.ID)
	if err != nil || !m.FailedAt.IsZero() || m.Attempts != 0 || m.State() != domain.MailQueued {
		t.Errorf("after the retry: %+v, %v; want queued with fresh attempts", m, err)
	}
	d = doc(t, f.get(t, admin, "/admin/mail?state=failed"))
	wantFlashText(t, d, "queued again")
	if testid(d, "mailq-empty").Length() != 1 {
		t.Error("the retried message is still listed as failed")
	}
	log, err := f.dir.DirectoryLog(ctx, f.admin, 0, 1)
	if err != nil || len(log.Items) != 1 {
		t.Fatalf("directory log: %v", err)
	}
	if e := log.Items[0]; e.Action != domain.DirMailRetried || e.ActorID != f.admin.UserID ||
		e.Target != (domain.Target{Kind: domain.TargetMail, ID: failed.ID}) || strings.Contains(string(e.Payload), "SECRET") {
		t.Errorf("newest directory log entry %+v %s, want the retry", e, e.Payload)
	}
	// Not twice: it is no longer failed, and not tried since.
	if r := f.post(t, admin, retryURL, url.Values{}); r.StatusCode != http.StatusConflict {
		t.Errorf("a second retry: %d, want 409", r.StatusCode)
	}
	// A queued message waiting out its backoff after failed attempts may
	// be pushed now rather than in hours.
	waiting := queue("bob@example.org")
	if err := st.MarkOutboxRetry(ctx, waiting.ID, 3, t0.Add(4*time.Hour), "smtp: connection refused"); err != nil {
		t.Fatal(err)
	}
	waitURL := "/admin/mail/" + strconv.FormatInt(waiting.ID, 10) + "/retry"
	if doc(t, f.get(t, admin, "/admin/mail?state=queued")).Find(`form[action="`+waitURL+`"]`).Length() != 1 {
		t.Error("no retry form on a queued message waiting after failed attempts")
	}
	if r := f.post(t, admin, waitURL, url.Values{}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("retrying a waiting message: %d", r.StatusCode)
	}
	if m, err := st.GetOutbox(ctx, waiting.ID); err != nil || m.Attempts != 0 || m.NextAttemptAt.Equal(t0.Add(4*time.Hour)) {
		t.Errorf("after retrying the waiting message: %+v, %v", m, err)
	}
}
