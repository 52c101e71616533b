package service

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestHashGate: never more than the gate's slots run at once, however
// many callers arrive; a bounded number wait, the rest are told at once
// that the server is busy (429 with Retry-After), and a waiter gives up
// after the gate's wait.
func TestHashGate(t *testing.T) {
	t.Parallel()
	const slots, callers = 2, 100
	g := newHashGate(slots)
	g.wait = 200 * time.Millisecond
	release := make(chan struct{})
	var running, peak, ran atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() {
			errs[i] = g.do(context.Background(), func() error {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				<-release
				running.Add(-1)
				ran.Add(1)
				return nil
			})
		})
	}
	time.Sleep(50 * time.Millisecond) // the first callers hold the slots; the rest queue or are turned away
	close(release)
	wg.Wait()
	busy := 0
	for _, err := range errs {
		switch {
		case err == nil:
		case domain.ErrorCode(err) == domain.CodeRateLimited:
			busy++
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if peak.Load() > slots {
		t.Fatalf("%d hashes ran at once, want at most %d", peak.Load(), slots)
	}
	if int(ran.Load())+busy != callers || busy < callers-slots-int(g.queue) {
		t.Fatalf("ran %d, busy %d of %d (queue %d)", ran.Load(), busy, callers, g.queue)
	}

	// A waiter that outlasts the gate's wait is turned away.
	hold := make(chan struct{})
	for range slots {
		go func() { _ = g.do(context.Background(), func() error { <-hold; return nil }) }()
	}
	time.Sleep(20 * time.Millisecond)
	if err := g.do(context.Background(), func() error { return nil }); domain.ErrorCode(err) != domain.CodeRateLimited {
		t.Fatalf("waiter past the wait = %v, want busy", err)
	}
	close(hold)
}
