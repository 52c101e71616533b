package main

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cmcoord/cmcoord/web"
)

// TestOfflineServerSide checks the server's part of the offline drafts
// (issue 18): the service worker at /sw.js (no-cache, this build's hashed
// assets, an ETag), the per-user local key in signed-in pages only (the
// same for a user each time, another for another user, none signed
// out), the autosave key on the request form, the saved-form signal
// after a successful save (and not after a refused one), the drafts
// page, and sign-out.
func TestOfflineServerSide(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	if _, err := runCmd(t, "demo", "-database-url", srv.DB); err != nil {
		t.Fatalf("demo: %v", err)
	}
	base, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	w := &weigher{t: t, base: base, assets: map[string]wireResponse{}}
	anon := newClient(t)

	sw := w.get(anon, "/sw.js", "")
	if sw.status != http.StatusOK || !strings.HasPrefix(sw.header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("GET /sw.js: %d %q", sw.status, sw.header.Get("Content-Type"))
	}
	if cc := sw.header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("/sw.js Cache-Control = %q, want no-cache", cc)
	}
	body := string(sw.body)
	for _, a := range []string{"js/offline.js", "css/app.css", "icon.svg"} {
		if !strings.Contains(body, `"`+web.Asset(a)+`"`) {
			t.Errorf("/sw.js does not list %s (%s)", a, web.Asset(a))
		}
	}
	if strings.Contains(body, "__VERSION__") || strings.Contains(body, "__ASSETS__") {
		t.Error("/sw.js has its placeholders left")
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/sw.js", nil)
	req.Header.Set("If-None-Match", sw.header.Get("ETag"))
	if resp, err := anon.Do(req); err != nil || resp.StatusCode != http.StatusNotModified {
		t.Errorf("/sw.js with its ETag: %v %v, want 304", resp, err)
	} else {
		resp.Body.Close()
	}
	if csp := w.get(anon, "/login", "").header.Get("Content-Security-Policy"); !strings.Contains(csp, "worker-src 'self'") ||
		!strings.Contains(csp, "script-src 'self';") {
		t.Errorf("CSP %q: want script-src and worker-src 'self' only", csp)
	}

	doc := func(c *http.Client, path string) *goquery.Document {
		t.Helper()
		r := w.get(c, path, "")
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, r.status)
		}
		d, err := goquery.NewDocumentFromReader(bytes.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	localKey := func(d *goquery.Document) string {
		return d.Find(`meta[name="cmcoord-local-key"]`).AttrOr("content", "")
	}
	if k := localKey(doc(anon, "/login")); k != "" {
		t.Errorf("the sign-in page carries a local key %q", k)
	}
	if n := doc(anon, "/login").Find("script").Length(); n != 0 {
		t.Errorf("the sign-in page loads %d scripts, want none", n)
	}

	newForm := "/operations/" + pageWeightOperation + "/requests/new"
	requester := w.signIn("requester@example.org")
	form := doc(requester, newForm)
	k1 := localKey(form)
	if raw, err := base64.RawURLEncoding.DecodeString(k1); err != nil || len(raw) != 32 {
		t.Errorf("local key %q: %d bytes, %v; want 32 bytes base64url", k1, len(raw), err)
	}
	if got := form.Find(`form[data-testid="request-form"]`).AttrOr("data-autosave", ""); got != "new:"+pageWeightOperation {
		t.Errorf("new-request form data-autosave = %q", got)
	}
	if src := form.Find("script[src][defer]").AttrOr("src", ""); src != web.Asset("js/offline.js") {
		t.Errorf("offline script = %q, want %q", src, web.Asset("js/offline.js"))
	}
	if k := localKey(doc(requester, "/")); k != k1 {
		t.Errorf("the same user's key differs between pages: %q, %q", k, k1)
	}
	field := w.signIn("field@example.org")
	if k := localKey(doc(field, "/")); k == "" || k == k1 {
		t.Errorf("another user's key = %q, want a different one from %q", k, k1)
	}
	if k := localKey(doc(requester, "/offline-drafts")); k != k1 {
		t.Errorf("drafts page key = %q", k)
	}

	// A refused save (no title) leaves no saved-form signal; a save does,
	// once, on the page after the redirect.
	idem := form.Find(`input[name="idempotency_key"]`).AttrOr("value", "")
	refused := w.post(requester, newForm, url.Values{"idempotency_key": {idem}, "intent": {"save"},
		"autosave_key": {"new:" + pageWeightOperation}})
	if refused.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("save without a title: %d, want 422", refused.StatusCode)
	}
	for _, c := range refused.Cookies() {
		if c.Name == "cmcoord_saved" {
			t.Errorf("a refused save set %v", c)
		}
	}
	saved := w.post(requester, newForm, url.Values{"idempotency_key": {idem}, "intent": {"save"}, "title": {"Airlift to Rasuwa"},
		"autosave_key": {"new:" + pageWeightOperation}})
	loc := saved.Header.Get("Location")
	if saved.StatusCode != http.StatusSeeOther || !regexp.MustCompile(`^/requests/\d+$`).MatchString(loc) {
		t.Fatalf("save: %d to %q", saved.StatusCode, loc)
	}
	if got := doc(requester, loc).Find("body").AttrOr("data-saved", ""); got != "new:"+pageWeightOperation {
		t.Errorf("page after the save: body data-saved = %q", got)
	}
	if _, ok := doc(requester, loc).Find("body").Attr("data-saved"); ok {
		t.Error("the saved-form signal shows twice")
	}

	// Sign-out: the sign-in page after it has no key.
	out := w.post(requester, "/logout", url.Values{})
	if out.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", out.StatusCode)
	}
	if k := localKey(doc(requester, "/login")); k != "" {
		t.Errorf("signed out, the page still carries a key")
	}
}
