package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// Recipient is a user as the notifier needs them: their account, the
// roles they hold in any operation, and their notification preferences
// (kinds they chose; the others take domain.DefaultDelivery).
type Recipient struct {
	User  domain.User
	Roles domain.RoleSet
	Prefs map[domain.NoticeKind]domain.Delivery
}

// ListRecipients returns the users with the given IDs, by ID, each with
// their roles at time at (the union over their operations, an acting
// HC's period included: memberships_at) and preferences, in one query;
// IDs that name no user are left out.
func (s *Store) ListRecipients(ctx context.Context, ids []int64, at time.Time) ([]Recipient, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, _ := s.db.Query(ctx, `SELECT `+userCols+`,
		  coalesce((SELECT array_agg(DISTINCT r ORDER BY r) FROM memberships_at($2) m, unnest(m.roles) r WHERE m.user_id = users.id), '{}'),
		  coalesce((SELECT array_agg(p.kind ORDER BY p.kind) FROM notification_preferences p WHERE p.user_id = users.id), '{}'),
		  coalesce((SELECT array_agg(p.delivery ORDER BY p.kind) FROM notification_preferences p WHERE p.user_id = users.id), '{}')
		FROM users WHERE id = ANY($1) ORDER BY id`, ids, at)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Recipient, error) {
		var (
			r                   Recipient
			roles, kinds, delis []string
		)
		u := &r.User
		err := row.Scan(&u.ID, &u.Email, &u.Name, &u.OrganizationID, &u.Language, &u.IsAdmin, &u.Disabled,
			&u.HasPassword, &u.SessionEpoch, &u.CreatedAt, &u.UpdatedAt, &roles, &kinds, &delis)
		if err != nil {
			return r, err
		}
		r.Roles = make(domain.RoleSet, len(roles))
		for i, x := range roles {
			r.Roles[i] = domain.Role(x)
		}
		r.Prefs = prefsOf(kinds, delis)
		return r, nil
	})
	return out, dbErr(err, "list recipients")
}

func prefsOf(kinds, deliveries []string) map[domain.NoticeKind]domain.Delivery {
	out := make(map[domain.NoticeKind]domain.Delivery, len(kinds))
	for i, k := range kinds {
		if i < len(deliveries) {
			out[domain.NoticeKind(k)] = domain.Delivery(deliveries[i])
		}
	}
	return out
}

// NotificationPreferences returns the kinds user userID chose how to
// receive, and how.
func (s *Store) NotificationPreferences(ctx context.Context, userID int64) (map[domain.NoticeKind]domain.Delivery, error) {
	var kinds, delis []string
	err := s.db.QueryRow(ctx, `SELECT coalesce(array_agg(kind ORDER BY kind), '{}'), coalesce(array_agg(delivery ORDER BY kind), '{}')
		FROM notification_preferences WHERE user_id = $1`, userID).Scan(&kinds, &delis)
	if err != nil {
		return nil, dbErr(err, "notification preferences of user %d", userID)
	}
	return prefsOf(kinds, delis), nil
}

// SetNotificationPreferences makes prefs user userID's whole set of
// choices, in one statement: kinds absent from it are forgotten (they
// take their default again).
func (s *Store) SetNotificationPreferences(ctx context.Context, userID int64, prefs map[domain.NoticeKind]domain.Delivery, now time.Time) error {
	kinds := make([]string, 0, len(prefs))
	delis := make([]string, 0, len(prefs))
	for k, d := range prefs {
		kinds, delis = append(kinds, string(k)), append(delis, string(d))
	}
	_, err := s.db.Exec(ctx, `WITH gone AS (
		  DELETE FROM notification_preferences WHERE user_id = $1 AND NOT (kind = ANY ($2::text[])))
		INSERT INTO notification_preferences (user_id, kind, delivery, updated_at)
		SELECT $1, k, d, $4 FROM unnest($2::text[], $3::text[]) AS t (k, d)
		ON CONFLICT (user_id, kind) DO UPDATE SET delivery = excluded.delivery, updated_at = excluded.updated_at
		WHERE notification_preferences.delivery <> excluded.delivery`, userID, kinds, delis, now)
	return dbErr(err, "set notification preferences of user %d", userID)
}

// DeleteDigestItems drops what waits for user userID's next digest (the
// notifications stay in-app) and returns how many.
func (s *Store) DeleteDigestItems(ctx context.Context, userID int64) (int, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM digest_items WHERE user_id = $1`, userID)
	if err != nil {
		return 0, dbErr(err, "delete digest items of user %d", userID)
	}
	return int(tag.RowsAffected()), nil
}

// Digest is one user's due digest: the notifications it lists, oldest
// first.
type Digest struct {
	User  domain.User
	Items []domain.Notification
}

// TakeDueDigests takes, for up to limit users whose oldest waiting digest
// item was queued at or before due, every item waiting for them, in one
// statement: the items are deleted and returned with their users, by
// user. It must run in the transaction that queues the digests: a
// concurrent taker waits on the rows and then finds them gone, so no
// item is listed twice.
func (s *Store) TakeDueDigests(ctx context.Context, due time.Time, limit int) ([]Digest, error) {
	if s.pool != nil {
		return nil, ErrNeedsTx
	}
	rows, err := s.db.Query(ctx, `WITH due AS (
		  SELECT user_id FROM digest_items GROUP BY user_id HAVING min(queued_at) <= $1
		   ORDER BY min(queued_at), user_id LIMIT $2),
		taken AS (DELETE FROM digest_items d USING due WHERE d.user_id = due.user_id RETURNING d.notification_id)
		SELECT u.id, u.email, u.name, u.organization_id, u.language, u.is_admin, u.disabled_at IS NOT NULL,
		       n.id, n.kind, coalesce(n.request_id, 0), n.data, n.created_at
		  FROM taken t JOIN notifications n ON n.id = t.notification_id JOIN users u ON u.id = n.user_id
		 ORDER BY u.id, n.id`, due, limit)
	if err != nil {
		return nil, dbErr(err, "take due digests")
	}
	defer rows.Close()
	var out []Digest
	for rows.Next() {
		var (
			u    domain.User
			n    domain.Notification
			data []byte
		)
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.OrganizationID, &u.Language, &u.IsAdmin, &u.Disabled,
			&n.ID, &n.Kind, &n.RequestID, &data, &n.CreatedAt); err != nil {
			return nil, dbErr(err, "take due digests")
		}
		n.UserID = u.ID
		if err := json.Unmarshal(data, &n.Data); err != nil {
			return nil, fmt.Errorf("store: decode notification %d: %w", n.ID, err)
		}
		if len(out) == 0 || out[len(out)-1].User.ID != u.ID {
			out = append(out, Digest{User: u})
		}
		out[len(out)-1].Items = append(out[len(out)-1].Items, n)
	}
	return out, dbErr(rows.Err(), "take due digests")
}

// InsertOutboxAll queues every message of ms (each due at its
// NextAttemptAt, its CreatedAt when zero) in one statement.
func (s *Store) InsertOutboxAll(ctx context.Context, ms []domain.OutboxMessage) error {
	if len(ms) == 0 {
		return nil
	}
	var (
		to, subjects, bodies, unsub = make([]string, len(ms)), make([]string, len(ms)), make([]string, len(ms)), make([]string, len(ms))
		langs                       = make([]string, len(ms))
		created, next               = make([]time.Time, len(ms)), make([]time.Time, len(ms))
	)
	for i, m := range ms {
		to[i], subjects[i], bodies[i], unsub[i], created[i], next[i] = m.To, m.Subject, m.Body, m.ListUnsubscribe, m.CreatedAt, m.NextAttemptAt
		langs[i] = m.Language
		if m.NextAttemptAt.IsZero() {
			next[i] = m.CreatedAt
		}
	}
	_, err := s.db.Exec(ctx, `INSERT INTO outbox (to_address, subject, body, list_unsubscribe, created_at, next_attempt_at, language)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[])`,
		to, subjects, bodies, unsub, created, next, langs)
	return dbErr(err, "insert %d outbox messages", len(ms))
}

// DropDigestItemsOf drops what waits for user userID's next digest among
// notifications of kinds (the user no longer wants them in a digest);
// the notifications themselves stay in-app.
func (s *Store) DropDigestItemsOf(ctx context.Context, userID int64, kinds []domain.NoticeKind) error {
	if len(kinds) == 0 {
		return nil
	}
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	_, err := s.db.Exec(ctx, `DELETE FROM digest_items d USING notifications n
		WHERE d.notification_id = n.id AND d.user_id = $1 AND n.kind = ANY($2)`, userID, names)
	return dbErr(err, "drop digest items of user %d", userID)
}
