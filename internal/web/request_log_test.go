package web_test

import (
	"strconv"
	"strings"
	"testing"
)

// TestRequestLogNamesTheUser: the one line each request writes carries
// the id of the user who asked (0 for an anonymous caller). Both faces
// share the middleware that writes it (httpface.Stack).
func TestRequestLogNamesTheUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	u := f.mustUser(t, "ana@example.org", 0)
	c := f.signIn(t, "ana@example.org")
	wantStatus(t, f.get(t, c, "/profile"), 200)
	wantStatus(t, f.get(t, f.client(t), "/login"), 200)
	lines := strings.Split(f.logs.String(), "\n")
	find := func(route, user string) bool {
		for _, l := range lines {
			if strings.Contains(l, "msg=request") && strings.Contains(l, "route="+route+" ") && strings.Contains(l, "user_id="+user) {
				return true
			}
		}
		return false
	}
	id := strconv.FormatInt(u.ID, 10)
	if !find("/profile", id) {
		t.Errorf("no request line for /profile with user_id=%s:\n%s", id, f.logs.String())
	}
	if !find("/login", "0") {
		t.Errorf("no request line for /login with user_id=0")
	}
}
