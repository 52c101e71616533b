package domain_test

import (
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestNeedsSecondFactor walks every role, with and without the
// operation's policy, for administrators and everyone else: an
// administrator always needs a factor; anyone else exactly when they are
// a CMCoord officer or the HC of an operation whose policy requires it.
func TestNeedsSecondFactor(t *testing.T) {
	t.Parallel()
	covered := map[domain.Role]bool{domain.RoleOfficer: true, domain.RoleHC: true} // the "officers and the HC"
	for _, admin := range []bool{false, true} {
		u := domain.User{ID: 1, IsAdmin: admin}
		if got := domain.NeedsSecondFactor(u, nil); got != admin {
			t.Errorf("admin=%v with no membership: %v, want %v", admin, got, admin)
		}
		for _, role := range domain.AllRoles {
			for _, policy := range []bool{false, true} {
				ms := []domain.Membership{{OperationID: 7, UserID: 1, Roles: domain.RoleSet{role}, RequireSecondFactor: policy}}
				want := admin || policy && covered[role]
				if got := domain.NeedsSecondFactor(u, ms); got != want {
					t.Errorf("admin=%v %s policy=%v: %v, want %v", admin, role, policy, got, want)
				}
				// The policy is per operation: an officer elsewhere, where
				// it is off, does not make this role need one.
				other := append(ms, domain.Membership{OperationID: 8, UserID: 1, Roles: domain.RoleSet{domain.RoleOfficer, domain.RoleHC}})
				if got := domain.NeedsSecondFactor(u, other); got != want {
					t.Errorf("admin=%v %s policy=%v, officer and HC where it is off: %v, want %v", admin, role, policy, got, want)
				}
			}
		}
	}
	for _, r := range domain.SecondFactorRoles {
		if !covered[r] {
			t.Errorf("SecondFactorRoles holds %s, which the issue does not name", r)
		}
	}
}
