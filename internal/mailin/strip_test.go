package mailin_test

import (
	"testing"

	"github.com/cmcoord/cmcoord/internal/mailin"
)

// TestStripQuoted: the quoted history and the signature go, in the
// styles of the common clients and languages; the reply stays.
func TestStripQuoted(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, in, want string }{
		{"Plain", "Fine by us.\n", "Fine by us."},
		// A notification quoted without '>' under an attribution in a
		// language not recognised: cut at its first link that acts.
		{"UnknownQuoteWithVoteLinks", "Concordo.\n\nEm seg., 30 de nov. de 2026, cmcoord escreveu:\nVote from this e-mail:\nSupport: https://cmcoord.example.org/act/amemw_-ktBbQTaWwuVmUs5xrk0tFbqL-OhuZMHEXPA0tJBzY6AuQ4qJElvhErZHJ\nObject: https://cmcoord.example.org/act/tpWw2T_X6a7nDNNInmxfSy2pUjMVW7aUbI9ugdk6Z44YFdqqjB3FzpXoEqsQFjev\n",
			"Concordo.\n\nEm seg., 30 de nov. de 2026, cmcoord escreveu:\nVote from this e-mail:"},
		{"ReplyAddressQuoted", "Yes.\nreply+abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqr@reply.example.org wrote:\nText\n", "Yes."},
		{"CRLF", "Line one.\r\nLine two.\r\n", "Line one.\nLine two."},
		{"GmailOneLine", "Yes.\n\nOn Mon, 30 Nov 2026 at 10:00, cmcoord <cmcoord@example.org> wrote:\n> Request returned.\n", "Yes."},
		{"GmailWrapped", "Yes.\n\nOn Mon, 30 Nov 2026 at 10:00, cmcoord <cmcoord@example.org>\nwrote:\n\n> Request returned.\n", "Yes."},
		{"AppleMail", "Yes.\n\n> On 30 Nov 2026, at 10:00, cmcoord <cmcoord@example.org> wrote:\n> \n> Request returned.\n", "Yes."},
		{"OutlookSeparator", "Agreed.\n\n________________________________\nFrom: cmcoord <cmcoord@example.org>\nSent: Monday\n\nText.\n", "Agreed."},
		{"OutlookHeaderBlock", "Agreed.\n\nFrom: cmcoord <cmcoord@example.org>\nSent: Monday, November 30, 2026 10:00\nTo: Rita\n", "Agreed."},
		{"OutlookFrench", "D'accord.\n\nDe : cmcoord <cmcoord@example.org>\nEnvoyé : lundi 30 novembre 2026 10:00\nÀ : Rita\n", "D'accord."},
		{"OriginalMessage", "Noted.\n\n-----Original Message-----\nFrom: cmcoord\nRequest returned.\n", "Noted."},
		{"French", "Bien reçu.\n\nLe lun. 30 nov. 2026 à 10:00, cmcoord <cmcoord@example.org> a écrit :\n> Demande renvoyée.\n", "Bien reçu."},
		{"FrenchMessageOrigine", "Bien reçu.\n\n-----Message d'origine-----\nDe : cmcoord\n", "Bien reçu."},
		{"Spanish", "Recibido.\n\nEl lun, 30 nov 2026 a las 10:00, cmcoord (<cmcoord@example.org>) escribió:\n> Solicitud devuelta.\n", "Recibido."},
		{"Arabic", "تم الاستلام.\n\n\u200fفي الاثنين، 30 نوفمبر 2026، 10:00 ص، كتب cmcoord <cmcoord@example.org>:\u200f\n> أعيد الطلب.\n", "تم الاستلام."},
		{"Signature", "See you at 6.\n\n-- \nRita Sharma\nRelief NGO\n", "See you at 6."},
		{"SignatureTrimmed", "See you at 6.\n--\nRita\n", "See you at 6."},
		{"InlineReplies", "> Is the airstrip usable?\nYes, until dusk.\n> Fuel?\nAvailable.\n", "Yes, until dusk.\nAvailable."},
		{"OnlyQuote", "\n\nOn Mon, 30 Nov 2026, cmcoord wrote:\n> Request returned.\n", ""},
		{"BlankLinesFolded", "One.\n\n\n\n\nTwo.\n", "One.\n\nTwo."},
		{"SentFromIPhone", "Yes, landing at 14:00.\n\nSent from my iPhone\n", "Yes, landing at 14:00."},
		{"SentFromIPadBeforeQuote", "Yes.\n\nSent from my iPad\n\nOn 30 Nov 2026, at 10:00, cmcoord <cmcoord@example.org> wrote:\n> Request returned.\n", "Yes."},
		{"SentFromAndroid", "Yes.\nSent from my Android phone\n\n", "Yes."},
		{"OutlookIOS", "Agreed.\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n", "Agreed."},
		{"OutlookAndroid", "Agreed.\n\nGet Outlook for Android\n________________________________\nFrom: cmcoord\n", "Agreed."},
		{"FrenchIPhone", "D'accord.\n\nEnvoyé de mon iPhone\n\nLe 30 nov. 2026 à 10:00, cmcoord <cmcoord@example.org> a écrit :\n> Demande renvoyée.\n", "D'accord."},
		{"SpanishIPhone", "De acuerdo.\n\nEnviado desde mi iPhone\n", "De acuerdo."},
		{"ArabicIPhone", "موافق.\n\n\u200fأُرسلت من iPhone\u200f\n", "موافق."},
		{"TwoSignatures", "Noted.\n\nSent from my iPhone\nGet Outlook for iOS\n", "Noted."},
		{"OnlyMobileSignature", "Sent from my iPhone\n", ""},
		{"MobileSignatureNotLast", "Sent from my iPhone\nThe road is open.\n", "Sent from my iPhone\nThe road is open."},
		{"SentenceLikeSignature", "Fine.\nSent from my iPhone while waiting at the airstrip.\n", "Fine.\nSent from my iPhone while waiting at the airstrip."},
		{"OnInProse", "On Monday the road reopens.\nWe will fly anyway.\n", "On Monday the road reopens.\nWe will fly anyway."},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := mailin.StripQuoted(c.in); got != c.want {
				t.Errorf("StripQuoted(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
