package domain_test

import (
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// TestDirectoryChain: a chain built with NewDirectoryEvent verifies; a
// changed field of any entry, or a missing entry, breaks it there.
func TestDirectoryChain(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 4, 28, 9, 15, 0, 123456789, time.UTC)
	var chain []domain.DirectoryEvent
	var prev *domain.DirectoryEvent
	for i, a := range domain.DirectoryActions {
		e, err := domain.NewDirectoryEvent(prev, domain.DirectoryEvent{ActorID: int64(i), Action: a,
			Target: domain.Target{Kind: domain.TargetUser, ID: int64(100 + i)}, OperationID: int64(i % 2)},
			map[string]any{"label": a, "n": i}, at.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		e.ID = int64(i + 1)
		chain = append(chain, e)
		prev = &chain[len(chain)-1]
	}
	verify := func(c []domain.DirectoryEvent) *domain.ChainBreak {
		var p *domain.DirectoryEvent
		for i := range c {
			if brk := domain.VerifyDirectoryNext(p, c[i]); brk != nil {
				return brk
			}
			p = &c[i]
		}
		return nil
	}
	if brk := verify(chain); brk != nil {
		t.Fatalf("intact chain breaks: %+v", brk)
	}
	alter := map[string]func(*domain.DirectoryEvent){
		"actor":     func(e *domain.DirectoryEvent) { e.ActorID++ },
		"action":    func(e *domain.DirectoryEvent) { e.Action += "x" },
		"target":    func(e *domain.DirectoryEvent) { e.Target.ID++ },
		"kind":      func(e *domain.DirectoryEvent) { e.Target.Kind = domain.TargetOrganization },
		"operation": func(e *domain.DirectoryEvent) { e.OperationID++ },
		"payload":   func(e *domain.DirectoryEvent) { e.Payload = []byte(`{"label":"forged"}`) },
		"time":      func(e *domain.DirectoryEvent) { e.At = e.At.Add(time.Microsecond) },
	}
	for name, change := range alter {
		for i := range chain {
			c := append([]domain.DirectoryEvent(nil), chain...)
			change(&c[i])
			if brk := verify(c); brk == nil || brk.Seq != int(c[i].Seq) {
				t.Errorf("%s of seq %d changed: break %+v", name, c[i].Seq, brk)
			}
		}
	}
	for i := range chain[:len(chain)-1] {
		c := append(append([]domain.DirectoryEvent(nil), chain[:i]...), chain[i+1:]...)
		if brk := verify(c); brk == nil || brk.Seq != int(chain[i+1].Seq) {
			t.Errorf("seq %d removed: break %+v", chain[i].Seq, brk)
		}
	}
}

// TestMembershipAction names every change and none for no change.
func TestMembershipAction(t *testing.T) {
	t.Parallel()
	for _, r := range domain.AllRoles {
		one := domain.RoleSet{r}
		for _, tt := range []struct {
			from, to domain.RoleSet
			want     string
		}{
			{nil, one, domain.DirMemberAdded},
			{one, nil, domain.DirMemberRemoved},
			{one, one, ""},
			{one, one.Union(domain.RoleSet{domain.RoleViewer, domain.RoleRequester}), domain.DirMemberChanged},
		} {
			if got := domain.MembershipAction(tt.from, tt.to); got != tt.want {
				t.Errorf("%v → %v: %q, want %q", tt.from, tt.to, got, tt.want)
			}
		}
	}
}
