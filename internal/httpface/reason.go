package httpface

import (
	"context"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
)

// Reason is the text of a stored reason in the reader's language: the
// system's code translated, or else what a person wrote, as written.
func Reason(ctx context.Context, code domain.ReasonCode, text string) string {
	if code != "" {
		return i18n.T(ctx, code.MessageKey())
	}
	return text
}
