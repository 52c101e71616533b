package browser

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
)

// axe-core, the accessibility engine the browser tests run on every page
// they visit (WCAG 2.1 A and AA rules). It is the npm package's
// axe.min.js, fetched once from the npm registry and checked against the
// registry's SHA-512 integrity, then cached; AXE_CORE_PATH points to a
// copy instead (make test sets none: the cache is enough).
const (
	axeVersion   = "4.14.1"
	axeTarball   = "https://registry.npmjs.org/axe-core/-/axe-core-" + axeVersion + ".tgz"
	axeIntegrity = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)

// AxeTags are the axe-core rule tags checked: WCAG 2.0 and 2.1, levels A
// and AA. No rule is disabled.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

var (
	axeOnce sync.Once
	axeJS   string
	axeErr  error
)

// axeSource returns axe.min.js.
func axeSource() (string, error) {
	axeOnce.Do(func() { axeJS, axeErr = loadAxe() })
	return axeJS, axeErr
}

func loadAxe() (string, error) {
	if p := os.Getenv("AXE_CORE_PATH"); p != "" {
		b, err := os.ReadFile(p)
		return string(b), err
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	cached := filepath.Join(dir, "cmcoord", "axe-core-"+axeVersion+".min.js")
	if b, err := os.ReadFile(cached); err == nil {
		return string(b), nil
	}
	js, err := downloadAxe()
	if err != nil {
		return "", fmt.Errorf("axe-core %s: %w (set AXE_CORE_PATH to a copy of axe.min.js when offline)", axeVersion, err)
	}
	if err := os.MkdirAll(filepath.Dir(cached), 0o755); err == nil {
		tmp := cached + ".tmp"
		if os.WriteFile(tmp, js, 0o644) == nil {
			os.Rename(tmp, cached)
		}
	}
	return string(js), nil
}

// downloadAxe fetches the package tarball, checks its integrity and
// returns package/axe.min.js from it.
func downloadAxe() ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, axeTarball, nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", axeTarball, res.Status)
	}
	tgz, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	sum := sha512.Sum512(tgz)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != axeIntegrity {
		return nil, fmt.Errorf("integrity %s, want %s", got, axeIntegrity)
	}
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("no package/axe.min.js in %s", axeTarball)
		}
		if err != nil {
			return nil, err
		}
		if h.Name == "package/axe.min.js" {
			return io.ReadAll(tr)
		}
	}
}

// axeViolation is what the test reports of one failed rule.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"` // CSS targets and failure summaries
}

// axeRun runs axe on the document and resolves to the violations, JSON.
var axeRun = `(async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']});
  return JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' '))})));
})()`

// CheckA11y runs axe-core's WCAG 2.1 A and AA rules on the current page
// and fails the test (after saving artifacts) on any violation. Do calls
// it on every new page state a test reaches; tests call it for a state
// Do cannot tell apart (the same URL and title).
func (b *Browser) CheckA11y() {
	b.t.Helper()
	if err := b.checkA11y(); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// errLeftPage says the page navigated away while it was being checked.
var errLeftPage = errors.New("the page navigated away during the check")

// checkA11y runs axe and reports violations with Errorf; it returns an
// error when axe itself could not run (errLeftPage when the page went
// away under it).
func (b *Browser) checkA11y() error {
	b.t.Helper()
	js, err := axeSource()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	left := func(what string, err error) error {
		msg := err.Error()
		if strings.Contains(msg, "navigated or closed") || strings.Contains(msg, "context was destroyed") ||
			strings.Contains(msg, "Cannot find context") || strings.Contains(msg, "axe is not defined") {
			return errLeftPage
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === 'object'`))
	if err != nil {
		return left("axe", err)
	}
	if !loaded {
		// Evaluated through DevTools, so the page's CSP does not apply and
		// the page itself is unchanged.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](js)); err != nil {
			return left("inject axe", err)
		}
	}
	tags, _ := json.Marshal(AxeTags)
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(axeRun, tags), chromedp.EvalAwaitPromise))
	if err != nil {
		return left("axe run", err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		return fmt.Errorf("axe result %q: %w", out, err)
	}
	if len(vs) == 0 {
		return nil
	}
	url, _ := chromedp.Run(ctx, chromedp.Location())
	var sb strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&sb, "\n  %s (%s): %s", v.ID, v.Impact, v.Help)
		for _, n := range v.Nodes {
			fmt.Fprintf(&sb, "\n    %s", n)
		}
	}
	b.SaveArtifacts("a11y")
	b.t.Errorf("browser: accessibility violations on %s:%s", url, sb.String())
	return nil
}

// pageState identifies a page state for the automatic check: the URL,
// the title and whether an error summary shows (a form sent back with
// errors has the URL and title of the blank form).
const pageState = `location.href + '|' + document.title + '|' + document.readyState + '|' +
  (document.querySelector('[aria-invalid=true], .error-summary') ? 'errors' : '')`

// checkNewPage runs CheckA11y, and CheckPhoneLayout on a phone, when the
// page reached a state not checked yet in this tab at this viewport width.
func (b *Browser) checkNewPage() {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](pageState))
	if err != nil || !strings.HasPrefix(state, "http") || !strings.Contains(state, "|complete|") {
		return // no page yet, or still loading: the next Do sees it
	}
	state += fmt.Sprintf("|%d", b.viewport.Width)
	b.mu.Lock()
	seen := b.checked[state]
	if b.checked == nil {
		b.checked = map[string]bool{}
	}
	b.checked[state] = true
	b.mu.Unlock()
	if seen {
		return
	}
	switch err := b.checkA11y(); {
	case errors.Is(err, errLeftPage):
		// A click started a navigation that had not begun when Do
		// returned: the page being checked is gone. Forget it; the next
		// Do checks the page that replaced it.
		b.mu.Lock()
		delete(b.checked, state)
		b.mu.Unlock()
		return
	case err != nil:
		b.t.Fatalf("browser: %v", err)
	}
	if b.isPhone() {
		b.CheckPhoneLayout()
	}
}
