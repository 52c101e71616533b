package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cmcoord/cmcoord/internal/pgserver"
)

// report is a drill's table: figures, and guarantees with their verdict.
type report struct {
	title string
	rows  []row
	notes []string
}

type row struct {
	what, value, want string
	checked, ok       bool
}

// info adds a figure that guarantees nothing.
func (r *report) info(what string, value any) {
	r.rows = append(r.rows, row{what: what, value: fmt.Sprint(value)})
}

// must adds a guarantee: value, what it must be, and whether it is.
func (r *report) must(what string, value any, want string, ok bool) {
	r.rows = append(r.rows, row{what: what, value: fmt.Sprint(value), want: want, checked: true, ok: ok})
}

// zero adds a guarantee that a count is 0.
func (r *report) zero(what string, n int) { r.must(what, n, "0", n == 0) }

// note adds a line printed under the table.
func (r *report) note(format string, a ...any) { r.notes = append(r.notes, fmt.Sprintf(format, a...)) }

// section adds a heading row.
func (r *report) section(name string) { r.rows = append(r.rows, row{what: "— " + name}) }

func (r *report) ok() bool {
	for _, x := range r.rows {
		if x.checked && !x.ok {
			return false
		}
	}
	return true
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "\n%s\n", r.title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  figure\tvalue\tmust be\tverdict")
	for _, x := range r.rows {
		verdict := ""
		if x.checked {
			verdict = "ok"
			if !x.ok {
				verdict = "BROKEN"
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", x.what, x.value, x.want, verdict)
	}
	tw.Flush()
	for _, n := range r.notes {
		fmt.Fprintf(w, "  %s\n", n)
	}
	if r.ok() {
		fmt.Fprintln(w, "  every guarantee held")
	} else {
		fmt.Fprintln(w, "  A GUARANTEE IS BROKEN")
	}
}

// loadRows adds a load's figures and its accounting to r.
func (r *report) loadRows(f figures, t tally) {
	r.info("writes issued", f.issued)
	r.info("writes acknowledged (2xx with an id)", f.acked)
	r.info("acknowledged on a retry as Idempotent-Replayed", f.replayed)
	r.info("tries without an answer (refused, reset)", f.netErrs)
	r.info("503 answers (retried)", f.unavailable)
	r.info("429 answers (retried)", f.throttled)
	r.zero("acknowledged writes lost", t.lost)
	r.zero("duplicate requests (a retry created a second)", t.duplicates)
	r.zero("5xx answers other than 503", f.otherServerErrors)
	r.zero("writes refused (4xx)", len(f.refused))
	r.info("stored but never acknowledged (still retried at the end)", t.unacked)
	for i, m := range t.missing {
		if i == 5 {
			r.note("… and %d more lost", len(t.missing)-5)
			break
		}
		r.note("lost: %s", m)
	}
	for i, m := range f.refused {
		if i == 3 {
			break
		}
		r.note("refused: %s", m)
	}
	if f.otherServerErrors > 0 {
		var codes []string
		for s, n := range f.statuses {
			if s >= 500 && s != 503 {
				codes = append(codes, fmt.Sprintf("%d×%d", n, s))
			}
		}
		sort.Strings(codes)
		r.note("5xx answers: %s", strings.Join(codes, ", "))
	}
}

// secs formats a duration in seconds.
func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// version is the server version of c, for the table.
func version(c *pgserver.Cluster) string { return "PostgreSQL " + c.Version }
