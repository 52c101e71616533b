package export

import (
	"encoding/hex"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// The XLSX workbook's further tables (PRODUCT.md §6): the HCT reviews,
// their votes and the audit events of the exported requests. They are
// never in the public variant. Hashtags use core hashtags with custom
// attributes (legal in HXL 1.1) and the extension hashtag #x_review for
// the review's rules, which no core hashtag covers.

// ReviewRow is one HCT review of an exported request.
type ReviewRow struct {
	Reference string
	Review    domain.Review
	// Outcome is how the review ended: "closed", "cancelled" (a return or
	// withdrawal during review) or "" while open.
	Outcome string
}

// VoteRow is one organisation's current vote, one the caller may see
// (domain.VoteShown).
type VoteRow struct {
	Reference string
	Round     int
	Vote      domain.Vote // with OrgName
}

// EventRow is one audit event of an exported request.
type EventRow struct {
	Reference string
	Event     domain.Event // with ActorName, "" for the system
}

// tallyCount returns a count of r's frozen tally, or nil while none is.
func tallyCount(r ReviewRow, count func(domain.Tally) int) Cell {
	if r.Review.Tally == nil {
		return blank
	}
	return figure(count(*r.Review.Tally))
}

// ReviewColumns is the "reviews" sheet: one row per review, its rules,
// dates and, once closed, its frozen tally and result.
var ReviewColumns = []Col[ReviewRow]{
	{Key: "reference", Header: "RFA ID", HXL: "#meta +id", Width: 16,
		Value: func(r ReviewRow) Cell { return text(r.Reference) }},
	{Key: "round", Header: "Round", HXL: "#meta +round", Kind: Int, Width: 8,
		Value: func(r ReviewRow) Cell { return count(r.Review.Round) }},
	{Key: "opened_at", Header: "Opened", HXL: "#date +start +review", Kind: DateTime, Width: 20,
		Value: func(r ReviewRow) Cell { return when(r.Review.OpenedAt) }},
	{Key: "deadline", Header: "Deadline", HXL: "#date +deadline +review", Kind: DateTime, Width: 20,
		Value: func(r ReviewRow) Cell { return when(r.Review.Deadline) }},
	{Key: "closed_at", Header: "Closed", HXL: "#date +end +review", Kind: DateTime, Width: 20,
		Value: func(r ReviewRow) Cell { return when(r.Review.ClosedAt) }},
	{Key: "pass_rule", Header: "Rule", HXL: "#x_review +rule", Width: 12,
		Value: func(r ReviewRow) Cell { return text(string(r.Review.Policy.PassRule)) }},
	{Key: "quorum_percent", Header: "Quorum %", HXL: "#x_review +num +quorum", Kind: Int, Width: 10,
		Value: func(r ReviewRow) Cell { return count(r.Review.Policy.QuorumPercent) }},
	{Key: "outcome", Header: "Outcome", HXL: "#status +review", Width: 12,
		Value: func(r ReviewRow) Cell {
			if r.Outcome == "" && r.Review.Open() {
				return text("open")
			}
			return text(r.Outcome)
		}},
	{Key: "result", Header: "Result", HXL: "#status +result", Width: 12,
		Value: func(r ReviewRow) Cell {
			switch t := r.Review.Tally; {
			case t == nil:
				return Cell{}
			case t.Passed:
				return text("passed")
			case !t.QuorumMet:
				return text("no_quorum")
			}
			return text("failed")
		}},
	{Key: "eligible", Header: "Eligible organisations", HXL: "#indicator +num +eligible", Kind: Int, Width: 10,
		Value: func(r ReviewRow) Cell { return tallyCount(r, func(t domain.Tally) int { return t.Eligible }) }},
	{Key: "voted", Header: "Voted", HXL: "#indicator +num +voted", Kind: Int, Width: 10,
		Value: func(r ReviewRow) Cell { return tallyCount(r, func(t domain.Tally) int { return t.Voted }) }},
	{Key: "votes_support", Header: "Support", HXL: "#indicator +num +votes_support", Kind: Int, Width: 10,
		Value: func(r ReviewRow) Cell { return tallyCount(r, func(t domain.Tally) int { return t.Support }) }},
	{Key: "votes_conditions", Header: "Of which with conditions", HXL: "#indicator +num +votes_conditions", Kind: Int, Width: 10,
		Value: func(r ReviewRow) Cell { return tallyCount(r, func(t domain.Tally) int { return t.WithConds }) }},
	{Key: "votes_object", Header: "Object", HXL: "#indicator +num +votes_object", Kind: Int, Width: 10,
		Value: func(r ReviewRow) Cell { return tallyCount(r, func(t domain.Tally) int { return t.Object }) }},
	{Key: "votes_abstain", Header: "Abstain", HXL: "#indicator +num +votes_abstain", Kind: Int, Width: 10,
		Value: func(r ReviewRow) Cell { return tallyCount(r, func(t domain.Tally) int { return t.Abstain }) }},
	{Key: "votes_recused", Header: "Recused", HXL: "#indicator +num +votes_recused", Kind: Int, Width: 10,
		Value: func(r ReviewRow) Cell { return tallyCount(r, func(t domain.Tally) int { return t.Recused }) }},
}

// VoteColumns is the "votes" sheet: one row per organisation's vote.
var VoteColumns = []Col[VoteRow]{
	{Key: "reference", Header: "RFA ID", HXL: "#meta +id", Width: 16,
		Value: func(r VoteRow) Cell { return text(r.Reference) }},
	{Key: "round", Header: "Round", HXL: "#meta +round", Kind: Int, Width: 8,
		Value: func(r VoteRow) Cell { return count(r.Round) }},
	{Key: "organization", Header: "Organisation", HXL: "#org +name +voter", Width: 28,
		Value: func(r VoteRow) Cell { return text(r.Vote.OrgName) }},
	{Key: "vote", Header: "Vote", HXL: "#status +vote", Width: 22, Labels: "vote.",
		Value: func(r VoteRow) Cell { return text(string(r.Vote.Value)) }},
	{Key: "comment", Header: "Conditions or comment", HXL: "#description +vote", Width: 50,
		Value: func(r VoteRow) Cell { return text(r.Vote.Comment) }},
	{Key: "cast_at", Header: "Cast", HXL: "#date +voted", Kind: DateTime, Width: 20,
		Value: func(r VoteRow) Cell { return when(r.Vote.CastAt) }},
}

// EventColumns is the "events" sheet: the audit trail, each event with
// its payload (canonical JSON, as hashed) and its hash, so a reader can
// check the chain as `cmcoord audit verify` does. The action's label
// columns read as the record does ("Approved").
var EventColumns = []Col[EventRow]{
	{Key: "reference", Header: "RFA ID", HXL: "#meta +id", Width: 16,
		Value: func(r EventRow) Cell { return text(r.Reference) }},
	{Key: "seq", Header: "Seq", HXL: "#meta +seq", Kind: Int, Width: 6,
		Value: func(r EventRow) Cell { return count(r.Event.Seq) }},
	{Key: "at", Header: "At", HXL: "#date +occurred", Kind: DateTime, Width: 20,
		Value: func(r EventRow) Cell { return when(r.Event.At) }},
	{Key: "actor", Header: "By", HXL: "#meta +actor +name", Width: 24,
		Value: func(r EventRow) Cell { return text(r.Event.ActorName) }},
	{Key: "action", Header: "Action", HXL: "#meta +action", Width: 24, Labels: "record.event.",
		Value: func(r EventRow) Cell { return text(r.Event.Action) }},
	{Key: "payload", Header: "Details (JSON)", HXL: "#meta +payload", Width: 60,
		Value: func(r EventRow) Cell { return text(string(r.Event.Payload)) }},
	{Key: "prev_hash", Header: "Previous hash", HXL: "#meta +hash +prev", Width: 66,
		Value: func(r EventRow) Cell { return text(hex.EncodeToString(r.Event.PrevHash)) }},
	{Key: "hash", Header: "Hash (SHA-256)", HXL: "#meta +hash", Width: 66,
		Value: func(r EventRow) Cell { return text(hex.EncodeToString(r.Event.Hash)) }},
}
