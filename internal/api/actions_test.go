package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// actionCaller is someone who reads a request's actions and takes them.
type actionCaller struct {
	name  string
	token string
	role  domain.Role // the role they hold in the operation; "" for none
}

// stepCall is the API call that takes a step on a request.
type stepCall struct {
	method, path string
	body         map[string]any
}

// actionWalk is the lifecycle fixture with a UN requester (whose requests
// with LR18 answered yes need an HRDDP assessment) and a user who is no
// member of the operation.
type actionWalk struct {
	*lifecycleFixture
	unRequester, nonMember string
}

// stepInputs are the bodies of the steps that take more than the
// rulebook's generic input (a version, a reason, a civilian reference),
// valid wherever the step is allowed; path is the step's route below
// /requests/{id}, from the rule's Path when it has one. Every step of the
// rulebook that is not generic must be here (checked), so a new step is
// walked as soon as it exists.
func (w *actionWalk) stepInputs(version int) map[domain.Action]stepCall {
	today := time.Now().UTC().Format(time.DateOnly)
	return map[domain.Action]stepCall{
		domain.ActionEditRequest:    {"PATCH", "", map[string]any{"version": version, "title": "Edited by the walk"}},
		domain.ActionComment:        {"POST", "/comments", map[string]any{"body": "Probe."}},
		domain.ActionRecordBriefing: {"POST", "/briefing", map[string]any{"version": version, "answer": "yes", "note": "Briefed on 2 May."}},
		domain.ActionVote:           {"PUT", "/vote", map[string]any{"version": version, "value": "support"}},
		domain.ActionExtend: {"POST", "/extend", map[string]any{"version": version,
			"end_date": time.Now().UTC().AddDate(0, 0, 60).Format(time.DateOnly)}},
		domain.ActionRecordConsent: {"PUT", "/consent", map[string]any{"version": version, "status": "consented", "authority": "NDRRMA",
			"channel": "Letter", "date": today}},
		domain.ActionReport:       {"POST", "/reports", map[string]any{"version": version, "date": today, "sorties": 2}},
		domain.ActionAssess:       {"PUT", "/hrddp", withVersion(lowRiskAssessment(), version)},
		domain.ActionOpenReview:   {"POST", "", map[string]any{"version": version}},
		domain.ActionCloseReview:  {"POST", "", map[string]any{"version": version}},
		domain.ActionRemindVoters: {"POST", "", map[string]any{"version": version}},
		domain.ActionReopenReview: {"POST", "", map[string]any{"version": version}},
		domain.ActionApprove: {"POST", "", map[string]any{"version": version, "outcome": "approved",
			"rationale": "The HCT supports it."}},
		domain.ActionReject: {"POST", "", map[string]any{"version": version, "outcome": "rejected",
			"rationale": "A civilian operator can fly it."}},
		domain.ActionTask: {"POST", "", map[string]any{"version": version, "provider_iso3": "IND", "unit": "152 HU",
			"asset_type": "Mi-17 helicopter", "asset_count": 2}},
		domain.ActionHandOver: {"POST", "", map[string]any{"version": version, "organization": "WFP road convoys",
			"date": today}},
	}
}

// withVersion is body with the request's version the caller saw.
func withVersion(body map[string]any, version int) map[string]any {
	body["version"] = version
	return body
}

// lowRiskAssessment is an HRDDP assessment that supports the request.
func lowRiskAssessment() map[string]any {
	b := hrddpBody("support")
	b["risk_level"] = "low"
	return b
}

// stepFor is the API call taking action on request id at version, with
// input valid wherever the action is allowed: for a generic step what
// its rule asks (the version, a reason where NeedsReason, a civilian
// reference where NeedsReference), for the others stepInputs.
func (w *actionWalk) stepFor(t testing.TB, action domain.Action, id int64, version int) stepCall {
	t.Helper()
	rule, _ := domain.RuleFor(action)
	c := stepCall{method: "POST", body: map[string]any{"version": version}}
	if !rule.Generic() {
		in, ok := w.stepInputs(version)[action]
		if !ok {
			t.Fatalf("%s: a step with no input in stepInputs", action)
		}
		c = in
	} else {
		if rule.NeedsReason {
			c.body["reason"] = "Given by the walk."
		}
		if rule.NeedsReference {
			c.body["civilian_reference"] = "SRF-2026-0042"
		}
	}
	if rule.Path != "" {
		c.path = "/" + rule.Path
	}
	c.path = fmt.Sprintf("/requests/%d%s", id, c.path)
	return c
}

// byGuard reports whether a refusal of action with message why comes
// from its rule's guard rather than from who may see the request, their
// role or its status.
func byGuard(action domain.Action, why string) bool {
	rule, _ := domain.RuleFor(action)
	wrongState := rule.WrongState
	if wrongState == "" {
		wrongState = "request.wrong_state"
	}
	switch why {
	case "error.not_found", "error.forbidden", "error.unauthorized", wrongState, "request.wrong_state":
		return false
	}
	return true
}

// situation is a request built through the services to one state of the
// workflow (with the guards' facts that decide what may be done there).
type situation struct {
	name  string
	build func(t testing.TB) int64
}

// situations returns a request in every status the workflow reaches,
// and in the states within a status that the guards tell apart (an
// HRDDP assessment pending or done, every vote in or none, a review
// passed or without quorum, the consent recorded or not).
func (w *actionWalk) situations() []situation {
	officer := func(t testing.TB) domain.Actor { return w.actorOf(t, w.officer) }
	version := func(t testing.TB, id int64) int {
		t.Helper()
		d, err := w.reqs.Get(t.Context(), officer(t), id)
		if err != nil {
			t.Fatal(err)
		}
		return d.Request.Version
	}
	// step takes transition action on id as token through the service.
	step := func(t testing.TB, token string, id int64, action domain.Action, reason string) {
		t.Helper()
		if _, err := w.reqs.Transition(t.Context(), w.actorOf(t, token), id, action,
			domain.TransitionInput{Version: version(t, id), Reason: reason, CivilianReference: "SRF-1"}); err != nil {
			t.Fatalf("%s: %v", action, err)
		}
	}
	must := func(t testing.TB, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// runDue moves the clock on by d, runs the deadline job, and comes
	// back, so that what is built next is built now.
	runDue := func(t testing.TB, d time.Duration) {
		t.Helper()
		w.clock.Advance(d)
		defer w.clock.Advance(-d)
		_, err := w.reviews.RunDue(t.Context())
		must(t, err)
	}
	submitted := func(t testing.TB) int64 { return w.mustSubmitted(t, "Walked request") }
	hrddpSubmitted := func(t testing.TB) int64 {
		body := completeBody("Walked escort fuel")
		body["checklist"].(map[string]any)["LR18"] = map[string]any{"answer": "yes", "note": "Fuel for the army's escort vehicles."}
		r := w.mustCreate(t, w.unRequester, body)
		w.mustAct(t, w.unRequester, r.ID, "submit", map[string]any{"version": 1})
		return r.ID
	}
	assessed := func(t testing.TB) int64 {
		id := hrddpSubmitted(t)
		w.step(t, w.hrddp, id, "hrddp", lowRiskAssessment()).want(t, http.StatusOK)
		return id
	}
	inReview := func(t testing.TB) int64 {
		id := submitted(t)
		_, err := w.reviews.Open(t.Context(), officer(t), id, service.OpenInput{Version: version(t, id)})
		must(t, err)
		return id
	}
	allVoted := func(t testing.TB) int64 {
		id := inReview(t)
		for _, token := range []string{w.hctA, w.hctB} {
			_, err := w.reviews.Vote(t.Context(), w.actorOf(t, token), id, service.VoteInput{Value: domain.VoteSupport})
			must(t, err)
		}
		return id
	}
	passed := func(t testing.TB) int64 {
		id := allVoted(t)
		_, err := w.reviews.Close(t.Context(), officer(t), id, version(t, id))
		must(t, err)
		return id
	}
	noQuorum := func(t testing.TB) int64 {
		id := submitted(t)
		_, err := w.reviews.Open(t.Context(), officer(t), id, service.OpenInput{Version: version(t, id),
			Deadline: w.clock.Now().Add(24 * time.Hour)})
		must(t, err)
		runDue(t, 25*time.Hour)
		return id
	}
	approved := func(t testing.TB) int64 {
		id := passed(t)
		_, err := w.reviews.Decide(t.Context(), w.actorOf(t, w.hc), id, service.DecisionInput{Version: version(t, id),
			Outcome: domain.StatusApproved, Rationale: "The HCT supports it."})
		must(t, err)
		return id
	}
	consented := func(t testing.TB) int64 {
		id := approved(t)
		_, err := w.life.RecordConsent(t.Context(), officer(t), id, version(t, id), domain.Consent{Status: "consented", Authority: "NDRRMA",
			Date: domain.DateOf(w.clock.Now())})
		must(t, err)
		return id
	}
	tasked := func(t testing.TB) int64 {
		id := consented(t)
		_, err := w.life.Task(t.Context(), officer(t), id, version(t, id), domain.Tasking{ProviderISO3: "IND", Unit: "152 HU",
			AssetType: "Mi-17", AssetCount: 1})
		must(t, err)
		return id
	}
	executing := func(t testing.TB) int64 {
		id := tasked(t)
		step(t, w.officer, id, domain.ActionStartExecution, "")
		return id
	}
	completed := func(t testing.TB) int64 {
		id := executing(t)
		step(t, w.officer, id, domain.ActionComplete, "")
		return id
	}
	then := func(before func(testing.TB) int64, token string, action domain.Action) func(testing.TB) int64 {
		return func(t testing.TB) int64 {
			id := before(t)
			step(t, token, id, action, "Taken by the walk.")
			return id
		}
	}
	return append(w.drafts(), []situation{
		{"submitted", submitted},
		{"submitted, HRDDP assessment pending", hrddpSubmitted},
		{"submitted, HRDDP assessed", assessed},
		{"returned", then(submitted, w.officer, domain.ActionReturn)},
		{"redirected", then(submitted, w.officer, domain.ActionRedirect)},
		{"withdrawn", then(submitted, w.requester, domain.ActionWithdraw)},
		{"expired", func(t testing.TB) int64 {
			id := submitted(t)
			runDue(t, 6*24*time.Hour) // past its required-by
			return id
		}},
		{"hct_review, no vote yet", inReview},
		{"hct_review, every vote in", allVoted},
		{"hc_decision, review passed", passed},
		{"hc_decision, no quorum", noQuorum},
		{"rejected", func(t testing.TB) int64 {
			id := passed(t)
			_, err := w.reviews.Decide(t.Context(), w.actorOf(t, w.hc), id, service.DecisionInput{Version: version(t, id),
				Outcome: domain.StatusRejected, Rationale: "A civilian operator can fly it."})
			must(t, err)
			return id
		}},
		{"approved, no consent yet", approved},
		{"approved, consent given", consented},
		{"tasked", tasked},
		{"declined_by_provider", then(tasked, w.officer, domain.ActionDecline)},
		{"in_execution", executing},
		{"completed", completed},
		{"handed_over", func(t testing.TB) int64 {
			id := completed(t)
			_, err := w.life.HandOver(t.Context(), officer(t), id, version(t, id), domain.Handover{
				Organization: "WFP road convoys", Date: domain.DateOf(w.clock.Now())})
			must(t, err)
			return id
		}},
		{"cancelled", then(approved, w.hc, domain.ActionCancel)},
	}...)
}

// drafts returns drafts of the requester's: a complete one, whose
// requester is offered request.submit, and one for each reason
// CheckSubmittable gives (a required field missing, a blocking checklist
// item, a required-by in the past; the domain's TestSubmitGuard walks
// every field and item), on which submit is not offered and
// blocked_actions says why. draftProblems names, per situation, the
// field or checklist item the refused submission must name ("" for the
// complete draft).
func (w *actionWalk) drafts() []situation {
	draft := func(change func(body map[string]any)) func(t testing.TB) int64 {
		return func(t testing.TB) int64 {
			body := completeBody("Walked draft")
			change(body)
			return w.mustCreate(t, w.requester, body).ID
		}
	}
	return []situation{
		{"draft", draft(func(map[string]any) {})},
		{"draft, a required field missing", draft(func(b map[string]any) { delete(b, "need") })},
		{"draft, a blocking checklist item", draft(func(b map[string]any) {
			b["checklist"].(map[string]any)["LR2"] = map[string]any{"answer": "no"} // a civilian alternative exists
		})},
		{"draft, required-by in the past", draft(func(b map[string]any) {
			b["required_by"] = w.clock.Now().Add(-time.Hour).Format(time.RFC3339)
		})},
	}
}

var draftProblems = map[string]string{
	"draft":                            "",
	"draft, a required field missing":  "need",
	"draft, a blocking checklist item": "LR2",
	"draft, required-by in the past":   "required_by",
}

func what(situation, caller string) string { return situation + " as " + caller }

// checkVersion takes action on request id, at version now, as c with a
// version that is not the request's (409 request.stale) and, where the
// step needs one (domain.Rule.NeedsVersion: it may change the status or
// the version), without one (400 request.version_missing naming the
// field version); either leaves the request as it was. The step's body
// carries the version (each step accepts it).
func checkVersion(t testing.TB, w *actionWalk, c actionCaller, action domain.Action, id int64, now int, where string) {
	t.Helper()
	rule, _ := domain.RuleFor(action)
	sc := w.stepFor(t, action, id, now)
	if _, ok := sc.body["version"]; !ok {
		t.Errorf("%s: %s: the step's body carries no version", where, action)
		return
	}
	stale := now + 1
	if now > 1 {
		stale = now - 1
	}
	sc.body["version"] = stale
	r := w.call(t, req{Method: sc.method, Path: sc.path, Token: c.token, Body: sc.body})
	if e := decode[apiError](t, r); r.Status != http.StatusConflict {
		t.Errorf("%s: %s with version %d (now %d): %d %s, want 409", where, action, stale, now, r.Status, e.Error.MessageID)
	}
	if rule.NeedsVersion() {
		delete(sc.body, "version")
		r := w.call(t, req{Method: sc.method, Path: sc.path, Token: c.token, Body: sc.body})
		if e := decode[apiError](t, r); r.Status != http.StatusBadRequest || e.Error.MessageID != "request.version_missing" ||
			e.Error.FieldMessageIDs["version"] == "" {
			t.Errorf("%s: %s without a version: %d %s %v, want 400 request.version_missing naming version", where, action,
				r.Status, e.Error.MessageID, e.Error.FieldMessageIDs)
		}
	}
	got := decode[requestJSON](t, w.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d", id), Token: c.token}).want(t, http.StatusOK))
	if got.Version != now {
		t.Errorf("%s: %s refused for its version, yet the request moved to version %d (was %d)", where, action, got.Version, now)
	}
}

// newActionWalk is the lifecycle fixture with a UN requester and a user
// of no operation, and the callers of the walks: one holding each role
// of the operation, and those holding none.
func newActionWalk(t testing.TB) (*actionWalk, []actionCaller) {
	t.Helper()
	w := &actionWalk{lifecycleFixture: newLifecycleFixture(t)}
	un, err := w.dir.CreateOrganization(t.Context(), w.admin, domain.Organization{Name: "UN Agency", Acronym: "UNA",
		Type: domain.OrgUNAgency, UNEntity: true})
	if err != nil {
		t.Fatal(err)
	}
	u := w.mustUserIn(t, "umar@example.org", un.ID)
	w.mustMember(t, "NPL-EQ", u, domain.RoleRequester)
	w.unRequester = w.mustToken(t, u)
	w.nonMember = w.mustToken(t, w.mustUser(t, "nemo@example.org"))
	callers := []actionCaller{
		{"requester", w.requester, domain.RoleRequester},
		{"UN requester", w.unRequester, domain.RoleRequester},
		{"officer", w.officer, domain.RoleOfficer},
		{"hct_member", w.hctA, domain.RoleHCTMember},
		{"hct_member of the requesting organisation", w.ownHCT, domain.RoleHCTMember},
		{"hc", w.hc, domain.RoleHC},
		{"hrddp_reviewer", w.hrddp, domain.RoleHRDDPReviewer},
		{"viewer", w.viewer, domain.RoleViewer},
		{"requester of another organisation", w.outsider, domain.RoleRequester},
		{"admin", w.adminToken, ""},
		{"member of no operation", w.nonMember, ""},
	}
	for _, role := range domain.AllRoles {
		if !slices.ContainsFunc(callers, func(c actionCaller) bool { return c.role == role }) {
			t.Errorf("no caller holds %s", role)
		}
	}
	return w, callers
}

// TestActions_AdvertisedSucceed: for a request in every state of the
// workflow (every status, and the states its guards tell apart) and for
// every caller — each role of the operation, an HCT member of the
// requesting organisation, a requester of another organisation, an
// administrator and a user of no operation — the API's list of what the
// caller may do (`actions` of GET /requests/{id}) is exactly what
// succeeds: every advertised action, called with valid input on a fresh
// request in that state, answers 2xx; every step not advertised is
// refused with a 4xx. Every step of the rulebook is advertised, and
// succeeds, somewhere in the walk. Every step (comments are none) accepts
// the version: a version that is not the request's is 409, and one
// missing is 400 where the step may change the status or the version
// (checkVersion).
func TestActions_AdvertisedSucceed(t *testing.T) {
	t.Parallel()
	w, callers := newActionWalk(t)
	steps := domain.Steps()
	for _, s := range steps {
		if r, _ := domain.RuleFor(s); !r.Generic() {
			if _, ok := w.stepInputs(1)[s]; !ok {
				t.Errorf("%s: a step with no input in stepInputs", s)
			}
		}
	}

	// show is the caller's view of request id: its status, version and
	// actions; nil when they may not see it.
	show := func(t *testing.T, c actionCaller, id int64) *requestJSON {
		t.Helper()
		r := w.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d", id), Token: c.token})
		if r.Status == http.StatusNotFound {
			return nil
		}
		got := decode[requestJSON](t, r.want(t, http.StatusOK))
		return &got
	}
	take := func(t *testing.T, c actionCaller, action domain.Action, id int64, version int) response {
		t.Helper()
		sc := w.stepFor(t, action, id, version)
		return w.call(t, req{Method: sc.method, Path: sc.path, Token: c.token, Body: sc.body})
	}

	statuses := map[string]bool{}
	succeeded := map[domain.Action]bool{}
	var taken, refused int
	for _, s := range w.situations() {
		base := s.build(t)
		for _, c := range callers {
			got := show(t, c, base)
			var advertised []domain.Action
			blocked := map[domain.Action]string{}
			version := 1
			if got != nil {
				statuses[got.Status] = true
				version = got.Version
				for _, a := range got.Actions {
					advertised = append(advertised, domain.Action(a))
				}
				for _, b := range got.BlockedActions {
					blocked[domain.Action(b.Action)] = b.ReasonMessageID
					if b.Reason == "" || b.Reason == b.ReasonMessageID {
						t.Errorf("%s as %s: blocked %s without its reason in words", s.name, c.name, b.Action)
					}
				}
			}
			// The requester's drafts: submit offered exactly when the draft
			// is complete, and otherwise blocked with why.
			if p, ok := draftProblems[s.name]; ok && c.token == w.requester {
				_, isBlocked := blocked[domain.ActionSubmit]
				offered := slices.Contains(advertised, domain.ActionSubmit)
				if offered != (p == "") || isBlocked != (p != "") {
					t.Errorf("%s as %s: submit offered %v, blocked %v (%s)", s.name, c.name, offered, isBlocked,
						blocked[domain.ActionSubmit])
				}
				if p != "" && blocked[domain.ActionSubmit] != "request.not_submittable" {
					t.Errorf("%s as %s: submit blocked with %q, want request.not_submittable", s.name, c.name, blocked[domain.ActionSubmit])
				}
			}
			// What is not advertised is refused, and changes nothing; a
			// refusal by a condition beyond role and status (a guard) is
			// the one blocked_actions gave, so the caller was told why.
			for _, action := range steps {
				if slices.Contains(advertised, action) {
					if _, ok := blocked[action]; ok {
						t.Errorf("%s as %s: %s both advertised and blocked", s.name, c.name, action)
					}
					continue
				}
				refused++
				r := take(t, c, action, base, version)
				if r.Status < 400 || r.Status >= 500 {
					t.Errorf("%s as %s: %s is not advertised, yet answers %d: %.300s", s.name, c.name, action, r.Status, r.Body)
					base = s.build(t) // start again from the state
					continue
				}
				e := decode[apiError](t, r).Error
				why := e.MessageID
				if want, ok := blocked[action]; ok {
					if why != want {
						t.Errorf("%s as %s: %s blocked with %s, refused with %s", s.name, c.name, action, want, why)
					}
					// A submission refused by its guard still names every
					// problem, the draft's own among them.
					if p := draftProblems[s.name]; action == domain.ActionSubmit && p != "" {
						named := e.Fields[p] != ""
						for _, it := range e.Items {
							named = named || it.ID == p
						}
						if r.Status != http.StatusUnprocessableEntity || !named {
							t.Errorf("%s as %s: submit refused %d %+v, want 422 naming %s", s.name, c.name, r.Status, e, p)
						}
					}
					continue
				}
				if byGuard(action, why) {
					t.Errorf("%s as %s: %s refused with %s (%d), which blocked_actions does not give", s.name, c.name, action, why, r.Status)
				}
			}
			// What is advertised succeeds, each on a request of its own.
			for _, action := range advertised {
				id := s.build(t)
				fresh := show(t, c, id)
				if fresh == nil || !slices.Contains(fresh.Actions, string(action)) {
					t.Errorf("%s as %s: %s advertised on one request and not on another in the same state", s.name, c.name, action)
					continue
				}
				if action != domain.ActionComment { // a comment is no step on the request
					checkVersion(t, w, c, action, id, fresh.Version, what(s.name, c.name))
				}
				r := take(t, c, action, id, fresh.Version)
				if r.Status < 200 || r.Status > 299 {
					t.Errorf("%s (%s) as %s: advertised %s answers %d: %.400s", s.name, fresh.Status, c.name, action, r.Status, r.Body)
					continue
				}
				succeeded[action] = true
				taken++
			}
		}
	}
	for _, st := range domain.Statuses() {
		if !statuses[string(st)] {
			t.Errorf("status %s: no situation of the walk reaches it", st)
		}
	}
	for _, action := range steps {
		if !succeeded[action] {
			t.Errorf("%s: never advertised and taken in the walk", action)
		}
	}
	t.Logf("%d situations × %d callers: %d advertised actions taken, %d others refused", len(w.situations()), len(callers),
		taken, refused)
}
