package web

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/pages"
)

// Acting from an e-mail (service.ActionLinks). GET /act/{token} shows
// what the link would do and changes nothing: mail scanners and link
// previews open links. The page's one POST acts, then redirects to the
// same address with done=1, where the page says what was recorded (a
// reload re-posts nothing; a second click on the link says it was used).

// handleActionLinkShow opens a link: its confirmation, or why it no
// longer works.
func (s *Server) handleActionLinkShow(w http.ResponseWriter, r *http.Request) error {
	p, err := s.actionLinks.Open(r.Context(), chi.URLParam(r, "token"), middleware.GetClientIP(r.Context()), actor(r).UserID)
	if err != nil {
		return err
	}
	return s.renderActionLink(w, r, p, r.URL.Query().Get("done") == "1", nil)
}

// handleActionLink uses a link: on success, back to its page (done=1);
// on a problem with what was written, the page again with it (422);
// when the link stopped working meanwhile, its page saying why.
func (s *Server) handleActionLink(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	token := chi.URLParam(r, "token")
	in := service.LinkInput{Comment: r.PostForm.Get("comment"), Rationale: r.PostForm.Get("rationale"),
		Conditions: r.PostForm.Get("conditions"), Code: r.PostForm.Get("code")}
	in.Version, _ = strconv.Atoi(r.PostForm.Get("version"))
	p, err := s.actionLinks.Use(r.Context(), token, in, middleware.GetClientIP(r.Context()), actor(r).UserID)
	switch domain.ErrorCode(err) {
	case "":
		http.Redirect(w, r, "/act/"+token+"?done=1", http.StatusSeeOther)
		return nil
	case domain.CodeInvalid:
		// What was written (or the code) is wrong: the page again, with
		// the problem next to its field; the link was not used.
		return s.renderActionLink(w, r, p, false, err)
	case domain.CodeForbidden:
		// Not for whoever holds it now: the page says why, with no form.
		if p.Link.ID == 0 {
			return err
		}
		return s.renderActionLink(w, r, p, false, err)
	case domain.CodeConflict:
		// Used (a double tap, a re-post): the page of what is recorded.
		// Expired or closed meanwhile, or the request changed since the
		// page was shown: the page as it is now says which.
		if domain.ErrorMessage(err) == domain.LinkUsed {
			http.Redirect(w, r, "/act/"+token+"?done=1", http.StatusSeeOther)
			return nil
		}
		again, oerr := s.actionLinks.Open(r.Context(), token, middleware.GetClientIP(r.Context()), actor(r).UserID)
		if oerr != nil {
			return oerr
		}
		return s.renderActionLink(w, r, again, false, err)
	}
	return err
}

// renderActionLink lays out link page p: in its user's language unless
// the visitor chose another; done after a successful POST; err the POST's
// problem, shown next to its field or at the top.
func (s *Server) renderActionLink(w http.ResponseWriter, r *http.Request, p service.LinkPage, done bool, err error) error {
	if httpface.CookieLanguage(r) == "" && s.catalog != nil {
		r = r.WithContext(i18n.WithLocalizer(r.Context(), s.catalog.Localizer(p.User.Language, r.Header.Get("Accept-Language"))))
	}
	// The token is in the address: no page it links to learns it.
	w.Header().Set("Referrer-Policy", "no-referrer")
	ctx := r.Context()
	purpose := string(p.Link.Purpose)
	value := i18n.T(ctx, "actlink.value."+purpose+"."+p.Link.Value)
	v := pages.ActionLinkView{Heading: i18n.T(ctx, "actlink.heading."+purpose),
		For: i18n.T(ctx, "actlink.for", "Name", p.User.Name, "Email", p.User.Email)}
	status := http.StatusOK
	switch {
	case done && p.Refusal == domain.LinkUsed && recorded(p) != "":
		// What is recorded now, whichever link (or page) recorded it.
		v.Heading = i18n.T(ctx, "actlink.done_heading."+purpose)
		v.Done = i18n.T(ctx, "actlink.done."+purpose, "Value", i18n.T(ctx, "actlink.value."+purpose+"."+recorded(p)))
	case p.Refusal == domain.LinkOtherUser:
		// Not for this visitor: say so, and nothing of whose it is.
		v.Heading, v.Refusal, v.For = i18n.T(ctx, "actlink.other_heading"), i18n.T(ctx, p.Refusal), ""
		status = http.StatusForbidden
	case p.Refusal != "":
		v.Heading, v.Refusal = i18n.T(ctx, "actlink.refused_heading"), i18n.T(ctx, p.Refusal)
		// Gone when it no longer fits the request; forbidden when it is
		// not for whoever holds it now (domain.LinkRefused).
		status = http.StatusGone
		if domain.LinkRefused(p.Refusal).Code == domain.CodeForbidden {
			status = http.StatusForbidden
		}
	}
	if p.Request.ID != 0 {
		req := p.Request
		v.Reference, v.Title, v.RequestURL = req.Reference, req.Title, requestURL(req.ID)
		v.Facts = []pages.Fact{
			{Label: i18n.T(ctx, "actlink.fact.organization"), Value: req.RequestingOrgName},
			{Label: i18n.T(ctx, "actlink.fact.need"), Value: req.Need},
			{Label: i18n.T(ctx, "actlink.fact.task"), Value: req.TaskDescription},
		}
		if !req.RequiredBy.IsZero() {
			v.Facts = append(v.Facts, pages.Fact{Label: i18n.T(ctx, "actlink.fact.required_by"), Value: displayTime(ctx, req.RequiredBy)})
		}
		ev := evaluationView(ctx, p.Evaluation, requestValues(req), false)
		v.Evaluation = &ev
		if rs := p.Review; rs.Exists {
			v.Turnout = i18n.T(ctx, "review.turnout_value", "Voted", rs.Tally.Voted, "Eligible", rs.Tally.Eligible)
			if rs.Visibility == domain.SeeValues {
				t := rs.Tally
				v.Tally = i18n.T(ctx, "review.tally_value", "Support", t.Support-t.WithConds, "Conditions", t.WithConds,
					"Object", t.Object, "Abstain", t.Abstain, "Recuse", t.Recused)
				// Every vote with its conditions or reason: what the HC
				// weighs, as on the request page.
				v.Votes = voteRows(ctx, rs.Votes)
			}
			if rs.Review.Open() {
				v.Deadline = displayTime(ctx, rs.Review.Deadline)
			} else if result, _ := reviewResult(ctx, rs.Review); result != "" {
				// Why approval is offered or not: the review's result.
				v.Facts = append(v.Facts, pages.Fact{Label: i18n.T(ctx, "review.result"), Value: result})
			}
		}
		v.Next, v.NextURL = i18n.T(ctx, "actlink.open_request"), v.RequestURL
	}
	if p.Refusal == "" && p.Request.ID != 0 {
		v.Form = s.actionLinkForm(r, p, value, err)
		switch domain.ErrorCode(err) {
		case domain.CodeInvalid:
			status = http.StatusUnprocessableEntity
		case domain.CodeConflict:
			// Still live, so the request changed since the page was shown:
			// this page shows it as it is now, to confirm again.
			status, v.Refusal = http.StatusConflict, i18n.T(ctx, "actlink.changed")
			v.Form.Errors = nil
		}
	}
	v.Shell = s.shell(w, r, v.Heading)
	return s.render(w, r, status, pages.ActionLink(v))
}

// recorded is the value recorded where link page p acts: the link
// user's organisation's vote, or the review's decision; "" when none is
// (or the page may not show it).
func recorded(p service.LinkPage) string {
	switch {
	case p.Link.Purpose == domain.LinkVote && p.Review.MyVote != nil:
		return string(p.Review.MyVote.Value)
	case p.Link.Purpose == domain.LinkDecide && p.Review.Decision != nil:
		return string(p.Review.Decision.Outcome)
	}
	return ""
}

// actionLinkForm is the confirmation of link page p carrying value
// (translated): the fields its action needs (domain.ValidateVote's and
// ValidateDecision's), and the code when the operation asks one.
func (s *Server) actionLinkForm(r *http.Request, p service.LinkPage, value string, err error) *pages.ActionLinkForm {
	ctx := r.Context()
	f := newForm(r, err)
	purpose := string(p.Link.Purpose)
	out := &pages.ActionLinkForm{URL: r.URL.Path, Version: strconv.Itoa(p.Request.Version),
		ValueLabel: i18n.T(ctx, "actlink.value_label."+purpose), Value: value,
		Other: i18n.T(ctx, "actlink.other."+purpose), Submit: i18n.T(ctx, "actlink.submit."+purpose)}
	switch p.Link.Purpose {
	case domain.LinkVote:
		out.ValueHelp = i18n.T(ctx, "vote."+p.Link.Value+".help")
		needed := domain.VoteNeedsComment(domain.VoteValue(p.Link.Value)) != ""
		c := f.field("comment", "actlink.comment."+p.Link.Value, "textarea", needed)
		c.Maxlength = 2000
		out.Fields = append(out.Fields, c)
	case domain.LinkDecide:
		rat := f.field("rationale", "decision.rationale", "textarea", true)
		rat.Maxlength = 4000
		out.Fields = append(out.Fields, rat)
		if p.Link.Value == string(domain.StatusApproved) {
			c := f.field("conditions", "decision.conditions_field", "textarea", false)
			c.Maxlength = 4000 // the field says it is optional; approval is the link's value
			out.Fields = append(out.Fields, c)
		}
	}
	if p.NeedsCode {
		c := f.field("code", "actlink.code", "text", true)
		c.Value, c.Autocomplete, c.Inputmode = "", "one-time-code", "numeric"
		c.Hint = i18n.T(ctx, "actlink.code_hint")
		if !p.HasFactor {
			c.Hint = i18n.T(ctx, "link.factor_missing")
		}
		out.Code = &c
	}
	out.Errors = f.summary()
	return out
}
