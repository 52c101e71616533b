package service

import (
	"context"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// notifyAccount tells user u, in-app and by e-mail, that a credential of
// their account changed (kind is one of domain.AccountNoticeKinds), on st
// — the transaction of the change, so the notice exists exactly when the
// change does. The message says what happened, when (now) and from which
// address, and what to do if it was not them; data adds kind-specific
// values (TokenName, Scope, Expires for a token) and must never hold a
// secret. A nil notifier tells nobody (a service built without one, in
// tests of other things).
func notifyAccount(ctx context.Context, st *store.Store, n Notifier, now time.Time, u domain.User, kind domain.NoticeKind, address string, data map[string]string) error {
	if n == nil {
		return nil
	}
	d := make(map[string]string, len(data)+2)
	for k, v := range data {
		d[k] = v
	}
	d["At"] = now.UTC().Format(time.RFC3339)
	d["Address"] = address
	return n.Notify(ctx, st, domain.Notice{Kind: kind, Recipients: []int64{u.ID}, Data: d})
}
