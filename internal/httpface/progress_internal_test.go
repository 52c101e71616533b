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
	ctx, p := watchProgress(t.Context(), httptest.NewRecorder(), stall)
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
