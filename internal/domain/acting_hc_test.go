package domain_test

import (
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestActingHC_Rulebook walks every role: only the HC of the operation
// and an administrator may name an acting HC; one who is HC only as
// acting may not; officers and the HC see the periods.
func TestActingHC_Rulebook(t *testing.T) {
	t.Parallel()
	const op = 7
	for _, role := range domain.AllRoles {
		a := domain.Actor{UserID: 1, Roles: map[int64]domain.RoleSet{op: {role}}}
		err := domain.Can(a, domain.ActionNameActingHC, domain.InOperation(op))
		if (err == nil) != (role == domain.RoleHC) {
			t.Errorf("%s names an acting HC: %v", role, err)
		}
		err = domain.Can(a, domain.ActionViewActingHC, domain.InOperation(op))
		if (err == nil) != (role == domain.RoleHC || role == domain.RoleOfficer) {
			t.Errorf("%s sees the periods: %v", role, err)
		}
	}
	admin := domain.Actor{UserID: 2, IsAdmin: true}
	if err := domain.Can(admin, domain.ActionNameActingHC, domain.InOperation(op)); err != nil {
		t.Errorf("an administrator: %v", err)
	}
	acting := domain.Actor{UserID: 3, Roles: map[int64]domain.RoleSet{op: {domain.RoleHC}}, ActingHC: map[int64]int64{op: 9}}
	if err := domain.Can(acting, domain.ActionNameActingHC, domain.InOperation(op)); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("an acting HC names another: %v", err)
	}
}

// TestActingHC_Period: a period grants from its start to its end, or to
// its early end.
func TestActingHC_Period(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	p := domain.ActingHC{StartsAt: t0, EndsAt: t0.Add(2 * time.Hour)}
	for at, want := range map[time.Duration]bool{-time.Second: false, 0: true, time.Hour: true, 2 * time.Hour: false} {
		if p.ActiveAt(t0.Add(at)) != want {
			t.Errorf("active at +%v = %v", at, !want)
		}
	}
	p.EndedAt = t0.Add(30 * time.Minute)
	if p.ActiveAt(t0.Add(time.Hour)) || !p.Over(t0.Add(30*time.Minute)) || !p.Until().Equal(p.EndedAt) {
		t.Error("an early end does not end the period")
	}
}
