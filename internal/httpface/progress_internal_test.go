package httpface

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"
)

// TestDownloadBoundedByProgress: a download that keeps flowing outlives
// the stall time many times over; one that stops flowing ends after it,
// with errStalled as the cause.
func TestDownloadBoundedByProgress(t *testing.T) {
	t.Parallel()
	const stall = time.Second
	ctx, p := watchProgress(t.Context(), httptest.NewRecorder(), stall, stall)
	defer p.stop()
	dw := &downloadWriter{w: httptest.NewRecorder(), progress: p, start: func() {}}
	// Three stall times of steady progress, a write every tenth of one.
	for end := time.Now().Add(3 * stall); time.Now().Before(end); time.Sleep(stall / 10) {
		if _, err := dw.Write([]byte("row\n")); err != nil {
			t.Fatal(err)
		}
		if ctx.Err() != nil {
			t.Fatalf("a flowing download ended after %d bytes: %v", dw.n, context.Cause(ctx))
		}
	}
	// Then nothing: it ends, for want of progress.
	select {
	case <-ctx.Done():
	case <-time.After(10 * stall):
		t.Fatal("a stalled download never ended")
	}
	if !errors.Is(context.Cause(ctx), errStalled) {
		t.Errorf("cause = %v, want errStalled", context.Cause(ctx))
	}
}

// TestDownloadFirstByteBound: a download whose first byte does not come
// within the first bound (its session, token or query hung) ends then, as
// a timeout, not as the client going away.
func TestDownloadFirstByteBound(t *testing.T) {
	t.Parallel()
	ctx, p := watchProgress(t.Context(), httptest.NewRecorder(), 200*time.Millisecond, time.Hour)
	defer p.stop()
	select {
	case <-ctx.Done():
	case <-time.After(time.Minute):
		t.Fatal("a download that never started never ended")
	}
	r := httptest.NewRequest("GET", "/operations/X/exports/requests.csv", nil).WithContext(ctx)
	if !TimedOut(r) || ClientGone(httptest.NewRecorder(), r, ctx.Err()) {
		t.Errorf("TimedOut = %v, want true; cause %v", TimedOut(r), context.Cause(ctx))
	}
}
