package service

import (
	"context"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// subject returns request r as a subject of domain.Can with the facts
// need read from st: the one place that loads what the rulebook's
// guards read, so a rule never decides on a half-loaded request.
func subject(ctx context.Context, st *store.Store, r domain.Request, need domain.Fact) (domain.Subject, error) {
	if need|domain.FactRequest == domain.AllFacts {
		return allFacts(ctx, st, r)
	}
	s := domain.OnRequest(r)
	if need&(domain.FactOperation|domain.FactEvaluation) != 0 {
		op, err := st.GetOperation(ctx, r.OperationID)
		if err != nil {
			return s, err
		}
		s.Operation, s.Known = op, s.Known|domain.FactOperation
		if need&domain.FactEvaluation != 0 {
			org, err := st.GetOrganization(ctx, r.RequestingOrgID)
			if err != nil {
				return s, err
			}
			s.Evaluation, s.Known = domain.Evaluate(r, op.Context, org.UNEntity), s.Known|domain.FactEvaluation
		}
	}
	if need&domain.FactReview != 0 {
		rv, ok, err := st.LatestReview(ctx, r.ID)
		if err != nil {
			return s, err
		}
		if ok {
			var votes []domain.Vote
			if rv.Open() {
				if votes, err = st.ListVotes(ctx, rv.ID); err != nil {
					return s, err
				}
			}
			s.Review, s.Tally = &rv, tallyOf(rv, votes)
		}
		s.Known |= domain.FactReview
	}
	if need&domain.FactConsent != 0 {
		c, err := st.GetConsent(ctx, r.ID)
		if err != nil {
			return s, err
		}
		s.Consent, s.Known = c, s.Known|domain.FactConsent
	}
	if need&domain.FactAssessment != 0 {
		a, err := st.GetAssessment(ctx, r.ID)
		if err != nil {
			return s, err
		}
		s.Assessment, s.Known = a, s.Known|domain.FactAssessment
	}
	if need&domain.FactVoters != 0 {
		orgs, err := st.HCTOrganizations(ctx, r.OperationID)
		if err != nil {
			return s, err
		}
		s.Voters, s.Known = orgs, s.Known|domain.FactVoters
	}
	return s, nil
}

// allFacts is subject with every fact, read in one round trip.
func allFacts(ctx context.Context, st *store.Store, r domain.Request) (domain.Subject, error) {
	data, err := st.RequestFacts(ctx, r)
	if err != nil {
		return domain.OnRequest(r), err
	}
	return subjectOf(r, data), nil
}

// subjectOf is r as a subject with every fact, from data (read by
// RequestFacts, or with the request page's batch).
func subjectOf(r domain.Request, data store.RequestFactsData) domain.Subject {
	s := domain.OnRequest(r)
	s.Operation = data.Operation
	s.Evaluation = domain.Evaluate(r, data.Operation.Context, data.Organization.UNEntity)
	if data.HasReview {
		rv := data.Review
		s.Review, s.Tally = &rv, tallyOf(rv, data.Votes)
	}
	s.Consent, s.Assessment, s.Voters = data.Consent, data.Assessment, data.HCTOrganizations
	s.Known = domain.AllFacts
	return s
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

// authorize asks domain.Can whether by may take action on r, with the
// facts the action's guard reads, and returns the subject it decided on.
func authorize(ctx context.Context, st *store.Store, by domain.Actor, action domain.Action, r domain.Request) (domain.Subject, error) {
	s, err := subject(ctx, st, r, domain.NeedsOf(action))
	if err != nil {
		return s, err
	}
	return s, domain.Can(by, action, s)
}
