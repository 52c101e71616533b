package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// ExportFilter selects the requests of one operation an export holds.
type ExportFilter struct {
	OperationID int64
	Statuses    []domain.Status
	Sector      string
	Priority    domain.Priority
	// DraftsOf is the organisation whose drafts are included (the
	// caller's own, as a requester); 0 includes no drafts.
	DraftsOf int64
	// OrgID keeps one requesting organisation's requests; 0 for any.
	OrgID int64
	// DateField is "submitted_at" or "created_at" (anything else is
	// created_at); From (inclusive) and To (exclusive) bound it when not
	// zero.
	DateField string
	From, To  time.Time
}

// ExportRecord is one exported request with its latest decision.
type ExportRecord struct {
	Request   domain.Request
	Outcome   string // "approved", "rejected" or "" when undecided
	DecidedAt time.Time
}

// EachRequest calls fn with each request f selects, in reference order,
// reading the rows one at a time from the database (never collecting
// them), so memory does not grow with the export. fn's error stops the
// iteration and is returned. Callers wanting one snapshot run it inside
// a read-only REPEATABLE READ transaction (InTxWith).
func (s *Store) EachRequest(ctx context.Context, f ExportFilter, fn func(ExportRecord) error) error {
	where := []string{"r.operation_id = $1"}
	args := []any{f.OperationID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where = append(where, "(r.status <> 'draft' OR r.requesting_org_id = "+arg(f.DraftsOf)+")")
	if len(f.Statuses) > 0 {
		st := make([]string, len(f.Statuses))
		for i, x := range f.Statuses {
			st[i] = string(x)
		}
		where = append(where, "r.status = ANY("+arg(st)+")")
	}
	if f.Sector != "" {
		where = append(where, "r.sectors @> ARRAY["+arg(f.Sector)+"::text]")
	}
	if f.Priority != "" {
		where = append(where, "r.priority = "+arg(string(f.Priority)))
	}
	if f.OrgID != 0 {
		where = append(where, "r.requesting_org_id = "+arg(f.OrgID))
	}
	col := "r.created_at" // whitelisted, never interpolated from input
	if f.DateField == "submitted_at" {
		col = "r.submitted_at"
	}
	if !f.From.IsZero() {
		where = append(where, col+" >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, col+" < "+arg(f.To))
	}
	q := `SELECT ` + requestCols + `, coalesce(d.outcome, ''), d.decided_at` + requestFrom + `
	      LEFT JOIN LATERAL (SELECT x.outcome, x.decided_at FROM decisions x WHERE x.request_id = r.id
	                         ORDER BY x.decided_at DESC, x.id DESC LIMIT 1) d ON true
	      WHERE ` + strings.Join(where, " AND ") + `
	      ORDER BY r.number, r.id`
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return dbErr(err, "export requests")
	}
	defer rows.Close()
	for rows.Next() {
		var (
			rec       ExportRecord
			decidedAt *time.Time
		)
		rec.Request, err = scanRequest(exportRow{rows, &rec.Outcome, &decidedAt})
		if err != nil {
			return dbErr(err, "export requests")
		}
		rec.DecidedAt = deref(decidedAt)
		if err := fn(rec); err != nil {
			return err
		}
	}
	return dbErr(rows.Err(), "export requests")
}

// exportRow scans the request columns and, last, the decision's.
type exportRow struct {
	pgx.Rows
	outcome   *string
	decidedAt **time.Time
}

func (r exportRow) Scan(dest ...any) error {
	return r.Rows.Scan(append(dest, r.outcome, r.decidedAt)...)
}
