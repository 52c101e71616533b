package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// Directory owns organisations, users, operations and memberships: who
// exists and who holds which roles where. Every method asks domain.Can.
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
	if err := domain.Can(by, domain.ActionManageOrganizations, 0); err != nil {
		return domain.Organization{}, err
	}
	domain.NormalizeOrganization(&o)
	if err := domain.ValidateOrganization(o); err != nil {
		return domain.Organization{}, err
	}
	out, err := d.store.CreateOrganization(ctx, o, d.now())
	return out, fieldConflict(err, "name", "organization.name_taken")
}

// UpdateOrganization saves o (admins only).
func (d *Directory) UpdateOrganization(ctx context.Context, by domain.Actor, o domain.Organization) (domain.Organization, error) {
	if err := domain.Can(by, domain.ActionManageOrganizations, 0); err != nil {
		return domain.Organization{}, err
	}
	domain.NormalizeOrganization(&o)
	if err := domain.ValidateOrganization(o); err != nil {
		return domain.Organization{}, err
	}
	out, err := d.store.UpdateOrganization(ctx, o, d.now())
	return out, fieldConflict(err, "name", "organization.name_taken")
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
	if err := domain.Can(by, domain.ActionManageUsers, 0); err != nil {
		return nil, err
	}
	return d.store.ListUsers(ctx)
}

// GetUser returns user id (admins only).
func (d *Directory) GetUser(ctx context.Context, by domain.Actor, id int64) (domain.User, error) {
	if err := domain.Can(by, domain.ActionManageUsers, 0); err != nil {
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
}

// CreateUser creates a user (admins only). Without an initial password it
// returns the secret of a set-password link (valid PasswordLinkLifetime)
// for the admin to pass on: the face turns it into /set-password/<secret>.
func (d *Directory) CreateUser(ctx context.Context, by domain.Actor, in NewUser) (domain.User, string, error) {
	if err := domain.Can(by, domain.ActionManageUsers, 0); err != nil {
		return domain.User{}, "", err
	}
	return d.createUser(ctx, in)
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

func (d *Directory) createUser(ctx context.Context, in NewUser) (domain.User, string, error) {
	u := in.User
	domain.NormalizeUser(&u)
	err := domain.ValidateUser(u)
	if in.Password != "" {
		err = mergeInvalid(err, domain.ValidatePassword("password", in.Password))
	}
	if err != nil {
		return domain.User{}, "", err
	}
	if err := d.requireOrganization(ctx, u.OrganizationID); err != nil {
		return domain.User{}, "", err
	}
	hash := ""
	if in.Password != "" {
		if hash, err = HashPassword(in.Password); err != nil {
			return domain.User{}, "", err
		}
	}
	var out domain.User
	var secret string
	err = d.store.InTx(ctx, func(st *store.Store) error {
		var err error
		out, err = st.CreateUser(ctx, u, hash, d.now())
		if err != nil {
			return fieldConflict(err, "email", "user.email_taken")
		}
		if hash == "" {
			secret, err = d.access.newPasswordLink(ctx, st, out.ID)
		}
		return err
	})
	return out, secret, err
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

// UpdateUser saves an admin's edit of u. Disabling a user ends every
// session (the epoch changes) and revokes every API token, in one
// transaction. An admin cannot disable or demote themselves, so the
// instance never loses its last way in by accident.
func (d *Directory) UpdateUser(ctx context.Context, by domain.Actor, u domain.User) (domain.User, error) {
	if err := domain.Can(by, domain.ActionManageUsers, 0); err != nil {
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
	err := d.store.InTx(ctx, func(st *store.Store) error {
		var err error
		now := d.now()
		if out, err = st.UpdateUser(ctx, u, now); err != nil {
			return fieldConflict(err, "email", "user.email_taken")
		}
		if out.Disabled {
			return st.RevokeAllAPITokens(ctx, out.ID, now)
		}
		return nil
	})
	return out, err
}

// IssuePasswordLink creates a new one-time set-password link for user id
// (admins only) and returns its secret; earlier unused links stop working.
func (d *Directory) IssuePasswordLink(ctx context.Context, by domain.Actor, id int64) (string, error) {
	if err := domain.Can(by, domain.ActionManageUsers, 0); err != nil {
		return "", err
	}
	if _, err := d.store.GetUser(ctx, id); err != nil {
		return "", err
	}
	var secret string
	err := d.store.InTx(ctx, func(st *store.Store) error {
		var err error
		secret, err = d.access.newPasswordLink(ctx, st, id)
		return err
	})
	return secret, err
}

// CreateAdmin creates a global admin with a password, in organisation
// orgName (created, type "other", when missing). It is for `cmcoord admin
// create`, run by an operator with database access.
func (d *Directory) CreateAdmin(ctx context.Context, email, name, password, orgName string) (domain.User, error) {
	if password == "" {
		return domain.User{}, &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"password": "field.required"}}
	}
	if orgName == "" {
		orgName = "cmcoord administrators"
	}
	org, err := d.store.GetOrganizationByName(ctx, orgName)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		o := domain.Organization{Name: orgName, Acronym: acronymOf(orgName), Type: domain.OrgOther}
		domain.NormalizeOrganization(&o)
		if err := domain.ValidateOrganization(o); err != nil {
			return domain.User{}, err
		}
		org, err = d.store.CreateOrganization(ctx, o, d.now())
	}
	if err != nil {
		return domain.User{}, err
	}
	u, _, err := d.createUser(ctx, NewUser{
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
	if by.IsAdmin {
		return d.store.ListOperations(ctx)
	}
	return d.store.ListOperationsOf(ctx, by.UserID)
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
	if err := domain.Can(by, domain.ActionViewOperation, op.ID); err != nil {
		return domain.Operation{}, err
	}
	return op, nil
}

// CreateOperation creates o (admins only).
func (d *Directory) CreateOperation(ctx context.Context, by domain.Actor, o domain.Operation) (domain.Operation, error) {
	if err := domain.Can(by, domain.ActionCreateOperation, 0); err != nil {
		return domain.Operation{}, err
	}
	domain.NormalizeOperation(&o)
	if err := domain.ValidateOperation(o); err != nil {
		return domain.Operation{}, err
	}
	out, err := d.store.CreateOperation(ctx, o, d.now())
	return out, fieldConflict(err, "code", "operation.code_taken")
}

// UpdateOperation saves o, identified by its current code (admins only).
func (d *Directory) UpdateOperation(ctx context.Context, by domain.Actor, code string, o domain.Operation) (domain.Operation, error) {
	cur, err := d.GetOperation(ctx, by, code)
	if err != nil {
		return domain.Operation{}, err
	}
	if err := domain.Can(by, domain.ActionEditOperation, cur.ID); err != nil {
		return domain.Operation{}, err
	}
	o.ID = cur.ID
	domain.NormalizeOperation(&o)
	if err := domain.ValidateOperation(o); err != nil {
		return domain.Operation{}, err
	}
	out, err := d.store.UpdateOperation(ctx, o, d.now())
	return out, fieldConflict(err, "code", "operation.code_taken")
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
	return op, domain.Can(by, action, op.ID)
}

// SetMember gives user userID exactly roles in operation code; an empty
// set removes them. Admins may do this anywhere, officers in their own
// operations only. A disabled user cannot be added.
func (d *Directory) SetMember(ctx context.Context, by domain.Actor, code string, userID int64, roles domain.RoleSet) error {
	op, err := d.visibleOperation(ctx, by, code, domain.ActionManageMembers)
	if err != nil {
		return err
	}
	u, err := d.store.GetUser(ctx, userID)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"user": "member.unknown_user_id"}}
	}
	if err != nil {
		return err
	}
	if u.Disabled && len(roles) > 0 {
		return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"user": "member.user_disabled"}}
	}
	return d.store.SetMembership(ctx, op.ID, userID, roles, d.now())
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

// SetMemberByEmail is SetMember for the user with email, as an officer
// knows their colleagues by address, not by ID.
func (d *Directory) SetMemberByEmail(ctx context.Context, by domain.Actor, code, email string, roles domain.RoleSet) error {
	if _, err := d.visibleOperation(ctx, by, code, domain.ActionManageMembers); err != nil {
		return err
	}
	u, err := d.store.GetUserByEmail(ctx, domain.NormalizeEmail(email))
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"email": "member.unknown_user"}}
	}
	if err != nil {
		return err
	}
	if len(roles) == 0 {
		return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"roles": "member.no_roles"}}
	}
	err = d.SetMember(ctx, by, code, u.ID, roles)
	var e *domain.Error
	if asErr(err, &e) && e.Fields["user"] != "" {
		e.Fields = map[string]string{"email": e.Fields["user"]}
	}
	return err
}
