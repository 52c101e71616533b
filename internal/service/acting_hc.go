package service

import (
	"context"
	"strconv"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// Acting HC (issue 19, point 6). Naming one and ending one early are
// membership changes: each is one transaction holding the directory log's
// lock, appending its entry (inLog), and telling the acting HC and the
// operation's HC (a notice of kind domain.NoticeActingHC each). Who holds the HC role because of a
// period is never decided here: the store derives it (memberships_at).

// actingListed is how many periods ActingHC lists at most.
const actingListed = 50

// ActingHCPage is what the acting HC page and the API's list show.
type ActingHCPage struct {
	Operation domain.Operation
	// Periods are those running or to come, then past ones, latest first.
	Periods []domain.ActingHC
	// CanName: the actor may name an acting HC or end a period early;
	// Candidates are then the members they may name (not HC already).
	CanName    bool
	Candidates []domain.Member
}

// ActingHC returns operation code's acting periods, for those who may
// see them (officers, the HC, administrators).
func (d *Directory) ActingHC(ctx context.Context, by domain.Actor, code string) (ActingHCPage, error) {
	op, err := d.visibleOperation(ctx, by, code, domain.ActionViewActingHC)
	if err != nil {
		return ActingHCPage{}, err
	}
	out := ActingHCPage{Operation: op, CanName: domain.Allowed(by, domain.ActionNameActingHC, domain.InOperation(op.ID))}
	if out.Periods, err = d.store.ListActingHC(ctx, op.ID, d.now(), actingListed); err != nil {
		return ActingHCPage{}, err
	}
	if out.CanName {
		ms, err := d.store.ListMembers(ctx, op.ID)
		if err != nil {
			return ActingHCPage{}, err
		}
		for _, m := range ms {
			if !m.Roles.Has(domain.RoleHC) && !m.User.Disabled && m.User.ID != by.UserID {
				out.Candidates = append(out.Candidates, m)
			}
		}
	}
	return out, nil
}

// MayNameActingHC is nil when by may name an acting HC in operation code
// (the faces ask it before telling a malformed input: who may not name
// learns nothing of the input's problems).
func (d *Directory) MayNameActingHC(ctx context.Context, by domain.Actor, code string) error {
	_, err := d.visibleOperation(ctx, by, code, domain.ActionNameActingHC)
	return err
}

// NameActingHC names in.UserID acting HC of operation code for the
// period in gives (domain.CheckActingHC), as the HC or an administrator.
// A period overlapping another of the operation's is refused (409
// acting_hc.overlap; the database's exclusion constraint is the last
// line). The entry in the directory log and the notices to the acting HC
// and to the operation's HC commit with it.
func (d *Directory) NameActingHC(ctx context.Context, by domain.Actor, code string, in domain.ActingHCInput) (domain.ActingHC, error) {
	op, err := d.visibleOperation(ctx, by, code, domain.ActionNameActingHC)
	if err != nil {
		return domain.ActingHC{}, err
	}
	var out domain.ActingHC
	err = d.inLog(ctx, by, func(st *store.Store) (logEntry, error) {
		now := d.now()
		roles, err := st.MembershipRoles(ctx, op.ID, in.UserID)
		if err != nil {
			return logEntry{}, err
		}
		var u domain.User
		if len(roles) > 0 {
			if u, err = st.GetUser(ctx, in.UserID); err != nil {
				return logEntry{}, err
			}
			if u.Disabled {
				roles = nil // a disabled account is named for nothing
			}
		}
		p, err := domain.CheckActingHC(by, op.ID, in, roles, now)
		if err != nil {
			return logEntry{}, err
		}
		overlaps, err := st.ActingHCOverlaps(ctx, op.ID, p.StartsAt, p.EndsAt)
		if err != nil {
			return logEntry{}, err
		}
		if overlaps {
			return logEntry{}, domain.Errorf(domain.CodeConflict, "acting_hc.overlap")
		}
		if out, err = st.InsertActingHC(ctx, p); err != nil {
			return logEntry{}, err
		}
		if err := d.tellActing(ctx, st, by, op, out, "named", now); err != nil {
			return logEntry{}, err
		}
		return actingEntry(domain.DirActingHCNamed, op, u.Email, out), nil
	})
	return out, err
}

// EndActingHC ends operation code's acting period id early, now (the HC
// or an administrator). A period already over is 409.
func (d *Directory) EndActingHC(ctx context.Context, by domain.Actor, code string, id int64) (domain.ActingHC, error) {
	op, err := d.visibleOperation(ctx, by, code, domain.ActionNameActingHC)
	if err != nil {
		return domain.ActingHC{}, err
	}
	var out domain.ActingHC
	err = d.inLog(ctx, by, func(st *store.Store) (logEntry, error) {
		now := d.now()
		p, err := st.LockActingHC(ctx, op.ID, id)
		if err != nil {
			return logEntry{}, err
		}
		if err := domain.CheckEndActingHC(p, now); err != nil {
			return logEntry{}, err
		}
		if err := st.EndActingHC(ctx, p.ID, by.UserID, now); err != nil {
			return logEntry{}, err
		}
		p.EndedAt, p.EndedBy, p.EndedByName = now, by.UserID, by.Name
		out = p
		u, err := st.GetUser(ctx, p.UserID)
		if err != nil {
			return logEntry{}, err
		}
		if err := d.tellActing(ctx, st, by, op, p, "ended", now); err != nil {
			return logEntry{}, err
		}
		return actingEntry(domain.DirActingHCEnded, op, u.Email, p), nil
	})
	return out, err
}

// actingEntry is the directory log's entry of period p's naming or end.
func actingEntry(action string, op domain.Operation, label string, p domain.ActingHC) logEntry {
	payload := map[string]any{"label": label, "operation": op.Code, "acting_hc_id": p.ID, "role": string(domain.RoleHC),
		"starts_at": p.StartsAt.UTC().Format(time.RFC3339), "ends_at": p.EndsAt.UTC().Format(time.RFC3339), "reason": p.Reason}
	if !p.EndedAt.IsZero() {
		payload["ended_at"] = p.EndedAt.UTC().Format(time.RFC3339)
	}
	return logEntry{action: action, target: domain.Target{Kind: domain.TargetUser, ID: p.UserID}, opID: op.ID, payload: payload}
}

// tellActing tells period p's acting HC that they were named (change
// "named") or that the period was ended early ("ended"), and tells the
// same of them to whoever holds the operation's HC role at now (the HC,
// or a running acting HC) — but the actor (an HC who named or ended it
// themselves) and the acting HC, who has their own notice. The HC's
// notice carries Acting, the acting HC's name; its messages say "X was
// named" where the acting HC's say "you were named". Both link to the
// operation's acting HC page.
func (d *Directory) tellActing(ctx context.Context, st *store.Store, by domain.Actor, op domain.Operation, p domain.ActingHC, change string, now time.Time) error {
	if d.access == nil || d.access.notify == nil {
		return nil
	}
	ends := p.Until()
	if change == "ended" {
		ends = now
	}
	data := func() map[string]string {
		m := map[string]string{"Change": change, "NamedBy": p.NamedByName,
			"Starts": p.StartsAt.UTC().Format(time.RFC3339), "Ends": ends.UTC().Format(time.RFC3339),
			"Reason": p.Reason, "Period": strconv.FormatInt(p.ID, 10)}
		if change == "ended" {
			m["EndedBy"] = p.EndedByName
		}
		return m
	}
	notices := []domain.Notice{{Kind: domain.NoticeActingHC, Reference: op.Code, Title: op.Name,
		Recipients: []int64{p.UserID}, Data: data(), Actor: by.UserID}}
	hc, err := st.MembersWithRole(ctx, op.ID, domain.RoleHC, nil, now)
	if err != nil {
		return err
	}
	var others []int64
	for _, id := range hc {
		if id != p.UserID && id != by.UserID {
			others = append(others, id)
		}
	}
	if len(others) > 0 {
		m := data()
		m["Acting"] = p.UserName
		notices = append(notices, domain.Notice{Kind: domain.NoticeActingHC, Reference: op.Code, Title: op.Name,
			Recipients: others, Data: m, Actor: by.UserID})
	}
	return tellEach(ctx, st, d.access.notify, notices...)
}

// actingDecider returns the acting period under which by decides in
// operation opID at now, when by holds the HC role there only as acting
// HC (ok false otherwise), with the HC by membership they act for. A
// period the actor was loaded with that has ended since is CodeForbidden.
func actingDecider(ctx context.Context, st *store.Store, by domain.Actor, opID int64, now time.Time) (p domain.ActingHC, actingFor []int64, ok bool, err error) {
	id := by.ActsAsHC(opID)
	if id == 0 {
		return p, nil, false, nil
	}
	if p, err = st.LockActingHC(ctx, opID, id); err != nil {
		return p, nil, false, err
	}
	if !p.ActiveAt(now) {
		return p, nil, false, domain.Errorf(domain.CodeForbidden, "error.forbidden")
	}
	hc, err := st.MembersWithRole(ctx, opID, domain.RoleHC, nil, now)
	if err != nil {
		return p, nil, false, err
	}
	actingFor = []int64{}
	for _, u := range hc {
		if u != by.UserID {
			actingFor = append(actingFor, u)
		}
	}
	return p, actingFor, true, nil
}
