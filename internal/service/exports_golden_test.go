package service_test

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cmcoord/cmcoord/internal/devtools/bench/seed"
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/exports/*.golden")

// TestExports_Golden fixes the bytes of every export format and variant
// of one seeded operation, on a fixed clock: a request taken through its
// whole lifecycle (decision, consent, two taskings, reports, hand-over),
// its extension, a justified checklist item, an HRDDP-free rejection, a
// draft, and thirty requests seeded by package seed in every status. A
// change meant to make exports faster must leave these files alone; run
// with -update-golden only when the export itself is meant to change.
// The XLSX file is compared as its cells (raw values, sheet by sheet):
// the zip's own bytes carry nothing the reader sees.
func TestExports_Golden(t *testing.T) {
	t.Parallel()
	f := newLifeFixture(t)
	ctx := t.Context()
	ex := service.NewExports(store.New(f.pool), f.clock.now, slog.New(slog.NewTextHandler(io.Discard, nil))).WithCatalog(catalog(t)).WithActionLimits(nil)
	step := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	draft := fixture.Request("Justified airlift", f.clock.now())
	draft.Checklist["LR12"] = domain.Answer{Value: "no", Note: "Fuel is charged at cost; no civilian carrier flies there."}
	draft.POC.Phone = "+977 1 4200000"
	draft.Title = "=HYPERLINK(\"x\") airlift, \"quoted\"\nsecond line"
	r := f.create(t, draft)
	r, err := f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version})
	step(err)
	f.open(t, r)
	for _, a := range f.hct {
		_, err := f.reviews.Vote(ctx, a, r.ID, service.VoteInput{Value: domain.VoteSupport, Comment: "With conditions: -daylight only"})
		step(err)
	}
	_, err = f.reviews.Close(ctx, f.officer, r.ID, r.Version)
	step(err)
	f.clock.t = f.clock.t.Add(90 * time.Minute)
	_, err = f.reviews.Decide(ctx, f.hc, r.ID, service.DecisionInput{Version: r.Version, Outcome: domain.StatusApproved, Rationale: "Passed."})
	step(err)
	v := r.Version
	throughLifecycle(t, f, r.ID, v)
	a := f.approved(t, "Needs longer")
	cur, _ := f.reqs.Get(ctx, f.requester, a.ID)
	_, _, err = f.reqs.Extend(ctx, f.requester, a.ID, 0, cur.Request.EndDate.AddDate(0, 0, 10), "")
	step(err)
	rej := f.submitted(t, "Rejected convoy")
	f.open(t, rej)
	for _, a := range f.hct {
		_, err := f.reviews.Vote(ctx, a, rej.ID, service.VoteInput{Value: domain.VoteObject, Comment: "Trucks can go."})
		step(err)
	}
	_, err = f.reviews.Close(ctx, f.officer, rej.ID, rej.Version)
	step(err)
	f.clock.t = f.clock.t.Add(30 * time.Minute)
	_, err = f.reviews.Decide(ctx, f.hc, rej.ID, service.DecisionInput{Version: rej.Version, Outcome: domain.StatusRejected, Rationale: "Civilian means exist."})
	step(err)
	f.create(t, domain.Request{Title: "@still a draft"})

	// Thirty more in every status but draft, copying r's long fields.
	statuses := slices.DeleteFunc(slices.Clone(domain.Statuses()), func(s domain.Status) bool { return s == domain.StatusDraft })
	_, _, err = seed.Requests(ctx, f.pool, seed.RequestsInput{TemplateID: r.ID, Operations: []int64{f.op.ID},
		Authors: []seed.Author{{OrgID: f.requester.OrganizationID, UserID: f.requester.UserID}}, Count: 30, Now: f.clock.now(), Statuses: statuses})
	step(err)

	viewer := f.member(t, "vic@example.org", f.requester.OrganizationID, domain.RoleRequester, domain.RoleViewer)
	for _, c := range []struct {
		name   string
		by     domain.Actor
		format string
		o      service.ExportOptions
	}{
		{"officer.csv", f.officer, service.FormatCSV, service.ExportOptions{}},
		{"officer-labels.csv", f.officer, service.FormatCSV, service.ExportOptions{Labels: []string{"fr", "ar"}}},
		{"viewer.csv", viewer, service.FormatCSV, service.ExportOptions{}},
		{"public.csv", f.officer, service.FormatCSV, service.ExportOptions{Public: true}},
		{"officer.json", f.officer, service.FormatJSON, service.ExportOptions{}},
		{"officer-hxl-labels.json", f.officer, service.FormatJSON, service.ExportOptions{HXLKeys: true, Labels: []string{"es"}}},
		{"public.json", viewer, service.FormatJSON, service.ExportOptions{Public: true}},
		{"officer.xlsx", f.officer, service.FormatXLSX, service.ExportOptions{}},
		{"viewer-labels.xlsx", viewer, service.FormatXLSX, service.ExportOptions{Labels: []string{"fr"}}},
		{"public.xlsx", f.officer, service.FormatXLSX, service.ExportOptions{Public: true}},
	} {
		var buf bytes.Buffer
		if err := ex.Requests(ctx, c.by, f.op.Code, service.ExportFilter{}, c.format, &buf, c.o); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := buf.Bytes()
		if c.format == service.FormatXLSX {
			got = xlsxCells(t, got)
		}
		golden := filepath.Join("testdata", "exports", c.name+".golden")
		if *updateGolden {
			step(os.MkdirAll(filepath.Dir(golden), 0o755))
			step(os.WriteFile(golden, got, 0o644))
			continue
		}
		want, err := os.ReadFile(golden)
		step(err)
		if !bytes.Equal(got, want) {
			gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
			for i := range max(len(gl), len(wl)) {
				g, w := "", ""
				if i < len(gl) {
					g = gl[i]
				}
				if i < len(wl) {
					w = wl[i]
				}
				if g != w {
					t.Errorf("%s differs from %s at line %d:\n got: %q\nwant: %q", c.name, golden, i+1, g, w)
					break
				}
			}
		}
	}
}

// xlsxCells is a workbook's cells as text: each sheet's name, then its
// rows, raw values tab-separated (quoted as Go strings).
func xlsxCells(t *testing.T, b []byte) []byte {
	t.Helper()
	wb, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	var out strings.Builder
	for _, sheet := range wb.GetSheetList() {
		rows, err := wb.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "== %s\n", sheet)
		for _, row := range rows {
			for i, cell := range row {
				if i > 0 {
					out.WriteByte('\t')
				}
				fmt.Fprintf(&out, "%q", cell)
			}
			out.WriteByte('\n')
		}
	}
	return []byte(out.String())
}
