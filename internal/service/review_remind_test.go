package service_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/notify"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
)

// TestRemindVoters: the officer reminds on demand only the HCT members
// of the eligible organisations that have not voted (never the recused
// requesting organisation's, never those that voted), the reminder is
// recorded in the trail, a second one within domain.RemindAgainAfter is
// refused (409) saying from when, and every other role is refused.
func TestRemindVoters(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 3)
	ctx := t.Context()
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := store.New(f.pool)
	f.reviews = service.NewReviews(st, f.clock.now, log, notify.New(catalog, true, "https://cmcoord.example.org", log).WithClock(f.clock.now))
	reminders := func(userID int64) int {
		t.Helper()
		var c int
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = $2`,
			userID, string(domain.NoticeReviewReminder)).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	events := func(id int64) int {
		t.Helper()
		var c int
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE request_id = $1 AND action = $2`,
			id, domain.EventVotersReminded).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	r := f.submitted(t, "Reminded on demand")
	f.open(t, r)
	if _, err := f.reviews.Vote(ctx, f.hct[0], r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
		t.Fatal(err)
	}

	// Every role but the officer's is refused, and so is an administrator.
	for _, role := range domain.AllRoles {
		if role == domain.RoleOfficer {
			continue
		}
		org := f.orgs[1].ID
		if role == domain.RoleRequester {
			org = f.requester.OrganizationID // who sees the request
		}
		a := f.member(t, fmt.Sprintf("remind-%s@example.org", role), org, role)
		if _, err := f.reviews.Remind(ctx, a, r.ID, 0); domain.ErrorCode(err) != domain.CodeForbidden {
			t.Errorf("a %s reminds: %v, want forbidden", role, err)
		}
	}
	if _, err := f.reviews.Remind(ctx, f.admin, r.ID, 0); err == nil {
		t.Error("an administrator without a role reminded")
	}
	if events(r.ID) != 0 || reminders(f.hct[1].UserID) != 0 {
		t.Fatal("a refused reminder left a trace")
	}

	n, err := f.reviews.Remind(ctx, f.officer, r.ID, 0)
	if err != nil || n != 2 {
		t.Fatalf("Remind = %d, %v; want 2 organisations reminded", n, err)
	}
	for i, a := range f.hct {
		if want := min(i, 1); reminders(a.UserID) != want {
			t.Errorf("HCT member of organisation %d (voted: %v) got %d reminders, want %d", i, i == 0, reminders(a.UserID), want)
		}
	}
	if reminders(f.ownHCT.UserID) != 0 {
		t.Error("the recused requesting organisation's member was reminded")
	}
	if events(r.ID) != 1 {
		t.Errorf("%d reminder events, want 1", events(r.ID))
	}
	var mails int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM outbox o JOIN notifications n ON n.id = o.notification_id
		WHERE n.kind = $1 AND o.to_address = ANY($2)`,
		string(domain.NoticeReviewReminder), []string{"hct01@example.org", "hct02@example.org"}).Scan(&mails); err != nil || mails != 2 {
		t.Errorf("%d reminder e-mails queued (%v), want 2", mails, err)
	}

	// Again an hour later: refused until RemindAgainAfter has passed, the
	// refusal naming the time.
	remindedAt := f.clock.now()
	f.clock.t = f.clock.t.Add(time.Hour)
	_, err = f.reviews.Remind(ctx, f.officer, r.ID, 0)
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeConflict || de.Message != "review.remind_too_soon" {
		t.Fatalf("a second reminder within %v = %v, want 409 review.remind_too_soon", domain.RemindAgainAfter, err)
	}
	if at, _ := de.Data["At"].(time.Time); !at.Equal(remindedAt.Add(domain.RemindAgainAfter)) {
		t.Errorf("the refusal says %v, want %v", de.Data["At"], remindedAt.Add(domain.RemindAgainAfter))
	}
	if msg := i18n.Data(i18n.WithLocalizer(ctx, catalog.Localizer("en")), de.Message, de.Data); !containsAll(msg, "6 hours", "UTC") {
		t.Errorf("refusal message %q does not say when", msg)
	}
	rs, err := f.reviews.State(ctx, f.officer, r.ID)
	if err != nil || rs.CanRemind {
		t.Errorf("State offers a reminder too soon (%v)", err)
	}
	f.clock.t = remindedAt.Add(domain.RemindAgainAfter)
	if rs, err := f.reviews.State(ctx, f.officer, r.ID); err != nil || !rs.CanRemind {
		t.Errorf("State does not offer a reminder %v after the last (%v)", domain.RemindAgainAfter, err)
	}
	if n, err := f.reviews.Remind(ctx, f.officer, r.ID, 0); err != nil || n != 2 {
		t.Errorf("Remind after %v = %d, %v", domain.RemindAgainAfter, n, err)
	}
	if reminders(f.hct[1].UserID) != 2 || events(r.ID) != 2 {
		t.Errorf("second reminder: %d notices, %d events; want 2, 2", reminders(f.hct[1].UserID), events(r.ID))
	}

	// Once every organisation voted there is nobody to remind.
	f.clock.t = f.clock.t.Add(domain.RemindAgainAfter)
	for _, a := range f.hct[1:] {
		if _, err := f.reviews.Vote(ctx, a, r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.reviews.Remind(ctx, f.officer, r.ID, 0); !errors.As(err, &de) || de.Message != "review.remind_all_voted" {
		t.Errorf("Remind with every vote in = %v, want review.remind_all_voted", err)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !contains([]byte(s), p) {
			return false
		}
	}
	return true
}
