package domain

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"reflect"
	"sort"
	"time"
)

// DirectoryEvent is one entry of the directory log: a role granted or
// removed, or an administrator's edit of an organisation, a user or an
// operation. The whole log is one hash chain, built as a request's
// events are (Event): Hash is the SHA-256 of PrevHash and the entry's
// canonical content, so changing or removing any stored entry breaks
// every hash after it.
type DirectoryEvent struct {
	ID        int64
	Seq       int64 // 1, 2, … over the whole log
	ActorID   int64 // 0 for the command line (`cmcoord admin create`)
	ActorName string
	Action    string
	Target    Target
	// OperationID is the operation a membership event concerns; 0 otherwise.
	OperationID int64
	Payload     []byte // canonical JSON object
	At          time.Time
	PrevHash    []byte // nil for the first entry
	Hash        []byte
}

// TargetKind names the kind of record a directory event concerns.
type TargetKind string

// Target kinds.
const (
	TargetOrganization TargetKind = "organization"
	TargetUser         TargetKind = "user"
	TargetOperation    TargetKind = "operation"
	TargetSSOProvider  TargetKind = "sso_provider"
	TargetMail         TargetKind = "mail" // an outbox e-mail (DirMailRetried)
)

// TargetKinds lists every target kind.
var TargetKinds = []TargetKind{TargetOrganization, TargetUser, TargetOperation, TargetSSOProvider, TargetMail}

// Target is the record a directory event concerns.
type Target struct {
	Kind TargetKind
	ID   int64
}

// Directory log actions.
const (
	DirOrganizationCreated = "organization.created"
	DirOrganizationUpdated = "organization.updated"
	DirUserCreated         = "user.created"
	DirUserUpdated         = "user.updated"
	DirUserDisabled        = "user.disabled" // an edit that disables the account
	DirUserEnabled         = "user.enabled"  // an edit that enables it again
	DirPasswordLinkIssued  = "user.password_link_issued"
	DirOperationCreated    = "operation.created"
	DirOperationUpdated    = "operation.updated"
	DirMemberAdded         = "member.added"
	DirMemberChanged       = "member.roles_changed"
	DirMemberRemoved       = "member.removed"
	// An officer's addition by e-mail, recorded as a pending invitation.
	DirMemberInvited = "member.invited"
	// The invited account signed in or was created: the roles are granted.
	DirInvitationAccepted = "member.invitation_accepted"
	// An officer or administrator withdrew the invitation.
	DirInvitationCancelled = "member.invitation_cancelled"
	// The grant rule refused the invitation when it was to take effect
	// (e.g. the inviter is no longer an officer): it is deleted unapplied.
	DirInvitationDropped = "member.invitation_dropped"
	// An acting HC was named for a period, or the period ended early.
	DirActingHCNamed = "member.acting_hc_named"
	DirActingHCEnded = "member.acting_hc_ended"
)

// Account security events (ASVS V7): the same log and chain, so one
// tamper-evident record holds every change to who may do what and every
// credential event. Each names its user as the target (ID 0, with the
// e-mail typed as the label, for a sign-in to an address with no
// account); the payload's "address" is the client address.
const (
	DirSignedIn     = "account.signed_in"
	DirSignInFailed = "account.sign_in_failed"
	DirLockedOut    = "account.locked_out" // the failure that starts a lockout
	// A wrong current password, typed to confirm a change (a new
	// password, a token) in a signed-in session.
	DirPasswordCheckFailed = "account.password_check_failed"
	// A wrong second-factor code typed on the profile (to replace the
	// recovery codes or the authenticator, or to remove it): not a sign-in.
	DirFactorCheckFailed = "account.factor_check_failed"
	DirPasswordChanged   = "account.password_changed"
	DirPasswordSet       = "account.password_set" // through a set-password link
	DirSessionsEnded     = "account.sessions_ended"
	DirTokenCreated      = "account.token_created"
	DirTokenRevoked      = "account.token_revoked"
	DirFactorEnrolled    = "account.factor_enrolled"
	DirFactorRemoved     = "account.factor_removed"
	DirRecoveryUsed      = "account.recovery_code_used"
	// New recovery codes replace the old ones (the user, with a current code).
	DirRecoveryRegenerated = "account.recovery_codes_regenerated"
	DirSSOLinked           = "account.sso_linked"
)

// DirectoryActions lists every directory log action, for the faces that
// label them.
var DirectoryActions = []string{DirOrganizationCreated, DirOrganizationUpdated, DirUserCreated, DirUserUpdated,
	DirUserDisabled, DirUserEnabled, DirPasswordLinkIssued, DirOperationCreated, DirOperationUpdated,
	DirMemberAdded, DirMemberChanged, DirMemberRemoved, DirMemberInvited, DirInvitationAccepted,
	DirInvitationCancelled, DirInvitationDropped, DirActingHCNamed, DirActingHCEnded,
	DirSignedIn, DirSignInFailed, DirLockedOut, DirPasswordCheckFailed, DirFactorCheckFailed, DirPasswordChanged, DirPasswordSet, DirSessionsEnded,
	DirTokenCreated, DirTokenRevoked, DirFactorEnrolled, DirFactorRemoved, DirRecoveryUsed, DirSSOLinked,
	DirSSOProviderCreated, DirSSOProviderUpdated,
	DirRecoveryRegenerated, DirMailRetried}

// MembershipAction names the directory event of a role change from
// current to wanted, or "" when nothing changes.
func MembershipAction(current, wanted RoleSet) string {
	switch {
	case len(current.symmetricDiff(wanted)) == 0:
		return ""
	case len(current) == 0:
		return DirMemberAdded
	case len(wanted) == 0:
		return DirMemberRemoved
	}
	return DirMemberChanged
}

// UserEditAction names the directory event of an administrator's edit
// of a user from old to new: disabling and enabling stand out.
func UserEditAction(old, new User) string {
	switch {
	case !old.Disabled && new.Disabled:
		return DirUserDisabled
	case old.Disabled && !new.Disabled:
		return DirUserEnabled
	}
	return DirUserUpdated
}

// NewDirectoryEvent returns e as the next entry of the log whose last
// entry is prev (nil for the first): it fixes the time to microseconds
// (what the database keeps), encodes payload canonically and computes the
// hash. e carries the actor, action, target and operation.
func NewDirectoryEvent(prev *DirectoryEvent, e DirectoryEvent, payload any, at time.Time) (DirectoryEvent, error) {
	body, err := CanonicalJSON(payload)
	if err != nil {
		return DirectoryEvent{}, err
	}
	e.Payload, e.At, e.Seq, e.PrevHash = body, at.UTC().Truncate(time.Microsecond), 1, nil
	if prev != nil {
		e.Seq = prev.Seq + 1
		e.PrevHash = prev.Hash
	}
	e.Hash = e.ComputeHash()
	return e, nil
}

// ComputeHash returns the SHA-256 over the previous hash and the entry's
// canonical content (sequence, actor, action, target, operation, time,
// payload).
func (e DirectoryEvent) ComputeHash() []byte {
	h := sha256.New()
	fmt.Fprintf(h, "cmcoord-directory-event-v1\n%d\n%d\n%s\n%s\n%d\n%d\n%s\n", e.Seq, e.ActorID, e.Action,
		e.Target.Kind, e.Target.ID, e.OperationID, e.At.UTC().Format("2006-01-02T15:04:05.000000Z"))
	h.Write(e.PrevHash)
	h.Write([]byte{'\n'})
	h.Write(e.Payload)
	return h.Sum(nil)
}

// VerifyDirectoryNext checks e as the successor of prev (nil for the
// first entry) and returns a non-nil break (RequestID 0) when it does not
// verify.
func VerifyDirectoryNext(prev *DirectoryEvent, e DirectoryEvent) *ChainBreak {
	wantSeq, wantPrev := int64(1), []byte(nil)
	if prev != nil {
		wantSeq, wantPrev = prev.Seq+1, prev.Hash
	}
	if p := chainProblem(e.Seq, wantSeq, e.PrevHash, wantPrev, e.Hash, e.ComputeHash()); p != "" {
		return &ChainBreak{Seq: int(e.Seq), EventID: e.ID, Problem: p}
	}
	return nil
}

// chainProblem says what is wrong with one link of a hash chain, or ""
// when it verifies: the rule both chains (requests' events, the
// directory log) follow.
func chainProblem(seq, wantSeq int64, prevHash, wantPrev, hash, computed []byte) string {
	switch {
	case seq != wantSeq:
		return fmt.Sprintf("sequence %d, expected %d (an event is missing)", seq, wantSeq)
	case !bytes.Equal(prevHash, wantPrev):
		return "previous hash does not match the event before it"
	case !bytes.Equal(hash, computed):
		return "content does not match its hash (the event was altered)"
	}
	return ""
}

// OrganizationAudit returns o's fields as the directory log records them.
func OrganizationAudit(o Organization) map[string]any {
	return map[string]any{"name": o.Name, "acronym": o.Acronym, "type": string(o.Type), "un_entity": o.UNEntity}
}

// UserAudit returns u's administered fields as the directory log records
// them; never a password or its hash.
func UserAudit(u User) map[string]any {
	return map[string]any{"email": u.Email, "name": u.Name, "organization_id": u.OrganizationID,
		"language": u.Language, "is_admin": u.IsAdmin, "disabled": u.Disabled}
}

// OperationAudit returns o's fields as the directory log records them.
func OperationAudit(o Operation) map[string]any {
	p := o.Policy
	return map[string]any{"code": o.Code, "name": o.Name, "country_iso3": o.CountryISO3, "glide": o.GLIDE,
		"context": string(o.Context), "quorum_percent": p.QuorumPercent, "pass_rule": string(p.PassRule),
		"review_hours": p.ReviewHours, "urgent_review_hours": p.UrgentReviewHours, "sealed_votes": p.SealedVotes,
		"lead_time_hours": o.LeadTimeHours, "closed": o.Closed,
		"require_second_factor": o.RequireSecondFactor}
}

// FieldChanges returns the fields whose values differ between old and
// new (two audit maps of one record), ordered by field name.
func FieldChanges(old, new map[string]any) []Change {
	names := make([]string, 0, len(new))
	for k := range new {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []Change
	for _, k := range names {
		if !reflect.DeepEqual(old[k], new[k]) {
			out = append(out, Change{Field: k, Old: old[k], New: new[k]})
		}
	}
	return out
}
