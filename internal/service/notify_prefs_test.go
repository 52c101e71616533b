package service_test

import (
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/notify"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// noticeFixture is the lifecycle fixture with the real notifier, e-mail
// enabled, behind every service, and a viewer.
type noticeFixture struct {
	*lifeFixture
	viewer   domain.Actor
	notes    *service.Notifications
	notifier *notify.Notifier
}

func newNoticeFixture(t *testing.T) *noticeFixture {
	t.Helper()
	f := &noticeFixture{lifeFixture: newLifeFixture(t)}
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := store.New(f.pool)
	f.notifier = notify.New(catalog, true, "https://cmcoord.example.org", log).WithClock(f.clock.now)
	f.reviews = service.NewReviews(st, f.clock.now, log, f.notifier)
	f.reqs = service.NewRequests(st, f.clock.now, log).WithNotifier(f.notifier).WithActionLimits(nil)
	f.life = service.NewLifecycle(st, f.clock.now, log).WithNotifier(f.notifier)
	f.notes = service.NewNotifications(st, f.clock.now, log)
	f.viewer = f.member(t, "viewer@example.org", f.officer.OrganizationID, domain.RoleViewer)
	return f
}

// told returns, by user ID, the kinds of notification each user received
// about request id since notification afterID.
func (f *noticeFixture) told(t *testing.T, id, afterID int64) map[int64][]domain.NoticeKind {
	t.Helper()
	rows, err := f.pool.Query(t.Context(), `SELECT user_id, kind FROM notifications WHERE request_id = $1 AND id > $2 ORDER BY id`, id, afterID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64][]domain.NoticeKind{}
	for rows.Next() {
		var (
			u int64
			k string
		)
		if err := rows.Scan(&u, &k); err != nil {
			t.Fatal(err)
		}
		out[u] = append(out[u], domain.NoticeKind(k))
	}
	return out
}

func (f *noticeFixture) lastNotification(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := f.pool.QueryRow(t.Context(), `SELECT coalesce(max(id), 0) FROM notifications`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// expect runs step and checks that exactly the users of want were told,
// each exactly the kinds listed.
func (f *noticeFixture) expect(t *testing.T, what string, id int64, step func(), want map[int64][]domain.NoticeKind) {
	t.Helper()
	before := f.lastNotification(t)
	step()
	got := f.told(t, id, before)
	for u, kinds := range want {
		if !slices.Equal(got[u], kinds) {
			t.Errorf("%s: user %d (%s) was told %v, want %v", what, u, f.name(u), got[u], kinds)
		}
	}
	for u, kinds := range got {
		if _, ok := want[u]; !ok {
			t.Errorf("%s: user %d (%s) was told %v, want nothing", what, u, f.name(u), kinds)
		}
	}
}

func (f *noticeFixture) name(id int64) string {
	for n, a := range f.everyone() {
		if a.UserID == id {
			return n
		}
	}
	return "?"
}

func (f *noticeFixture) everyone() map[string]domain.Actor {
	return map[string]domain.Actor{"requester": f.requester, "colleague": f.colleague, "outsider": f.outsider,
		"officer": f.officer, "hct0": f.hct[0], "hct1": f.hct[1], "own-hct": f.ownHCT, "hc": f.hc, "hrddp": f.hrddp, "viewer": f.viewer}
}

func kinds(k ...domain.NoticeKind) []domain.NoticeKind { return k }

// TestNoticeRecipients walks a request through every step that tells
// someone, and checks for each notice kind that exactly its intended
// recipients are told: the roles of domain.NoticeAudiences that the
// step concerns, never the actor, and never a role that may not see the
// request (a draft's comment reaches no officer; another organisation's
// requester and the viewer hear of nothing).
func TestNoticeRecipients(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t)
	ctx := t.Context()
	tell := map[domain.NoticeKind]bool{}
	note := func(want map[int64][]domain.NoticeKind) map[int64][]domain.NoticeKind {
		for _, ks := range want {
			for _, k := range ks {
				tell[k] = true
			}
		}
		return want
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// A draft's comment: the requester's colleague did not take part, the
	// officers may not see a draft.
	var r domain.Request
	r = f.create(t, fixture.Request("Airlift to Gorkha", f.clock.now()))
	f.expect(t, "draft comment", r.ID, func() {
		_, err := f.reqs.AddComment(ctx, f.requester, r.ID, "Note to self")
		must(err)
	}, nil)

	// Submitted: the officers, who screen it.
	f.expect(t, "submit", r.ID, func() {
		var err error
		r, err = f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version})
		must(err)
	}, note(map[int64][]domain.NoticeKind{f.officer.UserID: kinds(domain.NoticeSubmitted)}))

	// The officer's comment: the requester (creator), not the author.
	f.expect(t, "officer comment", r.ID, func() {
		_, err := f.reqs.AddComment(ctx, f.officer, r.ID, "Which landing zone?")
		must(err)
	}, note(map[int64][]domain.NoticeKind{f.requester.UserID: kinds(domain.NoticeComment)}))

	// Returned and resubmitted.
	f.expect(t, "return", r.ID, func() {
		var err error
		r, err = f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionReturn, domain.TransitionInput{Version: r.Version, Reason: "Landing zone?"})
		must(err)
	}, note(map[int64][]domain.NoticeKind{f.requester.UserID: kinds(domain.NoticeReturned)}))
	f.expect(t, "resubmit", r.ID, func() {
		var err error
		r, err = f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version})
		must(err)
	}, note(map[int64][]domain.NoticeKind{f.officer.UserID: kinds(domain.NoticeResubmitted)}))

	// The review: the eligible organisations' HCT members (not the
	// requesting organisation's), then a comment during it reaches them
	// too, then the HC and the officers of the close.
	f.expect(t, "open review", r.ID, func() { f.open(t, r) },
		note(map[int64][]domain.NoticeKind{f.hct[0].UserID: kinds(domain.NoticeReviewOpened), f.hct[1].UserID: kinds(domain.NoticeReviewOpened)}))
	f.expect(t, "comment in review", r.ID, func() {
		_, err := f.reqs.AddComment(ctx, f.colleague, r.ID, "The road is cut at Arughat.")
		must(err)
	}, note(map[int64][]domain.NoticeKind{f.requester.UserID: kinds(domain.NoticeComment), f.officer.UserID: kinds(domain.NoticeComment),
		f.hct[0].UserID: kinds(domain.NoticeComment), f.hct[1].UserID: kinds(domain.NoticeComment)}))
	for _, a := range f.hct {
		_, err := f.reviews.Vote(ctx, a, r.ID, service.VoteInput{Value: domain.VoteSupport})
		must(err)
	}
	f.expect(t, "close", r.ID, func() {
		_, err := f.reviews.Close(ctx, f.officer, r.ID, r.Version)
		must(err)
	}, note(map[int64][]domain.NoticeKind{f.hc.UserID: kinds(domain.NoticeReviewClosed)}))
	// The decision: the requester, the officers and the voters; not the
	// HC who took it, nor the recused organisation.
	f.expect(t, "decision", r.ID, func() {
		_, err := f.reviews.Decide(ctx, f.hc, r.ID, service.DecisionInput{Version: nowVersion(t, f.reqs, r.ID), Outcome: domain.StatusApproved, Rationale: "Passed."})
		must(err)
	}, note(map[int64][]domain.NoticeKind{f.requester.UserID: kinds(domain.NoticeDecision), f.officer.UserID: kinds(domain.NoticeDecision),
		f.hct[0].UserID: kinds(domain.NoticeDecision), f.hct[1].UserID: kinds(domain.NoticeDecision)}))

	// The lifecycle: the requester of each step.
	_, err := f.life.RecordConsent(ctx, f.officer, r.ID, nowVersion(t, f.reqs, r.ID), domain.Consent{Status: "consented", Authority: "NDRRMA",
		Channel: "Letter", Date: f.clock.now(), Reference: "NDRRMA/2026/114"})
	must(err)
	toRequester := func(k domain.NoticeKind) map[int64][]domain.NoticeKind {
		return note(map[int64][]domain.NoticeKind{f.requester.UserID: kinds(k)})
	}
	f.expect(t, "task", r.ID, func() {
		_, err := f.life.Task(ctx, f.officer, r.ID, nowVersion(t, f.reqs, r.ID), tasking)
		must(err)
	}, toRequester(domain.NoticeTasked))
	f.expect(t, "start", r.ID, func() {
		_, err := f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionStartExecution, domain.TransitionInput{Version: nowVersion(t, f.reqs, r.ID)})
		must(err)
	}, toRequester(domain.NoticeExecutionStarted))
	f.expect(t, "complete", r.ID, func() {
		_, err := f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionComplete, domain.TransitionInput{Version: nowVersion(t, f.reqs, r.ID)})
		must(err)
	}, toRequester(domain.NoticeCompleted))
	f.expect(t, "hand over", r.ID, func() {
		_, err := f.life.HandOver(ctx, f.officer, r.ID, nowVersion(t, f.reqs, r.ID), domain.Handover{Organization: "wfp road convoys", Date: f.clock.now()})
		must(err)
	}, toRequester(domain.NoticeHandedOver))

	// An escorted request of a UN entity needs an HRDDP assessment: the
	// HRDDP reviewers are told besides the officers.
	_, rq := f.unRequester(t)
	esc := f.escorted(t, rq, "Escort", false)
	f.expect(t, "escorted submit", esc.ID, func() {
		var err error
		esc, err = f.reqs.Transition(ctx, rq, esc.ID, domain.ActionSubmit, domain.TransitionInput{Version: esc.Version})
		must(err)
	}, note(map[int64][]domain.NoticeKind{f.officer.UserID: kinds(domain.NoticeSubmitted), f.hrddp.UserID: kinds(domain.NoticeAssessmentNeeded)}))
	// The HRDDP reviewer's comment reaches the requester and officers,
	// never another organisation's requester.
	f.expect(t, "hrddp comment", esc.ID, func() {
		_, err := f.reqs.AddComment(ctx, f.hrddp, esc.ID, "Assessment under way.")
		must(err)
	}, note(map[int64][]domain.NoticeKind{rq.UserID: kinds(domain.NoticeComment), f.officer.UserID: kinds(domain.NoticeComment)}))

	// Expiry, the reminder, a cancelled review and the naming of an acting
	// HC have tests of their own (TestExpiryIsNotSilent,
	// TestReminderNeverEarly, TestRemindVoters, TestLeavingReviewTellsVoters,
	// TestActingHC_Decides); the rest of the table is walked here.
	tell[domain.NoticeExpired], tell[domain.NoticeReviewReminder], tell[domain.NoticeReviewCancelled] = true, true, true
	tell[domain.NoticeActingHC] = true
	for _, a := range domain.NoticeAudiences {
		if !tell[a.Kind] {
			t.Errorf("no step of the walk told anyone %s", a.Kind)
		}
	}
	// Who was told matches the table's roles: every notification of a
	// request went to a user holding a role the table gives its kind.
	roles := map[int64]domain.RoleSet{}
	for _, a := range append(slices.Collect(maps.Values(f.everyone())), rq) {
		roles[a.UserID] = a.RolesIn(f.op.ID)
	}
	rows, err := f.pool.Query(ctx, `SELECT user_id, kind FROM notifications WHERE request_id IS NOT NULL`)
	must(err)
	defer rows.Close()
	for rows.Next() {
		var (
			u int64
			k string
		)
		must(rows.Scan(&u, &k))
		a, _ := domain.AudienceOf(domain.NoticeKind(k))
		ok := false
		for _, role := range roles[u] {
			_, in := a.To[role]
			ok = ok || in
		}
		if !ok {
			t.Errorf("user %d (%s, roles %v) was told %s, which the table gives to %v", u, f.name(u), roles[u], k, a.To)
		}
	}
}

// TestDeliveryPreferences: in-app only queues no e-mail, e-mail now one,
// the digest none at once and then one digest e-mail after the job, a
// day later, with List-Unsubscribe; the one-click unsubscribe turns the
// digest kinds to in-app only.
func TestDeliveryPreferences(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t)
	ctx := t.Context()
	outbox := func(to string) (n int) {
		t.Helper()
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE to_address = $1`, to).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Defaults: the requester is told of a return by e-mail; the officer
	// of a submission by e-mail; comments go to the digest.
	prefs, err := f.notes.Preferences(ctx, f.requester)
	if err != nil {
		t.Fatal(err)
	}
	want := map[domain.NoticeKind]domain.Delivery{}
	for _, p := range prefs {
		want[p.Kind] = p.Delivery
		if p.Delivery != p.Default {
			t.Errorf("%s: %s before any choice, default %s", p.Kind, p.Delivery, p.Default)
		}
	}
	if want[domain.NoticeReturned] != domain.DeliveryEmail || want[domain.NoticeComment] != domain.DeliveryDigest ||
		want[domain.NoticeSubmitted] != "" {
		t.Fatalf("requester's preferences = %v", want)
	}
	// The requester wants returns in-app only and comments by e-mail now.
	if _, err := f.notes.SetPreferences(ctx, f.requester, map[domain.NoticeKind]domain.Delivery{
		domain.NoticeReturned: domain.DeliveryInApp, domain.NoticeComment: domain.DeliveryEmail}); err != nil {
		t.Fatal(err)
	}
	_, err = f.notes.SetPreferences(ctx, f.requester, map[domain.NoticeKind]domain.Delivery{domain.NoticeAccountPassword: domain.DeliveryInApp})
	wantCode(t, err, domain.CodeInvalid, "")
	_, err = f.notes.SetPreferences(ctx, f.requester, map[domain.NoticeKind]domain.Delivery{domain.NoticeComment: "pigeon"})
	wantCode(t, err, domain.CodeInvalid, "")

	r := f.submitted(t, "Preferences")
	if outbox(f.officer.Email) != 1 {
		t.Errorf("officer: %d e-mails after a submission, want 1 (e-mail now)", outbox(f.officer.Email))
	}
	if _, err := f.reqs.AddComment(ctx, f.officer, r.ID, "Which landing zone?"); err != nil {
		t.Fatal(err)
	}
	if outbox(f.requester.Email) != 1 {
		t.Errorf("requester: %d e-mails after a comment, want 1 (chose e-mail now)", outbox(f.requester.Email))
	}
	if _, err := f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionReturn, domain.TransitionInput{Version: r.Version, Reason: "More"}); err != nil {
		t.Fatal(err)
	}
	if outbox(f.requester.Email) != 1 {
		t.Errorf("requester: %d e-mails after a return, want still 1 (chose in-app only)", outbox(f.requester.Email))
	}
	var inApp int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'returned'`, f.requester.UserID).Scan(&inApp); err != nil || inApp != 1 {
		t.Errorf("requester: %d in-app return notifications (%v), want 1 whatever the delivery", inApp, err)
	}
	// The requester's comment goes to the officer's digest: no e-mail now.
	if _, err := f.reqs.AddComment(ctx, f.requester, r.ID, "Landing zone at Gorkha stadium."); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reqs.AddComment(ctx, f.requester, r.ID, "Second thought: the school field."); err != nil {
		t.Fatal(err)
	}
	if outbox(f.officer.Email) != 1 {
		t.Errorf("officer: %d e-mails after comments, want still 1 (digest)", outbox(f.officer.Email))
	}
	// The job a little later sends nothing; a day later one digest.
	f.clock.t = f.clock.t.Add(time.Hour)
	if rep, err := f.reviews.RunDue(ctx); err != nil || rep.Digests != 0 {
		t.Fatalf("RunDue an hour later = %+v, %v; want no digest", rep, err)
	}
	f.clock.t = f.clock.t.Add(domain.DigestEvery)
	if rep, err := f.reviews.RunDue(ctx); err != nil || rep.Digests != 1 {
		t.Fatalf("RunDue a day later = %+v, %v; want 1 digest", rep, err)
	}
	if rep, err := f.reviews.RunDue(ctx); err != nil || rep.Digests != 0 {
		t.Fatalf("RunDue again = %+v, %v; want no second digest", rep, err)
	}
	var subject, body, unsub string
	if err := f.pool.QueryRow(ctx, `SELECT subject, body, list_unsubscribe FROM outbox WHERE to_address = $1 ORDER BY id DESC LIMIT 1`,
		f.officer.Email).Scan(&subject, &body, &unsub); err != nil {
		t.Fatal(err)
	}
	if outbox(f.officer.Email) != 2 || subject != "Your cmcoord daily digest" || strings.Count(body, "New comment on "+r.Reference) != 2 ||
		!strings.Contains(body, "https://cmcoord.example.org/requests/") || !strings.HasPrefix(unsub, "https://cmcoord.example.org/unsubscribe/digest/") ||
		!strings.Contains(body, unsub) {
		t.Fatalf("digest: %d e-mails; subject %q, List-Unsubscribe %q, body:\n%s", outbox(f.officer.Email), subject, unsub, body)
	}

	// One-click unsubscribe: checking the link changes nothing; the POST
	// turns the officer's digest kinds to in-app only.
	token := strings.TrimPrefix(unsub, "https://cmcoord.example.org/unsubscribe/digest/")
	if _, err := f.notes.CheckUnsubscribe(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := f.notes.CheckUnsubscribe(ctx, token+"x"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("a forged token = %v, want not found", err)
	}
	if p := prefOf(t, f.notes, f.officer, domain.NoticeComment); p != domain.DeliveryDigest {
		t.Fatalf("after the check, the officer's comments go %s, want still digest", p)
	}
	if _, err := f.notes.UnsubscribeDigest(ctx, strings.Replace(token, ".", "0.", 1)); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("another user's token = %v, want not found", err)
	}
	if n, err := f.notes.UnsubscribeDigest(ctx, token); err != nil || n != 1 {
		t.Fatalf("UnsubscribeDigest = %d, %v; want 1 kind changed", n, err)
	}
	if p := prefOf(t, f.notes, f.officer, domain.NoticeComment); p != domain.DeliveryInApp {
		t.Fatalf("after the unsubscribe, the officer's comments go %s, want in-app", p)
	}
	if p := prefOf(t, f.notes, f.officer, domain.NoticeSubmitted); p != domain.DeliveryEmail {
		t.Fatalf("after the unsubscribe, the officer's submissions go %s, want still e-mail", p)
	}
	if _, err := f.reqs.AddComment(ctx, f.requester, r.ID, "Third thought."); err != nil {
		t.Fatal(err)
	}
	var waiting int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM digest_items WHERE user_id = $1`, f.officer.UserID).Scan(&waiting); err != nil || waiting != 0 {
		t.Fatalf("%d items wait for the officer's digest (%v), want 0", waiting, err)
	}
}

func prefOf(t *testing.T, s *service.Notifications, a domain.Actor, k domain.NoticeKind) domain.Delivery {
	t.Helper()
	prefs, err := s.Preferences(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range prefs {
		if p.Kind == k {
			return p.Delivery
		}
	}
	return ""
}

// TestDigestDropsKindsSwitchedOff: what waited for the digest of a kind
// the user then turns to in-app only (or e-mail now) is not sent in the
// digest; it stays in-app.
func TestDigestDropsKindsSwitchedOff(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t)
	ctx := t.Context()
	r := f.submitted(t, "Digest switched off")
	if _, err := f.reqs.AddComment(ctx, f.requester, r.ID, "Landing zone at Gorkha stadium."); err != nil {
		t.Fatal(err)
	}
	if _, err := f.notes.SetPreferences(ctx, f.officer, map[domain.NoticeKind]domain.Delivery{domain.NoticeComment: domain.DeliveryInApp}); err != nil {
		t.Fatal(err)
	}
	f.clock.t = f.clock.t.Add(domain.DigestEvery)
	if rep, err := f.reviews.RunDue(ctx); err != nil || rep.Digests != 0 {
		t.Fatalf("RunDue a day later = %+v, %v; want no digest", rep, err)
	}
	var inApp int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'comment'`, f.officer.UserID).Scan(&inApp); err != nil || inApp != 1 {
		t.Errorf("officer: %d in-app comment notifications (%v), want 1", inApp, err)
	}
}
