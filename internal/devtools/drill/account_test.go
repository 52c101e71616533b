package main

import (
	"slices"
	"testing"
	"time"
)

// TestAccount: an acknowledged write is lost when the database lacks its
// key or holds the key under another id; extra rows for a key are
// duplicates; stored keys never acknowledged are counted apart.
func TestAccount(t *testing.T) {
	acked := map[string]int64{"k1": 1, "k2": 2, "k3": 3, "k4": 4}
	rows := map[string][]int64{
		"k1": {1},     // stored once: fine
		"k2": {2, 20}, // a retry that created a second request
		"k3": {30},    // stored, but not the request acknowledged
		// k4 missing: lost
		"k5": {5}, // committed, its answer lost, never retried to success
	}
	got := account(acked, rows)
	want := tally{acked: 4, lost: 2, duplicates: 1, unacked: 1, stored: 4, missing: []string{"k3 (id 3)", "k4 (id 4)"}}
	if got.acked != want.acked || got.lost != want.lost || got.duplicates != want.duplicates ||
		got.unacked != want.unacked || got.stored != want.stored || !slices.Equal(got.missing, want.missing) {
		t.Errorf("account = %+v, want %+v", got, want)
	}
	if clean := account(map[string]int64{"a": 7}, map[string][]int64{"a": {7}}); clean.lost != 0 || clean.duplicates != 0 || clean.unacked != 0 {
		t.Errorf("account of a clean run = %+v, want nothing lost, duplicated or unacknowledged", clean)
	}
}

// TestFirstAckAfter: the outage after a fault ends with the first
// acknowledgement of a try started at or after the fault; tries started
// before it do not count, however late they end.
func TestFirstAckAfter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	spans := []span{
		{at(-1), at(5)},   // started before the fault
		{at(2), at(3.5)},  // the first after it to end
		{at(1), at(4)},    // started earlier, ended later
		{at(0.5), at(10)}, // slow
	}
	if d, ok := firstAckAfter(spans, t0); !ok || d != 3500*time.Millisecond {
		t.Errorf("firstAckAfter = %v, %v; want 3.5s, true", d, ok)
	}
	if _, ok := firstAckAfter(spans, at(3)); ok {
		t.Error("firstAckAfter found an acknowledgement of a try started after the last one")
	}
}
