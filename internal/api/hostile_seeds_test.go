package api

import (
	"reflect"
	"strings"
	"testing"
)

// hostileStrings are the JSON texts of the strings every text field is
// sent, by the fuzz targets' seeds here and by the walk of every route
// (TestHostileInput_NoServerError): NUL alone and inside a text
// (PostgreSQL's text and jsonb store neither), a lone surrogate (decoded
// as U+FFFD), a right-to-left override, control characters, a text far
// past any limit, blank and empty.
var hostileStrings = []string{
	`"\u0000"`, `"a note\u0000with a NUL"`, `"\ud800"`, `"\u202eexe.txt"`, `"\u0001\u001b[2J\u007f\t"`,
	`"` + strings.Repeat("x", 100_000) + `"`, `"   "`, `""`,
	// Long enough to pass a length check and reach the next one (a
	// password's): white space alone, or around one character.
	`"` + strings.Repeat(" ", 12) + `"`, `"x` + strings.Repeat(" ", 11) + `"`, `"` + strings.Repeat(` `, 12) + `"`,
}

// withHostile returns seeds with, after each, the seed with each of its
// string values (a JSON text between quotes, after a colon) replaced in
// turn by each hostile string: the fuzz corpus then starts from a NUL in
// every text field the seeds name, nested or not.
func withHostile(seeds []string) []string {
	out := append([]string(nil), seeds...)
	for _, s := range seeds {
		for i := 0; i < len(s); i++ {
			if !strings.HasPrefix(s[i:], `: "`) {
				continue
			}
			start := i + 2
			end := strings.IndexByte(s[start+1:], '"')
			if end < 0 {
				break
			}
			end += start + 2
			for _, h := range hostileStrings[:2] { // the NULs; the walk sends the rest
				out = append(out, s[:start]+h+s[end:])
			}
		}
	}
	return out
}

// wantNoNUL fails t when v, a value the domain's checks accepted, holds
// a NUL in any text, at any depth (fields, lists, map keys and values):
// PostgreSQL would refuse it with a 500.
func wantNoNUL(t testing.TB, body []byte, v any) {
	t.Helper()
	if path, ok := nulAt(reflect.ValueOf(v), ""); ok {
		t.Fatalf("body %q: the checks accepted a NUL at %s", body, path)
	}
}

func nulAt(v reflect.Value, path string) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		return path, strings.ContainsRune(v.String(), 0)
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return nulAt(v.Elem(), path)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if p, ok := nulAt(v.Field(i), path+"."+v.Type().Field(i).Name); ok {
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if p, ok := nulAt(v.Index(i), path+"[]"); ok {
				return p, true
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			if p, ok := nulAt(k, path+"{key}"); ok {
				return p, true
			}
			if p, ok := nulAt(v.MapIndex(k), path+"{}"); ok {
				return p, true
			}
		}
	}
	return "", false
}
