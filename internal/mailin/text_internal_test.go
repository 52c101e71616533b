package mailin

import (
	"net/mail"
	"strings"
	"testing"
)

// TestMessageText: text/plain is preferred; an HTML-only reply loses its
// tags, entities and quoted history; encodings and Latin-1 are decoded;
// attachments are skipped.
func TestMessageText(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, raw, want string }{
		{"HTMLOnly", "Content-Type: text/html; charset=utf-8\n\n<html><head><style>p{}</style></head><body><div dir=\"ltr\">Fuel &amp; water <b>ready</b>.<br>See you.</div>" +
			"<div class=\"gmail_quote\"><div class=\"gmail_attr\">On Mon, cmcoord wrote:</div><blockquote>Request returned.</blockquote></div></body></html>\n",
			"Fuel & water ready.\nSee you."},
		{"OutlookHTML", "Content-Type: text/html\n\n<p>Agreed&nbsp;for 6.</p><div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\">From: cmcoord</div>\n", "Agreed for 6."},
		{"Latin1QP", "Content-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nD=E9j=E0 pr=EAt.=\n Merci\n", "Déjà prêt. Merci"},
		{"Windows1252", "Content-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: 8bit\n\n\x93OK\x94 \x96 yes\n", "“OK” – yes"},
		{"Base64", "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n2YbYudmFIA==\n", "نعم "},
		{"NoContentType", "\nJust text.\n", "Just text."},
		{"MixedWithAttachment", "Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain; name=a.txt\nContent-Disposition: attachment\n\nATTACHED\n" +
			"--m\nContent-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/html\n\n<p>html</p>\n--a\nContent-Type: text/plain\n\nplain body\n--a--\n--m--\n", "plain body"},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg, err := mail.ReadMessage(strings.NewReader(strings.ReplaceAll(c.raw, "\n", "\r\n")))
			if err != nil {
				t.Fatal(err)
			}
			got, err := messageText(msg)
			if err != nil || strings.TrimSpace(got) != strings.TrimSpace(c.want) {
				t.Errorf("messageText = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
