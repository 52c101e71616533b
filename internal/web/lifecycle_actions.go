package web

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/web/components"
)

// The after-approval steps posted from the request page (its section is
// built in lifecycle_page.go).

// ---- Reading the forms ----
//
// A value that cannot be read is a field message, never a 500. It is
// sent on as a value the domain refuses (-1, a zero date), so the service
// still answers first whether the caller may take the step at all (404,
// 403, 409); withFieldMessages then puts "enter a whole number" in place
// of the rule the placeholder broke.

// formCount reads an optional count: empty is 0, and thousands
// separators (commas, spaces) are ignored.
func formCount(v url.Values, field string, fe map[string]string) int {
	s := strings.NewReplacer(",", "", " ", "").Replace(strings.TrimSpace(v.Get(field)))
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		fe[field] = "field.number"
		return -1
	}
	return n
}

// formDecimal reads an optional decimal (a comma is accepted as the
// decimal mark): empty is 0; NaN and infinities are not numbers here.
func formDecimal(v url.Values, field string, fe map[string]string) float64 {
	s := strings.TrimSpace(strings.ReplaceAll(v.Get(field), ",", "."))
	if s == "" {
		return 0
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		fe[field] = "lifecycle.field_decimal"
		return -1
	}
	return x
}

// formDay reads an optional YYYY-MM-DD date.
func formDay(v url.Values, field string, fe map[string]string) time.Time {
	s := strings.TrimSpace(v.Get(field))
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		fe[field] = "field.date"
		return time.Time{}
	}
	return t
}

func formVersion(v url.Values) int {
	n, _ := strconv.Atoi(v.Get("version")) // 0, none: refused where the step needs it (domain.CheckStepVersion)
	return n
}

// lifecycleAction runs one step posted from the request page's
// after-approval section: on a rule failure the page comes back (422)
// with the form open, its values and its messages; on success, back to
// the section with a flash.
func (s *Server) lifecycleAction(form, done string, do func(r *http.Request, a domain.Actor, id int64) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathIDParam(r, "id")
		if err != nil {
			return err
		}
		if err := parseForm(w, r); err != nil {
			return err
		}
		a := actor(r)
		err = do(r, a, id)
		if err != nil {
			return s.reshowRefused(w, r, id, form, err)
		}
		s.setFlash(w, components.FlashSuccess, done)
		http.Redirect(w, r, requestURL(id)+"#lifecycle-h", http.StatusSeeOther)
		return nil
	}
}

func (s *Server) handleConsent() handlerFunc {
	return s.lifecycleAction("consent", "lifecycle.consent_saved", func(r *http.Request, a domain.Actor, id int64) error {
		v, fe := r.PostForm, map[string]string{}
		c := domain.Consent{Status: strings.TrimSpace(v.Get("status")), Authority: v.Get("authority"),
			Channel: v.Get("channel"), Reference: v.Get("reference"), Date: formDay(v, "date", fe)}
		if len(fe) > 0 && c.Status == "not_applicable" {
			// The one status without a required date: an unreadable date
			// would be dropped without a word, so it is refused here.
			return invalid(fe)
		}
		_, err := s.lifecycle.RecordConsent(r.Context(), a, id, formVersion(v), c)
		return withFieldMessages(err, fe)
	})
}

func (s *Server) handleTasking() handlerFunc {
	return s.lifecycleAction("tasking", "lifecycle.tasked", func(r *http.Request, a domain.Actor, id int64) error {
		v, fe := r.PostForm, map[string]string{}
		t := domain.Tasking{ProviderISO3: v.Get("provider_iso3"), Unit: v.Get("unit"), AssetType: v.Get("asset_type"),
			AssetCount: formCount(v, "asset_count", fe), PlatformRef: v.Get("platform_ref")}
		_, err := s.lifecycle.Task(r.Context(), a, id, formVersion(v), t)
		return withFieldMessages(err, fe)
	})
}

func (s *Server) handleReport() handlerFunc {
	return s.lifecycleAction("report", "lifecycle.reported", func(r *http.Request, a domain.Actor, id int64) error {
		v, fe := r.PostForm, map[string]string{}
		rep := domain.ExecutionReport{Date: formDay(v, "date", fe), Sorties: formCount(v, "sorties", fe),
			FlightHours: formDecimal(v, "flight_hours", fe), Tonnes: formDecimal(v, "tonnes", fe),
			Passengers: formCount(v, "passengers", fe), Medevacs: formCount(v, "medevacs", fe),
			PeopleReached: formCount(v, "people_reached", fe), Incidents: v.Get("incidents"), Notes: v.Get("notes")}
		_, err := s.lifecycle.Report(r.Context(), a, id, formVersion(v), rep)
		return withFieldMessages(err, fe)
	})
}

func (s *Server) handleHandover() handlerFunc {
	return s.lifecycleAction("handover", "lifecycle.handed_over", func(r *http.Request, a domain.Actor, id int64) error {
		v, fe := r.PostForm, map[string]string{}
		h := domain.Handover{Organization: v.Get("organization"), Date: formDay(v, "date", fe), Reason: v.Get("reason")}
		_, err := s.lifecycle.HandOver(r.Context(), a, id, formVersion(v), h)
		return withFieldMessages(err, fe)
	})
}
