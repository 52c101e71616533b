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
// in their language when mail is enabled, they have an address and the
// kind's delivery for them (domain.EffectiveDelivery, from their roles
// and preferences, read with them) is an e-mail now; a digest delivery
// queues the notification for their daily digest (SendDigests) instead.
// The notice's Actor is never told.
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
	users, err := st.ListRecipients(ctx, all) // by ID, with roles and preferences
	if err != nil {
		return err
	}
	byID := make(map[int64]store.Recipient, len(users))
	for _, u := range users {
		byID[u.User.ID] = u
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
			rc, ok := byID[id]
			u := rc.User
			if !ok || u.Disabled || u.ID == notice.Actor {
				continue
			}
			row := store.NoticeRow{Notification: domain.Notification{UserID: u.ID, Kind: notice.Kind,
				RequestID: notice.RequestID, Data: data, CreatedAt: now}}
			// Delivery (issue 19): e-mail now, the daily digest, or in-app only.
			switch delivery := domain.EffectiveDelivery(notice.Kind, rc.Roles, rc.Prefs); {
			case !n.mail || u.Email == "":
			case delivery == domain.DeliveryEmail:
				subject, body := n.Render(u.Language, notice)
				row.Mail = &domain.OutboxMessage{To: u.Email, Subject: subject, Body: body, CreatedAt: now, NextAttemptAt: now}
			case delivery == domain.DeliveryDigest:
				row.Digest = true
			}
			rows = append(rows, row)
		}
	}
	return st.InsertNotices(ctx, rows)
}
