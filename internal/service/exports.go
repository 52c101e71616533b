package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/language"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/export"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/store"
)

// Exports is the RFA tracker export (PRODUCT.md §6): an operation's
// requests as HXL-tagged CSV, JSON or XLSX, streamed from one database
// snapshot row by row.
type Exports struct {
	store   *store.Store
	now     func() time.Time
	log     *slog.Logger
	catalog *i18n.Catalog // labels; nil offers none
	limits  actionLimits
}

// NewExports returns the Exports service.
func NewExports(st *store.Store, now func() time.Time, log *slog.Logger) *Exports {
	return &Exports{store: st, now: now, log: log, limits: domain.ActionLimits}
}

// WithActionLimits replaces the per-user limit on exports
// (domain.ActionLimits); nil turns it off, for a test fixture that
// downloads in a loop. It returns s.
func (s *Exports) WithActionLimits(l map[domain.Action]domain.Limit) *Exports {
	s.limits = l
	return s
}

// WithCatalog gives the exports the catalogue their label columns
// (ExportOptions.Labels) come from, and returns s.
func (s *Exports) WithCatalog(c *i18n.Catalog) *Exports {
	s.catalog = c
	return s
}

// Export formats.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
	FormatXLSX = "xlsx"
)

// ExportFormats lists the formats Requests writes.
var ExportFormats = []string{FormatCSV, FormatJSON, FormatXLSX}

// ExportFilter selects the exported requests. From and To are dates
// (inclusive) on DateField: "submitted" (the last submission) or
// "created" (the default).
type ExportFilter struct {
	Statuses  []domain.Status
	Sector    string
	Priority  domain.Priority
	DateField string
	From, To  time.Time
}

// ExportOptions chooses the variant.
type ExportOptions struct {
	// HXLKeys keys JSON objects by hashtag (#date+reported).
	HXLKeys bool
	// Public is the aggregate-safe variant for HDX: only export.Column
	// Public columns (codes, the requesting organisation's name, admin-1/2
	// p-codes, dates, numbers, status and decision), no drafts, no
	// contacts, no free text (title, need, capability, task description,
	// place and admin names, hand-over organisation), no coordinates.
	Public bool
	// Labels are languages (ISO 639-1, of the catalogue) whose label
	// column follows each coded column; the codes stay language-neutral.
	Labels []string
}

// Requests writes operation opCode's requests that by may see, as
// format, to w. Every check happens before the first byte is written, so
// a caller that delays its response headers until then can still answer
// an error: CodeUnauthorized for an anonymous caller; CodeNotFound for an
// operation by is not a member of (admins included: exports are for
// members); CodeForbidden for a member without an export role
// (cmcoord_officer, hc, viewer); CodeInvalid for a bad filter or format.
//
// Visibility is that of Requests.List: drafts only of by's organisation
// when by is also a requester (none in the public variant); each row is
// the request as by sees it on the channel (domain.RequestFor with
// ChannelExport or ChannelPublic): the contact blank where by may not
// see it, the escort criteria and HRDDP-related answers never. HRDDP
// records are never exported.
//
// XLSX workbooks other than the public variant have three more sheets
// for the same requests (export.ReviewColumns, VoteColumns,
// EventColumns): the reviews with their frozen tallies, the votes by may
// see (domain.VoteShown: never a sealed review's before it closes, nor a
// cancelled one's), and the audit events as by sees them in an export
// (domain.EventFor): the events sheet never carries what the requests
// sheet withholds.
func (s *Exports) Requests(ctx context.Context, by domain.Actor, opCode string, f ExportFilter, format string, w io.Writer, o ExportOptions) error {
	if by.Anonymous() {
		return domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	op, err := s.store.GetOperationByCode(ctx, opCode)
	if err != nil {
		return err
	}
	if err := domain.Can(by, domain.ActionExportRequests, domain.InOperation(op.ID)); err != nil {
		return err
	}
	roles := by.RolesIn(op.ID)
	sf, err := exportStoreFilter(f)
	if err != nil {
		return err
	}
	if !slices.Contains(ExportFormats, format) {
		return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"format": "field.choose"}}
	}
	if err := s.limits.limitAction(ctx, s.store, by, domain.ActionExportRequests, s.now()); err != nil {
		return err
	}
	sf.OperationID = op.ID
	if roles.Has(domain.RoleRequester) && !o.Public {
		sf.DraftsOf = by.OrganizationID
	}
	if !domain.SeesAllRequests(roles) {
		sf.OrgID = by.OrganizationID // unreachable with export roles today; kept as List has it
	}
	xo := export.Options{Public: o.Public, HXLKeys: o.HXLKeys}
	ch := domain.ChannelExport
	if o.Public {
		ch = domain.ChannelPublic
	}
	if xo.Labels, err = s.labellers(o.Labels); err != nil {
		return err
	}
	var (
		out  export.Writer
		xlsx *export.XLSXWriter
	)
	switch format {
	case FormatCSV:
		out, err = export.NewCSVWriter(w, xo)
	case FormatJSON:
		out, err = export.NewJSONWriter(w, xo)
	case FormatXLSX:
		xlsx, err = export.NewXLSXWriter(w, xo)
		out = xlsx
	}
	if err != nil {
		return err
	}
	// One read-only snapshot: the file is consistent however long it takes.
	err = s.store.InTxWith(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(st *store.Store) error {
		if err := st.ForLongRead(ctx); err != nil {
			return err
		}
		// The documents' records (a few hundred bytes each, no content),
		// each row then with those by may see on the channel.
		docs, err := st.ExportAttachments(ctx, op.ID)
		if err != nil {
			return err
		}
		// Reading and judging rows, and writing them, each take about a
		// core's worth of work: one goroutine reads and evaluates while
		// another writes.
		err = pipelined(func(put func(export.Row) error) error {
			return st.EachRequest(ctx, sf, func(rec store.ExportRecord) error {
				// The checklist's verdict on the whole request and what
				// was recorded on it, as the page gives it; the row then
				// as by sees it on the channel.
				ev := domain.Evaluate(rec.Request, op.Context, rec.UNEntity, rec.Recorded())
				r, _ := domain.RequestFor(by, rec.Request, ch)
				return put(export.Row{Request: r, CountryISO3: op.CountryISO3, GLIDE: op.GLIDE,
					Outcome: rec.Outcome, DecidedAt: rec.DecidedAt, ExtensionOf: rec.ExtensionOf, Evaluation: ev,
					Lifecycle: export.Lifecycle{Consent: rec.Consent, Tasking: rec.Tasking, Handover: rec.Handover,
						Reports: rec.Reports, Totals: rec.Totals},
					Attachments: domain.AttachmentsShown(by, rec.Request.Ref(), docs[rec.Request.ID], ch)})
			})
		}, out.Write)
		if err != nil || xlsx == nil || o.Public {
			return err
		}
		return writeRecordSheets(ctx, st, xlsx, by, roles, sf)
	})
	if err != nil {
		return err
	}
	return out.Close()
}

// writeRecordSheets writes the reviews, votes and events sheets of the
// requests sf selects.
func writeRecordSheets(ctx context.Context, st *store.Store, x *export.XLSXWriter, by domain.Actor, roles domain.RoleSet, sf store.ExportFilter) error {
	reviews, err := export.AddTable(x, export.SheetReviews, export.ReviewColumns)
	if err != nil {
		return err
	}
	// What the events sheet needs of each review to show its events
	// (domain.EventFor reads the policy and whether it is open or
	// cancelled): a few bytes a review, not its voter lists.
	seen := map[int64]domain.Review{}
	err = st.EachReview(ctx, sf, func(ref domain.RequestRef, rv domain.Review, outcome string) error {
		seen[rv.ID] = domain.Review{ID: rv.ID, RequestID: rv.RequestID, Policy: rv.Policy, ClosedAt: rv.ClosedAt, Cancelled: rv.Cancelled}
		return reviews.Write(export.ReviewRow{Reference: ref.Reference, Review: rv, Outcome: outcome})
	})
	if err != nil {
		return err
	}
	votes, err := export.AddTable(x, export.SheetVotes, export.VoteColumns)
	if err != nil {
		return err
	}
	err = st.EachVote(ctx, sf, func(ref domain.RequestRef, rv domain.Review, v domain.Vote) error {
		if !domain.VoteShown(by, roles, rv, v) {
			return nil
		}
		return votes.Write(export.VoteRow{Reference: ref.Reference, Round: rv.Round, Vote: v})
	})
	if err != nil {
		return err
	}
	events, err := export.AddTable(x, export.SheetEvents, export.EventColumns)
	if err != nil {
		return err
	}
	return st.EachExportEvent(ctx, sf, func(ref domain.RequestRef, e domain.Event) error {
		e = domain.EventFor(by, ref, e, domain.ChannelExport, seen)
		return events.Write(export.EventRow{Reference: ref.Reference, Event: e})
	})
}

// labellers returns the label sources of langs, each a language of the
// catalogue, once.
func (s *Exports) labellers(langs []string) ([]export.Labeller, error) {
	var out []export.Labeller
	for _, lang := range langs {
		known := s.catalog != nil && slices.ContainsFunc(s.catalog.Languages(), func(t language.Tag) bool { return t.String() == lang })
		if !known || slices.ContainsFunc(out, func(l export.Labeller) bool { return l.Lang == lang }) {
			return nil, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"labels": "field.choose"}}
		}
		loc, seen := s.catalog.Localizer(lang), map[string]string{} // few codes, many rows
		out = append(out, export.Labeller{Lang: lang, T: func(key string) string {
			l, ok := seen[key]
			if !ok {
				l = loc.T(key)
				seen[key] = l
			}
			return l
		}})
	}
	return out, nil
}

// exportStoreFilter checks f against the code lists and turns its
// inclusive dates into the store's half-open range.
func exportStoreFilter(f ExportFilter) (store.ExportFilter, error) {
	fields := map[string]string{}
	for _, st := range f.Statuses {
		if !slices.Contains(domain.Statuses(), st) {
			fields["status"] = "field.choose"
		}
	}
	if f.Sector != "" && !slices.Contains(domain.Sectors, f.Sector) {
		fields["sector"] = "field.choose"
	}
	if f.Priority != "" && !slices.Contains(domain.Priorities, f.Priority) {
		fields["priority"] = "field.choose"
	}
	sf := store.ExportFilter{RequestScope: store.RequestScope{Statuses: f.Statuses, Sector: f.Sector, Priority: f.Priority}}
	switch f.DateField {
	case "", "created":
		sf.DateField = "created_at"
	case "submitted":
		sf.DateField = "submitted_at"
	default:
		fields["date_field"] = "field.choose"
	}
	if !f.From.IsZero() {
		sf.From = domain.DateOf(f.From)
	}
	if !f.To.IsZero() {
		sf.To = domain.DateOf(f.To).AddDate(0, 0, 1)
	}
	if !sf.From.IsZero() && !sf.To.IsZero() && !sf.From.Before(sf.To) {
		fields["to"] = "field.invalid"
	}
	if len(fields) > 0 {
		return sf, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: fields}
	}
	return sf, nil
}

// ExportContentType is the media type of an export format.
func ExportContentType(format string) string {
	switch format {
	case FormatCSV:
		return "text/csv; charset=utf-8; header=present"
	case FormatJSON:
		return "application/json; charset=utf-8"
	case FormatXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "application/octet-stream"
}

// ExportFileName is the download's file name: the operation code (only
// letters, digits, - and _ kept), "requests", the variant and the date.
func ExportFileName(opCode, format string, o ExportOptions, now time.Time) string {
	code := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return -1
	}, opCode)
	name := code + "-requests"
	if o.Public {
		name += "-public"
	}
	if o.HXLKeys && format == FormatJSON {
		name += "-hxl"
	}
	return name + "-" + now.UTC().Format("20060102") + "." + format
}

// errPipeStopped stops a pipeline's reader once its user has failed.
var errPipeStopped = errors.New("pipeline stopped")

// pipelined runs each, which reads items in order and hands each to put,
// and use, which takes them in the same order, on two goroutines with a
// bounded buffer between them, so memory stays flat. The first failure
// stops both: use's error (or a panic in it, as an error) wins over the
// reader's, which is then only that it was stopped.
func pipelined[T any](each func(put func(T) error) error, use func(T) error) error {
	items := make(chan T, 256)
	stop := make(chan struct{})
	done := make(chan struct{})
	var useErr error
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				useErr = fmt.Errorf("export row: panic: %v", p)
				close(stop)
				for range items { // until the reader sees stop
				}
			}
		}()
		for it := range items {
			if useErr = use(it); useErr != nil {
				close(stop)
				for range items { // until the reader sees stop
				}
				return
			}
		}
	}()
	var err error
	func() {
		defer close(items) // even if each panics: the writer then ends too
		err = each(func(it T) error {
			select {
			case <-stop:
				return errPipeStopped
			default:
			}
			select {
			case items <- it:
				return nil
			case <-stop:
				return errPipeStopped
			}
		})
	}()
	<-done
	if useErr != nil {
		return useErr
	}
	return err
}
