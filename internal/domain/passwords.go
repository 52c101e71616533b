package domain

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Password rules (NIST SP 800-63B §5.1.1.2, ASVS V2.1): a length range
// and no composition rules; a password on the list of common and
// breached passwords, a trivial repeat or sequence, or one built on the
// user's own name or e-mail is refused with a message saying why.
const (
	// MinPasswordLength is more than NIST's 8 for memorised secrets
	// because cmcoord guards decisions about armed forces.
	MinPasswordLength = 12
	// MaxPasswordLength bounds hashing cost; NIST asks at least 64.
	MaxPasswordLength = 128
)

// commonPasswordsGz is the list of common passwords, one a line, lower
// case, gzipped: the 47,023 passwords of zxcvbn's password frequency data
// (Mark Burnett's 10 million password corpus, as in SecLists'
// 10-million-password-list), taken from github.com/trustelem/zxcvbn
// v1.0.1 data/passwords.txt (MIT licence, © 2018 Vincent Vanackere and
// Trustelem; the data © Dropbox, MIT): common_passwords.NOTICE says how
// to regenerate it.
//
//go:embed common_passwords.txt.gz
var commonPasswordsGz []byte

var commonPasswords = sync.OnceValue(func() []string {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		panic("domain: common password list: " + err.Error()) // the embedded file is part of the build
	}
	var out []string
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" {
			out = append(out, w)
		}
	}
	if err := sc.Err(); err != nil {
		panic("domain: common password list: " + err.Error())
	}
	out = append(out, famousPasswords...)
	slices.Sort(out)
	return slices.Compact(out)
})

// famousPasswords are passwords published as examples, which every
// cracking list now holds though the frequency corpus predates them:
// xkcd 936's two ("correct horse battery staple", "Tr0ub4dor&3", its
// word "troubador"), and the sample passwords of well-known guidance.
var famousPasswords = []string{
	"correcthorsebatterystaple", "troubador", "troubadour", "tr0ub4dor&3",
	"passwordpassword", "letmeinplease", "iloveyouforever", "thisismypassword",
	"mypasswordissecure", "ihatepasswords",
}

// leetLetters are the letters digits and symbols stand for.
var leetLetters = map[rune]rune{'0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', '$': 's', '!': 'i', '|': 'l'}

// unleet undoes the digit and symbol substitutions people make for
// letters ("p4ssw0rd", "tr0ub4dor", "hell0") where they stand between
// two letters, or, for a digit, between a letter and the password's
// edge: "2024" after a word stays a number, "!" after it a "!".
func unleet(c string) string {
	r := []rune(c)
	out := make([]rune, len(r))
	copy(out, r)
	for i, x := range r {
		l, ok := leetLetters[x]
		if !ok {
			continue
		}
		before, after := i > 0 && unicode.IsLetter(r[i-1]), i+1 < len(r) && unicode.IsLetter(r[i+1])
		edge := i == 0 || i == len(r)-1
		if before && after || unicode.IsDigit(x) && edge && (before || after) {
			out[i] = l
		}
	}
	return string(out)
}

// NormalizePassword is a password as it is hashed and checked: Unicode
// NFKC (NIST SP 800-63B §5.1.1.2), so the same password typed on two
// keyboards that compose characters differently is the same password.
func NormalizePassword(pw string) string { return norm.NFKC.String(pw) }

// ValidatePassword checks a new password on field; personal are the words
// of the account it is for (its e-mail address, its name), which the
// password must not be built on. The messages are password.* keys.
func ValidatePassword(field, pw string, personal ...string) error {
	f := fieldErrors{}
	pw = NormalizePassword(pw)
	switch n := utf8.RuneCountInString(pw); {
	case !utf8.ValidString(pw) || strings.ContainsRune(pw, 0):
		f.add(field, "field.invalid")
	case n < MinPasswordLength:
		f.add(field, "field.password_short")
	case n > MaxPasswordLength:
		f.add(field, "password.too_long")
	case utf8.RuneCountInString(compact(pw)) < MinPasswordLength/2:
		f.add(field, "password.blank")
	case CommonPassword(pw):
		f.add(field, "password.common")
	case predictable(pw):
		f.add(field, "password.predictable")
	case personalPassword(pw, personal):
		f.add(field, "password.personal")
	}
	return f.err()
}

// compact is pw in lower case without what cannot be seen on its own:
// white space, invisible format characters (zero-width spaces and
// joiners, soft hyphens, byte-order marks: category Cf), marks that only
// sit on another character (combining accents, variation selectors:
// category Mn and Me) and the blank fillers of some scripts (Hangul,
// Braille). It is how a password is compared with the lists, and what its
// visible length is.
func compact(pw string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me) || blankFiller(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, pw)
}

// blankFiller reports whether r is a letter or symbol drawn as nothing:
// the Hangul fillers and the blank Braille pattern.
func blankFiller(r rune) bool {
	switch r {
	case '\u115F', '\u1160', '\u3164', '\uFFA0', '\u2800':
		return true
	}
	return false
}

// unseparated is c without the punctuation people put between the words
// of a listed phrase ("correct-horse-battery-staple", "correct.horse").
func unseparated(c string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) {
			return -1
		}
		return r
	}, c)
}

// CommonPassword reports whether pw, ignoring case and spaces, is on the
// list, or is a listed password with only digits and symbols around it
// ("Password2024!", "123monkey456"), either as typed or with digits and
// symbols read as the letters they stand for ("P4ssw0rd!", "Tr0ub4dor&3").
func CommonPassword(pw string) bool {
	list := commonPasswords()
	listed := func(w string) bool {
		_, ok := slices.BinarySearch(list, w)
		return ok
	}
	c := compact(pw)
	if listed(c) || listed(strings.ToLower(pw)) {
		return true
	}
	for _, v := range []string{c, unleet(c), unseparated(c), unseparated(unleet(c))} {
		if listed(v) {
			return true
		}
		core := strings.TrimFunc(v, func(r rune) bool { return !unicode.IsLetter(r) })
		if core != v && core != "" && listed(core) {
			return true
		}
	}
	return false
}

// predictable reports whether pw is one short unit repeated
// ("abcabcabcabc", "aaaaaaaaaaaa"), a run of consecutive characters
// ("123456789012", "abcdefghijkl", descending too) or a walk along the
// keyboard ("qwertyuiopasdf").
func predictable(pw string) bool {
	r := []rune(compact(pw))
	n := len(r)
	if n < 2 { // white space around one character, or nothing else
		return true
	}
	for unit := 1; unit <= n/2; unit++ {
		repeated := true
		for i := unit; i < n && repeated; i++ {
			repeated = r[i] == r[i-unit]
		}
		if repeated {
			return true
		}
	}
	step := func(a, b rune) rune {
		if d := b - a; d == 1 || d == -1 {
			return d
		}
		if a == '9' && b == '0' { // 7890…
			return 1
		}
		if a == '0' && b == '9' {
			return -1
		}
		return 0
	}
	d := step(r[0], r[1])
	for i := 2; i < n && d != 0; i++ {
		if step(r[i-1], r[i]) != d {
			d = 0
		}
	}
	return d != 0 || keyboardWalk(shifted.Replace(string(r)))
}

// keyboards are common layouts, row by row from the digits down; each
// row starts half a key (or more) further right than the one above, as
// on a real keyboard. A shifted symbol is the key it is typed with.
var keyboards = [][4]string{
	{"`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./"}, // QWERTY
	{"²1234567890°+", "azertyuiop^$", "qsdfghjklmù*", "<wxcvbn,;:!"}, // AZERTY
	{"^1234567890ß´", "qwertzuiopü+", "asdfghjklöä#", "<yxcvbnm,.-"}, // QWERTZ
}

// shifted maps a QWERTY shifted symbol to its key.
var shifted = strings.NewReplacer("~", "`", "!", "1", "@", "2", "#", "3", "$", "4", "%", "5", "^", "6", "&", "7",
	"*", "8", "(", "9", ")", "0", "_", "-", "+", "=", "{", "[", "}", "]", "|", "\\", ":", ";", "\"", "'", "<", ",", ">", ".", "?", "/")

// rowStart is where each row's first key sits, in key widths.
var rowStart = [4]float64{0, 1.5, 1.75, 2.25}

type keyPos struct {
	row int
	x   float64
}

// keyboardWalk reports whether c (compacted) is typed by walking over
// neighbouring keys of one layout — along rows, down columns, or both
// ("qwertyuiopasdf", "1qaz2wsx3edc", "zxcvbnm,./;lkj") — allowing a few
// jumps between walks of four keys or more ("!QAZ@WSX#EDC$RFV").
func keyboardWalk(c string) bool {
	r := []rune(c)
	if len(r) < 2 {
		return false
	}
	for _, kb := range keyboards {
		pos := map[rune]keyPos{}
		for row, keys := range kb {
			for i, k := range []rune(keys) {
				if _, ok := pos[k]; !ok {
					pos[k] = keyPos{row, rowStart[row] + float64(i)}
				}
			}
		}
		// Runs of neighbouring keys, split at each jump: a walk is a few
		// runs, each but the last of four keys or more.
		jumps, run, ok := 0, 1, true
		for i := 1; i < len(r) && ok; i++ {
			a, okA := pos[r[i-1]]
			b, okB := pos[r[i]]
			if !okA || !okB {
				ok = false
				break
			}
			if dr, dx := a.row-b.row, a.x-b.x; dr >= -1 && dr <= 1 && dx >= -1 && dx <= 1 {
				run++
				continue
			}
			if run < 4 {
				ok = false
			}
			jumps, run = jumps+1, 1
		}
		if ok && jumps*4 <= len(r) {
			return true
		}
	}
	return false
}

// personalPassword reports whether pw contains the account's e-mail
// address or its part before the @, or the whole name, or is one word of
// the name: context-specific words the first guesses of an attacker who
// knows the account try. Words under four characters are not checked.
func personalPassword(pw string, personal []string) bool {
	c := compact(pw)
	for _, p := range personal {
		words := []string{compact(p)}
		if at := strings.LastIndex(p, "@"); at > 0 {
			words = append(words, compact(p[:at]))
		}
		for _, w := range words {
			if utf8.RuneCountInString(w) >= 4 && strings.Contains(c, w) {
				return true
			}
		}
		for _, w := range strings.Fields(p) {
			if utf8.RuneCountInString(w) >= 4 && compact(w) == c {
				return true
			}
		}
	}
	return false
}
