package notify

import (
	"context"
	"fmt"
	"slices"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// NotifyAll records every notice of notices as Notify would, one after
// the other, in two statements whatever their number: the recipients are
// read at once and every notification and e-mail inserted at once
// (store.InsertNotices). Each recipient receives exactly what Notify
// gives them: one notification per notice (repeats told once, disabled
// users and IDs that name no user skipped, by user ID), and one e-mail
// in their language when mail is enabled and they have an address.
func (n *Notifier) NotifyAll(ctx context.Context, st *store.Store, notices []domain.Notice) error {
	var all []int64
	for _, notice := range notices {
		if !slices.Contains(domain.NoticeKinds, notice.Kind) {
			return fmt.Errorf("notify: unknown notice kind %q", notice.Kind)
		}
		all = append(all, notice.Recipients...)
	}
	all = dedupe(all)
	if len(all) == 0 {
		return nil
	}
	users, err := st.ListUsersByID(ctx, all) // by ID
	if err != nil {
		return err
	}
	byID := make(map[int64]domain.User, len(users))
	for _, u := range users {
		byID[u.ID] = u
	}
	now := n.now()
	var rows []store.NoticeRow
	for _, notice := range notices {
		ids := dedupe(notice.Recipients)
		if len(ids) == 0 {
			continue
		}
		data := make(map[string]string, len(notice.Data)+2)
		for k, v := range notice.Data {
			data[k] = v
		}
		data["Reference"], data["Title"] = notice.Reference, notice.Title
		slices.Sort(ids)
		for _, id := range ids {
			u, ok := byID[id]
			if !ok || u.Disabled {
				continue
			}
			row := store.NoticeRow{Notification: domain.Notification{UserID: u.ID, Kind: notice.Kind,
				RequestID: notice.RequestID, Data: data, CreatedAt: now}}
			if n.mail && u.Email != "" {
				subject, body := n.Render(u.Language, notice)
				row.Mail = &domain.OutboxMessage{To: u.Email, Subject: subject, Body: body, Language: u.Language,
					CreatedAt: now, NextAttemptAt: now}
			}
			rows = append(rows, row)
		}
	}
	return st.InsertNotices(ctx, rows)
}
