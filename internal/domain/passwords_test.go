package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestValidatePassword walks each rule of the password table: every
// refusal with its message, and passwords that pass (long, any script,
// spaces, no composition rule).
func TestValidatePassword(t *testing.T) {
	t.Parallel()
	personal := []string{"maria.lopez@ngo.example.org", "María López"}
	cases := []struct {
		pw, want string // want "" passes
	}{
		{"", "field.password_short"},
		{"elevenchars", "field.password_short"},
		{strings.Repeat("x", 5) + "ü" + strings.Repeat("y", 5), "field.password_short"}, // 11 runes, 12 bytes
		{strings.Repeat("abcé", 32) + "z", "password.too_long"},                         // 129 runes
		{"qwerty123456", "password.common"},
		{"QWERTY123456", "password.common"},    // case-insensitive
		{"1qaz2wsx3edc", "password.common"},    // on the list as is
		{"Password2024!", "password.common"},   // a listed word with digits and symbols round it
		{"123monkey456789", "password.common"}, // the same, in front
		{"leave me alone", "password.common"},  // spaces ignored
		{"ＬｅａｖｅＭｅＡｌｏｎｅ", "password.common"},    // full-width letters: NFKC first
		{"aaaaaaaaaaaa", "password.predictable"},
		{"abcabcabcabc", "password.predictable"},
		{"123456789012", "password.predictable"},
		{"zyxwvutsrqpo", "password.predictable"},
		{"qwertyuiopasdf", "password.predictable"},
		{"QWERTYUIOPASDFGH", "password.predictable"},
		{"mnbvcxzlkjhg", "password.predictable"},
		{"azertyuiopqsd", "password.predictable"},
		{"zxcvbnm,./asdf", "password.predictable"},
		{"poiuytrewqlkjh", "password.predictable"},
		{"!QAZ@WSX#EDC$RFV", "password.predictable"},
		{"1q2w3e4r5t6y7u8i", "password.predictable"},
		{"lkjhgfdsamnbvc", "password.predictable"},
		{"ytrewqhgfdsabv", "password.predictable"},
		{"0987654321poiu", "password.predictable"},
		{"qwertzuiopasdf", "password.predictable"},
		{"maria.lopez@ngo.example.org", "password.personal"},
		{"my name is maria.lopez", "password.personal"},
		{"María López 1984!", "password.personal"},          // the whole name (case and spaces ignored)
		{"correct horse battery staple", "password.common"}, // published as an example: on every list now
		{"correcthorsebatterystaple", "password.common"},
		{"Tr0ub4dor&3", "field.password_short"},
		{"Tr0ub4dor&3!!", "password.common"}, // substitutions undone, then symbols around a listed word
		{"Monkey!2024ab", ""},                // "!" after a word is not an "i"
		{"P4ssw0rd2024!", "password.common"},
		{"Sunsh1ne2024!", "password.common"},
		{"            ", "password.blank"}, // white space alone
		{"x           ", "password.blank"}, // around one character
		{"\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0", "password.blank"},
		{"a" + strings.Repeat("\u200b", 11), "password.blank"}, // zero-width spaces are not characters one sees
		{strings.Repeat("\u200b", 11) + "a", "password.blank"},
		{"ab" + strings.Repeat("\u00ad\u2060\ufeff\u200c", 3), "password.blank"},
		{"kettle  harb" + "\u200b", ""},                         // ten visible characters in thirteen: enough
		{"ab" + strings.Repeat("\u3164", 12), "password.blank"}, // Hangul filler
		{"ab" + strings.Repeat("\u2800", 12), "password.blank"}, // blank Braille
		{"ab" + strings.Repeat("\u0301", 12), "password.blank"}, // combining accents
		{"ab" + strings.Repeat("\ufe0f", 12), "password.blank"}, // variation selectors
		{"ab" + strings.Repeat("\U000e0100", 12), "password.blank"},
		{"كلمة سر طويلة جداً", ""}, // Arabic with a diacritic: its letters are seen
		{"correct-horse-battery-staple", "password.common"},
		{"correct.horse.battery.staple", "password.common"},
		{"correct_horse_battery_staple", "password.common"},
		{"4 quiet herons by the lake", ""},
		{"violet kettle 1987 harbour", ""},
		{"hrddp_assessed", ""}, // neighbouring keys here and there are not a walk
		{"cmcoord demo pass", ""},
		{"خمسة عشر حرفا هنا", ""},
		{"mariachi band at noon", ""},             // a name word inside a longer password is fine
		{strings.Repeat("abcé", 31) + "zyxw", ""}, // exactly 128 runes
	}
	for _, c := range cases {
		err := domain.ValidatePassword("password", c.pw, personal...)
		got := ""
		if e, ok := err.(*domain.Error); ok {
			got = e.Fields["password"]
			if e.Code != domain.CodeInvalid {
				t.Errorf("%q: code %s", c.pw, e.Code)
			}
		} else if err != nil {
			t.Fatalf("%q: %v", c.pw, err)
		}
		if got != c.want {
			t.Errorf("ValidatePassword(%q) = %q, want %q", c.pw, got, c.want)
		}
	}
}

// TestCommonPasswordList checks the shipped list is loaded whole: its
// most and least frequent entries are refused.
func TestCommonPasswordList(t *testing.T) {
	t.Parallel()
	for _, pw := range []string{"123456", "password", "iloveyou", "finalfantasy", "websolutions"} {
		if !domain.CommonPassword(pw) {
			t.Errorf("%q not found on the common password list", pw)
		}
	}
	if domain.CommonPassword("violet kettle harbour at dawn") {
		t.Error("a passphrase not on the list is reported common")
	}
}

// TestCheckNewToken walks the token rule: who may ask, each scope, and
// the expiry's range.
func TestCheckNewToken(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	user := domain.Actor{UserID: 7}
	readOnly := domain.Actor{UserID: 7, ReadOnly: true}
	cases := []struct {
		name  string
		by    domain.Actor
		tok   domain.NewToken
		code  domain.Code
		field string
	}{
		{"anonymous", domain.Actor{}, domain.NewToken{Scope: domain.TokenRead}, domain.CodeUnauthorized, ""},
		{"read-only token", readOnly, domain.NewToken{Scope: domain.TokenRead}, domain.CodeForbidden, ""},
		{"read", user, domain.NewToken{Scope: domain.TokenRead}, "", ""},
		{"full", user, domain.NewToken{Scope: domain.TokenFull, ExpiresAt: at(30 * 24 * time.Hour)}, "", ""},
		{"unknown scope", user, domain.NewToken{Scope: "admin"}, domain.CodeInvalid, "scope"},
		{"no scope", user, domain.NewToken{}, domain.CodeInvalid, "scope"},
		{"past expiry", user, domain.NewToken{Scope: domain.TokenRead, ExpiresAt: at(-time.Minute)}, domain.CodeInvalid, "expires_at"},
		{"expiry now", user, domain.NewToken{Scope: domain.TokenRead, ExpiresAt: at(0)}, domain.CodeInvalid, "expires_at"},
		{"expiry too far", user, domain.NewToken{Scope: domain.TokenRead, ExpiresAt: at(domain.MaxTokenLifetime + time.Hour)}, domain.CodeInvalid, "expires_at"},
		{"long name", user, domain.NewToken{Scope: domain.TokenRead, Name: strings.Repeat("n", 101)}, domain.CodeInvalid, "name"},
	}
	for _, c := range cases {
		err := domain.CheckNewToken(c.by, c.tok, now)
		if domain.ErrorCode(err) != c.code {
			t.Errorf("%s: code %q, want %q (%v)", c.name, domain.ErrorCode(err), c.code, err)
			continue
		}
		if c.field != "" {
			if e := err.(*domain.Error); e.Fields[c.field] == "" {
				t.Errorf("%s: no message on %s: %v", c.name, c.field, e.Fields)
			}
		}
	}
	for _, m := range []string{"GET", "HEAD", "OPTIONS"} {
		if !domain.SafeMethod(m) {
			t.Errorf("%s is not safe", m)
		}
	}
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE", "get"} {
		if domain.SafeMethod(m) {
			t.Errorf("%s is safe", m)
		}
	}
}
