package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// roundTrips counts the database round trips a pool makes: a query, or a
// batch of queries sent together (one round trip however many it holds).
type roundTrips struct {
	mu  sync.Mutex
	n   int
	log []string
}

func (q *roundTrips) add(s string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.n++
	q.log = append(q.log, strings.Join(strings.Fields(s), " "))
}

func (q *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	q.add(d.SQL)
	return ctx
}

func (q *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (q *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	q.add("batch of " + strconv.Itoa(d.Batch.Len()))
	return ctx
}

func (q *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

func (q *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func (q *roundTrips) since(mark int) (int, []string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n - mark, append([]string(nil), q.log[mark:]...)
}

func (q *roundTrips) mark() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// maxRequestPageRoundTrips is the most the request page may cost in
// database round trips, whoever looks and however long its timeline,
// votes and comments: the session, the user with their memberships (one
// batch), the request with everything else on the page (one batch:
// service.Requests.Page) and the header's unread count.
const maxRequestPageRoundTrips = 4

// TestRequestPageQueryCount proves the request page costs a bounded,
// constant number of database round trips: the same for a request with
// one vote, two comments and a short timeline as for one with four votes,
// thirty comments and a long timeline, for every role.
func TestRequestPageQueryCount(t *testing.T) {
	t.Parallel()
	counter := &roundTrips{}
	w := newRequestWorldOn(t, newFixtureOn(t, tracedPool(t, counter)))
	ctx := t.Context()
	hcActor := w.mustHC(t)
	hc := w.signIn(t, "hc@example.org")
	officer := w.mustActor(t, w.officerUser)

	comment := func(r domain.Request, n int) {
		for i := range n {
			if _, err := w.reqs.AddComment(ctx, w.requesterActor, r.ID, "Note "+strconv.Itoa(i)); err != nil {
				t.Fatalf("comment: %v", err)
			}
		}
	}
	small := w.approved(t, "Small lift", hcActor)
	comment(small, 2)

	// More HCT organisations for the second review: four votes.
	var members []domain.Actor
	for i := range 3 {
		org := w.mustOrg(t, "HCT org "+strconv.Itoa(i), domain.OrgINGO)
		u := w.mustUser(t, "hct"+strconv.Itoa(i)+"@example.org", org.ID)
		w.mustMember(t, "NPL-EQ", u, domain.RoleHCTMember)
		members = append(members, w.mustActor(t, u))
	}
	big := w.submitted(t, "Big lift")
	if _, err := w.revs.Open(ctx, officer, big.ID, service.OpenInput{Version: big.Version}); err != nil {
		t.Fatalf("open review: %v", err)
	}
	for _, m := range append(members, w.mustActor(t, w.hcU)) {
		if _, err := w.revs.Vote(ctx, m, big.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
			t.Fatalf("vote: %v", err)
		}
	}
	if _, err := w.revs.Close(ctx, officer, big.ID, big.Version); err != nil {
		t.Fatalf("close review: %v", err)
	}
	if _, err := w.revs.Decide(ctx, hcActor, big.ID, service.DecisionInput{Version: big.Version, Outcome: domain.StatusApproved,
		Rationale: "No civilian helicopter can reach the valley."}); err != nil {
		t.Fatalf("decide: %v", err)
	}
	comment(big, 30)

	queries := func(c *http.Client, r domain.Request) (int, []string) {
		t.Helper()
		mark := counter.mark()
		wantStatus(t, w.get(t, c, "/requests/"+strconv.FormatInt(r.ID, 10)), http.StatusOK)
		return counter.since(mark)
	}
	roles := []struct {
		name string
		c    *http.Client
	}{{"requester", w.requester}, {"officer", w.officer}, {"hct member", w.hct}, {"hc", hc}}
	for _, role := range roles {
		n, log := queries(role.c, small)
		if got, _ := queries(role.c, big); got != n {
			t.Errorf("%s: %d round trips for the long request, %d for the short one", role.name, got, n)
		}
		if n > maxRequestPageRoundTrips {
			t.Errorf("%s: the request page makes %d round trips, want at most %d:\n%s", role.name, n,
				maxRequestPageRoundTrips, strings.Join(log, "\n"))
		}
		t.Logf("%s: %d round trips", role.name, n)
	}
}
