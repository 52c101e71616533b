package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// Summary is the operation summary for OCHA focal points (PRODUCT.md §6):
// counts and durations over a period, computed by the database. It holds
// no restricted data (no votes, contacts or HRDDP records), so every
// role that follows the operation as a whole may see it.
type Summary struct {
	store *store.Store
	now   func() time.Time
	log   *slog.Logger
}

// NewSummary returns the Summary service.
func NewSummary(st *store.Store, now func() time.Time, log *slog.Logger) *Summary {
	return &Summary{store: st, now: now, log: log}
}

// Summary defaults and limits.
const (
	// SummaryDefaultDays is the default period: the last 90 days, today included.
	SummaryDefaultDays = 90
	// SummaryMaxDays bounds a period (ten years).
	SummaryMaxDays = 3660
	// OpenTooLong: a request not in a terminal status created longer
	// ago than this is flagged.
	OpenTooLong = 8 * 7 * 24 * time.Hour
)

// OperationSummary is the summary of one operation over [From, To], both
// dates inclusive (UTC days).
type OperationSummary struct {
	Operation domain.Operation
	From, To  time.Time // dates (midnight UTC)
	AsOf      time.Time // the clock for the "now" figures
	domain.SummaryFigures
	// Ratios in [0, 1], nil when their denominator is zero.
	ShareBeforeRequiredBy *float64 // of the decided with a required-by date
	ShareRedirected       *float64 // of the submitted
	ApprovalRate          *float64 // approved / (approved + rejected)
}

// ParseSummaryRange reads the period's from and to (YYYY-MM-DD); an empty
// value is the zero time, which Summary replaces with the default. A bad
// value is CodeInvalid on its field.
func ParseSummaryRange(from, to string) (time.Time, time.Time, error) {
	fields := map[string]string{}
	parse := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			fields[field] = "field.date"
		}
		return d
	}
	f, t := parse("from", from), parse("to", to)
	if len(fields) > 0 {
		return time.Time{}, time.Time{}, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: fields}
	}
	return f, t, nil
}

// Summary returns operation opCode's summary for the dates from to to
// (inclusive; zero values: the last 90 days) as by may see it: officers,
// the HC, HCT members and viewers; other members get CodeForbidden,
// anyone else CodeNotFound.
func (s *Summary) Summary(ctx context.Context, by domain.Actor, opCode string, from, to time.Time) (OperationSummary, error) {
	if by.Anonymous() {
		return OperationSummary{}, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	op, err := s.store.GetOperationByCode(ctx, opCode)
	if err != nil {
		return OperationSummary{}, err
	}
	if err := domain.Can(by, domain.ActionViewSummary, domain.InOperation(op.ID)); err != nil {
		return OperationSummary{}, err
	}
	now := s.now()
	if to.IsZero() {
		to = domain.DateOf(now.UTC())
		if !from.IsZero() && from.After(to) {
			to = from
		}
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -(SummaryDefaultDays - 1))
	}
	from, to = domain.DateOf(from), domain.DateOf(to)
	switch {
	case from.After(to):
		return OperationSummary{}, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid",
			Fields: map[string]string{"to": "summary.to_before_from"}}
	case to.Sub(from) > SummaryMaxDays*24*time.Hour:
		return OperationSummary{}, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid",
			Fields: map[string]string{"from": "summary.range_too_long"}}
	}
	var open []string
	for _, st := range domain.Statuses() {
		if !st.Terminal() {
			open = append(open, string(st))
		}
	}
	f, err := s.store.Summary(ctx, store.SummaryQuery{
		OperationID: op.ID, From: from, To: to.AddDate(0, 0, 1), Now: now,
		ActiveStatuses: []string{string(domain.StatusApproved), string(domain.StatusTasked), string(domain.StatusInExecution)},
		OpenStatuses:   open, EndingWithin: domain.EndingSoon, OpenAfter: OpenTooLong,
	})
	if err != nil {
		return OperationSummary{}, err
	}
	return OperationSummary{
		Operation: op, From: from, To: to, AsOf: now, SummaryFigures: f,
		ShareBeforeRequiredBy: ratio(f.BeforeRequiredBy, f.WithRequiredBy),
		ShareRedirected:       ratio(f.Redirected, f.Submitted),
		ApprovalRate:          ratio(f.Approved, f.Approved+f.Rejected),
	}, nil
}

func ratio(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	r := float64(n) / float64(d)
	return &r
}
