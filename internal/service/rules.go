package service

import (
	"context"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// subject returns request r as a subject of domain.Can with the facts
// need: none beyond the request itself when need asks for none,
// otherwise every fact, read in one round trip (store.RequestFacts), at
// now (the service's clock). It is the one place that loads what the
// rulebook's guards read, so a rule never decides on a half-loaded
// request.
func subject(ctx context.Context, st *store.Store, r domain.Request, need domain.Fact, now time.Time) (domain.Subject, error) {
	if need&^domain.FactRequest == 0 {
		return domain.OnRequest(r), nil
	}
	return allFacts(ctx, st, r, now)
}

// allFacts is subject with every fact, read in one round trip.
func allFacts(ctx context.Context, st *store.Store, r domain.Request, now time.Time) (domain.Subject, error) {
	data, err := st.RequestFacts(ctx, r)
	if err != nil {
		return domain.OnRequest(r), err
	}
	return subjectOf(r, data, now), nil
}

// subjectOf is r as a subject with every fact at now, from data (read by
// RequestFacts, or with the request page's batch).
func subjectOf(r domain.Request, data store.RequestFactsData, now time.Time) domain.Subject {
	s := domain.OnRequest(r)
	s.Operation, s.Now = data.Operation, now
	if data.HasReview {
		rv := data.Review
		s.Review, s.Tally = &rv, tallyOf(rv, data.Votes)
	}
	s.Consent, s.Assessment, s.Voters = data.Consent, data.Assessment, data.HCTOrganizations
	s.Evaluation = domain.Evaluate(r, data.Operation.Context, data.Organization.UNEntity, recordedOf(s))
	s.Known = domain.AllFacts
	return s
}

// recordedOf is what was recorded on subject s's request after its
// answers, for the checklist's evaluation.
func recordedOf(s domain.Subject) domain.Recorded {
	return domain.Recorded{Consent: s.Consent, Assessed: s.Assessment != nil}
}

// tallyOf is review rv's tally: frozen once closed, of votes (its
// current ones) while open.
func tallyOf(rv domain.Review, votes []domain.Vote) domain.Tally {
	if !rv.Open() {
		if rv.Tally != nil {
			return *rv.Tally
		}
		return domain.Tally{}
	}
	return domain.CountVotes(rv.Policy, rv.Eligible, votes)
}

// authorize asks domain.Can whether by may take action on r at now, with
// the facts the action's guard reads, and returns the subject it decided
// on.
func authorize(ctx context.Context, st *store.Store, by domain.Actor, action domain.Action, r domain.Request, now time.Time) (domain.Subject, error) {
	s, err := subject(ctx, st, r, domain.NeedsOf(action), now)
	if err != nil {
		return s, err
	}
	return s, domain.Can(by, action, s)
}
