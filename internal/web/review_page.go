package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// The HCT review and the HC's decision on the request page. What the
// viewer sees of the votes is decided by service.Reviews.State (sealed
// votes, domain.VotesVisible); these handlers only lay it out.

// reviewPanel builds the review panel of request d for the viewer, from
// its review state as the viewer may see it; st carries a failed form
// back (its values and problem).
func (s *Server) reviewPanel(r *http.Request, d service.RequestPage, st pageState) *pages.ReviewPanel {
	ctx := r.Context()
	req := d.Request
	rs := d.Review
	f := newForm(r, st.err)
	if st.values != nil {
		f.values = st.values
	}
	p := &pages.ReviewPanel{}
	base := requestURL(req.ID)
	version := strconv.Itoa(req.Version)
	if slices.Contains(d.Actions, domain.ActionOpenReview) {
		p.OpenForm = s.reviewOpenForm(ctx, f, st.form == "review", base+"/review", version, "review.open", "review.open_hint", req.RequiredBy)
	}
	p.Blocked = blockedIn(ctx, d.RequestDetail, domain.StageReview)
	if !rs.Exists {
		if p.OpenForm == nil && len(p.Blocked) == 0 {
			return nil
		}
		return p
	}
	rv := rs.Review
	p.Exists, p.Open = true, rv.Open()
	p.Round = strconv.Itoa(rv.Round)
	p.Deadline = displayTime(ctx, rv.Deadline)
	if !rv.Open() {
		p.Closed, p.Cancelled = displayTime(ctx, rv.ClosedAt), rv.Cancelled
	} else if rs.ClosesAfterNeed {
		// Voters see that the request expires before the review closes.
		p.AfterNeed = i18n.T(ctx, "review.closes_after_need", "RequiredBy", displayTime(ctx, req.RequiredBy), "Deadline", p.Deadline)
	}
	sealed := i18n.T(ctx, "common.no")
	if rv.Policy.SealedVotes {
		sealed = i18n.T(ctx, "common.yes")
	}
	p.Rules = i18n.T(ctx, "review.rules_value", "Quorum", rv.Policy.QuorumPercent,
		"Rule", i18n.T(ctx, "pass_rule."+string(rv.Policy.PassRule)), "Sealed", sealed)
	p.Eligible, p.Recused, p.NotVoted = rs.Eligible, rs.RecusedOrgs, rs.NotVoted
	p.Turnout = i18n.T(ctx, "review.turnout_value", "Voted", rs.Tally.Voted, "Eligible", rs.Tally.Eligible)
	p.Sealed = rs.Visibility != domain.SeeValues
	if rs.Visibility == domain.SeeValues {
		t := rs.Tally
		p.Tally = i18n.T(ctx, "review.tally_value", "Support", t.Support-t.WithConds, "Conditions", t.WithConds,
			"Object", t.Object, "Abstain", t.Abstain, "Recuse", t.Recused)
		p.Votes = voteRows(ctx, rs.Votes)
		for _, v := range rs.History {
			p.History = append(p.History, voteRow(ctx, v))
		}
	}
	p.Result, p.ResultCode = reviewResult(ctx, rv)
	if rs.MyVote != nil {
		p.MyVote = i18n.T(ctx, "vote."+string(rs.MyVote.Value))
		if rs.MyVote.Comment != "" {
			p.MyVote += ": " + rs.MyVote.Comment
		}
	}
	if rs.CanVote {
		p.VoteForm = voteForm(ctx, f, base+"/vote", rs.MyVote, st.form == "vote")
	}
	if rs.CanClose {
		p.CloseURL, p.CloseVersion = base+"/review/close", version
	}
	if rs.CanRemind { // a reminder refused for now says why among Blocked
		p.RemindURL, p.RemindVersion = base+"/review/remind", version
		p.RemindHint = i18n.T(ctx, "review.remind_hint", "Hours", int(domain.RemindAgainAfter/time.Hour))
	}
	if rs.CanReopen {
		p.ReopenForm = s.reviewOpenForm(ctx, f, st.form == "reopen", base+"/review/reopen", version, "review.reopen", "review.reopen_hint", req.RequiredBy)
	}
	if rs.Decision != nil {
		dd := rs.Decision
		p.Decision = &pages.DecisionView{Outcome: i18n.T(ctx, "status."+string(dd.Outcome)), Code: string(dd.Outcome),
			Rationale: dd.Rationale, Conditions: dd.Conditions, By: dd.DecidedByName, At: displayTime(ctx, dd.DecidedAt),
			Acting: actingDecision(ctx, *dd)}
	}
	if rs.CanDecide && rs.Decision == nil {
		p.DecideForm = decisionForm(ctx, f, base+"/decision", version, rs.Tally.Passed, st.form == "decision")
	}
	return p
}

func voteOrder(v domain.VoteValue) int {
	return slices.Index([]domain.VoteValue{domain.VoteObject, domain.VoteSupportConditions, domain.VoteSupport,
		domain.VoteAbstain, domain.VoteRecuse}, v)
}

// reviewResult is closed review rv's result, translated, and its code
// ("passed" or "failed"); "" while open or when it ended without a tally.
func reviewResult(ctx context.Context, rv domain.Review) (text, code string) {
	switch t := rv.Tally; {
	case rv.Open() || t == nil:
		return "", ""
	case t.Passed:
		return i18n.T(ctx, "review.passed"), "passed"
	case !t.QuorumMet:
		return i18n.T(ctx, "review.no_quorum"), "failed"
	}
	return i18n.T(ctx, "review.failed"), "failed"
}

// voteRows are votes as the page and the HC's decision link list them:
// objections first, they are what the HC must weigh.
func voteRows(ctx context.Context, votes []domain.Vote) []pages.VoteRow {
	votes = slices.Clone(votes)
	slices.SortStableFunc(votes, func(x, y domain.Vote) int { return voteOrder(x.Value) - voteOrder(y.Value) })
	out := make([]pages.VoteRow, len(votes))
	for i, v := range votes {
		out[i] = voteRow(ctx, v)
	}
	return out
}

func voteRow(ctx context.Context, v domain.Vote) pages.VoteRow {
	return pages.VoteRow{Organization: v.OrgName, Value: i18n.T(ctx, "vote."+string(v.Value)), ValueCode: string(v.Value),
		Comment: v.Comment, By: v.CastByName, At: displayTime(ctx, v.CastAt)}
}

// reviewOpenForm is the form that opens (or re-opens) a review of a
// request needed by requiredBy: a deadline, and the officer's
// confirmation that it may close after the required-by time
// (domain.ReviewDeadline refuses it otherwise).
func (s *Server) reviewOpenForm(ctx context.Context, f *form, failed bool, url, version, submitKey, hintKey string, requiredBy time.Time) *pages.ReviewOpenForm {
	vals := f
	if !failed {
		vals = &form{ctx: ctx, values: map[string][]string{}, errs: map[string]string{}}
	}
	prefix := strings.ReplaceAll(submitKey, ".", "-")
	dl := vals.field("deadline", "review.deadline_field", "datetime-local", false)
	dl.Hint = i18n.T(ctx, "review.deadline_hint")
	dl.ID, dl.Name = prefix+"-deadline", "deadline"
	out := &pages.ReviewOpenForm{URL: url, Version: version, Deadline: dl, Submit: i18n.T(ctx, submitKey), Hint: i18n.T(ctx, hintKey)}
	if !requiredBy.IsZero() {
		c := vals.field("after_required_by", "review.after_required_by", "checkbox", false)
		c.Label = i18n.T(ctx, "review.after_required_by", "RequiredBy", displayTime(ctx, requiredBy))
		c.Hint = i18n.T(ctx, "review.after_required_by_hint")
		c.ID, c.Name = prefix+"-after_required_by", "after_required_by"
		c.Checked = vals.values.Get("after_required_by") == "true"
		out.AfterRequiredBy = &c
	}
	return out
}

func voteForm(ctx context.Context, f *form, url string, mine *domain.Vote, failed bool) *pages.VoteForm {
	cur, comment := "", ""
	if mine != nil {
		cur, comment = string(mine.Value), mine.Comment
	}
	vals := &form{ctx: ctx, values: map[string][]string{"value": {cur}, "comment": {comment}}, errs: map[string]string{}}
	if failed {
		vals = f
	}
	vf := &pages.VoteForm{URL: url, Error: vals.errs["value"]}
	for _, v := range domain.VoteValues {
		vf.Choices = append(vf.Choices, pages.Choice{ID: "vote-" + string(v), Value: string(v),
			Label: i18n.T(ctx, "vote."+string(v)) + " — " + i18n.T(ctx, "vote."+string(v)+".help"), Checked: vals.values.Get("value") == string(v)})
	}
	vf.Comment = vals.field("comment", "vote.comment", "textarea", false)
	vf.Comment.Hint = i18n.T(ctx, "vote.comment_hint")
	vf.Comment.Maxlength = 2000
	return vf
}

func decisionForm(ctx context.Context, f *form, url, version string, passed, failed bool) *pages.DecisionForm {
	vals := &form{ctx: ctx, values: map[string][]string{}, errs: map[string]string{}}
	if failed {
		vals = f
	}
	df := &pages.DecisionForm{URL: url, Version: version, CanApprove: passed, Error: vals.errs["outcome"]}
	outcomes := []domain.Status{domain.StatusRejected}
	if passed {
		outcomes = []domain.Status{domain.StatusApproved, domain.StatusRejected}
	}
	for _, o := range outcomes {
		df.Choices = append(df.Choices, pages.Choice{ID: "outcome-" + string(o), Value: string(o),
			Label: i18n.T(ctx, "decision."+string(o)), Checked: vals.values.Get("outcome") == string(o)})
	}
	df.Rationale = vals.field("rationale", "decision.rationale", "textarea", true)
	df.Rationale.Maxlength = 4000
	df.Conditions = vals.field("conditions", "decision.conditions_field", "textarea", false)
	df.Conditions.Hint = i18n.T(ctx, "decision.conditions_hint")
	df.Conditions.Maxlength = 4000
	return df
}

// reviewAction runs one review step posted from the request page: on a
// rule failure the page comes back (422) with the form open and its
// message; on success, back to the page with a flash.
func (s *Server) reviewAction(form, done string, do func(r *http.Request, a domain.Actor, id int64) error) handlerFunc {
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
		http.Redirect(w, r, requestURL(id)+"#review-h", http.StatusSeeOther)
		return nil
	}
}

// formDeadline reads an optional deadline (UTC, datetime-local).
func formDeadline(v url.Values) (time.Time, error) {
	s := strings.TrimSpace(v.Get("deadline"))
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(datetimeLayout, s)
	if err != nil {
		return time.Time{}, invalid(map[string]string{"deadline": "field.datetime"})
	}
	return t, nil
}

func (s *Server) handleReviewOpen() handlerFunc {
	return s.reviewAction("review", "review.opened", func(r *http.Request, a domain.Actor, id int64) error {
		dl, err := formDeadline(r.PostForm)
		if err != nil {
			return err
		}
		v, _ := strconv.Atoi(r.PostForm.Get("version"))
		_, err = s.reviews.Open(r.Context(), a, id, service.OpenInput{Version: v, Deadline: dl,
			AfterRequiredBy: r.PostForm.Get("after_required_by") == "true"})
		return err
	})
}

func (s *Server) handleReviewReopen() handlerFunc {
	return s.reviewAction("reopen", "review.reopened", func(r *http.Request, a domain.Actor, id int64) error {
		dl, err := formDeadline(r.PostForm)
		if err != nil {
			return err
		}
		v, _ := strconv.Atoi(r.PostForm.Get("version"))
		_, err = s.reviews.Reopen(r.Context(), a, id, service.OpenInput{Version: v, Deadline: dl,
			AfterRequiredBy: r.PostForm.Get("after_required_by") == "true"})
		return err
	})
}

func (s *Server) handleVote() handlerFunc {
	return s.reviewAction("vote", "vote.saved", func(r *http.Request, a domain.Actor, id int64) error {
		_, err := s.reviews.Vote(r.Context(), a, id, service.VoteInput{Value: domain.VoteValue(r.PostForm.Get("value")),
			Comment: r.PostForm.Get("comment")})
		return err
	})
}

func (s *Server) handleReviewRemind() handlerFunc {
	return s.reviewAction("remind", "review.reminded_flash", func(r *http.Request, a domain.Actor, id int64) error {
		v, _ := strconv.Atoi(r.PostForm.Get("version"))
		_, err := s.reviews.Remind(r.Context(), a, id, v)
		return err
	})
}

func (s *Server) handleReviewClose() handlerFunc {
	return s.reviewAction("close", "review.closed_flash", func(r *http.Request, a domain.Actor, id int64) error {
		_, err := s.reviews.Close(r.Context(), a, id, formVersion(r.PostForm))
		return err
	})
}

func (s *Server) handleDecision() handlerFunc {
	return s.reviewAction("decision", "decision.recorded", func(r *http.Request, a domain.Actor, id int64) error {
		v, _ := strconv.Atoi(r.PostForm.Get("version"))
		_, err := s.reviews.Decide(r.Context(), a, id, service.DecisionInput{Version: v,
			Outcome: domain.Status(r.PostForm.Get("outcome")), Rationale: r.PostForm.Get("rationale"),
			Conditions: r.PostForm.Get("conditions")})
		return err
	})
}
