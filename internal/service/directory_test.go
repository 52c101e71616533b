package service_test

import (
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
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
	root, err := f.dir.CreateAdmin(ctx, "root@example.org", "Root", pw, "OCHA")
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
	if rep, err := f.dir.VerifyDirectoryLog(ctx); err != nil || rep.Break != nil || rep.Events == 0 {
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
	after, err := f.dir.SetMemberFromForm(t.Context(), officer, "OPA", f.target.ID, domain.RoleSet{domain.RoleRequester})
	if err != nil || !slices.Equal(after, domain.RoleSet{domain.RoleRequester, domain.RoleHC}) {
		t.Fatalf("SetMemberFromForm = %v, %v; want requester and HC kept", after, err)
	}
	after, err = f.dir.SetMemberFromForm(t.Context(), officer, "OPA", f.target.ID, nil)
	if err != nil || !slices.Equal(after, domain.RoleSet{domain.RoleHC}) {
		t.Fatalf("unticking all = %v, %v; want HC kept", after, err)
	}
	_, err = f.dir.SetMemberFromForm(t.Context(), officer, "OPA", f.target.ID, domain.RoleSet{domain.RoleHRDDPReviewer})
	wantCode(t, err, domain.CodeForbidden, "grant.refused")
	// The API's exact set may not strip HC either.
	wantCode(t, f.dir.SetMember(t.Context(), officer, "OPA", f.target.ID, domain.RoleSet{domain.RoleViewer}), domain.CodeForbidden, "grant.refused")
	wantCode(t, f.dir.SetMember(t.Context(), officer, "OPA", f.target.ID, nil), domain.CodeForbidden, "grant.refused")
	if got := f.roles(t, f.target); !slices.Equal(got, domain.RoleSet{domain.RoleHC}) {
		t.Errorf("roles after refusals = %v, want [hc]", got)
	}
}

// TestSetMemberByEmail_NoEnumeration: an officer adding by e-mail gets
// the same answer, and the directory the same state, for an address
// nobody has and for a disabled account; an enabled account is added.
// Administrators are told which it was.
func TestSetMemberByEmail_NoEnumeration(t *testing.T) {
	t.Parallel()
	f := newGrantsFixture(t)
	ctx := t.Context()
	officer := f.actor(t, f.actors["member_"+string(domain.RoleOfficer)])
	disabled := f.target
	disabled.Disabled = true
	if _, err := f.dir.UpdateUser(ctx, f.admin, disabled); err != nil {
		t.Fatal(err)
	}
	viewer := domain.RoleSet{domain.RoleViewer}
	before := f.newest(t)
	for _, email := range []string{"nobody@example.org", disabled.Email} {
		confirmed, err := f.dir.SetMemberByEmail(ctx, officer, "OPA", email, viewer)
		if err != nil || confirmed {
			t.Errorf("officer adds %s: confirmed %v, %v; want the uniform unconfirmed success", email, confirmed, err)
		}
	}
	if after := f.newest(t); after.Seq != before.Seq {
		t.Errorf("adding no account logged %+v", after)
	}
	if got := f.roles(t, disabled); len(got) != 0 {
		t.Errorf("disabled account became a member with %v", got)
	}
	newcomer, _, err := f.dir.CreateUser(ctx, f.admin, service.NewUser{User: domain.User{Email: "new@example.org", Name: "New", OrganizationID: disabled.OrganizationID}})
	if err != nil {
		t.Fatal(err)
	}
	confirmed, err := f.dir.SetMemberByEmail(ctx, officer, "OPA", "NEW@example.org", viewer)
	if err != nil || confirmed {
		t.Errorf("officer adds an account: confirmed %v, %v; want the same answer as for none", confirmed, err)
	}
	if got := f.roles(t, newcomer); !slices.Equal(got, viewer) {
		t.Errorf("newcomer's roles = %v, want viewer", got)
	}
	// Refusals that do not depend on any account are the same for all.
	for _, email := range []string{"nobody@example.org", newcomer.Email} {
		_, err := f.dir.SetMemberByEmail(ctx, officer, "OPA", email, domain.RoleSet{domain.RoleHC})
		wantCode(t, err, domain.CodeForbidden, "grant.refused")
	}
	_, err = f.dir.SetMemberByEmail(ctx, officer, "OPA", officer.Email, viewer)
	wantCode(t, err, domain.CodeForbidden, "grant.refused")
	// Administrators browse the directory anyway: they are told.
	_, err = f.dir.SetMemberByEmail(ctx, f.admin, "OPA", "nobody@example.org", viewer)
	wantCode(t, err, domain.CodeInvalid, "error.invalid")
	if confirmed, err := f.dir.SetMemberByEmail(ctx, f.admin, "OPA", newcomer.Email, domain.RoleSet{domain.RoleHC}); err != nil || !confirmed {
		t.Errorf("admin adds HC: confirmed %v, %v", confirmed, err)
	}
	if got := f.roles(t, newcomer); !slices.Equal(got, domain.RoleSet{domain.RoleHC, domain.RoleViewer}) {
		t.Errorf("adding never removes: roles %v", got)
	}
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
	steps := []struct {
		action string
		target domain.TargetKind
		do     func() error
	}{
		{domain.DirOrganizationCreated, domain.TargetOrganization, func() error {
			_, err := f.dir.CreateOrganization(ctx, f.admin, domain.Organization{Name: "WFP", Acronym: "WFP", Type: domain.OrgUNAgency})
			return err
		}},
		{domain.DirOrganizationUpdated, domain.TargetOrganization, func() error {
			o := org
			o.Acronym = "OCHA2"
			_, err := f.dir.UpdateOrganization(ctx, f.admin, o)
			return err
		}},
		{domain.DirUserCreated, domain.TargetUser, func() error {
			_, _, err := f.dir.CreateUser(ctx, f.admin, service.NewUser{User: domain.User{Email: "x@example.org", Name: "X", OrganizationID: org.ID}})
			return err
		}},
		{domain.DirUserUpdated, domain.TargetUser, func() error {
			u := f.target
			u.Name = "Renamed"
			_, err := f.dir.UpdateUser(ctx, f.admin, u)
			return err
		}},
		{domain.DirUserDisabled, domain.TargetUser, func() error {
			u := f.target
			u.Name, u.Disabled = "Renamed", true
			_, err := f.dir.UpdateUser(ctx, f.admin, u)
			return err
		}},
		{domain.DirUserEnabled, domain.TargetUser, func() error {
			u := f.target
			u.Name = "Renamed"
			_, err := f.dir.UpdateUser(ctx, f.admin, u)
			return err
		}},
		{domain.DirPasswordLinkIssued, domain.TargetUser, func() error {
			_, err := f.dir.IssuePasswordLink(ctx, f.admin, f.target.ID)
			return err
		}},
		{domain.DirOperationCreated, domain.TargetOperation, func() error {
			_, err := f.dir.CreateOperation(ctx, f.admin, domain.Operation{Code: "OPC", Name: "C", CountryISO3: "NPL",
				Context: domain.ContextMixed, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48})
			return err
		}},
		{domain.DirOperationUpdated, domain.TargetOperation, func() error {
			op := f.opA
			op.Name = "Renamed"
			_, err := f.dir.UpdateOperation(ctx, f.admin, "OPA", op)
			return err
		}},
		{domain.DirMemberAdded, domain.TargetUser, func() error {
			return f.dir.SetMember(ctx, f.admin, "OPA", f.target.ID, domain.RoleSet{domain.RoleViewer})
		}},
		{domain.DirMemberChanged, domain.TargetUser, func() error {
			return f.dir.SetMember(ctx, f.admin, "OPA", f.target.ID, domain.RoleSet{domain.RoleHC})
		}},
		{domain.DirMemberRemoved, domain.TargetUser, func() error {
			return f.dir.SetMember(ctx, f.admin, "OPA", f.target.ID, nil)
		}},
	}
	done := map[string]bool{}
	for _, s := range steps {
		before := f.newest(t)
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.action, err)
		}
		e := f.newest(t)
		if e.Seq != before.Seq+1 || e.Action != s.action || e.Target.Kind != s.target || e.ActorID != f.admin.UserID {
			t.Errorf("%s: newest entry %+v (seq before %d)", s.action, e, before.Seq)
		}
		done[s.action] = true
	}
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
	if rep, err := f.dir.VerifyDirectoryLog(ctx); err != nil || rep.Break != nil {
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
	rep, err := f.dir.VerifyDirectoryLog(ctx)
	if err != nil || rep.Break == nil || int64(rep.Break.Seq) != seq {
		t.Fatalf("VerifyDirectoryLog = %+v %+v, %v; want a break at seq %d", rep, rep.Break, err, seq)
	}
}
