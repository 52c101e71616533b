package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

func TestAdminOrganizations(t *testing.T) {
	t.Parallel()

	t.Run("CreateAndEdit", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		c := f.signIn(t, "admin@example.org")
		r := f.get(t, c, "/admin")
		wantStatus(t, r, http.StatusOK)
		for _, id := range []string{"organizations", "users", "operations"} {
			if testid(doc(t, r), "admin-link-"+id).Length() != 1 {
				t.Errorf("the administration home lacks %s", id)
			}
		}
		r = f.get(t, c, "/admin/organizations/new")
		wantStatus(t, r, http.StatusOK)
		if got := selected(doc(t, r), "type"); got != "" {
			t.Errorf("a new organisation's type is preselected: %q", got)
		}
		r = f.post(t, c, "/admin/organizations/new", url.Values{"name": {"World Food Programme"}, "acronym": {"WFP"},
			"type": {"un_agency"}, "un_entity": {"true"}})
		wantRedirect(t, r, "/admin/organizations")
		d := doc(t, f.get(t, c, "/admin/organizations"))
		wantFlashText(t, d, "created")
		orgs, err := f.dir.ListOrganizations(t.Context(), f.admin)
		if err != nil {
			t.Fatal(err)
		}
		var wfp domain.Organization
		for _, o := range orgs {
			if o.Acronym == "WFP" {
				wfp = o
			}
		}
		if wfp.ID == 0 || wfp.Type != domain.OrgUNAgency || !wfp.UNEntity {
			t.Fatalf("stored organisation = %+v", wfp)
		}
		row := testid(d, "organization-"+strconv.FormatInt(wfp.ID, 10))
		if !strings.Contains(row.Text(), "UN agency") || !strings.Contains(row.Text(), "Yes") {
			t.Errorf("row = %q, want the type and UN entity in words", strings.Join(strings.Fields(row.Text()), " "))
		}

		path := "/admin/organizations/" + strconv.FormatInt(wfp.ID, 10)
		d = doc(t, f.get(t, c, path))
		wantValue(t, d, "acronym", "WFP")
		if got := selected(d, "type"); got != "un_agency" {
			t.Errorf("type = %q", got)
		}
		wantRedirect(t, f.post(t, c, path, url.Values{"name": {"WFP"}, "acronym": {"WFP"}, "type": {"un_agency"}}), "/admin/organizations")
		if o, err := f.dir.GetOrganization(t.Context(), f.admin, wfp.ID); err != nil || o.Name != "WFP" || o.UNEntity {
			t.Errorf("after edit: %+v, %v (want the name changed and the UN flag cleared)", o, err)
		}
	})

	t.Run("ErrInvalidKeepsValues", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		c := f.signIn(t, "admin@example.org")
		r := f.post(t, c, "/admin/organizations/new", url.Values{"name": {"OCHA"}, "acronym": {""}, "type": {"army"}, "un_entity": {"true"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		d := doc(t, r)
		wantFieldError(t, d, "acronym", "Enter a value")
		wantFieldError(t, d, "type", "Choose one")
		wantValue(t, d, "name", "OCHA")
		if _, ok := d.Find("#un_entity").Attr("checked"); !ok {
			t.Error("the UN entity tick was lost")
		}
		// The fixture's organisation is named OCHA: the name is taken.
		r = f.post(t, c, "/admin/organizations/new", url.Values{"name": {"OCHA"}, "acronym": {"OCHA"}, "type": {"un_agency"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "name", "already exists")
	})
}
