package components

import "context"

type formKeysKey struct{}

// WithFormKeys returns ctx with the source of the idempotency keys the
// page's forms carry (FormKey): the HTML face gives each rendered form a
// fresh random key, so a form posted twice (a double click, a retry over
// a flaky link) acts once.
func WithFormKeys(ctx context.Context, next func() string) context.Context {
	return context.WithValue(ctx, formKeysKey{}, next)
}

// formKey returns a fresh key for one form, or "" when ctx has no source.
func formKey(ctx context.Context) string {
	if next, ok := ctx.Value(formKeysKey{}).(func() string); ok {
		return next()
	}
	return ""
}
