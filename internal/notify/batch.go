package notify

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cmcoord/cmcoord/internal/actionlink"
	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// NotifyAll records every notice of notices as Notify would, one after
// the other, in two statements whatever their number: the recipients are
// read at once and every notification and e-mail inserted at once
// (store.InsertNotices); with reply addresses on (WithReplyDomain), one
// more inserts every reply token of the batch (and, once per process,
// one reads the signing key); with action links offered (Notice.Links),
// one reads their signing key and one inserts them all. Each recipient
// receives exactly what Notify gives them: one notification per notice (repeats told once, disabled
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
	now := n.now()
	// By ID, with their roles as they stand now (an acting HC's
	// included) and their preferences.
	users, err := st.ListRecipients(ctx, all, now)
	if err != nil {
		return err
	}
	byID := make(map[int64]store.Recipient, len(users))
	for _, u := range users {
		byID[u.User.ID] = u
	}
	var (
		rows  []store.NoticeRow
		links []store.ActionLinkRow
		key   []byte // the links' signing key, read once when a notice offers links
	)
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
				offered, err := n.offer(ctx, st, &key, notice, u, now, &links)
				if err != nil {
					return err
				}
				subject, body := n.RenderWith(u.Language, notice, offered)
				row.Mail = &domain.OutboxMessage{To: u.Email, Subject: subject, Body: body, Language: u.Language,
					CreatedAt: now, NextAttemptAt: now}
			case delivery == domain.DeliveryDigest:
				row.Digest = true
			}
			rows = append(rows, row)
		}
	}
	if err := st.InsertActionLinks(ctx, links); err != nil {
		return err
	}
	// Reply addresses (issue 19): each e-mail about a request gets its
	// own, in one more statement for the whole batch (reply.go).
	if err := n.addReplyAddresses(ctx, st, rows, func(id int64) string { return byID[id].User.Language }); err != nil {
		return err
	}
	return st.InsertNotices(ctx, rows)
}

// offer makes user u's action links of notice (none unless the notice
// offers links and u is among the offer's users), adding the rows to
// store to links; key is read through st on first need.
func (n *Notifier) offer(ctx context.Context, st *store.Store, key *[]byte, notice domain.Notice, u domain.User,
	now time.Time, links *[]store.ActionLinkRow) ([]OfferedLink, error) {
	o := notice.Links
	if o == nil || !o.For(u.ID) || !now.Before(o.ExpiresAt) {
		return nil, nil
	}
	if *key == nil {
		k, err := actionlink.Key(ctx, st)
		if err != nil {
			return nil, err
		}
		*key = k
	}
	out := make([]OfferedLink, 0, len(o.Values))
	for _, v := range o.Values {
		l := domain.ActionLink{UserID: u.ID, RequestID: notice.RequestID, ReviewID: o.ReviewID, Round: o.Round,
			Purpose: o.Purpose, Value: v, CreatedAt: now, ExpiresAt: o.ExpiresAt}
		token, hash := actionlink.New(*key, l)
		*links = append(*links, store.ActionLinkRow{Link: l, Hash: hash})
		out = append(out, OfferedLink{Value: v, Token: token})
	}
	return out, nil
}
