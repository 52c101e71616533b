package notify

import (
	"html"
	"regexp"
	"strings"
)

// The HTML part of every e-mail is made from its plain text at send
// time, so the two can never say different things: the text
// HTML-escaped, its blank lines made paragraph breaks, its "-- " footer
// set apart, and only links to this instance (BaseURL) made clickable.
// No image, no external resource, no stylesheet: a few inline styles
// that mail clients keep, a few hundred bytes more than the text.

// urlPattern finds the http(s) URLs in a line of text. Trailing
// punctuation is trimmed by linkable.
var urlPattern = regexp.MustCompile(`https?://[^\s<>"'\x60]+`)

// rtlLanguages are the languages written right to left.
var rtlLanguages = map[string]bool{"ar": true, "fa": true, "he": true, "ur": true}

// htmlBody renders plain text body as a small HTML document in language
// lang ("" when unknown). URLs starting with baseURL become links; any
// other URL stays text. A line "Label: URL" (a URL alone after a label
// ending in a colon) becomes a link whose text is the label, and a URL
// alone on a line after a line ending in a colon links that line.
func htmlBody(body, lang, baseURL string) string {
	base := strings.TrimRight(baseURL, "/")
	if !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") {
		base = "" // no base: nothing is clickable
	}
	var b strings.Builder
	b.Grow(len(body)*5/4 + 400)
	b.WriteString(`<!DOCTYPE html><html`)
	if lang = htmlLang(lang); lang != "" {
		b.WriteString(` lang="` + lang + `"`)
		if rtlLanguages[strings.SplitN(lang, "-", 2)[0]] {
			b.WriteString(` dir="rtl"`)
		}
	}
	b.WriteString(`><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>` +
		`<body style="font-family:sans-serif;font-size:16px;line-height:1.5;color:#111;max-width:40em">`)
	text := strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\r", "\n")
	footer := false
	for _, para := range paragraphs(text) {
		if len(para) > 0 && para[0] == "-- " { // the signature separator
			footer = true
			para = para[1:]
			b.WriteString(`<hr style="border:0;border-top:1px solid #ccc">`)
			if len(para) == 0 {
				continue
			}
		}
		if footer {
			b.WriteString(`<p style="font-size:13px;color:#555">`)
		} else {
			b.WriteString(`<p>`)
		}
		for i := 0; i < len(para); i++ {
			if i > 0 {
				b.WriteString("<br>")
			}
			line := para[i]
			// A label line ending in a colon, then a linkable URL alone.
			if i+1 < len(para) && strings.HasSuffix(strings.TrimSpace(line), ":") {
				if u := strings.TrimSpace(para[i+1]); linkable(u, base) && urlPattern.FindString(u) == u {
					label := strings.TrimSuffix(strings.TrimSpace(line), ":")
					if strings.TrimSpace(label) != "" {
						writeLink(&b, u, label)
						i++
						continue
					}
				}
			}
			writeLine(&b, line, base)
		}
		b.WriteString("</p>")
	}
	b.WriteString("</body></html>\r\n")
	return b.String()
}

// paragraphs splits text into runs of non-blank lines.
func paragraphs(text string) [][]string {
	var (
		out [][]string
		cur []string
	)
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			if cur != nil {
				out, cur = append(out, cur), nil
			}
			continue
		}
		if line == "-- " && cur != nil { // a footer straight after text
			out, cur = append(out, cur), nil
		}
		cur = append(cur, line)
	}
	if cur != nil {
		out = append(out, cur)
	}
	return out
}

// writeLine writes one line, escaped, its linkable URLs made links: the
// whole of "Label: URL" links the label when the URL ends the line.
func writeLine(b *strings.Builder, line, base string) {
	locs := urlPattern.FindAllStringIndex(line, -1)
	if len(locs) == 1 {
		start, end := locs[0][0], trimURL(line, locs[0][0], locs[0][1])
		u := line[start:end]
		label := strings.TrimSpace(line[:start])
		if end == len(strings.TrimRight(line, " \t")) && strings.HasSuffix(label, ":") && linkable(u, base) {
			if label = strings.TrimSpace(strings.TrimSuffix(label, ":")); label != "" {
				writeLink(b, u, label)
				return
			}
		}
	}
	last := 0
	for _, loc := range locs {
		start, end := loc[0], trimURL(line, loc[0], loc[1])
		u := line[start:end]
		if !linkable(u, base) {
			continue
		}
		b.WriteString(html.EscapeString(line[last:start]))
		writeLink(b, u, u)
		last = end
	}
	b.WriteString(html.EscapeString(line[last:]))
}

// trimURL drops punctuation that ends a sentence rather than the URL
// line[start:end], returning the new end.
func trimURL(line string, start, end int) int {
	for end > start && strings.ContainsRune(".,;:!?)]}", rune(line[end-1])) {
		end--
	}
	return end
}

// linkable reports whether u is a link to this instance: base itself or
// a path under it. With no base nothing is.
func linkable(u, base string) bool {
	if base == "" {
		return false
	}
	return u == base || strings.HasPrefix(u, base+"/") || strings.HasPrefix(u, base+"?") || strings.HasPrefix(u, base+"#")
}

func writeLink(b *strings.Builder, href, text string) {
	b.WriteString(`<a href="` + html.EscapeString(href) + `" style="color:#0645ad">` + html.EscapeString(text) + `</a>`)
}

// htmlLang returns lang when it is a plain language tag, otherwise "".
func htmlLang(lang string) string {
	if len(lang) < 2 || len(lang) > 12 {
		return ""
	}
	for _, c := range lang {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return ""
		}
	}
	return strings.ToLower(lang[:2]) + lang[2:]
}
