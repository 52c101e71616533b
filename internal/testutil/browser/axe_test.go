package browser

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// recorder is a testing.TB that keeps the errors reported to it.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestCheckA11y: Do checks every new page with axe-core; a page with an
// unlabelled input, an image without text and low contrast fails with
// those rules named, an accessible page passes, and a page state is
// checked once.
func TestCheckA11y(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		head := `<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>Page</h1>`
		switch r.URL.Path {
		case "/bad":
			fmt.Fprint(w, head+`<input type="text"><img src="/x.png"><p style="color:#aaa;background:#fff">faint</p></main></body></html>`)
		case "/good":
			fmt.Fprint(w, head+`<label for="q">Search</label><input id="q" type="text"><p>Plain text.</p></main></body></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	rec := &recorder{TB: t}
	b := New(rec)
	b.Do(chromedp.Navigate(srv.URL + "/good"))
	if len(rec.errs) > 0 {
		t.Fatalf("accessible page: %v", rec.errs)
	}
	if len(b.checked) != 1 {
		t.Errorf("checked states = %v", b.checked)
	}
	b.Do(chromedp.Navigate(srv.URL + "/bad"))
	if len(rec.errs) != 1 {
		t.Fatalf("errors = %q, want one report", rec.errs)
	}
	for _, rule := range []string{"label (critical)", "image-alt (critical)", "color-contrast (serious)"} {
		if !strings.Contains(rec.errs[0], rule) {
			t.Errorf("report lacks %s:\n%s", rule, rec.errs[0])
		}
	}
	b.Do(chromedp.Navigate(srv.URL + "/bad")) // the same state: not checked again
	if len(rec.errs) != 1 {
		t.Errorf("errors = %d after revisiting, want 1", len(rec.errs))
	}
}
