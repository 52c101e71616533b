package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestMembers_Grants walks, through PUT and DELETE, every role × grant
// and removal × self and another member, for an officer of the operation
// and an administrator: the answer is what domain.CanSetRoles decides
// (200/204 or 403 naming the roles field), and a refusal changes nothing.
func TestMembers_Grants(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	op := f.mustOperation(t, "OWN")
	officerUser := f.mustUser(t, "officer@example.org")
	f.mustMember(t, "OWN", officerUser, domain.RoleOfficer)
	target := f.mustUser(t, "target@example.org")
	callers := []struct {
		name  string
		user  domain.User
		token string
	}{
		{"officer", officerUser, f.mustToken(t, officerUser)},
		{"admin", domain.User{ID: f.admin.UserID}, f.adminToken},
	}
	for _, c := range callers {
		by := f.admin
		if c.name == "officer" {
			by = f.mustActor(t, c.user)
		}
		for _, role := range domain.AllRoles {
			for _, grant := range []bool{true, false} {
				for _, self := range []bool{true, false} {
					subject, base := target, domain.RoleSet{domain.RoleViewer}
					if role == domain.RoleViewer {
						base = domain.RoleSet{domain.RoleRequester}
					}
					if self {
						if c.name == "admin" {
							continue // the admin is no member; the service tests walk admins' own roles
						}
						subject, base = c.user, domain.RoleSet{domain.RoleOfficer}
						if role == domain.RoleOfficer {
							continue // the officer's own managing role: their other roles cover self-changes
						}
					}
					current, wanted := base, base.Union(domain.RoleSet{role})
					if !grant {
						current, wanted = wanted, base
					}
					f.mustMember(t, "OWN", subject, current...)
					path := fmt.Sprintf("/operations/OWN/members/%d", subject.ID)
					rq := req{Method: "PUT", Path: path, Token: c.token, Body: map[string]any{"roles": wanted.Strings()}}
					name := fmt.Sprintf("%s grant=%v self=%v %s", c.name, grant, self, role)
					if err := domain.CanSetRoles(by, op.ID, subject.ID, current, wanted); err != nil {
						f.call(t, rq).wantError(t, http.StatusForbidden, "forbidden", map[string]string{"roles": err.(*domain.Error).Fields["roles"]})
						if got := f.rolesOf(t, "OWN", subject.ID); !equalRoles(got, current) {
							t.Errorf("%s refused, yet roles %v, were %v", name, got, current)
						}
						continue
					}
					f.call(t, rq).want(t, http.StatusOK)
					if got := f.rolesOf(t, "OWN", subject.ID); !equalRoles(got, wanted) {
						t.Errorf("%s: roles %v, want %v", name, got, wanted)
					}
				}
			}
			// DELETE removes every role: allowed only when each is the caller's to remove.
			current := domain.RoleSet{role}
			f.mustMember(t, "OWN", target, current...)
			rq := req{Method: "DELETE", Path: fmt.Sprintf("/operations/OWN/members/%d", target.ID), Token: c.token}
			if err := domain.CanSetRoles(by, op.ID, target.ID, current, nil); err != nil {
				f.call(t, rq).wantError(t, http.StatusForbidden, "forbidden", map[string]string{"roles": "grant.admin_only"})
			} else {
				f.call(t, rq).want(t, http.StatusNoContent)
			}
		}
	}
}

func (f *fixture) rolesOf(t testing.TB, code string, userID int64) domain.RoleSet {
	t.Helper()
	_, ms, err := f.dir.ListMembers(t.Context(), f.admin, code)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.User.ID == userID {
			return m.Roles
		}
	}
	return nil
}

func equalRoles(a, b domain.RoleSet) bool {
	return fmt.Sprint(a.Union(nil)) == fmt.Sprint(b.Union(nil))
}
