package components

import (
	"context"
	"io"

	"github.com/a-h/templ"
)

// Text is a string rendered as escaped HTML text, by templ's own escaper:
// `@components.Text(s)` writes what `{ s }` writes. Where a template
// repeats a text per row of a long table, it is the cheaper form: `{ s }`
// passes every string through fmt.Sprint (two allocations each), while
// Text's Render is a direct call on a string that allocates nothing
// unless the text needs escaping (BenchmarkRequestList).
type Text string

// Render writes t escaped.
func (t Text) Render(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, templ.EscapeString(string(t)))
	return err
}
