package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// RequestPageData is everything the request page shows around a request,
// read by RequestPage in one round trip.
type RequestPageData struct {
	// RequestFactsData: the operation, the requesting organisation, the
	// latest review with its current votes, the consent, the HRDDP
	// assessment and the operation's HCT organisations (what the
	// rulebook's guards read; the assessment is shown only to those who
	// may see HRDDP records).
	RequestFactsData
	Comments []domain.Comment
	Events   []domain.Event
	// Attachments are every document of the request, removed ones
	// included; who sees which is the service's (domain.AttachmentShown).
	Attachments []StoredAttachment

	// Reviews are every review of the request, by round (the events of
	// earlier rounds are shown as their own review's votes allow); the
	// names of the latest one's eligible and recused organisations, and
	// its vote history once it is closed (nil while it is open).
	Reviews     []domain.Review
	OrgNames    map[int64]string
	VoteHistory []domain.Vote
	// The latest decision, if any (HasDecision).
	Decision    domain.Decision
	HasDecision bool

	Taskings []domain.Tasking
	Reports  []domain.ExecutionReport
	Handover *domain.Handover

	// Links: the request r extends and the requests extending it
	// (RequestLinks).
	Links RequestLinks
}

// The latest review of request $1 (as LatestReview), for the batch's
// queries that depend on it.
const latestReviewID = `(SELECT id FROM reviews WHERE request_id = $1 ORDER BY round DESC LIMIT 1)`

// RequestPage reads request id and what the request page shows around
// it in one batch, one round trip: the same queries as GetRequest,
// GetOperation, GetOrganization, ListComments, ListEvents, LatestReview,
// ListReviews, ListVotes, OrganizationNames, VoteHistory, LatestDecision,
// GetConsent, ListTaskings, ListReports, GetHandover, GetAssessment,
// HCTOrganizations and RequestLinks, sent together as 15 statements, each
// naming the request by its id (the operation and the organisation come
// with the request's row; the latest review is the last of them all).
// Whether the caller may see the request is the caller's to decide before
// showing any of it; a request that does not exist is CodeNotFound.
func (s *Store) RequestPage(ctx context.Context, id int64) (domain.Request, RequestPageData, error) {
	var (
		r   domain.Request
		out RequestPageData
	)
	b := &pgx.Batch{}
	queueRequestWithFacts(b, id, &r, &out.RequestFactsData)
	queueOtherFacts(b, id, &out.RequestFactsData)
	queueLinks(b, id, &out.Links)
	b.Queue(`SELECT `+attachmentCols+attachmentFrom+` WHERE a.request_id = $1 ORDER BY a.id`, id).Query(func(rows pgx.Rows) (err error) {
		out.Attachments, err = pgx.CollectRows(rows, scanAttachment)
		return err
	})
	b.Queue(commentsSQL, id).Query(func(rows pgx.Rows) (err error) {
		out.Comments, err = pgx.CollectRows(rows, scanComment)
		return err
	})
	b.Queue(eventsSQL, id).Query(func(rows pgx.Rows) (err error) {
		out.Events, err = pgx.CollectRows(rows, scanEvent)
		return err
	})
	// Every review by round: the last is the latest (LatestReview).
	b.Queue(reviewsSQL, id).Query(func(rows pgx.Rows) (err error) {
		if out.Reviews, err = pgx.CollectRows(rows, scanReview); err == nil && len(out.Reviews) > 0 {
			out.Review, out.HasReview = out.Reviews[len(out.Reviews)-1], true
		}
		return err
	})
	b.Queue(`SELECT id, name FROM organizations WHERE id = ANY (
		(SELECT eligible || recused FROM reviews WHERE request_id = $1 ORDER BY round DESC LIMIT 1)::bigint[])`, id).
		Query(func(rows pgx.Rows) error {
			out.OrgNames = map[int64]string{}
			var (
				oid  int64
				name string
			)
			_, err := pgx.ForEachRow(rows, []any{&oid, &name}, func() error {
				out.OrgNames[oid] = name
				return nil
			})
			return err
		})
	// The history only of a closed (or cancelled) review: the one
	// VoteHistory would be asked for; the service shows it only as
	// domain.VotesVisible allows.
	b.Queue(`SELECT `+voteCols+` FROM vote_history v JOIN organizations o ON o.id = v.organization_id
		JOIN users u ON u.id = v.cast_by
		WHERE v.review_id = (SELECT lr.id FROM (SELECT id, closed_at FROM reviews WHERE request_id = $1
		                                       ORDER BY round DESC LIMIT 1) lr WHERE lr.closed_at IS NOT NULL)
		ORDER BY v.id`, id).Query(func(rows pgx.Rows) (err error) {
		out.VoteHistory, err = pgx.CollectRows(rows, scanVote)
		return err
	})
	b.Queue(latestDecisionSQL, id).QueryRow(func(row pgx.Row) (err error) {
		out.Decision, out.HasDecision, err = scanDecision(row)
		return err
	})
	b.Queue(taskingsSQL, id).Query(func(rows pgx.Rows) (err error) {
		out.Taskings, err = pgx.CollectRows(rows, scanTasking)
		return err
	})
	b.Queue(reportsSQL, id).Query(func(rows pgx.Rows) (err error) {
		out.Reports, err = pgx.CollectRows(rows, scanReport)
		return err
	})
	b.Queue(handoverSQL, id).QueryRow(func(row pgx.Row) (err error) {
		out.Handover, err = scanHandover(row)
		return err
	})
	err := s.db.SendBatch(ctx, b).Close()
	return r, out, dbErr(err, "request page of request %d", id)
}

// RequestView reads request id with its facts (RequestFactsData), its
// links and the events domain.SinceSubmission reads (none unless it was
// resubmitted) in one batch, one round trip. With known, the request as the
// caller already has it (read in the transaction that just changed it),
// the request is not read again and *known is returned. Whether the
// caller may see the request is the caller's to decide; a request that
// does not exist is CodeNotFound.
func (s *Store) RequestView(ctx context.Context, id int64, known *domain.Request) (domain.Request, RequestFactsData, RequestLinks, []domain.Event, error) {
	var (
		facts  RequestFactsData
		links  RequestLinks
		rounds []domain.Event
	)
	b := &pgx.Batch{}
	r := known
	if r == nil {
		r = new(domain.Request)
		queueRequestWithFacts(b, id, r, &facts)
	} else {
		queueOperationAndOrganization(b, id, &facts)
	}
	queueLatestReview(b, id, &facts)
	queueOtherFacts(b, id, &facts)
	queueLinks(b, id, &links)
	queueResubmission(b, id, &rounds)
	err := s.db.SendBatch(ctx, b).Close()
	return *r, facts, links, rounds, dbErr(err, "request %d with its facts", id)
}

// resubmissionSQL reads the events of request $1 that
// domain.SinceSubmission reads, from its previous submission on: the
// submissions ($2, domain.SubmissionActions) and the events that change
// fields ($3, domain.FieldEvents). A request submitted fewer than twice
// has none (the previous submission's seq is NULL).
const resubmissionSQL = `SELECT ` + eventCols + ` FROM events e LEFT JOIN users u ON u.id = e.actor_id
	WHERE e.request_id = $1 AND (e.action = ANY ($2::text[]) OR e.action = ANY ($3::text[]))
	  AND e.seq >= (SELECT p.seq FROM events p WHERE p.request_id = $1 AND p.action = ANY ($2::text[])
	                ORDER BY p.seq DESC OFFSET 1 LIMIT 1)
	ORDER BY e.seq`

// queueResubmission queues on b the query of request id's events that
// tell what changed since its previous submission (resubmissionSQL),
// into events: none unless it was submitted at least twice.
func queueResubmission(b *pgx.Batch, id int64, events *[]domain.Event) {
	b.Queue(resubmissionSQL, id, domain.SubmissionActions(), domain.FieldEvents).Query(func(rows pgx.Rows) (err error) {
		*events, err = pgx.CollectRows(rows, scanEvent)
		return err
	})
}

// NewRequestFacts reads the facts of request id, just created, in one
// round trip: its operation, its organisation and the operation's HCT
// organisations (a new draft has no review, vote, consent or HRDDP
// assessment).
func (s *Store) NewRequestFacts(ctx context.Context, id int64) (RequestFactsData, error) {
	var out RequestFactsData
	b := &pgx.Batch{}
	queueOperationAndOrganization(b, id, &out)
	queueHCTOrganizations(b, id, &out)
	err := s.db.SendBatch(ctx, b).Close()
	return out, dbErr(err, "facts of new request %d", id)
}

// requestWithFactsSQL reads request $1 with its operation and its
// requesting organisation: the columns of requestCols, operationCols and
// organizationCols, in that order.
const requestWithFactsSQL = `SELECT ` + requestCols + `, op.*, og.*` + requestFrom + `
	CROSS JOIN LATERAL (SELECT ` + operationCols + ` FROM operations WHERE id = r.operation_id) op
	CROSS JOIN LATERAL (SELECT ` + organizationCols + ` FROM organizations WHERE id = r.requesting_org_id) og
	WHERE r.id = $1`

// queueRequestWithFacts queues on b the query of request id into r, with
// its operation and organisation into facts. Queued first, a request
// that does not exist makes its error (pgx.ErrNoRows) the batch's.
func queueRequestWithFacts(b *pgx.Batch, id int64, r *domain.Request, facts *RequestFactsData) {
	b.Queue(requestWithFactsSQL, id).Query(func(rows pgx.Rows) error {
		var x requestScan
		dest := append(append(x.dests(), operationDest(&facts.Operation)...), organizationDest(&facts.Organization)...)
		n, err := pgx.ForEachRow(rows, dest, func() error { return nil })
		if err == nil && n.RowsAffected() != 1 {
			err = pgx.ErrNoRows
		}
		if err != nil {
			return err
		}
		*r, err = x.finish()
		return err
	})
}

// RequestFactsData is what the rulebook's guards read of a request
// beyond the request itself (domain.AllFacts).
type RequestFactsData struct {
	Operation    domain.Operation
	Organization domain.Organization
	// The latest review, if any (HasReview), and its current votes.
	Review    domain.Review
	HasReview bool
	Votes     []domain.Vote
	// Consent and Assessment are nil when none is recorded.
	Consent          *domain.Consent
	Assessment       *domain.Assessment
	HCTOrganizations []int64
}

// RequestFacts reads RequestFactsData of request r in one batch: the same
// queries as GetOperation, GetOrganization, LatestReview, ListVotes,
// GetConsent, GetAssessment and HCTOrganizations, sent together.
func (s *Store) RequestFacts(ctx context.Context, r domain.Request) (RequestFactsData, error) {
	var out RequestFactsData
	b := &pgx.Batch{}
	queueFacts(b, r.ID, &out)
	err := s.db.SendBatch(ctx, b).Close()
	return out, dbErr(err, "facts of request %d", r.ID)
}

// The operation, requesting organisation and request extended of request
// $1: the batches name every row by the request's id, so that the request
// itself can be read in the same batch.
const (
	requestOperation    = `(SELECT operation_id FROM requests WHERE id = $1)`
	requestOrganization = `(SELECT requesting_org_id FROM requests WHERE id = $1)`
	requestExtended     = `(SELECT extension_of FROM requests WHERE id = $1)`
)

// queueFacts queues on b the queries of RequestFactsData of request id,
// into out.
func queueFacts(b *pgx.Batch, id int64, out *RequestFactsData) {
	queueOperationAndOrganization(b, id, out)
	queueLatestReview(b, id, out)
	queueOtherFacts(b, id, out)
}

// queueOperationAndOrganization queues on b the queries of request id's
// operation and requesting organisation, into out.
func queueOperationAndOrganization(b *pgx.Batch, id int64, out *RequestFactsData) {
	b.Queue(`SELECT `+operationCols+` FROM operations WHERE id = `+requestOperation, id).Query(func(rows pgx.Rows) (err error) {
		out.Operation, err = pgx.CollectExactlyOneRow(rows, scanOperation)
		return err
	})
	b.Queue(`SELECT `+organizationCols+` FROM organizations WHERE id = `+requestOrganization, id).Query(func(rows pgx.Rows) (err error) {
		out.Organization, err = pgx.CollectExactlyOneRow(rows, scanOrganization)
		return err
	})
}

// queueLatestReview queues on b the query of request id's latest review,
// into out.
func queueLatestReview(b *pgx.Batch, id int64, out *RequestFactsData) {
	b.Queue(latestReviewSQL, id).Query(func(rows pgx.Rows) error {
		rv, err := pgx.CollectExactlyOneRow(rows, scanReview)
		if err == pgx.ErrNoRows {
			return nil
		}
		out.Review, out.HasReview = rv, err == nil
		return err
	})
}

// queueOtherFacts queues on b the queries of the rest of request id's
// facts: the latest review's votes, the consent, the HRDDP assessment and
// the operation's HCT organisations, into out.
func queueOtherFacts(b *pgx.Batch, id int64, out *RequestFactsData) {
	b.Queue(`SELECT `+voteCols+` FROM votes v JOIN organizations o ON o.id = v.organization_id
		JOIN users u ON u.id = v.cast_by WHERE v.review_id = `+latestReviewID+` ORDER BY o.name`, id).Query(func(rows pgx.Rows) (err error) {
		out.Votes, err = pgx.CollectRows(rows, scanVote)
		return err
	})
	b.Queue(consentSQL, id).QueryRow(func(row pgx.Row) (err error) {
		out.Consent, err = scanConsent(row)
		return err
	})
	b.Queue(assessmentSQL, id).QueryRow(func(row pgx.Row) (err error) {
		out.Assessment, err = scanAssessment(row)
		return err
	})
	queueHCTOrganizations(b, id, out)
}

// queueHCTOrganizations queues on b the query of the HCT organisations of
// request id's operation, into out.
func queueHCTOrganizations(b *pgx.Batch, id int64, out *RequestFactsData) {
	b.Queue(hctOrganizationsOf(requestOperation), id).Query(func(rows pgx.Rows) (err error) {
		out.HCTOrganizations, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		return err
	})
}

// RequestLinks are a request's extension links (migration 000008): the
// request it extends and the requests extending it, each as the rules
// read it (who may see it is the caller's to decide).
type RequestLinks struct {
	ExtensionOf *domain.RequestRef // nil for an original request
	Extensions  []domain.RequestRef
}

// linksSQL reads the request $1 extends and those extending it, the
// parent first (is_parent), then the extensions in creation order.
const linksSQL = `SELECT ` + refCols + `, coalesce(r.id = ` + requestExtended + `, false) AS is_parent FROM requests r
	WHERE r.extension_of = $1 OR r.id = ` + requestExtended + ` ORDER BY is_parent DESC, r.id`

// queueLinks queues on b the query of request id's links, into out.
func queueLinks(b *pgx.Batch, id int64, out *RequestLinks) {
	b.Queue(linksSQL, id).Query(func(rows pgx.Rows) error {
		var (
			ref    domain.RequestRef
			parent bool
		)
		_, err := pgx.ForEachRow(rows, append(scanRef(&ref), &parent), func() error {
			if parent {
				p := ref
				out.ExtensionOf = &p
			} else {
				out.Extensions = append(out.Extensions, ref)
			}
			return nil
		})
		return err
	})
}
