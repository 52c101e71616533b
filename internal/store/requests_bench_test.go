package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/devtools/bench/seed"
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// benchRequests is how many requests BenchmarkListRequests seeds over
// three operations (the first, the one listed, gets half): PRODUCT.md §7's
// scale. -short seeds a tenth.
const benchRequests = 100_000

// listBench is a seeded database for the list benchmarks.
type listBench struct {
	st        *store.Store
	opID      int64
	orgID     int64 // the first author's organisation (a requester's view)
	opCount   int
	seedTaken time.Duration
}

// newListBench seeds a private database: three operations, two
// requesting organisations, a complete template request and n requests
// copied from it (package seed), then VACUUM ANALYZE.
func newListBench(b *testing.B, n int) listBench {
	b.Helper()
	start := time.Now()
	pool := testdb.New(b)
	st := store.New(pool)
	ctx := context.Background()
	now := time.Now().UTC()
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	var authors []seed.Author
	for i, o := range []domain.Organization{
		{Name: "World Food Programme", Acronym: "WFP", Type: domain.OrgUNAgency, UNEntity: true},
		{Name: "Save the Children International", Acronym: "SCI", Type: domain.OrgINGO},
	} {
		org, err := st.CreateOrganization(ctx, o, now)
		must(err)
		u, err := st.CreateUser(ctx, domain.User{Email: fmt.Sprintf("requester%d@example.org", i), Name: "Requester " + o.Acronym,
			OrganizationID: org.ID, Language: "en"}, "", now)
		must(err)
		authors = append(authors, seed.Author{OrgID: org.ID, UserID: u.ID})
	}
	var ops []int64
	for i, code := range []string{"NPL-EQ-BENCH", "SSD-CE-BENCH", "MOZ-TC-BENCH"} {
		op, err := st.CreateOperation(ctx, domain.Operation{Code: code, Name: "Bench operation " + code,
			CountryISO3: code[:3], Context: domain.Contexts[i], Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48}, now)
		must(err)
		ops = append(ops, op.ID)
	}
	tpl := fixture.Request("Heavy-lift helicopter to Upper Valley", now)
	tpl.OperationID, tpl.RequestingOrgID, tpl.CreatedBy, tpl.CreatedAt = ops[0], authors[0].OrgID, authors[0].UserID, now
	number, err := st.NextRequestNumber(ctx, ops[0])
	must(err)
	tpl.Reference = domain.FormatReference("NPL", number)
	stored, err := st.InsertRequest(ctx, tpl, number)
	must(err)
	_, _, err = seed.Requests(ctx, pool, seed.RequestsInput{TemplateID: stored.ID, Operations: ops, Authors: authors, Count: n, Now: now})
	must(err)
	_, err = pool.Exec(ctx, `VACUUM (ANALYZE) requests`)
	must(err)
	return listBench{st: st, opID: ops[0], orgID: authors[0].OrgID, opCount: seed.Split(n, len(ops))[0] + 1,
		seedTaken: time.Since(start)}
}

// BenchmarkListRequests measures one page of an operation's request list
// (25 rows, the default page) in each sort, from the first page and from
// a deep keyset page, as an officer (all requests) and as a requester
// (their organisation's only).
func BenchmarkListRequests(b *testing.B) {
	n := benchRequests
	if testing.Short() {
		n /= 10
	}
	f := newListBench(b, n)
	b.Logf("seeded %d requests (%d in the listed operation) in %s", n, f.opCount, f.seedTaken.Round(time.Millisecond))
	ctx := context.Background()
	officer := func(sort domain.RequestSort) domain.RequestFilter {
		return domain.RequestFilter{OperationID: f.opID, Sort: sort, Limit: 25}
	}
	// deep returns filter positioned after skip rows (the cursor the
	// 'next' links would reach there): half of what the caller sees.
	deep := func(filter domain.RequestFilter, skipRows int) domain.RequestFilter {
		skip := filter
		skip.Limit = skipRows
		page, err := f.st.ListRequests(ctx, skip)
		if err != nil {
			b.Fatal(err)
		}
		if page.NextCursor == "" {
			b.Fatalf("no cursor after %d rows", skip.Limit)
		}
		filter.Cursor = page.NextCursor
		return filter
	}
	requester := officer(domain.SortUpdated)
	requester.OrgID, requester.DraftsOf = f.orgID, f.orgID
	screening := officer(domain.SortUrgency)
	screening.Statuses = []domain.Status{domain.StatusSubmitted}
	search := officer(domain.SortUpdated)
	search.Query = "helicopter"
	sector := officer(domain.SortUpdated)
	sector.Sector = "HEA"

	cases := []struct {
		name   string
		filter domain.RequestFilter
	}{
		{"updated/first", officer(domain.SortUpdated)},
		{"updated/deep", deep(officer(domain.SortUpdated), f.opCount/2)},
		{"urgency/first", officer(domain.SortUrgency)},
		{"urgency/deep", deep(officer(domain.SortUrgency), f.opCount/2)},
		{"required_by/first", officer(domain.SortRequiredBy)},
		{"reference/first", officer(domain.SortReference)},
		{"reference/deep", deep(officer(domain.SortReference), f.opCount/2)},
		{"requester/first", requester},
		{"requester/deep", deep(requester, f.opCount/4)}, // a requester sees one author's half
		{"screening_queue/first", screening},
		{"sector/first", sector},
		{"search/first", search},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				page, err := f.st.ListRequests(ctx, c.filter)
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Items) == 0 {
					b.Fatal("empty page")
				}
			}
		})
	}
}

// BenchmarkGetRequest measures loading one request with its joins, as
// the request page does first.
func BenchmarkGetRequest(b *testing.B) {
	n := benchRequests / 10
	f := newListBench(b, n)
	ctx := context.Background()
	page, err := f.st.ListRequests(ctx, domain.RequestFilter{OperationID: f.opID, Limit: 100})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := f.st.GetRequest(ctx, page.Items[i%len(page.Items)].ID); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
