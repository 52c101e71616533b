package export_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/export"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func f64(v float64) *float64 { return &v }

// tricky is a row whose text needs quoting, is not ASCII, or would be a
// formula in a spreadsheet.
func tricky() export.Row {
	sub := time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)
	return export.Row{
		CountryISO3: "SDN", GLIDE: "CE-2026-000001-SDN",
		Outcome: "approved", DecidedAt: sub.Add(30 * time.Hour),
		Request: domain.Request{
			Reference: "SDN-RFA-0001", Status: domain.StatusApproved,
			Title:             `Airlift "urgent", phase 1`,
			Need:              "line one\nline two, with comma\r\nand CRLF",
			TaskDescription:   "=HYPERLINK(\"http://evil\",\"x\")",
			Capability:        "+cmd|' /C calc'!A0",
			RequestingOrgName: "Médecins Sans Frontières",
			Sectors:           []string{"LOG", "HEA"},
			TaskCategory:      "air_rotary", SupportType: domain.SupportIndirect, Priority: domain.PriorityHigh,
			PeopleTargeted: 1200,
			Origin:         domain.Location{Name: "-minus start", Adm1Name: "@at start", Lat: f64(-12.5), Lon: f64(30.25)},
			Destination:    domain.Location{Name: "الفاشر", Adm1Name: "شمال دارفور", Adm1PCode: "SD02", Adm2PCode: "SD02001"},
			SubmittedAt:    sub,
			StartDate:      time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC),
			ExitStrategy:   domain.ExitStrategy{Organization: "\tWFP"},
			POC:            domain.Contact{Name: "Zoë Ñandú", Email: "zoe@example.org", Phone: "+249 1 555"},
		},
	}
}

func TestCSV_HeaderGolden(t *testing.T) {
	var buf bytes.Buffer
	w, err := export.NewCSVWriter(&buf, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "header.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("header rows =\n%s\nwant\n%s", buf.Bytes(), want)
	}
}

var (
	hashtagRe   = regexp.MustCompile(`^#[a-zA-Z][a-zA-Z0-9_]*$`)
	attributeRe = regexp.MustCompile(`^\+[a-zA-Z][a-zA-Z0-9_]*$`)
)

// TestColumns_HXLGrammar checks every hashtag against HXL 1.1's grammar,
// the uniqueness of keys and hashtag specs, and that extension hashtags
// are the only non-core ones.
// spec is what the grammar test reads of a column of any table.
type spec struct {
	key, hxl           string
	restricted, public bool
}

func specsOf[R any](cols []export.Col[R]) []spec {
	out := make([]spec, len(cols))
	for i, c := range cols {
		out[i] = spec{c.Key, c.HXL, c.Restricted, c.Public}
	}
	return out
}

// labels is a labeller per language that marks the key it was asked.
func labels(langs ...string) []export.Labeller {
	var out []export.Labeller
	for _, l := range langs {
		out = append(out, export.Labeller{Lang: l, T: func(key string) string { return l + ":" + key }})
	}
	return out
}

// TestColumns_HXLGrammar checks every table's columns, with label
// columns, against the HXL 1.1 grammar a standard parser applies: core
// hashtags or x_ extensions, attributes by the token rule, each spec
// once per table, snake_case keys once per table.
func TestColumns_HXLGrammar(t *testing.T) {
	core := map[string]bool{"#meta": true, "#country": true, "#crisis": true, "#activity": true, "#description": true,
		"#org": true, "#sector": true, "#capacity": true, "#modality": true, "#targeted": true, "#loc": true,
		"#adm1": true, "#adm2": true, "#geo": true, "#date": true, "#status": true, "#indicator": true, "#contact": true,
		"#output": true, "#reached": true}
	keyRe := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	tables := map[string][]spec{
		"requests":        specsOf(export.Select(export.Options{})),
		"requests+labels": specsOf(export.Select(export.Options{Labels: labels("en", "fr", "ar")})),
		"public+labels":   specsOf(export.Select(export.Options{Public: true, Labels: labels("es")})),
		"reviews":         specsOf(export.ReviewColumns),
		"votes":           specsOf(export.VoteColumns),
		"events":          specsOf(export.EventColumns),
	}
	for name, cols := range tables {
		keys, specs := map[string]bool{}, map[string]bool{}
		for _, c := range cols {
			parts := strings.Fields(c.hxl)
			if len(parts) == 0 || !hashtagRe.MatchString(parts[0]) {
				t.Errorf("%s.%s: hashtag %q breaks the grammar", name, c.key, c.hxl)
				continue
			}
			if !core[parts[0]] && !strings.HasPrefix(parts[0], "#x_") {
				t.Errorf("%s.%s: %s is neither core nor an x_ extension", name, c.key, parts[0])
			}
			for _, a := range parts[1:] {
				if !attributeRe.MatchString(a) {
					t.Errorf("%s.%s: attribute %q breaks the grammar", name, c.key, a)
				}
			}
			if !keyRe.MatchString(c.key) || keys[c.key] {
				t.Errorf("%s: key %q is not snake_case or repeats", name, c.key)
			}
			keys[c.key] = true
			n := export.NormalizeHXL(c.hxl)
			if specs[n] {
				t.Errorf("%s.%s: hashtag spec %s repeats", name, c.key, n)
			}
			specs[n] = true
			if c.restricted && c.public {
				t.Errorf("%s.%s: restricted and public", name, c.key)
			}
		}
	}
}

// TestLabels: a label column per language follows each coded column,
// with the code's label (each code's, for several sectors), the HXL
// language attribute and no vocabulary attribute; the code column is
// unchanged.
func TestLabels(t *testing.T) {
	var buf bytes.Buffer
	w, err := export.NewCSVWriter(&buf, export.Options{Public: true, Labels: labels("fr", "ar")})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(tricky()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	at := map[string]int{}
	for i, h := range recs[1] {
		at[h] = i
	}
	for _, c := range []struct{ hxl, header, value string }{
		{"#sector +cluster +code +list +v_ocha_clusters", "Cluster code", "LOG, HEA"},
		{"#sector +cluster +name +i_fr", "Cluster code [fr]", "fr:sector.LOG; fr:sector.HEA"},
		{"#sector +cluster +name +i_ar", "Cluster code [ar]", "ar:sector.LOG; ar:sector.HEA"},
		{"#status +name", "Status", "approved"},
		{"#status +name +i_fr", "Status [fr]", "fr:status.approved"},
		{"#x_priority +name +i_ar", "Priority [ar]", "ar:priority.high"},
		{"#activity +type +name +i_fr", "Task category [fr]", "fr:task_category.air_rotary"},
		{"#status +decision +name +i_fr", "Decision [fr]", "fr:decision.approved"},
	} {
		i, ok := at[c.hxl]
		if !ok {
			t.Errorf("no column %s in %q", c.hxl, recs[1])
			continue
		}
		if recs[0][i] != c.header || recs[2][i] != c.value {
			t.Errorf("%s: header %q value %q, want %q %q", c.hxl, recs[0][i], recs[2][i], c.header, c.value)
		}
		if recs[1][i+1] == c.hxl {
			t.Errorf("%s repeats", c.hxl)
		}
	}
	if i := at["#status +name"]; recs[1][i+1] != "#status +name +i_fr" || recs[1][i+2] != "#status +name +i_ar" {
		t.Errorf("status label columns not right after the code: %q", recs[1][i:i+3])
	}
	// An undecided row has no label.
	r := tricky()
	r.Outcome = ""
	buf.Reset()
	w, _ = export.NewCSVWriter(&buf, export.Options{Labels: labels("fr")})
	w.Write(r)
	w.Close()
	recs, _ = csv.NewReader(&buf).ReadAll()
	for i, h := range recs[1] {
		if h == "#status +decision +name +i_fr" && recs[2][i] != "" {
			t.Errorf("undecided label = %q", recs[2][i])
		}
	}
}

func TestCSV_RoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := export.NewCSVWriter(&buf, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	row := tricky()
	if err := w.Write(row); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("rows = %d, want 3", len(recs))
	}
	got := map[string]string{}
	for i, h := range recs[1] {
		got[h] = recs[2][i]
	}
	want := map[string]string{
		"#meta +id":             "SDN-RFA-0001",
		"#activity +name":       `Airlift "urgent", phase 1`,
		"#description +need":    "line one\nline two, with comma\nand CRLF", // encoding/csv reads \r\n as \n
		"#description":          `'=HYPERLINK("http://evil","x")`,
		"#capacity +type":       "'+cmd|' /C calc'!A0",
		"#org +name +requester": "Médecins Sans Frontières",
		"#sector +cluster +code +list +v_ocha_clusters": "LOG, HEA",
		"#loc +name +origin":                            "'-minus start",
		"#adm1 +name +origin":                           "'@at start",
		"#geo +lat +origin":                             "-12.5",
		"#loc +name +dest":                              "الفاشر",
		"#adm1 +name +dest":                             "شمال دارفور",
		"#date +reported":                               "2026-03-01T08:30:00Z",
		"#date +start":                                  "2026-03-05",
		"#date +end":                                    "",
		"#date +approved":                               "2026-03-02T14:30:00Z",
		"#date +rejected":                               "",
		"#indicator +num +hours_to_decision":            "30.0",
		"#targeted +ind":                                "1200",
		"#org +name +handover":                          "'\tWFP",
		"#contact +name":                                "Zoë Ñandú",
		"#contact +phone":                               "+249 1 555", // a phone number, not a formula
		"#x_priority":                                   "high",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestSelect_Public(t *testing.T) {
	for _, c := range export.Select(export.Options{Public: true}) {
		if c.Restricted || !c.Public {
			t.Errorf("public variant has %s", c.Key)
		}
		switch c.Key {
		case "need", "title", "task_description", "origin_name", "destination_lat":
			t.Errorf("public variant has %s", c.Key)
		}
	}
}

func TestJSON_Keys(t *testing.T) {
	for _, hxl := range []bool{false, true} {
		var buf bytes.Buffer
		w, err := export.NewJSONWriter(&buf, export.Options{HXLKeys: hxl})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := w.Write(tricky()); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		var got []map[string]any
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("%v\n%s", err, buf.Bytes())
		}
		if len(got) != 2 {
			t.Fatalf("objects = %d, want 2", len(got))
		}
		o := got[0]
		if hxl {
			if o["#date+reported"] != "2026-03-01T08:30:00Z" || o["#adm1+code+dest+v_pcode"] != "SD02" {
				t.Errorf("hxl keys: %v", o)
			}
			if o["#description+need"] != tricky().Request.Need {
				t.Errorf("need = %q", o["#description+need"])
			}
			continue
		}
		if o["reference"] != "SDN-RFA-0001" || o["people_targeted"] != float64(1200) || o["end_date"] != nil ||
			o["task_description"] != tricky().Request.TaskDescription {
			t.Errorf("object = %v", o)
		}
	}
	var buf bytes.Buffer
	w, _ := export.NewJSONWriter(&buf, export.Options{})
	if err := w.Close(); err != nil || strings.TrimSpace(buf.String()) != "[]" {
		t.Errorf("empty export = %q, %v", buf.String(), err)
	}
}

func TestNormalizeHXL(t *testing.T) {
	if got := export.NormalizeHXL("#Sector +Cluster +code +v_ocha_clusters"); got != "#sector+cluster+code+v_ocha_clusters" {
		t.Errorf("NormalizeHXL = %q", got)
	}
	if got := export.NormalizeHXL("#adm1 +name +dest"); got != "#adm1+dest+name" {
		t.Errorf("NormalizeHXL = %q", got)
	}
}

func TestXLSX_ReRead(t *testing.T) {
	var buf bytes.Buffer
	w, err := export.NewXLSXWriter(&buf, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := w.Write(tricky()); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "requests" {
		t.Fatalf("sheets = %v", got)
	}
	rows, err := f.GetRows("requests", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || rows[0][0] != "RFA ID" || rows[1][0] != "#meta +id" || rows[2][0] != "SDN-RFA-0001" {
		t.Fatalf("rows = %d, first cells %q", len(rows), rows[0][0])
	}
	col := -1
	for i, h := range rows[1] {
		if h == "#date +start" {
			col = i
		}
	}
	cell, _ := excelize.CoordinatesToCellName(col+1, 3)
	typ, err := f.GetCellType("requests", cell)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := f.GetCellValue("requests", cell, excelize.Options{RawCellValue: true})
	shown, _ := f.GetCellValue("requests", cell)
	// A real date is a serial number with a date format: 2026-03-05 is 46086.
	if typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString || raw != "46086" || shown != "2026-03-05" {
		t.Errorf("start date cell %s: type %v raw %q shown %q", cell, typ, raw, shown)
	}
	panes, err := f.GetPanes("requests")
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 2 {
		t.Errorf("panes = %+v, want frozen below row 2", panes)
	}
	if wd, _ := f.GetColWidth("requests", "A"); wd != 16 {
		t.Errorf("width A = %v", wd)
	}
	// Sectors: one +list cell; hours: a number shown with its decimal.
	for i, h := range rows[1] {
		cell, _ := excelize.CoordinatesToCellName(i+1, 3)
		switch h {
		case "#sector +cluster +code +list +v_ocha_clusters":
			if v, _ := f.GetCellValue("requests", cell); v != "LOG, HEA" {
				t.Errorf("sectors cell = %q", v)
			}
		case "#indicator +num +hours_to_decision":
			raw, _ := f.GetCellValue("requests", cell, excelize.Options{RawCellValue: true})
			shown, _ := f.GetCellValue("requests", cell)
			if raw != "30" || shown != "30.0" {
				t.Errorf("hours cell raw %q shown %q, want 30 shown 30.0", raw, shown)
			}
		}
	}
}

// TestXLSX_Sheets: the reviews, votes and events sheets follow the
// requests sheet, each with its two header rows frozen; a frozen tally's
// zero is a 0, an open review's tally blank; dates are real dates.
func TestXLSX_Sheets(t *testing.T) {
	var buf bytes.Buffer
	w, err := export.NewXLSXWriter(&buf, export.Options{Labels: labels("fr")})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(tricky()); err != nil {
		t.Fatal(err)
	}
	opened := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	reviews, err := export.AddTable(w, export.SheetReviews, export.ReviewColumns)
	if err != nil {
		t.Fatal(err)
	}
	closed := domain.Review{Round: 1, OpenedAt: opened, Deadline: opened.Add(48 * time.Hour), ClosedAt: opened.Add(20 * time.Hour),
		Policy: domain.ReviewPolicy{QuorumPercent: 50, PassRule: "consensus"},
		Tally:  &domain.Tally{Eligible: 3, Voted: 2, Support: 2, QuorumMet: true, Passed: true}}
	open := domain.Review{Round: 2, OpenedAt: opened, Deadline: opened.Add(48 * time.Hour), Policy: closed.Policy}
	for _, r := range []export.ReviewRow{{Reference: "SDN-RFA-0001", Review: closed, Outcome: "closed"}, {Reference: "SDN-RFA-0002", Review: open}} {
		if err := reviews.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	votes, err := export.AddTable(w, export.SheetVotes, export.VoteColumns)
	if err != nil {
		t.Fatal(err)
	}
	if err := votes.Write(export.VoteRow{Reference: "SDN-RFA-0001", Round: 1, Vote: domain.Vote{OrgName: "Médecins Sans Frontières",
		Value: domain.VoteSupportConditions, Comment: "=only by day", CastAt: opened.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	events, err := export.AddTable(w, export.SheetEvents, export.EventColumns)
	if err != nil {
		t.Fatal(err)
	}
	if err := events.Write(export.EventRow{Reference: "SDN-RFA-0001", Event: domain.Event{Seq: 1, At: opened, Action: "request.created",
		Payload: []byte(`{"title":"x"}`), Hash: bytes.Repeat([]byte{0xab}, 32)}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "requests,reviews,votes,events" {
		t.Fatalf("sheets = %s", got)
	}
	cells := func(sheet string) map[string][]string { // hashtag → column, rows from 3
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for i, h := range rows[1] {
			for _, r := range rows[2:] {
				v := ""
				if i < len(r) {
					v = r[i]
				}
				out[h] = append(out[h], v)
			}
		}
		if panes, err := f.GetPanes(sheet); err != nil || !panes.Freeze || panes.YSplit != 2 {
			t.Errorf("%s: panes = %+v, %v", sheet, panes, err)
		}
		return out
	}
	rv := cells(export.SheetReviews)
	if got := rv["#indicator +num +votes_object"]; got[0] != "0" || got[1] != "" {
		t.Errorf("objections = %q, want 0 for the closed review and blank for the open one", got)
	}
	if got := rv["#status +result"]; got[0] != "passed" || got[1] != "" {
		t.Errorf("results = %q", got)
	}
	if got := rv["#status +review"]; got[0] != "closed" || got[1] != "open" {
		t.Errorf("outcomes = %q", got)
	}
	if got := rv["#date +start +review"][0]; got != "46083.375" { // 2026-03-02 09:00
		t.Errorf("opened serial = %q", got)
	}
	vt := cells(export.SheetVotes)
	if vt["#org +name +voter"][0] != "Médecins Sans Frontières" || vt["#status +vote"][0] != "support_with_conditions" ||
		vt["#status +vote +name +i_fr"][0] != "fr:vote.support_with_conditions" || vt["#description +vote"][0] != "=only by day" {
		t.Errorf("votes = %v", vt)
	}
	if typ, _ := f.GetCellType(export.SheetVotes, "F3"); typ == excelize.CellTypeFormula {
		t.Error("a comment starting with = became a formula")
	}
	ev := cells(export.SheetEvents)
	if ev["#meta +action +name +i_fr"][0] != "fr:record.event.request.created" {
		t.Errorf("event label = %q", ev["#meta +action +name +i_fr"])
	}
	if ev["#meta +hash"][0] != strings.Repeat("ab", 32) || ev["#meta +hash +prev"][0] != "" || ev["#meta +payload"][0] != `{"title":"x"}` {
		t.Errorf("events = %v", ev)
	}
}

// codeFields are the request's fields of Go type string that hold codes,
// p-codes or names from the directory rather than text someone typed;
// every other string of a request is free text.
var codeFields = map[string]bool{"Reference": true, "RequestingOrgName": true, "Adm1PCode": true, "Adm2PCode": true,
	"Compensation": true, "Option": true, "Result": true, "Value": true, "Consent": true, "ProviderISO3": true}

// plantFreeText puts a distinct canary in every free-text string reached
// from v (struct fields, slice elements, map values) and returns them.
func plantFreeText(v reflect.Value, path string, out *[]string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			plantFreeText(v.Elem(), path, out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Type.Kind() == reflect.String && (f.Type != reflect.TypeOf("") || codeFields[f.Name]) {
				continue // a named string type is a code (Status, Priority…)
			}
			plantFreeText(v.Field(i), path+"."+f.Name, out)
		}
	case reflect.Slice:
		for i := range v.Len() {
			plantFreeText(v.Index(i), path+"["+strconv.Itoa(i)+"]", out)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			elem := reflect.New(v.Type().Elem()).Elem()
			elem.Set(v.MapIndex(k))
			plantFreeText(elem, path+"["+k.String()+"]", out)
			v.SetMapIndex(k, elem)
		}
	case reflect.String:
		if v.Type() == reflect.TypeOf("") && v.CanSet() {
			c := "cnry" + strings.NewReplacer(".", "", "[", "", "]", "").Replace(path) + "qz"
			v.SetString(c)
			*out = append(*out, c)
		}
	}
}

// TestPublic_NoFreeText: the public variant carries no free text — a
// canary in every free-text field of a request (found by walking the
// request's type, so a new field is covered the day it is added) reaches
// neither its CSV nor its JSON, and each reaches the restricted variant
// only through a column that is not public.
func TestPublic_NoFreeText(t *testing.T) {
	row := full()
	row.Request.Sectors = nil // codes
	var canaries []string
	plantFreeText(reflect.ValueOf(&row.Request), "", &canaries)
	plantFreeText(reflect.ValueOf(&row.Lifecycle), "Lifecycle", &canaries)
	if len(canaries) == 0 {
		t.Fatal("no free-text field found")
	}
	for _, format := range []string{"csv", "json"} {
		for _, public := range []bool{true, false} {
			var buf bytes.Buffer
			o := export.Options{Public: public}
			var w export.Writer
			var err error
			if format == "csv" {
				w, err = export.NewCSVWriter(&buf, o)
			} else {
				w, err = export.NewJSONWriter(&buf, o)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(row); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			found := 0
			for _, c := range canaries {
				if strings.Contains(buf.String(), c) {
					found++
					if public {
						t.Errorf("public %s carries free text %s", format, c)
					}
				}
			}
			if !public && found == 0 {
				t.Errorf("the restricted %s carries none of the canaries: the test plants them where no column reads", format)
			}
		}
	}
}

// full is tricky's request through its whole lifecycle: every checklist
// item evaluated (their states cycling through domain.ItemStates, every
// item answered with a note), an extension, consent, a tasking, reports
// and the hand-over.
func full() export.Row {
	r := tricky()
	r.ExtensionOf = "SDN-RFA-0000"
	r.Request.Destination.Lat, r.Request.Destination.Lon = f64(13.63), f64(25.35)
	r.Request.RequiredBy = r.Request.SubmittedAt.Add(72 * time.Hour)
	r.Request.ExitStrategy.Date = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	r.Request.Checklist = map[string]domain.Answer{}
	for i, it := range domain.Checklist {
		state := domain.ItemStates[i%len(domain.ItemStates)]
		r.Evaluation.Items = append(r.Evaluation.Items, resultIn(it.ID, state))
		r.Request.Checklist[it.ID] = domain.Answer{Value: "yes", Note: "why " + it.ID}
	}
	tasked := r.DecidedAt.Add(2 * time.Hour)
	r.Lifecycle = export.Lifecycle{
		Consent: "consented",
		Tasking: &domain.Tasking{ProviderISO3: "NOR", Unit: "Royal Norwegian Air Force 720 Sqn", AssetType: "Bell 412 helicopter",
			AssetCount: 2, TaskedAt: tasked, DeclinedAt: tasked.Add(time.Hour), StartedAt: tasked.Add(24 * time.Hour)},
		Handover: &domain.Handover{Organization: "WFP", Date: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
		Reports:  2,
		Totals:   domain.ExecutionReport{Sorties: 12, FlightHours: 30.5, Tonnes: 40.25, Passengers: 80, Medevacs: 3, PeopleReached: 5000},
	}
	return r
}

// resultIn is an item result whose State is s.
func resultIn(id string, s domain.ItemState) domain.ItemResult {
	res := domain.ItemResult{ID: id, Status: domain.ItemOK}
	switch s {
	case domain.StateJustified:
		res.Justified = true
	case domain.StateNeedsJustification:
		res.Status = domain.ItemNeedsJustification
	case domain.StateMissing:
		res.Status = domain.ItemMissing
	case domain.StateBlocking:
		res.Status = domain.ItemBlocked
	case domain.StateAwaitingOfficer:
		res.Reason = "checklist.reason.officer_fills"
	}
	if res.State() != s {
		panic("resultIn: no result in state " + string(s))
	}
	return res
}

// csvRows writes rows as CSV with o and returns the data rows keyed by
// column key, and the hashtag row.
func csvRows(t *testing.T, o export.Options, rows ...export.Row) ([]map[string]string, []string) {
	t.Helper()
	var buf bytes.Buffer
	w, err := export.NewCSVWriter(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cols := export.Select(o)
	var out []map[string]string
	for _, rec := range recs[2:] {
		m := map[string]string{}
		for i, c := range cols {
			m[c.Key] = rec[i]
		}
		out = append(out, m)
	}
	return out, recs[1]
}

// TestColumns_FullLifecycle: a request through its whole lifecycle has a
// value in every column of the tracker, labels included, but the ones
// another outcome fills (a rejection date) and the justification of an
// item that is not justified.
func TestColumns_FullLifecycle(t *testing.T) {
	rows, _ := csvRows(t, export.Options{Labels: labels("fr")}, full())
	blankable := map[string]bool{"rejected_at": true, "end_date": true, "origin_adm1_pcode": true}
	for _, c := range export.Select(export.Options{Labels: labels("fr")}) {
		if strings.HasSuffix(c.Key, "_justification") || strings.Contains(c.Key, "_justification_label_") {
			continue // TestColumns_ItemStates
		}
		if rows[0][c.Key] == "" && !blankable[c.Key] {
			t.Errorf("%s (%s) is blank for a full-lifecycle request", c.Key, c.HXL)
		}
	}
	want := map[string]string{
		"extension_of": "SDN-RFA-0000", "consent_status": "consented", "consent_status_label_fr": "fr:consent.consented",
		"provider_iso3": "NOR", "provider_unit": "Royal Norwegian Air Force 720 Sqn", "asset_type": "Bell 412 helicopter",
		"asset_count": "2", "tasked_at": "2026-03-02T16:30:00Z", "execution_started_at": "2026-03-03T16:30:00Z",
		"handed_over_to": "WFP", "handed_over_on": "2026-04-01", "reports": "2", "sorties": "12", "flight_hours": "30.5",
		"tonnes": "40.25", "passengers": "80", "medevacs": "3", "people_reached": "5000", "hours_to_decision": "30.0",
		"sector_codes": "LOG, HEA", "sector_codes_label_fr": "fr:sector.LOG; fr:sector.HEA",
	}
	for k, v := range want {
		if rows[0][k] != v {
			t.Errorf("%s = %q, want %q", k, rows[0][k], v)
		}
	}
	// Before anything happened after approval: blank, not zero.
	r := tricky()
	rows, _ = csvRows(t, export.Options{}, r)
	for _, k := range []string{"consent_status", "provider_iso3", "asset_count", "tasked_at", "handed_over_on", "reports", "sorties", "tonnes", "extension_of"} {
		if rows[0][k] != "" {
			t.Errorf("untasked %s = %q, want blank", k, rows[0][k])
		}
	}
	// A report of nothing is a 0, not a blank.
	r.Lifecycle.Reports = 1
	rows, _ = csvRows(t, export.Options{}, r)
	if rows[0]["sorties"] != "0" || rows[0]["tonnes"] != "0.00" {
		t.Errorf("a report of nothing: sorties %q tonnes %q, want 0 and 0.00", rows[0]["sorties"], rows[0]["tonnes"])
	}
}

// TestColumns_ItemStates walks domain.Checklist and domain.ItemStates:
// every item a file may carry has a state and a justification column,
// every state appears as itself (with its label), the justification only
// where the item is justified; items whose guard never leaves the screen
// have no column.
func TestColumns_ItemStates(t *testing.T) {
	keys := map[string]bool{}
	for _, c := range export.Columns {
		keys[c.Key] = true
	}
	for _, it := range domain.Checklist {
		k := strings.ToLower(it.ID)
		carried := it.Guard == "" || domain.ChannelCarries(domain.ChannelExport, it.Guard)
		if keys[k+"_state"] != carried || keys[k+"_justification"] != carried {
			t.Errorf("%s: columns %v, want %v (guard %q)", it.ID, keys[k+"_state"], carried, it.Guard)
		}
	}
	for shift := range domain.ItemStates { // every item in every state
		row := full()
		seen := map[domain.ItemState]bool{}
		for i := range row.Evaluation.Items {
			row.Evaluation.Items[i] = resultIn(row.Evaluation.Items[i].ID, domain.ItemStates[(i+shift)%len(domain.ItemStates)])
		}
		rows, _ := csvRows(t, export.Options{Labels: labels("ar")}, row)
		for i, it := range domain.Checklist {
			k := strings.ToLower(it.ID)
			if !keys[k+"_state"] {
				continue
			}
			state := domain.ItemStates[(i+shift)%len(domain.ItemStates)]
			seen[state] = true
			if got := rows[0][k+"_state"]; got != string(state) {
				t.Errorf("%s in %s: state %q", it.ID, state, got)
			}
			if got := rows[0][k+"_state_label_ar"]; got != "ar:checklist.state."+string(state) {
				t.Errorf("%s in %s: label %q", it.ID, state, got)
			}
			want := ""
			if state == domain.StateJustified {
				want = "why " + it.ID
			}
			if got := rows[0][k+"_justification"]; got != want {
				t.Errorf("%s in %s: justification %q, want %q", it.ID, state, got, want)
			}
		}
		if shift == len(domain.ItemStates)-1 {
			for _, s := range domain.ItemStates {
				if !seen[s] {
					t.Errorf("state %s never exported", s)
				}
			}
		}
	}
}

// TestGuard_Formulas: every cell a spreadsheet would read as a formula —
// a leading = + - @ or their full-width forms, a tab, a carriage return —
// is defused, but a phone number's leading + is kept, in every text
// column of the CSV.
func TestGuard_Formulas(t *testing.T) {
	for in, want := range map[string]string{
		"+249 1 555":          "+249 1 555",
		"+44 (0)20 7946-0958": "+44 (0)20 7946-0958",
		"+1.555.123.4567":     "+1.555.123.4567",
		"+cmd|' /C calc'!A0":  "'+cmd|' /C calc'!A0",
		"+1+HYPERLINK(\"x\")": "'+1+HYPERLINK(\"x\")",
		"+":                   "'+",
		"=1+1":                "'=1+1",
		"-2+3":                "'-2+3",
		"@SUM(A1)":            "'@SUM(A1)",
		"＝HYPERLINK(\"x\")":   "'＝HYPERLINK(\"x\")",
		"＋249 1 555":          "'＋249 1 555",
		"－1":                  "'－1",
		"＠SUM(A1)":            "'＠SUM(A1)",
		"\tWFP":               "'\tWFP",
		"\rWFP":               "'WFP", // encoding/csv reads a lone \r back as nothing
		"WFP +1":              "WFP +1",
		"00249 1 555":         "00249 1 555",
		"الفاشر":              "الفاشر",
	} {
		r := tricky()
		r.Request.POC.Phone, r.Request.Capability = in, in
		rows, _ := csvRows(t, export.Options{}, r)
		if got := rows[0]["contact_phone"]; got != want {
			t.Errorf("phone %q written %q, want %q", in, got, want)
		}
		if got := rows[0]["capability"]; got != want {
			t.Errorf("capability %q written %q, want %q", in, got, want)
		}
	}
}

// TestJSON_ListsAndNumbers: sectors are a JSON array (empty, not null,
// when none), hours to decision a number with its decimal, a report's
// totals numbers.
func TestJSON_ListsAndNumbers(t *testing.T) {
	for _, hxl := range []bool{false, true} {
		var buf bytes.Buffer
		w, err := export.NewJSONWriter(&buf, export.Options{HXLKeys: hxl})
		if err != nil {
			t.Fatal(err)
		}
		none := full()
		none.Request.Sectors = []string{}
		for _, r := range []export.Row{full(), none} {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), `:30.0,`) {
			t.Errorf("hours to decision not written with its decimal:\n%s", buf.String())
		}
		var got []map[string]any
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("%v\n%s", err, buf.Bytes())
		}
		sk, tk := "sector_codes", "tonnes"
		if hxl {
			sk, tk = "#sector+cluster+code+list+v_ocha_clusters", "#output+num+tonnes"
		}
		if !reflect.DeepEqual(got[0][sk], []any{"LOG", "HEA"}) || !reflect.DeepEqual(got[1][sk], []any{}) {
			t.Errorf("sectors = %#v, %#v", got[0][sk], got[1][sk])
		}
		if got[0][tk] != 40.25 {
			t.Errorf("tonnes = %#v", got[0][tk])
		}
	}
}
