package api

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// filterParams are the query parameters of GET
// /operations/{code}/requests, and whether each may repeat.
var filterParams = map[string]bool{"status": true, "sector": false, "priority": false, "task_category": false,
	"organization_id": false, "q": false, "sort": false, "cursor": false, "limit": false}

// requestFilter reads the list's query. An unknown parameter is refused
// (400), as an unknown body field is, so a misspelt filter never
// silently widens the list; a value that cannot be used is 422 naming
// the parameter. status may repeat and may be a comma-separated list.
// Code lists (status, sector, …) are checked by the domain.
func requestFilter(rawQuery string) (domain.RequestFilter, error) {
	var f domain.RequestFilter
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return f, malformed("query", "field.invalid")
	}
	unknown, fields := map[string]string{}, map[string]string{}
	for name, vals := range q {
		repeats, known := filterParams[name]
		switch {
		case !known:
			unknown[name] = "field.invalid"
		case len(vals) > 1 && !repeats:
			fields[name] = "field.invalid"
		}
	}
	if len(unknown) > 0 {
		return f, &domain.Error{Code: domain.CodeMalformed, Message: "error.malformed", Fields: unknown}
	}
	for _, v := range q["status"] {
		for s := range strings.SplitSeq(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				f.Statuses = append(f.Statuses, domain.Status(s))
			}
		}
	}
	f.Sector = q.Get("sector")
	f.Priority = domain.Priority(q.Get("priority"))
	f.TaskCategory = domain.TaskCategory(q.Get("task_category"))
	f.Query = q.Get("q")
	f.Sort = domain.RequestSort(q.Get("sort"))
	f.Cursor = q.Get("cursor")
	if v := q.Get("organization_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			fields["organization_id"] = "field.number"
		}
		f.OrgID = id
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			fields["limit"] = "field.number"
		case n < 1 || n > domain.MaxPageSize:
			fields["limit"] = "field.invalid"
		}
		f.Limit = n
	}
	if len(fields) > 0 {
		return f, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: fields}
	}
	return f, nil
}
