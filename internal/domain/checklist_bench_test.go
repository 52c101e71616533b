package domain_test

import (
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// BenchmarkEvaluate measures the checklist on a complete request, once
// per operation context: the request page and every form preview run it.
func BenchmarkEvaluate(b *testing.B) {
	r := fixture.Request("Heavy-lift helicopter to Upper Valley", time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC))
	for _, ctx := range domain.Contexts {
		b.Run(string(ctx), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ev := domain.Evaluate(r, ctx, true, domain.Recorded{}); !ev.Complete() {
					b.Fatalf("fixture request is not complete in %s: %+v", ctx, ev.Failing())
				}
			}
		})
	}
}
