package i18n_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

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
	root := filepath.Join("..", "..")
	found := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
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
		for _, m := range keyUse.FindAllStringSubmatch(string(b), -1) {
			found++
			if !c.Has(m[1]) {
				t.Errorf("%s uses message %q, missing from locales/en.json", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
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
