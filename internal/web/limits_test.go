package web_test

import (
	"github.com/PuerkitoBio/goquery"

	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestBusinessLimitsLoseNothing walks domain.ActionLimits through the
// pages: the action taken Max times works; the next is 429 with
// Retry-After and says how long to wait, and a form comes back with what
// was typed.
func TestBusinessLimitsLoseNothing(t *testing.T) {
	t.Parallel()
	type driver struct {
		post func(w *requestWorld, target int64, i int) response
		// kept is the text the refused answer must still hold ("" for a
		// download, which has no form).
		kept func(i int) string
	}
	drivers := map[domain.Action]driver{
		domain.ActionCreateRequest: {
			post: func(w *requestWorld, _ int64, i int) response {
				return w.post(t, w.requester, "/operations/NPL-EQ/requests/new",
					url.Values{"idempotency_key": {"k" + strconv.Itoa(i)}, "title": {"Draft number " + strconv.Itoa(i)}})
			},
			kept: func(i int) string { return "Draft number " + strconv.Itoa(i) },
		},
		domain.ActionComment: {
			post: func(w *requestWorld, target int64, i int) response {
				return w.post(t, w.hct, "/requests/"+strconv.FormatInt(target, 10)+"/comments",
					url.Values{"body": {"Comment number " + strconv.Itoa(i)}})
			},
			kept: func(i int) string { return "Comment number " + strconv.Itoa(i) },
		},
		domain.ActionExportRequests: {
			post: func(w *requestWorld, _ int64, _ int) response {
				return w.get(t, w.officer, "/operations/NPL-EQ/exports/requests.csv")
			},
			kept: func(int) string { return "" },
		},
	}
	for action, limit := range domain.ActionLimits {
		d, ok := drivers[action]
		if !ok {
			t.Errorf("limited action %s has no page driver here", action)
			continue
		}
		t.Run(string(action), func(t *testing.T) {
			t.Parallel()
			w := newRequestWorld(t)
			w.reqs.WithActionLimits(domain.ActionLimits)
			w.exports.WithActionLimits(domain.ActionLimits)
			var target int64
			if action == domain.ActionComment {
				target = w.submitted(t, "Commented").ID
			}
			for i := range limit.Max {
				if r := d.post(w, target, i); r.StatusCode >= 400 {
					t.Fatalf("attempt %d: status %d", i, r.StatusCode)
				}
			}
			r := d.post(w, target, limit.Max)
			wantStatus(t, r, http.StatusTooManyRequests)
			if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 1 {
				t.Errorf("Retry-After = %q", r.Header.Get("Retry-After"))
			}
			page := doc(t, r)
			if msg := page.Text(); !strings.Contains(msg, "Wait 1 minute") {
				t.Errorf("the refusal does not say how long to wait: %.300q", msg)
			}
			if want := d.kept(limit.Max); want != "" {
				kept := false
				page.Find("input, textarea").Each(func(_ int, s *goquery.Selection) {
					kept = kept || s.AttrOr("value", "") == want || strings.TrimSpace(s.Text()) == want
				})
				if !kept {
					t.Errorf("what was typed (%q) is not on the refused form", want)
				}
			}
		})
	}
}

// TestThrottledSecretFormsLoseNothing: a form that checks the current
// password (a new token, a new password), refused by the limit after
// repeated wrong passwords, comes back — 429 with Retry-After, the wait
// said — with what was typed, as a wrong password's 422 does.
func TestThrottledSecretFormsLoseNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustUser(t, "ana@example.org", 0)
	c := f.signIn(t, "ana@example.org")
	token := url.Values{"token_name": {"Sync script"}, "token_scope": {"full"}, "token_expires": {"never"},
		"token_password": {"not my password"}}
	for range domain.LimitPasswordCheck.Max {
		wantStatus(t, f.post(t, c, "/profile/tokens", token), http.StatusUnprocessableEntity)
	}
	r := f.post(t, c, "/profile/tokens", token)
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	d := doc(t, r)
	wantValue(t, d, "token_name", "Sync script")
	if !strings.Contains(d.Text(), "Wait 15 minutes") {
		t.Errorf("the refusal does not say how long to wait: %.300q", d.Text())
	}
	r = f.post(t, c, "/profile/password", url.Values{"current_password": {testPassword},
		"new_password": {"a brand new passphrase"}, "password_confirm": {"a brand new passphrase"}})
	wantStatus(t, r, http.StatusTooManyRequests)
}
