package export_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
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
func TestColumns_HXLGrammar(t *testing.T) {
	core := map[string]bool{"#meta": true, "#country": true, "#crisis": true, "#activity": true, "#description": true,
		"#org": true, "#sector": true, "#capacity": true, "#modality": true, "#targeted": true, "#loc": true,
		"#adm1": true, "#adm2": true, "#geo": true, "#date": true, "#status": true, "#indicator": true, "#contact": true}
	keyRe := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	keys, specs := map[string]bool{}, map[string]bool{}
	for _, c := range export.Columns {
		parts := strings.Fields(c.HXL)
		if len(parts) == 0 || !hashtagRe.MatchString(parts[0]) {
			t.Errorf("%s: hashtag %q breaks the grammar", c.Key, c.HXL)
			continue
		}
		if !core[parts[0]] && !strings.HasPrefix(parts[0], "#x_") {
			t.Errorf("%s: %s is neither core nor an x_ extension", c.Key, parts[0])
		}
		for _, a := range parts[1:] {
			if !attributeRe.MatchString(a) {
				t.Errorf("%s: attribute %q breaks the grammar", c.Key, a)
			}
		}
		if !keyRe.MatchString(c.Key) || keys[c.Key] {
			t.Errorf("key %q is not snake_case or repeats", c.Key)
		}
		keys[c.Key] = true
		n := export.NormalizeHXL(c.HXL)
		if specs[n] {
			t.Errorf("%s: hashtag spec %s repeats", c.Key, n)
		}
		specs[n] = true
		if c.Restricted && c.Public {
			t.Errorf("%s: restricted and public", c.Key)
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
		"#meta +id":                               "SDN-RFA-0001",
		"#activity +name":                         `Airlift "urgent", phase 1`,
		"#description +need":                      "line one\nline two, with comma\nand CRLF", // encoding/csv reads \r\n as \n
		"#description":                            `'=HYPERLINK("http://evil","x")`,
		"#capacity +type":                         "'+cmd|' /C calc'!A0",
		"#org +name +requester":                   "Médecins Sans Frontières",
		"#sector +cluster +code +v_ocha_clusters": "LOG;HEA",
		"#loc +name +origin":                      "'-minus start",
		"#adm1 +name +origin":                     "'@at start",
		"#geo +lat +origin":                       "-12.5",
		"#loc +name +dest":                        "الفاشر",
		"#adm1 +name +dest":                       "شمال دارفور",
		"#date +reported":                         "2026-03-01T08:30:00Z",
		"#date +start":                            "2026-03-05",
		"#date +end":                              "",
		"#date +approved":                         "2026-03-02T14:30:00Z",
		"#date +rejected":                         "",
		"#indicator +num +hours_to_decision":      "30",
		"#targeted +ind":                          "1200",
		"#org +name +handover":                    "'\tWFP",
		"#contact +name":                          "Zoë Ñandú",
		"#contact +phone":                         "'+249 1 555",
		"#x_priority":                             "high",
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
}
