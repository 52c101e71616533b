package web_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
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

// TestSecurityLogShowsWhatWasTyped: a value anyone can type — the e-mail
// of a failed sign-in — cannot make the security log page read as
// something else: characters that reorder text are shown as code points;
// and an account event shows how it happened (the method of a sign-in).
func TestSecurityLogShowsWhatWasTyped(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	spoof := "\u202egro.elpmaxe@nimda\u200b\u00ad"
	wantStatus(t, f.post(t, f.client(t), "/login", url.Values{"email": {spoof}, "password": {"not the password"}}), 401)
	admin := f.signIn(t, "admin@example.org")
	rows := testid(doc(t, f.get(t, admin, "/admin/audit")), "dirlog").Find("tbody tr")
	failed, signedIn := "", ""
	rows.Each(func(_ int, r *goquery.Selection) {
		switch txt := r.Text(); {
		case strings.Contains(txt, "Sign-in failed") && failed == "":
			failed = txt
		case strings.Contains(txt, "Signed in") && signedIn == "":
			signedIn = txt
		}
	})
	if strings.ContainsRune(failed, '\u202e') || !strings.Contains(failed, "[U+202E]gro.elpmaxe@nimda[U+200B][U+00AD]") {
		t.Errorf("failed sign-in row = %q, want the override shown as [U+202E]", failed)
	}
	if !strings.Contains(signedIn, "method: password") {
		t.Errorf("sign-in row = %q, want its method", signedIn)
	}
}

// TestVersionOnlyForUsers: the build version is diagnostic; the pages of
// an anonymous visitor do not show it, a signed-in user's do.
func TestVersionOnlyForUsers(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustUser(t, "ana@example.org", 0)
	if body := f.get(t, f.client(t), "/login").body; strings.Contains(body, "Version") {
		t.Error("the sign-in page shows the build version")
	}
	if body := f.get(t, f.signIn(t, "ana@example.org"), "/profile").body; !strings.Contains(body, "Version") {
		t.Error("a signed-in user's page does not show the build version")
	}
}
