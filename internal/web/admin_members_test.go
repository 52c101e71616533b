package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

func TestMembers(t *testing.T) {
	t.Parallel()

	t.Run("OfficerAddsChangesRemoves", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustOperation(t, "OPA", domain.ContextMixed)
		officer := f.mustUser(t, "olga@example.org", 0)
		f.mustMember(t, "OPA", officer, domain.RoleOfficer)
		wfp := f.mustOrg(t, "WFP", domain.OrgUNAgency)
		bea := f.mustUser(t, "bea@example.org", wfp.ID)
		c := f.signIn(t, "olga@example.org")

		r := f.get(t, c, "/operations/OPA")
		if testid(doc(t, r), "members-link").Length() != 1 {
			t.Error("the operation page does not link an officer to its members")
		}
		r = f.get(t, c, "/operations/OPA/members")
		wantStatus(t, r, http.StatusOK)
		d := doc(t, r)
		if testid(d, "member-add-form").Find("fieldset legend").Length() != 1 {
			t.Error("the add form's roles are not a fieldset with a legend")
		}
		if d.Find(`label[for="roles-requester"]`).Length() != 1 {
			t.Error("role checkboxes are not labelled")
		}

		r = f.post(t, c, "/operations/OPA/members", url.Values{"email": {"BEA@example.org"}, "roles": {"requester", "viewer"}})
		wantRedirect(t, r, "/operations/OPA/members")
		d = doc(t, f.get(t, c, "/operations/OPA/members"))
		wantFlashText(t, d, "If this address belongs to an active account") // an officer is never told whether it does
		id := strconv.FormatInt(bea.ID, 10)
		row := testid(d, "member-"+id)
		if got := row.Find(`[data-testid="member-roles"]`).Text(); got != "Requester, Viewer" {
			t.Errorf("roles = %q", got)
		}
		if !strings.Contains(row.Text(), "WFP") || !strings.Contains(row.Text(), "bea@example.org") {
			t.Errorf("row lacks the organisation or e-mail: %q", row.Text())
		}
		if _, ok := row.Find("#roles-" + id + "-viewer").Attr("checked"); !ok {
			t.Error("the member's role form does not show their roles")
		}

		wantRedirect(t, f.post(t, c, "/operations/OPA/members/"+id, url.Values{"roles": {"hct_member"}}), "/operations/OPA/members")
		d = doc(t, f.get(t, c, "/operations/OPA/members"))
		wantFlashText(t, d, "roles are saved")
		if got := testid(d, "member-"+id).Find(`[data-testid="member-roles"]`).Text(); got != "HCT member" {
			t.Errorf("roles after change = %q", got)
		}

		wantRedirect(t, f.post(t, c, "/operations/OPA/members/"+id+"/remove", url.Values{}), "/operations/OPA/members")
		d = doc(t, f.get(t, c, "/operations/OPA/members"))
		wantFlashText(t, d, "removed")
		if testid(d, "member-"+id).Length() != 0 {
			t.Error("the removed member is still listed")
		}
	})

	t.Run("ErrAddKeepsValues", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustOperation(t, "OPA", domain.ContextMixed)
		c := f.signIn(t, "admin@example.org")
		r := f.post(t, c, "/operations/OPA/members", url.Values{"email": {"nobody@example.org"}, "roles": {"hc"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		d := doc(t, r)
		wantFieldError(t, d, "email", "No user has this e-mail address")
		wantValue(t, d, "email", "nobody@example.org")
		if _, ok := d.Find("#roles-hc").Attr("checked"); !ok {
			t.Error("the ticked role was lost")
		}
		f.mustUser(t, "bea@example.org", 0)
		r = f.post(t, c, "/operations/OPA/members", url.Values{"email": {"bea@example.org"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "roles", "at least one role")
		r = f.post(t, c, "/operations/OPA/members", url.Values{"email": {"bea@example.org"}, "roles": {"general"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "roles", "Choose roles from the list")
	})

	t.Run("ErrOtherOperation", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustOperation(t, "OPA", domain.ContextMixed)
		f.mustOperation(t, "OPB", domain.ContextMixed)
		officer := f.mustUser(t, "olga@example.org", 0)
		f.mustMember(t, "OPA", officer, domain.RoleOfficer)
		other := f.mustUser(t, "otto@example.org", 0)
		f.mustMember(t, "OPB", other, domain.RoleRequester)
		c := f.signIn(t, "olga@example.org")
		wantStatus(t, f.get(t, c, "/operations/OPB/members"), http.StatusNotFound)
		oid := strconv.FormatInt(other.ID, 10)
		wantStatus(t, f.post(t, c, "/operations/OPB/members", url.Values{"email": {"olga@example.org"}, "roles": {"requester"}}), http.StatusNotFound)
		wantStatus(t, f.post(t, c, "/operations/OPB/members/"+oid, url.Values{"roles": {"viewer"}}), http.StatusNotFound)
		wantStatus(t, f.post(t, c, "/operations/OPB/members/"+oid+"/remove", url.Values{}), http.StatusNotFound)
		if _, ms, err := f.dir.ListMembers(t.Context(), f.admin, "OPB"); err != nil || len(ms) != 1 || !ms[0].Roles.Has(domain.RoleRequester) {
			t.Errorf("OPB members changed: %+v, %v", ms, err)
		}
	})

	t.Run("ErrRequester", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustOperation(t, "OPA", domain.ContextMixed)
		ana := f.mustUser(t, "ana@example.org", 0)
		f.mustMember(t, "OPA", ana, domain.RoleRequester)
		c := f.signIn(t, "ana@example.org")
		wantStatus(t, f.get(t, c, "/operations/OPA/members"), http.StatusForbidden)
		wantStatus(t, f.post(t, c, "/operations/OPA/members", url.Values{"email": {"ana@example.org"}, "roles": {"cmcoord_officer"}}), http.StatusForbidden)
		aid := strconv.FormatInt(ana.ID, 10)
		wantStatus(t, f.post(t, c, "/operations/OPA/members/"+aid, url.Values{"roles": {"cmcoord_officer"}}), http.StatusForbidden)
		if testid(doc(t, f.get(t, c, "/operations/OPA")), "members-link").Length() != 0 {
			t.Error("a requester is offered the member list")
		}
	})
}
