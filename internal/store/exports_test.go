package store_test

import (
	"reflect"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// TestEachRequest_ReadsWhatEvaluateReads: the export takes the JSON
// documents domain.Evaluate reads (the checklist, the civilian options,
// the escort) apart in SQL instead of decoding them in Go; each comes out
// as GetRequest reads it, for every checklist item, every civilian option
// and every escort field — with notes, empty answers, quotes and
// non-ASCII text, and for a request with none of them.
func TestEachRequest_ReadsWhatEvaluateReads(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := testdb.New(t)
	st := store.New(pool)
	u := mustUsers(t, st, 1, false)[0]
	op, err := st.CreateOperation(ctx, domain.Operation{Code: "NPL-EQ", Name: "Nepal", CountryISO3: "NPL",
		Context: domain.ContextMixed, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48}, t0)
	if err != nil {
		t.Fatal(err)
	}
	full := domain.Request{Title: "Full", Checklist: map[string]domain.Answer{}, Escort: domain.Escort{
		NeedCriticality: "Critical \"need\"", ResponsibleAuthority: "Police absent", SecurityAssessment: "SRM-42",
		DiscontinuationPlan: "Stop in March — خطة", CommonPositionConsulted: true, Compensation: "fuel"}}
	for i, it := range domain.Checklist {
		a := domain.Answer{Value: "yes"}
		switch i % 3 {
		case 1:
			a = domain.Answer{Value: "no", Note: "Justified, with a comma, and « guillemets » " + it.ID}
		case 2:
			a = domain.Answer{Value: "", Note: "A note without an answer"}
		}
		full.Checklist[it.ID] = a
	}
	for i, o := range domain.CivilianOptions {
		full.CivilianOptions = append(full.CivilianOptions, domain.CivilianCheck{Option: o,
			Result: domain.CivilianResults[i%len(domain.CivilianResults)], Note: "Asked on day " + o})
	}
	empty := domain.Request{Title: "Empty"}
	var want []domain.Request
	for n, r := range []domain.Request{full, empty} {
		domain.NormalizeRequest(&r)
		r.OperationID, r.RequestingOrgID, r.CreatedBy = op.ID, u.OrganizationID, u.ID
		r.Status, r.Version, r.CreatedAt, r.UpdatedAt = domain.StatusDraft, 1, t0, t0
		r.Reference = domain.FormatReference("NPL", n+1)
		saved, err := st.InsertRequest(ctx, r, n+1)
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.GetRequest(ctx, saved.ID)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, got)
	}
	i := 0
	err = st.EachRequest(ctx, store.ExportFilter{RequestScope: store.RequestScope{OperationID: op.ID, DraftsOf: u.OrganizationID}}, func(rec store.ExportRecord) error {
		w, g := want[i], rec.Request
		i++
		if len(w.Checklist) != len(g.Checklist) {
			t.Errorf("%s: %d checklist answers exported, %d stored", w.Title, len(g.Checklist), len(w.Checklist))
		}
		for id, a := range w.Checklist {
			if g.Checklist[id] != a {
				t.Errorf("%s %s: exported %+v, stored %+v", w.Title, id, g.Checklist[id], a)
			}
		}
		if len(w.CivilianOptions)+len(g.CivilianOptions) > 0 && !reflect.DeepEqual(w.CivilianOptions, g.CivilianOptions) {
			t.Errorf("%s civilian options: exported %+v, stored %+v", w.Title, g.CivilianOptions, w.CivilianOptions)
		}
		if w.Escort != g.Escort {
			t.Errorf("%s escort: exported %+v, stored %+v", w.Title, g.Escort, w.Escort)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if i != len(want) {
		t.Fatalf("%d requests exported, want %d", i, len(want))
	}

	// The rows decoded from their raw values are those pgx's Scan gives,
	// with and without what is recorded after approval.
	id := want[0].ID
	for _, q := range []string{
		`INSERT INTO taskings (request_id, provider_iso3, unit, asset_type, asset_count, tasked_by, tasked_at, declined_at, decline_reason, started_at)
		 VALUES ($1, 'IND', 'Air Force unit «152»', 'Mi-17', 2, $2, '2026-11-28 09:00:00.123456+00', '2026-11-28 10:00Z', 'Grounded.', '1999-12-31 23:59:59.5Z')`,
		`INSERT INTO handovers (request_id, organization, date, recorded_by, recorded_at) VALUES ($1, 'WFP', '1999-12-30', $2, now())`,
		`INSERT INTO execution_reports (request_id, report_date, sorties, flight_hours, tonnes, passengers, medevacs, people_reached, reported_by, reported_at)
		 VALUES ($1, '2026-11-29', 6, 9.5, 12.25, 3, 1, 4000, $2, now()), ($1, '2026-11-30', 4, 6, 8, 0, 1, 0, $2, now())`,
		`INSERT INTO consents (request_id, status, recorded_by, recorded_at) VALUES ($1, 'consented', $2, now())`,
	} {
		if _, err := pool.Exec(ctx, q, id, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	f := store.ExportFilter{RequestScope: store.RequestScope{OperationID: op.ID, DraftsOf: u.OrganizationID}}
	var raw, pgx []store.ExportRecord
	if err := st.EachRequestRawOnly(ctx, f, func(rec store.ExportRecord) error { raw = append(raw, rec); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := st.EachRequestPgxOnly(ctx, f, func(rec store.ExportRecord) error { pgx = append(pgx, rec); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(raw) != 2 || raw[0].Tasking == nil || raw[0].Handover == nil || raw[0].Reports != 2 {
		t.Fatalf("raw rows = %+v, want two, the first tasked, handed over and reported on", raw)
	}
	for k := range raw {
		if !reflect.DeepEqual(raw[k], pgx[k]) {
			t.Errorf("row %d decoded from raw values:\n%+v\nscanned by pgx:\n%+v", k, raw[k], pgx[k])
		}
	}
}
