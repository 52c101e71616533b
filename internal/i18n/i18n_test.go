package i18n_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"

	"github.com/cmcoord/cmcoord/internal/i18n"
)

func mustLoad(t *testing.T) *i18n.Catalog {
	t.Helper()
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCataloguesMatchEnglish fails when any catalogue lacks a key English
// has, or has a key English lacks.
func TestCataloguesMatchEnglish(t *testing.T) {
	t.Parallel()
	c := mustLoad(t)
	en := c.Keys("en")
	if len(en) == 0 {
		t.Fatal("English catalogue is empty")
	}
	for _, tag := range c.Languages()[1:] {
		got := c.Keys(tag.String())
		for _, k := range diff(en, got) {
			t.Errorf("%s catalogue lacks %q", tag, k)
		}
		for _, k := range diff(got, en) {
			t.Errorf("%s catalogue has %q, which English lacks", tag, k)
		}
	}
}

func diff(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

// keyUse finds message IDs written as literals in Go and templ sources:
// T(ctx, "id"…), .T("id"…), .N("id"…) and domain.Errorf(code, "id").
var keyUse = regexp.MustCompile(`(?:\b[TN]\(ctx, |\.T\(|\.N\(|Errorf\(domain\.Code\w+, |Message: )"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"`)

// TestEveryUsedKeyExists scans the repository's Go and templ sources for
// literal message IDs and fails on any the English catalogue lacks.
func TestEveryUsedKeyExists(t *testing.T) {
	t.Parallel()
	c := mustLoad(t)
	found := 0
	eachSource(t, func(path string, b []byte) {
		for _, m := range keyUse.FindAllStringSubmatch(string(b), -1) {
			found++
			if !c.Has(m[1]) {
				t.Errorf("%s uses message %q, missing from locales/en.json", path, m[1])
			}
		}
	})
	if found < 10 {
		t.Fatalf("found only %d message uses; the scanner pattern is probably broken", found)
	}
}

func TestLocalizer(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"l/en.json": {Data: []byte(`{"a.b": "Hello {{.Name}}", "files.count": {"one": "{{.Count}} file", "other": "{{.Count}} files"}}`)},
		"l/fr.json": {Data: []byte(`{"a.b": "Bonjour {{.Name}}", "files.count": {"one": "{{.Count}} fichier", "other": "{{.Count}} fichiers"}}`)},
		"l/ar.json": {Data: []byte(`{"a.b": "مرحبا {{.Name}}"}`)},
	}
	c, err := i18n.LoadFS(fsys, "l")
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	c.OnMissing(func(lang, id string) { missing = append(missing, lang+":"+id) })
	tests := []struct {
		name     string
		prefs    []string
		lang     string
		dir      string
		greeting string
	}{
		{"Default", nil, "en", "ltr", "Hello Ana"},
		{"Header", []string{"", "fr-CH, fr;q=0.9, en;q=0.8"}, "fr", "ltr", "Bonjour Ana"},
		{"UserChoiceWins", []string{"ar", "fr"}, "ar", "rtl", "مرحبا Ana"},
		{"Unknown", []string{"de-DE"}, "en", "ltr", "Hello Ana"},
		{"Malformed", []string{";;;q=abc"}, "en", "ltr", "Hello Ana"},
	}
	for _, tt := range tests {
		l := c.Localizer(tt.prefs...)
		if !strings.HasPrefix(l.Lang(), tt.lang) || l.Dir() != tt.dir {
			t.Errorf("%s: Lang, Dir = %q, %q; want %q, %q", tt.name, l.Lang(), l.Dir(), tt.lang, tt.dir)
		}
		if got := l.T("a.b", "Name", "Ana"); got != tt.greeting {
			t.Errorf("%s: T = %q, want %q", tt.name, got, tt.greeting)
		}
	}
	fr := c.Localizer("fr")
	if got := fr.N("files.count", 1); got != "1 fichier" {
		t.Errorf("N(1) = %q, want %q", got, "1 fichier")
	}
	// French treats 0 as singular; English does not.
	if got := fr.N("files.count", 0); got != "0 fichier" {
		t.Errorf("fr N(0) = %q, want %q", got, "0 fichier")
	}
	if got := c.Localizer("en").N("files.count", 0); got != "0 files" {
		t.Errorf("en N(0) = %q, want %q", got, "0 files")
	}
	if got := c.Localizer("ar").T("files.count", "Count", 2); got != "2 files" {
		t.Errorf("ar falls back to English: got %q", got)
	}
	if got := c.Localizer("en").T("no.such.key"); got != "no.such.key" || len(missing) != 1 {
		t.Errorf("missing key: T = %q, OnMissing calls %v", got, missing)
	}
}

// message is one catalogue entry: a string, or plural forms.
type message struct {
	forms  map[string]string // "other" alone for a plain string
	plural bool
}

// readCatalogues reads every locales/*.json file: language → ID → message.
func readCatalogues(t *testing.T) map[string]map[string]message {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("locales", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]message{}
	for _, file := range files {
		parts := strings.Split(strings.TrimSuffix(filepath.Base(file), ".json"), ".")
		lang := parts[len(parts)-1]
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if out[lang] == nil {
			out[lang] = map[string]message{}
		}
		for id, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				out[lang][id] = message{forms: map[string]string{"other": s}}
				continue
			}
			var forms map[string]string
			if err := json.Unmarshal(v, &forms); err != nil {
				t.Fatalf("%s: %s: %v", file, id, err)
			}
			delete(forms, "description")
			out[lang][id] = message{forms: forms, plural: true}
		}
	}
	return out
}

var fieldRe = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

// fields returns the template fields m uses, Count excepted when
// withoutCount.
func fields(m message, withoutCount bool) []string {
	set := map[string]bool{}
	for _, f := range m.forms {
		for _, x := range fieldRe.FindAllStringSubmatch(f, -1) {
			if !(withoutCount && x[1] == "Count") {
				set[x[1]] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// TestCataloguesPlaceholdersAndPlurals: every translation keeps the
// template fields of the English message (a plural form may say its
// number in words instead of {{.Count}}), is not empty, and every plural
// message has each form its language's plural rules pick for the counts
// 0–1000 and a million, so N never falls back to the message ID.
func TestCataloguesPlaceholdersAndPlurals(t *testing.T) {
	t.Parallel()
	cats := readCatalogues(t)
	c := mustLoad(t)
	var missing []string
	c.OnMissing(func(lang, id string) { missing = append(missing, lang+" "+id) })
	for lang, msgs := range cats {
		if lang == "en" {
			continue
		}
		loc := c.Localizer(lang)
		for id, m := range msgs {
			en, ok := cats["en"][id]
			if !ok {
				continue // TestCataloguesMatchEnglish reports it
			}
			if got, want := strings.Join(fields(m, true), ","), strings.Join(fields(en, true), ","); got != want {
				t.Errorf("%s %s: fields {%s}, English has {%s}", lang, id, got, want)
			}
			for form, s := range m.forms {
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s %s: form %s is empty", lang, id, form)
				}
			}
			if m.plural != en.plural {
				t.Errorf("%s %s: plural %v, English %v", lang, id, m.plural, en.plural)
			}
			if !en.plural {
				continue
			}
			var kv []any
			for _, f := range fields(en, true) {
				kv = append(kv, f, "x")
			}
			// Every form CLDR's rules pick for the language must exist:
			// go-i18n silently takes "other" in its place.
			for _, form := range pluralForms(lang) {
				if _, ok := m.forms[form]; !ok {
					t.Errorf("%s %s: lacks the plural form %q", lang, id, form)
				}
			}
			// And the text must be one of the language's own forms.
			for _, n := range append(countsUpTo(1000), 1_000_000) {
				s := loc.N(id, n, kv...)
				own := false
				for _, f := range m.forms {
					own = own || render(f, loc.Number(n)) == s
				}
				if !own {
					t.Errorf("%s %s: no form of its own for %d (got %q)", lang, id, n, s)
					break
				}
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("missing translations reported: %v", missing)
	}
}

// pluralForms returns the CLDR plural categories lang's integers 0–1000
// and a million fall in ("one", "other"; Arabic all six).
func pluralForms(lang string) []string {
	names := map[plural.Form]string{plural.Other: "other", plural.Zero: "zero", plural.One: "one",
		plural.Two: "two", plural.Few: "few", plural.Many: "many"}
	tag := language.MustParse(lang)
	set := map[string]bool{}
	for _, n := range append(countsUpTo(1000), 1_000_000) {
		set[names[plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)]] = true
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// render fills a message form as the test's N calls do: Count with n,
// any other field with "x".
func render(form string, n string) string {
	return fieldRe.ReplaceAllStringFunc(form, func(f string) string {
		if fieldRe.FindStringSubmatch(f)[1] == "Count" {
			return n
		}
		return "x"
	})
}

func countsUpTo(n int) []int {
	out := make([]int, n+1)
	for i := range out {
		out[i] = i
	}
	return out
}

// TestFormats: dates, times and numbers in each language's conventions,
// always UTC.
func TestFormats(t *testing.T) {
	t.Parallel()
	c := mustLoad(t)
	at := time.Date(2026, 12, 2, 9, 5, 0, 0, time.FixedZone("EAT", 3*3600))
	for _, tc := range []struct{ lang, date, datetime, number, count string }{
		{"en", "2 Dec 2026", "2 Dec 2026, 06:05 UTC", "1,234,567", "3 hours"},
		{"fr", "2 déc. 2026", "2 déc. 2026 à 06:05 UTC", "1\u00a0234\u00a0567", "3\u00a0heures"},
		{"es", "2 dic 2026", "2 dic 2026, 06:05 UTC", "1.234.567", "3 horas"},
		{"ar", "٢ ديسمبر ٢٠٢٦", "٢ ديسمبر ٢٠٢٦، ٠٦:٠٥ بالتوقيت العالمي", "١٬٢٣٤٬٥٦٧", ""},
	} {
		if !slices.ContainsFunc(c.Languages(), func(t language.Tag) bool { return t.String() == tc.lang }) {
			t.Errorf("%s: no catalogue", tc.lang)
			continue
		}
		l := c.Localizer(tc.lang)
		if got := l.Date(at); got != tc.date {
			t.Errorf("%s date = %q, want %q", tc.lang, got, tc.date)
		}
		if got := l.DateTime(at); got != tc.datetime {
			t.Errorf("%s datetime = %q, want %q", tc.lang, got, tc.datetime)
		}
		if got := l.Number(1234567); got != tc.number {
			t.Errorf("%s number = %q, want %q", tc.lang, got, tc.number)
		}
		if got := l.N("unit.hours", 3); tc.count != "" && got != tc.count {
			t.Errorf("%s N = %q, want %q", tc.lang, got, tc.count)
		}
		if l.Date(time.Time{}) != "" || l.DateTime(time.Time{}) != "" {
			t.Errorf("%s: a zero time is not blank", tc.lang)
		}
	}
}

// tUse is a translation by T (no count): T(ctx, "id" or .T("id".
var tUse = regexp.MustCompile(`(?:\bT\(ctx, |\.T\()"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"`)

// TestPluralMessagesThroughN: a message with plural forms is asked for
// with N (or with an int Count in a domain error's data), never with T,
// which picks the "other" form whatever the number and writes it in
// Western digits ("بقي 8 رمز", not "بقيت ٨ رموز").
func TestPluralMessagesThroughN(t *testing.T) {
	t.Parallel()
	plural := map[string]bool{}
	files, err := filepath.Glob(filepath.Join("locales", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		base := filepath.Base(f)
		if base != "en.json" && !strings.HasSuffix(base, ".en.json") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for k, v := range m {
			if len(v) > 0 && v[0] == '{' {
				plural[k] = true
			}
		}
	}
	if len(plural) == 0 {
		t.Fatal("no plural message found: the catalogue reader is probably broken")
	}
	eachSource(t, func(path string, b []byte) {
		for _, m := range tUse.FindAllStringSubmatch(string(b), -1) {
			if plural[m[1]] {
				t.Errorf("%s asks for plural message %q with T: use N with the count", path, m[1])
			}
		}
	})
}

// eachSource calls fn with every Go and templ source of the module that
// is not a test or generated code.
func eachSource(t *testing.T, fn func(path string, b []byte)) {
	t.Helper()
	err := filepath.WalkDir(filepath.Join("..", ".."), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".data" || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".templ")) ||
			strings.HasSuffix(path, "_templ.go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fn(path, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
