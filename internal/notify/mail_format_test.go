package notify_test

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/notify"
)

var (
	hrefPattern = regexp.MustCompile(`href="([^"]*)"`)
	textURL     = regexp.MustCompile(`https?://[^\s<>"'\x60]+`)
)

// TestMailerHTMLPart: every message is multipart/alternative, the plain
// text first and unchanged, then an HTML part made from the same text:
// escaped, small, without images or outside resources, every URL of the
// text in it and only those of the instance's base URL clickable.
func TestMailerHTMLPart(t *testing.T) {
	t.Parallel()
	const base = "https://cmcoord.example.org"
	body := "Request <script>alert(\"x\")</script> & 'quoted' was returned.\n" +
		"Reason: see https://evil.example.com/phish?a=1&b=2 and https://cmcoord.example.org.evil.com/x\n\n" +
		"Open the request: https://cmcoord.example.org/requests/7\n\n" +
		"Review it here:\nhttps://cmcoord.example.org/requests/7/review?tab=votes&round=2\n\n" +
		"Quoted https://cmcoord.example.org/x\"onmouseover=\"alert(1) stays text after the quote.\n\n" +
		"Also https://cmcoord.example.org@evil.example.com/ and (https://cmcoord.example.org/notifications).\n\n" +
		"-- \nYou receive this e-mail because of your role in cmcoord. All your notifications are listed at https://cmcoord.example.org/notifications\n"
	d, _ := newSMTPD(t, smtpdOptions{})
	m := mustMailer(t, "smtp://"+d.addr+"?from=cmcoord@example.org", nil)
	m.BaseURL = base + "/"
	for _, lang := range []string{"en", "ar", ""} {
		if err := m.Send(t.Context(), notify.Message{To: "ben@example.org", Subject: "Returned", Body: body, Language: lang}); err != nil {
			t.Fatal(err)
		}
	}
	got := d.messages()
	if len(got) != 3 {
		t.Fatalf("received %d messages, want 3", len(got))
	}
	for i, lang := range []string{"en", "ar", ""} {
		p := parse(t, got[i].Raw)
		if p.Body != body {
			t.Errorf("text part = %q, want the body unchanged", p.Body)
		}
		h := p.HTML
		if len(got[i].Raw) > 10<<10 {
			t.Errorf("message of %d bytes, want well under 10 KB", len(got[i].Raw))
		}
		for _, bad := range []string{"<script", "<img", "src=", "url(", "<link", "<style", `"x")`, "'quoted'"} {
			if strings.Contains(strings.ToLower(h), bad) {
				t.Errorf("HTML holds %q:\n%s", bad, h)
			}
		}
		for _, want := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;quoted&#39;", "<p>", "<hr"} {
			if !strings.Contains(h, want) {
				t.Errorf("HTML lacks %q:\n%s", want, h)
			}
		}
		// Every URL of the text is in the HTML; the clickable ones are
		// exactly those starting with the base URL.
		var hrefs []string
		for _, mm := range hrefPattern.FindAllStringSubmatch(h, -1) {
			hrefs = append(hrefs, html.UnescapeString(mm[1]))
		}
		visible := html.UnescapeString(h)
		for _, u := range textURL.FindAllString(body, -1) {
			u = strings.TrimRight(u, ".,;:!?)")
			if !strings.Contains(visible, u) {
				t.Errorf("HTML lacks the text's URL %s", u)
			}
		}
		wantLinks := []string{base + "/requests/7", base + "/requests/7/review?tab=votes&round=2", base + "/x",
			base + "/notifications", base + "/notifications"}
		if strings.Join(hrefs, " ") != strings.Join(wantLinks, " ") {
			t.Errorf("links %q, want %q", hrefs, wantLinks)
		}
		for _, href := range hrefs {
			if !strings.HasPrefix(href, base+"/") {
				t.Errorf("a link to %s, outside the base URL", href)
			}
		}
		// Labels become the links' text.
		for _, want := range []string{`>Open the request</a>`, `>Review it here</a>`} {
			if !strings.Contains(h, want) {
				t.Errorf("HTML lacks %s:\n%s", want, h)
			}
		}
		switch lang {
		case "ar":
			if !strings.Contains(h, `<html lang="ar" dir="rtl">`) {
				t.Errorf("Arabic HTML not right to left:\n%.200s", h)
			}
		case "en":
			if !strings.Contains(h, `<html lang="en">`) {
				t.Errorf("English HTML without lang:\n%.200s", h)
			}
		default:
			if strings.Contains(h, "lang=") || strings.Contains(h, "dir=") {
				t.Errorf("HTML of unknown language names one:\n%.200s", h)
			}
		}
	}

	// Without a base URL nothing is clickable.
	m.BaseURL = ""
	if err := m.Send(t.Context(), notify.Message{To: "ben@example.org", Subject: "S", Body: body}); err != nil {
		t.Fatal(err)
	}
	if h := parse(t, d.messages()[3].Raw).HTML; strings.Contains(h, "<a ") {
		t.Errorf("links without a base URL:\n%s", h)
	}
}

// TestWorkerSendsInRecipientLanguage: the outbox keeps each recipient's
// language, and the worker's HTML part is right to left for Arabic.
func TestWorkerSendsInRecipientLanguage(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "ana:ar", "ben:en")
	c := &clock{t: t0}
	queue(t, w, c, "ana", "ben")
	for _, m := range w.outbox(t) {
		want := map[string]string{"ana@example.org": "ar", "ben@example.org": "en"}[m.To]
		if m.Language != want {
			t.Errorf("outbox to %s in %q, want %q", m.To, m.Language, want)
		}
	}
	d, _ := newSMTPD(t, smtpdOptions{})
	if sent, _, err := newWorker(w, d, c, &logBuffer{}).DrainOnce(t.Context()); err != nil || sent != 2 {
		t.Fatalf("DrainOnce = %d, %v", sent, err)
	}
	for _, r := range d.messages() {
		p := parse(t, r.Raw)
		rtl := strings.Contains(p.HTML, `dir="rtl"`)
		if rtl != (r.To[0] == "ana@example.org") {
			t.Errorf("message to %s: right to left %v\n%s", r.To[0], rtl, p.HTML)
		}
		if !strings.Contains(p.HTML, `href="https://cmcoord.example.org/requests/`) {
			t.Errorf("message to %s has no link to the request:\n%s", r.To[0], p.HTML)
		}
	}
}
