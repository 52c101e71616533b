package service

import (
	"errors"
	"strings"
	"testing"
)

// TestPipelined: every item reaches use in order; use's failure (an
// error or a panic) stops the reader early and is what the caller gets;
// the reader's own failure is returned when use had none.
func TestPipelined(t *testing.T) {
	reader := func(n int, fail error, read *int) func(func(int) error) error {
		return func(put func(int) error) error {
			for i := range n {
				*read = i + 1
				if err := put(i); err != nil {
					return err
				}
			}
			return fail
		}
	}
	var got []int
	read := 0
	if err := pipelined(reader(10000, nil, &read), func(i int) error { got = append(got, i); return nil }); err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("item %d arrived as %d", i, v)
		}
	}
	if len(got) != 10000 {
		t.Fatalf("%d items used, want 10000", len(got))
	}

	boom := errors.New("client gone")
	read = 0
	err := pipelined(reader(1_000_000, nil, &read), func(i int) error {
		if i == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("use failed: got %v, want %v", err, boom)
	}
	if read >= 1_000_000 {
		t.Error("the reader went on to the end after use failed")
	}

	err = pipelined(reader(100, nil, &read), func(i int) error {
		if i == 3 {
			panic("bad row")
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "bad row") {
		t.Errorf("use panicked: got %v", err)
	}

	dbGone := errors.New("connection reset")
	if err := pipelined(reader(5, dbGone, &read), func(int) error { return nil }); !errors.Is(err, dbGone) {
		t.Errorf("reader failed: got %v, want %v", err, dbGone)
	}
}
