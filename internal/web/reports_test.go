package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cmcoord/cmcoord/internal/domain"
	fx "github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestReportLinks: the operation page and the request list link to the
// summary and to the export form exactly for the roles the summary and
// export routes let in (summary: officer, HC, HCT member, viewer;
// export: officer, HC, viewer); the summary page has the export form
// only for the roles that may export.
func TestReportLinks(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	op := f.mustOperation(t, "NPL-EQ", domain.ContextNaturalDisaster)
	cases := []struct {
		role            domain.Role
		summary, export bool
	}{
		{domain.RoleRequester, false, false},
		{domain.RoleOfficer, true, true},
		{domain.RoleHCTMember, true, false},
		{domain.RoleHC, true, true},
		{domain.RoleHRDDPReviewer, false, false},
		{domain.RoleViewer, true, true},
	}
	for _, tc := range cases {
		email := strings.ReplaceAll(string(tc.role), "_", "-") + "@example.org"
		f.mustMember(t, op.Code, f.mustUser(t, email, 0), tc.role)
		c := f.signIn(t, email)
		for _, page := range []string{"/operations/NPL-EQ", "/operations/NPL-EQ/requests"} {
			res := f.get(t, c, page)
			wantStatus(t, res, http.StatusOK)
			d := doc(t, res)
			if got := testid(d, "summary-link").AttrOr("href", ""); (got == "/operations/NPL-EQ/summary") != tc.summary {
				t.Errorf("%s on %s: summary link %q, want shown %v", tc.role, page, got, tc.summary)
			}
			if got := testid(d, "export-link").AttrOr("href", ""); (got == "/operations/NPL-EQ/summary#export") != tc.export {
				t.Errorf("%s on %s: export link %q, want shown %v", tc.role, page, got, tc.export)
			}
			if tc.summary && testid(d, "summary-link").Text() != "Summary" || tc.export && testid(d, "export-link").Text() != "Export" {
				t.Errorf("%s on %s: link texts %q, %q", tc.role, page, testid(d, "summary-link").Text(), testid(d, "export-link").Text())
			}
		}
		// The links follow the routes' own answers.
		sum := f.get(t, c, "/operations/NPL-EQ/summary")
		if (sum.StatusCode == http.StatusOK) != tc.summary {
			t.Errorf("%s: summary answers %d, link shown %v", tc.role, sum.StatusCode, tc.summary)
		}
		if exp := f.get(t, c, "/operations/NPL-EQ/exports/requests.csv"); (exp.StatusCode == http.StatusOK) != tc.export {
			t.Errorf("%s: export answers %d, link shown %v", tc.role, exp.StatusCode, tc.export)
		}
		if tc.summary {
			if got := testid(doc(t, sum), "export-form").Length(); (got == 1) != tc.export {
				t.Errorf("%s: %d export forms on the summary, want one %v", tc.role, got, tc.export)
			}
		}
	}
	// An admin who is not a member sees the operation page, without the
	// members' report links (neither route lets them in).
	d := doc(t, f.get(t, f.signIn(t, "admin@example.org"), "/operations/NPL-EQ"))
	if testid(d, "operation-page").Length() != 1 || testid(d, "summary-link").Length() != 0 || testid(d, "export-link").Length() != 0 {
		t.Error("the admin's operation page: missing, or with report links")
	}
}

// TestSummaryExportForm: the summary's export form is a plain GET form
// whose buttons target each format's export URL, with every input
// labelled and named as the export query expects, its dates set to the
// summary's period; submitted as a browser would, it downloads a CSV
// with the request, and the filters it offers narrow the download.
func TestSummaryExportForm(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	ctx := t.Context()
	op := f.mustOperation(t, "NPL-EQ", domain.ContextNaturalDisaster)
	requester := f.mustUser(t, "rita@example.org", 0)
	f.mustMember(t, op.Code, requester, domain.RoleRequester)
	f.mustMember(t, op.Code, f.mustUser(t, "omar@example.org", 0), domain.RoleOfficer)
	ra := f.mustActor(t, requester)
	r, _, err := f.reqs.Create(ctx, ra, op.Code, fx.Request("Airlift to Upper Valley", f.clock.Now()), "")
	if err != nil {
		t.Fatal(err)
	}
	if r, err = f.reqs.Transition(ctx, ra, r.ID, domain.ActionSubmit, domain.TransitionInput{Version: r.Version}); err != nil {
		t.Fatal(err)
	}

	c := f.signIn(t, "omar@example.org")
	res := f.get(t, c, "/operations/NPL-EQ/summary?from=2020-01-01")
	wantStatus(t, res, http.StatusOK)
	d := doc(t, res)
	form := d.Find(`form[data-testid="export-form"]`)
	if form.AttrOr("method", "") != "get" || form.AttrOr("action", "") != "/operations/NPL-EQ/exports/requests.csv" {
		t.Fatalf("export form: method %q action %q", form.AttrOr("method", ""), form.AttrOr("action", ""))
	}
	actions := map[string]string{}
	form.Find(`button[type="submit"]`).Each(func(_ int, b *goquery.Selection) {
		actions[b.AttrOr("data-testid", "")] = b.AttrOr("formaction", "")
	})
	for _, format := range []string{"csv", "xlsx", "json"} {
		if got := actions["export-"+format]; got != "/operations/NPL-EQ/exports/requests."+format {
			t.Errorf("the %s button submits to %q", format, got)
		}
	}
	form.Find("input, select").Each(func(_ int, in *goquery.Selection) {
		id := in.AttrOr("id", "")
		if id == "" || form.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("input %q (name %q) has no label", id, in.AttrOr("name", ""))
		}
	})
	if got := testid(d, "field-export-status").Find(`input[name="status"]`).Length(); got != len(domain.Statuses()) {
		t.Errorf("%d status boxes, want %d", got, len(domain.Statuses()))
	}
	today := f.clock.Now().UTC().Format("2006-01-02")
	q := formQuery(form)
	if q.Get("from") != "2020-01-01" || q.Get("to") != today || q.Get("date_field") != "submitted" {
		t.Errorf("the form's period is %q to %q on %q, want the summary's 2020-01-01 to %s on submitted", q.Get("from"), q.Get("to"), q.Get("date_field"), today)
	}

	download := func(format string, q url.Values) response {
		t.Helper()
		res := f.get(t, c, actions["export-"+format]+"?"+q.Encode())
		wantStatus(t, res, http.StatusOK)
		return res
	}
	res = download("csv", q)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(res.body, r.Reference) ||
		!strings.Contains(res.body, "Upper Valley cut off") {
		t.Errorf("the default download: %s\n%.400s", ct, res.body)
	}
	// Filters ticked in the form: a status, a sector, the public variant.
	q.Add("status", "submitted")
	q.Set("sector", "LOG")
	q.Set("public", "true") // the checkbox's value
	if res = download("csv", q); !strings.Contains(res.body, r.Reference) || strings.Contains(res.body, "Upper Valley cut off") {
		t.Errorf("submitted, LOG, public: want the request without its free text\n%.600s", res.body)
	}
	q.Set("status", "approved")
	if res = download("csv", q); strings.Contains(res.body, r.Reference) {
		t.Error("filtering on approved still lists the submitted request")
	}
	q.Del("status")
	q.Del("public")
	q.Set("hxl", "true")
	if res = download("json", q); !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || !strings.Contains(res.body, "#meta") {
		t.Errorf("HXL-keyed JSON: %s\n%.400s", res.Header.Get("Content-Type"), res.body)
	}
	if res = download("xlsx", formQuery(form)); !strings.HasPrefix(res.body, "PK") {
		t.Error("the XLSX download is not a zip")
	}
}

// formQuery is what a browser submits for form as rendered: text and
// date inputs, ticked checkboxes, each select's chosen option.
func formQuery(form *goquery.Selection) url.Values {
	q := url.Values{}
	form.Find("input[name]").Each(func(_ int, in *goquery.Selection) {
		name, val := in.AttrOr("name", ""), in.AttrOr("value", "")
		if in.AttrOr("type", "text") == "checkbox" {
			if _, on := in.Attr("checked"); on {
				q.Add(name, val)
			}
			return
		}
		q.Add(name, val)
	})
	form.Find("select[name]").Each(func(_ int, sel *goquery.Selection) {
		opt := sel.Find("option[selected]").First()
		if opt.Length() == 0 {
			opt = sel.Find("option").First()
		}
		q.Add(sel.AttrOr("name", ""), opt.AttrOr("value", ""))
	})
	return q
}
