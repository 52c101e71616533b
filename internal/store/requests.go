package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// The request's composite parts are stored as JSON objects; these are
// their stored shapes (domain types carry no tags).
type (
	locationJSON struct {
		Name      string   `json:"name,omitempty"`
		Adm1Name  string   `json:"adm1_name,omitempty"`
		Adm1PCode string   `json:"adm1_pcode,omitempty"`
		Adm2Name  string   `json:"adm2_name,omitempty"`
		Adm2PCode string   `json:"adm2_pcode,omitempty"`
		Lat       *float64 `json:"lat,omitempty"`
		Lon       *float64 `json:"lon,omitempty"`
	}
	civilianJSON struct {
		Option string `json:"option"`
		Result string `json:"result"`
		Note   string `json:"note,omitempty"`
	}
	exitJSON struct {
		Organization string `json:"organization,omitempty"`
		Date         string `json:"date,omitempty"` // YYYY-MM-DD
		Plan         string `json:"plan,omitempty"`
	}
	contactJSON struct {
		Name  string `json:"name,omitempty"`
		Role  string `json:"role,omitempty"`
		Phone string `json:"phone,omitempty"`
		Email string `json:"email,omitempty"`
	}
	answerJSON struct {
		Value string `json:"value,omitempty"`
		Note  string `json:"note,omitempty"`
	}
	escortJSON struct {
		NeedCriticality      string `json:"need_criticality,omitempty"`
		ResponsibleAuthority string `json:"responsible_authority,omitempty"`
		SecurityAssessment   string `json:"security_assessment,omitempty"`
		DiscontinuationPlan  string `json:"discontinuation_plan,omitempty"`
		CommonPosition       bool   `json:"common_position_consulted,omitempty"`
		Compensation         string `json:"compensation,omitempty"`
	}
)

func toLocationJSON(l domain.Location) locationJSON {
	return locationJSON{l.Name, l.Adm1Name, l.Adm1PCode, l.Adm2Name, l.Adm2PCode, l.Lat, l.Lon}
}

func (l locationJSON) domain() domain.Location {
	return domain.Location{Name: l.Name, Adm1Name: l.Adm1Name, Adm1PCode: l.Adm1PCode, Adm2Name: l.Adm2Name,
		Adm2PCode: l.Adm2PCode, Lat: l.Lat, Lon: l.Lon}
}

// requestJSONArgs encodes r's composite parts for an INSERT or UPDATE.
func requestJSONArgs(r domain.Request) (origin, dest, civ, exit, poc, checklist, escort []byte, err error) {
	civs := make([]civilianJSON, 0, len(r.CivilianOptions))
	for _, c := range r.CivilianOptions {
		civs = append(civs, civilianJSON(c))
	}
	answers := make(map[string]answerJSON, len(r.Checklist))
	for id, a := range r.Checklist {
		answers[id] = answerJSON(a)
	}
	ex := exitJSON{Organization: r.ExitStrategy.Organization, Plan: r.ExitStrategy.Plan}
	if !r.ExitStrategy.Date.IsZero() {
		ex.Date = r.ExitStrategy.Date.Format(time.DateOnly)
	}
	parts := []any{toLocationJSON(r.Origin), toLocationJSON(r.Destination), civs, ex, contactJSON(r.POC), answers, escortJSON{r.Escort.NeedCriticality, r.Escort.ResponsibleAuthority, r.Escort.SecurityAssessment, r.Escort.DiscontinuationPlan, r.Escort.CommonPositionConsulted, r.Escort.Compensation}}
	out := make([][]byte, len(parts))
	for i, p := range parts {
		if out[i], err = json.Marshal(p); err != nil {
			return nil, nil, nil, nil, nil, nil, nil, fmt.Errorf("store: encode request: %w", err)
		}
	}
	return out[0], out[1], out[2], out[3], out[4], out[5], out[6], nil
}

const requestCols = `r.id, r.operation_id, r.reference, r.status, r.version, r.title, r.requesting_org_id, o.name,
	r.created_by, u.name, r.sectors, r.need, r.people_targeted, r.task_category, r.capability, r.support_type,
	r.task_description, r.origin, r.destination, r.required_by, r.start_date, r.end_date, r.priority,
	r.urgency_reason, r.civilian_options, r.complementarity, r.exit_strategy, r.poc, r.checklist, r.escort,
	r.status_reason, r.status_reason_code, r.civilian_reference, r.submitted_at, r.created_at, r.updated_at,
	coalesce(r.extension_of, 0)`

const requestFrom = ` FROM requests r JOIN organizations o ON o.id = r.requesting_org_id JOIN users u ON u.id = r.created_by`

func scanRequest(row pgx.CollectableRow) (domain.Request, error) {
	var x requestScan
	if err := row.Scan(x.dests()...); err != nil {
		return x.r, err
	}
	return x.finish()
}

// requestScan holds a row of requestCols while it is scanned.
type requestScan struct {
	r                           domain.Request
	origin, dest, exit          []byte
	civ, poc, checklist, escort []byte
	requiredBy, submittedAt     *time.Time
	start, end                  *time.Time
}

// dests is where the columns of requestCols are scanned, in their order.
func (x *requestScan) dests() []any {
	r := &x.r
	return []any{&r.ID, &r.OperationID, &r.Reference, &r.Status, &r.Version, &r.Title, &r.RequestingOrgID,
		&r.RequestingOrgName, &r.CreatedBy, &r.CreatedByName, &r.Sectors, &r.Need, &r.PeopleTargeted,
		&r.TaskCategory, &r.Capability, &r.SupportType, &r.TaskDescription, &x.origin, &x.dest, &x.requiredBy,
		&x.start, &x.end, &r.Priority, &r.UrgencyReason, &x.civ, &r.Complementarity, &x.exit, &x.poc, &x.checklist, &x.escort,
		&r.StatusReason, &r.StatusReasonCode, &r.CivilianReference, &x.submittedAt, &r.CreatedAt, &r.UpdatedAt, &r.ExtensionOf}
}

// finish decodes what dests scanned into the request.
func (x *requestScan) finish() (domain.Request, error) {
	r := x.r
	r.RequiredBy, r.SubmittedAt = deref(x.requiredBy), deref(x.submittedAt)
	if x.start != nil {
		r.StartDate = domain.DateOf(*x.start)
	}
	if x.end != nil {
		r.EndDate = domain.DateOf(*x.end)
	}
	var (
		o, d locationJSON
		civs []civilianJSON
		ex   exitJSON
		c    contactJSON
		ans  map[string]answerJSON
		esc  escortJSON
	)
	for _, p := range []struct {
		raw []byte
		v   any
	}{{x.origin, &o}, {x.dest, &d}, {x.civ, &civs}, {x.exit, &ex}, {x.poc, &c}, {x.checklist, &ans}, {x.escort, &esc}} {
		// goccy/go-json decodes these columns as encoding/json does, in
		// 40 % of its time (a checklist: 8.6 → 3.5 µs): every request
		// read, on every request page and answer, decodes seven.
		if err := gojson.Unmarshal(p.raw, p.v); err != nil {
			return r, fmt.Errorf("decode request %d: %w", r.ID, err)
		}
	}
	r.Origin, r.Destination = o.domain(), d.domain()
	for _, cv := range civs {
		r.CivilianOptions = append(r.CivilianOptions, domain.CivilianCheck(cv))
	}
	r.ExitStrategy = domain.ExitStrategy{Organization: ex.Organization, Plan: ex.Plan}
	if ex.Date != "" {
		if t, err := time.Parse(time.DateOnly, ex.Date); err == nil {
			r.ExitStrategy.Date = t
		}
	}
	r.POC = domain.Contact(c)
	r.Checklist = answers(ans)
	r.Escort = esc.domain()
	if r.Sectors == nil {
		r.Sectors = []string{}
	}
	return r, nil
}

// answers is a stored checklist as the domain's.
func answers(ans map[string]answerJSON) map[string]domain.Answer {
	out := make(map[string]domain.Answer, len(ans))
	for id, a := range ans {
		out[id] = domain.Answer(a)
	}
	return out
}

func (esc escortJSON) domain() domain.Escort {
	return domain.Escort{NeedCriticality: esc.NeedCriticality, ResponsibleAuthority: esc.ResponsibleAuthority,
		SecurityAssessment: esc.SecurityAssessment, DiscontinuationPlan: esc.DiscontinuationPlan,
		CommonPositionConsulted: esc.CommonPosition, Compensation: esc.Compensation}
}

// checklistOf is the checklist from its items' ids, answers and notes, as
// PostgreSQL takes them out of the stored document (exportCols): decoding
// the document in Go was most of an export's time.
func checklistOf(ids, values, notes []string) (map[string]domain.Answer, error) {
	if len(values) != len(ids) || len(notes) != len(ids) {
		return nil, fmt.Errorf("checklist: %d items, %d answers, %d notes", len(ids), len(values), len(notes))
	}
	out := make(map[string]domain.Answer, len(ids))
	for i, id := range ids {
		out[id] = domain.Answer{Value: values[i], Note: notes[i]}
	}
	return out, nil
}

// civilianOf is the civilian options from their options, results and
// notes, taken out of the stored document as checklistOf's are.
func civilianOf(options, results, notes []string) ([]domain.CivilianCheck, error) {
	if len(results) != len(options) || len(notes) != len(options) {
		return nil, fmt.Errorf("civilian options: %d options, %d results, %d notes", len(options), len(results), len(notes))
	}
	var out []domain.CivilianCheck
	for i, o := range options {
		out = append(out, domain.CivilianCheck{Option: o, Result: results[i], Note: notes[i]})
	}
	return out, nil
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// nullTime is t, or NULL when zero.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// NextRequestNumber takes the next number of operation opID's requests.
// It holds the operation row's lock until the transaction ends, so
// concurrent creations get consecutive numbers and a rolled-back one
// leaves no gap.
func (s *Store) NextRequestNumber(ctx context.Context, opID int64) (int, error) {
	var n int
	err := s.db.QueryRow(ctx,
		ownWrite+` UPDATE operations SET last_request_number = last_request_number + 1 WHERE id = $1 RETURNING last_request_number`,
		opID).Scan(&n)
	return n, dbErr(err, "next request number of operation %d", opID)
}

// NewRequestID reserves the id of a request about to be inserted: a
// creation claims its idempotency key with it before it takes the
// operation's numbering lock, so that the lock is held for as few round
// trips as possible.
func (s *Store) NewRequestID(ctx context.Context) (int64, error) {
	var id int64
	err := s.db.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('requests', 'id'))`).Scan(&id)
	return id, dbErr(err, "new request id")
}

// ClaimRequest claims the idempotency key in ctx, if any, for request
// id, in this transaction (as the request's first event would).
func (s *Store) ClaimRequest(ctx context.Context, id int64) error { return s.claim(ctx, id) }

// InsertRequest stores a new draft r numbered n, with the id r.ID when
// set (NewRequestID), and returns it as stored, in one round trip.
func (s *Store) InsertRequest(ctx context.Context, r domain.Request, n int) (domain.Request, error) {
	origin, dest, civ, exit, poc, checklist, escort, err := requestJSONArgs(r)
	if err != nil {
		return domain.Request{}, err
	}
	var id *int64
	if r.ID != 0 {
		id = &r.ID
	}
	rows, _ := s.db.Query(ctx,
		`WITH r AS (
		   INSERT INTO requests (id, operation_id, number, reference, title, requesting_org_id, created_by, sectors, need,
		        people_targeted, task_category, capability, support_type, task_description, origin, destination,
		        required_by, start_date, end_date, priority, urgency_reason, civilian_options, complementarity,
		        exit_strategy, poc, checklist, escort, created_at, updated_at, extension_of)
		   OVERRIDING SYSTEM VALUE
		   VALUES (coalesce($29, nextval(pg_get_serial_sequence('requests', 'id'))), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
		         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $27, $28)
		   RETURNING *)
		 SELECT `+requestCols+` FROM r JOIN organizations o ON o.id = r.requesting_org_id JOIN users u ON u.id = r.created_by`,
		r.OperationID, n, r.Reference, r.Title, r.RequestingOrgID, r.CreatedBy, r.Sectors, r.Need,
		r.PeopleTargeted, r.TaskCategory, r.Capability, r.SupportType, r.TaskDescription, origin, dest,
		nullTime(r.RequiredBy), nullTime(r.StartDate), nullTime(r.EndDate), r.Priority, r.UrgencyReason, civ,
		r.Complementarity, exit, poc, checklist, escort, r.CreatedAt, nullID(r.ExtensionOf), id)
	out, err := pgx.CollectExactlyOneRow(rows, scanRequest)
	return out, dbErr(err, "insert request")
}

// GetRequest returns request id.
func (s *Store) GetRequest(ctx context.Context, id int64) (domain.Request, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+requestCols+requestFrom+` WHERE r.id = $1`, id)
	out, err := pgx.CollectExactlyOneRow(rows, scanRequest)
	return out, dbErr(err, "get request %d", id)
}

// ReferencedRequest is a request found by its reference, with the code
// of its operation.
type ReferencedRequest struct {
	ID            int64
	Reference     string
	OperationCode string
}

// ListRequestsByReference returns the requests numbered reference, by
// operation code; none is not an error. A reference is unique only
// within its operation: two operations in one country number alike.
func (s *Store) ListRequestsByReference(ctx context.Context, reference string) ([]ReferencedRequest, error) {
	rows, _ := s.db.Query(ctx, `SELECT r.id, r.reference, o.code FROM requests r JOIN operations o ON o.id = r.operation_id
		WHERE r.reference = $1 ORDER BY o.code`, reference)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ReferencedRequest])
	return out, dbErr(err, "list requests by reference %q", reference)
}

// RequestsByID returns the requests with the given ids, with whether
// each requesting organisation is a UN entity, in one query.
func (s *Store) RequestsByID(ctx context.Context, ids []int64) ([]domain.Request, map[int64]bool, error) {
	if len(ids) == 0 {
		return nil, map[int64]bool{}, nil
	}
	rows, err := s.db.Query(ctx, `SELECT `+requestCols+`, o.un_entity`+requestFrom+` WHERE r.id = ANY($1) ORDER BY r.id`, ids)
	if err != nil {
		return nil, nil, dbErr(err, "requests by id")
	}
	defer rows.Close()
	var out []domain.Request
	un := map[int64]bool{}
	for rows.Next() {
		var isUN bool
		r, err := scanRequest(unEntityRow{rows, &isUN})
		if err != nil {
			return nil, nil, dbErr(err, "requests by id")
		}
		out = append(out, r)
		un[r.RequestingOrgID] = isUN
	}
	return out, un, dbErr(rows.Err(), "requests by id")
}

// unEntityRow scans the request columns and, last, the organisation's
// un_entity flag.
type unEntityRow struct {
	pgx.Rows
	un *bool
}

func (r unEntityRow) Scan(dest ...any) error { return r.Rows.Scan(append(dest, r.un)...) }

// LockRequest returns request id and holds its row lock until the
// transaction ends: every change to a request starts here.
func (s *Store) LockRequest(ctx context.Context, id int64) (domain.Request, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+requestCols+requestFrom+` WHERE r.id = $1 FOR UPDATE OF r`, id)
	out, err := pgx.CollectExactlyOneRow(rows, scanRequest)
	return out, dbErr(err, "lock request %d", id)
}

// UpdateRequest saves r's fields, status and version.
func (s *Store) UpdateRequest(ctx context.Context, r domain.Request) error {
	origin, dest, civ, exit, poc, checklist, escort, err := requestJSONArgs(r)
	if err != nil {
		return err
	}
	tag, err := s.db.Exec(ctx,
		`UPDATE requests SET status = $2, version = $3, title = $4, sectors = $5, need = $6, people_targeted = $7,
		        task_category = $8, capability = $9, support_type = $10, task_description = $11, origin = $12,
		        destination = $13, required_by = $14, start_date = $15, end_date = $16, priority = $17,
		        urgency_reason = $18, civilian_options = $19, complementarity = $20, exit_strategy = $21, poc = $22,
		        checklist = $23, escort = $24, status_reason = $25, civilian_reference = $26, submitted_at = $27,
		        updated_at = $28, status_reason_code = $29
		 WHERE id = $1`,
		r.ID, r.Status, r.Version, r.Title, r.Sectors, r.Need, r.PeopleTargeted, r.TaskCategory, r.Capability,
		r.SupportType, r.TaskDescription, origin, dest, nullTime(r.RequiredBy), nullTime(r.StartDate),
		nullTime(r.EndDate), r.Priority, r.UrgencyReason, civ, r.Complementarity, exit, poc, checklist, escort,
		r.StatusReason, r.CivilianReference, nullTime(r.SubmittedAt), r.UpdatedAt, r.StatusReasonCode)
	if err != nil {
		return dbErr(err, "update request %d", r.ID)
	}
	if tag.RowsAffected() != 1 {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	return nil
}

// SyncWorkflow makes request_transitions hold exactly pairs, the
// workflow's allowed status changes, so the database's status check
// follows the domain's one transition table.
func (s *Store) SyncWorkflow(ctx context.Context, pairs [][2]domain.Status) error {
	return s.InTx(ctx, func(st *Store) error {
		from, to := make([]string, len(pairs)), make([]string, len(pairs))
		for i, p := range pairs {
			from[i], to[i] = string(p[0]), string(p[1])
		}
		if _, err := st.db.Exec(ctx,
			`DELETE FROM request_transitions t WHERE NOT EXISTS (
			   SELECT 1 FROM unnest($1::text[], $2::text[]) AS p(f, t) WHERE p.f = t.from_status AND p.t = t.to_status)`,
			from, to); err != nil {
			return dbErr(err, "sync workflow")
		}
		_, err := st.db.Exec(ctx,
			`INSERT INTO request_transitions (from_status, to_status)
			 SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`, from, to)
		return dbErr(err, "sync workflow")
	})
}

// WorkflowPairs returns the status changes the database allows.
func (s *Store) WorkflowPairs(ctx context.Context) ([][2]domain.Status, error) {
	rows, _ := s.db.Query(ctx, `SELECT from_status, to_status FROM request_transitions ORDER BY 1, 2`)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([2]domain.Status, error) {
		var p [2]domain.Status
		err := row.Scan(&p[0], &p[1])
		return p, err
	})
	return out, dbErr(err, "workflow pairs")
}

// sortSpec is a list order: SQL expressions compared as one row, their
// casts for the cursor's text values, and the direction.
type sortSpec struct {
	exprs []string
	casts []string
	desc  bool
}

// Each sort's expressions are exactly those of an index of migration 5,
// so a page is read in order, never sorted.
const priorityRankSQL = `r.priority_rank`

var sorts = map[domain.RequestSort]sortSpec{
	domain.SortUpdated:    {exprs: []string{"r.updated_at", "r.id"}, casts: []string{"timestamptz", "bigint"}, desc: true},
	domain.SortUrgency:    {exprs: []string{priorityRankSQL, "coalesce(r.submitted_at, 'infinity')", "r.id"}, casts: []string{"smallint", "timestamptz", "bigint"}},
	domain.SortRequiredBy: {exprs: []string{"coalesce(r.required_by, 'infinity')", "r.id"}, casts: []string{"timestamptz", "bigint"}},
	domain.SortReference:  {exprs: []string{"r.number", "r.id"}, casts: []string{"integer", "bigint"}, desc: true},
}

// ListRequests returns one page of the requests f selects, in f.Sort
// order, after f.Cursor. It is one query, whatever the page size.
func (s *Store) ListRequests(ctx context.Context, f domain.RequestFilter) (domain.RequestPage, error) {
	q, args, err := listQuery(f)
	if err != nil {
		return domain.RequestPage{}, err
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return domain.RequestPage{}, listErr(err, f)
	}
	return scanRequestPage(rows, f)
}

// ListRequestsBatch is ListRequests for each of fs, in one round trip (a
// dashboard's queues): the pages in the order of fs.
func (s *Store) ListRequestsBatch(ctx context.Context, fs []domain.RequestFilter) ([]domain.RequestPage, error) {
	out := make([]domain.RequestPage, len(fs))
	b := &pgx.Batch{}
	for i, f := range fs {
		q, args, err := listQuery(f)
		if err != nil {
			return nil, err
		}
		b.Queue(q, args...).Query(func(rows pgx.Rows) (err error) {
			out[i], err = scanRequestPage(rows, f)
			return err
		})
	}
	if err := s.db.SendBatch(ctx, b).Close(); err != nil {
		return nil, dbErr(err, "list requests")
	}
	return out, nil
}

// listQuery is the SQL and arguments of ListRequests for f.
//
// The page's limit is written into the SQL, not passed as an argument:
// with LIMIT $n, PostgreSQL's generic plan of the prepared statement
// assumes a tenth of the rows and costs far more than a plan for the
// actual values, so it planned every list query afresh (~0.2 ms, more
// than running it); with a literal limit it keeps the generic plan after
// five runs. A text search still gets plans for its actual words (the
// generic plan's cost, not knowing them, stays higher). make bench: list
// +26 %, JSON list +40 %, dashboard +120 % (docs/performance.md).
func listQuery(f domain.RequestFilter) (string, []any, error) {
	spec, ok := sorts[f.Sort]
	if !ok {
		spec = sorts[domain.SortUpdated]
	}
	w := requestWhere(RequestScope{OperationID: f.OperationID, DraftsOf: f.DraftsOf, Statuses: f.Statuses,
		Sector: f.Sector, Priority: f.Priority, OrgID: f.OrgID})
	if f.TaskCategory != "" {
		w.and("r.task_category = " + w.arg(string(f.TaskCategory)))
	}
	if f.CreatedBy != 0 {
		w.and("r.created_by = " + w.arg(f.CreatedBy))
	}
	if f.AwaitingVoteOf != 0 {
		org := w.arg(f.AwaitingVoteOf)
		w.and(`EXISTS (SELECT 1 FROM reviews v WHERE v.request_id = r.id AND v.closed_at IS NULL
			AND ` + org + ` = ANY (v.eligible)
			AND NOT EXISTS (SELECT 1 FROM votes x WHERE x.review_id = v.id AND x.organization_id = ` + org + `))`)
	}
	if !f.EndingBy.IsZero() {
		w.and("r.end_date <= " + w.arg(domain.DateOf(f.EndingBy)) + "::date")
	}
	if !f.ReviewClosingBy.IsZero() {
		w.and(`EXISTS (SELECT 1 FROM reviews v WHERE v.request_id = r.id AND v.closed_at IS NULL
			AND v.deadline <= ` + w.arg(f.ReviewClosingBy) + `)`)
	}
	if f.Query != "" {
		w.and("r.search @@ websearch_to_tsquery('simple', " + w.arg(f.Query) + ")")
	}
	if f.Cursor != "" {
		vals, err := decodeCursor(f.Cursor, len(spec.exprs))
		if err != nil {
			return "", nil, err
		}
		ph := make([]string, len(vals))
		for i, v := range vals {
			ph[i] = w.arg(v) + "::" + spec.casts[i]
		}
		op := ">"
		if spec.desc {
			op = "<"
		}
		w.and("(" + strings.Join(spec.exprs, ", ") + ") " + op + " (" + strings.Join(ph, ", ") + ")")
	}
	dir := " ASC"
	if spec.desc {
		dir = " DESC"
	}
	order := make([]string, len(spec.exprs))
	keys := make([]string, len(spec.exprs))
	for i, e := range spec.exprs {
		order[i] = e + dir
		keys[i] = e + "::text"
	}
	q := `SELECT r.id, r.operation_id, r.reference, r.title, r.status, r.version, r.priority, r.sectors,
	             r.task_category, r.requesting_org_id, o.name, r.required_by, r.submitted_at, r.updated_at,
	             (SELECT v.deadline FROM reviews v WHERE v.request_id = r.id AND v.closed_at IS NULL), r.end_date,
	             ARRAY[` + strings.Join(keys, ", ") + `]
	      FROM requests r JOIN organizations o ON o.id = r.requesting_org_id
	      WHERE ` + w.String() + `
	      ORDER BY ` + strings.Join(order, ", ") + `
	      LIMIT ` + strconv.Itoa(f.Limit+1)
	return q, w.args, nil
}

// scanRequestPage reads the rows of listQuery(f) into a page. Nullable
// times are read as values, and the keyset column is kept raw and
// decoded only for the last row, the one the cursor needs: a list page
// makes no allocation per row for either.
func scanRequestPage(rows pgx.Rows, f domain.RequestFilter) (domain.RequestPage, error) {
	defer rows.Close()
	var (
		page                    domain.RequestPage
		lastKey                 []byte
		requiredBy, submittedAt pgtype.Timestamptz
		deadline                pgtype.Timestamptz
		endDate                 pgtype.Date
	)
	const keyColumn = 16
	for rows.Next() {
		var it domain.RequestSummary
		if err := rows.Scan(&it.ID, &it.OperationID, &it.Reference, &it.Title, &it.Status, &it.Version, &it.Priority,
			&it.Sectors, &it.TaskCategory, &it.RequestingOrgID, &it.RequestingOrgName, &requiredBy, &submittedAt,
			&it.UpdatedAt, &deadline, &endDate, nil); err != nil {
			return domain.RequestPage{}, listErr(err, f)
		}
		if len(page.Items) == f.Limit {
			var key []string
			fd := rows.FieldDescriptions()[keyColumn]
			if err := rows.Conn().TypeMap().Scan(fd.DataTypeOID, fd.Format, lastKey, &key); err != nil {
				return domain.RequestPage{}, listErr(err, f)
			}
			page.NextCursor = encodeCursor(key)
			break
		}
		it.RequiredBy, it.SubmittedAt, it.ReviewDeadline = tsValue(requiredBy), tsValue(submittedAt), tsValue(deadline)
		if endDate.Valid {
			it.EndDate = domain.DateOf(endDate.Time)
		}
		page.Items = append(page.Items, it)
		lastKey = append(lastKey[:0], rows.RawValues()[keyColumn]...)
	}
	return page, listErr(rows.Err(), f)
}

// tsValue is t's time, or the zero time for NULL.
func tsValue(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time
}

// listErr is dbErr for ListRequests: a cursor whose values the database
// cannot read (a data exception, SQLSTATE class 22) is the caller's bad
// cursor, not a server error.
func listErr(err error, f domain.RequestFilter) error {
	var pgErr *pgconn.PgError
	if f.Cursor != "" && errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22") {
		return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"cursor": "request.bad_cursor"}}
	}
	return dbErr(err, "list requests")
}

func encodeCursor(vals []string) string {
	b, _ := json.Marshal(vals)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor of n values; anything else is a field
// error on "cursor", never a 500.
func decodeCursor(c string, n int) ([]string, error) {
	bad := &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"cursor": "request.bad_cursor"}}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, bad
	}
	var vals []string
	if err := json.Unmarshal(raw, &vals); err != nil || len(vals) != n {
		return nil, bad
	}
	return vals, nil
}

// nullID is id, or NULL when 0.
func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
