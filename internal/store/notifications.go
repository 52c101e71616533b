package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

const notificationCols = `id, user_id, kind, coalesce(request_id, 0), data, created_at, read_at`

func scanNotification(row pgx.CollectableRow) (domain.Notification, error) {
	var (
		n    domain.Notification
		data []byte
		read *time.Time
	)
	if err := row.Scan(&n.ID, &n.UserID, &n.Kind, &n.RequestID, &data, &n.CreatedAt, &read); err != nil {
		return n, err
	}
	n.ReadAt = deref(read)
	if err := json.Unmarshal(data, &n.Data); err != nil {
		return n, fmt.Errorf("decode notification %d: %w", n.ID, err)
	}
	if n.Data == nil {
		n.Data = map[string]string{}
	}
	return n, nil
}

// InsertNotification stores n for n.UserID and returns it with its ID.
// A RequestID of 0 stores no request.
func (s *Store) InsertNotification(ctx context.Context, n domain.Notification) (domain.Notification, error) {
	data := n.Data
	if data == nil {
		data = map[string]string{}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return domain.Notification{}, fmt.Errorf("store: encode notification: %w", err)
	}
	var request *int64
	if n.RequestID != 0 {
		request = &n.RequestID
	}
	rows, _ := s.db.Query(ctx,
		`INSERT INTO notifications (user_id, kind, request_id, data, created_at, read_at)
		 VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+notificationCols,
		n.UserID, n.Kind, request, string(raw), n.CreatedAt, nullTime(n.ReadAt))
	out, err := pgx.CollectExactlyOneRow(rows, scanNotification)
	return out, dbErr(err, "insert notification")
}

// ListNotifications returns user userID's newest limit notifications,
// newest first.
func (s *Store) ListNotifications(ctx context.Context, userID int64, limit int) ([]domain.Notification, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+notificationCols+` FROM notifications
		WHERE user_id = $1 ORDER BY id DESC LIMIT $2`, userID, limit)
	out, err := pgx.CollectRows(rows, scanNotification)
	return out, dbErr(err, "list notifications of user %d", userID)
}

// unreadCountSQL counts user $1's unread notifications up to one more
// than domain.UnreadCounted (a literal limit: see listQuery).
var unreadCountSQL = `SELECT count(*) FROM (SELECT FROM notifications WHERE user_id = $1 AND read_at IS NULL LIMIT ` +
	strconv.Itoa(domain.UnreadCounted+1) + `) x`

// UnreadCount returns how many of user userID's notifications are unread,
// counting no further than domain.UnreadCounted+1 (more than it).
func (s *Store) UnreadCount(ctx context.Context, userID int64) (int, error) {
	c := s.cached()
	key := strconv.FormatInt(userID, 10)
	var g uint64
	if c != nil {
		if e, ok := c.get(kindUnread, key); ok {
			return e.(int), nil
		}
		g = c.gen(kindUnread)
	}
	var n int
	err := s.db.QueryRow(ctx, unreadCountSQL, userID).Scan(&n)
	if err == nil && c != nil {
		c.put(kindUnread, g, key, n, 0)
	}
	return n, dbErr(err, "count unread notifications of user %d", userID)
}

// MarkNotificationsRead marks every unread notification of user userID
// with an ID up to upToID as read at now, and returns how many it marked.
// Notifications that arrived after upToID stay unread, so a page showing
// an older list never hides a newer notification.
func (s *Store) MarkNotificationsRead(ctx context.Context, userID, upToID int64, now time.Time) (int, error) {
	tag, err := s.db.Exec(ctx,
		`UPDATE notifications SET read_at = $3 WHERE user_id = $1 AND id <= $2 AND read_at IS NULL`,
		userID, upToID, now)
	if err != nil {
		return 0, dbErr(err, "mark notifications of user %d read", userID)
	}
	return int(tag.RowsAffected()), nil
}

// ListUsersByID returns the users with the given IDs, by ID, in one
// query; IDs that name no user are left out. The notifier reads each
// recipient's address, name, language and disabled flag from it.
func (s *Store) ListUsersByID(ctx context.Context, ids []int64) ([]domain.User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, _ := s.db.Query(ctx, `SELECT `+userCols+` FROM users WHERE id = ANY($1) ORDER BY id`, ids)
	out, err := pgx.CollectRows(rows, scanUser)
	return out, dbErr(err, "list users by id")
}

const outboxCols = `id, coalesce(notification_id, 0), to_address, subject, body, created_at, attempts,
	next_attempt_at, sent_at, failed_at, last_error, reply_to, list_unsubscribe, language`

func scanOutbox(row pgx.CollectableRow) (domain.OutboxMessage, error) {
	var (
		m            domain.OutboxMessage
		sent, failed *time.Time
	)
	err := row.Scan(&m.ID, &m.NotificationID, &m.To, &m.Subject, &m.Body, &m.CreatedAt, &m.Attempts,
		&m.NextAttemptAt, &sent, &failed, &m.LastError, &m.ReplyTo, &m.ListUnsubscribe, &m.Language)
	m.SentAt, m.FailedAt = deref(sent), deref(failed)
	return m, err
}

// InsertOutbox queues m, due at m.NextAttemptAt (m.CreatedAt when zero),
// and returns it with its ID.
func (s *Store) InsertOutbox(ctx context.Context, m domain.OutboxMessage) (domain.OutboxMessage, error) {
	var notification *int64
	if m.NotificationID != 0 {
		notification = &m.NotificationID
	}
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	rows, _ := s.db.Query(ctx,
		`INSERT INTO outbox (notification_id, to_address, subject, body, created_at, next_attempt_at, reply_to, list_unsubscribe, language)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+outboxCols,
		notification, m.To, m.Subject, m.Body, m.CreatedAt, m.NextAttemptAt, m.ReplyTo, m.ListUnsubscribe, m.Language)
	out, err := pgx.CollectExactlyOneRow(rows, scanOutbox)
	return out, dbErr(err, "insert outbox message")
}

// GetOutbox returns outbox message id.
func (s *Store) GetOutbox(ctx context.Context, id int64) (domain.OutboxMessage, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+outboxCols+` FROM outbox WHERE id = $1`, id)
	out, err := pgx.CollectExactlyOneRow(rows, scanOutbox)
	return out, dbErr(err, "get outbox message %d", id)
}

// ErrNeedsTx is returned by methods whose row locks mean nothing outside
// a transaction when they are called on the pool.
var ErrNeedsTx = errors.New("store: must run inside InTx")

// ClaimDueOutbox locks and returns up to limit unsent, not given up
// messages due at now, the longest waiting first. It must run inside
// InTx: the row locks are held until that transaction ends, and rows
// another transaction holds are skipped (SKIP LOCKED), so several
// workers, on several instances, never claim the same message.
func (s *Store) ClaimDueOutbox(ctx context.Context, now time.Time, limit int) ([]domain.OutboxMessage, error) {
	if s.pool != nil {
		return nil, ErrNeedsTx
	}
	rows, _ := s.db.Query(ctx, `SELECT `+outboxCols+` FROM outbox
		WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
		ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`, now, limit)
	out, err := pgx.CollectRows(rows, scanOutbox)
	return out, dbErr(err, "claim due outbox messages")
}

// LeaseOutbox takes the longest-waiting unsent, not given up message due
// at now and makes it due again only at until (a lease), in one
// statement that commits on its own, so no transaction stays open while
// the message is sent: another worker, on any instance, skips it until
// the lease ends, and a worker killed after sending it leaves it to be
// sent again then (with the same Message-ID). ok is false when none is
// due.
func (s *Store) LeaseOutbox(ctx context.Context, now, until time.Time) (m domain.OutboxMessage, ok bool, err error) {
	rows, _ := s.db.Query(ctx, `UPDATE outbox SET next_attempt_at = $2
		WHERE id = (SELECT id FROM outbox
		            WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
		            ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING `+outboxCols, now, until)
	m, err = pgx.CollectExactlyOneRow(rows, scanOutbox)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.OutboxMessage{}, false, nil
	}
	return m, err == nil, dbErr(err, "lease an outbox message")
}

// MarkOutboxSent records that message id was sent at now, after attempts
// attempts in all, and scrubs what it carried that acts for its
// recipient: the tokens of its action links and of its digest's
// unsubscribe link (left as "…"), its reply address and its
// List-Unsubscribe header. The recipient has them now; a copy of the
// database (a backup, a replica) holds no live credential of sent mail.
func (s *Store) MarkOutboxSent(ctx context.Context, id int64, attempts int, now time.Time) error {
	return s.updateOutbox(ctx, id, `UPDATE outbox SET sent_at = $2, attempts = $3, last_error = '', `+scrubCredentials+` WHERE id = $1`,
		now, attempts)
}

// scrubCredentials is the SET clause that removes from an outbox message
// what acts for its recipient: its action and unsubscribe links' tokens
// (left as "…"), its reply address and List-Unsubscribe header.
const scrubCredentials = `body = regexp_replace(body, '(/act/|/unsubscribe/digest/)[^[:space:]]+', '\1…', 'g'),
		reply_to = '', list_unsubscribe = ''`

// MarkOutboxRetry records a failed attempt of message id (attempts made
// so far, and why) and makes it due again at nextAttempt.
func (s *Store) MarkOutboxRetry(ctx context.Context, id int64, attempts int, nextAttempt time.Time, errText string) error {
	return s.updateOutbox(ctx, id, `UPDATE outbox SET attempts = $2, next_attempt_at = $3, last_error = $4 WHERE id = $1`,
		attempts, nextAttempt, errText)
}

// MarkOutboxFailed gives up on message id at now after attempts attempts;
// errText is the last failure. It is not tried again unless an
// administrator retries it, and is scrubbed as a sent one is: kept for
// the record, it carries no live credential (a retry sends its text
// without working links; the request page has the same actions).
func (s *Store) MarkOutboxFailed(ctx context.Context, id int64, attempts int, now time.Time, errText string) error {
	return s.updateOutbox(ctx, id, `UPDATE outbox SET failed_at = $2, attempts = $3, last_error = $4, `+scrubCredentials+` WHERE id = $1`,
		now, attempts, errText)
}

func (s *Store) updateOutbox(ctx context.Context, id int64, sql string, args ...any) error {
	tag, err := s.db.Exec(ctx, sql, append([]any{id}, args...)...)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return dbErr(err, "update outbox message %d", id)
}
