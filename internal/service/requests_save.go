package service

import (
	"context"
	"errors"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// NotSubmittedError is returned by the "save and submit" use cases when
// the draft was saved but its submission refused (CodeInvalid: a failing
// checklist item or a missing field). Nothing typed is lost: the draft
// holds it; nothing of the submission was written. Err is the refusal,
// listing the failing items; domain.ErrorCode sees through to it.
type NotSubmittedError struct {
	Saved domain.Request // the draft as saved
	Err   error
}

func (e *NotSubmittedError) Error() string { return "saved, not submitted: " + e.Err.Error() }
func (e *NotSubmittedError) Unwrap() error { return e.Err }

// bound returns the service running on st, the store of a transaction
// already open, so that its use cases join that transaction.
func (s *Requests) bound(st *store.Store) *Requests {
	c := *s
	c.store = st
	return &c
}

// SaveAndSubmit edits request id as Edit does, then submits it, in one
// transaction. version is the version the requester saw: a request moved
// on since is CodeConflict (listing what changed) and nothing is saved. A refused
// submission (CodeInvalid) keeps the saved draft and returns
// *NotSubmittedError; any other failure of either step leaves the request
// as it was, with no event.
func (s *Requests) SaveAndSubmit(ctx context.Context, by domain.Actor, id int64, version int, apply func(*domain.Request) error) (domain.Request, error) {
	var (
		out     domain.Request
		refused error
	)
	err := s.store.InTx(ctx, func(st *store.Store) error {
		saved, err := s.bound(st).Edit(ctx, by, id, version, apply)
		if err != nil {
			return err
		}
		out, refused, err = s.submitSaved(ctx, st, by, saved)
		return err
	})
	if domain.ErrorCode(err) == domain.CodeInvalid {
		// The save itself was refused: say at once what the submission
		// would refuse too.
		if r, gerr := s.store.GetRequest(ctx, id); gerr == nil {
			if yours, aerr := edited(r, apply); aerr == nil {
				// What was recorded on it, as the rules read it; a failed
				// read reports as if nothing were (the report is advice on
				// a refused save, never a decision).
				subj, _ := subject(ctx, s.store, r, domain.FactConsent|domain.FactAssessment, s.now())
				err = s.withSubmitProblems(ctx, by, r.OperationID, yours, recordedOf(subj), err)
			}
		}
	}
	if err != nil {
		return domain.Request{}, err
	}
	if refused != nil {
		return out, &NotSubmittedError{Saved: out, Err: refused}
	}
	return out, nil
}

// CreateAndSubmit creates a draft as Create does, then submits it, in one
// transaction. A refused submission (CodeInvalid) keeps the new draft and
// returns *NotSubmittedError; any other failure of the submission creates
// nothing. A retry with the same idempotency key returns the request the
// first call created, as it now stands (created false), without submitting
// it again.
func (s *Requests) CreateAndSubmit(ctx context.Context, by domain.Actor, opCode string, in domain.Request, key string) (domain.Request, bool, error) {
	var (
		submitted domain.Request
		refused   error
	)
	out, created, err := s.createIn(ctx, by, opCode, in, key, func(st *store.Store, saved domain.Request, _ time.Time) error {
		var err error
		submitted, refused, err = s.submitSaved(ctx, st, by, saved)
		return err
	})
	if domain.ErrorCode(err) == domain.CodeInvalid {
		// The draft itself was refused: say at once what the submission
		// would refuse too.
		if op, oerr := s.memberOperation(ctx, by, opCode); oerr == nil {
			err = s.withSubmitProblems(ctx, by, op.ID, in, domain.Recorded{}, err)
		}
	}
	if err != nil {
		return domain.Request{}, false, err
	}
	if !created {
		return out, false, nil // a replay: the first call submitted, or not
	}
	if refused != nil {
		return out, true, &NotSubmittedError{Saved: out, Err: refused}
	}
	return submitted, true, nil
}

// withSubmitProblems adds to refused, a save refused as invalid on its
// way to a submission, what would then stop submitting r in operation
// opID given what was recorded on it (domain.WithSubmitProblems): every
// problem in one answer.
func (s *Requests) withSubmitProblems(ctx context.Context, by domain.Actor, opID int64, r domain.Request, rec domain.Recorded, refused error) error {
	var de *domain.Error
	if !errors.As(refused, &de) || de.Code != domain.CodeInvalid {
		return refused
	}
	op, err := s.store.GetOperation(ctx, opID)
	if err != nil {
		return refused
	}
	org, err := s.store.GetOrganization(ctx, by.OrganizationID)
	if err != nil {
		return refused
	}
	domain.NormalizeRequest(&r)
	return domain.WithSubmitProblems(de, domain.CheckSubmittable(r, op, domain.Evaluate(r, op.Context, org.UNEntity, rec), s.now()))
}

// Check returns every problem of in, a request typed in operation opCode
// (with rec, what was recorded on it, none for a new one) that could not
// even be read whole (a date that is not one), without
// saving anything: what a draft save would refuse and, with submit, what
// the submission would refuse too. The face lays its own parse messages
// over it, so one answer still reports every problem. nil: none.
func (s *Requests) Check(ctx context.Context, by domain.Actor, opCode string, in domain.Request, rec domain.Recorded, submit bool) error {
	op, err := s.memberOperation(ctx, by, opCode)
	if err != nil {
		return err
	}
	domain.NormalizeRequest(&in)
	draft := domain.ValidateDraft(in)
	if !submit {
		return draft
	}
	org, err := s.store.GetOrganization(ctx, by.OrganizationID)
	if err != nil {
		return err
	}
	sub := domain.CheckSubmittable(in, op, domain.Evaluate(in, op.Context, org.UNEntity, rec), s.now())
	var de *domain.Error
	if !errors.As(draft, &de) {
		return sub
	}
	return domain.WithSubmitProblems(de, sub)
}

// submitSaved submits saved inside the transaction of st, in a savepoint:
// a refusal (CodeInvalid) undoes whatever the submission began and is
// returned as refused, leaving the saved draft to commit; any other
// failure is err, and rolls the whole transaction back.
func (s *Requests) submitSaved(ctx context.Context, st *store.Store, by domain.Actor, saved domain.Request) (out domain.Request, refused, err error) {
	out = saved
	err = st.Savepoint(ctx, func(sp *store.Store) error {
		sub, err := s.bound(sp).Transition(ctx, by, saved.ID, domain.ActionSubmit, domain.TransitionInput{Version: saved.Version})
		if err == nil {
			out = sub
		}
		return err
	})
	if domain.ErrorCode(err) == domain.CodeInvalid {
		return saved, err, nil
	}
	return out, nil, err
}

// Patch changes request id's fields as Edit does (apply sets them on the
// locked, stored request: the API's merge patch) and returns the request
// as by now sees it, read in the same transaction: the PATCH's
// read-modify-write is one use case. Nothing is saved when apply, the
// rules or the read fail.
func (s *Requests) Patch(ctx context.Context, by domain.Actor, id int64, version int, apply func(*domain.Request) error) (RequestDetail, error) {
	var out RequestDetail
	err := s.store.InTx(ctx, func(st *store.Store) error {
		tx := s.bound(st)
		if _, err := tx.Edit(ctx, by, id, version, apply); err != nil {
			return err
		}
		var err error
		out, err = tx.Get(ctx, by, id)
		return err
	})
	return out, err
}
