package service_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/export"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// exportsFixture adds to the requests fixture a submitted request and a
// draft of the requester's organisation, and members holding each role.
type exportsFixture struct {
	*requestsFixture
	exports   *service.Exports
	submitted domain.Request
	draft     domain.Request
	viewer    domain.Actor
	hc        domain.Actor
	hct       domain.Actor
}

func newExportsFixture(t *testing.T) *exportsFixture {
	t.Helper()
	rf := newRequestsFixture(t)
	f := &exportsFixture{requestsFixture: rf,
		exports: service.NewExports(store.New(rf.pool), rf.clock.now, slog.New(slog.NewTextHandler(io.Discard, nil))).WithCatalog(catalog(t)).WithActionLimits(nil)}
	r := f.create(t, fixture.Request("Airlift to Upper Valley", t0))
	var err error
	if f.submitted, err = f.reqs.Transition(t.Context(), f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: 1}); err != nil {
		t.Fatal(err)
	}
	f.draft = f.create(t, domain.Request{Title: "Still a draft"})
	f.viewer = f.member(t, "vera@example.org", f.admin.OrganizationID, domain.RoleViewer)
	f.hc = f.member(t, "hugo@example.org", f.admin.OrganizationID, domain.RoleHC)
	f.hct = f.member(t, "hans@example.org", f.admin.OrganizationID, domain.RoleHCTMember)
	return f
}

// exportCSV returns the data rows of by's CSV export keyed by hashtag.
func (f *exportsFixture) exportCSV(t *testing.T, by domain.Actor, flt service.ExportFilter, o service.ExportOptions) []map[string]string {
	t.Helper()
	var buf bytes.Buffer
	if err := f.exports.Requests(t.Context(), by, f.op.Code, flt, service.FormatCSV, &buf, o); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, rec := range recs[2:] {
		m := map[string]string{}
		for i, h := range recs[1] {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

func TestExports_Access(t *testing.T) {
	t.Parallel()
	f := newExportsFixture(t)
	for _, tc := range []struct {
		name string
		by   domain.Actor
		want domain.Code
	}{
		{"Anonymous", domain.Actor{}, domain.CodeUnauthorized},
		{"Requester", f.requester, domain.CodeForbidden},
		{"HCTMember", f.hct, domain.CodeForbidden},
		{"NonMemberAdmin", f.admin, domain.CodeNotFound},
		{"Officer", f.officer, ""},
		{"HC", f.hc, ""},
		{"Viewer", f.viewer, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := f.exports.Requests(t.Context(), tc.by, f.op.Code, service.ExportFilter{}, service.FormatCSV, &buf, service.ExportOptions{})
			if domain.ErrorCode(err) != tc.want {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.want != "" && buf.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
		})
	}
	t.Run("ErrBadFilter", func(t *testing.T) {
		var buf bytes.Buffer
		err := f.exports.Requests(t.Context(), f.officer, f.op.Code, service.ExportFilter{Sector: "XXX"}, service.FormatCSV, &buf, service.ExportOptions{})
		wantCode(t, err, domain.CodeInvalid, "")
		if buf.Len() != 0 {
			t.Errorf("wrote %d bytes before failing", buf.Len())
		}
	})
}

func TestExports_Visibility(t *testing.T) {
	t.Parallel()
	f := newExportsFixture(t)
	t.Run("OfficerSeesContactNotDrafts", func(t *testing.T) {
		rows := f.exportCSV(t, f.officer, service.ExportFilter{}, service.ExportOptions{})
		if len(rows) != 1 || rows[0]["#meta +id"] != f.submitted.Reference {
			t.Fatalf("rows = %v", rows)
		}
		if rows[0]["#contact +email"] != "rita@example.org" || rows[0]["#country +code +v_iso3"] != "NPL" {
			t.Errorf("row = %v", rows[0])
		}
		// Every part the export takes out of the JSON columns arrives.
		for tag, want := range map[string]string{
			"#loc +name +origin": "Base Town airstrip", "#adm1 +code +v_pcode +origin": "NP03", "#geo +lat +origin": "27.7",
			"#geo +lon +origin": "85.3", "#loc +name +dest": "Upper Valley", "#adm2 +code +v_pcode +dest": "NP0301",
			"#geo +lat +dest": "28.1", "#geo +lon +dest": "85.4", "#org +name +handover": "WFP road convoys",
			"#date +handover": f.submitted.ExitStrategy.Date.Format(time.DateOnly), "#contact +name": "Rita Field",
			"#contact +phone": "+977 1 555 0100", // a phone number, not a formula
			"#sector +cluster +code +list +v_ocha_clusters": strings.Join(f.submitted.Sectors, ", "),
		} {
			if rows[0][tag] != want {
				t.Errorf("%s = %q, want %q", tag, rows[0][tag], want)
			}
		}
	})
	t.Run("ViewerContactBlank", func(t *testing.T) {
		rows := f.exportCSV(t, f.viewer, service.ExportFilter{}, service.ExportOptions{})
		if len(rows) != 1 || rows[0]["#contact +email"] != "" || rows[0]["#contact +name"] != "" || rows[0]["#contact +phone"] != "" {
			t.Fatalf("rows = %v", rows)
		}
		if _, ok := rows[0]["#contact +email"]; !ok {
			t.Error("contact column missing; want it blank")
		}
	})
	t.Run("RequesterViewerOwnDrafts", func(t *testing.T) {
		// A requester who is also a viewer sees their organisation's drafts;
		// an other organisation's requester-viewer does not.
		own := f.member(t, "owen@example.org", f.requester.OrganizationID, domain.RoleRequester, domain.RoleViewer)
		if rows := f.exportCSV(t, own, service.ExportFilter{}, service.ExportOptions{}); len(rows) != 2 {
			t.Errorf("own organisation rows = %d, want 2 (with the draft)", len(rows))
		}
		other := f.member(t, "oscar@example.org", f.outsider.OrganizationID, domain.RoleRequester, domain.RoleViewer)
		rows := f.exportCSV(t, other, service.ExportFilter{}, service.ExportOptions{})
		if len(rows) != 1 || rows[0]["#meta +id"] != f.submitted.Reference {
			t.Errorf("other organisation rows = %v", rows)
		}
		if rows[0]["#contact +email"] != "" {
			t.Errorf("other organisation sees the contact")
		}
		if rows := f.exportCSV(t, own, service.ExportFilter{}, service.ExportOptions{Public: true}); len(rows) != 1 {
			t.Errorf("public rows = %d, want 1 (no drafts)", len(rows))
		}
	})
	t.Run("OtherOperation", func(t *testing.T) {
		op2, err := f.dir.CreateOperation(t.Context(), f.admin, domain.Operation{Code: "SDN-CE", Name: "Sudan", CountryISO3: "SDN",
			Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48})
		if err != nil {
			t.Fatal(err)
		}
		u, _, err := f.dir.CreateUser(t.Context(), f.admin, service.NewUser{User: domain.User{Email: "sam@example.org", Name: "Sam", OrganizationID: f.admin.OrganizationID}, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.dir.SetMember(t.Context(), f.admin, op2.Code, u.ID, []domain.Role{domain.RoleOfficer}); err != nil {
			t.Fatal(err)
		}
		err = f.exports.Requests(t.Context(), f.actor(t, u), f.op.Code, service.ExportFilter{}, service.FormatCSV, io.Discard, service.ExportOptions{})
		wantCode(t, err, domain.CodeNotFound, "")
	})
	t.Run("Public", func(t *testing.T) {
		rows := f.exportCSV(t, f.officer, service.ExportFilter{}, service.ExportOptions{Public: true})
		if len(rows) != 1 {
			t.Fatalf("rows = %d", len(rows))
		}
		for _, tag := range []string{"#contact +name", "#contact +email", "#contact +phone", "#description +need", "#description", "#activity +name", "#geo +lat +dest", "#loc +name +dest"} {
			if _, ok := rows[0][tag]; ok {
				t.Errorf("public export has %s", tag)
			}
		}
		if rows[0]["#adm1 +code +v_pcode +dest"] != "NP03" {
			t.Errorf("row = %v", rows[0])
		}
	})
	t.Run("Filters", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			flt  service.ExportFilter
			want int
		}{
			{"Status", service.ExportFilter{Statuses: []domain.Status{domain.StatusApproved}}, 0},
			{"StatusSubmitted", service.ExportFilter{Statuses: []domain.Status{domain.StatusSubmitted}}, 1},
			{"Sector", service.ExportFilter{Sector: "EDU"}, 0},
			{"SectorLOG", service.ExportFilter{Sector: "LOG"}, 1},
			{"Priority", service.ExportFilter{Priority: domain.PriorityNormal}, 0},
			{"DateInRange", service.ExportFilter{DateField: "submitted", From: t0, To: t0}, 1},
			{"DateBefore", service.ExportFilter{DateField: "submitted", To: t0.AddDate(0, 0, -1)}, 0},
			{"DateAfter", service.ExportFilter{From: t0.AddDate(0, 0, 1)}, 0},
		} {
			if got := len(f.exportCSV(t, f.officer, tc.flt, service.ExportOptions{})); got != tc.want {
				t.Errorf("%s: rows = %d, want %d", tc.name, got, tc.want)
			}
		}
	})
	t.Run("JSONHXL", func(t *testing.T) {
		var buf bytes.Buffer
		if err := f.exports.Requests(t.Context(), f.viewer, f.op.Code, service.ExportFilter{}, service.FormatJSON, &buf, service.ExportOptions{HXLKeys: true}); err != nil {
			t.Fatal(err)
		}
		var got []map[string]any
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0]["#meta+id"] != f.submitted.Reference || got[0]["#contact+email"] != nil {
			t.Errorf("json = %v", got)
		}
	})
}

// countingWriter counts CSV lines and samples the heap as rows stream.
type countingWriter struct {
	lines   int
	maxHeap uint64
	writes  int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.lines += bytes.Count(p, []byte("\n"))
	c.writes++
	if c.writes%50 == 0 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		c.maxHeap = max(c.maxHeap, m.HeapAlloc)
	}
	return len(p), nil
}

// TestExports_Large exports 5,000 requests: every row arrives, and the
// heap stays within a bound far below what holding the rows would take
// (they are read and written one at a time).
func TestExports_Large(t *testing.T) {
	t.Parallel()
	f := newExportsFixture(t)
	const n = 5000
	// Copies of the submitted request, with fresh numbers and references.
	_, err := f.pool.Exec(t.Context(), `
		INSERT INTO requests (operation_id, number, reference, version, title, requesting_org_id, created_by,
		       sectors, need, people_targeted, task_category, capability, support_type, task_description, origin,
		       destination, required_by, start_date, end_date, priority, urgency_reason, civilian_options,
		       complementarity, exit_strategy, poc, checklist, escort, submitted_at, created_at, updated_at)
		SELECT r.operation_id, 1000 + g, 'NPL-RFA-' || (1000 + g), r.version, r.title || ' ' || g,
		       r.requesting_org_id, r.created_by, r.sectors, repeat(r.need, 20), r.people_targeted, r.task_category,
		       r.capability, r.support_type, r.task_description, r.origin, r.destination, r.required_by, r.start_date,
		       r.end_date, r.priority, r.urgency_reason, r.civilian_options, r.complementarity, r.exit_strategy,
		       r.poc, r.checklist, r.escort, r.submitted_at, r.created_at, r.updated_at
		FROM requests r, generate_series(1, $2) g WHERE r.id = $1`, f.submitted.ID, n)
	if err != nil {
		t.Fatal(err)
	}
	// Rows start as drafts (a database check); submit them as a whole.
	if _, err := f.pool.Exec(t.Context(), `UPDATE requests SET status = 'submitted' WHERE number > 1000`); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	cw := &countingWriter{}
	if err := f.exports.Requests(t.Context(), f.officer, f.op.Code, service.ExportFilter{}, service.FormatCSV, cw, service.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	// Two header rows, the original and n copies, one line each.
	if strings.ContainsAny(f.submitted.Need, "\r\n") {
		t.Fatal("the fixture's need has a line break: rows are no longer one line each")
	}
	if cw.lines != 2+1+n {
		t.Errorf("lines = %d, want %d", cw.lines, 2+1+n)
	}
	// Each row is ~2 KB of need alone: held in memory, 5,000 rows would be
	// > 10 MB of strings plus decoded structs. Streaming keeps the growth
	// to buffers and garbage not yet collected.
	if grow := int64(cw.maxHeap) - int64(before.HeapAlloc); grow > 64<<20 {
		t.Errorf("heap grew by %d MB while exporting", grow>>20)
	}
}

func catalog(t *testing.T) *i18n.Catalog {
	t.Helper()
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestExports_RecordSheets: the XLSX workbook's reviews, votes and
// events sheets hold the exported requests' reviews, the votes of closed
// reviews only (a sealed open review's never, for any role), and the
// audit events with the contact redacted for a viewer; the public
// variant has the requests sheet alone; labels follow the codes.
func TestExports_RecordSheets(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 2)
	ctx := t.Context()
	exports := service.NewExports(store.New(f.pool), f.clock.now, slog.New(slog.NewTextHandler(io.Discard, nil))).WithCatalog(catalog(t)).WithActionLimits(nil)
	viewer := f.member(t, "vera@example.org", f.officer.OrganizationID, domain.RoleViewer)
	closed := f.submitted(t, "Airlift, closed review")
	f.open(t, closed)
	for i, v := range []service.VoteInput{{Value: domain.VoteSupportConditions, Comment: "=Unarmed crew only"}, {Value: domain.VoteSupport}} {
		if _, err := f.reviews.Vote(ctx, f.hct[i], closed.ID, v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.reviews.Close(ctx, f.officer, closed.ID, closed.Version); err != nil {
		t.Fatal(err)
	}
	sealed := f.submitted(t, "Airlift, sealed review")
	f.open(t, sealed)
	if _, err := f.reviews.Vote(ctx, f.hct[0], sealed.ID, service.VoteInput{Value: domain.VoteObject, Comment: "Trucks can go"}); err != nil {
		t.Fatal(err)
	}
	workbook := func(by domain.Actor, o service.ExportOptions) *excelize.File {
		t.Helper()
		var buf bytes.Buffer
		if err := exports.Requests(ctx, by, f.op.Code, service.ExportFilter{}, service.FormatXLSX, &buf, o); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { x.Close() })
		return x
	}
	// column returns sheet's values under hashtag, from row 3.
	column := func(x *excelize.File, sheet, hashtag string) []string {
		t.Helper()
		rows, err := x.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for i, h := range rows[1] {
			if h != hashtag {
				continue
			}
			for _, r := range rows[2:] {
				v := ""
				if i < len(r) {
					v = r[i]
				}
				out = append(out, v)
			}
			return out
		}
		t.Fatalf("%s has no %s: %q", sheet, hashtag, rows[1])
		return nil
	}
	for name, by := range map[string]domain.Actor{"Officer": f.officer, "HC": f.hc, "Viewer": viewer} {
		t.Run(name, func(t *testing.T) {
			x := workbook(by, service.ExportOptions{Labels: []string{"en"}})
			if got := strings.Join(x.GetSheetList(), ","); got != "requests,reviews,votes,events" {
				t.Fatalf("sheets = %s", got)
			}
			if got := column(x, "reviews", "#meta +id"); strings.Join(got, ",") != closed.Reference+","+sealed.Reference {
				t.Errorf("reviews = %q", got)
			}
			if got := column(x, "reviews", "#status +result"); got[0] != "passed" || got[1] != "" {
				t.Errorf("results = %q", got)
			}
			if got := column(x, "reviews", "#indicator +num +votes_object"); got[0] != "0" || got[1] != "" {
				t.Errorf("objections = %q: the sealed open review's tally must stay blank", got)
			}
			refs := column(x, "votes", "#meta +id")
			if strings.Join(refs, ",") != closed.Reference+","+closed.Reference {
				t.Errorf("votes of %q: want the closed review's two only", refs)
			}
			if got := column(x, "votes", "#status +vote +name +i_en"); !slices.Contains(got, "Support with conditions") {
				t.Errorf("vote labels = %q", got)
			}
			if got := column(x, "votes", "#description +vote"); !slices.Contains(got, "=Unarmed crew only") {
				t.Errorf("comments = %q", got)
			}
			events := column(x, "events", "#meta +id")
			payloads := strings.Join(column(x, "events", "#meta +payload"), "\n")
			if len(events) < 6 || !slices.Contains(events, sealed.Reference) {
				t.Errorf("events of %q", events)
			}
			if strings.Contains(payloads, "Trucks can go") || strings.Contains(payloads, `"value":"object"`) {
				t.Errorf("the sealed review's vote leaks through the events: %s", payloads)
			}
			seesContact := name != "Viewer"
			if strings.Contains(payloads, "rita@example.org") != seesContact {
				t.Errorf("contact in the events: %v, want %v", !seesContact, seesContact)
			}
			if got := column(x, "requests", "#status +name +i_en"); !slices.Contains(got, "HCT review") {
				t.Errorf("status labels = %q", got)
			}
		})
	}
	t.Run("Public", func(t *testing.T) {
		if got := workbook(f.officer, service.ExportOptions{Public: true}).GetSheetList(); len(got) != 1 || got[0] != "requests" {
			t.Errorf("public sheets = %v", got)
		}
	})
	t.Run("UnknownLanguage", func(t *testing.T) {
		var buf bytes.Buffer
		err := exports.Requests(ctx, f.officer, f.op.Code, service.ExportFilter{}, service.FormatCSV, &buf, service.ExportOptions{Labels: []string{"xx"}})
		wantCode(t, err, domain.CodeInvalid, "")
		if buf.Len() != 0 {
			t.Errorf("wrote %d bytes before failing", buf.Len())
		}
	})
}

// TestExports_SelectAsList: an export holds exactly the requests the list
// shows for the same filter (one WHERE builder), for every role that may
// export, with no filter, each status, each sector and each priority.
func TestExports_SelectAsList(t *testing.T) {
	t.Parallel()
	f := newExportsFixture(t)
	ctx := t.Context()
	// Requests across the filters' values: one per priority, sectors in
	// turn, some submitted, one returned.
	for i, p := range domain.Priorities {
		r := fixture.Request("Spread "+string(p), t0)
		r.Priority = p
		r.Sectors = []string{domain.Sectors[i%len(domain.Sectors)]}
		r = f.create(t, r)
		if i%2 == 0 {
			continue // stays a draft
		}
		sub, err := f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version})
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if _, err := f.reqs.Transition(ctx, f.officer, r.ID, domain.ActionReturn, domain.TransitionInput{Version: sub.Version, Reason: "More detail."}); err != nil {
				t.Fatal(err)
			}
		}
	}
	type filter struct {
		name string
		list domain.RequestFilter
		exp  service.ExportFilter
	}
	filters := []filter{{name: "none"}}
	for _, s := range domain.Statuses() {
		filters = append(filters, filter{"status " + string(s), domain.RequestFilter{Statuses: []domain.Status{s}}, service.ExportFilter{Statuses: []domain.Status{s}}})
	}
	for _, s := range domain.Sectors {
		filters = append(filters, filter{"sector " + s, domain.RequestFilter{Sector: s}, service.ExportFilter{Sector: s}})
	}
	for _, p := range domain.Priorities {
		filters = append(filters, filter{"priority " + string(p), domain.RequestFilter{Priority: p}, service.ExportFilter{Priority: p}})
	}
	referenceTag := ""
	for _, c := range export.Columns {
		if c.Key == "reference" {
			referenceTag = c.HXL
		}
	}
	for _, by := range []domain.Actor{f.officer, f.viewer, f.hc} {
		for _, flt := range filters {
			var listed []string
			lf := flt.list
			for {
				_, page, err := f.reqs.List(ctx, by, f.op.Code, lf)
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range page.Items {
					listed = append(listed, it.Reference)
				}
				if page.NextCursor == "" {
					break
				}
				lf.Cursor = page.NextCursor
			}
			var exported []string
			for _, row := range f.exportCSV(t, by, flt.exp, service.ExportOptions{}) {
				exported = append(exported, row[referenceTag])
			}
			slices.Sort(listed)
			slices.Sort(exported)
			if !slices.Equal(listed, exported) {
				t.Errorf("%s, %s: list %v, export %v", by.Name, flt.name, listed, exported)
			}
			if flt.name == "none" && len(listed) < 2 {
				t.Errorf("%s sees %v: the fixture should spread several requests", by.Name, listed)
			}
		}
	}
}

// TestExports_FullLifecycle takes a request through its whole life with
// the services — a justified item, review, approval, consent, a declined
// then a live tasking, execution reports, completion, the hand-over — and
// an extension of it, then exports them: every column of the tracker has
// a value for it but the rejection date and the justifications of items
// that are not justified; every checklist item's state is the one
// domain.Evaluate gives (walking domain.Checklist); the extension names
// what it extends; the CSV, JSON and XLSX agree.
func TestExports_FullLifecycle(t *testing.T) {
	t.Parallel()
	f := newLifeFixture(t)
	ctx := t.Context()
	ex := service.NewExports(store.New(f.pool), f.clock.now, slog.New(slog.NewTextHandler(io.Discard, nil))).WithCatalog(catalog(t)).WithActionLimits(nil)
	draft := fixture.Request("Justified airlift", f.clock.now())
	draft.Checklist["LR12"] = domain.Answer{Value: "no", Note: "Fuel is charged at cost; no civilian carrier flies there."}
	r := f.create(t, draft)
	r, err := f.reqs.Transition(ctx, f.requester, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version})
	if err != nil {
		t.Fatal(err)
	}
	f.open(t, r)
	for _, a := range f.hct {
		if _, err := f.reviews.Vote(ctx, a, r.ID, service.VoteInput{Value: domain.VoteSupport}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.reviews.Close(ctx, f.officer, r.ID, r.Version); err != nil {
		t.Fatal(err)
	}
	f.clock.t = f.clock.t.Add(90 * time.Minute)
	if _, err := f.reviews.Decide(ctx, f.hc, r.ID, service.DecisionInput{Version: r.Version, Outcome: domain.StatusApproved, Rationale: "Passed."}); err != nil {
		t.Fatal(err)
	}
	v := r.Version
	step := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	throughLifecycle(t, f, r.ID, v)
	cur, _ := f.reqs.Get(ctx, f.requester, r.ID)
	ext, _, err := f.reqs.Extend(ctx, f.requester, r.ID, 0, cur.Request.EndDate.AddDate(0, 0, 10), "")
	if domain.ErrorCode(err) == domain.CodeConflict {
		// A handed-over task is not extended: extend a second approved one.
		a := f.approved(t, "Needs longer")
		cur, _ = f.reqs.Get(ctx, f.requester, a.ID)
		ext, _, err = f.reqs.Extend(ctx, f.requester, a.ID, 0, cur.Request.EndDate.AddDate(0, 0, 10), "")
	}
	step(err)
	parent, _ := f.reqs.Get(ctx, f.requester, ext.ExtensionOf)

	// The requester's organisation's viewer sees its drafts: the extension.
	by := f.member(t, "vic@example.org", f.requester.OrganizationID, domain.RoleRequester, domain.RoleViewer)
	var buf bytes.Buffer
	if err := ex.Requests(ctx, by, f.op.Code, service.ExportFilter{}, service.FormatCSV, &buf, service.ExportOptions{Labels: []string{"fr"}}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cols := export.Select(export.Options{Labels: []export.Labeller{{Lang: "fr"}}})
	rowOf := func(ref string) map[string]string {
		for _, rec := range recs[2:] {
			if rec[0] == ref {
				m := map[string]string{}
				for i, c := range cols {
					m[c.Key] = rec[i]
				}
				return m
			}
		}
		t.Fatalf("no row %s", ref)
		return nil
	}
	row := rowOf(r.Reference)
	full, _ := f.reqs.Get(ctx, f.officer, r.ID)
	ev := full.Evaluation // with what was recorded (consent, assessment), as the export reads it
	for _, c := range cols {
		switch {
		case c.Key == "rejected_at" || c.Key == "tasking_declined_at" || c.Key == "extension_of" || c.Key == "crisis_code" ||
			strings.HasPrefix(c.Key, "contact_"):
			// another outcome's, the live tasking's, an original's, the
			// fixture's operation has no GLIDE; a viewer's contact is blank
		case strings.Contains(c.Key, "_justification"):
			id := strings.ToUpper(strings.Split(c.Key, "_")[0])
			want := ""
			if ev.Item(id).State() == domain.StateJustified {
				want = full.Request.Checklist[id].Note
			}
			if row[c.Key] != want {
				t.Errorf("%s = %q, want %q", c.Key, row[c.Key], want)
			}
		case row[c.Key] == "":
			t.Errorf("%s (%s) is blank for a full-lifecycle request", c.Key, c.HXL)
		}
	}
	states := map[domain.ItemState]bool{}
	for _, it := range domain.Checklist {
		k := strings.ToLower(it.ID) + "_state"
		if _, carried := row[k]; !carried {
			continue
		}
		states[ev.Item(it.ID).State()] = true
		if row[k] != string(ev.Item(it.ID).State()) {
			t.Errorf("%s = %q, want %q", k, row[k], ev.Item(it.ID).State())
		}
	}
	if !states[domain.StateJustified] || !states[domain.StateMet] {
		t.Errorf("states exported = %v, want met and justified among them", states)
	}
	for k, want := range map[string]string{
		"provider_iso3": "CHN", "provider_unit": "PLA Air Force transport unit", "asset_type": "Mi-17 helicopter", "asset_count": "3",
		"consent_status": "consented", "reports": "2", "sorties": "10", "flight_hours": "15.5", "tonnes": "20.25", "passengers": "3",
		"medevacs": "2", "people_reached": "4000", "handed_over_to": "wfp road convoys", "hours_to_decision": "1.5",
		"status": string(domain.StatusHandedOver),
	} {
		if row[k] != want {
			t.Errorf("%s = %q, want %q", k, row[k], want)
		}
	}
	if got := rowOf(ext.Reference)["extension_of"]; got != parent.Request.Reference {
		t.Errorf("the extension's extension_of = %q, want %q", got, parent.Request.Reference)
	}
	// JSON: the same facts, sectors an array.
	buf.Reset()
	if err := ex.Requests(ctx, by, f.op.Code, service.ExportFilter{}, service.FormatJSON, &buf, service.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &objs); err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o["reference"] != r.Reference {
			continue
		}
		if s, ok := o["sector_codes"].([]any); !ok || len(s) != len(full.Request.Sectors) {
			t.Errorf("JSON sectors = %#v", o["sector_codes"])
		}
		if o["tonnes"] != 20.25 || o["lr12_state"] != string(domain.StateJustified) || o["provider_iso3"] != "CHN" {
			t.Errorf("JSON row = %v", o)
		}
	}
}

// TestExports_ReadOnlyDatabase: an export is a read; on a database that
// takes no writes (a standby, a primary being switched over) it is not
// refused for want of recording its use under the per-user limit, while a
// write (a new request) is refused as unavailable.
func TestExports_ReadOnlyDatabase(t *testing.T) {
	t.Parallel()
	f := newExportsFixture(t)
	limited := service.NewExports(store.New(f.pool), f.clock.now, slog.New(slog.NewTextHandler(io.Discard, nil))).WithCatalog(catalog(t))
	if _, err := f.pool.Exec(t.Context(), `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END $$`); err != nil {
		t.Fatal(err)
	}
	f.pool.Reset()
	var buf bytes.Buffer
	if err := limited.Requests(t.Context(), f.officer, f.op.Code, service.ExportFilter{}, service.FormatCSV, &buf, service.ExportOptions{}); err != nil || buf.Len() == 0 {
		t.Fatalf("export on a read-only database = %v (%d bytes), want the file", err, buf.Len())
	}
	_, _, err := service.NewRequests(store.New(f.pool), f.clock.now, slog.New(slog.NewTextHandler(io.Discard, nil))).
		Create(t.Context(), f.requester, f.op.Code, domain.Request{Title: "During the switch-over"}, "")
	wantCode(t, err, domain.CodeUnavailable, "")
}

// throughLifecycle takes approved request id (at version v) through what
// an export reports after approval: consent, a tasking declined and
// another taken, execution with two reports, completion and hand-over.
func throughLifecycle(t *testing.T, f *lifeFixture, id int64, v int) {
	t.Helper()
	ctx := t.Context()
	step := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.life.RecordConsent(ctx, f.officer, id, nowVersion(t, f.reqs, id), domain.Consent{Status: "consented", Authority: "NDRRMA", Date: f.clock.now()})
	step(err)
	_, err = f.life.Task(ctx, f.officer, id, v, tasking)
	step(err)
	_, err = f.reqs.Transition(ctx, f.officer, id, domain.ActionDecline, domain.TransitionInput{Version: v, Reason: "Grounded."})
	step(err)
	other := tasking
	other.ProviderISO3, other.Unit, other.AssetCount = "CHN", "PLA Air Force transport unit", 3
	_, err = f.life.Task(ctx, f.officer, id, v, other)
	step(err)
	_, err = f.reqs.Transition(ctx, f.officer, id, domain.ActionStartExecution, domain.TransitionInput{Version: v})
	step(err)
	for _, rep := range []domain.ExecutionReport{
		{Date: f.clock.now(), Sorties: 6, FlightHours: 9.5, Tonnes: 12, Passengers: 3},
		{Date: f.clock.now(), Sorties: 4, FlightHours: 6, Tonnes: 8.25, Medevacs: 2, PeopleReached: 4000},
	} {
		_, err = f.life.Report(ctx, f.officer, id, 0, rep)
		step(err)
	}
	_, err = f.reqs.Transition(ctx, f.officer, id, domain.ActionComplete, domain.TransitionInput{Version: v})
	step(err)
	_, err = f.life.HandOver(ctx, f.officer, id, v, domain.Handover{Organization: "wfp road convoys", Date: f.clock.now()})
	step(err)
}
