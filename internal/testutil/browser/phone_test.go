package browser

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestCheckPhoneLayout: on a phone-sized viewport Do also checks every new
// page for sideways scrolling and small tap targets. A page with a 600 px
// wide box, a 20 px button, a 20 px nav link and a checkbox with a short
// label fails with each named; a page with full-size controls, links in
// running text, hidden small buttons and a wide table in a scroll box
// passes; at desktop width the bad page is not checked for this, and
// switching to a phone checks the same page again.
func TestCheckPhoneLayout(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		head := `<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>t</title>
<style>*{box-sizing:border-box} body{margin:0;font:16px/1.5 sans-serif} button,input,select,.big{min-block-size:44px;min-inline-size:44px;display:inline-block}
nav a{display:inline-block;padding:10px} .tiny{block-size:20px;inline-size:20px;padding:0;min-block-size:0;min-inline-size:0;font-size:10px}
.vh{position:absolute;inline-size:1px;block-size:1px;overflow:hidden;clip-path:inset(50%)} .check label{display:inline-flex;min-block-size:44px;align-items:center}</style>
</head><body><main><h1>Page</h1>`
		switch r.URL.Path {
		case "/bad":
			fmt.Fprint(w, head+`<div style="inline-size:600px" id="wide">Too wide</div>
<button class="tiny" type="button">OK</button>
<nav aria-label="Site"><a href="/x" style="font-size:12px;padding:0">Go</a></nav>
<p><input type="checkbox" id="c"><label for="c">Agree</label></p>
</main></body></html>`)
		case "/good":
			fmt.Fprint(w, head+`<nav aria-label="Site"><a href="/x">Home page</a></nav>
<p>Read <a href="/y">the guide</a> first.</p>
<label for="q">Search</label> <input id="q" type="text" style="inline-size:100%">
<button type="button">Search</button>
<button type="button" class="tiny vh">Hidden</button>
<span class="visually-hidden"><a class="button" href="/h">Hidden too</a></span>
<button type="button" class="tiny" style="display:none">None</button>
<details><summary class="big">More</summary><button type="button" class="tiny">Inside</button></details>
<div style="overflow-x:auto"><table><tr><td style="min-inline-size:900px">wide cell <a href="/z">link</a></td></tr></table></div>
<p class="check"><input type="checkbox" id="c"><label for="c">Agree</label></p>
</main></body></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	rec := &recorder{TB: t}
	b := New(rec)

	b.Do(chromedp.Navigate(srv.URL + "/bad")) // desktop: only axe
	if len(rec.errs) > 0 {
		t.Fatalf("bad page at desktop width: %q", rec.errs)
	}
	b.SetViewport(Phone) // the same page, now a phone: checked again
	if len(rec.errs) != 1 {
		t.Fatalf("errors = %q, want one phone-layout report", rec.errs)
	}
	for _, want := range []string{"scrolls sideways", `<div> "Too wide" 600px wide`, "div#wide",
		`<button> "OK" 20×20`, `<a> "Go"`, `<label> "Agree"`, "label of checkbox"} {
		if !strings.Contains(rec.errs[0], want) {
			t.Errorf("report lacks %s:\n%s", want, rec.errs[0])
		}
	}
	if t.Failed() {
		return
	}

	rec.errs = nil
	b.Do(chromedp.Navigate(srv.URL + "/good"))
	if len(rec.errs) > 0 {
		t.Fatalf("good page on a phone: %q", rec.errs)
	}
	if got := Get(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); got {
		t.Error("the good page scrolls sideways: the test page is wrong")
	}
}
