package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// Directory owns organisations, users, operations and memberships: who
// exists and who holds which roles where. Every method with an actor asks
// domain.Can (role changes domain.CanSetRoles), and every change is
// appended to the directory log in its own transaction (inLog).
type Directory struct {
	store  *store.Store
	access *Access
	now    func() time.Time
	log    *slog.Logger
}

// NewDirectory returns the Directory service.
func NewDirectory(st *store.Store, access *Access, now func() time.Time, log *slog.Logger) *Directory {
	return &Directory{store: st, access: access, now: now, log: log}
}

// ListOrganizations returns every organisation. Any signed-in user may
// read the list (it names organisations, nobody's contact data).
func (d *Directory) ListOrganizations(ctx context.Context, by domain.Actor) ([]domain.Organization, error) {
	if by.Anonymous() {
		return nil, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	return d.store.ListOrganizations(ctx)
}

// GetOrganization returns organisation id to any signed-in user, as
// ListOrganizations does: the directory of organisations is not secret.
func (d *Directory) GetOrganization(ctx context.Context, by domain.Actor, id int64) (domain.Organization, error) {
	if by.Anonymous() {
		return domain.Organization{}, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	return d.store.GetOrganization(ctx, id)
}

// CreateOrganization creates o (admins only).
func (d *Directory) CreateOrganization(ctx context.Context, by domain.Actor, o domain.Organization) (domain.Organization, error) {
	if err := domain.Can(by, domain.ActionManageOrganizations, domain.OnInstance()); err != nil {
		return domain.Organization{}, err
	}
	domain.NormalizeOrganization(&o)
	if err := domain.ValidateOrganization(o); err != nil {
		return domain.Organization{}, err
	}
	var out domain.Organization
	err := d.inLog(ctx, by, func(st *store.Store) (logEntry, error) {
		var err error
		if out, err = st.CreateOrganization(ctx, o, d.now()); err != nil {
			return logEntry{}, fieldConflict(err, "name", "organization.name_taken")
		}
		return created(domain.DirOrganizationCreated, domain.TargetOrganization, out.ID, out.Name, domain.OrganizationAudit(out)), nil
	})
	return out, err
}

// UpdateOrganization saves o (admins only). o.UpdatedAt, when set, is
// when the organisation was saved as the editor loaded it: saved since,
// the change is refused (domain.EditedMeanwhile).
func (d *Directory) UpdateOrganization(ctx context.Context, by domain.Actor, o domain.Organization) (domain.Organization, error) {
	if err := domain.Can(by, domain.ActionManageOrganizations, domain.OnInstance()); err != nil {
		return domain.Organization{}, err
	}
	domain.NormalizeOrganization(&o)
	if err := domain.ValidateOrganization(o); err != nil {
		return domain.Organization{}, err
	}
	var out domain.Organization
	err := d.inLog(ctx, by, func(st *store.Store) (logEntry, error) {
		old, err := st.GetOrganization(ctx, o.ID)
		if err != nil {
			return logEntry{}, err
		}
		if stale(o.UpdatedAt, old.UpdatedAt) {
			return logEntry{}, domain.EditedMeanwhile(domain.OrganizationAudit(old), domain.OrganizationAudit(o))
		}
		if out, err = st.UpdateOrganization(ctx, o, d.now()); err != nil {
			return logEntry{}, fieldConflict(err, "name", "organization.name_taken")
		}
		return updated(domain.DirOrganizationUpdated, domain.TargetOrganization, out.ID, out.Name,
			domain.OrganizationAudit(old), domain.OrganizationAudit(out)), nil
	})
	return out, err
}

// stale reports whether a change based on the object as saved at seen
// (its updated_at when the form was loaded; zero when the caller sent
// none) would overwrite a later save, saved at cur. The directory log's
// lock (inLog) serialises the check with every other change.
func stale(seen, cur time.Time) bool {
	return !seen.IsZero() && !seen.Equal(cur)
}

// fieldConflict turns a unique-constraint conflict into a message on the
// field the user can fix.
func fieldConflict(err error, field, key string) error {
	if domain.ErrorCode(err) == domain.CodeConflict {
		return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{field: key}}
	}
	return err
}

// ListUsers returns every user (admins only).
func (d *Directory) ListUsers(ctx context.Context, by domain.Actor) ([]domain.User, error) {
	if err := domain.Can(by, domain.ActionManageUsers, domain.OnInstance()); err != nil {
		return nil, err
	}
	return d.store.ListUsers(ctx)
}

// GetUser returns user id (admins only).
func (d *Directory) GetUser(ctx context.Context, by domain.Actor, id int64) (domain.User, error) {
	if err := domain.Can(by, domain.ActionManageUsers, domain.OnInstance()); err != nil {
		return domain.User{}, err
	}
	return d.store.GetUser(ctx, id)
}

// NewUser is what an admin gives to create a user.
type NewUser struct {
	User domain.User
	// Password is the initial password; when empty, a one-time
	// set-password link is created instead.
	Password string
	// SSO, when set, is the slug of the identity provider that
	// provisions the account: it signs in there, so it gets neither a
	// password nor a set-password link.
	SSO string
}

// CreateUser creates a user (admins only). Without an initial password it
// returns the secret of a set-password link (valid PasswordLinkLifetime)
// for the admin to pass on: the face turns it into /set-password/<secret>.
func (d *Directory) CreateUser(ctx context.Context, by domain.Actor, in NewUser) (domain.User, string, error) {
	if err := domain.Can(by, domain.ActionManageUsers, domain.OnInstance()); err != nil {
		return domain.User{}, "", err
	}
	return d.createUser(ctx, by, in)
}

// requireOrganization returns a field error on organization_id unless
// organisation id exists.
func (d *Directory) requireOrganization(ctx context.Context, id int64) error {
	_, err := d.store.GetOrganization(ctx, id)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"organization_id": "field.choose"}}
	}
	return err
}

func (d *Directory) createUser(ctx context.Context, by domain.Actor, in NewUser) (domain.User, string, error) {
	u, hash, err := d.prepareUser(ctx, in)
	if err != nil {
		return domain.User{}, "", err
	}
	var out domain.User
	var secret string
	err = d.inLogAll(ctx, by, func(st *store.Store) ([]logEntry, error) {
		var entries []logEntry
		out, secret, entries, err = d.insertUser(ctx, st, u, hash, in.SSO)
		return entries, err
	})
	return out, secret, err
}

// prepareUser normalises and checks a new account, its organisation and
// its password, and hashes the password (outside any transaction: it is
// slow on purpose).
func (d *Directory) prepareUser(ctx context.Context, in NewUser) (domain.User, string, error) {
	u := in.User
	domain.NormalizeUser(&u)
	err := domain.ValidateUser(u)
	if in.Password != "" {
		err = mergeInvalid(err, domain.ValidatePassword("password", in.Password, u.Email, u.Name))
	}
	if err != nil {
		return domain.User{}, "", err
	}
	if err := d.requireOrganization(ctx, u.OrganizationID); err != nil {
		return domain.User{}, "", err
	}
	hash := ""
	if in.Password != "" {
		if hash, err = HashPassword(ctx, in.Password); err != nil {
			return domain.User{}, "", err
		}
	}
	return u, hash, nil
}

// insertUser creates the prepared account u on st (a transaction holding
// the directory log's lock) and returns its log entries: its creation,
// then its pending invitations, which take effect with it. Without a
// password hash or an identity provider (sso, a slug), it gets a
// set-password link, whose secret it returns.
func (d *Directory) insertUser(ctx context.Context, st *store.Store, u domain.User, hash, sso string) (domain.User, string, []logEntry, error) {
	out, err := st.CreateUser(ctx, u, hash, d.now())
	if err != nil {
		return domain.User{}, "", nil, fieldConflict(err, "email", "user.email_taken")
	}
	record := domain.UserAudit(out)
	record["password"] = "set"
	var secret string
	switch {
	case sso != "":
		record["password"] = "none"
		record["sso"] = sso
	case hash == "":
		record["password"] = "link"
		if secret, err = d.access.newPasswordLink(ctx, st, out.ID); err != nil {
			return domain.User{}, "", nil, err
		}
	}
	accepted, err := acceptInvitations(ctx, st, out, d.now())
	return out, secret, append([]logEntry{created(domain.DirUserCreated, domain.TargetUser, out.ID, out.Email, record)}, accepted...), err
}

// mergeInvalid joins the field messages of two CodeInvalid errors.
func mergeInvalid(a, b error) error {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	ea, okA := a.(*domain.Error)
	eb, okB := b.(*domain.Error)
	if !okA || !okB {
		return a
	}
	for k, v := range eb.Fields {
		if _, ok := ea.Fields[k]; !ok {
			ea.Fields[k] = v
		}
	}
	return ea
}

// UpdateUser saves an admin's edit of u (u.UpdatedAt, when set, as in
// UpdateOrganization). Disabling a user ends every
// session (the epoch changes) and revokes every API token, in one
// transaction. An admin cannot disable or demote themselves, so the
// instance never loses its last way in by accident.
func (d *Directory) UpdateUser(ctx context.Context, by domain.Actor, u domain.User) (domain.User, error) {
	if err := domain.Can(by, domain.ActionManageUsers, domain.OnInstance()); err != nil {
		return domain.User{}, err
	}
	domain.NormalizeUser(&u)
	if err := domain.ValidateUser(u); err != nil {
		return domain.User{}, err
	}
	if u.ID == by.UserID && (u.Disabled || !u.IsAdmin) {
		return domain.User{}, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid",
			Fields: map[string]string{"disabled": "user.not_self"}}
	}
	if err := d.requireOrganization(ctx, u.OrganizationID); err != nil {
		return domain.User{}, err
	}
	var out domain.User
	err := d.inLog(ctx, by, func(st *store.Store) (logEntry, error) {
		old, err := st.GetUser(ctx, u.ID)
		if err != nil {
			return logEntry{}, err
		}
		if stale(u.UpdatedAt, old.UpdatedAt) {
			return logEntry{}, domain.EditedMeanwhile(domain.UserAudit(old), domain.UserAudit(u))
		}
		now := d.now()
		if out, err = st.UpdateUser(ctx, u, now); err != nil {
			return logEntry{}, fieldConflict(err, "email", "user.email_taken")
		}
		var revoked []domain.APIToken
		if out.Disabled {
			// The store moved the epoch on (every session ends); every
			// token ends with them.
			if revoked, err = st.RevokeAPITokensExcept(ctx, out.ID, nil, now); err != nil {
				return logEntry{}, err
			}
			if _, err := st.EndOtherUserSessions(ctx, out.ID, 0); err != nil {
				return logEntry{}, err
			}
		}
		if out.Disabled || out.Email != old.Email {
			// The links in their e-mails end with the account, or with the
			// mailbox they were sent to: re-enabling revives none.
			if err := st.EndUserLinks(ctx, out.ID, now); err != nil {
				return logEntry{}, err
			}
		}
		e := updated(domain.UserEditAction(old, out), domain.TargetUser, out.ID, out.Email,
			domain.UserAudit(old), domain.UserAudit(out))
		if len(revoked) > 0 && e.payload != nil {
			e.payload["tokens_revoked"] = tokenIDs(revoked)
		}
		return e, nil
	})
	return out, err
}

// EndSessions is an administrator's "sign out everywhere" for user id:
// every session of the user ends (the epoch changes) and every API token
// is revoked, in one transaction with its security log entry. The user
// may sign in again with their password; an administrator who suspects
// the password too issues a set-password link or disables the account.
func (d *Directory) EndSessions(ctx context.Context, by domain.Actor, id int64) error {
	if err := domain.Can(by, domain.ActionManageUsers, domain.OnInstance()); err != nil {
		return err
	}
	if id == by.UserID {
		// Not on oneself: it would end the very session asking, and an
		// administrator's own credentials end with their password change.
		return domain.Errorf(domain.CodeForbidden, "credentials.sign_out_self")
	}
	return d.inLog(ctx, by, func(st *store.Store) (logEntry, error) {
		u, err := st.GetUser(ctx, id)
		if err != nil {
			return logEntry{}, err
		}
		if _, err := st.EndSessions(ctx, id); err != nil {
			return logEntry{}, err
		}
		if _, err := st.EndOtherUserSessions(ctx, id, 0); err != nil {
			return logEntry{}, err
		}
		revoked, err := st.RevokeAPITokensExcept(ctx, id, nil, d.now())
		if err != nil {
			return logEntry{}, err
		}
		// The links in the user's e-mails too: a mailbox may be what leaked.
		if err := st.EndUserLinks(ctx, id, d.now()); err != nil {
			return logEntry{}, err
		}
		// The administrator is the entry's actor (inLog), the user its target.
		return logEntry{action: domain.DirSessionsEnded, target: domain.Target{Kind: domain.TargetUser, ID: id},
			payload: map[string]any{"label": u.Email, "tokens_revoked": tokenIDs(revoked)}}, nil
	})
}

// IssuePasswordLink creates a new one-time set-password link for user id
// (admins only) and returns its secret; earlier unused links stop working.
func (d *Directory) IssuePasswordLink(ctx context.Context, by domain.Actor, id int64) (string, error) {
	if err := domain.Can(by, domain.ActionManageUsers, domain.OnInstance()); err != nil {
		return "", err
	}
	var secret string
	err := d.inLog(ctx, by, func(st *store.Store) (logEntry, error) {
		u, err := st.GetUser(ctx, id)
		if err != nil {
			return logEntry{}, err
		}
		if secret, err = d.access.newPasswordLink(ctx, st, id); err != nil {
			return logEntry{}, err
		}
		// The log says a link was issued, never the link.
		return logEntry{action: domain.DirPasswordLinkIssued, target: domain.Target{Kind: domain.TargetUser, ID: id},
			payload: map[string]any{"label": u.Email}}, nil
	})
	return secret, err
}

// CreateAdmin creates a global admin with a password, in organisation
// home, found by name or created as given (named "cmcoord administrators"
// when unnamed; type "other" and an acronym of its initials when those are
// not given). It is for `cmcoord admin create`, run by an operator with
// database access, and for the demo data.
func (d *Directory) CreateAdmin(ctx context.Context, email, name, password string, home domain.Organization) (domain.User, error) {
	if password == "" {
		return domain.User{}, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"password": "field.required"}}
	}
	if home.Name == "" {
		home.Name = "cmcoord administrators"
	}
	org, err := d.store.GetOrganizationByName(ctx, home.Name)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		o := home
		if o.Acronym == "" {
			o.Acronym = acronymOf(o.Name)
		}
		if o.Type == "" {
			o.Type = domain.OrgOther
		}
		domain.NormalizeOrganization(&o)
		if err := domain.ValidateOrganization(o); err != nil {
			return domain.User{}, err
		}
		// The operator at the command line is no user: no actor.
		err = d.inLog(ctx, domain.Actor{}, func(st *store.Store) (logEntry, error) {
			var err error
			if org, err = st.CreateOrganization(ctx, o, d.now()); err != nil {
				return logEntry{}, err
			}
			return created(domain.DirOrganizationCreated, domain.TargetOrganization, org.ID, org.Name, domain.OrganizationAudit(org)), nil
		})
	}
	if err != nil {
		return domain.User{}, err
	}
	u, _, err := d.createUser(ctx, domain.Actor{}, NewUser{
		User:     domain.User{Email: email, Name: name, OrganizationID: org.ID, Language: "en", IsAdmin: true},
		Password: password,
	})
	return u, err
}

// acronymOf makes an acronym from the initials of name.
func acronymOf(name string) string {
	out := []rune{}
	start := true
	for _, r := range name {
		if r == ' ' || r == '-' {
			start = true
			continue
		}
		if start {
			out = append(out, r)
			start = false
		}
	}
	if len(out) > 10 {
		out = out[:10]
	}
	return string(out)
}

// ListOperations returns the operations the actor may see: all of them
// for an admin, their own for everyone else.
func (d *Directory) ListOperations(ctx context.Context, by domain.Actor) ([]domain.Operation, error) {
	if by.Anonymous() {
		return nil, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	all, err := d.store.ListOperations(ctx)
	if err != nil || by.IsAdmin {
		return all, err
	}
	// The member's own, as their memberships say.
	var out []domain.Operation
	for _, op := range all {
		if by.IsMember(op.ID) {
			out = append(out, op)
		}
	}
	return out, nil
}

// GetOperation returns the operation with code if the actor may see it;
// otherwise CodeNotFound, exactly as if it did not exist.
func (d *Directory) GetOperation(ctx context.Context, by domain.Actor, code string) (domain.Operation, error) {
	if by.Anonymous() {
		return domain.Operation{}, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	op, err := d.store.GetOperationByCode(ctx, code)
	if err != nil {
		return domain.Operation{}, err
	}
	if err := domain.Can(by, domain.ActionViewOperation, domain.InOperation(op.ID)); err != nil {
		return domain.Operation{}, err
	}
	return op, nil
}

// CreateOperation creates o (admins only).
func (d *Directory) CreateOperation(ctx context.Context, by domain.Actor, o domain.Operation) (domain.Operation, error) {
	if err := domain.Can(by, domain.ActionCreateOperation, domain.OnInstance()); err != nil {
		return domain.Operation{}, err
	}
	domain.NormalizeOperation(&o)
	if err := domain.ValidateOperation(o); err != nil {
		return domain.Operation{}, err
	}
	var out domain.Operation
	err := d.inLog(ctx, by, func(st *store.Store) (logEntry, error) {
		var err error
		if out, err = st.CreateOperation(ctx, o, d.now()); err != nil {
			return logEntry{}, fieldConflict(err, "code", "operation.code_taken")
		}
		return created(domain.DirOperationCreated, domain.TargetOperation, out.ID, out.Code, domain.OperationAudit(out)), nil
	})
	return out, err
}

// UpdateOperation saves o, identified by its current code (admins
// only). o.UpdatedAt, when set, is when the operation was saved as the
// editor loaded it: saved since, the change is refused
// (domain.EditedMeanwhile).
func (d *Directory) UpdateOperation(ctx context.Context, by domain.Actor, code string, o domain.Operation) (domain.Operation, error) {
	cur, err := d.GetOperation(ctx, by, code)
	if err != nil {
		return domain.Operation{}, err
	}
	if err := domain.Can(by, domain.ActionEditOperation, domain.InOperation(cur.ID)); err != nil {
		return domain.Operation{}, err
	}
	o.ID = cur.ID
	domain.NormalizeOperation(&o)
	if err := domain.ValidateOperation(o); err != nil {
		return domain.Operation{}, err
	}
	var out domain.Operation
	err = d.inLog(ctx, by, func(st *store.Store) (logEntry, error) {
		old, err := st.GetOperation(ctx, o.ID)
		if err != nil {
			return logEntry{}, err
		}
		if stale(o.UpdatedAt, old.UpdatedAt) {
			return logEntry{}, domain.EditedMeanwhile(domain.OperationAudit(old), domain.OperationAudit(o))
		}
		if out, err = st.UpdateOperation(ctx, o, d.now()); err != nil {
			return logEntry{}, fieldConflict(err, "code", "operation.code_taken")
		}
		return updated(domain.DirOperationUpdated, domain.TargetOperation, out.ID, out.Code,
			domain.OperationAudit(old), domain.OperationAudit(out)), nil
	})
	return out, err
}

// ListMembers returns the members of operation code (admins and the
// operation's officers: the list holds contact details).
func (d *Directory) ListMembers(ctx context.Context, by domain.Actor, code string) (domain.Operation, []domain.Member, error) {
	op, err := d.visibleOperation(ctx, by, code, domain.ActionViewMembers)
	if err != nil {
		return domain.Operation{}, nil, err
	}
	ms, err := d.store.ListMembers(ctx, op.ID)
	return op, ms, err
}

// visibleOperation loads operation code and checks action on it, answering
// CodeNotFound for an operation the actor cannot see.
func (d *Directory) visibleOperation(ctx context.Context, by domain.Actor, code string, action domain.Action) (domain.Operation, error) {
	if by.Anonymous() {
		return domain.Operation{}, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	op, err := d.store.GetOperationByCode(ctx, code)
	if err != nil {
		return domain.Operation{}, err
	}
	return op, domain.Can(by, action, domain.InOperation(op.ID))
}

// SetMember gives user userID exactly roles in operation code; an empty
// set removes them. It is the API's PUT and DELETE. domain.CanSetRoles
// decides who may change which roles (separation of duties: nobody
// changes their own, HC, HRDDP reviewer and officer roles are the
// administrator's); every change is logged in the directory log in the
// same transaction. A disabled user is given no new role.
//
// Only those who may browse the user directory (administrators) learn
// whether a user ID exists: to anyone else a user who is not a member of
// the operation is CodeNotFound, exactly like an ID nobody has.
func (d *Directory) SetMember(ctx context.Context, by domain.Actor, code string, userID int64, roles domain.RoleSet) error {
	_, err := d.setMember(ctx, by, code, userID, !d.browsesUsers(by), func(int64, domain.RoleSet) (domain.RoleSet, error) { return roles, nil })
	return err
}

// SetMemberFromForm is SetMember for a form that offers only the roles
// domain.GrantableRoles lists: posted are the ticked roles, and the
// member's other roles stay as they are (domain.RolesFromForm). So an
// officer editing a member who is also HC changes the roles they manage
// and leaves HC alone; a ticked role the form did not offer is refused.
// It returns the member's roles after the change (none: removed). seen,
// when not nil, are the member's roles as the form showed them: changed
// since, nothing is saved (domain.RolesEditedMeanwhile).
func (d *Directory) SetMemberFromForm(ctx context.Context, by domain.Actor, code string, userID int64, posted, seen domain.RoleSet) (domain.RoleSet, error) {
	return d.setMember(ctx, by, code, userID, !d.browsesUsers(by), func(opID int64, current domain.RoleSet) (domain.RoleSet, error) {
		next := domain.RolesFromForm(by, opID, userID, current, posted)
		if seen != nil && !domain.SameRoles(seen, current) && !domain.SameRoles(next, current) {
			return nil, domain.RolesEditedMeanwhile(current, next)
		}
		return next, nil
	})
}

// setMember changes user userID's roles in operation code to what
// wanted makes of the current ones, in one transaction that holds the
// directory log's lock, the membership row, and appends the change.
// With hideOutsiders, a user who is not a member of the operation is
// CodeNotFound, as one who does not exist. It returns the roles after
// the change.
func (d *Directory) setMember(ctx context.Context, by domain.Actor, code string, userID int64, hideOutsiders bool,
	wanted func(opID int64, current domain.RoleSet) (domain.RoleSet, error)) (domain.RoleSet, error) {
	op, err := d.visibleOperation(ctx, by, code, domain.ActionManageMembers)
	if err != nil {
		return nil, err
	}
	var next domain.RoleSet
	err = d.inLog(ctx, by, func(st *store.Store) (logEntry, error) {
		current, err := st.MembershipRoles(ctx, op.ID, userID)
		if err != nil {
			return logEntry{}, err
		}
		u, err := st.GetUser(ctx, userID)
		if hideOutsiders && (err == nil || domain.ErrorCode(err) == domain.CodeNotFound) && len(current) == 0 {
			return logEntry{}, domain.Errorf(domain.CodeNotFound, "error.not_found")
		}
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return logEntry{}, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"user": "member.unknown_user_id"}}
		}
		if err != nil {
			return logEntry{}, err
		}
		if next, err = wanted(op.ID, current); err != nil {
			return logEntry{}, err
		}
		if err := domain.CanSetRoles(by, op.ID, userID, current, next); err != nil {
			return logEntry{}, err
		}
		if u.Disabled && len(domain.Granted(current, next)) > 0 {
			return logEntry{}, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"user": "member.user_disabled"}}
		}
		action := domain.MembershipAction(current, next)
		if action == "" {
			return logEntry{}, nil
		}
		if err := st.SetMembership(ctx, op.ID, userID, next, d.now()); err != nil {
			return logEntry{}, err
		}
		return logEntry{action: action, target: domain.Target{Kind: domain.TargetUser, ID: userID}, opID: op.ID,
			payload: map[string]any{"label": u.Email, "operation": op.Code, "old": current.Strings(), "new": next.Strings(),
				"granted": domain.Granted(current, next).Strings(), "removed": domain.Removed(current, next).Strings()}}, nil
	})
	return next, err
}

// browsesUsers reports whether by may read the whole user directory
// (and so may be told whether an account exists).
func (d *Directory) browsesUsers(by domain.Actor) bool {
	return domain.Allowed(by, domain.ActionManageUsers, domain.OnInstance())
}

// SetMemberRoles is SetMember for role names as a client sent them: nil
// (no roles given at all) is a field error, an empty list removes the
// membership. Authorization is checked before the names.
func (d *Directory) SetMemberRoles(ctx context.Context, by domain.Actor, code string, userID int64, names []string) error {
	if _, err := d.visibleOperation(ctx, by, code, domain.ActionManageMembers); err != nil {
		return err
	}
	if names == nil {
		return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"roles": "field.required"}}
	}
	roles, err := domain.NewRoleSet(names...)
	if err != nil {
		return err
	}
	return d.SetMember(ctx, by, code, userID, roles)
}

// SetMemberByEmail adds roles to those the user with email holds in
// operation code (an officer knows colleagues by address, not by ID); it
// never removes one.
//
// Only those who may browse the user directory (administrators) add at
// once: they get confirmed = true, and field errors for an unknown or
// disabled address. Anyone else (an officer) never has the address
// looked up: their addition is recorded as a pending invitation
// (invite), which takes effect when an account with the address signs in
// or is created, and they get confirmed = false whether or not an
// account has it. So adding by e-mail reveals nothing about accounts
// outside the operation. Whatever does not depend on the account (no
// roles, a malformed address, a role they may not grant, their own
// address) is refused the same way for everyone.
func (d *Directory) SetMemberByEmail(ctx context.Context, by domain.Actor, code, email string, roles domain.RoleSet) (confirmed bool, err error) {
	op, err := d.visibleOperation(ctx, by, code, domain.ActionManageMembers)
	if err != nil {
		return false, err
	}
	// Every problem at once: the address and the roles.
	email = domain.NormalizeEmail(email)
	fields := map[string]string{}
	var e *domain.Error
	if asErr(domain.ValidateEmail("email", email), &e) {
		maps.Copy(fields, e.Fields)
	}
	if len(roles) == 0 {
		fields["roles"] = "member.no_roles"
	}
	if len(fields) > 0 {
		return false, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: fields}
	}
	if strings.EqualFold(email, by.Email) {
		return false, domain.CanSetRoles(by, op.ID, by.UserID, nil, roles) // grant.self
	}
	if err := domain.CanSetRoles(by, op.ID, 0, nil, roles); err != nil { // 0: someone else, unknown yet
		return false, err
	}
	if !d.browsesUsers(by) {
		return false, d.invite(ctx, by, op, email, roles)
	}
	u, err := d.store.GetUserByEmail(ctx, email)
	switch {
	case domain.ErrorCode(err) == domain.CodeNotFound:
		return false, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"email": "member.unknown_user"}}
	case err != nil:
		return false, err
	}
	_, err = d.setMember(ctx, by, code, u.ID, false, func(_ int64, current domain.RoleSet) (domain.RoleSet, error) {
		return current.Union(roles), nil
	})
	if asErr(err, &e) && e.Fields["user"] != "" {
		e.Fields = map[string]string{"email": e.Fields["user"]}
	}
	return err == nil, err
}

// invite records by's invitation of email to operation op with roles,
// and logs it, in one transaction; an invitation of the address already
// pending there gains the roles (union) and becomes by's. It reads no
// account.
func (d *Directory) invite(ctx context.Context, by domain.Actor, op domain.Operation, email string, roles domain.RoleSet) error {
	email = domain.InvitationEmail(email)
	return d.inLog(ctx, by, func(st *store.Store) (logEntry, error) {
		old, err := st.PendingInvitation(ctx, op.ID, email)
		switch {
		case domain.ErrorCode(err) == domain.CodeNotFound:
			old = domain.Invitation{Roles: domain.RoleSet{}}
		case err != nil:
			return logEntry{}, err
		}
		inv, err := st.SaveInvitation(ctx, domain.Invitation{OperationID: op.ID, Email: email,
			Roles: old.Roles.Union(roles), InvitedBy: by.UserID}, d.now())
		if err != nil {
			return logEntry{}, err
		}
		return invitationEntry(domain.DirMemberInvited, op.Code, inv, domain.Granted(old.Roles, inv.Roles)), nil
	})
}

// invitationEntry is the log entry of an invitation's event that names
// the operation, not an account: granted are the roles the event adds.
func invitationEntry(action, opCode string, inv domain.Invitation, granted domain.RoleSet) logEntry {
	return logEntry{action: action, target: domain.Target{Kind: domain.TargetOperation, ID: inv.OperationID}, opID: inv.OperationID,
		payload: map[string]any{"label": opCode, "operation": opCode, "email": inv.Email, "invitation": inv.ID,
			"invited_by": inv.InvitedBy, "roles": inv.Roles.Strings(), "granted": append([]string{}, granted.Strings()...)}}
}

// ListInvitations returns the pending invitations to operation code, to
// those who may read its member list. They name an address and its
// inviter, never an account: the list looks the same whether or not an
// account has the address.
func (d *Directory) ListInvitations(ctx context.Context, by domain.Actor, code string) ([]domain.Invitation, error) {
	op, err := d.visibleOperation(ctx, by, code, domain.ActionViewMembers)
	if err != nil {
		return nil, err
	}
	return d.store.ListInvitations(ctx, op.ID)
}

// CancelInvitation withdraws invitation id to operation code, for those
// who may remove the roles it would grant (domain.CanSetRoles: the
// operation's officers, administrators), and logs it. Cancelling an
// invitation the operation does not have changes nothing, like removing
// a non-member.
func (d *Directory) CancelInvitation(ctx context.Context, by domain.Actor, code string, id int64) error {
	op, err := d.visibleOperation(ctx, by, code, domain.ActionManageMembers)
	if err != nil {
		return err
	}
	return d.inLog(ctx, by, func(st *store.Store) (logEntry, error) {
		inv, err := st.DeleteInvitation(ctx, op.ID, id)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return logEntry{}, nil
		}
		if err != nil {
			return logEntry{}, err
		}
		// Refused, the transaction rolls the deletion back.
		if err := domain.CanSetRoles(by, op.ID, 0, inv.Roles, nil); err != nil {
			return logEntry{}, err
		}
		return invitationEntry(domain.DirInvitationCancelled, op.Code, inv, nil), nil
	})
}

// acceptInvitations gives enabled account u the roles of every pending
// invitation of its address, in st's transaction, and returns the log
// entries: each grant (the union with u's current roles) passes
// domain.CanSetRoles with the inviter as the actor, as it is now; one
// the rule refuses (the inviter lost the role, or was disabled) is
// dropped with the reason. Every invitation taken is deleted. A disabled
// account takes nothing: its invitations stay pending.
func acceptInvitations(ctx context.Context, st *store.Store, u domain.User, now time.Time) ([]logEntry, error) {
	if u.Disabled {
		return nil, nil
	}
	invs, codes, err := st.TakeInvitations(ctx, u.Email)
	if err != nil {
		return nil, err
	}
	var out []logEntry
	for _, inv := range invs {
		current, err := st.MembershipRoles(ctx, inv.OperationID, u.ID)
		if err != nil {
			return nil, err
		}
		next := current.Union(inv.Roles)
		entry := logEntry{actor: inv.InvitedBy, target: domain.Target{Kind: domain.TargetUser, ID: u.ID}, opID: inv.OperationID,
			payload: map[string]any{"label": u.Email, "operation": codes[inv.OperationID], "invitation": inv.ID,
				"invited_at": inv.CreatedAt.UTC().Format(time.RFC3339Nano), "roles": inv.Roles.Strings()}}
		reason, err := invitationRefusal(ctx, st, inv, u, current, next, now)
		if err != nil {
			return nil, err
		}
		if reason != "" {
			entry.action = domain.DirInvitationDropped
			entry.payload["reason"] = reason
			out = append(out, entry)
			continue
		}
		if err := st.SetMembership(ctx, inv.OperationID, u.ID, next, now); err != nil {
			return nil, err
		}
		entry.action = domain.DirInvitationAccepted
		entry.payload["old"], entry.payload["new"] = current.Strings(), next.Strings()
		entry.payload["granted"] = append([]string{}, domain.Granted(current, next).Strings()...)
		out = append(out, entry)
	}
	return out, nil
}

// invitationRefusal returns why the grant rule refuses invitation inv's
// change of u's roles from current to next, as the inviter stands now
// (an i18n key), or "" when it allows it.
func invitationRefusal(ctx context.Context, st *store.Store, inv domain.Invitation, u domain.User, current, next domain.RoleSet, now time.Time) (string, error) {
	inviter, ms, err := st.UserWithMemberships(ctx, inv.InvitedBy, now)
	if err != nil {
		return "", err
	}
	if inviter.Disabled {
		return "invitation.inviter_disabled", nil
	}
	err = domain.CanSetRoles(actorOf(inviter, ms), inv.OperationID, u.ID, current, next)
	var e *domain.Error
	switch {
	case err == nil:
		return "", nil
	case asErr(err, &e) && e.Fields["roles"] != "":
		return e.Fields["roles"], nil // grant.self, grant.admin_only
	case asErr(err, &e):
		return "invitation.inviter_not_allowed", nil // no longer manages the operation's members
	}
	return "", err
}

// takeInvitations applies u's pending invitations (acceptInvitations) in
// one transaction with their log entries. It is the sign-in's step: it
// costs one indexed read when there are none.
func takeInvitations(ctx context.Context, s *store.Store, u domain.User, now func() time.Time) error {
	if u.Disabled {
		return nil
	}
	pending, err := s.HasInvitations(ctx, u.Email)
	if err != nil || !pending {
		return err
	}
	return inDirectoryLog(ctx, s, now, func(st *store.Store) ([]logEntry, error) {
		return acceptInvitations(ctx, st, u, now())
	})
}

// logEntry is the directory log entry a change makes; the zero value
// (no action) logs nothing.
type logEntry struct {
	// actor is the user recorded as acting (0: the command line); inLog
	// sets it to its by.
	actor   int64
	action  string
	target  domain.Target
	opID    int64
	payload map[string]any
	// address is the client address the change came from ("" for the
	// command line); inLogAll sets it to its by's. It is kept in the
	// payload, under "address", so it is part of the hashed content.
	address string
}

// created is the entry of a new record: its label (name, e-mail or code,
// for the reader) and its fields as they were stored.
func created(action string, kind domain.TargetKind, id int64, label string, record map[string]any) logEntry {
	return logEntry{action: action, target: domain.Target{Kind: kind, ID: id},
		payload: map[string]any{"label": label, "record": record}}
}

// updated is the entry of an edit from old to new, or none when the edit
// changed nothing.
func updated(action string, kind domain.TargetKind, id int64, label string, old, new map[string]any) logEntry {
	changes := domain.FieldChanges(old, new)
	if len(changes) == 0 {
		return logEntry{}
	}
	return logEntry{action: action, target: domain.Target{Kind: kind, ID: id},
		payload: map[string]any{"label": label, "changes": changes}}
}

// inLog runs fn in one transaction holding the directory log's lock and
// appends the entry fn returns, so a change and its log entry commit
// together or not at all. by is the actor recorded (the zero Actor for
// the command line).
func (d *Directory) inLog(ctx context.Context, by domain.Actor, fn func(st *store.Store) (logEntry, error)) error {
	return d.inLogAll(ctx, by, func(st *store.Store) ([]logEntry, error) {
		e, err := fn(st)
		return []logEntry{e}, err
	})
}

// inLogAll is inLog for a change that makes several entries; an entry
// without its own actor is by's.
func (d *Directory) inLogAll(ctx context.Context, by domain.Actor, fn func(st *store.Store) ([]logEntry, error)) error {
	return inDirectoryLog(ctx, d.store, d.now, func(st *store.Store) ([]logEntry, error) {
		entries, err := fn(st)
		for i := range entries {
			if entries[i].actor == 0 {
				entries[i].actor = by.UserID
			}
			if entries[i].address == "" {
				entries[i].address = by.Address
			}
		}
		return entries, err
	})
}

// inDirectoryLog runs fn in one transaction holding the directory log's
// lock and appends, in order, the entries fn returns (those without an
// action are skipped).
func inDirectoryLog(ctx context.Context, s *store.Store, now func() time.Time, fn func(st *store.Store) ([]logEntry, error)) error {
	return s.InTx(ctx, func(st *store.Store) error {
		prev, err := st.LastDirectoryEvent(ctx)
		if err != nil {
			return err
		}
		entries, err := fn(st)
		if err != nil {
			return err
		}
		for _, entry := range entries {
			if entry.action == "" {
				continue
			}
			if entry.address != "" {
				if entry.payload == nil {
					entry.payload = map[string]any{}
				}
				entry.payload["address"] = entry.address
			}
			e, err := domain.NewDirectoryEvent(prev, domain.DirectoryEvent{ActorID: entry.actor, Action: entry.action,
				Target: entry.target, OperationID: entry.opID}, entry.payload, now())
			if err != nil {
				return err
			}
			if e, err = st.InsertDirectoryEvent(ctx, e); err != nil {
				return err
			}
			prev = &e
		}
		return nil
	})
}

// DirectoryLogPage is one page of the directory log, newest first.
type DirectoryLogPage struct {
	Items []domain.DirectoryEvent
	// Before, passed back, fetches the next (older) page; 0 on the last.
	Before int64
}

// DirectoryLogPageSize is how many entries a page of the log holds at most.
const DirectoryLogPageSize = 50

// DirectoryLog returns a page of the directory log, entries with seq
// below before (0: the newest), at most limit (1 to DirectoryLogPageSize;
// anything else means DirectoryLogPageSize). The log names users and
// their e-mail addresses, so only those who manage users may read it.
func (d *Directory) DirectoryLog(ctx context.Context, by domain.Actor, before int64, limit int) (DirectoryLogPage, error) {
	if err := domain.Can(by, domain.ActionViewDirectoryLog, domain.OnInstance()); err != nil {
		return DirectoryLogPage{}, err
	}
	if limit < 1 || limit > DirectoryLogPageSize {
		limit = DirectoryLogPageSize
	}
	if before < 0 {
		before = 0
	}
	// One more than asked says whether an older page exists.
	items, err := d.store.ListDirectoryEvents(ctx, before, limit+1)
	if err != nil {
		return DirectoryLogPage{}, err
	}
	var page DirectoryLogPage
	if len(items) > limit {
		items = items[:limit]
		page.Before = items[limit-1].Seq
	}
	page.Items = items
	return page, nil
}

// DirectoryLogReport is the outcome of verifying the directory log.
type DirectoryLogReport struct {
	Events int // entries checked
	Break  *domain.ChainBreak
	// HeadSeq and HeadHash are the newest entry's: kept outside cmcoord
	// and passed back as an anchor, they reveal newest entries removed,
	// which a chain alone cannot.
	HeadSeq  int64
	HeadHash []byte
}

// Anchor is a head of the directory log recorded earlier (a report's
// HeadSeq and HeadHash): the log must still hold that entry, unchanged.
type Anchor struct {
	Seq  int64
	Hash []byte
}

// VerifyDirectoryLog walks the directory log's chain, streaming, in one
// snapshot, and stops at the first entry that does not verify. With an
// anchor (nil for none), the entry at the anchor's seq must carry its
// hash, and the log must reach it: otherwise entries were removed or
// rewritten since the anchor was recorded, and the break says so.
func (d *Directory) VerifyDirectoryLog(ctx context.Context, anchor *Anchor) (DirectoryLogReport, error) {
	var (
		rep  DirectoryLogReport
		prev *domain.DirectoryEvent
	)
	errStop := errors.New("stop")
	err := d.store.InTxWith(ctx, readOnlySnapshot, func(st *store.Store) error {
		if err := st.ForLongRead(ctx); err != nil {
			return err
		}
		return st.EachDirectoryEvent(ctx, func(e domain.DirectoryEvent) error {
			rep.Events++
			if brk := domain.VerifyDirectoryNext(prev, e); brk != nil {
				rep.Break = brk
				return errStop
			}
			if anchor != nil && e.Seq == anchor.Seq && !bytes.Equal(e.Hash, anchor.Hash) {
				rep.Break = &domain.ChainBreak{Seq: int(e.Seq), EventID: e.ID, Problem: "its hash is not the anchor's: the log was rewritten since the anchor"}
				return errStop
			}
			ev := e
			prev = &ev
			rep.HeadSeq, rep.HeadHash = e.Seq, e.Hash
			return nil
		})
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	if err == nil && rep.Break == nil && anchor != nil && rep.HeadSeq < anchor.Seq {
		rep.Break = &domain.ChainBreak{Seq: int(anchor.Seq),
			Problem: fmt.Sprintf("the log ends at seq %d, before the anchor's seq %d: entries were removed", rep.HeadSeq, anchor.Seq)}
	}
	return rep, err
}

// accountEntry is the security log entry of an event of user u's account
// (sign-in, password, token, factor, single sign-on); extra goes into the
// payload beside the user's e-mail as label.
func accountEntry(action string, u domain.User, extra map[string]any) logEntry {
	payload := map[string]any{"label": u.Email}
	for k, v := range extra {
		payload[k] = v
	}
	return logEntry{actor: u.ID, action: action, target: domain.Target{Kind: domain.TargetUser, ID: u.ID}, payload: payload}
}

// logAccount appends entries to the security log (the directory log's
// chain) on st, from address: in the caller's transaction when st is one,
// so the event and the change it records commit together.
func logAccount(ctx context.Context, st *store.Store, now func() time.Time, address string, entries ...logEntry) error {
	for i := range entries {
		if entries[i].address == "" {
			entries[i].address = address
		}
	}
	return inDirectoryLog(ctx, st, now, func(*store.Store) ([]logEntry, error) { return entries, nil })
}

// EachDirectoryEvent calls fn with every entry of the directory log (the
// security log) in chain order, from one snapshot, streaming: the
// administrators' JSON-lines export.
func (d *Directory) EachDirectoryEvent(ctx context.Context, by domain.Actor, fn func(domain.DirectoryEvent) error) error {
	if err := domain.Can(by, domain.ActionViewDirectoryLog, domain.OnInstance()); err != nil {
		return err
	}
	return d.store.InTxWith(ctx, readOnlySnapshot, func(st *store.Store) error {
		if err := st.ForLongRead(ctx); err != nil {
			return err
		}
		return st.EachDirectoryEvent(ctx, fn)
	})
}
