package domain_test

import (
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// benchPayloads are the audit payloads worth timing: the creation
// snapshot (the largest an event carries) and a transition's.
func benchPayloads() map[string]map[string]any {
	r := fixture.Request("Heavy-lift helicopter to Upper Valley", time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC))
	return map[string]map[string]any{
		"snapshot":   domain.Snapshot(r),
		"transition": {"from": "submitted", "to": "returned", "reason": "Add the exit plan", "version": 3},
	}
}

// BenchmarkCanonicalJSON measures the canonical encoding every event's
// payload goes through before it is hashed.
func BenchmarkCanonicalJSON(b *testing.B) {
	for _, name := range []string{"snapshot", "transition"} {
		payload := benchPayloads()[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				out, err := domain.CanonicalJSON(payload)
				if err != nil {
					b.Fatal(err)
				}
				size = len(out)
			}
			b.SetBytes(int64(size))
		})
	}
}

// BenchmarkNewEvent measures appending to a chain: canonical payload and
// SHA-256 over the previous hash (what every state change pays).
func BenchmarkNewEvent(b *testing.B) {
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	for _, name := range []string{"snapshot", "transition"} {
		payload := benchPayloads()[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			prev, err := domain.NewEvent(nil, 42, 7, domain.EventCreated, nil, at)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := domain.NewEvent(&prev, 42, 7, string(domain.ActionSubmit), payload, at); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyNext measures checking one link of a chain, which
// `cmcoord audit verify` does for every stored event.
func BenchmarkVerifyNext(b *testing.B) {
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	e1, err := domain.NewEvent(nil, 42, 7, domain.EventCreated, benchPayloads()["snapshot"], at)
	if err != nil {
		b.Fatal(err)
	}
	e2, err := domain.NewEvent(&e1, 42, 7, string(domain.ActionSubmit), benchPayloads()["transition"], at.Add(time.Minute))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if brk := domain.VerifyNext(&e1, e2); brk != nil {
			b.Fatal(brk.Problem)
		}
	}
}
