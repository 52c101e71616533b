package web_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestQueueCountSaysWhenMoreWait: a queue's heading counts what it lists
// and adds "+" when more wait (service.Queued.More), on either side of
// service.QueueLimit, on the home page and the operation's page.
func TestQueueCountSaysWhenMoreWait(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustOperation(t, "NPL-EQ", domain.ContextNaturalDisaster)
	ana := f.mustUser(t, "ana@example.org", 0)
	f.mustMember(t, "NPL-EQ", ana, domain.RoleRequester)
	c := f.signIn(t, "ana@example.org")
	by := f.mustActor(t, ana)
	for i := range service.QueueLimit + 1 {
		if _, _, err := f.reqs.Create(t.Context(), by, "NPL-EQ", fx.Request("Airlift "+strconv.Itoa(i), f.clock.Now()), ""); err != nil {
			t.Fatal(err)
		}
		want := "(" + strconv.Itoa(i+1) + ")"
		if i+1 > service.QueueLimit {
			want = "(" + strconv.Itoa(service.QueueLimit) + "+)"
		}
		for _, page := range []string{"/", "/operations/NPL-EQ"} {
			r := f.get(t, c, page)
			wantStatus(t, r, http.StatusOK)
			d := doc(t, r)
			if got := testid(d, "queue-count-my_drafts").Text(); got != want {
				t.Fatalf("%s with %d drafts: count %q, want %q", page, i+1, got, want)
			}
			if got := testid(d, "queue-my_drafts").Find("li").Length(); got != min(i+1, service.QueueLimit) {
				t.Fatalf("%s with %d drafts: %d listed", page, i+1, got)
			}
		}
	}
}
