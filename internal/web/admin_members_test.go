package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

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
		wantFlashText(t, d, "The invitation is recorded") // an officer is never told whether the address has an account
		id := strconv.FormatInt(bea.ID, 10)
		if testid(d, "member-"+id).Length() != 0 || strings.Contains(testid(d, "members").Text(), "WFP") {
			t.Error("the invited account is listed before it signs in")
		}
		if got := testid(d, "invitations").Find(`[data-testid="invitation-email"]`).Text(); got != "bea@example.org" {
			t.Errorf("invitation listed for %q", got)
		}
		// Bea signs in: the invitation takes effect.
		f.signIn(t, "bea@example.org")
		d = doc(t, f.get(t, c, "/operations/OPA/members"))
		if testid(d, "invitations").Length() != 0 {
			t.Error("the accepted invitation is still listed")
		}
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

	// An officer adding an account outside the operation, a disabled
	// account and an address nobody has gets the same redirect, the same
	// flash and the same member page, with the same invitation row but
	// for its address, id and time; a role they may not grant is refused
	// with the same page for every address.
	t.Run("InvitationsRevealNothing", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustOperation(t, "OPA", domain.ContextMixed)
		officer := f.mustUser(t, "olga@example.org", 0)
		f.mustMember(t, "OPA", officer, domain.RoleOfficer)
		wfp := f.mustOrg(t, "WFP", domain.OrgUNAgency)
		f.mustUser(t, "outsider@example.org", wfp.ID)
		disabled := f.mustUser(t, "disabled@example.org", wfp.ID)
		disabled.Disabled = true
		if _, err := f.dir.UpdateUser(t.Context(), f.admin, disabled); err != nil {
			t.Fatal(err)
		}
		c := f.signIn(t, "olga@example.org")
		addresses := []string{"outsider@example.org", "disabled@example.org", "nobody@example.org"}
		idRe := regexp.MustCompile(`invitations/[0-9]+/|invitation-[0-9]+`)
		// Each form shown carries a fresh idempotency key.
		keyRe := regexp.MustCompile(`name="idempotency_key" value="[0-9a-f]+"`)
		// page is what the officer sees after an addition: the flash, the
		// members, and the invitation of email with its id, address and
		// time taken out.
		page := func(t *testing.T, email string) string {
			t.Helper()
			d := doc(t, f.get(t, c, "/operations/OPA/members"))
			row := testid(d, "invitations").Find(`tr:has([data-testid="invitation-email"]:contains("` + email + `"))`)
			if row.Length() != 1 {
				t.Fatalf("no invitation row for %s", email)
			}
			row.Find("td").Eq(3).Remove()
			inv, _ := goquery.OuterHtml(row)
			inv = idRe.ReplaceAllString(strings.ReplaceAll(inv, email, "EMAIL"), "ID")
			members, _ := goquery.OuterHtml(testid(d, "members"))
			return keyRe.ReplaceAllString(testid(d, "flash").Text()+members+inv, "KEY")
		}
		f.get(t, c, "/operations/OPA/members") // shows, and so ends, the sign-in flash
		var first, refused string
		for _, email := range addresses {
			r := f.post(t, c, "/operations/OPA/members", url.Values{"email": {email}, "roles": {"hc"}})
			wantStatus(t, r, http.StatusForbidden)
			body := string(r.body)
			if i := strings.Index(body, "<main"); i >= 0 {
				body = body[i:]
			}
			if body = keyRe.ReplaceAllString(strings.ReplaceAll(body, email, "EMAIL"), "KEY"); refused == "" {
				refused = body
			} else if body != refused {
				t.Errorf("refusal page for %s:\n%s\nfor %s:\n%s", email, body, addresses[0], refused)
			}
		}
		for _, email := range addresses {
			wantRedirect(t, f.post(t, c, "/operations/OPA/members", url.Values{"email": {email}, "roles": {"viewer"}}), "/operations/OPA/members")
			got := page(t, email)
			if first == "" {
				first = got
			} else if got != first {
				t.Errorf("after adding %s:\n%s\nafter adding %s:\n%s", email, got, addresses[0], first)
			}
		}
		d := doc(t, f.get(t, c, "/operations/OPA/members"))
		if text := testid(d, "members").Text(); strings.Contains(text, "WFP") || strings.Contains(text, "outsider") {
			t.Errorf("the member list names an account outside the operation: %q", text)
		}
		// Cancel one: it is gone, the others stay.
		form := testid(d, "invitations").Find(`tr:has([data-testid="invitation-email"]:contains("nobody@example.org")) form`)
		action, ok := form.Attr("action")
		if !ok {
			t.Fatal("no cancel button")
		}
		wantRedirect(t, f.post(t, c, action, url.Values{}), "/operations/OPA/members")
		d = doc(t, f.get(t, c, "/operations/OPA/members"))
		wantFlashText(t, d, "cancelled")
		if n := testid(d, "invitations").Find("tbody tr").Length(); n != len(addresses)-1 || strings.Contains(testid(d, "invitations").Text(), "nobody@") {
			t.Errorf("after cancelling: %d invitations: %q", n, testid(d, "invitations").Text())
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
