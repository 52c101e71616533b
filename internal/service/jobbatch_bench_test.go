package service_test

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/devtools/bench/seed"
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/notify"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

var (
	backlogSize  = flag.Int("backlog", 25_000, "BenchmarkRunDueBacklog: overdue requests seeded per run")
	backlogBatch = flag.Int("backlog-batch", service.JobBatch, "BenchmarkRunDueBacklog: items per transaction (1: one per item, as before batches)")
)

// BenchmarkRunDueBacklog times one RunDue clearing a backlog of -backlog
// submitted requests all past their required-by time (seeded by package
// seed, as after downtime or an import), -backlog-batch items per
// transaction, with the server's notifier (in-app and e-mail outbox).
// It reports items/s; the figures are in docs/performance.md, never a
// test's assertion:
//
//	go run ./internal/devtools/testenv -- go test -run '^$' -bench RunDueBacklog -benchtime 1x ./internal/service/ -args -backlog-batch 200
func BenchmarkRunDueBacklog(b *testing.B) {
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
	org, err := st.CreateOrganization(ctx, domain.Organization{Name: "World Food Programme", Acronym: "WFP",
		Type: domain.OrgUNAgency, UNEntity: true}, now)
	must(err)
	u, err := st.CreateUser(ctx, domain.User{Email: "requester@example.org", Name: "Requester", OrganizationID: org.ID, Language: "en"}, "", now)
	must(err)
	op, err := st.CreateOperation(ctx, domain.Operation{Code: "NPL-EQ-BENCH", Name: "Bench operation", CountryISO3: "NPL",
		Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48}, now)
	must(err)
	tpl := fixture.Request("Heavy-lift helicopter to Upper Valley", now)
	tpl.OperationID, tpl.RequestingOrgID, tpl.CreatedBy, tpl.CreatedAt = op.ID, org.ID, u.ID, now
	number, err := st.NextRequestNumber(ctx, op.ID)
	must(err)
	tpl.Reference = domain.FormatReference("NPL", number)
	stored, err := st.InsertRequest(ctx, tpl, number)
	must(err)
	catalog, err := i18n.Load()
	must(err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reviews := service.NewReviews(st, time.Now, log, notify.New(catalog, true, "https://cmcoord.example.org", log))
	reviews.Batch = *backlogBatch
	for b.Loop() {
		b.StopTimer()
		// Created in the year before 40 days ago, needed 3 to 32 days
		// after: every one is past its required-by time now.
		_, _, err := seed.Requests(ctx, pool, seed.RequestsInput{TemplateID: stored.ID, Operations: []int64{op.ID},
			Authors: []seed.Author{{OrgID: org.ID, UserID: u.ID}}, Count: *backlogSize, Now: now.Add(-40 * 24 * time.Hour),
			Statuses: []domain.Status{domain.StatusSubmitted}})
		must(err)
		_, err = pool.Exec(ctx, `VACUUM (ANALYZE) requests`)
		must(err)
		b.StartTimer()
		start := time.Now()
		rep, err := reviews.RunDue(ctx)
		took := time.Since(start)
		must(err)
		if rep.Expired != *backlogSize {
			b.Fatalf("RunDue = %+v; want %d expired", rep, *backlogSize)
		}
		b.ReportMetric(float64(rep.Expired)/took.Seconds(), "items/s")
		b.Logf("batch %d: %d expired in %s (%.0f items/s)", reviews.Batch, rep.Expired, took.Round(time.Millisecond),
			float64(rep.Expired)/took.Seconds())
	}
}
