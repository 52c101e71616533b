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

// requestColumnNames are the request table's column names; each row
// repeats them as data-label, for the stacked layout of narrow screens.
type requestColumnNames struct {
	Reference, Title, Status, Priority, Organization, RequiredBy, Updated string
}

// requestColumns translates the column names once per table, not once
// per row.
func requestColumns(ctx context.Context) requestColumnNames {
	return requestColumnNames{Reference: T(ctx, "request.reference"), Title: T(ctx, "request.title"),
		Status: T(ctx, "request.status"), Priority: T(ctx, "request.priority"), Organization: T(ctx, "request.organization"),
		RequiredBy: T(ctx, "request.required_by"), Updated: T(ctx, "request.updated")}
}
