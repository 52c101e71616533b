package store

import (
	"strconv"
	"strings"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// RequestScope is what a list of requests and an export both select by:
// one operation's requests, drafts only of one organisation, and the
// filters a user chooses. requestWhere turns it into SQL once for both.
type RequestScope struct {
	OperationID int64
	// DraftsOf is the organisation whose drafts are included (the
	// caller's own, as a requester); 0 includes no drafts.
	DraftsOf int64
	Statuses []domain.Status
	Sector   string
	Priority domain.Priority
	// OrgID keeps one requesting organisation's requests; 0 for any.
	OrgID int64
}

// where is an SQL condition under construction: ANDed terms and their
// positional arguments.
type where struct {
	terms []string
	args  []any
}

// arg adds v as an argument and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// and adds a term.
func (w *where) and(term string) { w.terms = append(w.terms, term) }

// String is the condition.
func (w *where) String() string { return strings.Join(w.terms, " AND ") }

// requestWhere starts the condition on requests r that s selects.
func requestWhere(s RequestScope) *where {
	w := &where{}
	w.and("r.operation_id = " + w.arg(s.OperationID))
	// Drafts are private to the requesting organisation.
	w.and("(r.status <> 'draft' OR r.requesting_org_id = " + w.arg(s.DraftsOf) + ")")
	if len(s.Statuses) > 0 {
		st := make([]string, len(s.Statuses))
		for i, x := range s.Statuses {
			st[i] = string(x)
		}
		if len(st) == 1 {
			// "= ANY" would keep PostgreSQL from reading the status index in order.
			w.and("r.status = " + w.arg(st[0]))
		} else {
			w.and("r.status = ANY(" + w.arg(st) + ")")
		}
	}
	if s.Sector != "" {
		w.and("r.sectors @> ARRAY[" + w.arg(s.Sector) + "::text]")
	}
	if s.Priority != "" {
		w.and("r.priority = " + w.arg(string(s.Priority)))
	}
	if s.OrgID != 0 {
		w.and("r.requesting_org_id = " + w.arg(s.OrgID))
	}
	return w
}
