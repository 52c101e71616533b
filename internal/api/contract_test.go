package api_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestOpenAPI_Responses drives every route, in success and in failure;
// the fixture's client checks each real answer against the served
// document: the status must be one the operation documents, and the body
// must fit the documented schema exactly (no missing, mistyped or
// undocumented fields).
func TestOpenAPI_Responses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.mustOperation(t, "NPL-EQ-2015")
	u := f.mustUser(t, "member@example.org")
	f.mustMember(t, "NPL-EQ-2015", u, domain.RoleRequester)
	member := f.mustToken(t, u)

	check := func(route string, rq req, status int) map[string]any {
		t.Helper()
		return f.checkContract(t, route, rq, status)
	}
	id := func(m map[string]any) string { return fmt.Sprint(int64(m["id"].(float64))) }

	check("GET /openapi.json", req{Path: "/openapi.json"}, 200)
	check("GET /me", req{Path: "/me", Token: member}, 200)
	check("GET /me", req{Path: "/me"}, 401)
	check("GET /me/notification-preferences", req{Path: "/me/notification-preferences", Token: member}, 200)
	check("GET /me/notification-preferences", req{Path: "/me/notification-preferences"}, 401)
	check("PUT /me/notification-preferences", req{Path: "/me/notification-preferences", Token: member,
		Body: map[string]any{"preferences": map[string]string{"comment": "email"}}}, 200)
	check("PUT /me/notification-preferences", req{Path: "/me/notification-preferences", Token: member,
		Body: map[string]any{"preferences": map[string]string{"comment": "pigeon"}}}, 422)
	check("PUT /me/notification-preferences", req{Path: "/me/notification-preferences", Token: member, Body: `{"preferences": 1}`}, 400)
	tok := check("POST /me/tokens", req{Path: "/me/tokens", Token: member, Body: map[string]any{"name": "ci", "current_password": testPassword}}, 201)
	check("POST /me/tokens", req{Path: "/me/tokens", Token: member, Body: map[string]any{"name": "ci", "scope": "full",
		"expires_at": "2099-01-01T00:00:00Z", "current_password": testPassword}}, 422) // beyond five years
	check("POST /me/tokens", req{Path: "/me/tokens", Token: member, Body: `{"name": 1}`}, 400)
	check("POST /me/tokens", req{Path: "/me/tokens", Token: tok["token"].(string), Body: map[string]any{"current_password": testPassword}}, 403) // read-only
	check("GET /me/tokens", req{Path: "/me/tokens", Token: member}, 200)
	check("DELETE /me/tokens/{id}", req{Path: "/me/tokens/" + id(tok), Token: member}, 204)
	check("DELETE /me/tokens/{id}", req{Path: "/me/tokens/999999", Token: member}, 404)

	org := check("POST /organizations", req{Path: "/organizations", Token: f.adminToken,
		Body: map[string]any{"name": "UNICEF", "acronym": "UNICEF", "type": "un_agency", "un_entity": true}}, 201)
	check("POST /organizations", req{Path: "/organizations", Token: f.adminToken, Body: map[string]any{}}, 422)
	check("POST /organizations", req{Path: "/organizations", Token: f.adminToken, Body: "{}",
		Header: map[string]string{"Content-Type": "text/plain"}}, 415)
	check("POST /organizations", req{Path: "/organizations", Token: member, Body: map[string]any{}}, 403)
	check("GET /organizations", req{Path: "/organizations", Token: member}, 200)
	check("GET /organizations/{id}", req{Path: "/organizations/" + id(org), Token: f.adminToken}, 200)
	check("GET /organizations/{id}", req{Path: "/organizations/x", Token: f.adminToken}, 404)
	check("PATCH /organizations/{id}", req{Path: "/organizations/" + id(org), Token: f.adminToken, Body: map[string]any{"un_entity": false}}, 200)

	usr := check("POST /users", req{Path: "/users", Token: f.adminToken,
		Body: map[string]any{"email": "new@example.org", "name": "New", "organization_id": org["id"]}}, 201)
	check("POST /users", req{Path: "/users", Token: f.adminToken, Body: map[string]any{"email": "x"}}, 422)
	check("GET /users", req{Path: "/users", Token: f.adminToken}, 200)
	check("GET /users", req{Path: "/users", Token: member}, 403)
	check("GET /users/{id}", req{Path: "/users/" + id(usr), Token: f.adminToken}, 200)
	check("PATCH /users/{id}", req{Path: "/users/" + id(usr), Token: f.adminToken, Body: map[string]any{"language": "ar"}}, 200)
	check("POST /users/{id}/password-link", req{Path: "/users/" + id(usr) + "/password-link", Token: f.adminToken}, 200)
	check("POST /users/{id}/sign-out", req{Path: "/users/" + id(usr) + "/sign-out", Token: f.adminToken}, 204)
	check("POST /users/{id}/sign-out", req{Path: "/users/" + id(usr) + "/sign-out", Token: member}, 403)
	check("POST /users/{id}/sign-out", req{Path: "/users/999999/sign-out", Token: f.adminToken}, 404)

	check("POST /operations", req{Path: "/operations", Token: f.adminToken,
		Body: map[string]any{"code": "HTI-EQ-2021", "name": "Haiti", "country_iso3": "HTI", "context": "mixed"}}, 201)
	check("GET /operations", req{Path: "/operations", Token: member}, 200)
	check("GET /operations/{code}", req{Path: "/operations/NPL-EQ-2015", Token: member}, 200)
	check("GET /operations/{code}", req{Path: "/operations/HTI-EQ-2021", Token: member}, 404)
	check("PATCH /operations/{code}", req{Path: "/operations/HTI-EQ-2021", Token: f.adminToken, Body: map[string]any{"glide": ""}}, 200)
	check("PATCH /operations/{code}", req{Path: "/operations/NPL-EQ-2015", Token: member, Body: map[string]any{"name": "x"}}, 403)

	check("PUT /operations/{code}/members/{user_id}", req{Path: "/operations/NPL-EQ-2015/members/" + id(usr), Token: f.adminToken,
		Body: map[string]any{"roles": []string{"hc"}}}, 200)
	check("GET /operations/{code}/members", req{Path: "/operations/NPL-EQ-2015/members", Token: f.adminToken}, 200)
	check("GET /operations/{code}/members", req{Path: "/operations/NPL-EQ-2015/members", Token: member}, 403)
	check("PUT /operations/{code}/members/{user_id}", req{Path: "/operations/NPL-EQ-2015/members/" + id(usr), Token: f.adminToken,
		Body: map[string]any{"roles": []string{}}}, 204)
	check("DELETE /operations/{code}/members/{user_id}", req{Path: "/operations/NPL-EQ-2015/members/" + strconv.FormatInt(u.ID, 10),
		Token: f.adminToken}, 204)
	check("DELETE /operations/{code}/members/{user_id}", req{Path: "/operations/NPL-EQ-2015/members/999999", Token: f.adminToken}, 422)
	// Adding by e-mail: confirmed for an admin, the same unconfirmed
	// answer for an officer whether or not the address has an account.
	check("POST /operations/{code}/members", req{Path: "/operations/NPL-EQ-2015/members", Token: f.adminToken,
		Body: map[string]any{"email": "new@example.org", "roles": []string{"cmcoord_officer"}}}, 202)
	officerUser, err := f.dir.GetUser(t.Context(), f.admin, int64(usr["id"].(float64)))
	if err != nil {
		t.Fatal(err)
	}
	officer := f.mustToken(t, officerUser)
	for _, email := range []string{"nobody@example.org", "member@example.org"} {
		if got := check("POST /operations/{code}/members", req{Path: "/operations/NPL-EQ-2015/members", Token: officer,
			Body: map[string]any{"email": email, "roles": []string{"viewer"}}}, 202); got["confirmed"] != false {
			t.Errorf("officer adding %s: %v, want confirmed false", email, got)
		}
	}
	check("POST /operations/{code}/members", req{Path: "/operations/NPL-EQ-2015/members", Token: officer,
		Body: map[string]any{"email": "nobody@example.org", "roles": []string{"hc"}}}, 403)
	check("POST /operations/{code}/members", req{Path: "/operations/NPL-EQ-2015/members", Token: f.adminToken,
		Body: map[string]any{"email": "nobody@example.org", "roles": []string{"viewer"}}}, 422)
	// member@example.org was removed above; the officer's addition is an
	// invitation pending until they sign in, so they still cannot see the
	// operation.
	check("POST /operations/{code}/members", req{Path: "/operations/NPL-EQ-2015/members", Token: member,
		Body: map[string]any{"email": "nobody@example.org", "roles": []string{"viewer"}}}, 404)
	check("DELETE /operations/{code}/invitations/{invitation_id}", req{Path: "/operations/NPL-EQ-2015/invitations/999999", Token: officer}, 204)
	check("DELETE /operations/{code}/invitations/{invitation_id}", req{Path: "/operations/NPL-EQ-2015/invitations/999999", Token: member}, 404)
	// The rulebook refuses a change of one's own roles, naming the field.
	check("PUT /operations/{code}/members/{user_id}", req{Path: "/operations/NPL-EQ-2015/members/" + strconv.FormatInt(f.admin.UserID, 10),
		Token: f.adminToken, Body: map[string]any{"roles": []string{"hc"}}}, 403)

	// Everything above was logged: a page of one, then the next.
	first := check("GET /audit/directory", req{Path: "/audit/directory?limit=1", Token: f.adminToken}, 200)
	if first["next_before"] == nil {
		t.Fatalf("directory log page of one has no next page: %v", first)
	}
	check("GET /audit/directory", req{Path: fmt.Sprintf("/audit/directory?before=%v", first["next_before"]), Token: f.adminToken}, 200)
	check("GET /audit/directory", req{Path: "/audit/directory?before=x", Token: f.adminToken}, 422)
	check("GET /audit/directory", req{Path: "/audit/directory", Token: member}, 403)
	check("GET /audit/directory", req{Path: "/audit/directory"}, 401)
}

// checkContract calls route (method and documented path) as rq, which
// the fixture's client checks against the served document (the status
// must be documented, the body must fit its schema exactly), and fails t
// unless the status is status. It returns the decoded body for the next
// steps.
func (f *fixture) checkContract(t testing.TB, route string, rq req, status int) map[string]any {
	t.Helper()
	method, path, _ := strings.Cut(route, " ")
	if item := f.contract.Doc.Paths.Value(path); item == nil || item.GetOperation(method) == nil {
		t.Fatalf("%s is not documented", route)
	}
	rq.Method = method
	r := f.call(t, rq)
	if r.Status != status {
		t.Errorf("%s %s: status = %d, want %d; body: %.300s", rq.Method, rq.Path, r.Status, status, r.Body)
	}
	var m map[string]any
	if len(r.Body) > 0 {
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Errorf("%s %d: %v", route, r.Status, err)
		}
	}
	return m
}
