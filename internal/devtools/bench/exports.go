package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cmcoord/cmcoord/internal/devtools/peak"
)

// exportRows is the size PRODUCT.md §7 sets the CSV export's target at.
const exportRows = 100_000

// exportFormats are the downloads of the exports phase, in this order:
// every operation's CSV, then every operation's XLSX, so that the CSV
// figures are not taken after the XLSX has grown the server's heap.
var exportFormats = []string{"csv", "xlsx"}

// download is one measured export.
type download struct {
	format, opCode string
	available      bool
	note           string // why not available
	rows           int64  // CSV data rows (records minus the two header rows); -1 for XLSX
	bytes          int64
	elapsed        time.Duration
	rssBefore      int64 // server's VmRSS before the download, KiB
	peak           int64 // server's peak RSS during the download, KiB
	peakHow        string
}

// runExports downloads the full CSV, then the full XLSX, of every
// operation through the API as the officer, one at a time, measuring the
// time to the last byte and the server process's peak resident memory
// during each (VmHWM, reset before each download through clear_refs, or
// VmRSS sampled every 10 ms where clear_refs is not writable).
func runExports(ctx context.Context, baseURL string, db *benchDB, pid int, logf func(string, ...any)) ([]download, error) {
	client := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Minute}
	defer client.CloseIdleConnections()
	var out []download
	for _, format := range exportFormats {
		for _, code := range db.opCodes {
			logf("exporting %s of %s", format, code)
			d, err := exportOnce(ctx, client, baseURL, db.officerToken, code, format, pid)
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// exportOnce downloads one export and measures it.
func exportOnce(ctx context.Context, client *http.Client, baseURL, token, code, format string, pid int) (download, error) {
	d := download{format: format, opCode: code, rows: -1}
	route := "/api/v1/operations/" + code + "/exports/requests." + format
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+route, nil)
	if err != nil {
		return d, err
	}
	req.Header.Set("Authorization", "Bearer "+token)

	var err2 error
	if d.rssBefore, _, err2 = procStatus(pid); err2 != nil {
		return d, err2
	}
	// Reset the peak to the current RSS; failing that, sample.
	var sampler *peak.Sampler
	if resetPeak(pid) == nil {
		d.peakHow = "VmHWM"
	} else {
		d.peakHow = "VmRSS every 10 ms"
		sampler = peak.Start(10*time.Millisecond, func() (int64, error) {
			rss, _, err := procStatus(pid)
			return rss, err
		})
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		if sampler != nil {
			sampler.Stop()
		}
		return d, fmt.Errorf("export %s: %w", route, err)
	}
	var counter csvCounter
	d.bytes, err = io.Copy(&counter, resp.Body)
	resp.Body.Close()
	d.elapsed = time.Since(start)
	if sampler != nil {
		d.peak = sampler.Stop()
	} else if _, d.peak, err2 = procStatus(pid); err2 != nil {
		return d, err2
	}
	switch {
	case err != nil:
		return d, fmt.Errorf("export %s: %w", route, err)
	case resp.StatusCode == http.StatusNotFound:
		d.note = "not available (404: exports not built yet)"
		return d, nil
	case resp.StatusCode != http.StatusOK:
		return d, fmt.Errorf("export %s: status %d", route, resp.StatusCode)
	}
	d.available = true
	if format == "csv" {
		d.rows = max(0, counter.records-2)
	}
	return d, nil
}

// csvCounter counts the records of an RFC 4180 CSV stream: line ends
// outside quotes (a quoted field may hold a line break; an escaped quote,
// "", toggles twice).
type csvCounter struct {
	records int64
	quoted  bool
}

func (c *csvCounter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if c.quoted {
			i := bytes.IndexByte(p, '"')
			if i < 0 {
				return n, nil
			}
			c.quoted, p = false, p[i+1:]
			continue
		}
		i := bytes.IndexAny(p, "\"\n")
		if i < 0 {
			return n, nil
		}
		if p[i] == '"' {
			c.quoted = true
		} else {
			c.records++
		}
		p = p[i+1:]
	}
	return n, nil
}

// procStatus reads VmRSS and VmHWM (KiB) from /proc/<pid>/status.
func procStatus(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, fmt.Errorf("server memory: %w", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		name, val, ok := strings.Cut(line, ":")
		if !ok || name != "VmRSS" && name != "VmHWM" {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("server memory: %s: %w", line, err)
		}
		if name == "VmRSS" {
			rss = n
		} else {
			hwm = n
		}
	}
	if rss == 0 {
		return 0, 0, errors.New("server memory: no VmRSS in /proc/<pid>/status")
	}
	return rss, hwm, nil
}

// resetPeak resets the process's VmHWM to its current RSS (proc(5),
// clear_refs: "5").
func resetPeak(pid int) error {
	return os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0)
}

// reportExports prints the downloads, a total per format and the verdict
// on PRODUCT.md §7's CSV target, scaled to 100,000 rows at the measured
// rate when the operations hold fewer visible rows.
func reportExports(w io.Writer, o options, ds []download) {
	fmt.Fprintf(w, "\nexports: GET /api/v1/operations/{code}/exports/requests.{csv,xlsx} as %s (officer), one download at a time, before the load; server memory from /proc/<pid>/status\n\n", officerEmail)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "format\toperation\trows\tseconds\trows/s\tbytes\tserver RSS before\tserver peak RSS\t")
	csvRows := map[string]int64{}
	type total struct {
		rows, bytes int64
		elapsed     time.Duration
		peak        int64
		n           int
	}
	totals := map[string]*total{}
	how := ""
	for _, d := range ds {
		if !d.available {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\t%s\t\n", d.format, d.opCode, d.note)
			continue
		}
		how = d.peakHow
		rows, shown := d.rows, strconv.FormatInt(d.rows, 10)
		if d.format == "csv" {
			csvRows[d.opCode] = d.rows
		} else if n, ok := csvRows[d.opCode]; ok {
			rows, shown = n, "("+strconv.FormatInt(n, 10)+")" // the same operation's CSV rows
		} else {
			shown = "-"
		}
		rate := "-"
		if rows >= 0 {
			rate = strconv.FormatFloat(float64(rows)/d.elapsed.Seconds(), 'f', 0, 64)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\t%d\t%s\t%s\t\n", d.format, d.opCode, shown, d.elapsed.Seconds(), rate, d.bytes,
			mib(d.rssBefore), mib(d.peak))
		t := totals[d.format]
		if t == nil {
			t = &total{}
			totals[d.format] = t
		}
		t.rows += max(rows, 0)
		t.bytes += d.bytes
		t.elapsed += d.elapsed
		t.peak = max(t.peak, d.peak)
		t.n++
	}
	for _, f := range exportFormats {
		if t := totals[f]; t != nil {
			fmt.Fprintf(tw, "%s\t%d operations\t%d\t%.2f\t%.0f\t%d\t\tmax %s\t\n", f, t.n, t.rows, t.elapsed.Seconds(),
				float64(t.rows)/t.elapsed.Seconds(), t.bytes, mib(t.peak))
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "(XLSX rows in parentheses: the same operation's CSV rows; server peak RSS: %s)\n", how)
	t := totals["csv"]
	if t == nil || t.rows == 0 {
		fmt.Fprintf(w, "PRODUCT.md §7 (CSV of %d requests ≤ %s): not measured\n", exportRows, o.exportTarget)
		return
	}
	scaled := time.Duration(float64(t.elapsed) * float64(exportRows) / float64(t.rows))
	verdict := "PASS"
	if scaled > o.exportTarget {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "PRODUCT.md §7 (CSV of %d requests ≤ %s): %d rows of %d operations in %.2f s, %.2f s for %d rows at that rate: %s\n",
		exportRows, o.exportTarget, t.rows, t.n, t.elapsed.Seconds(), scaled.Seconds(), exportRows, verdict)
}

// mib formats KiB as MiB.
func mib(kib int64) string {
	return strconv.FormatFloat(float64(kib)/1024, 'f', 1, 64) + " MiB"
}
