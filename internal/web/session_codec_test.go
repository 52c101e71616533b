package web

import (
	"maps"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
)

// TestMemoCodecDecodesAsGob: every decoding through the memo, first or
// remembered, equals gob's own; a caller changing its map changes no
// other caller's; a session holding a value its holder could change is
// never shared.
func TestMemoCodecDecodesAsGob(t *testing.T) {
	deadline := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	sessions := []map[string]any{
		{"user_id": int64(7), "epoch": int64(3)},
		{"user_id": int64(8), "epoch": int64(3), "flash": "Saved", "enrol": true, "until": int64(1796500000)},
		{"kept_path": "/requests/9", "kept_body": "title=x&need=y"},
		{"list": []string{"a", "b"}}, // mutable: decoded afresh every time
	}
	var c memoCodec
	for _, values := range sessions {
		b, err := c.Encode(deadline, values)
		if err != nil {
			t.Fatal(err)
		}
		wantDeadline, want, err := scs.GobCodec{}.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			gotDeadline, got, err := c.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !gotDeadline.Equal(wantDeadline) || !equalValues(got, want) {
				t.Fatalf("decoding %d of %v: %v %v, want %v %v", i, values, gotDeadline, got, wantDeadline, want)
			}
			// What scs does with the map it is given: Put, Pop, and
			// changing a slice in place.
			got["user_id"] = int64(999)
			delete(got, "flash")
			if l, ok := got["list"].([]string); ok {
				l[0] = "changed"
			}
		}
	}
	if _, _, err := c.Decode([]byte("not gob")); err == nil {
		t.Fatal("undecodable bytes decoded")
	}
	if len(c.seen) != 3 {
		t.Fatalf("memo holds %d sessions, want the 3 with immutable values", len(c.seen))
	}
}

// TestMemoCodecBounded: the memo never holds more than memoEntries.
func TestMemoCodecBounded(t *testing.T) {
	var c memoCodec
	for i := range memoEntries + 10 {
		b, err := c.Encode(time.Unix(0, 0), map[string]any{"user_id": int64(i)})
		if err != nil {
			t.Fatal(err)
		}
		if _, v, err := c.Decode(b); err != nil || v["user_id"] != int64(i) {
			t.Fatalf("session %d decoded as %v, %v", i, v, err)
		}
		if len(c.seen) > memoEntries {
			t.Fatalf("memo holds %d entries", len(c.seen))
		}
	}
}

func equalValues(a, b map[string]any) bool {
	return maps.EqualFunc(a, b, func(x, y any) bool {
		if xs, ok := x.([]string); ok {
			ys, ok := y.([]string)
			return ok && len(xs) == len(ys) && (len(xs) == 0 || xs[0] == ys[0])
		}
		return x == y
	})
}
