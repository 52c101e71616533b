// Package browser is the real-browser test harness: it drives headless
// Debian Chromium with chromedp, collects console errors and uncaught
// exceptions (a CSP violation is one), runs axe-core's WCAG 2.1 A and AA
// rules on every page state a test reaches (axe.go) and, on a phone-sized
// viewport, checks it neither scrolls sideways nor has tap targets under
// 44×44 px (phone.go), and when a test
// fails saves a screenshot and the page HTML under
// testdata/artifacts/<test name>/.
//
// Chromium is found through CHROMIUM_PATH (set by `make test`) or on PATH;
// without it a test fails loudly, it never skips.
package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Viewports used by cmcoord's browser tests.
var (
	Phone   = Viewport{Width: 360, Height: 740}
	Desktop = Viewport{Width: 1280, Height: 800}
)

// Viewport is a window size in CSS pixels.
type Viewport struct{ Width, Height int64 }

// Browser is one headless Chromium tab bound to a test.
type Browser struct {
	t   testing.TB
	ctx context.Context

	mu       sync.Mutex
	problems []string        // console errors and uncaught exceptions
	checked  map[string]bool // page states axe has checked (pageState)
	viewport Viewport        // the last SetViewport; zero: Desktop's window
}

// ExecPath returns the Chromium binary to use, or an error saying how to
// get one.
func ExecPath() (string, error) {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium found: run the tests with `make test` (it installs Debian's chromium as root) or set CHROMIUM_PATH")
}

// AllocatorOptions are the flags cmcoord starts headless Debian Chromium
// with: a fresh profile in userDataDir, no sandbox (CI runs as root), and
// none of the background traffic a closed network refuses (component
// updates, sync, QUIC). The slow-link tool uses them too.
func AllocatorOptions(execPath, userDataDir string, window Viewport) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(userDataDir),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(int(window.Width), int(window.Height)),
	)
}

// New starts a headless Chromium for t with a fresh profile, closed when t
// ends. Each Run has at most a minute.
func New(t testing.TB) *Browser {
	t.Helper()
	path, err := ExecPath()
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		AllocatorOptions(path, t.TempDir(), Desktop)...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	b := &Browser{t: t, ctx: ctx}
	// The first Do starts the browser and binds it to ctx, which must have
	// no timeout; a broken install fails here, loudly.
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("browser: start %s: %v", path, err)
	}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			b.record(m)
		}
	}()
	// Cleanups run last-in first-out: artifacts are saved while the tab lives.
	t.Cleanup(func() { cancelCtx(); cancelAlloc(); <-done })
	t.Cleanup(func() {
		if t.Failed() {
			b.SaveArtifacts("failure")
		}
	})
	return b
}

// record keeps console errors and uncaught exceptions. Network log entries
// (a 404 status, for instance) are expected in tests of error pages and are
// checked through the pages themselves.
func (b *Browser) record(m chromedp.ConsoleMessage) {
	if !(m.Type == chromedp.ConsoleError || m.IsException()) || m.Source == "network" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
}

// Context returns the tab's context for chromedp calls a test makes itself.
func (b *Browser) Context() context.Context { return b.ctx }

// Do runs steps in the tab and fails the test (after saving artifacts) on
// the first error.
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	b.checkNewPage()
}

// Get runs one action that returns a value and fails the test on error.
func Get[T any](b *Browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// SetViewport resizes the page to v; a phone-sized width also emulates a
// mobile, touch device.
func (b *Browser) SetViewport(v Viewport) {
	b.t.Helper()
	b.viewport = v
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if v.Width < 600 {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	b.Do(chromedp.EmulateViewport(v.Width, v.Height, opts...))
}

// NoConsoleErrors fails the test if the page logged an error or threw,
// which is how a Content-Security-Policy violation shows up.
func (b *Browser) NoConsoleErrors() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("browser: %s", p)
	}
}

// ArtifactsDir is where SaveArtifacts writes for this test:
// $CMCOORD_ARTIFACTS_DIR/<test name>, by default testdata/artifacts in the
// package directory.
func (b *Browser) ArtifactsDir() string {
	root := os.Getenv("CMCOORD_ARTIFACTS_DIR")
	if root == "" {
		root = filepath.Join("testdata", "artifacts")
	}
	return filepath.Join(root, sanitize(b.t.Name()))
}

// SaveArtifacts writes a full-page screenshot (<name>.png) and the current
// DOM (<name>.html) to ArtifactsDir and logs where. It never fails the test:
// it runs when the test is already failing.
func (b *Browser) SaveArtifacts(name string) {
	dir := b.ArtifactsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Logf("browser: artifacts: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	url, _ := chromedp.Run(ctx, chromedp.Location())
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("browser: screenshot of %s: %v", url, err)
	}
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		b.t.Logf("browser: html of %s: %v", url, err)
	}
	base := filepath.Join(dir, sanitize(name))
	if len(png) > 0 {
		if err := os.WriteFile(base+".png", png, 0o644); err != nil {
			b.t.Logf("browser: %v", err)
		}
	}
	if html != "" {
		if err := os.WriteFile(base+".html", []byte("<!-- "+url+" -->\n"+html), 0o644); err != nil {
			b.t.Logf("browser: %v", err)
		}
	}
	abs, _ := filepath.Abs(base)
	b.t.Logf("browser: saved %s.png and %s.html (page %s)", abs, abs, url)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

// ClickAndLoad clicks the element sel selects — a submit button or a link
// — and waits until the next page has replaced the current one and
// finished loading. Waiting for an element instead races when the old
// page has it too (a flash message, a panel): the wait passes before the
// form is even sent.
func ClickAndLoad(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Evaluate[chromedp.Void](`window.__cmcoordOldPage = true`),
		chromedp.Click(chromedp.CSS(sel)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			for {
				// Errors while the old document goes away are expected.
				done, err := chromedp.Evaluate[bool](`!window.__cmcoordOldPage && document.readyState === 'complete'`)(ctx, t)
				if err == nil && done {
					return nil
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("waiting for the page after clicking %s: %w", sel, ctx.Err())
				case <-time.After(20 * time.Millisecond):
				}
			}
		}),
	)
}
