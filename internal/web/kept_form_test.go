package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// endSessions makes every stored session expire, as twelve hours (or a
// disabled account, a changed password) would.
func (f *fixture) endSessions(t *testing.T) {
	t.Helper()
	if _, err := f.pool.Exec(t.Context(), `UPDATE sessions SET expiry = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
}

// TestKeptFormAfterSessionEnds: the request form (new and edit) posted
// after its session ended saves nothing, keeps what was typed and sends
// the browser to sign in; signing in again as the same user comes back to
// the form with every value typed, not submitted, with the version it was
// loaded with (so a change made meanwhile is still shown as a conflict);
// signed in as someone else on that browser, the kept form is discarded;
// and it expires.
func TestKeptFormAfterSessionEnds(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	r := w.create(t, fx.Request("Airlift", w.clock.Now()))
	edit := "/requests/" + strconv.FormatInt(r.ID, 10) + "/edit"
	newURL := "/operations/NPL-EQ/requests/new"
	signIn := func(t *testing.T, c *http.Client, email string) response {
		t.Helper()
		res := w.post(t, c, "/login", url.Values{"email": {email}, "password": {testPassword}})
		wantStatus(t, res, http.StatusSeeOther)
		return res
	}
	// typeAndLoseSession loads path in a fresh browser signed in as the
	// requester, types into it, lets the session end and posts.
	typeAndLoseSession := func(t *testing.T, path string) (*http.Client, url.Values) {
		t.Helper()
		c := w.signIn(t, "req@example.org")
		typed := requestFormOf(doc(t, w.get(t, c, path)))
		typed.Set("title", "Typed before the session ended ("+t.Name()+")")
		typed.Set("need", "Every word of this must come back ("+t.Name()+").")
		typed.Set("intent", "submit")
		w.endSessions(t)
		res := w.post(t, c, path, typed)
		wantStatus(t, res, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != "/login?next="+url.QueryEscape(path) {
			t.Fatalf("signed-out POST went to %q, want the sign-in page coming back to %s", loc, path)
		}
		wantFlashText(t, doc(t, w.get(t, c, "/login")), "kept for 30 minutes")
		return c, typed
	}
	wantKept := func(t *testing.T, c *http.Client, path string, typed url.Values) url.Values {
		t.Helper()
		page := w.get(t, c, path)
		wantStatus(t, page, http.StatusOK)
		d := doc(t, page)
		if !strings.Contains(testid(d, "form-notice").Text(), "not been saved yet") {
			t.Errorf("%s: no notice that the kept form is not saved: %q", path, testid(d, "form-notice").Text())
		}
		got := requestFormOf(d)
		for k := range typed {
			if k == "intent" || k == "idempotency_key" && path == edit {
				continue
			}
			if got.Get(k) != typed.Get(k) {
				t.Errorf("%s: %s = %q after signing in again, want what was typed %q", path, k, got.Get(k), typed.Get(k))
			}
		}
		// Once only.
		if again := requestFormOf(doc(t, w.get(t, c, path))); again.Get("title") == typed.Get("title") {
			t.Errorf("%s: the kept form is shown a second time", path)
		}
		return got
	}

	t.Run("EditBackAfterSignIn", func(t *testing.T) {
		c, typed := typeAndLoseSession(t, edit)
		stored, _ := w.reqs.Get(t.Context(), w.requesterActor, r.ID)
		if stored.Request.Title != "Airlift" || stored.Request.Status != domain.StatusDraft {
			t.Fatalf("the signed-out POST changed the request: %q %s", stored.Request.Title, stored.Request.Status)
		}
		if res := signIn(t, c, "req@example.org"); res.Header.Get("Location") != edit {
			t.Fatalf("after signing in: to %q, want back to %s", res.Header.Get("Location"), edit)
		}
		got := wantKept(t, c, edit, typed)
		// Saved afterwards, deliberately: the typing is there.
		got.Set("intent", "save")
		wantStatus(t, w.post(t, c, edit, got), http.StatusSeeOther)
		stored, _ = w.reqs.Get(t.Context(), w.requesterActor, r.ID)
		if stored.Request.Title != typed.Get("title") || stored.Request.Need != typed.Get("need") {
			t.Errorf("saved after signing in: %q %q", stored.Request.Title, stored.Request.Need)
		}
	})
	t.Run("ChangedMeanwhileStillAConflict", func(t *testing.T) {
		c, typed := typeAndLoseSession(t, edit)
		cur, _ := w.reqs.Get(t.Context(), w.requesterActor, r.ID)
		if _, err := w.reqs.Edit(t.Context(), w.requesterActor, r.ID, cur.Request.Version, func(x *domain.Request) error {
			x.Capability = "Changed by a colleague meanwhile."
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		signIn(t, c, "req@example.org")
		got := wantKept(t, c, edit, typed)
		got.Set("intent", "save")
		res := w.post(t, c, edit, got)
		wantStatus(t, res, http.StatusConflict)
		if testid(doc(t, res), "conflict-capability").Length() != 1 {
			t.Error("the colleague's change is not shown")
		}
	})
	t.Run("NewBackAfterSignIn", func(t *testing.T) {
		c, typed := typeAndLoseSession(t, newURL)
		signIn(t, c, "req@example.org")
		wantKept(t, c, newURL, typed)
	})
	t.Run("AnotherUserSignsIn", func(t *testing.T) {
		c, typed := typeAndLoseSession(t, edit)
		if res := signIn(t, c, "other@example.org"); res.Header.Get("Location") == edit {
			t.Fatal("another user was sent to the kept form")
		}
		if got := requestFormOf(doc(t, w.get(t, c, newURL))); got.Get("need") == typed.Get("need") {
			t.Fatal("another user sees the kept typing")
		}
		w.post(t, c, "/logout", url.Values{})
		signIn(t, c, "req@example.org")
		if got := requestFormOf(doc(t, w.get(t, c, edit))); got.Get("need") == typed.Get("need") {
			t.Error("the kept form survived another user's sign-in")
		}
	})
	t.Run("Expires", func(t *testing.T) {
		c, typed := typeAndLoseSession(t, edit)
		// The time passes (the access service reads the real clock).
		if _, err := w.pool.Exec(t.Context(), `UPDATE form_stashes SET created_at = created_at - make_interval(mins => $1),
			expires_at = expires_at - make_interval(mins => $1)`, int((service.StashLifetime + time.Minute).Minutes())); err != nil {
			t.Fatal(err)
		}
		if res := signIn(t, c, "req@example.org"); res.Header.Get("Location") == edit {
			t.Error("an expired kept form still brought the user back")
		}
		if got := requestFormOf(doc(t, w.get(t, c, edit))); got.Get("need") == typed.Get("need") {
			t.Error("an expired kept form was shown")
		}
	})
	if strings.Contains(w.logs.String(), "Every word of this must come back") {
		t.Error("a kept form's content was logged")
	}
}
