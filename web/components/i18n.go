package components

import (
	"context"

	"github.com/cmcoord/cmcoord/internal/i18n"
)

// T translates the message id into the request's language; kv are
// template key/value pairs ("Name", "Ana").
func T(ctx context.Context, id string, kv ...any) string {
	return i18n.T(ctx, id, kv...)
}

// Lang returns the request's language tag for <html lang>.
func Lang(ctx context.Context) string {
	if l := i18n.FromContext(ctx); l != nil {
		return l.Lang()
	}
	return i18n.DefaultLanguage.String()
}

// Dir returns "rtl" or "ltr" for <html dir>.
func Dir(ctx context.Context) string {
	if l := i18n.FromContext(ctx); l != nil {
		return l.Dir()
	}
	return "ltr"
}

// N translates id with the plural form for count in the request's
// language; the message sees {{.Count}}.
func N(ctx context.Context, id string, count int) string {
	if l := i18n.FromContext(ctx); l != nil {
		return l.N(id, count)
	}
	return id
}
