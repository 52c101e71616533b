package domain

import "time"

// Acting HC (issue 19, point 6): the HC of an operation, or an
// administrator, names a member acting HC for a period. During
// [StartsAt, EndsAt), unless ended early, that member holds RoleHC in
// the operation as acting HC. The store derives the grant, in one place
// (migration 36's memberships_at), for every reader of roles: an actor's
// memberships (Membership.ActingHCID) and the members holding a role. It
// is judged against the caller's clock, so the period ends by itself.

// MaxActingPeriod is the longest period an acting HC may be named for
// (the database's acting_hc_period_check holds the same bound).
const MaxActingPeriod = 30 * 24 * time.Hour

// ActingHC is one acting period.
type ActingHC struct {
	ID          int64
	OperationID int64
	UserID      int64 // the acting HC
	UserName    string
	NamedBy     int64
	NamedByName string
	StartsAt    time.Time
	EndsAt      time.Time
	Reason      string
	CreatedAt   time.Time
	// EndedAt and EndedBy are set when the period was ended early.
	EndedAt     time.Time
	EndedBy     int64
	EndedByName string
}

// Until is when the period ends: EndsAt, or its early end when sooner.
func (p ActingHC) Until() time.Time {
	if !p.EndedAt.IsZero() && p.EndedAt.Before(p.EndsAt) {
		return p.EndedAt
	}
	return p.EndsAt
}

// ActiveAt reports whether the period grants the HC role at t.
func (p ActingHC) ActiveAt(t time.Time) bool {
	return !t.Before(p.StartsAt) && t.Before(p.Until())
}

// Over reports whether the period grants nothing from t on.
func (p ActingHC) Over(t time.Time) bool { return !t.Before(p.Until()) }

// ActingHCInput is what naming an acting HC takes.
type ActingHCInput struct {
	UserID   int64
	StartsAt time.Time // zero: now
	EndsAt   time.Time
	Reason   string
}

// CheckActingHC checks a naming at now in operation opID: the named user
// holds roles there (memberRoles; empty: not a member) and is not the
// HC already (by membership) nor the one naming; the period starts now
// or later and lasts at most MaxActingPeriod; a reason is given. It
// returns the period as it will be stored (a zero or past start within
// a minute is now).
func CheckActingHC(by Actor, opID int64, in ActingHCInput, memberRoles RoleSet, now time.Time) (ActingHC, error) {
	f := fieldErrors{}
	switch {
	case in.UserID == 0:
		f.add("user", "field.choose")
	case len(memberRoles) == 0:
		f.add("user", "acting_hc.not_member")
	case memberRoles.Has(RoleHC):
		f.add("user", "acting_hc.already_hc")
	case in.UserID == by.UserID:
		f.add("user", "acting_hc.not_self")
	}
	start := in.StartsAt
	if start.IsZero() || (start.Before(now) && now.Sub(start) <= time.Minute) {
		start = now // a form's "from" of the current minute means now
	}
	switch {
	case start.Before(now):
		f.add("starts_at", "acting_hc.start_past")
	case in.EndsAt.IsZero():
		f.add("ends_at", "field.required")
	case !in.EndsAt.After(start):
		f.add("ends_at", "acting_hc.end_before_start")
	case in.EndsAt.Sub(start) > MaxActingPeriod:
		f.add("ends_at", "acting_hc.too_long")
	}
	checkText(f, "reason", in.Reason, 1000, true)
	if err := f.err(); err != nil {
		return ActingHC{}, err
	}
	return ActingHC{OperationID: opID, UserID: in.UserID, NamedBy: by.UserID, StartsAt: start, EndsAt: in.EndsAt,
		Reason: in.Reason, CreatedAt: now}, nil
}

// CheckEndActingHC checks ending period p early at now: it must not be
// over already.
func CheckEndActingHC(p ActingHC, now time.Time) error {
	if p.Over(now) {
		return Errorf(CodeConflict, "acting_hc.already_over")
	}
	return nil
}

// ActsAsHC reports whether a holds the HC role of operation opID only as
// acting HC (the period's ID, 0 otherwise).
func (a Actor) ActsAsHC(opID int64) int64 { return a.ActingHC[opID] }

// notActingHC refuses naming an acting HC to one who is HC only as
// acting: the acting HC names nobody in turn.
func notActingHC(a Actor, s Subject) error {
	if a.ActingHC[s.OperationID] != 0 && !a.IsAdmin {
		return Errorf(CodeForbidden, "acting_hc.acting_cannot_name")
	}
	return nil
}
