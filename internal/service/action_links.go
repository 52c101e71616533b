package service

import (
	"context"
	"slices"
	"time"

	"github.com/cmcoord/cmcoord/internal/actionlink"
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// ActionLinks is acting from an e-mail (domain.ActionLink): opening a
// link shows what it would do and changes nothing; using it (the page's
// one POST) votes or decides as the link's user, through the same use
// case and the same rules as the request page, in one transaction that
// also spends the link.
type ActionLinks struct {
	reviews *Reviews
	access  *Access
}

// NewActionLinks returns the service: reviews acts, access checks second
// factors.
func NewActionLinks(reviews *Reviews, access *Access) *ActionLinks {
	return &ActionLinks{reviews: reviews, access: access}
}

// LinkPage is what the confirmation page of a link shows.
type LinkPage struct {
	Link domain.ActionLink
	User domain.User
	// Refusal is "" while the link works, else why not (domain.LinkLive's
	// keys, or the rulebook's refusal of the action for this user).
	Refusal string
	// The rest is filled only while the link works (Refusal ""), and for
	// a used link, so its page can say what was done.
	Request    domain.Request
	Evaluation domain.Evaluation
	Review     ReviewState
	// NeedsCode: the operation's policy requires a second factor of the
	// user's role there; the page asks for a code. HasFactor says whether
	// the user has one to give.
	NeedsCode bool
	HasFactor bool
}

// Action is the rulebook action the link takes.
func (p LinkPage) Action() domain.Action { return domain.LinkAction(p.Link.Purpose, p.Link.Value) }

// LinkInput is what the confirmation page posts.
type LinkInput struct {
	// Version is the request's version the page showed: a change since
	// refuses the act (409), and the page shows the request again.
	Version int
	// Comment is a vote's conditions, objection reason or remark.
	Comment string
	// Rationale and Conditions are a decision's.
	Rationale  string
	Conditions string
	// Code is the second factor, when NeedsCode.
	Code string
}

// Open returns link token's page as of now, changing nothing but the
// address's count of unknown links: a token that finds no link, or whose
// signature does not match the link it finds, is CodeNotFound and counts
// towards domain.LimitActionLink, so links cannot be guessed at speed.
//
// viewer is the user signed in where the link is opened (0: nobody): a
// link opened while someone else is signed in refuses (domain.LinkLive).
func (s *ActionLinks) Open(ctx context.Context, token, address string, viewer int64) (LinkPage, error) {
	l, err := s.find(ctx, s.reviews.store, token, address)
	if err != nil {
		return LinkPage{}, err
	}
	return s.page(ctx, s.reviews.store, l, viewer, s.reviews.now())
}

// find returns link token's row, checking its signature, inside a slot
// of the address's limit.
func (s *ActionLinks) find(ctx context.Context, st *store.Store, token, address string) (domain.ActionLink, error) {
	unknown := domain.Errorf(domain.CodeNotFound, domain.LinkUnknown)
	try, err := reserve(ctx, s.reviews.store, s.reviews.now(), "link.throttled",
		domain.Slot{Limit: domain.LimitActionLink, Key: address})
	if err != nil {
		return domain.ActionLink{}, err
	}
	hash, _, ok := actionlink.Parse(token)
	if !ok {
		return domain.ActionLink{}, unknown // a failure: the slot stays counted
	}
	l, err := st.ActionLink(ctx, hash)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return domain.ActionLink{}, unknown
	}
	if err != nil {
		return domain.ActionLink{}, err
	}
	key, err := actionlink.Key(ctx, st)
	if err != nil {
		return domain.ActionLink{}, err
	}
	if !actionlink.Verify(key, token, l) {
		s.reviews.log.WarnContext(ctx, "an action link's signature does not match its row", "link_id", l.ID, "address", address)
		return domain.ActionLink{}, unknown
	}
	return l, try.succeeded(ctx)
}

// page reads what link l's page shows to viewer, through st, at now.
func (s *ActionLinks) page(ctx context.Context, st *store.Store, l domain.ActionLink, viewer int64, now time.Time) (LinkPage, error) {
	u, ms, err := st.UserWithMemberships(ctx, l.UserID, now)
	if err != nil {
		return LinkPage{}, err
	}
	out := LinkPage{Link: l, User: u}
	r, err := st.GetRequest(ctx, l.RequestID)
	if err != nil {
		return LinkPage{}, err
	}
	subj, err := allFacts(ctx, st, r, now)
	if err != nil {
		return LinkPage{}, err
	}
	state := domain.LinkState{Now: now, User: u, Viewer: viewer, Request: r.Ref(), Review: subj.Review}
	by := actorOf(u, ms)
	if subj.Review != nil {
		votes, err := st.ListVotes(ctx, subj.Review.ID)
		if err != nil {
			return LinkPage{}, err
		}
		if i := slices.IndexFunc(votes, func(v domain.Vote) bool { return v.OrganizationID == u.OrganizationID }); i >= 0 {
			state.OrgVoted = &votes[i]
		}
		d, ok, err := st.LatestDecision(ctx, r.ID)
		if err != nil {
			return LinkPage{}, err
		}
		if ok && d.ReviewID == subj.Review.ID {
			state.Decided = &d
		}
	}
	out.Refusal = domain.LinkLive(l, state)
	if out.Refusal == "" {
		// The link is live: the rulebook still decides whether this user
		// may take its action now (a member who left the HCT may not).
		if err := domain.Can(by, out.Action(), subj); err != nil {
			out.Refusal = domain.ErrorMessage(err)
		}
	}
	if u.Disabled || (out.Refusal != "" && out.Refusal != domain.LinkUsed) || domain.Can(by, domain.ActionViewRequest, subj) != nil {
		// What the link's user may see is shown only while the link works
		// for them, or once used (to say what was done).
		return out, nil
	}
	out.Request, out.Evaluation = r, subj.Evaluation
	if out.Review, err = s.reviews.state(ctx, st, by, r); err != nil {
		return LinkPage{}, err
	}
	var opm []domain.Membership
	for _, m := range ms {
		if m.OperationID == r.OperationID {
			opm = append(opm, m)
		}
	}
	u.IsAdmin = false // an administrator's own sign-in rule is not the operation's
	out.NeedsCode = domain.NeedsSecondFactor(u, opm)
	if out.NeedsCode {
		f, err := s.access.SecondFactor(ctx, u.ID)
		if err != nil {
			return LinkPage{}, err
		}
		if out.HasFactor = f.Enrolled; !f.Enrolled && out.Refusal == "" {
			out.Refusal = domain.LinkFactorMissing
		}
	}
	return out, nil
}

// validate checks what in says for link l's action before anything is
// spent on it (a second factor's code is used up once checked).
func validate(l domain.ActionLink, in LinkInput) error {
	if l.Purpose == domain.LinkVote {
		return domain.ValidateVote(domain.VoteValue(l.Value), in.Comment)
	}
	return domain.ValidateDecision(domain.Decision{Outcome: domain.Status(l.Value), Rationale: in.Rationale, Conditions: in.Conditions})
}

// Use acts on link token as its user, once: it checks the second factor
// when the operation requires one, then, in one transaction with the
// link and the request locked, checks the link is still live and takes
// the action through the same use case as the request page (the vote or
// the decision, recorded as coming from an e-mail link) and spends the
// link and its siblings. It returns the page as it is after the act.
func (s *ActionLinks) Use(ctx context.Context, token string, in LinkInput, address string, viewer int64) (LinkPage, error) {
	p, err := s.Open(ctx, token, address, viewer)
	if err != nil {
		return LinkPage{}, err
	}
	if p.Refusal != "" {
		return p, domain.LinkRefused(p.Refusal)
	}
	// What was written is checked first: a form error must not use up
	// the second factor's code.
	if err := validate(p.Link, in); err != nil {
		return p, err
	}
	if p.NeedsCode {
		if err := s.access.VerifySecondFactor(ctx, p.User.ID, in.Code, address); err != nil {
			return p, err
		}
	}
	rv := s.reviews
	var id int64
	err = rv.store.InTx(ctx, func(st *store.Store) error {
		// The request first, then the link: the order every step locks
		// in, so two sibling links posted together queue on the request
		// rather than deadlock on each other's rows.
		l, err := s.find(ctx, st, token, address)
		if err != nil {
			return err
		}
		id = l.RequestID
		r, err := st.LockRequest(ctx, l.RequestID)
		if err != nil {
			return err
		}
		if l, err = st.LockActionLink(ctx, l.ID); err != nil {
			return err
		}
		now := rv.now()
		again, err := s.page(ctx, st, l, viewer, now)
		if err != nil {
			return err
		}
		if again.Refusal != "" {
			return domain.LinkRefused(again.Refusal)
		}
		u, ms, err := st.UserWithMemberships(ctx, l.UserID, now)
		if err != nil {
			return err
		}
		by := actorOf(u, ms)
		by.Address = address
		via := map[string]any{"via": "email_link", "link_id": l.ID}
		switch l.Purpose {
		case domain.LinkVote:
			_, err = rv.castVote(ctx, st, by, r, VoteInput{Value: domain.VoteValue(l.Value), Comment: in.Comment, Version: in.Version}, via)
		case domain.LinkDecide:
			_, err = rv.decide(ctx, st, by, r, DecisionInput{Version: in.Version, Outcome: domain.Status(l.Value),
				Rationale: in.Rationale, Conditions: in.Conditions}, via)
		}
		if err != nil {
			return err
		}
		return st.SpendActionLinks(ctx, l, now)
	})
	if err = settleAfter(ctx, rv.store, rv.now, rv.log, rv.notify, id, err); err != nil {
		return p, err
	}
	return s.Open(ctx, token, address, viewer)
}
