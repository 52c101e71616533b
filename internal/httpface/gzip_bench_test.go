package httpface

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strings"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
)

// listPage is HTML shaped like the request list page: a header, 25 rows
// of references, titles, badges, organisations and dates, a footer.
func listPage() []byte {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en" dir="ltr"><head><meta charset="utf-8"><title>Requests · NPL-EQ-DEMO</title>` +
		`<link rel="stylesheet" href="/static/app.3f2a.css"></head><body><header class="top"><nav>…</nav></header><main><table class="requests">`)
	for i := range 25 {
		fmt.Fprintf(&b, `<tr data-testid="request-row"><td><a href="/requests/%d">NPL-2026-%05d</a></td><td>Heavy-lift helicopter to Upper Valley %d</td>`+
			`<td><span class="badge status-submitted">Submitted</span></td><td><span class="priority p-high">High</span></td>`+
			`<td>Logistics, Health</td><td>World Food Programme</td><td><time>%d Dec 2026, 14:%02d UTC</time></td></tr>`, 40000+i, 40000+i, i, 1+i%28, i)
	}
	b.WriteString(`</table><nav class="pager"><a rel="next" href="?cursor=abc">Next</a></nav></main><footer>cmcoord</footer></body></html>`)
	return []byte(b.String())
}

// BenchmarkGzip compares what compressing a page costs with the standard
// library at chi's default level 5 (before) and with klauspost/compress at
// gzipLevel (now), and reports the size each gives.
func BenchmarkGzip(b *testing.B) {
	page := listPage()
	type resetter interface {
		io.WriteCloser
		Reset(io.Writer)
	}
	for _, c := range []struct {
		name string
		w    func(io.Writer) resetter
	}{
		{"stdlib-5", func(w io.Writer) resetter { z, _ := gzip.NewWriterLevel(w, 5); return z }},
		{"klauspost-1", func(w io.Writer) resetter { z, _ := kgzip.NewWriterLevel(w, gzipLevel); return z }},
	} {
		b.Run(c.name, func(b *testing.B) {
			var out bytes.Buffer
			z := c.w(&out) // pooled and reset per response, as chi's compressor does
			b.SetBytes(int64(len(page)))
			for b.Loop() {
				out.Reset()
				z.Reset(&out)
				z.Write(page)
				z.Close()
			}
			b.ReportMetric(float64(out.Len())/float64(len(page))*100, "%size")
		})
	}
}
