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
// one reads their signing key and one inserts them all. Each recipient receives exactly what Notify
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
			u, ok := byID[id]
			if !ok || u.Disabled {
				continue
			}
			row := store.NoticeRow{Notification: domain.Notification{UserID: u.ID, Kind: notice.Kind,
				RequestID: notice.RequestID, Data: data, CreatedAt: now}}
			if n.mail && u.Email != "" {
				offered, err := n.offer(ctx, st, &key, notice, u, now, &links)
				if err != nil {
					return err
				}
				subject, body := n.RenderWith(u.Language, notice, offered)
				row.Mail = &domain.OutboxMessage{To: u.Email, Subject: subject, Body: body, CreatedAt: now, NextAttemptAt: now}
			}
			rows = append(rows, row)
		}
	}
	if err := st.InsertActionLinks(ctx, links); err != nil {
		return err
	}
	// Reply addresses (issue 19): each e-mail about a request gets its
	// own, in one more statement for the whole batch (reply.go).
	if err := n.addReplyAddresses(ctx, st, rows, func(id int64) string { return byID[id].Language }); err != nil {
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
