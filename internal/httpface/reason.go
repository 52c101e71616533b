package httpface

import (
	"context"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
)

// Reason is the text of a stored reason in the reader's language: the
// system's code translated, or else what a person wrote, as written. kv
// are template data a code's message may use when the caller knows it
// (an expiry's RequiredBy); a message reads whole without them.
func Reason(ctx context.Context, code domain.ReasonCode, text string, kv ...any) string {
	if code != "" {
		return i18n.T(ctx, code.MessageKey(), kv...)
	}
	return text
}
