package main

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/testutil/browser"
)

// TestBrowserShell drives real Chromium against the whole binary: the shell
// renders with its stylesheet under the strict CSP, fits a 360 px phone
// without sideways scrolling, offers a skip link to the keyboard, and an
// unknown path shows the friendly 404 page.
func TestBrowserShell(t *testing.T) {
	t.Parallel()
	base := startServer(t).URL
	b := browser.New(t)

	for _, vp := range []struct {
		name string
		size browser.Viewport
	}{{"phone", browser.Phone}, {"desktop", browser.Desktop}} {
		b.SetViewport(vp.size)
		b.Do(
			chromedp.Navigate(base+"/"),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="page-title"]`)),
		)
		if got := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="page-title"]`))); got != "Civil-military coordination requests" {
			t.Errorf("%s: title = %q", vp.name, got)
		}
		// The stylesheet loaded (the CSP allowed it): the header is OCHA blue.
		bg := browser.Get(b, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.site-header')).backgroundColor`))
		if bg != "rgb(31, 105, 179)" {
			t.Errorf("%s: header background = %q, want OCHA blue rgb(31, 105, 179)", vp.name, bg)
		}
		overflow := browser.Get(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		if overflow {
			t.Errorf("%s: page scrolls sideways at %d px", vp.name, vp.size.Width)
		}
		b.SaveArtifacts("home-" + vp.name)
	}

	// Keyboard users reach the skip link first.
	b.Do(chromedp.KeyEvent("\t"))
	if got := browser.Get(b, chromedp.Evaluate[string](`document.activeElement.getAttribute('href')`)); got != "#main" {
		t.Errorf("first Tab focuses %q, want the skip link (#main)", got)
	}

	b.Do(
		chromedp.Navigate(base+"/no/such/page"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-page"]`)),
	)
	if got := browser.Get(b, chromedp.Text(chromedp.CSS(`[data-testid="page-title"]`))); got != "Not found" {
		t.Errorf("404 title = %q, want Not found", got)
	}
	status := browser.Get(b, chromedp.AttributeValue(chromedp.CSS(`[data-testid="error-page"]`), "data-status"))
	if status.Value != "404" {
		t.Errorf("404 page data-status = %+v", status)
	}
	b.NoConsoleErrors()
}
