package service_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/metrics"
	"slices"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/devtools/bench/seed"
	"github.com/cmcoord/cmcoord/internal/devtools/peak"
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// benchExportRows is the largest export BenchmarkExportRequests measures
// (PRODUCT.md §7: a full CSV export of 100,000 requests streams in ≤ 3 s
// with flat memory); it measures a tenth of it too, so that the peak heap
// of both can be compared. -short seeds a tenth of each.
const benchExportRows = 100_000

// benchEventsPerRequest is PRODUCT.md §7's ratio (1,000,000 events for
// 100,000 requests): the XLSX workbook may carry the audit events too.
const benchEventsPerRequest = 10

// -export-rows measures exports larger than benchExportRows (issue 17
// point 4: 1,000,000 rows), not in the default run: each tenfold size
// from 10,000 up to it is seeded and measured. -export-events sets the
// events seeded per request (0 to seed none when only CSV and JSON are
// measured: the events are only in the XLSX workbook).
var (
	benchExportMax    = flag.Int("export-rows", benchExportRows, "largest export BenchmarkExportRequests measures")
	benchExportEvents = flag.Int("export-events", benchEventsPerRequest, "audit events seeded per request for BenchmarkExportRequests")
)

// exportBench is a seeded database: one operation per size, each holding
// exactly that many requests (none a draft, so the officer exports every
// one of them) and ten audit events per request.
type exportBench struct {
	exports *service.Exports
	officer domain.Actor
	ops     []exportOp
}

type exportOp struct {
	code string
	rows int
}

// newExportBench seeds a private database through the services (admin,
// organisations, users, operations, the template request) and package
// seed (the bulk requests and their events), then VACUUM ANALYZE.
func newExportBench(b *testing.B, sizes []int) exportBench {
	b.Helper()
	ctx := context.Background()
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	const password = "violet kettle harbour at dawn"
	pool := testdb.New(b)
	st := store.New(pool)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	access := service.NewAccess(st, time.Now, quiet)
	dir := service.NewDirectory(st, access, time.Now, quiet)
	reqs := service.NewRequests(st, time.Now, quiet).WithActionLimits(nil)
	actor := func(u domain.User) domain.Actor {
		b.Helper()
		a, err := access.Actor(ctx, u.ID, u.SessionEpoch)
		must(err)
		return a
	}
	adminUser, err := dir.CreateAdmin(ctx, "admin@example.org", "Ada Admin", password, domain.Organization{Name: "OCHA"})
	must(err)
	admin := actor(adminUser)

	// The template request lives in an operation of its own, so each
	// measured operation holds exactly the seeded requests.
	codes := []string{"NPL-EQ-TEMPLATE"}
	for _, n := range sizes {
		codes = append(codes, fmt.Sprintf("NPL-EQ-%d", n))
	}
	var opIDs []int64
	for _, code := range codes {
		op, err := dir.CreateOperation(ctx, admin, domain.Operation{Code: code, Name: "Export bench " + code, CountryISO3: "NPL",
			GLIDE: "EQ-2015-000048-NPL", Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48})
		must(err)
		opIDs = append(opIDs, op.ID)
	}
	member := func(email string, orgID int64, role domain.Role) domain.User {
		b.Helper()
		u, _, err := dir.CreateUser(ctx, admin, service.NewUser{User: domain.User{Email: email, Name: email, OrganizationID: orgID}, Password: password})
		must(err)
		for _, code := range codes {
			must(dir.SetMember(ctx, admin, code, u.ID, domain.RoleSet{role}))
		}
		return u
	}
	var (
		authors   []seed.Author
		requester domain.Actor
	)
	for i, o := range []domain.Organization{
		{Name: "World Food Programme", Acronym: "WFP", Type: domain.OrgUNAgency, UNEntity: true},
		{Name: "Save the Children International", Acronym: "SCI", Type: domain.OrgINGO},
	} {
		org, err := dir.CreateOrganization(ctx, admin, o)
		must(err)
		u := member(fmt.Sprintf("requester%d@example.org", i), org.ID, domain.RoleRequester)
		authors = append(authors, seed.Author{OrgID: org.ID, UserID: u.ID})
		if i == 0 {
			requester = actor(u)
		}
	}
	officer := actor(member("officer@example.org", adminUser.OrganizationID, domain.RoleOfficer))
	tpl, created, err := reqs.Create(ctx, requester, codes[0], fixture.Request("Heavy-lift helicopter to Upper Valley", time.Now()), "")
	must(err)
	if !created {
		b.Fatal("template request not created")
	}

	// Every status but draft: an officer sees no other organisation's
	// drafts, and all the requests are to be exported.
	statuses := slices.DeleteFunc(slices.Clone(domain.Statuses()), func(s domain.Status) bool { return s == domain.StatusDraft })
	// The events copy the template's creation snapshot (package seed).
	var snapshot string
	must(pool.QueryRow(ctx, `SELECT payload FROM events WHERE request_id = $1 AND seq = 1`, tpl.ID).Scan(&snapshot))
	f := exportBench{exports: service.NewExports(st, time.Now, quiet).WithActionLimits(nil), officer: officer}
	for i, n := range sizes {
		first, last, err := seed.Requests(ctx, pool, seed.RequestsInput{TemplateID: tpl.ID, Operations: []int64{opIDs[i+1]},
			Authors: authors, Count: n, Now: time.Now(), Statuses: statuses})
		must(err)
		if *benchExportEvents > 0 {
			_, err = seed.Events(ctx, pool, first, last, n**benchExportEvents, []byte(snapshot), 2)
			must(err)
		}
		f.ops = append(f.ops, exportOp{code: codes[i+1], rows: n})
	}
	_, err = pool.Exec(ctx, `VACUUM (ANALYZE) requests, events`)
	must(err)
	return f
}

// BenchmarkExportRequests measures a whole operation's export through
// Exports.Requests, as an officer, to a writer that only counts, in each
// format and at two sizes: rows/s, the bytes of one file (MB/file) and
// the peak heap in use while exporting (peak-heap-MB, sampled every 2 ms),
// which stays flat from 10,000 to 100,000 rows if the export streams.
func BenchmarkExportRequests(b *testing.B) {
	sizes := []int{benchExportRows / 10, benchExportRows}
	for n := benchExportRows * 10; n <= *benchExportMax; n *= 10 {
		sizes = append(sizes, n)
	}
	if testing.Short() {
		for i := range sizes {
			sizes[i] /= 10
		}
	}
	start := time.Now()
	f := newExportBench(b, sizes)
	b.Logf("seeded %v requests in %s", sizes, time.Since(start).Round(time.Millisecond))
	ctx := context.Background()
	for _, format := range service.ExportFormats {
		b.Run(format, func(b *testing.B) {
			for _, op := range f.ops {
				b.Run(fmt.Sprintf("rows=%d", op.rows), func(b *testing.B) {
					b.ReportAllocs()
					var w benchSink
					runtime.GC() // start every size from the same heap
					heap := peak.Start(2*time.Millisecond, heapInUse)
					for b.Loop() {
						w = benchSink{}
						if err := f.exports.Requests(ctx, f.officer, op.code, service.ExportFilter{}, format, &w, service.ExportOptions{}); err != nil {
							b.Fatal(err)
						}
					}
					peakHeap := heap.Stop()
					if format == service.FormatCSV && w.records-2 != op.rows {
						b.Fatalf("the CSV holds %d rows, want %d", w.records-2, op.rows)
					}
					b.ReportMetric(float64(op.rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
					b.ReportMetric(float64(w.bytes)/1e6, "MB/file")
					b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
				})
			}
		})
	}
}

// benchSink discards what it is given, counting the bytes and the
// CSV records (line ends outside quotes: a quoted field may hold one).
type benchSink struct {
	bytes, records int
	quoted         bool
}

func (w *benchSink) Write(p []byte) (int, error) {
	w.bytes += len(p)
	for _, c := range p {
		switch {
		case c == '"':
			w.quoted = !w.quoted // an escaped quote ("") toggles twice
		case c == '\n' && !w.quoted:
			w.records++
		}
	}
	return len(p), nil
}

// heapInUse reads the heap in use (runtime/metrics: heap objects plus
// the unused part of in-use spans, i.e. MemStats.HeapInuse).
func heapInUse() (int64, error) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(samples)
	var v uint64
	for _, x := range samples {
		if x.Value.Kind() == metrics.KindUint64 {
			v += x.Value.Uint64()
		}
	}
	return int64(v), nil
}
