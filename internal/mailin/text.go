package mailin

import (
	"bytes"
	"encoding/base64"
	"errors"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"
)

// maxParts bounds the MIME parts walked in one message (nesting
// included), so a crafted message cannot make the walk long.
const maxParts = 50

var errNoText = errors.New("mailin: the message has no text part")

// messageText returns the text of msg: its first text/plain part, else
// its first text/html part with the tags stripped; transfer encodings
// (quoted-printable, base64) and charsets (UTF-8, US-ASCII, ISO-8859-1,
// Windows-1252) decoded. Attachments are ignored.
func messageText(msg *mail.Message) (string, error) {
	var plain, htmlText *string
	budget := maxParts
	err := walkPart(textproto(msg.Header), msg.Body, &plain, &htmlText, &budget, 0)
	if err != nil {
		return "", err
	}
	switch {
	case plain != nil:
		return *plain, nil
	case htmlText != nil:
		return htmlToText(*htmlText), nil
	}
	return "", errNoText
}

// header is what walkPart needs of a header.
type header interface{ Get(string) string }

func textproto(h mail.Header) header { return h }

func walkPart(h header, body io.Reader, plain, htmlText **string, budget *int, depth int) error {
	*budget--
	if *budget < 0 || depth > 5 {
		return errors.New("mailin: too many MIME parts")
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii"
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil {
		mediaType, params = "text/plain", map[string]string{}
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart() // decoded here, as any part
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walkPart(p.Header, p, plain, htmlText, budget, depth+1); err != nil {
				return err
			}
		}
	}
	if disp, _, _ := mime.ParseMediaType(h.Get("Content-Disposition")); disp == "attachment" {
		return nil
	}
	if mediaType != "text/plain" && mediaType != "text/html" {
		return nil
	}
	if (mediaType == "text/plain" && *plain != nil) || (mediaType == "text/html" && *htmlText != nil) {
		return nil
	}
	raw, err := io.ReadAll(decodeTransfer(h.Get("Content-Transfer-Encoding"), body))
	if err != nil {
		return err
	}
	text := decodeCharset(params["charset"], raw)
	if mediaType == "text/plain" {
		*plain = &text
	} else {
		*htmlText = &text
	}
	return nil
}

func decodeTransfer(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, newlineDropper{r})
	}
	return r
}

// newlineDropper drops CR and LF, which the base64 decoder of the
// standard library rejects in a stream.
type newlineDropper struct{ r io.Reader }

func (d newlineDropper) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	out := p[:0]
	for _, c := range p[:n] {
		if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
			out = append(out, c)
		}
	}
	return len(out), err
}

// win1252 holds the characters of Windows-1252 at 0x80–0x9F (0 where it
// has none); every other byte is the ISO-8859-1 character.
var win1252 = [32]rune{'€', 0, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0, 'Ž', 0,
	0, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0, 'ž', 'Ÿ'}

// decodeCharset returns raw as UTF-8: Latin-1 and Windows-1252 are
// converted, anything else is read as UTF-8 with invalid bytes replaced.
func decodeCharset(charset string, raw []byte) string {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "iso-8859-1", "latin1", "iso_8859-1", "l1", "windows-1252", "cp1252":
		var b strings.Builder
		for _, c := range raw {
			if c >= 0x80 && c < 0xA0 && win1252[c-0x80] != 0 {
				b.WriteRune(win1252[c-0x80])
			} else {
				b.WriteRune(rune(c))
			}
		}
		return b.String()
	}
	if utf8.Valid(raw) {
		return string(raw)
	}
	return string(bytes.ToValidUTF8(raw, []byte("\uFFFD")))
}

var (
	// The quoted history of HTML clients starts at these; the rest goes.
	htmlQuoteStart = regexp.MustCompile(`(?is)<blockquote|<div[^>]*class="?gmail_quote|<div[^>]*id="?(appendonsend|divRplyFwdMsg)|<hr[^>]*id="?stopSpelling`)
	htmlDrop       = regexp.MustCompile(`(?is)<(script|style|head|title)[^>]*>.*?</(script|style|head|title)\s*>|<!--.*?-->`)
	htmlBreak      = regexp.MustCompile(`(?i)<br\s*/?>|</(p|div|li|tr|h[1-6])\s*>|<(p|div|li|tr|h[1-6])[\s>]`)
	htmlTag        = regexp.MustCompile(`(?s)<[^>]*>`)
	blankRun       = regexp.MustCompile(`\n{3,}`)
)

// htmlToText is the visible text of an HTML body, cut where a quoted
// history starts: tags removed, block ends made line breaks, entities
// decoded.
func htmlToText(s string) string {
	if loc := htmlQuoteStart.FindStringIndex(s); loc != nil {
		s = s[:loc[0]]
	}
	s = htmlDrop.ReplaceAllString(s, "")
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	s = htmlBreak.ReplaceAllStringFunc(s, func(m string) string { return "\n" + m })
	s = htmlTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = strings.ReplaceAll(s, "\u00a0", " ")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return blankRun.ReplaceAllString(strings.Join(lines, "\n"), "\n\n")
}

var (
	// "On Mon, 1 Dec 2026 at 09:00, cmcoord <…> wrote:" and its
	// translations, as mail clients introduce a quoted history. A line
	// that starts one may wrap onto the next (Gmail), see StripQuoted.
	attribution = []*regexp.Regexp{
		regexp.MustCompile(`(?i)^on\b.*\bwrote:?$`),
		regexp.MustCompile(`(?i)^le\b.*\ba écrit ?:?$`),
		regexp.MustCompile(`(?i)^el\b.*\bescribió:?$`),
		regexp.MustCompile(`(?i)^am\b.*\bschrieb.*:$`),
		regexp.MustCompile(`كتب.*:$`),
	}
	attributionStart = regexp.MustCompile(`(?i)^(on|le|el|am)\s`)
	// Outlook's and others' separators before the quoted message.
	separator = regexp.MustCompile(`(?i)^(-{2,}\s*(original message|message d'origine|mensaje original|الرسالة الأصلية|ursprüngliche nachricht)\s*-{2,}|_{10,}|-{10,})$`)
	// Outlook's header block: a From line followed by Sent/Date/To lines.
	headerFrom = regexp.MustCompile(`(?i)^\*?(from|de|von|من)\s*:`)
	headerNext = regexp.MustCompile(`(?i)^\*?(sent|date|envoyé|enviado|fecha|gesendet|to|à|para|an|subject|objet|asunto|التاريخ|إلى|أرسل|تاريخ الإرسال)\s*:`)
)

// mobileSignature is the line a phone's mail app adds under what one
// writes ("Sent from my iPhone", "Get Outlook for iOS" with its link…),
// in English, French, Spanish and Arabic; StripQuoted drops it when it
// ends the reply. It matches the whole line only, so a sentence that
// starts so stays.
var mobileSignature = regexp.MustCompile(`(?i)^(?:(?:sent from my|envoyé de mon|enviado desde mi|` +
	`أ\x{064F}?رسلت من|أ\x{064F}?رسل من)\s+(?:iphone|ipad|android)(?:\s+(?:phone|tablet|device))?|` +
	`get outlook for (?:ios|android)\s*(?:<[^<>\s]*>)?)\s*[.!]?$`)

// bidiMarks are the invisible direction marks Arabic clients put around
// names and addresses.
var bidiMarks = strings.NewReplacer("\u200e", "", "\u200f", "", "\u202a", "", "\u202b", "", "\u202c", "", "\u202d", "", "\u202e", "", "\u2066", "", "\u2067", "", "\u2068", "", "\u2069", "")

// credential is what an e-mail of cmcoord carries that acts for its
// recipient: a vote, decision or unsubscribe link's token, or a reply
// address.
var credential = regexp.MustCompile(`(?i)/(?:act|unsubscribe/digest)/[A-Za-z0-9._~-]{16,}|reply\+[a-z2-7]{20,}@`)

// StripQuoted returns what the writer of a reply wrote: the text before
// the quoted history (an "On … wrote:" line in English, French, Spanish,
// German or Arabic, an "-----Original Message-----" or underscore
// separator, an Outlook From:/Sent: header block) and before the
// signature ("-- "), and before any line holding a credential of a
// notification (an action link, a reply address: a quote of a kind not
// recognised), without the lines quoted with '>' anywhere and without
// the mobile signatures ("Sent from my iPhone"…) that end it, trimmed.
// It may be empty.
func StripQuoted(text string) string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(text, "\n")
	var out []string
cut:
	for i, line := range lines {
		t := strings.TrimSpace(bidiMarks.Replace(line))
		switch {
		case line == "-- " || t == "--" || separator.MatchString(t):
			break cut
		case strings.HasPrefix(t, ">"):
			continue
		case matchesAny(attribution, t):
			break cut
		case attributionStart.MatchString(t) && i+1 < len(lines) &&
			matchesAny(attribution, t+" "+strings.TrimSpace(bidiMarks.Replace(lines[i+1]))):
			break cut // the attribution wrapped onto two lines
		case headerFrom.MatchString(t) && i+1 < len(lines) && headerNext.MatchString(strings.TrimSpace(lines[i+1])):
			break cut
		case credential.MatchString(line):
			// A notification quoted in a way not recognised above: its
			// links act for the one who replies (a vote, a decision) and
			// must never become a comment others read.
			break cut
		}
		out = append(out, strings.TrimRight(line, " \t"))
	}
	for { // the mobile signatures that end it, from the last
		i := len(out) - 1
		for i >= 0 && strings.TrimSpace(out[i]) == "" {
			i--
		}
		if i < 0 || !mobileSignature.MatchString(strings.TrimSpace(bidiMarks.Replace(out[i]))) {
			break
		}
		out = out[:i]
	}
	return strings.TrimSpace(blankRun.ReplaceAllString(strings.Join(out, "\n"), "\n\n"))
}

func matchesAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}
