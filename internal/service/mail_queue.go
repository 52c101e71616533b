package service

import (
	"context"
	"slices"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// MailPage is one page of the e-mail outbox as administrators see it:
// newest first, without the messages' bodies. Before, when not 0, is the
// keyset of the next (older) page.
type MailPage struct {
	Items  []domain.OutboxMessage
	Before int64
}

// MailQueue lists the outbox (administrators only, domain.ActionManageMail)
// in state ("" for every state), newest first, the messages older than
// message before when before > 0; at most limit (MailPageSize when
// limit is out of range). Bodies are never read.
func (d *Directory) MailQueue(ctx context.Context, by domain.Actor, state domain.MailState, before int64, limit int) (MailPage, error) {
	if err := domain.Can(by, domain.ActionManageMail, domain.OnInstance()); err != nil {
		return MailPage{}, err
	}
	if state != "" && !slices.Contains(domain.MailStates, state) {
		return MailPage{}, domain.Errorf(domain.CodeInvalid, "mail.bad_state")
	}
	if limit < 1 || limit > domain.MailPageSize {
		limit = domain.MailPageSize
	}
	// One more than asked says whether an older page exists.
	items, err := d.store.ListOutbox(ctx, state, max(before, 0), limit+1)
	if err != nil {
		return MailPage{}, err
	}
	var page MailPage
	if len(items) > limit {
		items = items[:limit]
		page.Before = items[limit-1].ID
	}
	page.Items = items
	return page, nil
}

// RetryMail makes given-up e-mail id due at once, with the worker's
// whole retry schedule again (administrators only), and records it in
// the directory log: the recipient and the attempts and error it had,
// never the body. A message that is not given up is refused (409).
func (d *Directory) RetryMail(ctx context.Context, by domain.Actor, id int64) error {
	if err := domain.Can(by, domain.ActionManageMail, domain.OnInstance()); err != nil {
		return err
	}
	return d.inLog(ctx, by, func(st *store.Store) (logEntry, error) {
		m, err := st.LockOutboxListed(ctx, id)
		if err != nil {
			return logEntry{}, err
		}
		if err := domain.CheckRetry(m); err != nil {
			return logEntry{}, err
		}
		if err := st.RetryOutbox(ctx, id, d.now()); err != nil {
			return logEntry{}, err
		}
		return logEntry{action: domain.DirMailRetried, target: domain.Target{Kind: domain.TargetMail, ID: id},
			payload: map[string]any{"label": m.To, "attempts": m.Attempts, "last_error": m.LastError}}, nil
	})
}
