package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// actingHCURL is operation code's acting HC page.
func actingHCURL(code string) string { return "/operations/" + code + "/acting-hc" }

// handleActingHC shows operation code's acting HC periods and, to the HC
// and administrators, the form naming one.
func (s *Server) handleActingHC(w http.ResponseWriter, r *http.Request) error {
	return s.renderActingHC(w, r, http.StatusOK, nil)
}

// renderActingHC renders the page; after a refused naming err holds its
// messages and the form keeps what was typed.
func (s *Server) renderActingHC(w http.ResponseWriter, r *http.Request, status int, err error) error {
	code, perr := pathCode(r)
	if perr != nil {
		return perr
	}
	ctx := r.Context()
	page, lerr := s.directory.ActingHC(ctx, actor(r), code)
	if lerr != nil {
		return lerr
	}
	op := page.Operation
	now := s.now()
	v := pages.ActingHCView{Shell: s.shell(w, r, i18n.T(ctx, "acting_hc.title", "Operation", op.Code)),
		Code: op.Code, Name: op.Name, OperationURL: "/operations/" + op.Code}
	for _, p := range page.Periods {
		id := strconv.FormatInt(p.ID, 10)
		row := pages.ActingHCRow{ID: id, Member: p.UserName, NamedBy: p.NamedByName, Reason: p.Reason,
			Period:  i18n.T(ctx, "acting_hc.period", "From", displayTime(ctx, p.StartsAt), "Until", displayTime(ctx, p.Until())),
			Running: p.ActiveAt(now)}
		switch {
		case !p.EndedAt.IsZero() && p.EndedAt.Before(p.EndsAt):
			row.State = i18n.T(ctx, "acting_hc.state.ended", "Who", p.EndedByName, "At", displayTime(ctx, p.EndedAt))
		case p.Over(now):
			row.State = i18n.T(ctx, "acting_hc.state.over")
		case row.Running:
			row.State = i18n.T(ctx, "acting_hc.state.running")
		default:
			row.State = i18n.T(ctx, "acting_hc.state.upcoming")
		}
		if page.CanName && !p.Over(now) {
			row.EndAction = actingHCURL(op.Code) + "/" + id + "/end"
		}
		v.Periods = append(v.Periods, row)
	}
	f := newForm(r, err)
	if page.CanName {
		if err == nil {
			f = prefilledForm(r, nil)
		}
		opts := []components.Option{{Value: "", Label: i18n.T(ctx, "acting_hc.choose")}}
		for _, m := range page.Candidates {
			opts = append(opts, components.Option{Value: strconv.FormatInt(m.User.ID, 10), Label: m.User.Name + " (" + m.Organization.Name + ")"})
		}
		form := &pages.ActingHCForm{Action: actingHCURL(op.Code), NoCandidates: len(page.Candidates) == 0,
			User:   f.choice("user", "acting_hc.field.user", true, opts),
			Starts: f.field("starts_at", "acting_hc.field.starts_at", "datetime-local", false),
			Ends:   f.field("ends_at", "acting_hc.field.ends_at", "datetime-local", true),
			Reason: f.text("reason", "acting_hc.field.reason", true, 1000)}
		v.Form = form
	}
	v.Errors = f.summary()
	return s.render(w, r, status, pages.ActingHC(v))
}

// handleActingHCName names the acting HC the form gives.
func (s *Server) handleActingHCName(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	in, err := actingHCInput(r)
	if err == nil {
		_, err = s.directory.NameActingHC(r.Context(), actor(r), code, in)
	} else if aerr := s.directory.MayNameActingHC(r.Context(), actor(r), code); aerr != nil {
		err = aerr // who may not name learns nothing of the form's problems
	}
	return s.actingHCMutation(w, r, err, "flash.acting_hc_named")
}

// actingHCInput reads the naming form; times are UTC, as the form says.
func actingHCInput(r *http.Request) (domain.ActingHCInput, error) {
	var in domain.ActingHCInput
	fe := map[string]string{}
	if s := strings.TrimSpace(r.PostForm.Get("user")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			fe["user"] = "field.choose"
		}
		in.UserID = id
	}
	for _, t := range []struct {
		field string
		dst   *time.Time
	}{{"starts_at", &in.StartsAt}, {"ends_at", &in.EndsAt}} {
		if s := strings.TrimSpace(r.PostForm.Get(t.field)); s != "" {
			v, err := time.Parse(datetimeLayout, s)
			if err != nil {
				fe[t.field] = "field.datetime"
			}
			*t.dst = v
		}
	}
	in.Reason = r.PostForm.Get("reason")
	if len(fe) > 0 {
		return in, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: fe}
	}
	return in, nil
}

// handleActingHCEnd ends an acting period now.
func (s *Server) handleActingHCEnd(w http.ResponseWriter, r *http.Request) error {
	code, err := pathCode(r)
	if err != nil {
		return err
	}
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	_, err = s.directory.EndActingHC(r.Context(), actor(r), code, id)
	return s.actingHCMutation(w, r, err, "flash.acting_hc_ended")
}

// actingHCMutation is the outcome of a form of the page: back to it with
// a flash, or the page again with the refusal (422 for a field, 409 for
// an overlap or a period already over).
func (s *Server) actingHCMutation(w http.ResponseWriter, r *http.Request, err error, flash string) error {
	switch code := domain.ErrorCode(err); code {
	case domain.CodeInvalid:
		return s.renderActingHC(w, r, http.StatusUnprocessableEntity, err)
	case domain.CodeConflict:
		return s.renderActingHC(w, r, http.StatusConflict, err)
	}
	if err != nil {
		return err
	}
	code, _ := pathCode(r)
	s.setFlash(w, components.FlashSuccess, flash)
	http.Redirect(w, r, actingHCURL(code), http.StatusSeeOther)
	return nil
}

// actingDecision is the sentence naming an acting HC's decision ("" for
// the HC's own).
func actingDecision(ctx context.Context, d domain.Decision) string {
	if d.ActingHCID == 0 {
		return ""
	}
	return i18n.T(ctx, "decision.decided_by_acting", "Who", d.DecidedByName, "NamedBy", d.ActingNamedByName,
		"Until", displayTime(ctx, d.ActingUntil))
}
