package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// PhoneMaxWidth is the widest viewport, in CSS px, that CheckPhoneLayout
// treats as a phone: at or below it every new page state is also checked
// for sideways scrolling and small tap targets.
const PhoneMaxWidth = 400

// MinTarget is the smallest tap target accepted on a phone, in CSS px
// (44×44, WCAG 2.5.5 and the platforms' guidelines).
const MinTarget = 44

// phoneReport is what phoneCheck finds on the page.
type phoneReport struct {
	InnerWidth  float64       `json:"innerWidth"`  // the screen's width: innerWidth unless zoomed out
	LayoutWidth float64       `json:"layoutWidth"` // the layout viewport's width
	ScrollWidth float64       `json:"scrollWidth"`
	Overflow    []phoneOffend `json:"overflow"` // widest first, at most 5
	Small       []phoneOffend `json:"small"`    // tap targets under MinTarget
}

type phoneOffend struct {
	Tag   string  `json:"tag"`
	Text  string  `json:"text"`
	Path  string  `json:"path"`
	Left  float64 `json:"left"`
	Right float64 `json:"right"`
	W     float64 `json:"w"`
	H     float64 `json:"h"`
	Why   string  `json:"why"`
}

// phoneCheck measures the page. Invisible elements (no box, display or
// visibility hidden, visually-hidden, inside a closed <details>) are
// skipped; elements inside a box that clips or scrolls sideways (a
// .table-wrap) do not make the page scroll and are not offenders.
// Standalone links are those in nav, header, footer or .actions, or styled
// as buttons; links in running text (p, td) are inline targets, which
// WCAG 2.5.8 exempts. A checkbox's or radio's target is its label.
const phoneCheck = `(() => {
  // A mobile browser zooms out to show a page wider than the screen, so
  // innerWidth grows with the page; the screen's width is the limit.
  const min = %d, iw = Math.min(window.innerWidth, document.documentElement.clientWidth, %d);
  const path = el => {
    const parts = [];
    for (let e = el; e && e.nodeType === 1 && e !== document.documentElement; e = e.parentElement) {
      let s = e.localName;
      if (e.id) { parts.unshift(s + '#' + CSS.escape(e.id)); break; }
      const cls = [...e.classList].slice(0, 2).map(c => '.' + CSS.escape(c)).join('');
      s += cls;
      const sib = e.parentElement ? [...e.parentElement.children].filter(x => x.localName === e.localName) : [];
      if (sib.length > 1) s += ':nth-of-type(' + (sib.indexOf(e) + 1) + ')';
      parts.unshift(s);
    }
    return parts.join(' > ');
  };
  const visible = el => {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;
    if (el.checkVisibility && !el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true})) return false;
    if (el.closest('.visually-hidden, .sr-only, [hidden], details:not([open]) > :not(summary)')) return false;
    for (let e = el; e && e !== document.body; e = e.parentElement) { // clipped away: visually hidden
      const cs = getComputedStyle(e);
      if (/^inset\(50%%/.test(cs.clipPath) || cs.clip === 'rect(0px, 0px, 0px, 0px)') return false;
    }
    return true;
  };
  const text = el => ((el.innerText || el.value || el.getAttribute('aria-label') || el.title || '') + '').replace(/\s+/g, ' ').trim().slice(0, 40);
  const box = (el, why) => { const r = el.getBoundingClientRect();
    return {tag: el.localName + (el.type && el.localName === 'input' ? '[type=' + el.type + ']' : ''), text: text(el), path: path(el),
      left: Math.round(r.left), right: Math.round(r.right), w: Math.round(r.width * 10) / 10, h: Math.round(r.height * 10) / 10, why: why || ''}; };
  const clipped = el => {
    for (let e = el.parentElement; e && e !== document.body && e !== document.documentElement; e = e.parentElement) {
      if (getComputedStyle(e).overflowX !== 'visible') return true;
    }
    return false;
  };

  const sw = document.documentElement.scrollWidth;
  let overflow = [];
  if (sw > iw) {
    const inScroller = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (!(r.right > iw + 1 || r.left < -1) || !visible(el)) continue;
      (clipped(el) ? inScroller : overflow).push(box(el));
    }
    if (!overflow.length) overflow = inScroller; // nothing else to blame
    const excess = o => Math.max(o.right - iw, -o.left);
    overflow.sort((a, b) => excess(b) - excess(a) || b.w - a.w);
    overflow = overflow.slice(0, 5);
  }

  const small = [];
  const controls = 'button, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea, summary, a[href]';
  for (const el of document.body.querySelectorAll(controls)) {
    if (el.localName === 'a') {
      const buttonLike = [...el.classList].some(c => c === 'button' || c.startsWith('button-'));
      const standalone = buttonLike || (el.closest('nav, .actions, header, footer') && !el.closest('p, td'));
      if (!standalone) continue;
    }
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < min - 0.5 || r.height < min - 0.5) small.push(box(el));
  }
  for (const el of document.body.querySelectorAll('input[type=checkbox], input[type=radio]')) {
    if (!visible(el)) continue;
    const label = el.labels && [...el.labels].find(visible);
    if (!label) { small.push(box(el, 'no visible label to tap')); continue; }
    if (label.getBoundingClientRect().height < min - 0.5) small.push(box(label, 'label of ' + el.type + ' ' + (el.name || el.id)));
  }
  return JSON.stringify({innerWidth: iw, layoutWidth: document.documentElement.clientWidth, scrollWidth: sw, overflow, small});
})()`

// CheckPhoneLayout fails the test (after saving "phone-layout" artifacts)
// when the page scrolls sideways or has a control smaller than MinTarget
// CSS px on a side. checkNewPage runs it on every new page state while
// the viewport is a phone's (SetViewport with a width ≤ PhoneMaxWidth).
func (b *Browser) CheckPhoneLayout() {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	width := b.viewport.Width
	if width == 0 {
		width = Desktop.Width // the window New opens
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(phoneCheck, MinTarget, width)))
	if err != nil {
		b.t.Fatalf("browser: phone layout check: %v", err)
	}
	var r phoneReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		b.t.Fatalf("browser: phone layout result %q: %v", out, err)
	}
	var sb strings.Builder
	if r.LayoutWidth > float64(width)+1 {
		fmt.Fprintf(&sb, "\n  the layout viewport is %v px wide on a %d px screen (no <meta name=viewport>?)", r.LayoutWidth, width)
	}
	if r.ScrollWidth > r.InnerWidth {
		fmt.Fprintf(&sb, "\n  the page scrolls sideways: scrollWidth %v > innerWidth %v; widest offenders:", r.ScrollWidth, r.InnerWidth)
		for _, o := range r.Overflow {
			fmt.Fprintf(&sb, "\n    <%s> %q %vpx wide, from %v to %v: %s", o.Tag, o.Text, o.W, o.Left, o.Right, o.Path)
		}
	}
	if len(r.Small) > 0 {
		fmt.Fprintf(&sb, "\n  tap targets under %d×%d px:", MinTarget, MinTarget)
		for _, o := range r.Small {
			why := ""
			if o.Why != "" {
				why = " (" + o.Why + ")"
			}
			fmt.Fprintf(&sb, "\n    <%s> %q %v×%v%s: %s", o.Tag, o.Text, o.W, o.H, why, o.Path)
		}
	}
	if sb.Len() == 0 {
		return
	}
	url, _ := chromedp.Run(ctx, chromedp.Location())
	b.SaveArtifacts("phone-layout")
	b.t.Errorf("browser: phone layout problems on %s at %d px:%s", url, width, sb.String())
}

// isPhone reports whether the tab's viewport is a phone's.
func (b *Browser) isPhone() bool {
	return b.viewport.Width > 0 && b.viewport.Width <= PhoneMaxWidth
}
