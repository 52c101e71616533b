package notify

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// replies is the Notifier's reply addresses setting (issue 19, comment by
// replying): the mail domain, and the signing key once read.
type replies struct {
	domain string // "" : no reply addresses

	mu  sync.Mutex
	key []byte // the instance secret domain.ReplyTokenSecret, read once
}

// WithReplyDomain makes every e-mail about a request carry a reply
// address reply+<token>@domain (domain.ReplyAddress) of its own, and a
// line in its body saying that a reply becomes a comment. "" (the
// default) gives none. It returns n.
func (n *Notifier) WithReplyDomain(domain string) *Notifier {
	n.replies.domain = strings.ToLower(strings.TrimSpace(domain))
	return n
}

// ReplyDomain is the domain of the reply addresses, "" when off.
func (n *Notifier) ReplyDomain() string { return n.replies.domain }

// replyKey returns the key that signs reply tokens, creating the
// installation's secret on first use, through st (the caller's
// transaction).
func (n *Notifier) replyKey(ctx context.Context, st *store.Store) ([]byte, error) {
	r := &n.replies
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.key == nil {
		candidate := make([]byte, 32)
		_, _ = rand.Read(candidate) // never fails (crypto/rand)
		key, err := st.InstanceSecret(ctx, domain.ReplyTokenSecret, candidate)
		if err != nil {
			return nil, err
		}
		r.key = key
	}
	return r.key, nil
}

// addReplyAddresses gives each e-mail of rows about a request — account
// notices never — a fresh reply address and the line telling its reader
// (in language langOf(user ID)) that a reply becomes a comment, and
// stores the tokens' hashes in one statement, whatever their number.
// It does nothing when reply addresses are off.
func (n *Notifier) addReplyAddresses(ctx context.Context, st *store.Store, rows []store.NoticeRow, langOf func(int64) string) error {
	if n.replies.domain == "" {
		return nil
	}
	var tokens []domain.ReplyToken
	var key []byte
	for i := range rows {
		row := &rows[i]
		if row.Mail == nil || row.Notification.RequestID == 0 || row.Notification.Kind.Account() {
			continue
		}
		if key == nil {
			var err error
			if key, err = n.replyKey(ctx, st); err != nil {
				return err
			}
		}
		random := make([]byte, domain.ReplyTokenRandom)
		_, _ = rand.Read(random)
		token := domain.NewReplyToken(key, random)
		created := row.Mail.CreatedAt
		tokens = append(tokens, domain.ReplyToken{Hash: domain.ReplyTokenHash(token), UserID: row.Notification.UserID,
			RequestID: row.Notification.RequestID, CreatedAt: created, ExpiresAt: created.Add(domain.ReplyTokenLifetime)})
		row.Mail.ReplyTo = domain.ReplyAddress(token, n.replies.domain)
		row.Mail.Body = withReplyLine(row.Mail.Body, n.catalog.Localizer(langOf(row.Notification.UserID)).T("notify.reply_hint"))
	}
	return st.InsertReplyTokens(ctx, tokens)
}

// withReplyLine adds line to body as a paragraph of its own just before
// the signature ("-- " line), or at the end when there is none.
func withReplyLine(body, line string) string {
	if i := strings.LastIndex(body, "\n-- \n"); i >= 0 {
		return body[:i] + "\n" + line + "\n" + body[i:]
	}
	return strings.TrimRight(body, "\n") + "\n\n" + line + "\n"
}
