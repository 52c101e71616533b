package service

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// JobReport counts what one run of the background job did.
type JobReport struct {
	Closed, Reminded, Expired int
	// Digests counts the daily digest e-mails queued (DigestSender).
	Digests int
}

// DigestSender queues the daily digest e-mails that are due, in the
// caller's transaction (notify.Notifier does): the job's last step when
// the service's notifier is one and sends e-mail.
type DigestSender interface {
	MailEnabled() bool
	SendDigests(ctx context.Context, st *store.Store, now time.Time, limit int) (sent int, more bool, err error)
}

// JobBatch is how many items the job claims and settles in one
// transaction: one commit per batch, not per item, while a batch stays
// short enough not to hold its rows long.
const JobBatch = 200

// jobRest is the share of a batch's own time the job rests before the
// next one, so that a long backlog leaves the pages their cores.
const jobRest = 4 // a quarter

// jobRoles are the roles of the members the job's notices go to.
var jobRoles = []domain.Role{domain.RoleOfficer, domain.RoleHC, domain.RoleHCTMember}

// RunDue does, once, what time makes due: closes the reviews whose
// deadline passed, sends the reminders, and expires requests whose
// required-by time passed before a decision. It claims up to Batch items
// at a time, locked with SKIP LOCKED so several instances share the work,
// and settles the batch set-wise in its one transaction (settleBatch:
// the domain decides each request, one statement per kind writes them
// all); it catches up on everything missed while no instance ran, logs
// each batch that did anything, rests a little between batches and stops
// between them when ctx ends.
func (s *Reviews) RunDue(ctx context.Context) (JobReport, error) {
	run := jobRun{s: s, start: time.Now()}
	t, _ := domain.TransitionFor(domain.ActionExpire)
	steps := []struct {
		name  string
		batch func(ctx context.Context, st *store.Store, now time.Time, limit int, skip []int64) ([]int64, error)
	}{
		{"due reviews", func(ctx context.Context, st *store.Store, now time.Time, limit int, skip []int64) ([]int64, error) {
			return st.ClaimDueReviews(ctx, now, limit, skip)
		}},
		{"reminders", nil},
		// The statuses the rulebook lets the system expire from.
		{"expiries", func(ctx context.Context, st *store.Store, now time.Time, limit int, skip []int64) ([]int64, error) {
			return st.ClaimExpiredRequests(ctx, now, t.From, limit, skip)
		}},
		{"digests", nil}, // runDigests
	}
	for _, step := range steps {
		if step.name == "digests" {
			if err := s.runDigests(ctx, &run); err != nil {
				return run.rep, err
			}
			continue
		}
		var skip []int64 // claimed, but nothing was due: not claimed again this run
		for more := true; more; {
			var (
				b   JobReport
				err error
			)
			began := time.Now()
			if step.batch == nil {
				b, more, err = s.remindBatch(ctx, s.batch())
			} else {
				b, more, err = s.settleBatch(ctx, s.batch(), step.batch, &skip)
			}
			if err != nil {
				return run.rep, err
			}
			if err := run.done(ctx, step.name, b, time.Since(began), more); err != nil {
				return run.rep, err
			}
		}
	}
	return run.rep, nil
}

// runDigests queues the daily digests that are due, a batch of users
// per transaction, when the notifier sends them (DigestSender with
// e-mail enabled); otherwise it does nothing, not even a statement.
func (s *Reviews) runDigests(ctx context.Context, run *jobRun) error {
	ds, ok := s.notify.(DigestSender)
	if !ok || !ds.MailEnabled() {
		return nil
	}
	for more := true; more; {
		began := time.Now()
		var b JobReport
		err := s.store.InTx(ctx, func(st *store.Store) error {
			var err error
			b.Digests, more, err = ds.SendDigests(ctx, st, s.now(), s.batch())
			return err
		})
		if err != nil {
			return err
		}
		if err := run.done(ctx, "digests", b, time.Since(began), more); err != nil {
			return err
		}
	}
	return nil
}

func (s *Reviews) batch() int {
	if s.Batch > 0 {
		return s.Batch
	}
	return JobBatch
}

// jobRun is one RunDue's progress.
type jobRun struct {
	s     *Reviews
	start time.Time
	rep   JobReport
}

// done counts batch b, which took took, logs it when it did anything
// and, when more may follow, rests a share of took or stops with ctx.
func (r *jobRun) done(ctx context.Context, step string, b JobReport, took time.Duration, more bool) error {
	r.rep.Closed += b.Closed
	r.rep.Reminded += b.Reminded
	r.rep.Expired += b.Expired
	r.rep.Digests += b.Digests
	if b != (JobReport{}) {
		r.s.log.InfoContext(ctx, "review job batch", "step", step, "closed", b.Closed, "reminded", b.Reminded,
			"expired", b.Expired, "digests", b.Digests, "total_closed", r.rep.Closed, "total_reminded", r.rep.Reminded,
			"total_expired", r.rep.Expired, "batch_ms", took.Milliseconds(), "elapsed", time.Since(r.start).Round(time.Millisecond).String())
	}
	if !more {
		return ctx.Err()
	}
	rest := time.NewTimer(max(took/jobRest, time.Millisecond))
	defer rest.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-rest.C:
		return nil
	}
}

// settleBatch claims up to limit requests with claim and settles them
// in one transaction with a constant number of statements: the claim,
// one read of what the domain needs of all of them (store.JobFacts, after
// the locks), then, once the domain has decided each (dueStepOf: the same
// step Settle takes), one statement per kind of write — the requests, the
// reviews closed or cancelled, the events (each chain's next link, hashed
// here) and the notices. A claimed request with nothing due is added to
// skip, so the next claims pass it by; more reports whether the claim
// was full (more may be waiting).
func (s *Reviews) settleBatch(ctx context.Context, limit int,
	claim func(ctx context.Context, st *store.Store, now time.Time, limit int, skip []int64) ([]int64, error),
	skip *[]int64) (JobReport, bool, error) {
	var (
		rep     JobReport
		more    bool
		skipped []int64
	)
	err := s.store.InTx(ctx, func(st *store.Store) error {
		rep, skipped = JobReport{}, nil // InTx may retry
		now := s.now()
		ids, err := claim(ctx, st, now, limit, *skip)
		if err != nil || len(ids) == 0 {
			return err
		}
		more = len(ids) == limit
		f, err := st.JobFacts(ctx, ids, jobRoles, now)
		if err != nil {
			return err
		}
		members := func(opID int64, role domain.Role, orgs []int64) ([]int64, error) {
			return f.MembersWithRole(opID, role, orgs), nil
		}
		var (
			requests []domain.Request
			closes   []store.ReviewClose
			events   []domain.Event
			notices  []domain.Notice
		)
		for _, r := range f.Requests {
			var rv *domain.Review
			if x, ok := f.Reviews[r.ID]; ok {
				rv = &x
			}
			step, ok, err := dueStepOf(r, rv, f.Votes, members, now)
			if err != nil {
				return err
			}
			if !ok {
				skipped = append(skipped, r.ID)
				continue
			}
			ev, err := domain.NewEvent(f.Last[r.ID], r.ID, 0, string(step.action), step.payload, now)
			if err != nil {
				return err
			}
			requests, events, notices = append(requests, step.request), append(events, ev), append(notices, step.notice)
			if step.review != nil {
				closes = append(closes, *step.review)
			}
			switch step.action {
			case domain.ActionCloseReview:
				rep.Closed++
			case domain.ActionExpire:
				rep.Expired++
			}
		}
		if err := st.UpdateRequestStates(ctx, requests); err != nil {
			return err
		}
		if err := st.CloseReviews(ctx, closes, now); err != nil {
			return err
		}
		if err := st.InsertEvents(ctx, events); err != nil {
			return err
		}
		return s.tellAll(ctx, st, notices)
	})
	if err != nil {
		return JobReport{}, false, err
	}
	*skip = append(*skip, skipped...)
	return rep, more, nil
}

// BatchNotifier is a Notifier that records many notices at once, with
// the same result as Notify on each in turn (notify.Notifier does).
type BatchNotifier interface {
	NotifyAll(ctx context.Context, st *store.Store, notices []domain.Notice) error
}

// tellAll tells every notice of ns in st's transaction: at once when the
// notifier can, otherwise one by one.
func (s *Reviews) tellAll(ctx context.Context, st *store.Store, ns []domain.Notice) error {
	ns = slices.DeleteFunc(ns, func(n domain.Notice) bool { return len(n.Recipients) == 0 })
	if s.notify == nil || len(ns) == 0 {
		return nil
	}
	if b, ok := s.notify.(BatchNotifier); ok {
		return b.NotifyAll(ctx, st, ns)
	}
	for _, n := range ns {
		if err := s.notify.Notify(ctx, st, n); err != nil {
			return err
		}
	}
	return nil
}

// dueStep is the system's step on one overdue request, as the domain
// builds it: the request after it (domain.Request.ApplySystem), the
// review it closes or cancels (nil: none), its event's payload and its
// notice.
type dueStep struct {
	action  domain.Action
	request domain.Request
	review  *store.ReviewClose
	payload map[string]any
	notice  domain.Notice
}

// membersFunc returns operation opID's enabled members holding role, of
// orgs only when orgs is not nil, by user ID (store.MembersWithRole).
type membersFunc func(opID int64, role domain.Role, orgs []int64) ([]int64, error)

// dueStepOf returns the step time has made due at now on request r
// (locked), whose latest review is rv (nil: none); votes holds the
// current votes of open reviews by review ID. ok is false when nothing
// is due. What is due, and what the step does to the request, are the
// domain's (domain.Overdue, ApplySystem); both the job's batches and
// Settle take their steps from here.
func dueStepOf(r domain.Request, rv *domain.Review, votes map[int64][]domain.Vote, members membersFunc, now time.Time) (dueStep, bool, error) {
	subj := domain.OnRequest(r)
	subj.Review, subj.Now = rv, now
	subj.Known |= domain.FactReview | domain.FactTime // the latest review, read; the time
	due, _, ok := domain.Overdue(subj)
	if !ok {
		return dueStep{}, false, nil
	}
	step := dueStep{action: due}
	payload, err := r.ApplySystem(due, now)
	if err != nil {
		return dueStep{}, false, err
	}
	step.request, step.payload = r, payload
	if due == domain.ActionCloseReview {
		// The review closes at its deadline: the votes cast before it
		// count, and no other (the database refuses later ones).
		vs := votes[rv.ID]
		t := domain.CountVotes(rv.Policy, rv.Eligible, vs)
		payload["deadline"] = rv.Deadline.UTC().Format(time.RFC3339)
		hc, err := members(r.OperationID, domain.RoleHC, nil)
		if err != nil {
			return dueStep{}, false, err
		}
		officers, err := members(r.OperationID, domain.RoleOfficer, nil)
		if err != nil {
			return dueStep{}, false, err
		}
		step.review = &store.ReviewClose{ID: rv.ID, Outcome: "closed", Tally: &t}
		step.notice = closedReview(r, *rv, vs, t, payload, hc, officers, now)
		return step, true, nil
	}
	// Expiry is never silent: the requester, the officers and, when a
	// review was open, its voters are told why and when.
	officers, err := members(r.OperationID, domain.RoleOfficer, nil)
	if err != nil {
		return dueStep{}, false, err
	}
	to := append([]int64{r.CreatedBy}, officers...)
	if rv != nil && rv.Open() {
		step.review = &store.ReviewClose{ID: rv.ID, Outcome: "cancelled"}
		payload["review_id"] = rv.ID
		voters, err := members(r.OperationID, domain.RoleHCTMember, rv.Eligible)
		if err != nil {
			return dueStep{}, false, err
		}
		to = append(to, voters...)
	}
	payload["required_by"] = r.RequiredBy.UTC().Format(time.RFC3339)
	// Deadline: the required-by time that passed.
	step.notice = domain.Notice{Kind: domain.NoticeExpired, RequestID: r.ID, Reference: r.Reference, Title: r.Title,
		Recipients: to, Data: map[string]string{"Deadline": r.RequiredBy.UTC().Format(time.RFC3339)}}
	return step, true, nil
}

// Settle takes on request id the step time has made due (domain.Overdue:
// its review's deadline came, or its required-by time passed), as the job
// would, at once: a step refused because time overtook it leaves the
// record true without waiting for the job's next run. It reports the
// step taken, "" when none was due.
func (s *Reviews) Settle(ctx context.Context, id int64) (domain.Action, error) {
	var done domain.Action
	err := s.store.InTx(ctx, func(st *store.Store) error {
		var err error
		done, err = s.settleLocked(ctx, st, id, s.now())
		return err
	})
	return done, err
}

// settleAfter runs Settle on request id when err is a refusal because time
// overtook the step (domain.TimeBarred), and returns err unchanged: the
// caller is still refused, but the record shows at once why.
func settleAfter(ctx context.Context, st *store.Store, now func() time.Time, log *slog.Logger, notify Notifier, id int64, err error) error {
	if !domain.TimeBarred(err) {
		return err
	}
	rv := &Reviews{store: st, now: now, log: log, notify: notify}
	// The system's step is not the caller's change: it claims no
	// Idempotency-Key of theirs.
	if done, serr := rv.Settle(store.WithClaim(ctx, nil), id); serr != nil {
		log.WarnContext(ctx, "settling an overdue request failed; the review job will", "request_id", id, "err", serr)
	} else if done != "" {
		log.InfoContext(ctx, "settled an overdue request on a refused step", "request_id", id, "action", string(done))
	}
	return err
}

// settleLocked takes on request id, locked in st's transaction (locking
// it again is harmless), the step time has made due at now, one request
// at a time: the job's step (dueStepOf), each read and write its own
// statement.
func (s *Reviews) settleLocked(ctx context.Context, st *store.Store, id int64, now time.Time) (domain.Action, error) {
	r, err := st.LockRequest(ctx, id)
	if err != nil {
		return "", err
	}
	latest, hasReview, err := st.LatestReview(ctx, id)
	if err != nil {
		return "", err
	}
	var (
		rv    *domain.Review
		votes = map[int64][]domain.Vote{}
	)
	if hasReview {
		rv = &latest
		if rv.Open() {
			if votes[rv.ID], err = st.ListVotes(ctx, rv.ID); err != nil {
				return "", err
			}
		}
	}
	members := func(opID int64, role domain.Role, orgs []int64) ([]int64, error) {
		return st.MembersWithRole(ctx, opID, role, orgs, now)
	}
	step, ok, err := dueStepOf(r, rv, votes, members, now)
	if err != nil || !ok {
		return "", err
	}
	if c := step.review; c != nil {
		if err := st.CloseReview(ctx, c.ID, now, 0, c.Outcome, c.Tally); err != nil {
			return "", err
		}
	}
	if err := st.UpdateRequest(ctx, step.request); err != nil {
		return "", err
	}
	if err := appendEvent(ctx, st, id, 0, string(step.action), step.payload, now); err != nil {
		return "", err
	}
	return step.action, s.tell(ctx, st, step.notice)
}

// remindBatch claims up to limit requests whose open review is due its
// reminder and reminds them all in one transaction with a constant
// number of statements: the claim, one read of their facts, one update
// marking the reviews reminded, and the notices. more reports whether
// the claim was full.
func (s *Reviews) remindBatch(ctx context.Context, limit int) (JobReport, bool, error) {
	var (
		rep  JobReport
		more bool
	)
	err := s.store.InTx(ctx, func(st *store.Store) error {
		rep = JobReport{} // InTx may retry
		now := s.now()
		ids, err := st.ClaimReminderRequests(ctx, now, limit)
		if err != nil || len(ids) == 0 {
			return err
		}
		more = len(ids) == limit
		f, err := st.JobFacts(ctx, ids, jobRoles, now)
		if err != nil {
			return err
		}
		rvIDs := make([]int64, 0, len(ids))
		for _, id := range ids {
			if rv, ok := f.Reviews[id]; ok && rv.Open() {
				rvIDs = append(rvIDs, rv.ID)
			}
		}
		// Only the reviews still due their reminder once the requests
		// are locked (none closed or reminded since the claim read them).
		marked, err := st.MarkRemindedAll(ctx, rvIDs, now)
		if err != nil {
			return err
		}
		var notices []domain.Notice
		for _, r := range f.Requests {
			rv, ok := f.Reviews[r.ID]
			if !ok || !slices.Contains(marked, rv.ID) {
				continue
			}
			rep.Reminded++
			if n, ok := reminder(r, rv, f.Votes[rv.ID], f.MembersWithRole); ok {
				notices = append(notices, n)
			}
		}
		return s.tellAll(ctx, st, notices)
	})
	if err != nil {
		return JobReport{}, false, err
	}
	return rep, more, nil
}

// reminder is the reminder of review rv of request r, with votes its
// current votes, to the HCT members of the eligible organisations that
// have not voted; ok is false when every one has.
func reminder(r domain.Request, rv domain.Review, votes []domain.Vote, members func(opID int64, role domain.Role, orgs []int64) []int64) (domain.Notice, bool) {
	voted := map[int64]bool{}
	for _, v := range votes {
		voted[v.OrganizationID] = true
	}
	var missing []int64
	for _, id := range rv.Eligible {
		if !voted[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return domain.Notice{}, false
	}
	return domain.Notice{Kind: domain.NoticeReviewReminder, RequestID: r.ID, Reference: r.Reference, Title: r.Title,
		Recipients: members(r.OperationID, domain.RoleHCTMember, missing),
		Data:       map[string]string{"Deadline": rv.Deadline.UTC().Format(time.RFC3339)}, Links: domain.VoteLinks(rv)}, true
}

// Run calls RunDue every interval until ctx ends, logging what it did.
func (s *Reviews) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		rep, err := s.RunDue(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("review job failed", "err", err)
		case rep != JobReport{}:
			s.log.Info("review job", "closed", rep.Closed, "reminded", rep.Reminded, "expired", rep.Expired, "digests", rep.Digests)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
