package domain

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"strconv"
)

// Visibility (STYLE R38): who sees what of a request, decided here once
// per object and read by every channel — the request page and the
// decision record, the JSON API (request, events, comments, review), the
// notifications and e-mails, and the exports (CSV, JSON, XLSX).
//
//   - the request itself: Can(a, ActionViewRequest, OnRequest(r)) (drafts are
//     private to the requesting organisation);
//   - its guarded content (Guard): Sees, applied by RequestFor to the
//     request and by EventFor to the audit trail;
//   - a review's votes: VotesVisible, VoteShown and TallyFor, applied to
//     the events of the review by EventFor;
//   - HRDDP records (the assessment): CanSeeHRDDP, and never exported.

// Channel is the kind of way out a request's content takes: what may be
// seen differs between the screen and a file that leaves the system.
type Channel string

// Channels.
const (
	// ChannelScreen: the request page, the decision record, the JSON API,
	// notifications and e-mails.
	ChannelScreen Channel = "screen"
	// ChannelExport: the RFA tracker files (CSV, JSON, XLSX with its
	// reviews, votes and events sheets).
	ChannelExport Channel = "export"
	// ChannelPublic: the public (HDX) variant of the tracker: codes,
	// dates, numbers and the reference only (export.Column Public).
	ChannelPublic Channel = "public"
)

// Channels lists every channel.
var Channels = []Channel{ChannelScreen, ChannelExport, ChannelPublic}

// Guard is a class of a request's content that not everyone who sees the
// request may see.
type Guard string

// Guards.
const (
	// GuardContact is the point of contact (Request.POC): personal data,
	// for the requesting organisation, the officer and the HC
	// (ActionViewContact), and never in the public variant.
	GuardContact Guard = "contact"
	// GuardEscort is the HRDDP-related and armed-escort answers: the
	// checklist items marked with it (ChecklistItem.Guard) and the escort
	// criteria (Request.Escort). Reviewers weigh them on screen; they never
	// leave the system in a file.
	GuardEscort Guard = "escort"
)

// Guards lists every guard.
var Guards = []Guard{GuardContact, GuardEscort}

// Sees reports whether a sees content g of request r on channel ch. It
// is false whenever a may not see r at all.
func Sees(a Actor, r RequestRef, g Guard, ch Channel) bool {
	if Can(a, ActionViewRequest, OnRef(r)) != nil {
		return false
	}
	switch g {
	case GuardContact:
		return ChannelCarries(ch, g) && Can(a, ActionViewContact, OnRef(r)) == nil
	case GuardEscort:
		return ChannelCarries(ch, g)
	}
	return false // an unknown guard hides
}

// ChannelCarries reports whether channel ch may carry content g to anyone
// at all: the contact everywhere but the public variant, the escort
// content on screen only. Sees decides each reader within it; what a file
// has columns for follows it (export.ChecklistColumns).
func ChannelCarries(ch Channel, g Guard) bool {
	switch g {
	case GuardContact:
		return ch != ChannelPublic
	case GuardEscort:
		return ch == ChannelScreen
	}
	return false // an unknown guard hides
}

// guardedItems returns the IDs of the checklist items guarded by g.
func guardedItems(g Guard) []string {
	var out []string
	for _, it := range Checklist {
		if it.Guard == g {
			out = append(out, it.ID)
		}
	}
	return out
}

// RequestFor returns r as a sees it on channel ch: every guarded content
// a may not see blanked (the contact, the escort criteria and the answers
// of the guarded checklist items), and which guards were applied. r's
// maps are not changed.
func RequestFor(a Actor, r Request, ch Channel) (Request, []Guard) {
	var hidden []Guard
	for _, g := range Guards {
		if Sees(a, r.Ref(), g, ch) {
			continue
		}
		hidden = append(hidden, g)
		switch g {
		case GuardContact:
			r.POC = Contact{}
		case GuardEscort:
			r.Escort = Escort{}
		}
		if items := guardedItems(g); len(items) > 0 && r.Checklist != nil {
			r.Checklist = maps.Clone(r.Checklist)
			for _, id := range items {
				delete(r.Checklist, id)
			}
		}
	}
	return r, hidden
}

// VoteShown reports whether a, with roles in the review's operation, sees
// vote v of review rv with its value, comment and voter: when the
// review's votes are visible to them, and always for the voting
// organisation's own vote.
func VoteShown(a Actor, roles RoleSet, rv Review, v Vote) bool {
	return VotesVisible(roles, rv) == SeeValues || (a.OrganizationID != 0 && v.OrganizationID == a.OrganizationID)
}

// TallyFor returns what of tally t a member who sees vis of a review may
// see: the whole tally with SeeValues, otherwise the turnout only (the
// eligible organisations and how many voted). Counts by value would tell
// what a sealed vote was.
func TallyFor(vis VoteVisibility, t Tally) Tally {
	if vis == SeeValues {
		return t
	}
	return Tally{Eligible: t.Eligible, Voted: t.Voted}
}

// Hidden is what an event payload shows in place of a value its reader
// may not see.
const Hidden = "(hidden)"

// EventFor returns event e of request r as a sees it on channel ch.
// reviews are r's reviews by ID (a review an event names but reviews
// lacks is treated as sealed). The payload loses what a may not see:
//
//   - a guarded field (Sees) of a creation snapshot or an edit: the
//     contact is replaced by Hidden; the escort criteria and the answers
//     of guarded checklist items are removed (an edit that changed only
//     them is not listed);
//   - a vote (EventVote) a may not see (VoteShown): the event says only
//     that a vote was recorded in the review — no actor, no "changed" —
//     with the organisation only for those who see who has voted
//     (SeeNonVoter);
//   - the votes and tally of a review event whose votes a may not see.
//
// An event that loses nothing is returned as it is (its hash still
// verifies); a redacted one keeps its stored hash, which then vouches for
// the stored payload, not for the one shown.
func EventFor(a Actor, r RequestRef, e Event, ch Channel, reviews map[int64]Review) Event {
	if AttachmentEvent(e.Action) {
		return attachmentEventFor(a, r, e, ch)
	}
	var hide []Guard
	for _, g := range Guards {
		if !Sees(a, r, g, ch) {
			hide = append(hide, g)
		}
	}
	if !mayCarryGuarded(e, len(hide) > 0) {
		return e
	}
	dec := json.NewDecoder(bytes.NewReader(e.Payload))
	dec.UseNumber()
	var p map[string]any
	if err := dec.Decode(&p); err != nil || p == nil {
		return e
	}
	changed := false
	for _, g := range hide {
		if hideGuard(p, g) {
			changed = true
		}
	}
	if id, ok := reviewIDOf(p); ok {
		roles := a.RolesIn(r.OperationID)
		rv, known := reviews[id]
		if !known {
			rv = Review{ID: id, Policy: ReviewPolicy{SealedVotes: true}} // unknown: sealed, open
		}
		vis := VotesVisible(roles, rv)
		if e.Action == EventVote {
			// Every vote event stays in the trail, a change as much as a
			// first vote: each reader's trail must show every recorded
			// action, in sequence, with a chain that verifies. So while a
			// review is sealed a reader sees how many vote events there
			// were, never their values, comments, voters or which were
			// changes.
			org, _ := int64Of(p["organization_id"])
			if !VoteShown(a, roles, rv, Vote{OrganizationID: org}) {
				p = map[string]any{"review_id": p["review_id"]}
				if vis >= SeeNonVoter {
					p["organization_id"] = org
				}
				e.ActorID, e.ActorName = 0, ""
				changed = true
			}
		} else if vis != SeeValues {
			if _, ok := p["votes"]; ok {
				delete(p, "votes")
				changed = true
			}
			if t, ok := p["tally"].(map[string]any); ok {
				p["tally"] = map[string]any{"eligible": t["eligible"], "voted": t["voted"]}
				changed = true
			}
		}
	}
	if !changed {
		return e
	}
	if body, err := CanonicalJSON(p); err == nil {
		e.Payload = body
	}
	return e
}

// AttachmentEvent reports whether action is one of a document's events,
// whose payload names the document's visibility.
func AttachmentEvent(action string) bool {
	switch action {
	case EventAttachmentAdded, EventAttachmentRefused, EventAttachmentRemoved, EventAttachmentPurged:
		return true
	}
	return false
}

// attachmentEventFor is EventFor of a document's event: whole for who
// sees the document (AttachmentShown), otherwise only that a document of
// that visibility was added, refused, removed or purged — never its
// title, file name, hash or reasons.
func attachmentEventFor(a Actor, r RequestRef, e Event, ch Channel) Event {
	var p struct {
		Visibility AttachmentVisibility `json:"visibility"`
	}
	_ = json.Unmarshal(e.Payload, &p) // a payload without one hides
	if AttachmentShown(a, r, p.Visibility, ch) {
		return e
	}
	if body, err := CanonicalJSON(map[string]any{"visibility": p.Visibility}); err == nil {
		e.Payload = body
	}
	return e
}

// mayCarryGuarded is a cheap look at e before decoding its payload: only
// votes and review events (votes, tally) may carry what a review seals,
// and only snapshots and edits guarded fields (when guards apply).
func mayCarryGuarded(e Event, guards bool) bool {
	keys := []string{`"votes"`, `"tally"`}
	if guards {
		keys = append(keys, `"poc"`, `"escort"`, `"checklist"`, `"changes"`)
	}
	if e.Action == EventVote {
		return true
	}
	for _, key := range keys {
		if bytes.Contains(e.Payload, []byte(key)) {
			return true
		}
	}
	return false
}

// guardFields are the audit fields (auditFields) of each guard's request
// fields, beside its checklist items.
var guardFields = map[Guard]string{GuardContact: "poc", GuardEscort: "escort"}

// hideGuard removes guard g's content from payload p (a snapshot, or an
// edit's "changes") and reports whether anything was there.
func hideGuard(p map[string]any, g Guard) bool {
	field, items := guardFields[g], guardedItems(g)
	hide := func(m map[string]any) bool {
		found := false
		if _, ok := m[field]; ok {
			found = true
			if g == GuardContact {
				m[field] = Hidden
			} else {
				delete(m, field)
			}
		}
		if cl, ok := m["checklist"].(map[string]any); ok {
			for _, id := range items {
				if _, ok := cl[id]; ok {
					delete(cl, id)
					found = true
				}
			}
		}
		return found
	}
	found := hide(p)
	if changes, ok := p["changes"].([]any); ok {
		kept := changes[:0]
		for _, c := range changes {
			cm, ok := c.(map[string]any)
			if !ok {
				kept = append(kept, c)
				continue
			}
			switch cm["field"] {
			case field:
				found = true
				if g != GuardContact {
					continue // the change is not listed at all
				}
				cm["old"], cm["new"] = Hidden, Hidden
			case "checklist":
				o, _ := cm["old"].(map[string]any)
				n, _ := cm["new"].(map[string]any)
				for _, id := range items {
					if _, ok := o[id]; ok {
						delete(o, id)
						found = true
					}
					if _, ok := n[id]; ok {
						delete(n, id)
						found = true
					}
				}
				if reflect.DeepEqual(o, n) {
					continue // only guarded answers changed
				}
			}
			kept = append(kept, cm)
		}
		p["changes"] = kept
	}
	return found
}

// reviewIDOf returns the review an event payload names.
func reviewIDOf(p map[string]any) (int64, bool) {
	return int64Of(p["review_id"])
}

func int64Of(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(n), 10, 64)
		return i, err == nil
	case int64:
		return n, true
	case float64:
		return int64(n), true
	}
	return 0, false
}
