package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestMembers_GrantControls: for an officer and an administrator, each
// member's row offers exactly the roles domain.GrantableRoles lists (none
// on the reader's own row), shows the remove button exactly when
// domain.CanSetRoles would accept the removal, and the service accepts
// what is shown and refuses what is not: a control is shown exactly when
// the service would accept it. It walks a member holding each role.
func TestMembers_GrantControls(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	op := f.mustOperation(t, "OPA", domain.ContextMixed)
	officerUser := f.mustUser(t, "olga@example.org", 0)
	f.mustMember(t, "OPA", officerUser, domain.RoleOfficer)
	holders := map[domain.Role]domain.User{}
	for _, r := range domain.AllRoles {
		u := f.mustUser(t, "holder-"+strings.ReplaceAll(string(r), "_", "-")+"@example.org", 0)
		f.mustMember(t, "OPA", u, r)
		holders[r] = u
	}
	readers := map[string]domain.Actor{"officer": f.mustActor(t, officerUser), "admin": f.admin}
	for name, by := range readers {
		c := f.signIn(t, by.Email)
		rows := map[int64]domain.RoleSet{officerUser.ID: {domain.RoleOfficer}}
		for r, u := range holders {
			rows[u.ID] = domain.RoleSet{r}
		}
		for id, roles := range rows {
			sid := strconv.FormatInt(id, 10)
			d := doc(t, f.get(t, c, "/operations/OPA/members"))
			row := testid(d, "member-"+sid)
			var offered []string
			row.Find(`input[type="checkbox"][name="roles"]`).Each(func(_ int, s *goquery.Selection) {
				v, _ := s.Attr("value")
				offered = append(offered, v)
			})
			want := domain.GrantableRoles(by, op.ID, id).Strings()
			if strings.Join(offered, ",") != strings.Join(want, ",") {
				t.Errorf("%s reads member %d %v: offered %v, want %v", name, id, roles, offered, want)
			}
			canRemove := domain.CanSetRoles(by, op.ID, id, roles, nil) == nil
			if shown := row.Find(`[data-testid="member-remove"]`).Length() == 1; shown != canRemove {
				t.Errorf("%s reads member %d %v: remove button shown %v, removal allowed %v", name, id, roles, shown, canRemove)
			}
			// A role the row does not offer, ticked anyway, is refused at
			// the roles and changes nothing.
			for _, r := range domain.AllRoles {
				if domain.GrantableRoles(by, op.ID, id).Has(r) || roles.Has(r) {
					continue
				}
				resp := f.post(t, c, "/operations/OPA/members/"+sid, url.Values{"roles": {string(r)}})
				wantStatus(t, resp, http.StatusForbidden)
				rd := doc(t, resp)
				if testid(rd, "error-summary").Length() != 1 {
					t.Errorf("%s ticks %s for member %d: no error summary", name, r, id)
				}
				if len(want) > 0 && testid(rd, "error-roles-"+sid).Text() == "" {
					t.Errorf("%s ticks %s for member %d: no message at the roles", name, r, id)
				}
			}
			// What is shown is accepted: the remove button.
			if canRemove {
				wantRedirect(t, f.post(t, c, "/operations/OPA/members/"+sid+"/remove", url.Values{}), "/operations/OPA/members")
				f.mustMember(t, "OPA", domain.User{ID: id, Email: sid}, roles...)
			} else {
				wantStatus(t, f.post(t, c, "/operations/OPA/members/"+sid+"/remove", url.Values{}), http.StatusForbidden)
			}
		}
	}
	// The HC holder keeps HC when the officer ticks a role beside it; the
	// row says so.
	c := f.signIn(t, "olga@example.org")
	hc := holders[domain.RoleHC]
	sid := strconv.FormatInt(hc.ID, 10)
	if got := testid(doc(t, f.get(t, c, "/operations/OPA/members")), "member-"+sid).Find(`[data-testid="member-fixed-roles"]`).Text(); !strings.Contains(got, "Humanitarian Coordinator") {
		t.Errorf("the HC holder's row does not show HC as kept: %q", got)
	}
	wantRedirect(t, f.post(t, c, "/operations/OPA/members/"+sid, url.Values{"roles": {"viewer"}}), "/operations/OPA/members")
	if got := testid(doc(t, f.get(t, c, "/operations/OPA/members")), "member-"+sid).Find(`[data-testid="member-roles"]`).Text(); !strings.Contains(got, "Humanitarian Coordinator") || !strings.Contains(got, "Viewer") {
		t.Errorf("after the officer ticked viewer, roles = %q; want HC kept beside Viewer", got)
	}
}

// TestMembers_AddByEmailNoEnumeration: an officer adding by e-mail gets
// the same answer for an address nobody has, a disabled account and an
// account outside the operation.
func TestMembers_AddByEmailNoEnumeration(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	op := f.mustOperation(t, "OPA", domain.ContextMixed)
	officer := f.mustUser(t, "olga@example.org", 0)
	f.mustMember(t, "OPA", officer, domain.RoleOfficer)
	f.mustUser(t, "outside@example.org", 0)
	off := f.mustUser(t, "off@example.org", 0)
	off.Disabled = true
	if _, err := f.dir.UpdateUser(t.Context(), f.admin, off); err != nil {
		t.Fatal(err)
	}
	c := f.signIn(t, "olga@example.org")
	var flashes []string
	for _, email := range []string{"nobody@example.org", "off@example.org", "outside@example.org"} {
		r := f.post(t, c, "/operations/OPA/members", url.Values{"email": {email}, "roles": {"viewer"}})
		wantRedirect(t, r, "/operations/OPA/members")
		flashes = append(flashes, testid(doc(t, f.get(t, c, "/operations/OPA/members")), "flash").Text())
	}
	for _, fl := range flashes[1:] {
		if fl != flashes[0] {
			t.Errorf("answers differ: %q", flashes)
		}
	}
	// Roles the officer may not grant are refused whoever the address is.
	for _, email := range []string{"nobody@example.org", "outside@example.org"} {
		r := f.post(t, c, "/operations/OPA/members", url.Values{"email": {email}, "roles": {"hc"}})
		wantStatus(t, r, http.StatusForbidden)
	}
	// The add form offers only what the officer may grant.
	var offered []string
	testid(doc(t, f.get(t, c, "/operations/OPA/members")), "member-add-form").Find(`input[name="roles"]`).Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr("value")
		offered = append(offered, v)
	})
	if want := domain.GrantableRoles(f.mustActor(t, officer), op.ID, 0).Strings(); strings.Join(offered, ",") != strings.Join(want, ",") {
		t.Errorf("add form offers %v, want %v", offered, want)
	}
}

// TestDirectoryLogPage: administrators read the log, newest first, page
// by page without script; anyone else is refused.
func TestDirectoryLogPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustOperation(t, "OPA", domain.ContextMixed)
	officer := f.mustUser(t, "olga@example.org", 0)
	f.mustMember(t, "OPA", officer, domain.RoleOfficer)
	for i := 0; i < 55; i++ { // more than a page
		f.mustOrg(t, "Org "+strconv.Itoa(i), domain.OrgNNGO)
	}
	admin := f.signIn(t, "admin@example.org")
	r := f.get(t, admin, "/admin")
	if testid(doc(t, r), "admin-link-audit").Length() != 1 {
		t.Error("the administration home does not link the directory log")
	}
	d := doc(t, f.get(t, admin, "/admin/audit"))
	// Newest first: the admin's sign-in, with its address, then the last
	// organisation created.
	signIn := testid(d, "dirlog").Find("tbody tr").First()
	if !strings.Contains(signIn.Text(), "Signed in") || !strings.Contains(signIn.Text(), "Address: 127.0.0.1") {
		t.Errorf("newest entry = %q, want the sign-in with its address", signIn.Text())
	}
	first := signIn.Next()
	if !strings.Contains(first.Find(`[data-testid="dirlog-action"]`).Text(), "Organisation created") ||
		!strings.Contains(first.Find(`[data-testid="dirlog-actor"]`).Text(), "Ada Admin") {
		t.Errorf("newest entry = %q", first.Text())
	}
	older, ok := testid(d, "dirlog-older").Attr("href")
	if !ok {
		t.Fatal("no link to older entries")
	}
	d2 := doc(t, f.get(t, admin, older))
	if testid(d2, "dirlog").Find("tbody tr").Length() == 0 || testid(d2, "dirlog-newest").Length() != 1 {
		t.Error("the older page is empty or has no way back")
	}
	if strings.Contains(d2.Text(), "Org 54") {
		t.Error("the older page repeats the newest entries")
	}
	// The first entries: the command line created the admin.
	if !strings.Contains(d2.Text(), "command line") && !strings.Contains(doc(t, f.get(t, admin, "/admin/audit?before=3")).Text(), "command line") {
		t.Error("the admin's creation at the command line is not in the log")
	}
	wantStatus(t, f.get(t, admin, "/admin/audit?before=abc"), http.StatusOK)
	wantStatus(t, f.get(t, f.signIn(t, "olga@example.org"), "/admin/audit"), http.StatusForbidden)
}
