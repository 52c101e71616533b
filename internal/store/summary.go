package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// SummaryQuery selects what Summary counts.
type SummaryQuery struct {
	OperationID int64
	From, To    time.Time // submitted_at and tasked_at in [From, To)
	Now         time.Time
	// ActiveStatuses are the statuses of a running task (its end date
	// matters); OpenStatuses the statuses that are not terminal.
	ActiveStatuses []string
	OpenStatuses   []string
	EndingWithin   time.Duration // active tasks ending within this of Now
	OpenAfter      time.Duration // open requests created longer ago than this
}

// Summary computes the operation summary with four aggregate queries;
// it never reads the requests themselves into memory.
func (s *Store) Summary(ctx context.Context, q SummaryQuery) (domain.SummaryFigures, error) {
	var f domain.SummaryFigures
	if err := s.summaryCounts(ctx, q, &f); err != nil {
		return f, err
	}
	err := s.db.QueryRow(ctx, `
		WITH c AS (
		    SELECT id, status, submitted_at, required_by
		      FROM requests
		     WHERE operation_id = $1 AND submitted_at >= $2 AND submitted_at < $3
		), d AS (
		    SELECT DISTINCT ON (d.request_id) d.request_id, d.outcome, d.decided_at
		      FROM decisions d JOIN c ON c.id = d.request_id
		     ORDER BY d.request_id, d.decided_at DESC, d.id DESC
		)
		SELECT (SELECT count(*) FROM c),
		       (SELECT count(*) FROM c WHERE status = 'redirected'),
		       count(d.request_id),
		       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.decided_at - c.submitted_at) / 3600),
		       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM d.decided_at - c.submitted_at) / 3600),
		       count(*) FILTER (WHERE c.required_by IS NOT NULL),
		       count(*) FILTER (WHERE d.decided_at <= c.required_by),
		       count(*) FILTER (WHERE d.outcome = 'approved'),
		       count(*) FILTER (WHERE d.outcome = 'rejected')
		  FROM d JOIN c ON c.id = d.request_id`,
		q.OperationID, q.From, q.To).Scan(&f.Submitted, &f.Redirected, &f.Decided, &f.MedianHours, &f.P90Hours,
		&f.WithRequiredBy, &f.BeforeRequiredBy, &f.Approved, &f.Rejected)
	if err != nil {
		return f, dbErr(err, "summary decisions of operation %d", q.OperationID)
	}
	// A task is valid through its end date (domain.TimingOf): it ends
	// within the window when now < end_date + 1 day <= now + window.
	err = s.db.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE status = ANY ($2) AND end_date IS NOT NULL
		                          AND ((end_date + 1)::timestamp AT TIME ZONE 'UTC') > $3
		                          AND ((end_date + 1)::timestamp AT TIME ZONE 'UTC') <= $4),
		       count(*) FILTER (WHERE status = ANY ($5) AND created_at < $6)
		  FROM requests
		 WHERE operation_id = $1`,
		q.OperationID, q.ActiveStatuses, q.Now, q.Now.Add(q.EndingWithin), q.OpenStatuses, q.Now.Add(-q.OpenAfter)).Scan(&f.EndingSoon, &f.OpenTooLong)
	if err != nil {
		return f, dbErr(err, "summary tasks of operation %d", q.OperationID)
	}
	rows, _ := s.db.Query(ctx, `
		SELECT t.provider_iso3, t.asset_type, count(*), sum(t.asset_count)
		  FROM taskings t JOIN requests r ON r.id = t.request_id
		 WHERE r.operation_id = $1 AND t.declined_at IS NULL AND t.tasked_at >= $2 AND t.tasked_at < $3
		 GROUP BY t.provider_iso3, t.asset_type
		 ORDER BY count(*) DESC, t.provider_iso3, t.asset_type`,
		q.OperationID, q.From, q.To)
	f.MCDA, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.SummaryUse, error) {
		var u domain.SummaryUse
		err := row.Scan(&u.ProviderISO3, &u.AssetType, &u.Taskings, &u.Assets)
		return u, err
	})
	if err != nil {
		return f, dbErr(err, "summary MCDA of operation %d", q.OperationID)
	}
	return f, nil
}

// summaryCounts fills the breakdowns by status, sector, task category,
// support type and priority in one query.
func (s *Store) summaryCounts(ctx context.Context, q SummaryQuery, f *domain.SummaryFigures) error {
	rows, _ := s.db.Query(ctx, `
		WITH c AS (
		    SELECT status, sectors, task_category, support_type, priority
		      FROM requests
		     WHERE operation_id = $1 AND submitted_at >= $2 AND submitted_at < $3
		)
		SELECT 'status', status, count(*) FROM c GROUP BY status
		UNION ALL
		SELECT 'sector', s.code, count(*) FROM c CROSS JOIN LATERAL unnest(c.sectors) AS s (code) GROUP BY s.code
		UNION ALL
		SELECT 'task_category', task_category, count(*) FROM c GROUP BY task_category
		UNION ALL
		SELECT 'support_type', support_type, count(*) FROM c GROUP BY support_type
		UNION ALL
		SELECT 'priority', priority, count(*) FROM c GROUP BY priority
		ORDER BY 1, 3 DESC, 2`,
		q.OperationID, q.From, q.To)
	var (
		dim string
		c   domain.SummaryCount
	)
	_, err := pgx.ForEachRow(rows, []any{&dim, &c.Code, &c.Count}, func() error {
		switch dim {
		case "status":
			f.ByStatus = append(f.ByStatus, c)
		case "sector":
			f.BySector = append(f.BySector, c)
		case "task_category":
			f.ByTaskCategory = append(f.ByTaskCategory, c)
		case "support_type":
			f.BySupportType = append(f.BySupportType, c)
		case "priority":
			f.ByPriority = append(f.ByPriority, c)
		}
		return nil
	})
	return dbErr(err, "summary counts of operation %d", q.OperationID)
}
