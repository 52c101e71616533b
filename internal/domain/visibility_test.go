package domain_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

const (
	visOp        = int64(7)
	visOwnOrg    = int64(11) // the requesting organisation
	visOtherOrg  = int64(12)
	visVoterOrg  = int64(13)
	visVoterUser = int64(99)
)

// visActor is a member of visOp with role, of organisation org.
func visActor(role domain.Role, org int64) domain.Actor {
	return domain.Actor{UserID: 1, OrganizationID: org, Roles: map[int64]domain.RoleSet{visOp: {role}}}
}

// visViewers is every role, each from the requesting organisation and
// from another one.
func visViewers() map[string]domain.Actor {
	out := map[string]domain.Actor{}
	for _, role := range domain.AllRoles {
		out[string(role)+"/own"] = visActor(role, visOwnOrg)
		out[string(role)+"/other"] = visActor(role, visOtherOrg)
	}
	return out
}

// guardCanaries plants one canary in every field of r each guard covers
// and returns them by guard.
func guardCanaries(r *domain.Request) map[domain.Guard][]string {
	out := map[domain.Guard][]string{}
	r.POC = domain.Contact{Name: "CANARY-poc-name", Role: "CANARY-poc-role", Phone: "CANARY-poc-phone", Email: "CANARY-poc-email"}
	out[domain.GuardContact] = []string{r.POC.Name, r.POC.Role, r.POC.Phone, r.POC.Email}
	r.Escort = domain.Escort{NeedCriticality: "CANARY-escort-need", ResponsibleAuthority: "CANARY-escort-authority",
		SecurityAssessment: "CANARY-escort-assessment", DiscontinuationPlan: "CANARY-escort-plan", Compensation: "CANARY-escort-compensation"}
	out[domain.GuardEscort] = []string{r.Escort.NeedCriticality, r.Escort.ResponsibleAuthority, r.Escort.SecurityAssessment,
		r.Escort.DiscontinuationPlan, r.Escort.Compensation}
	r.Checklist = map[string]domain.Answer{}
	for _, it := range domain.Checklist {
		note := "open-note-" + it.ID
		if it.Guard != "" {
			note = "CANARY-" + string(it.Guard) + "-" + it.ID
			out[it.Guard] = append(out[it.Guard], note)
		}
		r.Checklist[it.ID] = domain.Answer{Value: "yes", Note: note}
	}
	return out
}

func visRequest(status domain.Status) domain.Request {
	return domain.Request{ID: 1, OperationID: visOp, RequestingOrgID: visOwnOrg, Status: status, Title: "open-title"}
}

// TestRequestForWalksGuards: for every viewer, status, channel and
// guard, each canary of the guard is in the request RequestFor returns
// exactly when Sees says so, and the open fields always are.
func TestRequestForWalksGuards(t *testing.T) {
	t.Parallel()
	for name, a := range visViewers() {
		for _, st := range domain.Statuses() {
			for _, ch := range domain.Channels {
				t.Run(fmt.Sprintf("%s/%s/%s", name, st, ch), func(t *testing.T) {
					t.Parallel()
					r := visRequest(st)
					canaries := guardCanaries(&r)
					got, hidden := domain.RequestFor(a, r, ch)
					text := fmt.Sprintf("%+v", got)
					for g, list := range canaries {
						want := domain.Sees(a, r.Ref(), g, ch)
						for _, c := range list {
							if strings.Contains(text, c) != want {
								t.Errorf("%s (guard %s) shown = %v, want %v", c, g, !want, want)
							}
						}
						if isHidden := containsGuard(hidden, g); isHidden == want {
							t.Errorf("hidden %v lists %s = %v, want %v", hidden, g, isHidden, !want)
						}
					}
					if !strings.Contains(text, "open-title") || !strings.Contains(text, "open-note-LR2") {
						t.Errorf("an open field was blanked: %s", text)
					}
					if r.Checklist[domain.Checklist[len(domain.Checklist)-1].ID].Note == "" {
						t.Error("RequestFor changed the caller's checklist")
					}
				})
			}
		}
	}
}

func containsGuard(gs []domain.Guard, g domain.Guard) bool {
	for _, x := range gs {
		if x == g {
			return true
		}
	}
	return false
}

// TestSeesNeverWithoutTheRequest: nobody sees a guarded field of a
// request they may not see (a draft of another organisation).
func TestSeesNeverWithoutTheRequest(t *testing.T) {
	t.Parallel()
	for name, a := range visViewers() {
		for _, st := range domain.Statuses() {
			r := visRequest(st)
			for _, g := range domain.Guards {
				for _, ch := range domain.Channels {
					if domain.Sees(a, r.Ref(), g, ch) && domain.Can(a, domain.ActionViewRequest, domain.OnRequest(r)) != nil {
						t.Errorf("%s sees %s of a %s request they may not see (%s)", name, g, st, ch)
					}
				}
			}
		}
	}
}

// TestEventForSnapshotsAndEdits: a creation snapshot and an edit of
// every guarded field carry each canary exactly where Sees allows it.
func TestEventForSnapshotsAndEdits(t *testing.T) {
	t.Parallel()
	old := visRequest(domain.StatusDraft)
	guardCanaries(&old)
	for _, it := range domain.Checklist {
		old.Checklist[it.ID] = domain.Answer{Value: "no", Note: "old-" + it.ID}
	}
	old.POC, old.Escort = domain.Contact{}, domain.Escort{}
	cur := visRequest(domain.StatusDraft)
	canaries := guardCanaries(&cur)
	snapshot := visEvent(t, domain.EventCreated, domain.Snapshot(cur))
	edit := visEvent(t, domain.EventEdited, map[string]any{"changes": domain.Diff(old, cur)})
	for name, a := range visViewers() {
		for _, st := range domain.Statuses() {
			r := cur
			r.Status = st
			for _, ch := range domain.Channels {
				for _, e := range []domain.Event{snapshot, edit} {
					got := domain.EventFor(a, r.Ref(), e, ch, nil)
					for g, list := range canaries {
						want := domain.Sees(a, r.Ref(), g, ch)
						for _, c := range list {
							if strings.Contains(string(got.Payload), c) != want {
								t.Errorf("%s %s %s %s: %s shown = %v, want %v", name, st, ch, e.Action, c, !want, want)
							}
						}
					}
					if !json.Valid(got.Payload) || !strings.Contains(string(got.Payload), "open-note-LR2") {
						t.Errorf("%s %s %s %s: open content lost: %s", name, st, ch, e.Action, got.Payload)
					}
				}
			}
		}
	}
}

// TestEventForEditOfGuardedOnly: an edit that changed nothing but
// guarded answers lists no change to whoever may not see them.
func TestEventForEditOfGuardedOnly(t *testing.T) {
	t.Parallel()
	old := visRequest(domain.StatusSubmitted)
	guardCanaries(&old)
	cur := old
	cur.Checklist = map[string]domain.Answer{}
	for id, ans := range old.Checklist {
		cur.Checklist[id] = ans
	}
	cur.Escort.DiscontinuationPlan = "CANARY-escort-new-plan"
	for _, it := range domain.Checklist {
		if it.Guard == domain.GuardEscort {
			cur.Checklist[it.ID] = domain.Answer{Value: "no", Note: "CANARY-new-" + it.ID}
		}
	}
	e := visEvent(t, domain.EventEdited, map[string]any{"changes": domain.Diff(old, cur)})
	officer := visActor(domain.RoleOfficer, visOtherOrg)
	got := domain.EventFor(officer, cur.Ref(), e, domain.ChannelExport, nil)
	var p struct{ Changes []domain.Change }
	if err := json.Unmarshal(got.Payload, &p); err != nil || len(p.Changes) != 0 {
		t.Fatalf("export of a guarded-only edit = %s (%v), want no change listed", got.Payload, err)
	}
	if got := domain.EventFor(officer, cur.Ref(), e, domain.ChannelScreen, nil); string(got.Payload) != string(e.Payload) {
		t.Fatalf("on screen the officer sees %s, want the event as stored", got.Payload)
	}
}

func visEvent(t *testing.T, action string, payload map[string]any) domain.Event {
	t.Helper()
	e, err := domain.NewEvent(nil, 1, 5, action, payload, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.ActorName = "CANARY-actor"
	return e
}

// visReviews are a review in each state that matters to its votes.
func visReviews() map[string]domain.Review {
	sealed := domain.ReviewPolicy{QuorumPercent: 50, PassRule: domain.PassConsensus, SealedVotes: true}
	unsealed := sealed
	unsealed.SealedVotes = false
	now := time.Now()
	return map[string]domain.Review{
		"open-sealed":        {ID: 3, Policy: sealed},
		"closed-sealed":      {ID: 3, Policy: sealed, ClosedAt: now, Tally: &domain.Tally{}},
		"cancelled-sealed":   {ID: 3, Policy: sealed, ClosedAt: now, Cancelled: true},
		"open-unsealed":      {ID: 3, Policy: unsealed},
		"cancelled-unsealed": {ID: 3, Policy: unsealed, ClosedAt: now, Cancelled: true},
	}
}

// TestEventForVotes: a vote event names its voter (the actor) and
// whether the vote changed exactly for those who see the vote
// (VoteShown), the organisation also for those who see who has voted
// (SeeNonVoter); everyone else reads "a vote was recorded". A review's
// votes and tally in its events follow VotesVisible.
func TestEventForVotes(t *testing.T) {
	t.Parallel()
	vote := visEvent(t, domain.EventVote, map[string]any{"review_id": 3, "organization_id": visVoterOrg, "changed": true})
	vote.ActorID = visVoterUser
	closing := visEvent(t, string(domain.ActionCloseReview), map[string]any{"review_id": 3,
		"tally": domain.Tally{Eligible: 4, Voted: 3, Abstain: 2},
		"votes": []map[string]any{{"organization_id": visVoterOrg, "value": "abstain", "comment": "CANARY-vote-comment"}}})
	viewers := visViewers()
	for _, role := range domain.AllRoles {
		viewers[string(role)+"/voter"] = visActor(role, visVoterOrg)
	}
	for rvName, rv := range visReviews() {
		reviews := map[int64]domain.Review{rv.ID: rv}
		for name, a := range viewers {
			r := visRequest(domain.StatusHCTReview)
			roles := a.RolesIn(visOp)
			vis := domain.VotesVisible(roles, rv)
			shown := domain.VoteShown(a, roles, rv, domain.Vote{OrganizationID: visVoterOrg})
			for _, ch := range domain.Channels {
				got := domain.EventFor(a, r.Ref(), vote, ch, reviews)
				var p map[string]any
				if err := json.Unmarshal(got.Payload, &p); err != nil {
					t.Fatal(err)
				}
				_, hasOrg := p["organization_id"]
				_, hasChanged := p["changed"]
				wantOrg := shown || vis >= domain.SeeNonVoter
				if (got.ActorID != 0) != shown || (got.ActorName != "") != shown || hasChanged != shown || hasOrg != wantOrg {
					t.Errorf("%s, %s, %s: vote event %+v (payload %s); want voter shown %v, organisation %v",
						rvName, name, ch, got, got.Payload, shown, wantOrg)
				}
				if _, ok := p["review_id"]; !ok {
					t.Errorf("%s, %s: the vote event lost its review: %s", rvName, name, got.Payload)
				}
				closed := domain.EventFor(a, r.Ref(), closing, ch, reviews)
				values := strings.Contains(string(closed.Payload), "CANARY-vote-comment") || strings.Contains(string(closed.Payload), `"abstain"`)
				if values != (vis == domain.SeeValues) || !strings.Contains(string(closed.Payload), `"voted":3`) {
					t.Errorf("%s, %s: review event %s; want values %v and the turnout", rvName, name, closed.Payload, vis == domain.SeeValues)
				}
			}
		}
	}
	// A review the caller does not know is sealed.
	got := domain.EventFor(visActor(domain.RoleViewer, visOtherOrg), visRequest(domain.StatusHCTReview).Ref(), vote, domain.ChannelScreen, nil)
	if got.ActorID != 0 || strings.Contains(string(got.Payload), "organization_id") {
		t.Fatalf("vote event of an unknown review = %+v %s, want sealed", got, got.Payload)
	}
}

// TestTallyFor: while sealed only the turnout is left.
func TestTallyFor(t *testing.T) {
	t.Parallel()
	full := domain.Tally{Eligible: 4, Voted: 3, Support: 1, WithConds: 1, Object: 1, Abstain: 1, QuorumBase: 4, Counting: 2, QuorumMet: true, Passed: false}
	for _, vis := range []domain.VoteVisibility{domain.SeeTurnout, domain.SeeNonVoter, domain.SeeValues} {
		got := domain.TallyFor(vis, full)
		want := domain.Tally{Eligible: full.Eligible, Voted: full.Voted}
		if vis == domain.SeeValues {
			want = full
		}
		if got != want {
			t.Errorf("TallyFor(%v) = %+v, want %+v", vis, got, want)
		}
	}
}

// TestCanCloseEarlyRevealsNoValue walks every assignment of vote values
// (or no vote) to the eligible organisations, for every quorum percent
// and pass rule: on a sealed review, assignments with the same turnout
// offer "close early" alike, so the control tells the officer nothing
// they may not see; on an unsealed one, it is offered once all voted or
// quorum is met; and a sealed review is never harder to close early
// than quorum.
func TestCanCloseEarlyRevealsNoValue(t *testing.T) {
	t.Parallel()
	eligible := []int64{1, 2, 3}
	choices := append([]domain.VoteValue{""}, domain.VoteValues...) // "": no vote
	for _, sealed := range []bool{true, false} {
		for _, rule := range []domain.PassRule{domain.PassConsensus, domain.PassMajority} {
			for q := 1; q <= 100; q++ {
				p := domain.ReviewPolicy{QuorumPercent: q, PassRule: rule, SealedVotes: sealed}
				rv := domain.Review{Policy: p, Eligible: eligible}
				byTurnout := map[int]bool{}
				seen := map[int]bool{}
				n := len(choices)
				for code := 0; code < n*n*n; code++ {
					var votes []domain.Vote
					for i, org := range eligible {
						if v := choices[code/pow(n, i)%n]; v != "" {
							votes = append(votes, domain.Vote{OrganizationID: org, Value: v})
						}
					}
					tl := domain.CountVotes(p, eligible, votes)
					got := domain.CanCloseEarly(rv, tl)
					if tl.QuorumMet && !got || tl.AllVoted() && !got {
						t.Fatalf("sealed %v q %d %v: quorum or all voted but not closable (%+v)", sealed, q, rule, tl)
					}
					if !sealed {
						if got != (tl.AllVoted() || tl.QuorumMet) {
							t.Fatalf("unsealed q %d %v: CanCloseEarly = %v for %+v", q, rule, got, tl)
						}
						continue
					}
					if seen[tl.Voted] && byTurnout[tl.Voted] != got {
						t.Fatalf("sealed q %d %v: turnout %d closable both ways: the control reveals a value (%+v)", q, rule, tl.Voted, tl)
					}
					seen[tl.Voted], byTurnout[tl.Voted] = true, got
					if domain.CanCloseEarly(rv, domain.TallyFor(domain.SeeNonVoter, tl)) != got {
						t.Fatal("the rule reads more than the turnout")
					}
				}
			}
		}
	}
}

func pow(b, e int) int {
	out := 1
	for range e {
		out *= b
	}
	return out
}
