package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cmcoord/cmcoord/internal/demo"
	"github.com/cmcoord/cmcoord/internal/web"
)

// pageBudget is what one page may cost on a cold cache: its compressed
// HTML plus every same-origin stylesheet, script and icon it references,
// compressed. 30 KB is about a second at 256 kbit/s, a satellite link's
// share in the field.
const pageBudget = 30 * 1024

// pageWeightOperation is the demo operation the pages are taken from.
const pageWeightOperation = "NPL-EQ-DEMO"

// hashedAsset is the shape of a content-hashed static URL (web.Asset).
var hashedAsset = regexp.MustCompile(`^/static/[A-Za-z0-9_./-]+\.[0-9a-f]{10}\.[A-Za-z0-9]+$`)

// ourScript reports whether src is one of the two scripts pages may load:
// the offline drafts' and the resumable upload's.
func ourScript(src string) bool {
	return strings.HasPrefix(src, "/static/js/offline.") || strings.HasPrefix(src, "/static/js/upload.")
}

// cssURL finds url(...) references and @import targets in a stylesheet.
var (
	cssURL    = regexp.MustCompile(`url\(\s*['"]?([^'")\s]+)['"]?\s*\)`)
	cssImport = regexp.MustCompile(`@import\s+['"]([^'"]+)['"]`)
	webFont   = regexp.MustCompile(`(?i)\.(woff2?|ttf|otf|eot)(\?|#|$)`)
)

// wireResponse is one response as it crossed the wire.
type wireResponse struct {
	status   int
	header   http.Header
	wire     int    // body bytes as transferred (compressed when gzip)
	body     []byte // decoded body
	encoding string // Content-Encoding
}

// pageWeight is one row of the report.
type pageWeight struct {
	user, page, lang string
	html, assets     int
	assetList        []string
}

func (p pageWeight) total() int { return p.html + p.assets }

// weigher fetches pages and assets the way a browser on a cold cache
// would, counting compressed bytes, and checks what it sees.
type weigher struct {
	t      *testing.T
	base   *url.URL
	assets map[string]wireResponse // by path: fetched once, counted per page
	rows   []pageWeight
}

// newClient is a plain client with a cookie jar. Compression is left to
// us: with Accept-Encoding set by hand the transport neither adds it nor
// decompresses, so the body read is what crossed the wire.
func newClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		Transport:     &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

func (w *weigher) get(c *http.Client, path, acceptLanguage string) wireResponse {
	w.t.Helper()
	req, err := http.NewRequestWithContext(w.t.Context(), http.MethodGet, w.base.String()+path, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip")
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	resp, err := c.Do(req)
	if err != nil {
		w.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatalf("GET %s: %v", path, err)
	}
	r := wireResponse{status: resp.StatusCode, header: resp.Header, wire: len(raw), body: raw,
		encoding: resp.Header.Get("Content-Encoding")}
	if r.encoding == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			w.t.Fatalf("GET %s: gzip: %v", path, err)
		}
		if r.body, err = io.ReadAll(zr); err != nil {
			w.t.Fatalf("GET %s: gzip: %v", path, err)
		}
	}
	return r
}

// post sends a same-origin form, as the browser would (Origin set).
func (w *weigher) post(c *http.Client, path string, form url.Values) *http.Response {
	w.t.Helper()
	req, err := http.NewRequestWithContext(w.t.Context(), http.MethodPost, w.base.String()+path, strings.NewReader(form.Encode()))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", w.base.Scheme+"://"+w.base.Host)
	resp, err := c.Do(req)
	if err != nil {
		w.t.Fatalf("POST %s: %v", path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func (w *weigher) signIn(email string) *http.Client {
	w.t.Helper()
	c := newClient(w.t)
	resp := w.post(c, "/login", url.Values{"email": {email}, "password": {demo.Password}})
	if resp.StatusCode != http.StatusSeeOther {
		w.t.Fatalf("sign in as %s: status %d, want 303", email, resp.StatusCode)
	}
	// The demo enrols nobody: the administrator sets up a factor now.
	secondStep(w.t, c, w.base.String(), resp.Header.Get("Location"), nil)
	return c
}

// setLanguage uses the footer's switcher: it saves the profile language
// of a signed-in user and sets the language cookie.
func (w *weigher) setLanguage(c *http.Client, lang string) {
	w.t.Helper()
	resp := w.post(c, "/language", url.Values{"language": {lang}, "return": {"/"}})
	if resp.StatusCode != http.StatusSeeOther {
		w.t.Fatalf("POST /language %s: status %d, want 303", lang, resp.StatusCode)
	}
}

// page fetches path as c in lang, weighs it with its assets, checks it
// and returns its document.
func (w *weigher) page(c *http.Client, user, path, lang, acceptLanguage string) *goquery.Document {
	w.t.Helper()
	r := w.get(c, path, acceptLanguage)
	if r.status != http.StatusOK {
		w.t.Fatalf("%s GET %s (%s): status %d, want 200", user, path, lang, r.status)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		w.t.Fatalf("%s GET %s: Content-Type %q, want text/html", user, path, ct)
	}
	if r.encoding != "gzip" {
		w.t.Errorf("%s GET %s (%s): Content-Encoding %q, want gzip", user, path, lang, r.encoding)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(r.body))
	if err != nil {
		w.t.Fatalf("%s GET %s: parse: %v", user, path, err)
	}
	if got, _ := doc.Find("html").Attr("lang"); got != lang {
		w.t.Errorf("%s GET %s: <html lang=%q>, want %q", user, path, got, lang)
	}
	where := fmt.Sprintf("%s %s (%s)", user, path, lang)
	// Pages work without JavaScript; the only scripts are the offline one
	// (issue 18) and, on a request page where a document may be added,
	// the resumable upload's (issue 20), deferred, same-origin and counted
	// below.
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		src, ok := s.Attr("src")
		_, deferred := s.Attr("defer")
		if !ok || !ourScript(src) || !deferred {
			w.t.Errorf("%s: <script src=%q defer=%v>: only the deferred offline and upload scripts are expected", where, src, deferred)
		}
		if strings.HasPrefix(src, "/static/js/upload.") && doc.Find(`form[data-upload]`).Length() == 0 {
			w.t.Errorf("%s: the upload script without a form to add a document", where)
		}
	})
	w.checkThirdParty(doc, where)

	row := pageWeight{user: user, page: path, lang: lang, html: r.wire}
	for _, ref := range w.references(doc) {
		for _, a := range w.asset(ref, where) {
			row.assets += w.assets[a].wire
			row.assetList = append(row.assetList, a)
		}
	}
	w.rows = append(w.rows, row)
	if row.total() > pageBudget {
		w.t.Errorf("%s: %d bytes transferred (HTML %d + assets %d), over the %d-byte budget",
			where, row.total(), row.html, row.assets, pageBudget)
	}
	return doc
}

// references lists the same-origin subresources a page loads: stylesheets,
// icons and other <link>ed files, scripts, images and media. Anchors and
// forms are navigation, not part of the page's weight.
func (w *weigher) references(doc *goquery.Document) []string {
	var refs []string
	add := func(v string) {
		if p, ok := w.sameOrigin(v); ok && !slices.Contains(refs, p) {
			refs = append(refs, p)
		}
	}
	doc.Find("link[href]").Each(func(_ int, s *goquery.Selection) {
		rel := strings.ToLower(s.AttrOr("rel", ""))
		for _, r := range strings.Fields(rel) {
			switch r {
			case "stylesheet", "icon", "apple-touch-icon", "preload", "modulepreload", "manifest", "mask-icon":
				add(s.AttrOr("href", ""))
				return
			}
		}
	})
	doc.Find("script[src], img[src], source[src], video[src], audio[src], iframe[src], embed[src], input[src]").
		Each(func(_ int, s *goquery.Selection) { add(s.AttrOr("src", "")) })
	doc.Find("object[data]").Each(func(_ int, s *goquery.Selection) { add(s.AttrOr("data", "")) })
	return refs
}

// sameOrigin returns the path of a same-origin reference; data: URIs and
// fragments are not fetched.
func (w *weigher) sameOrigin(ref string) (string, bool) {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "data:") {
		return "", false
	}
	u, err := w.base.Parse(ref)
	if err != nil || u.Host != w.base.Host {
		return "", false
	}
	return u.RequestURI(), true
}

// checkThirdParty fails on any attribute that makes the page reach
// another host.
func (w *weigher) checkThirdParty(doc *goquery.Document, where string) {
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			switch strings.ToLower(a.Key) {
			case "src", "href", "action", "formaction", "poster", "data", "srcset", "xlink:href", "background", "cite":
			default:
				continue
			}
			if w.thirdParty(a.Val) {
				w.t.Errorf("%s: <%s %s=%q> references a third-party host", where, goquery.NodeName(s), a.Key, a.Val)
			}
		}
	})
}

func (w *weigher) thirdParty(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	if strings.HasPrefix(v, "//") {
		return true
	}
	if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
		return false
	}
	u, err := url.Parse(v)
	return err != nil || u.Host != w.base.Host
}

// asset fetches a subresource once (the test's own cache; each page still
// counts it, as a cold cache would), checks how it is served and returns
// it with whatever it pulls in (a stylesheet's url() and @import).
func (w *weigher) asset(path, where string) []string {
	w.t.Helper()
	if _, ok := w.assets[path]; ok {
		return w.withChildren(path)
	}
	c := newClient(w.t) // assets need no session
	r := w.get(c, path, "")
	w.assets[path] = r
	if r.status != http.StatusOK {
		w.t.Errorf("%s: asset %s: status %d, want 200", where, path, r.status)
		return []string{path}
	}
	if !hashedAsset.MatchString(path) {
		w.t.Errorf("%s: asset %s is not content-hashed (reference it through web.Asset)", where, path)
	}
	cc := r.header.Get("Cache-Control")
	if !strings.Contains(cc, "immutable") || maxAge(cc) < 365*24*3600 {
		w.t.Errorf("asset %s: Cache-Control %q, want a year's max-age and immutable", path, cc)
	}
	ct := r.header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "text/css"):
		if r.encoding != "gzip" {
			w.t.Errorf("stylesheet %s: Content-Encoding %q, want gzip", path, r.encoding)
		}
		css := string(r.body)
		if strings.Contains(strings.ToLower(css), "@font-face") {
			w.t.Errorf("stylesheet %s declares @font-face: web fonts cost bytes a slow link cannot spare; use system fonts", path)
		}
		for _, m := range append(cssURL.FindAllStringSubmatch(css, -1), cssImport.FindAllStringSubmatch(css, -1)...) {
			ref := m[1]
			if webFont.MatchString(ref) {
				w.t.Errorf("stylesheet %s loads a web font %s", path, ref)
			}
			if w.thirdParty(ref) {
				w.t.Errorf("stylesheet %s references a third-party host: %s", path, ref)
			}
		}
	case strings.Contains(ct, "javascript"):
		if !ourScript(path) {
			w.t.Errorf("%s: script %s: only the offline and upload scripts are expected", where, path)
		}
		if r.encoding != "gzip" {
			w.t.Errorf("script %s: Content-Encoding %q, want gzip", path, r.encoding)
		}
	}
	return w.withChildren(path)
}

// withChildren returns path and, for a stylesheet, the same-origin files
// its url() and @import name, fetched too.
func (w *weigher) withChildren(path string) []string {
	out := []string{path}
	r := w.assets[path]
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") {
		return out
	}
	css := string(r.body)
	base, _ := w.base.Parse(path)
	for _, m := range append(cssURL.FindAllStringSubmatch(css, -1), cssImport.FindAllStringSubmatch(css, -1)...) {
		u, err := base.Parse(m[1])
		if err != nil || strings.HasPrefix(m[1], "data:") || strings.HasPrefix(m[1], "#") || u.Host != w.base.Host {
			continue
		}
		if p := u.RequestURI(); p != path && !slices.Contains(out, p) {
			out = append(out, w.asset(p, "stylesheet "+path)...)
		}
	}
	return out
}

func maxAge(cc string) int {
	for _, part := range strings.Split(cc, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "max-age="); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// requestPages picks, from a request list page, one request per status
// (in the order of want) and returns their paths by status.
func requestPages(doc *goquery.Document, want []string) map[string]string {
	out := map[string]string{}
	doc.Find(`[data-testid="requests"] tbody tr`).Each(func(_ int, row *goquery.Selection) {
		href, ok := row.Find(`a[href^="/requests/"]`).First().Attr("href")
		if !ok {
			return
		}
		status := row.Find(`[data-testid="status"]`).AttrOr("data-status", "")
		for _, st := range want {
			if status == st {
				if _, seen := out[st]; !seen {
					out[st] = href
				}
			}
		}
	})
	return out
}

// TestPageWeight: every main page, for every demo role, in English and
// Arabic, fits in pageBudget bytes on a cold cache (compressed HTML plus
// its same-origin stylesheet, scripts and icons), is gzip-encoded, loads
// nothing from another host, no web font and no script but the deferred
// offline one (counted); static assets are
// content-hashed and cached for a year, immutable.
func TestPageWeight(t *testing.T) {
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
	op := "/operations/" + pageWeightOperation
	languages := []string{"en", "ar"}

	// The sign-in page, anonymous: the language comes from the browser.
	for _, lang := range languages {
		w.page(newClient(t), "anonymous", "/login", lang, lang)
	}

	// Request pages in distinct states: a draft, a returned request, an
	// open review, a closed review awaiting the HC, an approval with its
	// lifecycle to hand-over, an approval with consent, a redirection.
	states := []string{"draft", "returned", "hct_review", "hc_decision", "handed_over", "approved", "redirected", "withdrawn"}
	wantStates := map[string][]string{
		"requester": {"draft", "returned", "hct_review", "handed_over"},
		"officer":   {"hct_review", "hc_decision", "handed_over", "approved", "redirected"},
		"hct":       {"hct_review", "handed_over"},
		"hc":        {"hc_decision", "handed_over"},
		"hrddp":     {"hct_review"},
		"viewer":    {"handed_over", "withdrawn"},
	}
	users := []struct {
		name  string
		extra []string // pages beyond home, list, requests, notifications, profile
		list  bool     // a member of the operation: the list and request pages
	}{
		{"requester", []string{op + "/requests/new", op + "/requests/new/steps", "/offline-drafts"}, true},
		{"officer", []string{op + "/screening", op + "/summary", op}, true},
		{"hct", nil, true},
		{"hc", nil, true},
		{"hrddp", nil, true},
		{"viewer", nil, true},
		{"admin", []string{"/admin", "/admin/organizations", "/admin/users", "/admin/operations", "/admin/audit", "/admin/mail", "/admin/documents", op + "/members"}, false},
	}
	var sawRecord, sawReview, sawLifecycle bool
	for _, u := range users {
		c := w.signIn(u.name + "@example.org")
		for _, lang := range languages {
			w.setLanguage(c, lang) // demo users speak fr and es too: choose explicitly
			w.page(c, u.name, "/", lang, "")
			var pages []string
			if u.list {
				list := w.page(c, u.name, op+"/requests", lang, "")
				found := requestPages(list, states)
				for _, st := range wantStates[u.name] {
					p, ok := found[st]
					if !ok {
						t.Fatalf("%s: no %s request in the demo list %s/requests", u.name, st, op)
					}
					pages = append(pages, p)
					switch st {
					case "hct_review":
						sawReview = true
					case "handed_over":
						sawLifecycle = true
					}
				}
				if u.name == "officer" || u.name == "hc" {
					pages = append(pages, found["handed_over"]+"/record")
					sawRecord = true
				}
				if u.name == "requester" {
					// Every step of the guided form, on the demo's draft.
					for _, st := range web.StepIDs() {
						pages = append(pages, found["draft"]+"/steps/"+st)
					}
				}
			}
			pages = append(pages, u.extra...)
			pages = append(pages, "/notifications", "/profile")
			for _, p := range pages {
				w.page(c, u.name, p, lang, "")
			}
		}
	}
	if !sawRecord || !sawReview || !sawLifecycle {
		t.Errorf("pages weighed miss a decision record (%v), a review (%v) or a lifecycle (%v)", sawRecord, sawReview, sawLifecycle)
	}

	// The report: one row per page and language, heaviest user of a page.
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "user\tpage\tlang\tHTML\tassets\ttotal\t")
	maxTotal := pageWeight{}
	for _, r := range w.rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t\n", r.user, r.page, r.lang, r.html, r.assets, r.total())
		if r.total() > maxTotal.total() {
			maxTotal = r
		}
	}
	tw.Flush()
	var assetRows []string
	for p, a := range w.assets {
		assetRows = append(assetRows, fmt.Sprintf("  %s: %d bytes on the wire (%s, %d decoded), Cache-Control %q",
			p, a.wire, orIdentity(a.encoding), len(a.body), a.header.Get("Cache-Control")))
	}
	slices.Sort(assetRows)
	t.Logf("page weight on a cold cache, bytes on the wire (bodies, gzip), budget %d per page:\n%s\nassets:\n%s\nheaviest: %s %s (%s) %d bytes",
		pageBudget, buf.String(), strings.Join(assetRows, "\n"), maxTotal.user, maxTotal.page, maxTotal.lang, maxTotal.total())
}

func orIdentity(enc string) string {
	if enc == "" {
		return "identity"
	}
	return enc
}
