package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/web"
)

func TestAdminUsers(t *testing.T) {
	t.Parallel()

	t.Run("CreateWithPassword", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		unicef := f.mustOrg(t, "UNICEF", domain.OrgUNAgency)
		c := f.signIn(t, "admin@example.org")
		r := f.get(t, c, "/admin/users/new")
		wantStatus(t, r, http.StatusOK)
		d := doc(t, r)
		if d.Find(`#organization_id option[value="`+strconv.FormatInt(unicef.ID, 10)+`"]`).Length() != 1 {
			t.Fatal("the organisation select lacks UNICEF")
		}
		if got := d.Find("#password").AttrOr("autocomplete", ""); got != "new-password" {
			t.Errorf("initial password autocomplete = %q, want new-password", got)
		}
		r = f.post(t, c, "/admin/users/new", url.Values{"email": {"bea@example.org"}, "name": {"Bea Field"},
			"organization_id": {strconv.FormatInt(unicef.ID, 10)}, "language": {"fr"}, "password": {"a long initial password"}})
		wantRedirect(t, r, "/admin/users")
		d = doc(t, f.get(t, c, "/admin/users"))
		wantFlashText(t, d, "created")
		var row string
		d.Find(`[data-testid="users"] tbody tr`).Each(func(_ int, s *goquery.Selection) {
			if strings.Contains(s.Text(), "bea@example.org") {
				row, _ = s.Attr("data-testid")
			}
		})
		if row == "" {
			t.Fatal("the new user is not in the list")
		}
		rs := testid(d, row)
		for id, want := range map[string]string{"user-password": "Set", "user-admin": "No", "user-status": "Active"} {
			if got := strings.TrimSpace(rs.Find(`[data-testid="` + id + `"]`).Text()); got != want {
				t.Errorf("%s = %q, want %q", id, got, want)
			}
		}
		if !strings.Contains(rs.Text(), "UNICEF") {
			t.Error("the row does not name the organisation")
		}
		r = f.post(t, f.client(t), "/login", url.Values{"email": {"bea@example.org"}, "password": {"a long initial password"}})
		wantStatus(t, r, http.StatusSeeOther)
	})

	t.Run("ErrInvalidKeepsValues", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		c := f.signIn(t, "admin@example.org")
		r := f.post(t, c, "/admin/users/new", url.Values{"email": {"not-an-address"}, "name": {"Bea Field"},
			"organization_id": {""}, "language": {"es"}, "is_admin": {"true"}, "password": {"short"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		d := doc(t, r)
		wantFieldError(t, d, "email", "e-mail address like")
		wantFieldError(t, d, "organization_id", "Choose one")
		wantFieldError(t, d, "password", "at least 12")
		wantValue(t, d, "email", "not-an-address")
		wantValue(t, d, "name", "Bea Field")
		wantValue(t, d, "password", "")
		if got := selected(d, "language"); got != "es" {
			t.Errorf("language = %q, want es kept", got)
		}
		if _, ok := d.Find("#is_admin").Attr("checked"); !ok {
			t.Error("the admin checkbox lost its tick")
		}
		if got := d.Find("#email").AttrOr("aria-describedby", ""); got != "email-error" {
			t.Errorf("#email aria-describedby = %q", got)
		}
	})

	t.Run("ErrDuplicateEmail", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustUser(t, "bea@example.org", 0)
		c := f.signIn(t, "admin@example.org")
		r := f.post(t, c, "/admin/users/new", url.Values{"email": {"BEA@example.org"}, "name": {"Bea Again"},
			"organization_id": {strconv.FormatInt(f.org.ID, 10)}, "language": {"en"}, "password": {"a long initial password"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "email", "already exists")
	})

	t.Run("Edit", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		u := f.mustUser(t, "bea@example.org", 0)
		c := f.signIn(t, "admin@example.org")
		path := "/admin/users/" + strconv.FormatInt(u.ID, 10)
		r := f.get(t, c, path)
		wantStatus(t, r, http.StatusOK)
		d := doc(t, r)
		wantValue(t, d, "email", "bea@example.org")
		if got := selected(d, "organization_id"); got != strconv.FormatInt(f.org.ID, 10) {
			t.Errorf("organisation = %q, want the user's", got)
		}
		if got := strings.TrimSpace(testid(d, "user-has-password").Text()); !strings.Contains(got, "has set a password") {
			t.Errorf("password state = %q", got)
		}
		form := userForm(f, u)
		form.Set("name", "")
		r = f.post(t, c, path, form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "name", "Enter a value")
		form.Set("name", "Beatrice Field")
		form.Set("is_admin", "true")
		wantRedirect(t, f.post(t, c, path, form), "/admin/users")
		d = doc(t, f.get(t, c, "/admin/users"))
		wantFlashText(t, d, "saved")
		row := testid(d, "user-"+strconv.FormatInt(u.ID, 10))
		if got := row.Find(`[data-testid="user-name"]`).Text(); got != "Beatrice Field" {
			t.Errorf("name = %q", got)
		}
		if got := strings.TrimSpace(row.Find(`[data-testid="user-admin"]`).Text()); got != "Yes" {
			t.Errorf("admin = %q, want Yes", got)
		}
	})

	t.Run("ErrDisableSelf", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		c := f.signIn(t, "admin@example.org")
		u, err := f.dir.GetUser(t.Context(), f.admin, f.admin.UserID)
		if err != nil {
			t.Fatal(err)
		}
		form := userForm(f, u)
		form.Set("disabled", "true")
		r := f.post(t, c, "/admin/users/"+strconv.FormatInt(u.ID, 10), form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFieldError(t, doc(t, r), "disabled", "cannot disable yourself")
	})

	t.Run("DisableEndsSessionsAndTokens", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		f.mustOperation(t, "OPA", domain.ContextMixed)
		u := f.mustUser(t, "bea@example.org", 0)
		f.mustMember(t, "OPA", u, domain.RoleRequester)
		bea := f.signIn(t, "bea@example.org")
		secret, _, err := f.access.CreateToken(t.Context(), f.mustActor(t, u), "script")
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, f.get(t, bea, "/profile"), http.StatusOK)

		c := f.signIn(t, "admin@example.org")
		form := userForm(f, u)
		form.Set("disabled", "true")
		wantRedirect(t, f.post(t, c, "/admin/users/"+strconv.FormatInt(u.ID, 10), form), "/admin/users")
		d := doc(t, f.get(t, c, "/admin/users"))
		wantFlashText(t, d, "sessions have ended")
		if got := strings.TrimSpace(testid(d, "user-"+strconv.FormatInt(u.ID, 10)).Find(`[data-testid="user-status"]`).Text()); got != "Disabled" {
			t.Errorf("status = %q, want Disabled", got)
		}

		// Bea's existing session has ended: a protected page sends her to
		// sign in, the home page is the anonymous one.
		wantRedirect(t, f.get(t, bea, "/profile"), "/login?next=%2Fprofile")
		r := f.get(t, bea, "/")
		wantStatus(t, r, http.StatusOK)
		if testid(doc(t, r), "signin-link").Length() != 1 {
			t.Error("a disabled user's old session still shows them signed in")
		}
		if _, err := f.access.ActorForToken(t.Context(), secret); domain.ErrorCode(err) != domain.CodeUnauthorized {
			t.Errorf("token of a disabled user: err = %v, want unauthorized", err)
		}
		// And she cannot sign in again.
		r = f.post(t, f.client(t), "/login", url.Values{"email": {"bea@example.org"}, "password": {testPassword}})
		wantStatus(t, r, http.StatusUnauthorized)
	})

	t.Run("NewPasswordLink", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t).withAdmin(t)
		u := f.mustUser(t, "bea@example.org", 0)
		c := f.signIn(t, "admin@example.org")
		r := f.post(t, c, "/admin/users/"+strconv.FormatInt(u.ID, 10)+"/password-link", url.Values{})
		wantStatus(t, r, http.StatusCreated)
		link := strings.TrimSpace(testid(doc(t, r), "password-link-secret").Text())
		if !strings.HasPrefix(link, f.srv.URL+"/set-password/") {
			t.Fatalf("link = %q, want it under %s/set-password/", link, f.srv.URL)
		}
		wantStatus(t, f.get(t, f.client(t), strings.TrimPrefix(link, f.srv.URL)), http.StatusOK)
		// Shown once: the user's page does not show it again.
		if strings.Contains(f.get(t, c, "/admin/users/"+strconv.FormatInt(u.ID, 10)).body, link) {
			t.Error("the link is shown again on the user's page")
		}
	})
}

// userForm is u as the admin's edit form posts it.
func userForm(f *fixture, u domain.User) url.Values {
	v := url.Values{"email": {u.Email}, "name": {u.Name}, "organization_id": {strconv.FormatInt(u.OrganizationID, 10)},
		"language": {u.Language}}
	if u.IsAdmin {
		v.Set("is_admin", "true")
	}
	return v
}

// TestAdminForbidden proves the administration answers 403 to signed-in
// users who are not admins (whatever their roles), and sends anonymous
// visitors to sign in.
func TestAdminForbidden(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustOperation(t, "OPA", domain.ContextMixed)
	officer := f.mustUser(t, "olga@example.org", 0)
	f.mustMember(t, "OPA", officer, domain.RoleOfficer)
	c := f.signIn(t, "olga@example.org")
	id := strconv.FormatInt(officer.ID, 10)
	org := strconv.FormatInt(f.org.ID, 10)
	for _, path := range []string{"/admin", "/admin/organizations", "/admin/organizations/new", "/admin/organizations/" + org,
		"/admin/users", "/admin/users/new", "/admin/users/" + id, "/admin/operations", "/admin/operations/new", "/operations/OPA/edit"} {
		r := f.get(t, c, path)
		wantStatus(t, r, http.StatusForbidden)
		if testid(doc(t, r), "error-page").Length() != 1 {
			t.Errorf("GET %s: 403 without the error page", path)
		}
	}
	for _, path := range []string{"/admin/organizations/new", "/admin/organizations/" + org, "/admin/users/new",
		"/admin/users/" + id, "/admin/users/" + id + "/password-link", "/admin/operations/new", "/operations/OPA/edit"} {
		wantStatus(t, f.post(t, c, path, url.Values{"name": {"x"}}), http.StatusForbidden)
	}
	if testid(doc(t, f.get(t, c, "/")), "site-header").Find(`a[href="/admin"]`).Length() != 0 {
		t.Error("a non-admin is offered the administration link")
	}
	wantRedirect(t, f.get(t, f.client(t), "/admin/users"), "/login?next=%2Fadmin%2Fusers")
}

// TestAdminBadIDs proves malformed and unknown IDs in paths are the 404
// page, never a 500.
func TestAdminBadIDs(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustOperation(t, "OPA", domain.ContextMixed)
	c := f.signIn(t, "admin@example.org")
	for _, path := range []string{"/admin/users/abc", "/admin/users/999999", "/admin/users/0", "/admin/users/-1",
		"/admin/users/99999999999999999999", "/admin/organizations/abc", "/admin/organizations/999999",
		"/operations/NOPE/edit", "/operations/NOPE/members", "/operations/%FF/edit", "/operations/%FF/members"} {
		r := f.get(t, c, path)
		wantStatus(t, r, http.StatusNotFound)
		if got := testid(doc(t, r), "error-page").AttrOr("data-status", ""); got != "404" {
			t.Errorf("GET %s: error page status %q", path, got)
		}
	}
	for _, path := range []string{"/admin/users/abc", "/admin/users/999999/password-link", "/admin/organizations/abc",
		"/operations/OPA/members/abc", "/operations/OPA/members/999999", "/operations/OPA/members/999999/remove",
		"/profile/tokens/abc/revoke", "/profile/tokens/999999/revoke"} {
		wantStatus(t, f.post(t, c, path, url.Values{}), http.StatusNotFound)
	}
	form := url.Values{"email": {"x@example.org"}, "name": {"X"}, "organization_id": {strconv.FormatInt(f.org.ID, 10)}, "language": {"en"}}
	wantStatus(t, f.post(t, c, "/admin/users/999999", form), http.StatusNotFound)

	// Bytes that are not UTF-8 are refused at the field, on the form shown
	// again, never a database error shown as a 500.
	for path, tc := range map[string]struct {
		form  url.Values
		field string
	}{
		"/profile/tokens":          {url.Values{"token_name": {"\xff\xfe"}}, "token_name"},
		"/operations/OPA/members":  {url.Values{"email": {"a\xff@example.org"}, "roles": {"viewer"}}, "email"},
		"/admin/organizations/new": {url.Values{"name": {"\xff"}, "acronym": {"X"}, "type": {"other"}}, "name"},
	} {
		r := f.post(t, c, path, tc.form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if strings.TrimSpace(testid(doc(t, r), "error-"+tc.field).Text()) == "" {
			t.Errorf("POST %s: no message next to %s", path, tc.field)
		}
	}
}

// TestHomeLeadsAdministratorsToAdministration: an administrator's home
// lists every part of the administration they may open (the same table
// as the administration's own home), even when they are a member of no
// operation, and never tells them to ask a focal point to be added; a
// user who is neither sees that advice and no administration.
func TestHomeLeadsAdministratorsToAdministration(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withAdmin(t)
	f.mustUser(t, "lone@example.org", 0)
	home := doc(t, f.get(t, f.signIn(t, "admin@example.org"), "/"))
	panel := testid(home, "admin-home")
	if panel.Length() != 1 {
		t.Fatal("the administrator's home has no administration panel")
	}
	for _, sec := range web.AdminSections() {
		want := domain.Allowed(f.admin, sec.Action, domain.OnInstance())
		if got := panel.Find(`a[href="`+sec.URL+`"]`).Length() == 1; got != want {
			t.Errorf("section %s: linked %v, allowed %v", sec.ID, got, want)
		}
	}
	if testid(home, "no-operations").Length() != 0 {
		t.Error("the administrator is told to ask a focal point to be added to an operation")
	}
	lone := doc(t, f.get(t, f.signIn(t, "lone@example.org"), "/"))
	if testid(lone, "admin-home").Length() != 0 {
		t.Error("a user who is no administrator sees the administration panel")
	}
	if testid(lone, "no-operations").Length() != 1 {
		t.Error("a user of no operation is not told how to be added")
	}
}
