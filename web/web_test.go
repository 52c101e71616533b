package web

import (
	"bytes"
	"regexp"
	"testing"
)

// TestTrimStyle: the served stylesheet is the source without its
// comments, indentation and blank lines, every rule intact; the source
// holds no comment marker inside a string, where trimming would cut it.
func TestTrimStyle(t *testing.T) {
	in := []byte("/* a\n   comment */\n.a { color: red; }\n\n  .b {\n    margin: 0; /* why */\n  }\n")
	if got, want := string(trimStyle(in)), ".a { color: red; }\n.b {\nmargin: 0;\n}\n"; got != want {
		t.Errorf("trimStyle = %q, want %q", got, want)
	}
	src, err := static.ReadFile("static/css/app.css")
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`["'][^"'\n]*/\*`).Find(src); m != nil {
		t.Fatalf("app.css has a comment marker in a string (%q): trimStyle would cut it", m)
	}
	served := assets().bodies["css/app.css"]
	for _, c := range []string{"{", "}", ";"} {
		strip := styleComment.ReplaceAll(src, nil)
		if a, b := bytes.Count(strip, []byte(c)), bytes.Count(served, []byte(c)); a != b {
			t.Errorf("%q: %d in the source's rules, %d served", c, a, b)
		}
	}
	if len(served) >= len(src) {
		t.Errorf("served %d bytes of a %d-byte source", len(served), len(src))
	}
}
