package notify

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// UnsubscribePath starts a digest's one-click unsubscribe URL; the
// user's signed token (domain.DigestUnsubscribeToken) follows it.
const UnsubscribePath = "/unsubscribe/digest/"

// SendDigests queues, through st (the caller's transaction), the daily
// digest e-mail of up to limit users whose oldest waiting notice has
// waited domain.DigestEvery at now: one e-mail per user, in their
// language, listing each notice (its subject, as its own e-mail would
// have it, and its link), with a List-Unsubscribe header whose one-click
// URL turns that user's digest kinds to in-app only. It returns how many
// digests it queued and whether the claim was full (more may be due). A
// constant number of statements whatever the number: the take, the
// secret (only when something is due) and one insert.
func (n *Notifier) SendDigests(ctx context.Context, st *store.Store, now time.Time, limit int) (int, bool, error) {
	if !n.mail {
		return 0, false, nil
	}
	digests, err := st.TakeDueDigests(ctx, now.Add(-domain.DigestEvery), limit)
	if err != nil || len(digests) == 0 {
		return 0, false, err
	}
	key, err := DigestKey(ctx, st)
	if err != nil {
		return 0, false, err
	}
	var mails []domain.OutboxMessage
	for _, d := range digests {
		if d.User.Disabled || d.User.Email == "" {
			continue
		}
		subject, body, unsub := n.RenderDigest(key, d.User, d.Items)
		mails = append(mails, domain.OutboxMessage{To: d.User.Email, Subject: subject, Body: body,
			ListUnsubscribe: unsub, Language: d.User.Language, CreatedAt: now, NextAttemptAt: now})
	}
	return len(mails), len(digests) == limit, st.InsertOutboxAll(ctx, mails)
}

// DigestKey returns the installation's key for the digest's unsubscribe
// links, making it on first use (store.InstanceSecret).
func DigestKey(ctx context.Context, st *store.Store) ([]byte, error) {
	candidate := make([]byte, 32)
	if _, err := rand.Read(candidate); err != nil {
		return nil, fmt.Errorf("notify: digest key: %w", err)
	}
	return st.InstanceSecret(ctx, domain.DigestUnsubscribeSecret, candidate)
}

// UnsubscribeURL is user userID's one-click unsubscribe URL for the
// digest, signed with key.
func (n *Notifier) UnsubscribeURL(key []byte, userID int64) string {
	return n.baseURL + UnsubscribePath + domain.DigestUnsubscribeToken(key, userID)
}

// RenderDigest returns the subject and plain-text body of user u's digest
// of items (oldest first), in u's language, and its unsubscribe URL.
func (n *Notifier) RenderDigest(key []byte, u domain.User, items []domain.Notification) (subject, body, unsubscribe string) {
	loc := n.catalog.Localizer(u.Language)
	unsubscribe = n.UnsubscribeURL(key, u.ID)
	kv := []any{"PreferencesLink", n.baseURL + "/profile/notifications", "UnsubscribeLink", unsubscribe,
		"NotificationsLink", n.baseURL + "/notifications"}
	subject = oneLine(loc.T("notify.digest.subject", kv...), maxSubject)
	var b strings.Builder
	b.WriteString(loc.T("notify.digest.intro", kv...))
	b.WriteString("\n")
	for _, it := range items {
		notice := domain.Notice{Kind: it.Kind, RequestID: it.RequestID, Reference: it.Data["Reference"],
			Title: it.Data["Title"], Data: it.Data}
		line, _ := n.Render(u.Language, notice)
		link, _ := n.linkOf(notice)
		b.WriteString("\n- " + loc.T("notify.digest.item", "At", loc.StoredTime(it.CreatedAt.UTC().Format(time.RFC3339)), "Line", line) +
			"\n  " + link + "\n")
		if c := it.Data["Comment"]; c != "" {
			// A comment is quoted on one line, so the digest reads alone.
			b.WriteString("  > " + oneLine(c, 300) + "\n")
		}
	}
	b.WriteString("\n-- \n" + loc.T("notify.digest.footer", kv...) + "\n")
	return subject, b.String(), unsubscribe
}
