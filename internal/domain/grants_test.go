package domain_test

import (
	"slices"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestGrants_Table: every role has a row, and the rows PRODUCT.md §1
// names hold: HC, HRDDP reviewer and officer roles are the
// administrator's alone, and no role is granted by anyone but an officer
// (or the administrator).
func TestGrants_Table(t *testing.T) {
	t.Parallel()
	for _, r := range domain.AllRoles {
		by, ok := domain.Grants[r]
		if !ok {
			t.Errorf("role %s has no row in Grants", r)
		}
		for _, g := range by {
			if g != domain.RoleOfficer {
				t.Errorf("role %s may be granted by %s; only officers manage members", r, g)
			}
		}
	}
	for r := range domain.Grants {
		if !slices.Contains(domain.AllRoles, r) {
			t.Errorf("Grants has a row for unknown role %q", r)
		}
	}
	for _, r := range []domain.Role{domain.RoleHC, domain.RoleHRDDPReviewer, domain.RoleOfficer} {
		if len(domain.Grants[r]) != 0 {
			t.Errorf("role %s may be granted by %v; it is the administrator's alone", r, domain.Grants[r])
		}
	}
}

// grantCase is one kind of actor, as the service tests walk them too.
type grantCase struct {
	name  string
	actor domain.Actor
}

func grantActors(op, other int64) []grantCase {
	const self = 7
	member := func(opID int64, roles ...domain.Role) domain.Actor {
		return domain.Actor{UserID: self, Roles: map[int64]domain.RoleSet{opID: roles}}
	}
	out := []grantCase{
		{"anonymous", domain.Actor{}},
		{"admin", domain.Actor{UserID: self, IsAdmin: true}},
		{"admin_member", domain.Actor{UserID: self, IsAdmin: true, Roles: map[int64]domain.RoleSet{op: {domain.RoleViewer}}}},
		{"officer_elsewhere", member(other, domain.RoleOfficer)},
		{"nobody", member(other, domain.RoleRequester)},
	}
	for _, r := range domain.AllRoles {
		out = append(out, grantCase{"member_" + string(r), member(op, r)})
	}
	return out
}

// TestCanSetRoles walks every kind of actor × every role × grant and
// removal × self and someone else, and checks the answer against the
// rules the issue states: nobody changes their own roles; an
// administrator changes anyone else's; a member changes another's only
// for the roles whose Grants row names a role they hold there; anyone
// else is told what Can says about managing members.
func TestCanSetRoles(t *testing.T) {
	t.Parallel()
	const op, other = int64(1), int64(2)
	for _, c := range grantActors(op, other) {
		for _, role := range domain.AllRoles {
			for _, grant := range []bool{true, false} {
				for _, self := range []bool{true, false} {
					target := int64(99)
					if self {
						target = c.actor.UserID
					}
					current, wanted := domain.RoleSet{}, domain.RoleSet{role}
					if !grant {
						current, wanted = wanted, current
					}
					err := domain.CanSetRoles(c.actor, op, target, current, wanted)
					var want domain.Code
					var field string
					switch manage := domain.Can(c.actor, domain.ActionManageMembers, domain.InOperation(op)); {
					case manage != nil:
						want = domain.ErrorCode(manage)
					case self:
						want, field = domain.CodeForbidden, "grant.self"
					case c.actor.IsAdmin || holdsAny(c.actor.RolesIn(op), domain.Grants[role]):
						want = ""
					default:
						want, field = domain.CodeForbidden, "grant.admin_only"
					}
					if got := domain.ErrorCode(err); got != want {
						t.Errorf("%s grant=%v self=%v %s: %v, want code %q", c.name, grant, self, role, err, want)
						continue
					}
					if e, ok := err.(*domain.Error); field != "" && (!ok || e.Fields["roles"] != field) {
						t.Errorf("%s grant=%v self=%v %s: %v, want field roles %q", c.name, grant, self, role, err, field)
					}
					// A page offers exactly the roles the rule accepts.
					offered := domain.GrantableRoles(c.actor, op, target).Has(role)
					if allowed := err == nil; offered != allowed && domain.Can(c.actor, domain.ActionManageMembers, domain.InOperation(op)) == nil {
						t.Errorf("%s self=%v %s: offered %v, allowed %v", c.name, self, role, offered, allowed)
					}
				}
			}
		}
	}
}

func holdsAny(held domain.RoleSet, by []domain.Role) bool {
	for _, r := range by {
		if held.Has(r) {
			return true
		}
	}
	return false
}

// TestCanSetRoles_NoChange: setting the roles someone already has grants
// nothing, so it is allowed to whoever may manage members, even on
// oneself (a form sent back unchanged).
func TestCanSetRoles_NoChange(t *testing.T) {
	t.Parallel()
	officer := domain.Actor{UserID: 7, Roles: map[int64]domain.RoleSet{1: {domain.RoleOfficer}}}
	for _, target := range []int64{7, 8} {
		set := domain.RoleSet{domain.RoleOfficer, domain.RoleHC}
		if err := domain.CanSetRoles(officer, 1, target, set, set); err != nil {
			t.Errorf("target %d: %v", target, err)
		}
	}
}

// TestRolesFromForm: a form offering only the grantable roles leaves the
// others as they are, whatever is ticked; a ticked role it did not offer
// is kept in the result for CanSetRoles to refuse.
func TestRolesFromForm(t *testing.T) {
	t.Parallel()
	const op = int64(1)
	for _, c := range grantActors(op, 2) {
		grantable := domain.GrantableRoles(c.actor, op, 99)
		for _, held := range domain.AllRoles {
			for _, ticked := range domain.AllRoles {
				current, posted := domain.RoleSet{held}, domain.RoleSet{ticked}
				got := domain.RolesFromForm(c.actor, op, 99, current, posted)
				for _, r := range domain.AllRoles {
					want := posted.Has(r) || (current.Has(r) && !grantable.Has(r))
					if got.Has(r) != want {
						t.Errorf("%s held %s ticked %s: result %v, %s in it = %v, want %v", c.name, held, ticked, got, r, got.Has(r), want)
					}
				}
				err := domain.CanSetRoles(c.actor, op, 99, current, got)
				offered := grantable.Has(ticked) || ticked == held
				if domain.Can(c.actor, domain.ActionManageMembers, domain.InOperation(op)) == nil && (err == nil) != offered {
					t.Errorf("%s held %s ticked %s: CanSetRoles = %v, but the form offered it: %v", c.name, held, ticked, err, offered)
				}
			}
		}
	}
}
