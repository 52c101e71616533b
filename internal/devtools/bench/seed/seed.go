// Package seed fills a benchmark database fast: many requests copied from
// one template request with INSERT … SELECT generate_series, and their
// audit events streamed with COPY. It serves the load tool
// (internal/devtools/bench) and the store benchmarks, never the product:
// real data goes through the services.
//
// What the data is, and is not:
//
//   - Requests are valid rows (every CHECK, foreign key and unique key
//     holds) in every status of the workflow. A request starts as a draft
//     in the schema (trigger requests_check_status), so the insert runs
//     with that one trigger disabled inside its transaction (ALTER TABLE
//     … DISABLE TRIGGER is transactional: no other session ever sees it
//     off, and it needs only table ownership, not superuser).
//   - Events are valid rows and their hash chains verify (`cmcoord audit
//     verify` passes): each hash is domain.Event.ComputeHash over the
//     previous one. Their content is plausible (a creation snapshot, a
//     submission, then edits), not a replay of each request's real
//     history: the status a request has is not derived from its events.
package seed

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// Author is who creates a seeded request: a user of the requesting
// organisation.
type Author struct {
	OrgID  int64
	UserID int64
}

// RequestsInput says which requests Requests inserts.
type RequestsInput struct {
	// TemplateID is the stored request whose long fields (need, locations,
	// checklist, civilian options, exit strategy, contact) every seeded
	// request copies.
	TemplateID int64
	// Operations receive the requests: the first gets half, the others
	// share the rest equally (a single operation gets them all).
	Operations []int64
	// Authors take turns creating the requests.
	Authors []Author
	// Count is how many requests to insert.
	Count int
	// Now is the newest creation time; requests are spread over the year
	// before it.
	Now time.Time
	// Statuses are the statuses spread over the requests; nil for every
	// status of the workflow (domain.Statuses()), drafts included. An
	// export benchmark leaves out domain.StatusDraft so that an officer,
	// who sees no other organisation's drafts, exports every request.
	Statuses []domain.Status
}

// Split returns how many of count requests each of ops operations gets:
// the first half, the others the rest in equal parts.
func Split(count, ops int) []int {
	if ops <= 0 {
		return nil
	}
	out := make([]int, ops)
	if ops == 1 {
		out[0] = count
		return out
	}
	out[0] = count - count/2
	rest := count / 2
	for i := 1; i < ops; i++ {
		out[i] = rest / (ops - 1)
		if i <= rest%(ops-1) {
			out[i]++
		}
	}
	return out
}

// insertRequests is the bulk insert of one operation's requests. Each
// generated row g varies status, priority, sectors, task category,
// author and dates; the long text and JSON fields come from template t.
// References continue the operation's numbering ($2 is the last number
// taken before), formatted as domain.FormatReference does.
const insertRequests = `
INSERT INTO requests (operation_id, number, reference, status, version, title, requesting_org_id, created_by,
        sectors, need, people_targeted, task_category, capability, support_type, task_description, origin,
        destination, required_by, start_date, end_date, priority, urgency_reason, civilian_options,
        complementarity, exit_strategy, poc, checklist, escort, status_reason, civilian_reference,
        submitted_at, created_at, updated_at)
SELECT o.id, x.n, o.country_iso3 || '-RFA-' || lpad(x.n::text, greatest(4, length(x.n::text)), '0'),
       x.status, CASE WHEN x.status = 'draft' THEN 1 ELSE 2 + x.g % 4 END,
       left(($7::text[])[1 + x.g % cardinality($7::text[])] || ' #' || x.g, 120),
       ($5::bigint[])[1 + x.g % cardinality($5::bigint[])], ($6::bigint[])[1 + x.g % cardinality($6::bigint[])],
       string_to_array(($8::text[])[1 + (x.g / 3) % cardinality($8::text[])], ','),
       left(t.need || ' (case ' || x.g || ')', 4000), 100 + (x.g * 37) % 50000,
       ($9::text[])[1 + (x.g / 7) % cardinality($9::text[])], t.capability, t.support_type, t.task_description,
       t.origin, t.destination, x.created + make_interval(days => 3 + x.g % 30),
       (x.created + make_interval(days => 3 + x.g % 30))::date, (x.created + make_interval(days => 17 + x.g % 30))::date,
       ($10::text[])[1 + (x.g / 5) % cardinality($10::text[])], '', t.civilian_options, t.complementarity,
       t.exit_strategy, t.poc, t.checklist, t.escort, '', '',
       CASE WHEN x.status <> 'draft' THEN x.created + interval '1 hour' END,
       x.created, least(x.created + make_interval(hours => 1 + x.g % 240), $11::timestamptz)
FROM (SELECT g, $2::integer + g AS n,
             ($4::text[])[1 + (g * 7) % cardinality($4::text[])] AS status,
             -- spread over the year before $11, in an order unrelated to g
             $11::timestamptz - make_interval(secs => ((g::bigint * 7919) % 31536000)::float8) AS created
      FROM generate_series(1, $3::integer) AS g) AS x,
     operations o, requests t
WHERE o.id = $1 AND t.id = $12`

var titles = []string{
	"Heavy-lift helicopter to cut-off villages",
	"Airlift of shelter kits",
	"Bailey bridge on the highway",
	"Water purification units for camps",
	"Field hospital support",
	"Fuel transport to the logistics hub",
	"Road clearance after landslides",
	"Sea transport of food stocks",
}

var sectorSets = []string{"LOG", "LOG,FSC", "HEA", "SHL", "WSH", "LOG,ERY", "FSC", "SHL,CCM", "EDU", "NUT,HEA"}

// Requests inserts in.Count requests and returns the first and last new
// IDs (every ID in between is one of them).
func Requests(ctx context.Context, pool *pgxpool.Pool, in RequestsInput) (first, last int64, err error) {
	if len(in.Operations) == 0 || len(in.Authors) == 0 {
		return 0, 0, errors.New("seed: requests need an operation and an author")
	}
	orgs := make([]int64, len(in.Authors))
	users := make([]int64, len(in.Authors))
	for i, a := range in.Authors {
		orgs[i], users[i] = a.OrgID, a.UserID
	}
	from := in.Statuses
	if len(from) == 0 {
		from = domain.Statuses()
	}
	statuses := make([]string, len(from))
	for i, s := range from {
		if !slices.Contains(domain.Statuses(), s) {
			return 0, 0, fmt.Errorf("seed: unknown status %q", s)
		}
		statuses[i] = string(s)
	}
	categories := make([]string, len(domain.TaskCategories))
	for i, c := range domain.TaskCategories {
		categories[i] = string(c)
	}
	priorities := make([]string, len(domain.Priorities))
	for i, p := range domain.Priorities {
		priorities[i] = string(p)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM requests`).Scan(&first); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		// Only the rule that a request starts as a draft is lifted, and
		// only inside this transaction.
		if _, err := tx.Exec(ctx, `ALTER TABLE requests DISABLE TRIGGER requests_check_status`); err != nil {
			return fmt.Errorf("seed: disable the status trigger: %w", err)
		}
		for i, n := range Split(in.Count, len(in.Operations)) {
			if n == 0 {
				continue
			}
			var base int
			if err := tx.QueryRow(ctx,
				`UPDATE operations SET last_request_number = last_request_number + $2 WHERE id = $1
				 RETURNING last_request_number - $2`, in.Operations[i], n).Scan(&base); err != nil {
				return fmt.Errorf("seed: number requests of operation %d: %w", in.Operations[i], err)
			}
			if _, err := tx.Exec(ctx, insertRequests, in.Operations[i], base, n, statuses, orgs, users, titles,
				sectorSets, categories, priorities, in.Now, in.TemplateID); err != nil {
				return fmt.Errorf("seed: insert requests of operation %d: %w", in.Operations[i], err)
			}
		}
		if _, err := tx.Exec(ctx, `ALTER TABLE requests ENABLE TRIGGER requests_check_status`); err != nil {
			return fmt.Errorf("seed: enable the status trigger: %w", err)
		}
		return tx.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM requests`).Scan(&last)
	})
	return first + 1, last, err
}

// requestRow is what Events needs to know of a request.
type requestRow struct {
	id, createdBy    int64
	status           string
	created, updated time.Time
	events           int
}

// Events appends total events to the requests with IDs first..last (the
// range Requests returned), streamed with COPY over workers connections.
// Each chain starts with a creation event whose payload is created (a
// canonical JSON snapshot, e.g. a real creation event's), then a
// submission when the request is past draft, then edits. Requests get
// between about a tenth and twice the average number of events, so some
// histories are long. It returns how many events it wrote.
func Events(ctx context.Context, pool *pgxpool.Pool, first, last int64, total int, created []byte, workers int) (int64, error) {
	rows, err := pool.Query(ctx,
		`SELECT id, created_by, status, created_at, updated_at FROM requests WHERE id BETWEEN $1 AND $2 ORDER BY id`,
		first, last)
	if err != nil {
		return 0, fmt.Errorf("seed: read requests: %w", err)
	}
	reqs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (requestRow, error) {
		var r requestRow
		err := row.Scan(&r.id, &r.createdBy, &r.status, &r.created, &r.updated)
		return r, err
	})
	if err != nil {
		return 0, fmt.Errorf("seed: read requests: %w", err)
	}
	if len(reqs) == 0 || total <= 0 {
		return 0, nil
	}
	allocate(reqs, total)
	if workers < 1 {
		workers = 1
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		count int64
		errs  []error
	)
	per := (len(reqs) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*per, min((w+1)*per, len(reqs))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func(part []requestRow) {
			defer wg.Done()
			n, err := pool.CopyFrom(ctx, pgx.Identifier{"events"},
				[]string{"request_id", "seq", "actor_id", "action", "payload", "at", "prev_hash", "hash"},
				&eventSource{reqs: part, created: created, i: -1})
			mu.Lock()
			defer mu.Unlock()
			count += n
			if err != nil {
				errs = append(errs, fmt.Errorf("seed: copy events: %w", err))
			}
		}(reqs[lo:hi])
	}
	wg.Wait()
	return count, errors.Join(errs...)
}

// allocate gives each request its number of events, summing exactly to
// total: proportional to a weight cycling 1…19 (mean 10), so chains
// range from short to about twice the average.
func allocate(reqs []requestRow, total int) {
	weight := func(i int) int { return 1 + (i*7)%19 }
	var sum int64
	for i := range reqs {
		sum += int64(weight(i))
	}
	var acc int64
	for i := range reqs {
		from := int(acc * int64(total) / sum)
		acc += int64(weight(i))
		reqs[i].events = int(acc*int64(total)/sum) - from
	}
}

// eventSource streams the events of reqs to CopyFrom, computing each
// hash from the one before.
type eventSource struct {
	reqs    []requestRow
	created []byte
	i       int           // current request
	seq     int           // last sequence number emitted for it
	prev    *domain.Event // the event before, nil at a chain's start
	cur     domain.Event
	buf     []byte
}

func (s *eventSource) Next() bool {
	for s.i < 0 || s.seq >= s.reqs[s.i].events {
		s.i++
		if s.i >= len(s.reqs) {
			return false
		}
		s.seq, s.prev = 0, nil
	}
	r := s.reqs[s.i]
	s.seq++
	e := domain.Event{RequestID: r.id, Seq: s.seq, ActorID: r.createdBy}
	// Events spread evenly from creation to the last update.
	span := r.updated.Sub(r.created)
	if r.events > 1 {
		e.At = r.created.Add(span * time.Duration(s.seq-1) / time.Duration(r.events-1))
	} else {
		e.At = r.created
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	switch {
	case s.seq == 1:
		e.Action, e.Payload = domain.EventCreated, s.created
	case s.seq == 2 && r.status != string(domain.StatusDraft):
		e.Action, e.Payload = string(domain.ActionSubmit), []byte(`{"from":"draft","to":"submitted","version":1}`)
	default:
		// Canonical JSON by construction: keys sorted, no spaces.
		s.buf = append(s.buf[:0], `{"changes":[{"field":"people_targeted","new":`...)
		s.buf = strconv.AppendInt(s.buf, int64(1000+s.seq), 10)
		s.buf = append(s.buf, `,"old":`...)
		s.buf = strconv.AppendInt(s.buf, int64(999+s.seq), 10)
		s.buf = append(s.buf, `}],"version":`...)
		s.buf = strconv.AppendInt(s.buf, int64(s.seq), 10)
		s.buf = append(s.buf, '}')
		e.Action, e.Payload = domain.EventEdited, append([]byte(nil), s.buf...)
	}
	if s.prev != nil {
		e.PrevHash = s.prev.Hash
	}
	e.Hash = e.ComputeHash()
	s.cur = e
	s.prev = &s.cur
	return true
}

func (s *eventSource) Values() ([]any, error) {
	e := s.cur
	return []any{e.RequestID, int32(e.Seq), e.ActorID, e.Action, string(e.Payload), e.At, e.PrevHash, e.Hash}, nil
}

func (s *eventSource) Err() error { return nil }
