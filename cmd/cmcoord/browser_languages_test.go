package main

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/demo"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
)

// mirrorProbe measures, on the current page, where the main heading's
// text sits inside the heading's box and where a table's first cell sits
// inside its table. The heading's lines are the union of its text's
// client rects per line; the line with the most room is measured (a
// heading that wraps fills its first lines). The table is the first one
// in main whose first shown row has at least two cells laid out as table
// cells (stacked phone tables and visually hidden headers are skipped).
const mirrorProbe = `(() => {
  const h = document.querySelector('main h1');
  const out = {heading: null, table: null};
  if (h) {
    const hr = h.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(h);
    const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0).sort((a, b) => a.top - b.top);
    const lines = [];
    for (const r of rects) {
      const cur = lines[lines.length - 1];
      if (cur && r.top < cur.bottom - 2) {
        cur.left = Math.min(cur.left, r.left); cur.right = Math.max(cur.right, r.right); cur.bottom = Math.max(cur.bottom, r.bottom);
      } else {
        lines.push({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
      }
    }
    lines.sort((a, b) => (a.right - a.left) - (b.right - b.left));
    if (lines.length) {
      const l = lines[0];
      out.heading = {text: h.textContent.replace(/\s+/g, ' ').trim(), leftGap: l.left - hr.left, rightGap: hr.right - l.right};
    }
  }
  const clipped = (el, stop) => {
    for (let e = el; e && e !== stop; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.position === 'absolute' && /^inset\(50%/.test(cs.clipPath)) return true;
    }
    return false;
  };
  for (const t of document.querySelectorAll('main table')) {
    const tr = t.getBoundingClientRect();
    if (tr.width <= 1) continue;
    const row = [...t.rows].find(r => r.cells.length > 1 && !clipped(r, t) &&
      [...r.cells].every(c => getComputedStyle(c).display === 'table-cell'));
    if (!row) continue;
    const c = row.cells[0].getBoundingClientRect();
    out.table = {text: row.cells[0].textContent.replace(/\s+/g, ' ').trim(), leftGap: c.left - tr.left, rightGap: tr.right - c.right,
      where: (t.closest('[data-testid]') || t).getAttribute('data-testid') || t.className};
    break;
  }
  return JSON.stringify(out);
})()`

type mirrorGaps struct {
	Text     string  `json:"text"`
	Where    string  `json:"where"`
	LeftGap  float64 `json:"leftGap"`
	RightGap float64 `json:"rightGap"`
}

// TestBrowserArabicAndEnglish: with the demo data, the requester, the
// officer and the HCT member open the main pages (home, the request list,
// a request under HCT review, a decided request's record, the new-request
// form for the requester, the operation summary for the officer) in
// English and in Arabic, chosen through the footer's language switcher, on
// a desktop and on a 360 px phone. English pages are lang=en dir=ltr,
// Arabic ones lang=ar dir=rtl, and the layout really mirrors: in Arabic
// the main heading's text sits at the right of its box and a table's
// first cell at the right of its table, in English at the left. axe-core
// and the phone layout check run on every page; each page's screenshot is
// kept as an artifact (ar-home, en-home-phone, …).
func TestBrowserArabicAndEnglish(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	if _, err := runCmd(t, "demo", "-database-url", srv.DB); err != nil {
		t.Fatalf("demo: %v", err)
	}
	op := "/operations/" + pageWeightOperation
	for _, u := range []struct {
		name  string
		extra map[string]string // page name → path
	}{
		{"requester", map[string]string{"new-request": op + "/requests/new", "new-request-steps": op + "/requests/new/steps"}},
		{"officer", map[string]string{"summary": op + "/summary"}},
		{"hct", nil},
	} {
		t.Run(u.name, func(t *testing.T) {
			t.Parallel()
			b := browser.New(t)
			js := func(expr string) string {
				t.Helper()
				return browser.Get(b, chromedp.Evaluate[string](expr))
			}
			b.Do(
				signIn(srv.URL, u.name+"@example.org", demo.Password),
			)

			// The request pages: one under HCT review, one decided (its record).
			b.Do(
				chromedp.Navigate(srv.URL+op+"/requests"),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid="requests"]`)),
			)
			found := map[string]string{}
			if err := json.Unmarshal([]byte(js(`JSON.stringify(Object.fromEntries(
  ['hct_review', 'handed_over'].map(st => {
    const row = [...document.querySelectorAll('[data-testid="requests"] tbody tr')]
      .find(tr => tr.querySelector('[data-testid="status"][data-status="' + st + '"]'));
    const a = row && row.querySelector('a[href^="/requests/"]');
    return [st, a ? a.getAttribute('href') : ''];
  })))`)), &found); err != nil {
				t.Fatal(err)
			}
			if found["hct_review"] == "" || found["handed_over"] == "" {
				t.Fatalf("the demo list lacks a request under review or handed over: %v", found)
			}
			type page struct{ name, path string }
			pages := []page{
				{"home", "/"},
				{"requests", op + "/requests"},
				{"review", found["hct_review"]},
				{"record", found["handed_over"] + "/record"},
			}
			for name, path := range u.extra {
				pages = append(pages, page{name, path})
			}

			for _, lang := range []struct{ code, dir string }{{"en", "ltr"}, {"ar", "rtl"}} {
				// The footer's switcher, as a user would: pick, then apply.
				b.SetViewport(browser.Desktop)
				b.Do(
					chromedp.Navigate(srv.URL+"/"),
					chromedp.WaitVisible(chromedp.CSS(`[data-testid="language-switch"]`)),
					chromedp.SetValue(chromedp.CSS(`#footer-language`), lang.code),
					browser.ClickAndLoad(`[data-testid="language-switch"] button`),
					chromedp.WaitReady(chromedp.CSS(`html[lang="`+lang.code+`"] [data-testid="page-title"]`)),
				)
				tables := 0
				for _, vp := range []struct {
					suffix string
					size   browser.Viewport
				}{{"", browser.Desktop}, {"-phone", browser.Phone}} {
					b.SetViewport(vp.size)
					for _, p := range pages {
						where := fmt.Sprintf("%s %s%s (%s)", lang.code, p.name, vp.suffix, p.path)
						b.Do(
							chromedp.Navigate(srv.URL+p.path),
							chromedp.WaitVisible(chromedp.CSS(`main h1`)),
						)
						if got := js(`document.documentElement.lang + ' ' + document.documentElement.dir`); got != lang.code+" "+lang.dir {
							t.Errorf("%s: <html lang dir> = %q, want %q", where, got, lang.code+" "+lang.dir)
						}
						var m struct{ Heading, Table *mirrorGaps }
						if err := json.Unmarshal([]byte(js(mirrorProbe)), &m); err != nil {
							t.Fatalf("%s: %v", where, err)
						}
						// The start side is the right in Arabic, the left in English.
						atStart := func(g mirrorGaps) bool {
							if lang.dir == "rtl" {
								return g.RightGap < g.LeftGap
							}
							return g.LeftGap < g.RightGap
						}
						if m.Heading == nil {
							t.Errorf("%s: no main heading", where)
						} else if !atStart(*m.Heading) {
							t.Errorf("%s: heading %q is %.0f px from its box's left, %.0f px from its right: not at the %s's start",
								where, m.Heading.Text, m.Heading.LeftGap, m.Heading.RightGap, lang.dir)
						}
						if m.Table != nil {
							tables++
							if !atStart(*m.Table) {
								t.Errorf("%s: the first cell %q of table %s is %.0f px from the table's left, %.0f px from its right: not at the %s's start",
									where, m.Table.Text, m.Table.Where, m.Table.LeftGap, m.Table.RightGap, lang.dir)
							}
						} else if p.name == "requests" && vp.size == browser.Desktop {
							t.Errorf("%s: the request list shows no table on a desktop", where)
						}
						b.SaveArtifacts(lang.code + "-" + p.name + vp.suffix)
					}
				}
				if tables == 0 {
					t.Errorf("%s: no table checked for mirroring", lang.code)
				}
			}
			b.NoConsoleErrors()
		})
	}
}
