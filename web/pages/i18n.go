package pages

import (
	"context"
	"strings"

	"github.com/cmcoord/cmcoord/web/components"
)

// T translates id in the request's language (see components.T).
func T(ctx context.Context, id string, kv ...any) string { return components.T(ctx, id, kv...) }

// N translates id with the plural form for count (see components.N).
func N(ctx context.Context, id string, count int) string { return components.N(ctx, id, count) }

// joinNames joins names with the language's list separator.
func joinNames(ctx context.Context, names []string) string {
	return strings.Join(names, T(ctx, "list.separator"))
}
