package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// ExportFilter selects the requests of one operation an export holds:
// the scope a list has, and a date range.
type ExportFilter struct {
	RequestScope
	// DateField is "submitted_at" or "created_at" (anything else is
	// created_at); From (inclusive) and To (exclusive) bound it when not
	// zero.
	DateField string
	From, To  time.Time
}

// ExportRecord is one exported request with its latest decision and
// what the tracker counts of it. Request holds only the columns an
// export writes and the checklist evaluation reads (exportCols): it is
// data for the writers and domain.Evaluate; the rules are asked about
// Ref, which is whole.
type ExportRecord struct {
	Request   domain.Request
	Outcome   string // "approved", "rejected" or "" when undecided
	DecidedAt time.Time
	// UNEntity: the requesting organisation is a UN entity (what
	// domain.Evaluate reads of it).
	UNEntity bool
	// ExtensionOf is the reference of the request Request extends, "" for
	// an original.
	ExtensionOf string
	// Consent is the recorded consent status, "" when none.
	Consent string
	// Assessed: an HRDDP risk assessment is recorded.
	Assessed bool
	// Tasking is the live tasking, or the latest declined one when none
	// is live; nil when never tasked.
	Tasking *domain.Tasking
	// Handover is the recorded hand-over, nil before it.
	Handover *domain.Handover
	// Reports is the number of execution reports; Totals their sums, as
	// domain.Totals adds them.
	Reports int
	Totals  domain.ExecutionReport
}

// ForLongRead prepares the current transaction for a read of every row of
// an operation: no JIT compilation, which costs a quarter of a second up
// front and saves nothing on a plain scan. Call it inside InTxWith.
//
// A long read is bounded by its caller (the bytes the client takes, the
// command's own run), not by -db-statement-timeout: it is lifted here,
// for this transaction only.
func (s *Store) ForLongRead(ctx context.Context) error {
	for _, q := range []string{"SET LOCAL jit = off", "SET LOCAL statement_timeout = 0"} {
		if _, err := s.db.Exec(ctx, q); err != nil {
			return dbErr(err, "set up a long read")
		}
	}
	return nil
}

// EachRequest calls fn with each request f selects, in reference order,
// reading the rows one at a time from the database (never collecting
// them), so memory does not grow with the export. fn's error stops the
// iteration and is returned. Callers wanting one snapshot run it inside
// a read-only REPEATABLE READ transaction (InTxWith).
func (s *Store) EachRequest(ctx context.Context, f ExportFilter, fn func(ExportRecord) error) error {
	return s.eachRequest(ctx, f, fn, scanRawOrPgx)
}

// How eachRequest decodes rows: raw values, falling back to pgx's Scan
// should a column come in another type or format (EachRequest); or one
// way only (the tests comparing them).
const (
	scanRawOrPgx = iota
	scanRawOnly
	scanPgxOnly
)

func (s *Store) eachRequest(ctx context.Context, f ExportFilter, fn func(ExportRecord) error, mode int) error {
	where, args := exportWhere(f)
	q := `SELECT ` + exportCols + `
	      FROM requests r JOIN organizations o ON o.id = r.requesting_org_id
	      LEFT JOIN LATERAL (SELECT x.outcome, x.decided_at FROM decisions x WHERE x.request_id = r.id
	                         ORDER BY x.decided_at DESC, x.id DESC LIMIT 1) d ON true
	      LEFT JOIN LATERAL (SELECT array_agg(j.key) AS ids, array_agg(coalesce(j.value->>'value', '')) AS vals,
	                                array_agg(coalesce(j.value->>'note', '')) AS notes
	                         FROM jsonb_each(r.checklist) j) ck ON true
	      LEFT JOIN LATERAL (SELECT array_agg(coalesce(c.value->>'option', '') ORDER BY c.n) AS options,
	                                array_agg(coalesce(c.value->>'result', '') ORDER BY c.n) AS results,
	                                array_agg(coalesce(c.value->>'note', '') ORDER BY c.n) AS notes
	                         FROM jsonb_array_elements(r.civilian_options) WITH ORDINALITY c(value, n)) cv ON true
	      LEFT JOIN requests parent ON parent.id = r.extension_of
	      LEFT JOIN consents c ON c.request_id = r.id
	      LEFT JOIN LATERAL (SELECT t.provider_iso3, t.unit, t.asset_type, t.asset_count, t.tasked_at, t.declined_at, t.started_at
	                         FROM taskings t WHERE t.request_id = r.id
	                         ORDER BY t.declined_at IS NULL DESC, t.id DESC LIMIT 1) t ON true
	      LEFT JOIN handovers h ON h.request_id = r.id
	      LEFT JOIN LATERAL (SELECT count(*)::int AS n, coalesce(sum(e.sorties), 0)::int AS sorties,
	                                coalesce(sum(e.flight_hours), 0)::float8 AS flight_hours, coalesce(sum(e.tonnes), 0)::float8 AS tonnes,
	                                coalesce(sum(e.passengers), 0)::int AS passengers, coalesce(sum(e.medevacs), 0)::int AS medevacs,
	                                coalesce(sum(e.people_reached), 0)::int AS people_reached
	                         FROM execution_reports e WHERE e.request_id = r.id) e ON true
	      WHERE ` + where + `
	      ORDER BY r.number, r.id`
	// Rows are decoded from their raw values (scanExportRaw); should a
	// column ever come in another type or format, the rest are scanned
	// by pgx (scanExport), whose result is the same.
	raw, intern := mode != scanPgxOnly, map[string]string{}
	return s.eachRow(ctx, "export requests", q, args, func(rows pgx.Rows) error {
		var (
			rec ExportRecord
			err error
		)
		if raw {
			if rec, err = scanExportRaw(rows, intern); errors.Is(err, errRawMismatch) && mode == scanRawOrPgx {
				raw = false
			}
		}
		if !raw {
			rec, err = scanExport(rows)
		}
		if err != nil {
			return dbErr(err, "export requests")
		}
		return fn(rec)
	})
}

// exportCols are the request columns an export row reads, with the parts
// of the JSON columns it needs taken out by PostgreSQL: decoding whole
// JSON documents in Go was most of a CSV export's time. Of the JSON
// documents only what domain.Evaluate reads is read, taken apart by
// PostgreSQL: the checklist and the civilian options as arrays (the joins
// ck and cv), the escort's fields; the free-text reasons are not read.
// Nothing is decoded from JSON in Go.
// Then the requesting organisation's UN flag, the extended request's
// reference, the consent, the tasking, the hand-over and the reports'
// totals (EachRequest's joins).
const exportCols = `r.id, r.operation_id, r.reference, r.status, r.title, r.requesting_org_id, o.name,
	r.sectors, r.need, r.people_targeted, r.task_category, r.capability, r.support_type, r.task_description,
	coalesce(r.origin->>'name', ''), coalesce(r.origin->>'adm1_name', ''), coalesce(r.origin->>'adm1_pcode', ''),
	(r.origin->'lat')::float8, (r.origin->'lon')::float8,
	coalesce(r.destination->>'name', ''), coalesce(r.destination->>'adm1_name', ''),
	coalesce(r.destination->>'adm1_pcode', ''), coalesce(r.destination->>'adm2_pcode', ''),
	(r.destination->'lat')::float8, (r.destination->'lon')::float8,
	r.required_by, r.start_date, r.end_date, r.priority,
	coalesce(r.exit_strategy->>'organization', ''), coalesce(r.exit_strategy->>'date', ''),
	coalesce(r.poc->>'name', ''), coalesce(r.poc->>'email', ''), coalesce(r.poc->>'phone', ''),
	r.submitted_at, coalesce(d.outcome, ''), d.decided_at,
	ck.ids, ck.vals, ck.notes, cv.options, cv.results, cv.notes, r.complementarity,
	coalesce(r.escort->>'need_criticality', ''), coalesce(r.escort->>'responsible_authority', ''),
	coalesce(r.escort->>'security_assessment', ''), coalesce(r.escort->>'discontinuation_plan', ''),
	coalesce((r.escort->>'common_position_consulted')::boolean, false), coalesce(r.escort->>'compensation', ''),
	o.un_entity, coalesce(parent.reference, ''), coalesce(c.status, ''),
	EXISTS (SELECT 1 FROM hrddp_assessments a WHERE a.request_id = r.id),
	t.provider_iso3, t.unit, t.asset_type, t.asset_count, t.tasked_at, t.declined_at, t.started_at,
	h.organization, h.date,
	e.n, e.sorties, e.flight_hours, e.tonnes, e.passengers, e.medevacs, e.people_reached`

// Ref is what the rules read of the exported request.
func (rec ExportRecord) Ref() domain.RequestRef { return rec.Request.Ref() }

// Recorded is what was recorded on the request after its answers, as
// domain.Evaluate reads it: the consent's status and whether an HRDDP
// assessment exists.
func (rec ExportRecord) Recorded() domain.Recorded {
	out := domain.Recorded{Assessed: rec.Assessed}
	if rec.Consent != "" {
		out.Consent = &domain.Consent{Status: rec.Consent}
	}
	return out
}

// scanExport scans exportCols.
func scanExport(rows pgx.Rows) (ExportRecord, error) {
	var (
		rec                            ExportRecord
		r                              = &rec.Request
		requiredBy, submitted, decided *time.Time
		start, end                     *time.Time
		exitDate                       string
		ckIDs, ckValues, ckNotes       []string
		civOpts, civResults, civNotes  []string
		esc                            = &r.Escort
		provider, unit, assetType      *string
		assetCount                     *int
		tasked, declined, started      *time.Time
		handoverOrg                    *string
		handoverDate                   *time.Time
		tot                            = &rec.Totals
	)
	err := rows.Scan(&r.ID, &r.OperationID, &r.Reference, &r.Status, &r.Title, &r.RequestingOrgID, &r.RequestingOrgName,
		&r.Sectors, &r.Need, &r.PeopleTargeted, &r.TaskCategory, &r.Capability, &r.SupportType, &r.TaskDescription,
		&r.Origin.Name, &r.Origin.Adm1Name, &r.Origin.Adm1PCode, &r.Origin.Lat, &r.Origin.Lon,
		&r.Destination.Name, &r.Destination.Adm1Name, &r.Destination.Adm1PCode, &r.Destination.Adm2PCode,
		&r.Destination.Lat, &r.Destination.Lon,
		&requiredBy, &start, &end, &r.Priority,
		&r.ExitStrategy.Organization, &exitDate, &r.POC.Name, &r.POC.Email, &r.POC.Phone,
		&submitted, &rec.Outcome, &decided,
		&ckIDs, &ckValues, &ckNotes, &civOpts, &civResults, &civNotes, &r.Complementarity,
		&esc.NeedCriticality, &esc.ResponsibleAuthority, &esc.SecurityAssessment, &esc.DiscontinuationPlan,
		&esc.CommonPositionConsulted, &esc.Compensation,
		&rec.UNEntity, &rec.ExtensionOf, &rec.Consent, &rec.Assessed,
		&provider, &unit, &assetType, &assetCount, &tasked, &declined, &started,
		&handoverOrg, &handoverDate,
		&rec.Reports, &tot.Sorties, &tot.FlightHours, &tot.Tonnes, &tot.Passengers, &tot.Medevacs, &tot.PeopleReached)
	if err != nil {
		return rec, err
	}
	r.RequiredBy, r.SubmittedAt, rec.DecidedAt = deref(requiredBy), deref(submitted), deref(decided)
	if start != nil {
		r.StartDate = domain.DateOf(*start)
	}
	if end != nil {
		r.EndDate = domain.DateOf(*end)
	}
	if exitDate != "" {
		if t, err := time.Parse(time.DateOnly, exitDate); err == nil { // as scanRequest: a bad date is no date
			r.ExitStrategy.Date = t
		}
	}
	if r.Sectors == nil {
		r.Sectors = []string{}
	}
	if r.Checklist, err = checklistOf(ckIDs, ckValues, ckNotes); err != nil {
		return rec, fmt.Errorf("checklist of request %d: %w", r.ID, err)
	}
	if r.CivilianOptions, err = civilianOf(civOpts, civResults, civNotes); err != nil {
		return rec, fmt.Errorf("decode request %d: %w", r.ID, err)
	}
	if provider != nil {
		rec.Tasking = &domain.Tasking{RequestID: r.ID, ProviderISO3: *provider, Unit: *unit, AssetType: *assetType,
			AssetCount: *assetCount, TaskedAt: deref(tasked), DeclinedAt: deref(declined), StartedAt: deref(started)}
	}
	if handoverOrg != nil {
		rec.Handover = &domain.Handover{Organization: *handoverOrg, Date: deref(handoverDate)}
	}
	return rec, nil
}

// exportWhere is the SQL condition on requests r (and its arguments)
// selecting what f selects: a list's (requestWhere) within a date range.
func exportWhere(f ExportFilter) (string, []any) {
	w := requestWhere(f.RequestScope)
	col := "r.created_at" // whitelisted, never interpolated from input
	if f.DateField == "submitted_at" {
		col = "r.submitted_at"
	}
	if !f.From.IsZero() {
		w.and(col + " >= " + w.arg(f.From))
	}
	if !f.To.IsZero() {
		w.and(col + " < " + w.arg(f.To))
	}
	return w.String(), w.args
}

// refCols are the request columns a review, vote or event row of an
// export carries: its reference and what the access rules read.
const refCols = `r.id, r.reference, r.operation_id, r.requesting_org_id, r.status`

// scanRef scans refCols into a request's ref (what the rules read).
func scanRef(r *domain.RequestRef) []any {
	return []any{&r.ID, &r.Reference, &r.OperationID, &r.RequestingOrgID, &r.Status}
}

// eachRow runs q and calls scan with each row, streaming.
func (s *Store) eachRow(ctx context.Context, what, q string, args []any, scan func(pgx.Rows) error) error {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return dbErr(err, "%s", what)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return dbErr(rows.Err(), "%s", what)
}

// EachReview calls fn with each review of the requests f selects, with
// its request (only the columns of refCols) and how it ended ("closed",
// "cancelled", "" while open), in reference then round order, streaming.
func (s *Store) EachReview(ctx context.Context, f ExportFilter, fn func(ref domain.RequestRef, rv domain.Review, outcome string) error) error {
	where, args := exportWhere(f)
	q := `SELECT ` + refCols + `, coalesce(v.outcome, ''), ` + prefixed("v.", reviewCols) + `
	      FROM reviews v JOIN requests r ON r.id = v.request_id
	      WHERE ` + where + ` ORDER BY r.number, r.id, v.round, v.id`
	return s.eachRow(ctx, "export reviews", q, args, func(rows pgx.Rows) error {
		var (
			ref     domain.RequestRef
			outcome string
		)
		rv, err := scanReview(prefixRow{rows, append(scanRef(&ref), &outcome)})
		if err != nil {
			return dbErr(err, "export reviews")
		}
		return fn(ref, rv, outcome)
	})
}

// EachVote calls fn with each current vote in the reviews of the requests
// f selects, with its request (refCols) and its review (ID, round, sealed,
// closed time, cancelled: what domain.VotesVisible reads), streaming.
func (s *Store) EachVote(ctx context.Context, f ExportFilter, fn func(ref domain.RequestRef, rv domain.Review, v domain.Vote) error) error {
	where, args := exportWhere(f)
	q := `SELECT ` + refCols + `, rv.id, rv.round, rv.sealed, rv.closed_at, rv.outcome, ` + voteCols + `
	      FROM votes v JOIN reviews rv ON rv.id = v.review_id JOIN requests r ON r.id = rv.request_id
	      JOIN organizations o ON o.id = v.organization_id JOIN users u ON u.id = v.cast_by
	      WHERE ` + where + ` ORDER BY r.number, r.id, rv.round, o.name`
	return s.eachRow(ctx, "export votes", q, args, func(rows pgx.Rows) error {
		var (
			ref     domain.RequestRef
			rv      domain.Review
			closed  *time.Time
			outcome *string
		)
		v, err := scanVote(prefixRow{rows, append(scanRef(&ref), &rv.ID, &rv.Round, &rv.Policy.SealedVotes, &closed, &outcome)})
		if err != nil {
			return dbErr(err, "export votes")
		}
		rv.ClosedAt = deref(closed)
		rv.Cancelled = outcome != nil && *outcome == "cancelled"
		return fn(ref, rv, v)
	})
}

// EachExportEvent calls fn with each audit event of the requests f
// selects, with its request (refCols), chain by chain, streaming.
func (s *Store) EachExportEvent(ctx context.Context, f ExportFilter, fn func(ref domain.RequestRef, e domain.Event) error) error {
	where, args := exportWhere(f)
	q := `SELECT ` + refCols + `, ` + eventCols + `
	      FROM events e JOIN requests r ON r.id = e.request_id LEFT JOIN users u ON u.id = e.actor_id
	      WHERE ` + where + ` ORDER BY r.number, r.id, e.seq`
	return s.eachRow(ctx, "export events", q, args, func(rows pgx.Rows) error {
		var ref domain.RequestRef
		e, err := scanEvent(prefixRow{rows, scanRef(&ref)})
		if err != nil {
			return dbErr(err, "export events")
		}
		return fn(ref, e)
	})
}

// prefixed qualifies each of a comma-separated column list with p.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// prefixRow scans leading extra columns into before, then the rest
// into what its caller's scanner passes.
type prefixRow struct {
	pgx.Rows
	before []any
}

func (r prefixRow) Scan(dest ...any) error {
	return r.Rows.Scan(append(r.before, dest...)...)
}
