package api

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// summaryDTO is GET /operations/{code}/summary: the same figures as the
// summary page, with language-neutral codes.
type summaryDTO struct {
	Operation string `json:"operation"`
	From      string `json:"from"` // YYYY-MM-DD, inclusive
	To        string `json:"to"`   // YYYY-MM-DD, inclusive
	AsOf      string `json:"as_of"`

	Submitted      int          `json:"submitted"`
	ByStatus       []countDTO   `json:"by_status"`
	BySector       []countDTO   `json:"by_sector"`
	ByTaskCategory []countDTO   `json:"by_task_category"`
	BySupportType  []countDTO   `json:"by_support_type"`
	ByPriority     []countDTO   `json:"by_priority"`
	Decided        int          `json:"decided"`
	MedianHours    *float64     `json:"median_hours_to_decision"`
	P90Hours       *float64     `json:"p90_hours_to_decision"`
	WithRequiredBy int          `json:"decided_with_required_by"`
	BeforeRequired int          `json:"decided_before_required_by"`
	ShareBefore    *float64     `json:"share_decided_before_required_by"`
	Redirected     int          `json:"redirected"`
	ShareRedirect  *float64     `json:"share_redirected"`
	Approved       int          `json:"approved"`
	Rejected       int          `json:"rejected"`
	ApprovalRate   *float64     `json:"approval_rate"`
	EndingSoon     int          `json:"active_tasks_ending_within_7_days"`
	OpenTooLong    int          `json:"open_beyond_8_weeks"`
	MCDA           []mcdaUseDTO `json:"mcda_use"`
}

type countDTO struct {
	Code  string `json:"code"`
	Count int    `json:"count"`
}

type mcdaUseDTO struct {
	ProviderISO3 string `json:"provider_iso3"`
	AssetType    string `json:"asset_type"`
	Taskings     int    `json:"taskings"`
	Assets       int    `json:"assets"`
}

func countsDTO(cs []domain.SummaryCount) []countDTO {
	out := make([]countDTO, len(cs))
	for i, c := range cs {
		out[i] = countDTO{Code: c.Code, Count: c.Count}
	}
	return out
}

func (a *API) handleSummaryShow(w http.ResponseWriter, r *http.Request) error {
	if a.summary == nil {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	q := r.URL.Query()
	from, to, err := service.ParseSummaryRange(q.Get("from"), q.Get("to"))
	if err != nil {
		return err
	}
	s, err := a.summary.Summary(r.Context(), actor(r), chi.URLParam(r, "code"), from, to)
	if err != nil {
		return err
	}
	out := summaryDTO{
		Operation: s.Operation.Code, From: s.From.Format(time.DateOnly), To: s.To.Format(time.DateOnly),
		AsOf:      s.AsOf.UTC().Format(time.RFC3339),
		Submitted: s.Submitted, ByStatus: countsDTO(s.ByStatus), BySector: countsDTO(s.BySector),
		ByTaskCategory: countsDTO(s.ByTaskCategory), BySupportType: countsDTO(s.BySupportType),
		ByPriority: countsDTO(s.ByPriority), Decided: s.Decided, MedianHours: s.MedianHours, P90Hours: s.P90Hours,
		WithRequiredBy: s.WithRequiredBy, BeforeRequired: s.BeforeRequiredBy, ShareBefore: s.ShareBeforeRequiredBy,
		Redirected: s.Redirected, ShareRedirect: s.ShareRedirected, Approved: s.Approved, Rejected: s.Rejected,
		ApprovalRate: s.ApprovalRate, EndingSoon: s.EndingSoon, OpenTooLong: s.OpenTooLong,
		MCDA: make([]mcdaUseDTO, len(s.MCDA)),
	}
	for i, u := range s.MCDA {
		out.MCDA[i] = mcdaUseDTO(u)
	}
	return writeJSON(w, http.StatusOK, out)
}
