package service_test

import (
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/notify"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/totptest"
)

// linkFixture is the review fixture with e-mail on, so notices carry
// action links, and the ActionLinks service.
type linkFixture struct {
	*reviewFixture
	links *service.ActionLinks
}

func newLinkFixture(t *testing.T, voters int) *linkFixture {
	t.Helper()
	f := newReviewFixture(t, voters)
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	n := notify.New(catalog, true, "https://cmcoord.example.org", log).WithClock(f.clock.now)
	st := store.New(f.pool)
	f.reviews = service.NewReviews(st, f.clock.now, log, n)
	f.reqs = service.NewRequests(st, f.clock.now, log).WithNotifier(n).WithActionLimits(nil)
	return &linkFixture{reviewFixture: f, links: service.NewActionLinks(f.reviews, f.access)}
}

var actRE = regexp.MustCompile(`https://cmcoord\.example\.org/act/([A-Za-z0-9_-]+)`)

// mailedLinks returns the tokens of the links in the newest e-mail of
// kind to user a, by value.
func (f *linkFixture) mailedLinks(t *testing.T, a domain.Actor, kind domain.NoticeKind, p domain.LinkPurpose) map[string]string {
	t.Helper()
	var body string
	err := f.pool.QueryRow(t.Context(), `SELECT o.body FROM outbox o JOIN notifications n ON n.id = o.notification_id
		WHERE n.user_id = $1 AND n.kind = $2 ORDER BY o.id DESC LIMIT 1`, a.UserID, string(kind)).Scan(&body)
	if err != nil {
		t.Fatalf("no %s e-mail to user %d: %v", kind, a.UserID, err)
	}
	// The e-mail lists the offered values in domain.LinkValues order; a
	// decision link list without approval holds the rejection alone.
	ms := actRE.FindAllStringSubmatch(body, -1)
	values := domain.LinkValues(p)
	switch {
	case len(ms) == len(values):
	case p == domain.LinkDecide && len(ms) == 1:
		values = []string{string(domain.StatusRejected)}
	default:
		t.Fatalf("%s e-mail to user %d has %d links, want %d:\n%s", kind, a.UserID, len(ms), len(values), body)
	}
	out := map[string]string{}
	for i, m := range ms {
		out[values[i]] = m[1]
	}
	return out
}

func (f *linkFixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func wantRefused(t *testing.T, err error, code domain.Code, key string) {
	t.Helper()
	if domain.ErrorCode(err) != code || domain.ErrorMessage(err) != key {
		t.Fatalf("got %v, want %s %s", err, code, key)
	}
}

// TestVoteFromEmail: every voter's review-opened e-mail carries one link
// per vote value; opening one changes nothing; using one votes once, as
// its user, recorded as from the e-mail; the link, its siblings, a link
// of an organisation that voted another way, a forged or re-bound link
// and a link of a disabled user are refused, each saying why.
func TestVoteFromEmail(t *testing.T) {
	t.Parallel()
	f := newLinkFixture(t, 4)
	ctx := t.Context()
	r := f.submitted(t, "Helicopter to the valley")
	rv := f.open(t, r)
	links := make([]map[string]string, len(f.hct))
	for i, a := range f.hct {
		links[i] = f.mailedLinks(t, a, domain.NoticeReviewOpened, domain.LinkVote)
	}
	// The recused organisation's member is not asked, so has no links;
	// the in-app notification never carries one.
	if n := f.count(t, `SELECT count(*) FROM action_links WHERE user_id = $1`, f.ownHCT.UserID); n != 0 {
		t.Errorf("the recused member has %d links", n)
	}
	if n := f.count(t, `SELECT count(*) FROM notifications WHERE data::text LIKE '%/act/%'`); n != 0 {
		t.Errorf("%d in-app notifications carry a link", n)
	}
	// Only hashes are stored.
	for _, tok := range links[0] {
		if n := f.count(t, `SELECT count(*) FROM action_links WHERE position(convert_to($1, 'UTF8') in secret_hash) > 0`, tok[:20]); n != 0 {
			t.Fatal("a token is stored in clear")
		}
	}

	// Opening (a mail scanner, a preview, the user) changes nothing.
	events := f.count(t, `SELECT count(*) FROM events WHERE request_id = $1`, r.ID)
	for _, v := range domain.LinkValues(domain.LinkVote) {
		p, err := f.links.Open(ctx, links[0][v], "10.0.0.1", 0)
		if err != nil || p.Refusal != "" {
			t.Fatalf("open %s: %v, %q", v, err, p.Refusal)
		}
		if p.User.ID != f.hct[0].UserID || p.Request.ID != r.ID || p.Review.Review.ID != rv.ID {
			t.Fatalf("open %s: page for user %d request %d review %d", v, p.User.ID, p.Request.ID, p.Review.Review.ID)
		}
	}
	// Opened in a browser where someone else is signed in: refused, and
	// nothing of the request shown; its own user signed in: fine.
	p, err := f.links.Open(ctx, links[0][string(domain.VoteSupport)], "10.0.0.1", f.hct[1].UserID)
	if err != nil || p.Refusal != domain.LinkOtherUser || p.Request.ID != 0 {
		t.Fatalf("link opened as another user: %v, %q, request %d", err, p.Refusal, p.Request.ID)
	}
	_, err = f.links.Use(ctx, links[0][string(domain.VoteSupport)], service.LinkInput{Version: r.Version}, "10.0.0.1", f.hct[1].UserID)
	wantRefused(t, err, domain.CodeForbidden, domain.LinkOtherUser)
	if p, err := f.links.Open(ctx, links[0][string(domain.VoteSupport)], "10.0.0.1", f.hct[0].UserID); err != nil || p.Refusal != "" {
		t.Fatalf("link opened by its own user signed in: %v, %q", err, p.Refusal)
	}
	if n := f.count(t, `SELECT count(*) FROM votes WHERE review_id = $1`, rv.ID); n != 0 {
		t.Fatalf("opening links cast %d votes", n)
	}
	if n := f.count(t, `SELECT count(*) FROM action_links WHERE used_at IS NOT NULL`); n != 0 {
		t.Fatalf("opening links spent %d", n)
	}
	if n := f.count(t, `SELECT count(*) FROM events WHERE request_id = $1`, r.ID); n != events {
		t.Fatalf("opening links appended %d events", n-events)
	}

	cur, _ := f.reqs.Get(ctx, f.officer, r.ID)
	version := cur.Request.Version
	// An objection needs its reason: refused next to the field, and the
	// link is not spent.
	_, err = f.links.Use(ctx, links[0][string(domain.VoteObject)], service.LinkInput{Version: version}, "10.0.0.1", 0)
	if domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("objection without a reason: %v", err)
	}
	// A page shown before the request changed: refused, to confirm again.
	if _, err := f.links.Use(ctx, links[0][string(domain.VoteSupport)], service.LinkInput{Version: version + 1}, "10.0.0.1", 0); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("stale version: %v", err)
	}
	p, err = f.links.Use(ctx, links[0][string(domain.VoteSupport)], service.LinkInput{Version: version, Comment: "Roads are cut"}, "10.0.0.1", 0)
	if err != nil {
		t.Fatalf("vote by link: %v", err)
	}
	if p.Refusal != domain.LinkUsed || p.Review.MyVote == nil || p.Review.MyVote.Value != domain.VoteSupport {
		t.Fatalf("after the vote the page says %q, my vote %+v", p.Refusal, p.Review.MyVote)
	}
	var castBy int64
	var via string
	if err := f.pool.QueryRow(ctx, `SELECT cast_by FROM votes WHERE review_id = $1 AND organization_id = $2`, rv.ID, f.hct[0].OrganizationID).Scan(&castBy); err != nil || castBy != f.hct[0].UserID {
		t.Fatalf("vote cast by %d (%v), want %d", castBy, err, f.hct[0].UserID)
	}
	if err := f.pool.QueryRow(ctx, `SELECT payload::jsonb->>'via' FROM events WHERE request_id = $1 AND action = $2 ORDER BY id DESC LIMIT 1`,
		r.ID, domain.EventVote).Scan(&via); err != nil || via != "email_link" {
		t.Fatalf("the vote's event says via %q (%v)", via, err)
	}
	// The same link again, and every sibling: used.
	for _, v := range domain.LinkValues(domain.LinkVote) {
		_, err := f.links.Use(ctx, links[0][v], service.LinkInput{Version: version + 1, Comment: "again"}, "10.0.0.1", 0)
		wantRefused(t, err, domain.CodeConflict, domain.LinkUsed)
	}
	if n := f.count(t, `SELECT count(*) FROM votes WHERE review_id = $1`, rv.ID); n != 1 {
		t.Fatalf("%d votes after reusing links, want 1", n)
	}

	// Another organisation votes on the page: its member's links say so.
	if _, err := f.reviews.Vote(ctx, f.hct[1], r.ID, service.VoteInput{Value: domain.VoteAbstain}); err != nil {
		t.Fatal(err)
	}
	p, err = f.links.Open(ctx, links[1][string(domain.VoteSupport)], "10.0.0.1", 0)
	if err != nil || p.Refusal != domain.LinkVotedOther {
		t.Fatalf("link after a vote on the page: %v, %q", err, p.Refusal)
	}

	// A forged token, a token re-bound to another user: unknown, as a
	// random one.
	tok := links[2][string(domain.VoteSupport)]
	forged := tok[:len(tok)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(tok, "AA")]
	for _, bad := range []string{forged, "nonsense", tok + "x", ""} {
		_, err := f.links.Open(ctx, bad, "10.0.0.2", 0)
		wantRefused(t, err, domain.CodeNotFound, domain.LinkUnknown)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE action_links SET user_id = $1 WHERE user_id = $2`, f.hct[3].UserID, f.hct[2].UserID); err != nil {
		t.Fatal(err)
	}
	_, err = f.links.Use(ctx, tok, service.LinkInput{Version: version + 1}, "10.0.0.2", 0)
	wantRefused(t, err, domain.CodeNotFound, domain.LinkUnknown)
	if _, err := f.pool.Exec(ctx, `UPDATE action_links SET user_id = $2 WHERE user_id = $1 AND id IN
		(SELECT id FROM action_links WHERE user_id = $1 ORDER BY id LIMIT 5)`, f.hct[3].UserID, f.hct[2].UserID); err != nil {
		t.Fatal(err)
	}

	// A disabled user's link stops working.
	u, err := f.dir.GetUser(ctx, f.admin, f.hct[3].UserID)
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if _, err := f.dir.UpdateUser(ctx, f.admin, u); err != nil {
		t.Fatal(err)
	}
	p, err = f.links.Open(ctx, links[3][string(domain.VoteSupport)], "10.0.0.1", 0)
	if err != nil || p.Refusal != domain.LinkDisabled || p.Request.ID != 0 {
		t.Fatalf("disabled user's link: %v, %q, shows request %d", err, p.Refusal, p.Request.ID)
	}
	_, err = f.links.Use(ctx, links[3][string(domain.VoteSupport)], service.LinkInput{Version: version + 2}, "10.0.0.1", 0)
	wantRefused(t, err, domain.CodeForbidden, domain.LinkDisabled)
	if n := f.count(t, `SELECT count(*) FROM votes WHERE review_id = $1`, rv.ID); n != 2 {
		t.Fatalf("%d votes, want 2", n)
	}
	// Enabled again, the account's old links stay dead.
	if u, err = f.dir.GetUser(ctx, f.admin, f.hct[3].UserID); err != nil {
		t.Fatal(err)
	}
	u.Disabled = false
	if _, err := f.dir.UpdateUser(ctx, f.admin, u); err != nil {
		t.Fatal(err)
	}
	for _, v := range domain.LinkValues(domain.LinkVote) {
		p, err = f.links.Open(ctx, links[3][v], "10.0.0.1", 0)
		if err != nil || p.Refusal != domain.LinkUsed {
			t.Fatalf("re-enabled user's %s link: %v, %q", v, err, p.Refusal)
		}
	}
}

// TestVoteLinkLifetime: a link stops working when its round ends
// (cancelled by a return, replaced by the next round) and at the
// review's deadline; the next round's e-mails carry links that work.
func TestVoteLinkLifetime(t *testing.T) {
	t.Parallel()
	f := newLinkFixture(t, 2)
	ctx := t.Context()
	r := f.submitted(t, "Bridge")
	f.open(t, r)
	first := f.mailedLinks(t, f.hct[0], domain.NoticeReviewOpened, domain.LinkVote)
	cur, _ := f.reqs.Get(ctx, f.officer, r.ID)
	if _, err := f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionReturnReview,
		domain.TransitionInput{Version: cur.Request.Version, Reason: "Clarify the route"}); err != nil {
		t.Fatal(err)
	}
	p, err := f.links.Open(ctx, first[string(domain.VoteSupport)], "", 0)
	if err != nil || p.Refusal != domain.LinkRoundClosed {
		t.Fatalf("link of a cancelled round: %v, %q", err, p.Refusal)
	}
	cur, _ = f.reqs.Get(ctx, f.requester, r.ID)
	if _, err := f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: cur.Request.Version}); err != nil {
		t.Fatal(err)
	}
	cur, _ = f.reqs.Get(ctx, f.officer, r.ID)
	rv2 := f.open(t, cur.Request)
	if rv2.Round != 2 {
		t.Fatalf("second review is round %d", rv2.Round)
	}
	_, err = f.links.Use(ctx, first[string(domain.VoteSupport)], service.LinkInput{Version: cur.Request.Version + 1}, "", 0)
	wantRefused(t, err, domain.CodeConflict, domain.LinkRoundClosed)
	second := f.mailedLinks(t, f.hct[0], domain.NoticeReviewOpened, domain.LinkVote)
	if p, err := f.links.Open(ctx, second[string(domain.VoteSupport)], "", 0); err != nil || p.Refusal != "" {
		t.Fatalf("second round's link: %v, %q", err, p.Refusal)
	}
	// At the deadline the link has expired, before any job closed the review.
	f.clock.t = rv2.Deadline
	p, err = f.links.Open(ctx, second[string(domain.VoteSupport)], "", 0)
	if err != nil || p.Refusal != domain.LinkExpired {
		t.Fatalf("link at the deadline: %v, %q", err, p.Refusal)
	}
}

// TestDecideFromEmail: the HC's review-closed e-mail offers approval
// only when the review passed, rejection always; officers get no links;
// a rationale is required; the decision is the HC's, recorded as from
// the e-mail, once.
func TestDecideFromEmail(t *testing.T) {
	t.Parallel()
	f := newLinkFixture(t, 2)
	ctx := t.Context()
	passed := f.submitted(t, "Passed")
	f.open(t, passed)
	for _, a := range f.hct {
		if _, err := f.reviews.Vote(ctx, a, passed.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
			t.Fatal(err)
		}
	}
	cur, _ := f.reqs.Get(ctx, f.officer, passed.ID)
	if _, err := f.reviews.Close(ctx, f.officer, passed.ID, cur.Request.Version); err != nil {
		t.Fatal(err)
	}
	links := f.mailedLinks(t, f.hc, domain.NoticeReviewClosed, domain.LinkDecide)
	if len(links) != 2 {
		t.Fatalf("passed review: HC links %v, want approve and reject", links)
	}
	if n := f.count(t, `SELECT count(*) FROM action_links WHERE user_id = $1`, f.officer.UserID); n != 0 {
		t.Fatalf("the officer got %d decision links", n)
	}
	p, err := f.links.Open(ctx, links[string(domain.StatusApproved)], "", 0)
	if err != nil || p.Refusal != "" || !p.Review.Tally.Passed {
		t.Fatalf("open approval: %v, %q, tally %+v", err, p.Refusal, p.Review.Tally)
	}
	cur, _ = f.reqs.Get(ctx, f.hc, passed.ID)
	_, err = f.links.Use(ctx, links[string(domain.StatusApproved)], service.LinkInput{Version: cur.Request.Version}, "", 0)
	if domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("approval without a rationale: %v", err)
	}
	if _, err := f.links.Use(ctx, links[string(domain.StatusApproved)], service.LinkInput{Version: cur.Request.Version,
		Rationale: "No civilian helicopter can land there in time.", Conditions: "Unarmed, unmarked"}, "", 0); err != nil {
		t.Fatalf("approve by link: %v", err)
	}
	if st := f.status(t, passed.ID); st != domain.StatusApproved {
		t.Fatalf("status %s after approval by link", st)
	}
	var by int64
	var via string
	if err := f.pool.QueryRow(ctx, `SELECT actor_id, payload::jsonb->>'via' FROM events WHERE request_id = $1 AND action = $2`,
		passed.ID, string(domain.ActionApprove)).Scan(&by, &via); err != nil || by != f.hc.UserID || via != "email_link" {
		t.Fatalf("approval event by %d via %q (%v)", by, via, err)
	}
	for _, tok := range links {
		_, err := f.links.Use(ctx, tok, service.LinkInput{Version: cur.Request.Version + 1, Rationale: "again"}, "", 0)
		wantRefused(t, err, domain.CodeConflict, domain.LinkUsed)
	}

	// A review that did not pass: rejection only.
	failed := f.submitted(t, "Failed")
	f.open(t, failed)
	for _, a := range f.hct {
		if _, err := f.reviews.Vote(ctx, a, failed.ID, service.VoteInput{Value: domain.VoteObject, Comment: "A civilian carrier can"}); err != nil {
			t.Fatal(err)
		}
	}
	cur, _ = f.reqs.Get(ctx, f.officer, failed.ID)
	if _, err := f.reviews.Close(ctx, f.officer, failed.ID, cur.Request.Version); err != nil {
		t.Fatal(err)
	}
	links = f.mailedLinks(t, f.hc, domain.NoticeReviewClosed, domain.LinkDecide)
	if _, ok := links[string(domain.StatusRejected)]; !ok || len(links) != 1 {
		t.Fatalf("failed review: HC links %v, want reject only", links)
	}
	// Decided on the page meanwhile: the link says so.
	cur, _ = f.reqs.Get(ctx, f.hc, failed.ID)
	if _, err := f.reviews.Decide(ctx, f.hc, failed.ID, service.DecisionInput{Version: cur.Request.Version,
		Outcome: domain.StatusRejected, Rationale: "Civilian option exists"}); err != nil {
		t.Fatal(err)
	}
	if p, err := f.links.Open(ctx, links[string(domain.StatusRejected)], "", 0); err != nil || p.Refusal != domain.LinkDecided {
		t.Fatalf("link after a decision on the page: %v, %q", err, p.Refusal)
	}
}

// TestLinkAsksSecondFactor: where the operation requires a second factor
// of the HC, the decision link asks the code: without one enrolled it
// says to enrol; a wrong code is refused and the link not spent; the
// right code decides.
func TestLinkAsksSecondFactor(t *testing.T) {
	t.Parallel()
	f := newLinkFixture(t, 1)
	ctx := t.Context()
	op := f.op
	op.RequireSecondFactor = true
	if _, err := f.dir.UpdateOperation(ctx, f.admin, f.op.Code, op); err != nil {
		t.Fatal(err)
	}
	r := f.submitted(t, "Field hospital")
	f.open(t, r)
	if _, err := f.reviews.Vote(ctx, f.hct[0], r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
		t.Fatal(err)
	}
	cur, _ := f.reqs.Get(ctx, f.officer, r.ID)
	if _, err := f.reviews.Close(ctx, f.officer, r.ID, cur.Request.Version); err != nil {
		t.Fatal(err)
	}
	tok := f.mailedLinks(t, f.hc, domain.NoticeReviewClosed, domain.LinkDecide)[string(domain.StatusApproved)]
	p, err := f.links.Open(ctx, tok, "", 0)
	if err != nil || !p.NeedsCode || p.HasFactor || p.Refusal != domain.LinkFactorMissing {
		t.Fatalf("page: %v, needs code %v, has factor %v, refusal %q", err, p.NeedsCode, p.HasFactor, p.Refusal)
	}
	in := service.LinkInput{Version: p.Request.Version, Rationale: "Only option", Code: "123456"}
	_, err = f.links.Use(ctx, tok, in, "", 0)
	wantRefused(t, err, domain.CodeForbidden, "link.factor_missing")

	e, err := f.access.Enrolment(ctx, f.hc.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.access.ConfirmEnrolment(ctx, f.hc.UserID, totptest.CodeAt(t, e.Secret, f.clock.t), "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	f.clock.t = f.clock.t.Add(2 * domain.TOTPPeriod)
	wrong := totptest.CodeAt(t, e.Secret, f.clock.t.Add(-10*domain.TOTPPeriod))
	in.Code = wrong
	if _, err := f.links.Use(ctx, tok, in, "", 0); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("wrong code: %v", err)
	}
	if p, _ := f.links.Open(ctx, tok, "", 0); p.Refusal != "" {
		t.Fatalf("a wrong code spent the link: %q", p.Refusal)
	}
	// A form error is found before the code is checked: the code is not
	// used up by it, and works on the corrected form.
	in.Code, in.Rationale = totptest.CodeAt(t, e.Secret, f.clock.t), ""
	if _, err := f.links.Use(ctx, tok, in, "", 0); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("right code, no rationale: %v", err)
	}
	in.Rationale = "Only option"
	if _, err := f.links.Use(ctx, tok, in, "", 0); err != nil {
		t.Fatalf("right code: %v", err)
	}
	if st := f.status(t, r.ID); st != domain.StatusApproved {
		t.Fatalf("status %s", st)
	}
}

// TestUnknownLinksAreThrottled: unknown links count against the
// address; once its limit is reached even a real link waits.
func TestUnknownLinksAreThrottled(t *testing.T) {
	t.Parallel()
	f := newLinkFixture(t, 1)
	ctx := t.Context()
	r := f.submitted(t, "Throttle")
	f.open(t, r)
	tok := f.mailedLinks(t, f.hct[0], domain.NoticeReviewOpened, domain.LinkVote)[string(domain.VoteSupport)]
	for range domain.LimitActionLink.Max {
		_, err := f.links.Open(ctx, strings.Repeat("A", len(tok)), "10.9.9.9", 0)
		wantRefused(t, err, domain.CodeNotFound, domain.LinkUnknown)
	}
	if _, err := f.links.Open(ctx, tok, "10.9.9.9", 0); domain.ErrorCode(err) != domain.CodeRateLimited {
		t.Fatalf("after %d unknown links: %v", domain.LimitActionLink.Max, err)
	}
	if p, err := f.links.Open(ctx, tok, "10.9.9.10", 0); err != nil || p.Refusal != "" {
		t.Fatalf("another address: %v, %q", err, p.Refusal)
	}
}

// TestCommentAwaitingDecisionTellsHC: a comment on a request awaiting the
// HC's decision reaches the HC, quoting it, and never its author.
func TestCommentAwaitingDecisionTellsHC(t *testing.T) {
	t.Parallel()
	f := newLinkFixture(t, 1)
	ctx := t.Context()
	r := f.submitted(t, "Field hospital")
	f.open(t, r)
	if _, err := f.reviews.Vote(ctx, f.hct[0], r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
		t.Fatal(err)
	}
	cur, _ := f.reqs.Get(ctx, f.officer, r.ID)
	if _, err := f.reviews.Close(ctx, f.officer, r.ID, cur.Request.Version); err != nil {
		t.Fatal(err)
	}
	// A deputy (a viewer) is acting HC for the week: told as the HC is.
	deputy := f.member(t, "deputy@example.org", f.officer.OrganizationID, domain.RoleViewer)
	if _, err := f.dir.NameActingHC(ctx, f.hc, f.op.Code, domain.ActingHCInput{UserID: deputy.UserID,
		EndsAt: f.clock.t.Add(7 * 24 * time.Hour), Reason: "HC travelling"}); err != nil {
		t.Fatal(err)
	}
	const said = "A civilian field hospital can now deploy by Friday."
	if _, err := f.reqs.AddComment(ctx, f.requester, r.ID, said); err != nil {
		t.Fatal(err)
	}
	quoted := func(userID int64) int {
		return f.count(t, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'comment' AND data->>'Comment' = $2`, userID, said)
	}
	if quoted(f.hc.UserID) != 1 || quoted(deputy.UserID) != 1 || quoted(f.officer.UserID) != 1 || quoted(f.requester.UserID) != 0 {
		t.Fatalf("comment told HC %d, acting HC %d, officer %d, author %d times",
			quoted(f.hc.UserID), quoted(deputy.UserID), quoted(f.officer.UserID), quoted(f.requester.UserID))
	}
}

// TestLinksEndWithTheMailbox: an administrator's "sign out everywhere"
// and a change of the user's e-mail address end the links already sent.
func TestLinksEndWithTheMailbox(t *testing.T) {
	t.Parallel()
	f := newLinkFixture(t, 2)
	ctx := t.Context()
	r := f.submitted(t, "Mailbox")
	f.open(t, r)
	first := f.mailedLinks(t, f.hct[0], domain.NoticeReviewOpened, domain.LinkVote)
	second := f.mailedLinks(t, f.hct[1], domain.NoticeReviewOpened, domain.LinkVote)
	if err := f.dir.EndSessions(ctx, f.admin, f.hct[0].UserID); err != nil {
		t.Fatal(err)
	}
	u, err := f.dir.GetUser(ctx, f.admin, f.hct[1].UserID)
	if err != nil {
		t.Fatal(err)
	}
	u.Email = "new-address@example.org"
	if _, err := f.dir.UpdateUser(ctx, f.admin, u); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{first[string(domain.VoteSupport)], second[string(domain.VoteSupport)]} {
		if p, err := f.links.Open(ctx, tok, "", 0); err != nil || p.Refusal != domain.LinkUsed {
			t.Errorf("link after the mailbox changed hands: %v, %q", err, p.Refusal)
		}
	}
}
