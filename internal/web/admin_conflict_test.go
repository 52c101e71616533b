package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestAdminFormsRefuseStaleSaves walks every input of the forms that edit
// an object in place — an organisation, a user, an operation: two tabs
// load the form; the first saves a change of the input; the second, on
// the object as it was, saves its own typing and is refused with a 409
// that keeps what it typed, lists the first tab's change (the input, its
// value now and in the form) and carries the new save, so saving the
// form as shown again is accepted.
func TestAdminFormsRefuseStaleSaves(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	c := f.signIn(t, "admin@example.org")
	org := f.mustOrg(t, "NGO Relief", domain.OrgINGO)
	u := f.mustUser(t, "user@example.org", org.ID)
	f.mustOperation(t, "NPL-EQ", domain.ContextNaturalDisaster)
	forms := []struct {
		path, testid string
		mine         [2]string         // the second tab's own typing, and where else when that input is walked
		skip         []string          // inputs not walked, and why
		set          map[string]string // a valid other value where changeInput cannot derive one
	}{
		{"/admin/organizations/" + strconv.FormatInt(org.ID, 10), "organization-form", [2]string{"name", "acronym"}, nil, nil},
		{"/admin/users/" + strconv.FormatInt(u.ID, 10), "user-form", [2]string{"name", "email"}, nil, nil},
		{"/operations/NPL-EQ/edit", "operation-form", [2]string{"name", "glide"},
			[]string{"code"}, // a new code moves the form to another address
			map[string]string{"country_iso3": "IND", "glide": "FL-2026-000123-NPL"}},
	}
	for _, fm := range forms {
		load := func() (*goquery.Document, url.Values) {
			t.Helper()
			res := f.get(t, c, fm.path)
			wantStatus(t, res, http.StatusOK)
			d := doc(t, res)
			return d, formOf(d, fm.testid)
		}
		first, _ := load()
		for i, name := range inputsOf(first, fm.testid) {
			if slices.Contains(fm.skip, name) {
				continue
			}
			d, tabA := load()
			_, tabB := load()
			if tabA.Get("updated") == "" {
				t.Fatalf("%s: the form carries no saved-at", fm.path)
			}
			theirs := changeInputIn(t, d, fm.testid, tabA, name)
			if v, ok := fm.set[name]; ok {
				theirs.Set(name, v)
				if tabA.Get(name) == v {
					t.Fatalf("%s %s: the other value given is the current one", fm.path, name)
				}
			}
			if res := f.post(t, c, fm.path, theirs); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s %s: the first tab's save = %d\n%s", fm.path, name, res.StatusCode, errorsOf(doc(t, res)))
			}
			mineAt := fm.mine[0]
			if name == mineAt {
				mineAt = fm.mine[1]
			}
			mine := "Tab B " + strconv.Itoa(i)
			switch mineAt {
			case "email":
				mine = "tab-b-" + strconv.Itoa(i) + "@example.org"
			case "acronym":
				mine = "TB" + strconv.Itoa(i)
			case "glide":
				mine = "EQ-2026-00000" + strconv.Itoa(i%10) + "-NPL"
			}
			tabB.Set(mineAt, mine)
			res := f.post(t, c, fm.path, tabB)
			if res.StatusCode != http.StatusConflict {
				t.Fatalf("%s %s: the stale tab's save = %d, want 409\n%s", fm.path, name, res.StatusCode, errorsOf(doc(t, res)))
			}
			cd := doc(t, res)
			if testid(cd, "edit-conflict").Length() != 1 {
				t.Fatalf("%s %s: no conflict panel", fm.path, name)
			}
			row := testid(cd, "conflict-"+name)
			if row.Length() != 1 {
				t.Fatalf("%s %s: the conflict lists no row for it: %q", fm.path, name, testid(cd, "edit-conflict").Text())
			}
			now, yours := row.Find(`[data-testid="conflict-now"]`).Text(), row.Find(`[data-testid="conflict-yours"]`).Text()
			if now == yours {
				t.Errorf("%s %s: the row shows now %q and yours %q", fm.path, name, now, yours)
			}
			kept := formOf(cd, fm.testid)
			for k := range tabB {
				if k != "updated" && k != "idempotency_key" && !slices.Equal(kept[k], tabB[k]) { // a fresh key per form shown
					t.Errorf("%s %s: input %s = %q after the conflict, want what was typed %q", fm.path, name, k, kept[k], tabB[k])
				}
			}
			if kept.Get("updated") == tabB.Get("updated") {
				t.Errorf("%s %s: the form still carries the old save", fm.path, name)
			}
			if _, now := load(); now.Get(mineAt) == mine {
				t.Fatalf("%s %s: the stale save was stored", fm.path, name)
			}
			if res := f.post(t, c, fm.path, kept); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s %s: saving again = %d\n%s", fm.path, name, res.StatusCode, errorsOf(doc(t, res)))
			}
		}
	}
}

// TestMemberFormRefusesStaleSave: two tabs of the members page; the first
// gives a member a role; the second, still showing the old roles, saves
// its own choice and is refused (409) at that member's roles, its choice
// kept, the roles now listed, nothing saved; saving again applies it.
// Walked for every role the form offers.
func TestMemberFormRefusesStaleSave(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	c := f.signIn(t, "admin@example.org")
	org := f.mustOrg(t, "NGO Relief", domain.OrgINGO)
	u := f.mustUser(t, "member@example.org", org.ID)
	f.mustOperation(t, "NPL-EQ", domain.ContextNaturalDisaster)
	f.mustMember(t, "NPL-EQ", u, domain.RoleViewer)
	page := "/operations/NPL-EQ/members"
	action := page + "/" + strconv.FormatInt(u.ID, 10)
	rowForm := func(d *goquery.Document) url.Values {
		q := url.Values{}
		d.Find(`form[action="` + action + `"] input[name]`).Each(func(_ int, in *goquery.Selection) {
			if in.AttrOr("type", "") == "checkbox" {
				if _, on := in.Attr("checked"); !on {
					return
				}
			}
			q.Add(in.AttrOr("name", ""), in.AttrOr("value", ""))
		})
		return q
	}
	load := func() url.Values { return rowForm(doc(t, f.get(t, c, page))) }
	walked := 0
	for _, role := range domain.GrantableRoles(f.admin, 0, u.ID) {
		if role == domain.RoleViewer {
			continue
		}
		walked++
		tabA, tabB := load(), load()
		if tabA.Get("seen_roles") == "" {
			t.Fatal("the member form carries no seen roles")
		}
		tabA.Add("roles", string(role))
		wantStatus(t, f.post(t, c, action, tabA), http.StatusSeeOther)
		tabB.Set("roles", string(domain.RoleRequester))
		if role == domain.RoleRequester {
			tabB.Set("roles", string(domain.RoleHCTMember))
		}
		res := f.post(t, c, action, tabB)
		wantStatus(t, res, http.StatusConflict)
		d := doc(t, res)
		if msg := testid(d, "error-roles-"+strconv.FormatInt(u.ID, 10)).Text(); !strings.Contains(msg, "changed this member") {
			t.Errorf("%s: the row says %q", role, msg)
		}
		kept := rowForm(d)
		if !slices.Equal(kept["roles"], tabB["roles"]) || kept.Get("seen_roles") == tabB.Get("seen_roles") {
			t.Errorf("%s: the form after the conflict = %v, want the choice %v kept with the roles now", role, kept, tabB["roles"])
		}
		if now := load(); !slices.Contains(now["roles"], string(role)) {
			t.Fatalf("%s: the stale save was stored: %v", role, now["roles"])
		}
		wantStatus(t, f.post(t, c, action, kept), http.StatusSeeOther)
		// Back to the starting point for the next role.
		back := load()
		back.Del("roles")
		back.Set("roles", string(domain.RoleViewer))
		wantStatus(t, f.post(t, c, action, back), http.StatusSeeOther)
	}
	if walked < 2 {
		t.Fatalf("walked %d roles", walked)
	}
}
