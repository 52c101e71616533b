package httpface

import (
	"context"
	"errors"

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

// Message is err's message in the reader's language, with its template
// data (domain.Error.Data, a count in the plural form): a refusal, or
// why a step is not offered (domain.BlockedActions), said the same on
// the pages and in the API. Anything that is not a domain error reads as
// error.internal.
func Message(ctx context.Context, err error) string {
	var de *domain.Error
	if !errors.As(err, &de) {
		return i18n.T(ctx, "error.internal")
	}
	return i18n.Data(ctx, de.Message, de.Data)
}
