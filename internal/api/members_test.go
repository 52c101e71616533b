package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// memberJSON mirrors the documented Member.
type memberJSON struct {
	User struct {
		ID           int64  `json:"id"`
		Name         string `json:"name"`
		Email        string `json:"email"`
		Organization struct {
			ID      int64  `json:"id"`
			Name    string `json:"name"`
			Acronym string `json:"acronym"`
		} `json:"organization"`
	} `json:"user"`
	Roles []string `json:"roles"`
}

func TestMembers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.mustOperation(t, "OWN")
	f.mustOperation(t, "OTHER")
	officerUser := f.mustUser(t, "officer@example.org")
	requesterUser := f.mustUser(t, "requester@example.org")
	f.mustMember(t, "OWN", officerUser, domain.RoleOfficer)
	f.mustMember(t, "OWN", requesterUser, domain.RoleRequester)
	f.mustMember(t, "OTHER", f.mustUser(t, "someone@example.org"), domain.RoleViewer)
	officer, requester := f.mustToken(t, officerUser), f.mustToken(t, requesterUser)
	disabled := f.mustUser(t, "disabled@example.org")
	disabled.Disabled = true
	if _, err := f.dir.UpdateUser(t.Context(), f.admin, disabled); err != nil {
		t.Fatal(err)
	}

	outsider := f.mustUser(t, "outsider@example.org") // a member of no operation

	members := func(t *testing.T, token, code string) map[int64][]string {
		t.Helper()
		got := decode[struct {
			Items []memberJSON `json:"items"`
		}](t, f.call(t, req{Method: "GET", Path: "/operations/" + code + "/members", Token: token}).want(t, http.StatusOK))
		out := map[int64][]string{}
		for _, m := range got.Items {
			out[m.User.ID] = m.Roles
		}
		return out
	}

	t.Run("OKOfficerSetsOwnOperation", func(t *testing.T) {
		t.Parallel()
		u := f.mustUser(t, "new.member@example.org")
		f.mustMember(t, "OWN", u, domain.RoleRequester)
		got := decode[memberJSON](t, f.call(t, req{Method: "PUT", Path: fmt.Sprintf("/operations/OWN/members/%d", u.ID), Token: officer,
			Body: map[string]any{"roles": []string{"viewer", "hct_member", "viewer"}}}).want(t, http.StatusOK))
		if got.User.ID != u.ID || got.User.Email != u.Email || got.User.Organization.ID != f.org.ID || got.User.Organization.Acronym != f.org.Acronym {
			t.Errorf("member = %+v, want user %d of %s", got, u.ID, f.org.Acronym)
		}
		if len(got.Roles) != 2 || got.Roles[0] != "hct_member" || got.Roles[1] != "viewer" {
			t.Errorf("roles = %v, want [hct_member viewer]", got.Roles)
		}
		if roles := members(t, officer, "OWN")[u.ID]; len(roles) != 2 {
			t.Errorf("listed roles = %v, want 2", roles)
		}
	})
	t.Run("OKEmptyRolesRemoves", func(t *testing.T) {
		t.Parallel()
		u := f.mustUser(t, "short.stay@example.org")
		f.mustMember(t, "OWN", u, domain.RoleViewer)
		r := f.call(t, req{Method: "PUT", Path: fmt.Sprintf("/operations/OWN/members/%d", u.ID), Token: officer,
			Body: map[string]any{"roles": []string{}}}).want(t, http.StatusNoContent)
		if len(r.Body) != 0 {
			t.Errorf("body = %q, want none", r.Body)
		}
		if roles, ok := members(t, f.adminToken, "OWN")[u.ID]; ok {
			t.Errorf("still a member with %v", roles)
		}
	})
	t.Run("OKDelete", func(t *testing.T) {
		t.Parallel()
		u := f.mustUser(t, "leaver@example.org")
		f.mustMember(t, "OTHER", u, domain.RoleViewer)
		f.call(t, req{Method: "DELETE", Path: fmt.Sprintf("/operations/OTHER/members/%d", u.ID), Token: f.adminToken}).want(t, http.StatusNoContent)
		if roles, ok := members(t, f.adminToken, "OTHER")[u.ID]; ok {
			t.Errorf("still a member with %v", roles)
		}
		// Again: nothing to remove, same answer.
		f.call(t, req{Method: "DELETE", Path: fmt.Sprintf("/operations/OTHER/members/%d", u.ID), Token: f.adminToken}).want(t, http.StatusNoContent)
	})
	t.Run("OKOfficerLists", func(t *testing.T) {
		t.Parallel()
		got := members(t, officer, "OWN")
		if r := got[requesterUser.ID]; len(r) != 1 || r[0] != "requester" {
			t.Errorf("requester's roles = %v, want [requester]", r)
		}
	})

	someone := fmt.Sprintf("/operations/%%s/members/%d", requesterUser.ID)
	tests := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      string
		fields                    map[string]string
	}{
		{"ErrOfficerOtherOperationList", "GET", "/operations/OTHER/members", officer, nil, http.StatusNotFound, "not_found", nil},
		{"ErrOfficerOtherOperationSet", "PUT", fmt.Sprintf(someone, "OTHER"), officer, map[string]any{"roles": []string{"viewer"}}, http.StatusNotFound, "not_found", nil},
		{"ErrOfficerOtherOperationDelete", "DELETE", fmt.Sprintf(someone, "OTHER"), officer, nil, http.StatusNotFound, "not_found", nil},
		{"ErrRequesterOwnOperationList", "GET", "/operations/OWN/members", requester, nil, http.StatusForbidden, "forbidden", nil},
		{"ErrRequesterOwnOperationSet", "PUT", fmt.Sprintf(someone, "OWN"), requester, map[string]any{"roles": []string{"cmcoord_officer"}}, http.StatusForbidden, "forbidden", nil},
		{"ErrRequesterOtherOperationList", "GET", "/operations/OTHER/members", requester, nil, http.StatusNotFound, "not_found", nil},
		{"ErrNoSuchOperation", "GET", "/operations/NOPE/members", f.adminToken, nil, http.StatusNotFound, "not_found", nil},
		{"ErrBadUserID", "PUT", "/operations/OWN/members/abc", officer, map[string]any{"roles": []string{"viewer"}}, http.StatusNotFound, "not_found", nil},
		// Officers do not browse the directory: a user outside the
		// operation is as missing as an ID nobody has. Admins are told.
		{"ErrOfficerUnknownUser", "PUT", "/operations/OWN/members/999999", officer, map[string]any{"roles": []string{"viewer"}}, http.StatusNotFound, "not_found", nil},
		{"ErrOfficerOutsider", "PUT", fmt.Sprintf("/operations/OWN/members/%d", outsider.ID), officer, map[string]any{"roles": []string{"viewer"}}, http.StatusNotFound, "not_found", nil},
		{"ErrOfficerOutsiderDelete", "DELETE", fmt.Sprintf("/operations/OWN/members/%d", outsider.ID), officer, nil, http.StatusNotFound, "not_found", nil},
		{"ErrOfficerDisabledOutsider", "PUT", fmt.Sprintf("/operations/OWN/members/%d", disabled.ID), officer, map[string]any{"roles": []string{"viewer"}}, http.StatusNotFound, "not_found", nil},
		{"ErrUnknownUser", "PUT", "/operations/OWN/members/999999", f.adminToken, map[string]any{"roles": []string{"viewer"}},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"user": "member.unknown_user_id"}},
		{"ErrRolesMissing", "PUT", fmt.Sprintf(someone, "OWN"), officer, map[string]any{},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"roles": "field.required"}},
		{"ErrRequesterRolesMissing", "PUT", fmt.Sprintf(someone, "OWN"), requester, map[string]any{}, http.StatusForbidden, "forbidden", nil},
		{"ErrDisabledUser", "PUT", fmt.Sprintf("/operations/OWN/members/%d", disabled.ID), f.adminToken, map[string]any{"roles": []string{"viewer"}},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"user": "member.user_disabled"}},
		{"ErrUnknownRole", "PUT", fmt.Sprintf(someone, "OWN"), officer, map[string]any{"roles": []string{"general"}},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"roles": "field.role"}},
		{"ErrRolesMissing", "PUT", fmt.Sprintf(someone, "OWN"), officer, map[string]any{},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"roles": "field.required"}},
		{"ErrRolesNotAList", "PUT", fmt.Sprintf(someone, "OWN"), officer, map[string]any{"roles": "viewer"},
			http.StatusBadRequest, "malformed", map[string]string{"roles": "field.list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f.call(t, req{Method: tt.method, Path: tt.path, Token: tt.token, Body: tt.body}).wantError(t, tt.status, tt.code, tt.fields)
		})
	}
}

// requestID is the one part of an error answer that differs per request.
var requestID = regexp.MustCompile(`"request_id":"[^"]*"`)

// invitationJSON mirrors the documented Invitation.
type invitationJSON struct {
	ID        int64    `json:"id"`
	Email     string   `json:"email"`
	Roles     []string `json:"roles"`
	InvitedBy struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"invited_by"`
	CreatedAt string `json:"created_at"`
}

type memberListJSON struct {
	Items       []memberJSON     `json:"items"`
	Invitations []invitationJSON `json:"invitations"`
}

// TestMemberInvitations: an officer adding by e-mail gets byte-identical
// answers for an account outside the operation, a disabled account and
// an address nobody has, and the member list shows the same invitation
// for each and nothing of any account until it signs in. Refusals that do
// not depend on the account are identical too; an invitation can be
// cancelled.
func TestMemberInvitations(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	op := f.mustOperation(t, "OWN")
	officerUser := f.mustUser(t, "officer@example.org")
	f.mustMember(t, "OWN", officerUser, domain.RoleOfficer)
	officer := f.mustToken(t, officerUser)
	outsider := f.mustUser(t, "outsider@example.org")
	disabled := f.mustUser(t, "disabled@example.org")
	disabled.Disabled = true
	if _, err := f.dir.UpdateUser(t.Context(), f.admin, disabled); err != nil {
		t.Fatal(err)
	}
	addresses := []string{outsider.Email, disabled.Email, "nobody@example.org"}
	list := func(t *testing.T) memberListJSON {
		t.Helper()
		return decode[memberListJSON](t, f.call(t, req{Method: "GET", Path: "/operations/OWN/members", Token: officer}).want(t, http.StatusOK))
	}

	// A role the officer may not grant: the same refusal for every address.
	for _, r := range domain.AllRoles {
		if domain.GrantableRoles(f.mustActor(t, officerUser), op.ID, 0).Has(r) {
			continue
		}
		var first []byte
		for _, email := range addresses {
			got := f.call(t, req{Method: "POST", Path: "/operations/OWN/members", Token: officer,
				Body: map[string]any{"email": email, "roles": []string{string(r)}}})
			got.wantError(t, http.StatusForbidden, "forbidden", map[string]string{"roles": "grant.admin_only"})
			body := requestID.ReplaceAll(got.Body, nil) // each answer names its own request
			if first == nil {
				first = body
			} else if !bytes.Equal(body, first) {
				t.Errorf("%s for %s: %s, for %s: %s", r, email, got.Body, addresses[0], first)
			}
		}
	}
	if got := list(t); len(got.Invitations) != 0 {
		t.Errorf("refused additions left invitations %+v", got.Invitations)
	}

	var first []byte
	for _, email := range addresses {
		got := f.call(t, req{Method: "POST", Path: "/operations/OWN/members", Token: officer,
			Body: map[string]any{"email": email, "roles": []string{"viewer"}}}).want(t, http.StatusAccepted)
		if first == nil {
			first = got.Body
		} else if !bytes.Equal(got.Body, first) {
			t.Errorf("answer for %s: %s, for %s: %s", email, got.Body, addresses[0], first)
		}
	}
	if string(first) != `{"confirmed":false}`+"\n" && string(first) != `{"confirmed":false}` {
		t.Errorf("answer = %q", first)
	}
	got := list(t)
	if len(got.Items) != 1 || got.Items[0].User.ID != officerUser.ID {
		t.Errorf("members = %+v, want only the officer", got.Items)
	}
	byEmail := map[string]invitationJSON{}
	for _, inv := range got.Invitations {
		byEmail[inv.Email] = inv
	}
	var shape string
	for _, email := range addresses {
		inv, ok := byEmail[email]
		if !ok {
			t.Fatalf("no invitation of %s in %+v", email, got.Invitations)
		}
		// Identical but for the id, the address and the time.
		inv.ID, inv.Email, inv.CreatedAt = 0, "", ""
		s := fmt.Sprintf("%+v", inv)
		if shape == "" {
			shape = s
		} else if s != shape {
			t.Errorf("invitation of %s = %s, want %s", email, s, shape)
		}
		if inv.InvitedBy.ID != officerUser.ID || len(inv.Roles) != 1 || inv.Roles[0] != "viewer" {
			t.Errorf("invitation of %s = %+v", email, inv)
		}
	}

	// Signing in accepts the invitation: the account appears as a member.
	f.signIn(t, outsider.Email)
	got = list(t)
	if len(got.Items) != 2 || len(got.Invitations) != len(addresses)-1 {
		t.Errorf("after sign-in: members %+v, invitations %+v", got.Items, got.Invitations)
	}

	// Cancel: by the officer; a member who may not manage members is refused.
	cancel := byEmail["nobody@example.org"].ID
	path := fmt.Sprintf("/operations/OWN/invitations/%d", cancel)
	f.call(t, req{Method: "DELETE", Path: path, Token: officer}).want(t, http.StatusNoContent)
	f.call(t, req{Method: "DELETE", Path: path, Token: officer}).want(t, http.StatusNoContent)
	for _, inv := range list(t).Invitations {
		if inv.ID == cancel {
			t.Errorf("cancelled invitation still listed: %+v", inv)
		}
	}
	f.call(t, req{Method: "DELETE", Path: "/operations/OWN/invitations/abc", Token: officer}).wantError(t, http.StatusNotFound, "not_found", nil)
}
