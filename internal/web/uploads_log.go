package web

import (
	"context"
	"log/slog"

	expslog "golang.org/x/exp/slog"
)

// newDebugLogger routes tusd's log (golang.org/x/exp/slog, a line for
// every request and chunk) to cmcoord's logger at debug level: the
// request log already has a line per request, and refusals worth a look
// are logged by uploadRefusal.
func newDebugLogger(base *slog.Logger) *expslog.Logger {
	return expslog.New(debugHandler{h: base.Handler()})
}

type debugHandler struct{ h slog.Handler }

func (d debugHandler) Enabled(ctx context.Context, _ expslog.Level) bool {
	return d.h.Enabled(ctx, slog.LevelDebug)
}

func (d debugHandler) Handle(ctx context.Context, r expslog.Record) error {
	out := slog.NewRecord(r.Time, slog.LevelDebug, "tus: "+r.Message, r.PC)
	r.Attrs(func(a expslog.Attr) bool {
		out.AddAttrs(convertAttr(a))
		return true
	})
	return d.h.Handle(ctx, out)
}

func (d debugHandler) WithAttrs(attrs []expslog.Attr) expslog.Handler {
	conv := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		conv[i] = convertAttr(a)
	}
	return debugHandler{h: d.h.WithAttrs(conv)}
}

func (d debugHandler) WithGroup(name string) expslog.Handler {
	return debugHandler{h: d.h.WithGroup(name)}
}

func convertAttr(a expslog.Attr) slog.Attr {
	return slog.Any(a.Key, a.Value.Resolve().Any())
}
