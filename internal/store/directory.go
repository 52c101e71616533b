package store

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

const organizationCols = `id, name, acronym, type, un_entity, created_at, updated_at`

func scanOrganization(row pgx.CollectableRow) (domain.Organization, error) {
	var o domain.Organization
	err := row.Scan(organizationDest(&o)...)
	return o, err
}

// organizationDest is where the columns of organizationCols are scanned
// into o, in their order.
func organizationDest(o *domain.Organization) []any {
	return []any{&o.ID, &o.Name, &o.Acronym, &o.Type, &o.UNEntity, &o.CreatedAt, &o.UpdatedAt}
}

// CreateOrganization inserts o and returns it with its ID. A duplicate name
// is CodeConflict "conflict.organizations_name_key".
func (s *Store) CreateOrganization(ctx context.Context, o domain.Organization, now time.Time) (domain.Organization, error) {
	rows, _ := s.db.Query(ctx,
		`INSERT INTO organizations (name, acronym, type, un_entity, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $5) RETURNING `+organizationCols,
		o.Name, o.Acronym, o.Type, o.UNEntity, now)
	out, err := pgx.CollectExactlyOneRow(rows, scanOrganization)
	return out, dbErr(err, "create organization")
}

// UpdateOrganization saves o's fields.
func (s *Store) UpdateOrganization(ctx context.Context, o domain.Organization, now time.Time) (domain.Organization, error) {
	rows, _ := s.db.Query(ctx,
		`UPDATE organizations SET name = $2, acronym = $3, type = $4, un_entity = $5, updated_at = $6
		 WHERE id = $1 RETURNING `+organizationCols,
		o.ID, o.Name, o.Acronym, o.Type, o.UNEntity, now)
	out, err := pgx.CollectExactlyOneRow(rows, scanOrganization)
	return out, dbErr(err, "update organization %d", o.ID)
}

// GetOrganization returns organisation id.
func (s *Store) GetOrganization(ctx context.Context, id int64) (domain.Organization, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+organizationCols+` FROM organizations WHERE id = $1`, id)
	out, err := pgx.CollectExactlyOneRow(rows, scanOrganization)
	return out, dbErr(err, "get organization %d", id)
}

// GetOrganizationByName returns the organisation named name (any case).
func (s *Store) GetOrganizationByName(ctx context.Context, name string) (domain.Organization, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+organizationCols+` FROM organizations WHERE lower(name) = lower($1)`, name)
	out, err := pgx.CollectExactlyOneRow(rows, scanOrganization)
	return out, dbErr(err, "get organization %q", name)
}

// ListOrganizations returns every organisation by name.
//
// With a cache, the list costs no round trip until an organisation
// changes (the officer's request list offers it as a filter).
func (s *Store) ListOrganizations(ctx context.Context) ([]domain.Organization, error) {
	const key = "all"
	c := s.cached()
	var g uint64
	if c != nil {
		if e, ok := c.get(kindOrgs, key); ok {
			return slices.Clone(e.([]domain.Organization)), nil
		}
		g = c.gen(kindOrgs)
	}
	rows, _ := s.db.Query(ctx, `SELECT `+organizationCols+` FROM organizations ORDER BY lower(name)`)
	out, err := pgx.CollectRows(rows, scanOrganization)
	if err == nil && c != nil {
		c.put(kindOrgs, g, key, slices.Clone(out), 0)
	}
	return out, dbErr(err, "list organizations")
}

const userCols = `id, email, name, organization_id, language, is_admin, disabled_at IS NOT NULL,
	password_hash IS NOT NULL, session_epoch, created_at, updated_at`

func scanUser(row pgx.CollectableRow) (domain.User, error) {
	var u domain.User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.OrganizationID, &u.Language, &u.IsAdmin, &u.Disabled,
		&u.HasPassword, &u.SessionEpoch, &u.CreatedAt, &u.UpdatedAt)
	return u, err
}

// CreateUser inserts u with passwordHash (empty for none) and returns it.
// A duplicate e-mail, in any case, is CodeConflict "conflict.users_email_key".
func (s *Store) CreateUser(ctx context.Context, u domain.User, passwordHash string, now time.Time) (domain.User, error) {
	rows, _ := s.db.Query(ctx,
		`INSERT INTO users (email, name, organization_id, language, is_admin, password_hash, disabled_at, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''), CASE WHEN $7 THEN $8::timestamptz END, $8, $8)
		 RETURNING `+userCols,
		u.Email, u.Name, u.OrganizationID, u.Language, u.IsAdmin, passwordHash, u.Disabled, now)
	out, err := pgx.CollectExactlyOneRow(rows, scanUser)
	return out, dbErr(err, "create user")
}

// UpdateUser saves u's profile fields, admin flag and disabled state.
// Disabling bumps the session epoch, which ends every session of the user.
func (s *Store) UpdateUser(ctx context.Context, u domain.User, now time.Time) (domain.User, error) {
	rows, _ := s.db.Query(ctx,
		`UPDATE users SET email = $2, name = $3, organization_id = $4, language = $5, is_admin = $6,
		        session_epoch = session_epoch + CASE WHEN $7 AND disabled_at IS NULL THEN 1 ELSE 0 END,
		        disabled_at = CASE WHEN $7 THEN coalesce(disabled_at, $8) END,
		        updated_at = $8
		 WHERE id = $1 RETURNING `+userCols,
		u.ID, u.Email, u.Name, u.OrganizationID, u.Language, u.IsAdmin, u.Disabled, now)
	out, err := pgx.CollectExactlyOneRow(rows, scanUser)
	return out, dbErr(err, "update user %d", u.ID)
}

// SetUserLanguage changes only the user's interface language.
func (s *Store) SetUserLanguage(ctx context.Context, id int64, lang string, now time.Time) error {
	tag, err := s.db.Exec(ctx, `UPDATE users SET language = $2, updated_at = $3 WHERE id = $1`, id, lang, now)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return dbErr(err, "set language of user %d", id)
}

// SetPassword stores a new password hash and bumps the session epoch, so
// sessions opened with the old password end.
func (s *Store) SetPassword(ctx context.Context, id int64, hash string, now time.Time) error {
	tag, err := s.db.Exec(ctx,
		`UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1, updated_at = $3 WHERE id = $1`,
		id, hash, now)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return dbErr(err, "set password of user %d", id)
}

// GetUser returns user id.
func (s *Store) GetUser(ctx context.Context, id int64) (domain.User, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id)
	out, err := pgx.CollectExactlyOneRow(rows, scanUser)
	return out, dbErr(err, "get user %d", id)
}

// GetUserByEmail returns the user with this address, in any case.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (domain.User, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+userCols+` FROM users WHERE lower(email) = lower($1)`, email)
	out, err := pgx.CollectExactlyOneRow(rows, scanUser)
	return out, dbErr(err, "get user by email")
}

// PasswordHash returns the stored hash of user id ("" when none is set).
func (s *Store) PasswordHash(ctx context.Context, id int64) (string, error) {
	var hash *string
	err := s.db.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, id).Scan(&hash)
	if err != nil {
		return "", dbErr(err, "password hash of user %d", id)
	}
	if hash == nil {
		return "", nil
	}
	return *hash, nil
}

// ListUsers returns every user by name.
func (s *Store) ListUsers(ctx context.Context) ([]domain.User, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+userCols+` FROM users ORDER BY lower(name), id`)
	out, err := pgx.CollectRows(rows, scanUser)
	return out, dbErr(err, "list users")
}

// CountAdmins returns how many enabled global admins exist.
func (s *Store) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM users WHERE is_admin AND disabled_at IS NULL`).Scan(&n)
	return n, dbErr(err, "count admins")
}

const operationCols = `id, code, name, country_iso3, coalesce(glide, ''), context, quorum_percent, pass_rule,
	review_hours, urgent_review_hours, sealed_votes, lead_time_hours, closed_at IS NOT NULL, require_second_factor,
	created_at, updated_at`

func scanOperation(row pgx.CollectableRow) (domain.Operation, error) {
	var o domain.Operation
	err := row.Scan(operationDest(&o)...)
	return o, err
}

// operationDest is where the columns of operationCols are scanned into
// o, in their order.
func operationDest(o *domain.Operation) []any {
	return []any{&o.ID, &o.Code, &o.Name, &o.CountryISO3, &o.GLIDE, &o.Context, &o.Policy.QuorumPercent,
		&o.Policy.PassRule, &o.Policy.ReviewHours, &o.Policy.UrgentReviewHours, &o.Policy.SealedVotes,
		&o.LeadTimeHours, &o.Closed, &o.RequireSecondFactor, &o.CreatedAt, &o.UpdatedAt}
}

// CreateOperation inserts o. A duplicate code is CodeConflict
// "conflict.operations_code_key".
func (s *Store) CreateOperation(ctx context.Context, o domain.Operation, now time.Time) (domain.Operation, error) {
	rows, _ := s.db.Query(ctx,
		`INSERT INTO operations (code, name, country_iso3, glide, context, quorum_percent, pass_rule,
		        review_hours, urgent_review_hours, sealed_votes, lead_time_hours, closed_at, require_second_factor, created_at, updated_at)
		 VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6, $7, $8, $9, $10, $11, CASE WHEN $12 THEN $13::timestamptz END, $14, $13, $13)
		 RETURNING `+operationCols,
		o.Code, o.Name, o.CountryISO3, o.GLIDE, o.Context, o.Policy.QuorumPercent, o.Policy.PassRule,
		o.Policy.ReviewHours, o.Policy.UrgentReviewHours, o.Policy.SealedVotes, o.LeadTimeHours, o.Closed, now, o.RequireSecondFactor)
	out, err := pgx.CollectExactlyOneRow(rows, scanOperation)
	return out, dbErr(err, "create operation")
}

// UpdateOperation saves o's fields (its code included).
func (s *Store) UpdateOperation(ctx context.Context, o domain.Operation, now time.Time) (domain.Operation, error) {
	rows, _ := s.db.Query(ctx,
		`UPDATE operations SET code = $2, name = $3, country_iso3 = $4, glide = NULLIF($5, ''), context = $6,
		        quorum_percent = $7, pass_rule = $8, review_hours = $9, urgent_review_hours = $10,
		        sealed_votes = $11, lead_time_hours = $12,
		        closed_at = CASE WHEN $13 THEN coalesce(closed_at, $14) END, updated_at = $14,
		        require_second_factor = $15
		 WHERE id = $1 RETURNING `+operationCols,
		o.ID, o.Code, o.Name, o.CountryISO3, o.GLIDE, o.Context, o.Policy.QuorumPercent, o.Policy.PassRule,
		o.Policy.ReviewHours, o.Policy.UrgentReviewHours, o.Policy.SealedVotes, o.LeadTimeHours, o.Closed, now, o.RequireSecondFactor)
	out, err := pgx.CollectExactlyOneRow(rows, scanOperation)
	return out, dbErr(err, "update operation %d", o.ID)
}

// GetOperation returns operation id.
func (s *Store) GetOperation(ctx context.Context, id int64) (domain.Operation, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+operationCols+` FROM operations WHERE id = $1`, id)
	out, err := pgx.CollectExactlyOneRow(rows, scanOperation)
	return out, dbErr(err, "get operation %d", id)
}

// GetOperationByCode returns the operation with code.
func (s *Store) GetOperationByCode(ctx context.Context, code string) (domain.Operation, error) {
	c := s.cached()
	var g uint64
	if c != nil {
		if e, ok := c.get(kindOp, code); ok {
			return e.(domain.Operation), nil
		}
		g = c.gen(kindOp)
	}
	rows, _ := s.db.Query(ctx, `SELECT `+operationCols+` FROM operations WHERE code = $1`, code)
	out, err := pgx.CollectExactlyOneRow(rows, scanOperation)
	if err == nil && c != nil {
		c.put(kindOp, g, code, out, 0)
	}
	return out, dbErr(err, "get operation %q", code)
}

// ListOperations returns every operation by code.
//
// With a cache, the list costs no round trip until an operation changes.
func (s *Store) ListOperations(ctx context.Context) ([]domain.Operation, error) {
	const key = "\x00all" // no operation's code
	c := s.cached()
	var g uint64
	if c != nil {
		if e, ok := c.get(kindOp, key); ok {
			return slices.Clone(e.([]domain.Operation)), nil
		}
		g = c.gen(kindOp)
	}
	rows, _ := s.db.Query(ctx, `SELECT `+operationCols+` FROM operations ORDER BY code`)
	out, err := pgx.CollectRows(rows, scanOperation)
	if err == nil && c != nil {
		c.put(kindOp, g, key, out, 0)
	}
	return out, dbErr(err, "list operations")
}
