package domain

// Grants is the separation-of-duties table (PRODUCT.md §1, issue #13):
// for each role, the roles whose holders may grant and remove it in the
// same operation. A global administrator may grant and remove every role;
// a role whose row is empty is the administrator's alone. Nobody, the
// administrator included, changes their own roles: CanSetRoles refuses it
// whatever this table says.
//
// An officer manages the operation's requesters, viewers and HCT members
// only. cmcoord_officer is not among them: an officer who could appoint
// officers could appoint a second self and so grant anything by proxy,
// which is what the administrator-only rows exist to prevent.
var Grants = map[Role][]Role{
	RoleRequester:     {RoleOfficer},
	RoleViewer:        {RoleOfficer},
	RoleHCTMember:     {RoleOfficer},
	RoleOfficer:       nil,
	RoleHC:            nil,
	RoleHRDDPReviewer: nil,
}

// GrantableRoles returns the roles a may grant to and remove from user
// target in operation opID, in display order: every role for an
// administrator, the rows of Grants naming one of a's roles there for a
// member, and none at all for a's own membership or an anonymous a. It
// is what a member form offers; CanSetRoles decides with it.
func GrantableRoles(a Actor, opID, target int64) RoleSet {
	if a.Anonymous() || a.UserID == target {
		return nil
	}
	held := a.RolesIn(opID)
	var out RoleSet
	for _, r := range AllRoles {
		if a.IsAdmin || holdsAny(held, Grants[r]) {
			out = append(out, r)
		}
	}
	return out
}

// CanSetRoles decides whether a may change user target's roles in
// operation opID from current to wanted (an empty wanted removes the
// membership). It returns nil when allowed or when nothing changes;
// Can's answer for ActionManageMembers when a may not manage the
// operation's members at all (CodeUnauthorized, CodeNotFound for an
// operation a cannot see, CodeForbidden); and CodeForbidden with field
// "roles" when the change touches a's own roles ("grant.self") or a role
// outside GrantableRoles, granted or removed ("grant.admin_only").
func CanSetRoles(a Actor, opID, target int64, current, wanted RoleSet) error {
	if err := Can(a, ActionManageMembers, InOperation(opID)); err != nil {
		return err
	}
	changed := current.symmetricDiff(wanted)
	if len(changed) == 0 {
		return nil
	}
	if a.UserID == target {
		return grantRefused("grant.self")
	}
	grantable := GrantableRoles(a, opID, target)
	for _, r := range changed {
		if !grantable.Has(r) {
			return grantRefused("grant.admin_only")
		}
	}
	return nil
}

func grantRefused(key string) error {
	return &Error{Code: CodeForbidden, Message: "grant.refused", Fields: map[string]string{"roles": key}}
}

// RolesFromForm returns the roles a form offering only GrantableRoles(a,
// opID, target) asks for when posted is what was ticked: the ticked roles
// plus every current role the form did not offer, which it leaves as it
// is. A ticked role the form did not offer stays in the result, so
// CanSetRoles refuses a tampered form rather than ignoring it.
func RolesFromForm(a Actor, opID, target int64, current, posted RoleSet) RoleSet {
	grantable := GrantableRoles(a, opID, target)
	keep := RoleSet{}
	for _, r := range current {
		if !grantable.Has(r) {
			keep = append(keep, r)
		}
	}
	return posted.Union(keep)
}

// Union returns the roles in s or o, in display order.
func (s RoleSet) Union(o RoleSet) RoleSet {
	var out RoleSet
	for _, r := range AllRoles {
		if s.Has(r) || o.Has(r) {
			out = append(out, r)
		}
	}
	return out
}

// symmetricDiff returns the roles in exactly one of s and o: those a
// change from s to o grants or removes.
func (s RoleSet) symmetricDiff(o RoleSet) RoleSet {
	var out RoleSet
	for _, r := range AllRoles {
		if s.Has(r) != o.Has(r) {
			out = append(out, r)
		}
	}
	return out
}

// SameRoles reports whether a and b hold the same roles, in any order.
func SameRoles(a, b RoleSet) bool { return len(a.symmetricDiff(b)) == 0 }

// RolesEditedMeanwhile is the refusal of a member form's change when the
// member's roles are no longer those the form showed (seen): someone
// changed them since. The roles now and the change's are listed, and the
// message is said at the form's roles.
func RolesEditedMeanwhile(now, yours RoleSet) *Error {
	e := EditedMeanwhile(map[string]any{"roles": now.Strings()}, map[string]any{"roles": yours.Strings()})
	e.Fields = map[string]string{"roles": "member.changed_meanwhile"}
	return e
}

// Granted returns the roles wanted adds to current.
func Granted(current, wanted RoleSet) RoleSet { return wanted.minus(current) }

// Removed returns the roles wanted takes from current.
func Removed(current, wanted RoleSet) RoleSet { return current.minus(wanted) }

func (s RoleSet) minus(o RoleSet) RoleSet {
	out := RoleSet{}
	for _, r := range s {
		if !o.Has(r) {
			out = append(out, r)
		}
	}
	return out
}
