package service_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/internal/testutil/totptest"
)

// grantsFixture is two operations (OPA, OPB), two administrators, an
// officer of each operation, a member of OPA in every role, and a target
// user nobody signs in as.
type grantsFixture struct {
	pool   *pgxpool.Pool
	dir    *service.Directory
	access *service.Access
	admin  domain.Actor // sets up every case
	opA    domain.Operation
	// actors by kind: "admin" (the second administrator, a member of
	// nothing), "officer_elsewhere" (officer of OPB only), and
	// "member_<role>" for each role in OPA.
	actors map[string]domain.User
	target domain.User
}

func newGrantsFixture(t *testing.T) *grantsFixture {
	t.Helper()
	ctx := t.Context()
	c := &clock{t: t0}
	pool := testdb.New(t)
	st := store.New(pool)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	access := service.NewAccess(st, c.now, log)
	f := &grantsFixture{pool: pool, dir: service.NewDirectory(st, access, c.now, log), access: access, actors: map[string]domain.User{}}
	root, err := f.dir.CreateAdmin(ctx, "root@example.org", "Root", pw, domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatal(err)
	}
	f.admin = f.actor(t, root)
	for _, code := range []string{"OPA", "OPB"} {
		op, err := f.dir.CreateOperation(ctx, f.admin, domain.Operation{Code: code, Name: code, CountryISO3: "NPL",
			Context: domain.ContextMixed, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48})
		if err != nil {
			t.Fatal(err)
		}
		if code == "OPA" {
			f.opA = op
		}
	}
	user := func(email string, admin bool) domain.User {
		u, _, err := f.dir.CreateUser(ctx, f.admin, service.NewUser{User: domain.User{Email: email, Name: email,
			OrganizationID: root.OrganizationID, IsAdmin: admin}})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.actors["admin"] = user("admin2@example.org", true)
	f.actors["officer_elsewhere"] = user("elsewhere@example.org", false)
	f.mustSet(t, "OPB", f.actors["officer_elsewhere"], domain.RoleOfficer)
	for _, r := range domain.AllRoles {
		u := user(string(r)+"@example.org", false)
		f.actors["member_"+string(r)] = u
		f.mustSet(t, "OPA", u, r)
	}
	f.target = user("target@example.org", false)
	return f
}

func (f *grantsFixture) actor(t *testing.T, u domain.User) domain.Actor {
	t.Helper()
	a, err := f.access.Actor(t.Context(), u.ID, u.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// mustSet gives u exactly roles in operation code, as the root admin.
func (f *grantsFixture) mustSet(t *testing.T, code string, u domain.User, roles ...domain.Role) {
	t.Helper()
	set, err := domain.NewRoleSet(domain.RoleSet(roles).Strings()...)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.dir.SetMember(t.Context(), f.admin, code, u.ID, set); err != nil {
		t.Fatalf("set %s in %s to %v: %v", u.Email, code, roles, err)
	}
}

func (f *grantsFixture) roles(t *testing.T, u domain.User) domain.RoleSet {
	t.Helper()
	_, ms, err := f.dir.ListMembers(t.Context(), f.admin, f.opA.Code)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.User.ID == u.ID {
			return m.Roles
		}
	}
	return domain.RoleSet{}
}

// newest returns the directory log's newest entry.
func (f *grantsFixture) newest(t *testing.T) domain.DirectoryEvent {
	t.Helper()
	page, err := f.dir.DirectoryLog(t.Context(), f.admin, 0, 1)
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("DirectoryLog = %+v, %v", page, err)
	}
	return page.Items[0]
}

// baseRole is a role the target keeps through a case about role r, so
// the target stays a member of OPA (visible to its officers) throughout.
func baseRole(r domain.Role) domain.Role {
	if r == domain.RoleViewer {
		return domain.RoleRequester
	}
	return domain.RoleViewer
}

// TestSetMember_Grants walks every kind of actor × every role × grant
// and removal × self and another member through the service, and checks
// the answer, the stored roles and the directory log against the rules:
// nobody changes their own roles; an administrator changes anyone
// else's; a member changes another's roles only where the role's Grants
// row names one they hold; an officer of another operation sees nothing
// (404) and other members are refused (403). A refusal changes nothing
// and logs nothing; a change is logged with its actor.
func TestSetMember_Grants(t *testing.T) {
	t.Parallel()
	f := newGrantsFixture(t)
	ctx := t.Context()
	kinds := make([]string, 0, len(f.actors))
	for k := range f.actors {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, kind := range kinds {
		u := f.actors[kind]
		own := f.roles(t, u) // restored after each case on the actor's own roles
		for _, role := range domain.AllRoles {
			for _, grant := range []bool{true, false} {
				for _, self := range []bool{true, false} {
					// Set up: the target's (or the actor's own) roles before.
					target, current := f.target, domain.RoleSet{baseRole(role)}
					if self {
						target = u
						current = f.roles(t, u).Union(nil)
					}
					if grant {
						current = slices.DeleteFunc(slices.Clone(current), func(r domain.Role) bool { return r == role })
					} else {
						current = current.Union(domain.RoleSet{role})
					}
					if self && grant && kind != "admin" && len(current) == 0 {
						continue // the member's only role: granting it to oneself is covered by the other roles
					}
					if len(current) > 0 || self {
						f.mustSet(t, "OPA", target, current...)
					}
					wanted := current.Union(domain.RoleSet{role})
					if !grant {
						wanted = slices.DeleteFunc(slices.Clone(current), func(r domain.Role) bool { return r == role })
					}
					by := f.actor(t, u)
					before := f.newest(t)

					err := f.dir.SetMember(ctx, by, "OPA", target.ID, wanted)

					var want domain.Code
					field := ""
					switch held := by.RolesIn(f.opA.ID); {
					case !by.IsAdmin && len(held) == 0:
						want = domain.CodeNotFound
					case !by.IsAdmin && !held.Has(domain.RoleOfficer):
						want = domain.CodeForbidden
					case self:
						want, field = domain.CodeForbidden, "grant.self"
					case by.IsAdmin || slices.ContainsFunc(domain.Grants[role], by.RolesIn(f.opA.ID).Has):
						want = ""
					default:
						want, field = domain.CodeForbidden, "grant.admin_only"
					}
					name := kind + " " + map[bool]string{true: "grants", false: "removes"}[grant] + " " + string(role) +
						map[bool]string{true: " to self", false: ""}[self]
					if got := domain.ErrorCode(err); got != want {
						t.Errorf("%s: %v, want code %q", name, err, want)
						continue
					}
					if e, ok := err.(*domain.Error); field != "" && (!ok || e.Fields["roles"] != field) {
						t.Errorf("%s: %v, want field roles %q", name, err, field)
					}
					got, after := f.roles(t, target), f.newest(t)
					if self {
						f.mustSet(t, "OPA", u, own...)
					}
					if err != nil {
						if !slices.Equal(got, current) || after.Seq != before.Seq {
							t.Errorf("%s refused, yet roles %v (were %v), log seq %d → %d", name, got, current, before.Seq, after.Seq)
						}
						continue
					}
					wantSet, _ := domain.NewRoleSet(wanted.Strings()...)
					if !slices.Equal(got, wantSet) {
						t.Errorf("%s: roles %v, want %v", name, got, wantSet)
					}
					if after.Seq != before.Seq+1 || after.ActorID != by.UserID || after.Action != domain.MembershipAction(current, wantSet) ||
						after.Target != (domain.Target{Kind: domain.TargetUser, ID: target.ID}) || after.OperationID != f.opA.ID {
						t.Errorf("%s: logged %+v after seq %d", name, after, before.Seq)
					}
				}
			}
		}
	}
	if rep, err := f.dir.VerifyDirectoryLog(ctx, nil); err != nil || rep.Break != nil || rep.Events == 0 {
		t.Errorf("VerifyDirectoryLog = %+v, %v", rep, err)
	}
}

// TestSetMemberFromForm: an officer's form changes only the roles it
// offers; a member's HC role is kept whatever is ticked, and ticking a
// role the form did not offer is refused.
func TestSetMemberFromForm(t *testing.T) {
	t.Parallel()
	f := newGrantsFixture(t)
	officer := f.actor(t, f.actors["member_"+string(domain.RoleOfficer)])
	f.mustSet(t, "OPA", f.target, domain.RoleHC, domain.RoleViewer)
	after, err := f.dir.SetMemberFromForm(t.Context(), officer, "OPA", f.target.ID, domain.RoleSet{domain.RoleRequester}, nil)
	if err != nil || !slices.Equal(after, domain.RoleSet{domain.RoleRequester, domain.RoleHC}) {
		t.Fatalf("SetMemberFromForm = %v, %v; want requester and HC kept", after, err)
	}
	after, err = f.dir.SetMemberFromForm(t.Context(), officer, "OPA", f.target.ID, nil, nil)
	if err != nil || !slices.Equal(after, domain.RoleSet{domain.RoleHC}) {
		t.Fatalf("unticking all = %v, %v; want HC kept", after, err)
	}
	_, err = f.dir.SetMemberFromForm(t.Context(), officer, "OPA", f.target.ID, domain.RoleSet{domain.RoleHRDDPReviewer}, nil)
	wantCode(t, err, domain.CodeForbidden, "grant.refused")
	// The API's exact set may not strip HC either.
	wantCode(t, f.dir.SetMember(t.Context(), officer, "OPA", f.target.ID, domain.RoleSet{domain.RoleViewer}), domain.CodeForbidden, "grant.refused")
	wantCode(t, f.dir.SetMember(t.Context(), officer, "OPA", f.target.ID, nil), domain.CodeForbidden, "grant.refused")
	if got := f.roles(t, f.target); !slices.Equal(got, domain.RoleSet{domain.RoleHC}) {
		t.Errorf("roles after refusals = %v, want [hc]", got)
	}
}

// TestSetMemberByEmail_Invitations: an officer adding by e-mail never
// has the address looked up. An account outside the operation, a
// disabled account and an address nobody has get the same answer, the
// same invitation and the same log entry, and nobody gains a role; the
// account gains it when it signs in, or when an administrator creates
// it, through the grant rule as the inviter stands then. Administrators
// add at once and are told.
func TestSetMemberByEmail_Invitations(t *testing.T) {
	t.Parallel()
	f := newGrantsFixture(t)
	ctx := t.Context()
	officerUser := f.actors["member_"+string(domain.RoleOfficer)]
	officer := f.actor(t, officerUser)
	outsider, _, err := f.dir.CreateUser(ctx, f.admin, service.NewUser{User: domain.User{Email: "out@example.org", Name: "Out",
		OrganizationID: f.target.OrganizationID}, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	disabled := f.target
	disabled.Disabled = true
	if _, err := f.dir.UpdateUser(ctx, f.admin, disabled); err != nil {
		t.Fatal(err)
	}
	viewer := domain.RoleSet{domain.RoleViewer}
	addresses := []string{"OUT@example.org ", disabled.Email, "nobody@example.org"}
	payloads := map[string]string{}
	for _, email := range addresses {
		before := f.newest(t)
		confirmed, err := f.dir.SetMemberByEmail(ctx, officer, "OPA", email, viewer)
		if err != nil || confirmed {
			t.Errorf("officer adds %s: confirmed %v, %v; want the uniform unconfirmed success", email, confirmed, err)
		}
		e := f.newest(t)
		if e.Seq != before.Seq+1 || e.Action != domain.DirMemberInvited || e.ActorID != officer.UserID ||
			e.Target != (domain.Target{Kind: domain.TargetOperation, ID: f.opA.ID}) {
			t.Errorf("officer adds %s: logged %+v", email, e)
		}
		// The entry names the address and the invitation, nothing of an account.
		var p map[string]any
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		delete(p, "email")
		delete(p, "invitation")
		body, _ := json.Marshal(p)
		payloads[email] = string(body)
	}
	for _, email := range addresses {
		if payloads[email] != payloads[addresses[0]] {
			t.Errorf("log entry of %s = %s, of %s = %s", email, payloads[email], addresses[0], payloads[addresses[0]])
		}
	}
	for _, u := range []domain.User{outsider, disabled} {
		if got := f.roles(t, u); len(got) != 0 {
			t.Errorf("%s became a member with %v before signing in", u.Email, got)
		}
	}
	invs := f.invitations(t, officer)
	if len(invs) != len(addresses) {
		t.Fatalf("invitations = %+v, want one per address", invs)
	}
	for _, inv := range invs {
		if !slices.Equal(inv.Roles, viewer) || inv.InvitedBy != officer.UserID || inv.InvitedByName != officerUser.Name ||
			inv.Email != domain.InvitationEmail(inv.Email) {
			t.Errorf("invitation %+v", inv)
		}
	}
	// Inviting again adds roles to the one invitation.
	if _, err := f.dir.SetMemberByEmail(ctx, officer, "OPA", "Nobody@example.org", domain.RoleSet{domain.RoleHCTMember}); err != nil {
		t.Fatal(err)
	}
	if inv := f.invitationOf(t, officer, "nobody@example.org"); !slices.Equal(inv.Roles, domain.RoleSet{domain.RoleHCTMember, domain.RoleViewer}) {
		t.Errorf("re-invited roles = %v, want the union", inv.Roles)
	}
	if got := len(f.invitations(t, officer)); got != len(addresses) {
		t.Errorf("re-inviting made %d invitations, want %d", got, len(addresses))
	}

	t.Run("SignInAccepts", func(t *testing.T) {
		f.mustSet(t, "OPA", outsider, domain.RoleRequester) // held already: the grant is a union
		if _, err := f.access.SignIn(ctx, outsider.Email, pw, "10.0.0.9", ""); err != nil {
			t.Fatal(err)
		}
		if got := f.roles(t, outsider); !slices.Equal(got, domain.RoleSet{domain.RoleRequester, domain.RoleViewer}) {
			t.Errorf("roles after sign-in = %v, want requester and viewer", got)
		}
		e := f.newest(t)
		if e.Action != domain.DirInvitationAccepted || e.ActorID != officer.UserID || e.Target != (domain.Target{Kind: domain.TargetUser, ID: outsider.ID}) ||
			!strings.Contains(string(e.Payload), `"granted":["viewer"]`) {
			t.Errorf("acceptance logged as %+v %s", e, e.Payload)
		}
		if inv := f.invitationOf(t, officer, outsider.Email); inv.ID != 0 {
			t.Errorf("accepted invitation still pending: %+v", inv)
		}
		// A second sign-in has nothing to take.
		if _, err := f.access.SignIn(ctx, outsider.Email, pw, "10.0.0.9", ""); err != nil {
			t.Fatal(err)
		}
		if after := f.newest(t); after.Seq != e.Seq {
			t.Errorf("second sign-in logged %+v", after)
		}
	})

	t.Run("DisabledTakesNothing", func(t *testing.T) {
		if _, err := f.access.SignIn(ctx, disabled.Email, pw, "10.0.0.9", ""); domain.ErrorCode(err) != domain.CodeUnauthorized {
			t.Errorf("disabled sign-in: %v", err)
		}
		if got := f.roles(t, disabled); len(got) != 0 {
			t.Errorf("disabled account has %v", got)
		}
		if inv := f.invitationOf(t, officer, disabled.Email); inv.ID == 0 {
			t.Error("the disabled account's invitation is gone")
		}
	})

	t.Run("CreatedAccountAccepts", func(t *testing.T) {
		u, _, err := f.dir.CreateUser(ctx, f.admin, service.NewUser{User: domain.User{Email: "nobody@EXAMPLE.org", Name: "New",
			OrganizationID: f.target.OrganizationID}})
		if err != nil {
			t.Fatal(err)
		}
		if got := f.roles(t, u); !slices.Equal(got, domain.RoleSet{domain.RoleHCTMember, domain.RoleViewer}) {
			t.Errorf("created account's roles = %v", got)
		}
		if e := f.newest(t); e.Action != domain.DirInvitationAccepted || e.ActorID != officer.UserID || e.Target.ID != u.ID {
			t.Errorf("newest entry %+v", e)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		if _, err := f.dir.SetMemberByEmail(ctx, officer, "OPA", "later@example.org", viewer); err != nil {
			t.Fatal(err)
		}
		inv := f.invitationOf(t, officer, "later@example.org")
		for kind, u := range f.actors {
			if kind == "admin" || kind == "member_"+string(domain.RoleOfficer) {
				continue
			}
			want := domain.CodeForbidden
			if kind == "officer_elsewhere" {
				want = domain.CodeNotFound
			}
			if err := f.dir.CancelInvitation(ctx, f.actor(t, u), "OPA", inv.ID); domain.ErrorCode(err) != want {
				t.Errorf("%s cancels: %v, want %s", kind, err, want)
			}
		}
		if err := f.dir.CancelInvitation(ctx, officer, "OPA", inv.ID); err != nil {
			t.Fatal(err)
		}
		e := f.newest(t)
		if e.Action != domain.DirInvitationCancelled || e.ActorID != officer.UserID {
			t.Errorf("cancellation logged as %+v", e)
		}
		if got := f.invitationOf(t, officer, "later@example.org"); got.ID != 0 {
			t.Errorf("cancelled invitation still pending: %+v", got)
		}
		// Again: nothing to cancel, nothing logged.
		if err := f.dir.CancelInvitation(ctx, officer, "OPA", inv.ID); err != nil || f.newest(t).Seq != e.Seq {
			t.Errorf("cancelling again: %v", err)
		}
	})

	t.Run("DroppedWhenTheInviterMayNoLonger", func(t *testing.T) {
		if _, err := f.dir.SetMemberByEmail(ctx, officer, "OPA", "late@example.org", viewer); err != nil {
			t.Fatal(err)
		}
		f.mustSet(t, "OPA", officerUser, domain.RoleViewer) // no longer an officer
		u, _, err := f.dir.CreateUser(ctx, f.admin, service.NewUser{User: domain.User{Email: "late@example.org", Name: "Late",
			OrganizationID: f.target.OrganizationID}})
		if err != nil {
			t.Fatal(err)
		}
		if got := f.roles(t, u); len(got) != 0 {
			t.Errorf("roles granted by a former officer: %v", got)
		}
		e := f.newest(t)
		if e.Action != domain.DirInvitationDropped || !strings.Contains(string(e.Payload), `"reason":"invitation.inviter_not_allowed"`) {
			t.Errorf("drop logged as %+v %s", e, e.Payload)
		}
		if _, ms, err := f.dir.ListMembers(ctx, f.admin, "OPA"); err != nil {
			t.Fatal(err)
		} else if invs, err := f.dir.ListInvitations(ctx, f.admin, "OPA"); err != nil || slices.ContainsFunc(invs, func(i domain.Invitation) bool { return i.Email == u.Email }) {
			t.Errorf("dropped invitation still pending (%d members): %+v, %v", len(ms), invs, err)
		}
	})
}

// TestSetMemberByEmail_Refusals: what does not depend on any account is
// refused the same way for every address; administrators are told.
func TestSetMemberByEmail_Refusals(t *testing.T) {
	t.Parallel()
	f := newGrantsFixture(t)
	ctx := t.Context()
	officer := f.actor(t, f.actors["member_"+string(domain.RoleOfficer)])
	disabled := f.target
	disabled.Disabled = true
	if _, err := f.dir.UpdateUser(ctx, f.admin, disabled); err != nil {
		t.Fatal(err)
	}
	outsider := f.actors["officer_elsewhere"]
	before := f.newest(t)
	for _, email := range []string{"nobody@example.org", disabled.Email, outsider.Email} {
		for _, r := range domain.AllRoles {
			_, err := f.dir.SetMemberByEmail(ctx, officer, "OPA", email, domain.RoleSet{r})
			if domain.GrantableRoles(officer, f.opA.ID, 0).Has(r) {
				continue
			}
			wantCode(t, err, domain.CodeForbidden, "grant.refused")
		}
		_, err := f.dir.SetMemberByEmail(ctx, officer, "OPA", email, nil)
		wantCode(t, err, domain.CodeInvalid, "error.invalid")
	}
	_, err := f.dir.SetMemberByEmail(ctx, officer, "OPA", "not an address", domain.RoleSet{domain.RoleViewer})
	wantCode(t, err, domain.CodeInvalid, "error.invalid")
	_, err = f.dir.SetMemberByEmail(ctx, officer, "OPA", officer.Email, domain.RoleSet{domain.RoleViewer})
	wantCode(t, err, domain.CodeForbidden, "grant.refused")
	// Only the grantable roles were recorded, as invitations.
	if got := f.newest(t); got.Seq <= before.Seq || got.Action != domain.DirMemberInvited {
		t.Errorf("newest entry %+v", got)
	}
	// Administrators browse the directory anyway: they add at once and are told.
	_, err = f.dir.SetMemberByEmail(ctx, f.admin, "OPA", "nobody@example.org", domain.RoleSet{domain.RoleViewer})
	wantCode(t, err, domain.CodeInvalid, "error.invalid")
	_, err = f.dir.SetMemberByEmail(ctx, f.admin, "OPA", disabled.Email, domain.RoleSet{domain.RoleViewer})
	wantCode(t, err, domain.CodeInvalid, "error.invalid")
	if confirmed, err := f.dir.SetMemberByEmail(ctx, f.admin, "OPA", outsider.Email, domain.RoleSet{domain.RoleHC}); err != nil || !confirmed {
		t.Errorf("admin adds HC: confirmed %v, %v", confirmed, err)
	}
	if got := f.roles(t, outsider); !slices.Equal(got, domain.RoleSet{domain.RoleHC}) {
		t.Errorf("admin's addition: roles %v", got)
	}
}

// invitations returns OPA's pending invitations as by reads them.
func (f *grantsFixture) invitations(t *testing.T, by domain.Actor) []domain.Invitation {
	t.Helper()
	invs, err := f.dir.ListInvitations(t.Context(), by, "OPA")
	if err != nil {
		t.Fatal(err)
	}
	return invs
}

// invitationOf returns OPA's pending invitation of email (zero: none).
func (f *grantsFixture) invitationOf(t *testing.T, by domain.Actor, email string) domain.Invitation {
	t.Helper()
	for _, inv := range f.invitations(t, by) {
		if inv.Email == domain.InvitationEmail(email) {
			return inv
		}
	}
	return domain.Invitation{}
}

// TestDirectoryLog_EveryChange: each administrator's change appends one
// entry naming its actor and target, in the change's transaction; an
// edit that changes nothing appends none; the log is admins' reading.
func TestDirectoryLog_EveryChange(t *testing.T) {
	t.Parallel()
	f := newGrantsFixture(t)
	ctx := t.Context()
	org, err := f.dir.GetOrganization(ctx, f.admin, f.target.OrganizationID)
	if err != nil {
		t.Fatal(err)
	}
	officer := f.actor(t, f.actors["member_"+string(domain.RoleOfficer)])
	invite := func() error {
		_, err := f.dir.SetMemberByEmail(ctx, officer, "OPA", "x@example.org", domain.RoleSet{domain.RoleViewer})
		return err
	}
	var (
		factorSecret string
		recovery     []string
	)
	var acting domain.ActingHC
	steps := []struct {
		action string
		target domain.TargetKind
		do     func() error
		// by is the actor logged (0: f.admin, unless anonymous); entries
		// how many the step appends (0: one), the last being action.
		by, entries int64
		anonymous   bool // a sign-in attempt: nobody is signed in yet
	}{
		{action: domain.DirOrganizationCreated, target: domain.TargetOrganization, do: func() error {
			_, err := f.dir.CreateOrganization(ctx, f.admin, domain.Organization{Name: "WFP", Acronym: "WFP", Type: domain.OrgUNAgency})
			return err
		}},
		{action: domain.DirOrganizationUpdated, target: domain.TargetOrganization, do: func() error {
			o := org
			o.Acronym = "OCHA2"
			_, err := f.dir.UpdateOrganization(ctx, f.admin, o)
			return err
		}},
		{action: domain.DirUserCreated, target: domain.TargetUser, do: func() error {
			_, _, err := f.dir.CreateUser(ctx, f.admin, service.NewUser{User: domain.User{Email: "x@example.org", Name: "X", OrganizationID: org.ID}, Password: pw})
			return err
		}},
		{action: domain.DirMemberInvited, target: domain.TargetOperation, do: invite, by: officer.UserID},
		{action: domain.DirInvitationCancelled, target: domain.TargetOperation, by: officer.UserID, do: func() error {
			invs, err := f.dir.ListInvitations(ctx, officer, "OPA")
			if err != nil || len(invs) != 1 {
				t.Fatalf("invitations %+v, %v", invs, err)
			}
			return f.dir.CancelInvitation(ctx, officer, "OPA", invs[0].ID)
		}},
		{action: domain.DirMemberInvited, target: domain.TargetOperation, do: invite, by: officer.UserID},
		{action: domain.DirInvitationAccepted, target: domain.TargetUser, by: officer.UserID, do: func() error {
			_, err := f.access.SignIn(ctx, "x@example.org", pw, "10.0.0.1", "")
			return err
		}},
		{action: domain.DirMemberInvited, target: domain.TargetOperation, by: officer.UserID, do: func() error {
			_, err := f.dir.SetMemberByEmail(ctx, officer, "OPA", "x@example.org", domain.RoleSet{domain.RoleHCTMember})
			return err
		}},
		// The officer is demoted (one entry), then the invitee signs in.
		{action: domain.DirInvitationDropped, target: domain.TargetUser, by: officer.UserID, entries: 2, do: func() error {
			if err := f.dir.SetMember(ctx, f.admin, "OPA", officer.UserID, domain.RoleSet{domain.RoleViewer}); err != nil {
				return err
			}
			_, err := f.access.SignIn(ctx, "x@example.org", pw, "10.0.0.1", "")
			return err
		}},
		{action: domain.DirSignInFailed, target: domain.TargetUser, anonymous: true, do: func() error {
			if _, err := f.access.SignIn(ctx, "x@example.org", "not the password", "10.0.0.1", ""); domain.ErrorCode(err) != domain.CodeUnauthorized {
				t.Fatalf("wrong password: %v", err)
			}
			return nil
		}},
		// The fifth failure in a row also logs the lockout it starts.
		{action: domain.DirLockedOut, target: domain.TargetUser, anonymous: true, entries: 5, do: func() error {
			for range domain.LimitSignInAccount.Max - 1 {
				if _, err := f.access.SignIn(ctx, "x@example.org", "not the password", "10.0.0.2", ""); domain.ErrorCode(err) != domain.CodeUnauthorized {
					t.Fatalf("wrong password: %v", err)
				}
			}
			return nil
		}},
		{action: domain.DirPasswordCheckFailed, target: domain.TargetUser, do: func() error {
			if _, err := f.access.ChangePassword(ctx, f.admin, "not the password", "another long passphrase", nil); domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("wrong current password: %v", err)
			}
			return nil
		}},
		{action: domain.DirSignedIn, target: domain.TargetUser, do: func() error {
			// A sign-in is logged when its session opens.
			u, err := f.access.SignIn(ctx, "root@example.org", pw, "10.0.0.3", "")
			if err != nil {
				return err
			}
			if _, err := f.pool.Exec(ctx, `INSERT INTO sessions (token, data, expiry) VALUES ('token-of-the-test', '\x00', now() + interval '1 hour')`); err != nil {
				return err
			}
			_, err = f.access.StartSession(ctx, u, "token-of-the-test", "10.0.0.3", "Firefox", service.SignInMethod{Method: "password"})
			return err
		}},
		{action: domain.DirUserUpdated, target: domain.TargetUser, do: func() error {
			u := f.target
			u.Name = "Renamed"
			_, err := f.dir.UpdateUser(ctx, f.admin, u)
			return err
		}},
		{action: domain.DirUserDisabled, target: domain.TargetUser, do: func() error {
			u := f.target
			u.Name, u.Disabled = "Renamed", true
			_, err := f.dir.UpdateUser(ctx, f.admin, u)
			return err
		}},
		{action: domain.DirUserEnabled, target: domain.TargetUser, do: func() error {
			u := f.target
			u.Name = "Renamed"
			_, err := f.dir.UpdateUser(ctx, f.admin, u)
			return err
		}},
		{action: domain.DirPasswordLinkIssued, target: domain.TargetUser, do: func() error {
			_, err := f.dir.IssuePasswordLink(ctx, f.admin, f.target.ID)
			return err
		}},
		// A user signing out their other sessions (here none, with an API
		// token's "" as the current one): recorded all the same.
		{action: domain.DirSessionsEnded, target: domain.TargetUser, do: func() error {
			_, err := f.access.EndOtherSessions(ctx, f.admin, "")
			return err
		}},
		{action: domain.DirOperationCreated, target: domain.TargetOperation, do: func() error {
			_, err := f.dir.CreateOperation(ctx, f.admin, domain.Operation{Code: "OPC", Name: "C", CountryISO3: "NPL",
				Context: domain.ContextMixed, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48})
			return err
		}},
		{action: domain.DirOperationUpdated, target: domain.TargetOperation, do: func() error {
			op := f.opA
			op.Name = "Renamed"
			_, err := f.dir.UpdateOperation(ctx, f.admin, "OPA", op)
			return err
		}},
		{action: domain.DirMemberAdded, target: domain.TargetUser, do: func() error {
			return f.dir.SetMember(ctx, f.admin, "OPA", f.target.ID, domain.RoleSet{domain.RoleViewer})
		}},
		{action: domain.DirMemberChanged, target: domain.TargetUser, do: func() error {
			return f.dir.SetMember(ctx, f.admin, "OPA", f.target.ID, domain.RoleSet{domain.RoleHC})
		}},
		{action: domain.DirMemberRemoved, target: domain.TargetUser, do: func() error {
			return f.dir.SetMember(ctx, f.admin, "OPA", f.target.ID, nil)
		}},
		// The second factor, last: the reset ends the target's sessions.
		{action: domain.DirFactorEnrolled, target: domain.TargetUser, by: f.target.ID, do: func() error {
			e, err := f.access.Enrolment(ctx, f.target.ID)
			if err != nil {
				return err
			}
			factorSecret = e.Secret
			recovery, err = f.access.ConfirmEnrolment(ctx, f.target.ID, totptest.CodeAt(t, e.Secret, t0), "10.0.0.1")
			return err
		}},
		{action: domain.DirRecoveryUsed, target: domain.TargetUser, by: f.target.ID, do: func() error {
			return f.access.VerifySecondFactor(ctx, f.target.ID, recovery[0], "10.0.0.1")
		}},
		{action: domain.DirRecoveryRegenerated, target: domain.TargetUser, by: f.target.ID, do: func() error {
			u, err := f.dir.GetUser(ctx, f.admin, f.target.ID) // its epoch moved on in the steps above
			if err != nil {
				return err
			}
			_, err = f.access.RegenerateRecoveryCodes(ctx, f.actor(t, u), totptest.CodeAt(t, factorSecret, t0.Add(domain.TOTPPeriod)))
			return err
		}},
		{action: domain.DirFactorCheckFailed, target: domain.TargetUser, by: f.target.ID, do: func() error {
			u, err := f.dir.GetUser(ctx, f.admin, f.target.ID)
			if err != nil {
				return err
			}
			// A wrong code typed on the profile: refused, and logged as such.
			if _, err := f.access.RegenerateRecoveryCodes(ctx, f.actor(t, u), "000000"); domain.ErrorCode(err) != domain.CodeInvalid {
				return fmt.Errorf("a wrong code on the profile: %v, want invalid", err)
			}
			return nil
		}},
		{action: domain.DirFactorRemoved, target: domain.TargetUser, do: func() error {
			return f.dir.ResetSecondFactor(ctx, f.admin, f.target.ID)
		}},
		{action: domain.DirActingHCNamed, target: domain.TargetUser, do: func() (err error) {
			acting, err = f.dir.NameActingHC(ctx, f.admin, "OPA", domain.ActingHCInput{UserID: f.actors["member_"+string(domain.RoleViewer)].ID,
				EndsAt: t0.Add(time.Hour), Reason: "Leave"})
			return err
		}},
		{action: domain.DirActingHCEnded, target: domain.TargetUser, do: func() error {
			_, err := f.dir.EndActingHC(ctx, f.admin, "OPA", acting.ID)
			return err
		}},
	}
	done := map[string]bool{}
	for _, s := range steps {
		before := f.newest(t)
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.action, err)
		}
		e := f.newest(t)
		by, entries := cmp.Or(s.by, f.admin.UserID), cmp.Or(s.entries, 1)
		if s.anonymous {
			by = 0
		}
		if e.Seq != before.Seq+entries || e.Action != s.action || e.Target.Kind != s.target || e.ActorID != by {
			t.Errorf("%s: newest entry %+v (seq before %d)", s.action, e, before.Seq)
		}
		done[s.action] = true
	}
	// The account's own credential events (issue 15): the user is the
	// actor, but for an administrator's "sign out everywhere".
	users, err := f.dir.ListUsers(ctx, f.admin)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(users, func(u domain.User) bool { return u.Email == "x@example.org" })
	if i < 0 {
		t.Fatal("x@example.org not found")
	}
	x := f.actor(t, users[i])
	var tok domain.APIToken
	account := []struct {
		action      string
		by, entries int64
		do          func() error
	}{
		{domain.DirTokenCreated, x.UserID, 1, func() (err error) {
			_, tok, err = f.access.CreateToken(ctx, x, service.TokenRequest{CurrentPassword: pw,
				NewToken: domain.NewToken{Name: "ci", Scope: domain.TokenRead}})
			return err
		}},
		{domain.DirTokenRevoked, x.UserID, 1, func() error { return f.access.RevokeToken(ctx, x, tok.ID) }},
		{domain.DirPasswordChanged, x.UserID, 1, func() error {
			_, err := f.access.ChangePassword(ctx, x, pw, "another long passphrase", nil)
			return err
		}},
		{domain.DirSessionsEnded, f.admin.UserID, 1, func() error { return f.dir.EndSessions(ctx, f.admin, x.UserID) }},
		// The administrator issues a link (one entry), the user uses it.
		{domain.DirPasswordSet, x.UserID, 2, func() error {
			secret, err := f.dir.IssuePasswordLink(ctx, f.admin, x.UserID)
			if err != nil {
				return err
			}
			_, err = f.access.SetPasswordWithLink(ctx, secret, pw, "10.0.0.2")
			return err
		}},
	}
	for _, s := range account {
		before := f.newest(t)
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.action, err)
		}
		e := f.newest(t)
		if e.Seq != before.Seq+s.entries || e.Action != s.action || e.Target != (domain.Target{Kind: domain.TargetUser, ID: x.UserID}) || e.ActorID != s.by {
			t.Errorf("%s: newest entry %+v (seq before %d)", s.action, e, before.Seq)
		}
		done[s.action] = true
	}
	// Single sign-on's entries need a running identity provider: TestSSO
	// and TestSSOProviders check them.
	done[domain.DirSSOLinked], done[domain.DirSSOProviderCreated], done[domain.DirSSOProviderUpdated] = true, true, true
	// A retried e-mail needs a given-up outbox message: TestAdminMail
	// (internal/web) checks its entry.
	done[domain.DirMailRetried] = true
	for _, a := range domain.DirectoryActions {
		if !done[a] {
			t.Errorf("action %s is never exercised here", a)
		}
	}
	// An edit that changes nothing, and a refused one, log nothing.
	before := f.newest(t)
	if _, err := f.dir.UpdateOperation(ctx, f.admin, "OPA", f.mustOp(t, "OPA")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.dir.CreateOrganization(ctx, f.admin, domain.Organization{Name: "WFP", Acronym: "WFP", Type: domain.OrgUNAgency}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("duplicate organisation: %v", err)
	}
	if after := f.newest(t); after.Seq != before.Seq {
		t.Errorf("no-op and refused edits logged %+v", after)
	}
	// Only administrators read the log.
	for kind, u := range f.actors {
		_, err := f.dir.DirectoryLog(ctx, f.actor(t, u), 0, 0)
		if want := map[bool]domain.Code{true: "", false: domain.CodeForbidden}[kind == "admin"]; domain.ErrorCode(err) != want {
			t.Errorf("%s reads the log: %v, want %q", kind, err, want)
		}
	}
}

func (f *grantsFixture) mustOp(t *testing.T, code string) domain.Operation {
	t.Helper()
	op, err := f.dir.GetOperation(t.Context(), f.admin, code)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// TestVerifyDirectoryLogCatchesTampering alters an entry with the
// append-only trigger disabled (as a superuser could); the verification
// names it.
func TestVerifyDirectoryLogCatchesTampering(t *testing.T) {
	t.Parallel()
	f := newGrantsFixture(t)
	ctx := t.Context()
	if rep, err := f.dir.VerifyDirectoryLog(ctx, nil); err != nil || rep.Break != nil {
		t.Fatalf("intact log: %+v, %v", rep, err)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE directory_events SET payload = '{}' WHERE seq = 3`); err == nil {
		t.Fatal("an entry was changed with the append-only trigger on")
	}
	var seq int64
	if err := f.pool.QueryRow(ctx, `SELECT min(seq) FROM directory_events WHERE action = 'member.added' AND payload LIKE '%"viewer"%'`).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`ALTER TABLE directory_events DISABLE TRIGGER directory_events_append_only`,
		`UPDATE directory_events SET payload = replace(payload, '"viewer"', '"hc"') WHERE seq = ` + itoa(seq),
		`ALTER TABLE directory_events ENABLE TRIGGER directory_events_append_only`,
	} {
		if _, err := f.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := f.dir.VerifyDirectoryLog(ctx, nil)
	if err != nil || rep.Break == nil || int64(rep.Break.Seq) != seq {
		t.Fatalf("VerifyDirectoryLog = %+v %+v, %v; want a break at seq %d", rep, rep.Break, err, seq)
	}
}
