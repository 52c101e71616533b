package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// outboxListCols are outboxCols without the body: the administrators'
// list never reads what a message says (it may hold secret links).
const outboxListCols = `id, coalesce(notification_id, 0), to_address, subject, created_at, attempts,
	next_attempt_at, sent_at, failed_at, last_error, language`

func scanOutboxListed(row pgx.CollectableRow) (domain.OutboxMessage, error) {
	var (
		m            domain.OutboxMessage
		sent, failed *time.Time
	)
	err := row.Scan(&m.ID, &m.NotificationID, &m.To, &m.Subject, &m.CreatedAt, &m.Attempts,
		&m.NextAttemptAt, &sent, &failed, &m.LastError, &m.Language)
	m.SentAt, m.FailedAt = deref(sent), deref(failed)
	return m, err
}

// mailStateSQL is each state's condition (domain.OutboxMessage.State).
var mailStateSQL = map[domain.MailState]string{
	"":                `TRUE`,
	domain.MailQueued: `sent_at IS NULL AND failed_at IS NULL`,
	domain.MailFailed: `failed_at IS NOT NULL AND sent_at IS NULL`,
	domain.MailSent:   `sent_at IS NOT NULL`,
}

// ListOutbox returns up to limit outbox messages in state ("" for all),
// newest first, without their bodies: those with an ID below before when
// before > 0 (keyset pagination).
func (s *Store) ListOutbox(ctx context.Context, state domain.MailState, before int64, limit int) ([]domain.OutboxMessage, error) {
	cond, ok := mailStateSQL[state]
	if !ok {
		return nil, domain.Errorf(domain.CodeInvalid, "mail.bad_state")
	}
	rows, _ := s.db.Query(ctx, `SELECT `+outboxListCols+` FROM outbox
		WHERE `+cond+` AND ($1 = 0 OR id < $1) ORDER BY id DESC LIMIT $2`, before, limit)
	out, err := pgx.CollectRows(rows, scanOutboxListed)
	return out, dbErr(err, "list outbox messages")
}

// LockOutboxListed returns outbox message id without its body, its row
// locked for the caller's transaction.
func (s *Store) LockOutboxListed(ctx context.Context, id int64) (domain.OutboxMessage, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+outboxListCols+` FROM outbox WHERE id = $1 FOR UPDATE`, id)
	out, err := pgx.CollectExactlyOneRow(rows, scanOutboxListed)
	return out, dbErr(err, "lock outbox message %d", id)
}

// RetryOutbox makes message id — given up, or queued after a failed
// attempt — due at now again with a fresh set of attempts (the worker's
// whole retry schedule); its last error stays until the next attempt
// replaces it.
func (s *Store) RetryOutbox(ctx context.Context, id int64, now time.Time) error {
	return s.updateOutbox(ctx, id, `UPDATE outbox SET failed_at = NULL, attempts = 0, next_attempt_at = $2
		WHERE id = $1 AND sent_at IS NULL AND (failed_at IS NOT NULL OR attempts > 0)`, now)
}
