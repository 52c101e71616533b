package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// SetMembership gives user userID exactly roles in operation opID; an
// empty set removes the membership. It reports whether anything changed.
func (s *Store) SetMembership(ctx context.Context, opID, userID int64, roles domain.RoleSet, now time.Time) error {
	if len(roles) == 0 {
		_, err := s.db.Exec(ctx, `DELETE FROM memberships WHERE operation_id = $1 AND user_id = $2`, opID, userID)
		return dbErr(err, "remove member %d of operation %d", userID, opID)
	}
	_, err := s.db.Exec(ctx,
		`INSERT INTO memberships (operation_id, user_id, roles, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
		 ON CONFLICT (operation_id, user_id) DO UPDATE SET roles = EXCLUDED.roles, updated_at = EXCLUDED.updated_at`,
		opID, userID, roles.Strings(), now)
	return dbErr(err, "set member %d of operation %d", userID, opID)
}

// MembershipRoles returns user userID's roles in operation opID (none
// when they are not a member), holding the membership's row lock until
// the transaction ends.
func (s *Store) MembershipRoles(ctx context.Context, opID, userID int64) (domain.RoleSet, error) {
	rows, _ := s.db.Query(ctx, `SELECT roles FROM memberships WHERE operation_id = $1 AND user_id = $2 FOR UPDATE`, opID, userID)
	names, err := pgx.CollectRows(rows, pgx.RowTo[[]string])
	if err != nil {
		return nil, dbErr(err, "roles of member %d of operation %d", userID, opID)
	}
	if len(names) == 0 {
		return domain.RoleSet{}, nil
	}
	return domain.NewRoleSet(names[0]...)
}

// ListMembers returns the members of operation opID by name.
func (s *Store) ListMembers(ctx context.Context, opID int64) ([]domain.Member, error) {
	rows, _ := s.db.Query(ctx,
		`SELECT u.id, u.email, u.name, u.organization_id, u.language, u.is_admin, u.disabled_at IS NOT NULL,
		        u.password_hash IS NOT NULL, u.session_epoch, u.created_at, u.updated_at,
		        o.id, o.name, o.acronym, o.type, o.un_entity, o.created_at, o.updated_at, m.roles
		 FROM memberships m JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = u.organization_id
		 WHERE m.operation_id = $1 ORDER BY lower(u.name), u.id`, opID)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Member, error) {
		var m domain.Member
		var roles []string
		u, o := &m.User, &m.Organization
		err := row.Scan(&u.ID, &u.Email, &u.Name, &u.OrganizationID, &u.Language, &u.IsAdmin, &u.Disabled,
			&u.HasPassword, &u.SessionEpoch, &u.CreatedAt, &u.UpdatedAt,
			&o.ID, &o.Name, &o.Acronym, &o.Type, &o.UNEntity, &o.CreatedAt, &o.UpdatedAt, &roles)
		if err != nil {
			return m, err
		}
		m.Roles, err = domain.NewRoleSet(roles...)
		return m, err
	})
	return out, dbErr(err, "list members of operation %d", opID)
}

// membershipsSQL reads user $1's memberships as they stand at $2: with
// the HC role of an acting period running then (memberships_at, the one
// place that derives it).
const membershipsSQL = `SELECT o.id, o.code, o.name, m.roles, o.require_second_factor, coalesce(m.acting_hc_id, 0), m.pending
		 FROM memberships_at($2) m JOIN operations o ON o.id = m.operation_id
		 WHERE m.user_id = $1 ORDER BY o.code`

// ListMemberships returns user userID's memberships as they stand at
// at, by operation code.
func (s *Store) ListMemberships(ctx context.Context, userID int64, at time.Time) ([]domain.Membership, error) {
	rows, _ := s.db.Query(ctx, membershipsSQL, userID, at)
	out, err := collectMemberships(rows, userID)
	return out, dbErr(err, "list memberships of user %d", userID)
}

func collectMemberships(rows pgx.Rows, userID int64) ([]domain.Membership, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Membership, error) {
		m := domain.Membership{UserID: userID}
		var roles []string
		if err := row.Scan(&m.OperationID, &m.OperationCode, &m.OperationName, &roles, &m.RequireSecondFactor, &m.ActingHCID, &m.TimeBound); err != nil {
			return m, err
		}
		var err error
		m.Roles, err = domain.NewRoleSet(roles...)
		return m, err
	})
}

// UserWithMemberships returns user id (as GetUser) and their memberships
// at at (as ListMemberships), read in one round trip.
func (s *Store) UserWithMemberships(ctx context.Context, id int64, at time.Time) (domain.User, []domain.Membership, error) {
	var (
		u  domain.User
		ms []domain.Membership
	)
	b := &pgx.Batch{}
	b.Queue(`SELECT `+userCols+` FROM users WHERE id = $1`, id).Query(func(rows pgx.Rows) (err error) {
		u, err = pgx.CollectExactlyOneRow(rows, scanUser)
		return err
	})
	b.Queue(membershipsSQL, id, at).Query(func(rows pgx.Rows) (err error) {
		ms, err = collectMemberships(rows, id)
		return err
	})
	err := s.db.SendBatch(ctx, b).Close()
	return u, ms, dbErr(err, "get user %d with memberships", id)
}

const invitationCols = `i.id, i.operation_id, i.email, i.roles, i.invited_by, coalesce(u.name, ''), i.created_at`

func scanInvitation(row pgx.CollectableRow) (domain.Invitation, error) {
	var (
		inv   domain.Invitation
		roles []string
	)
	err := row.Scan(&inv.ID, &inv.OperationID, &inv.Email, &roles, &inv.InvitedBy, &inv.InvitedByName, &inv.CreatedAt)
	if err != nil {
		return inv, err
	}
	inv.Roles, err = domain.NewRoleSet(roles...)
	return inv, err
}

// PendingInvitation returns the invitation of email (InvitationEmail
// form) to operation opID, holding its row lock until the transaction
// ends; CodeNotFound when there is none.
func (s *Store) PendingInvitation(ctx context.Context, opID int64, email string) (domain.Invitation, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+invitationCols+` FROM membership_invitations i LEFT JOIN users u ON u.id = i.invited_by
		 WHERE i.operation_id = $1 AND i.email = $2 FOR UPDATE OF i`, opID, email)
	out, err := pgx.CollectExactlyOneRow(rows, scanInvitation)
	return out, dbErr(err, "invitation of operation %d", opID)
}

// SaveInvitation records inv (operation, e-mail, roles, inviter) at now,
// replacing the operation's invitation of the same address, and returns
// it as stored.
func (s *Store) SaveInvitation(ctx context.Context, inv domain.Invitation, now time.Time) (domain.Invitation, error) {
	rows, _ := s.db.Query(ctx,
		`WITH i AS (
		   INSERT INTO membership_invitations (operation_id, email, roles, invited_by, created_at) VALUES ($1, $2, $3, $4, $5)
		   ON CONFLICT (operation_id, email) DO UPDATE
		     SET roles = EXCLUDED.roles, invited_by = EXCLUDED.invited_by, created_at = EXCLUDED.created_at
		   RETURNING *)
		 SELECT `+invitationCols+` FROM i LEFT JOIN users u ON u.id = i.invited_by`,
		inv.OperationID, inv.Email, inv.Roles.Strings(), inv.InvitedBy, now)
	out, err := pgx.CollectExactlyOneRow(rows, scanInvitation)
	return out, dbErr(err, "save invitation to operation %d", inv.OperationID)
}

// ListInvitations returns the pending invitations to operation opID, by
// address.
func (s *Store) ListInvitations(ctx context.Context, opID int64) ([]domain.Invitation, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+invitationCols+` FROM membership_invitations i LEFT JOIN users u ON u.id = i.invited_by
		 WHERE i.operation_id = $1 ORDER BY i.email, i.id`, opID)
	out, err := pgx.CollectRows(rows, scanInvitation)
	return out, dbErr(err, "list invitations of operation %d", opID)
}

// DeleteInvitation deletes invitation id of operation opID and returns
// it; CodeNotFound when the operation has no such invitation.
func (s *Store) DeleteInvitation(ctx context.Context, opID, id int64) (domain.Invitation, error) {
	rows, _ := s.db.Query(ctx,
		`WITH i AS (DELETE FROM membership_invitations WHERE operation_id = $1 AND id = $2 RETURNING *)
		 SELECT `+invitationCols+` FROM i LEFT JOIN users u ON u.id = i.invited_by`, opID, id)
	out, err := pgx.CollectExactlyOneRow(rows, scanInvitation)
	return out, dbErr(err, "delete invitation %d", id)
}

// TakeInvitations deletes every pending invitation of email (compared
// as InvitationEmail) and returns them, by operation, with the operation
// codes by id.
func (s *Store) TakeInvitations(ctx context.Context, email string) ([]domain.Invitation, map[int64]string, error) {
	rows, _ := s.db.Query(ctx,
		`WITH i AS (DELETE FROM membership_invitations WHERE email = lower(btrim($1)) RETURNING *)
		 SELECT `+invitationCols+`, o.code FROM i LEFT JOIN users u ON u.id = i.invited_by JOIN operations o ON o.id = i.operation_id
		 ORDER BY i.operation_id`, email)
	codes := map[int64]string{}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Invitation, error) {
		var (
			inv   domain.Invitation
			roles []string
			code  string
		)
		err := row.Scan(&inv.ID, &inv.OperationID, &inv.Email, &roles, &inv.InvitedBy, &inv.InvitedByName, &inv.CreatedAt, &code)
		if err != nil {
			return inv, err
		}
		codes[inv.OperationID] = code
		inv.Roles, err = domain.NewRoleSet(roles...)
		return inv, err
	})
	return out, codes, dbErr(err, "take invitations")
}

// HasInvitations reports whether email (compared as InvitationEmail) has
// a pending invitation to any operation.
func (s *Store) HasInvitations(ctx context.Context, email string) (bool, error) {
	var ok bool
	err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM membership_invitations WHERE email = lower(btrim($1)))`, email).Scan(&ok)
	return ok, dbErr(err, "invitations pending")
}

// timeBound reports whether any of ms depends on the time it is read at
// (an acting period running or to come): such a read is not cached.
func timeBound(ms []domain.Membership) bool {
	for _, m := range ms {
		if m.TimeBound {
			return true
		}
	}
	return false
}
