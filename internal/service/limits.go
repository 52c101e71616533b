package service

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// hashGate bounds the argon2id computations running at once (a password
// checked or hashed): each takes 19 MiB and a core for tens of
// milliseconds, so a burst of sign-ins across many accounts and addresses
// — which the per-key limits do not stop — queues here instead of
// exhausting memory. A few callers per slot may wait a moment; beyond
// that, or after hashWait, the answer is "busy, try again" (429 with
// Retry-After), and memory stays flat.
type hashGate struct {
	slots   chan struct{}
	waiting atomic.Int64
	queue   int64
	wait    time.Duration
}

func newHashGate(n int) *hashGate {
	// Waiting costs a goroutine, not a hash's memory: the queue is long
	// enough for a busy office's morning (and a parallel test suite), and
	// still bounded, so a flood is turned away at once; a waiter gives up
	// well within the request's own timeout, so the answer is a 429, not
	// a timeout.
	return &hashGate{slots: make(chan struct{}, n), queue: int64(32 * n), wait: 4 * time.Second}
}

// gate is the process's hash gate: one slot per core.
var gate = newHashGate(runtime.GOMAXPROCS(0))

// errBusy answers an attempt the gate turned away.
func errBusy() error { return domain.RateLimited("server.busy", time.Second) }

// do runs fn in a slot, or answers errBusy.
func (g *hashGate) do(ctx context.Context, fn func() error) error {
	select {
	case g.slots <- struct{}{}:
	default:
		if g.waiting.Add(1) > g.queue {
			g.waiting.Add(-1)
			return errBusy()
		}
		t := time.NewTimer(g.wait)
		defer t.Stop()
		select {
		case g.slots <- struct{}{}:
			g.waiting.Add(-1)
		case <-t.C:
			g.waiting.Add(-1)
			return errBusy()
		case <-ctx.Done():
			g.waiting.Add(-1)
			return ctx.Err()
		}
	}
	defer func() { <-g.slots }()
	return fn()
}

// attempt is a reservation of slots for one guarded attempt (a password
// or a second factor checked): reserve it before the check, then settle
// it with the outcome.
type attempt struct {
	st    *store.Store
	slots []domain.Slot
	store.Reservation
	// user and address, when set, say whose account a failure that fills
	// a bucket locks, and from where: lockout logs it.
	user    int64
	address string
}

// reserve takes a slot in each of slots before an attempt, in its own
// committed transaction; a full bucket is domain.RateLimited with message.
func reserve(ctx context.Context, st *store.Store, now time.Time, message string, slots ...domain.Slot) (*attempt, error) {
	res, err := st.Reserve(ctx, now, slots...)
	if err != nil {
		return nil, err
	}
	if res.Wait > 0 {
		return nil, domain.RateLimited(message, res.Wait)
	}
	return &attempt{st: st, slots: slots, Reservation: res}, nil
}

// filled returns the limits whose bucket this attempt filled: a failure
// that starts a lockout.
func (a *attempt) filled() []string {
	var out []string
	for i, room := range a.Room {
		if room <= 0 {
			out = append(out, a.slots[i].Limit.Name)
		}
	}
	return out
}

// lockout logs, after a failed attempt, the lockout it starts when it
// filled a bucket (DirLockedOut with the limits), as sign-in does.
func (a *attempt) lockout(ctx context.Context, now func() time.Time) error {
	filled := a.filled()
	if len(filled) == 0 || a.user == 0 {
		return nil
	}
	u, err := a.st.GetUser(ctx, a.user)
	if err != nil {
		return err
	}
	return logAccount(ctx, a.st, now, a.address, accountEntry(domain.DirLockedOut, u, map[string]any{"limits": filled}))
}

// succeeded settles a successful attempt (its slots given back where the
// limit counts failures only).
//
// Settling outlives the request's context: a slot must be given back
// even when the caller has given up (a timed-out request), or it would
// count as a failure against the user.
func (a *attempt) succeeded(ctx context.Context) error {
	return a.st.Succeeded(context.WithoutCancel(ctx), a.IDs, a.slots...)
}

// abandoned gives the slots back when the attempt never got to its check
// (the hash gate was busy): it was neither a success nor a failure.
func (a *attempt) abandoned(ctx context.Context) error {
	return a.st.Release(context.WithoutCancel(ctx), a.IDs)
}

// actionLimits is the per-user limits a service applies to business
// actions: domain.ActionLimits, unless a test fixture that seeds data
// faster than any person would turned them off (WithActionLimits).
type actionLimits map[domain.Action]domain.Limit

// limitAction reserves by's slot of the business action's limit, on st:
// inside the action's transaction, so an action that fails gives its
// slot back. Actions without a limit pass.
func (limits actionLimits) limitAction(ctx context.Context, st *store.Store, by domain.Actor, action domain.Action, now time.Time) error {
	l, ok := limits[action]
	if !ok {
		return nil
	}
	res, err := st.Reserve(ctx, now, domain.Slot{Limit: l, Key: userKey(by.UserID)})
	if rule, _ := domain.RuleFor(action); err != nil && rule.Reads && domain.ErrorCode(err) == domain.CodeUnavailable {
		// A read (an export) on a database that takes no writes (a
		// standby, a primary being switched over) is not refused for
		// want of recording it: the limit waits for the writes to return.
		return nil
	}
	if err != nil {
		return err
	}
	if res.Wait > 0 {
		return domain.RateLimited("limit.action", res.Wait)
	}
	return nil
}

func userKey(id int64) string { return strconv.FormatInt(id, 10) }
