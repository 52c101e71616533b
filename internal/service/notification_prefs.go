package service

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// NoticePreference is one row of a user's notification preferences: a
// kind they may receive (domain.KindsFor their roles), its default for
// them and how they receive it now.
type NoticePreference struct {
	Kind     domain.NoticeKind
	Default  domain.Delivery
	Delivery domain.Delivery
}

// allRoles is the union of the roles a holds in every operation: the
// preferences are the user's, not an operation's.
func allRoles(a domain.Actor) domain.RoleSet {
	var out domain.RoleSet
	for _, rs := range a.Roles {
		for _, r := range rs {
			if !out.Has(r) {
				out = append(out, r)
			}
		}
	}
	return out
}

func preferenceRows(roles domain.RoleSet, prefs map[domain.NoticeKind]domain.Delivery) []NoticePreference {
	kinds := domain.KindsFor(roles)
	out := make([]NoticePreference, len(kinds))
	for i, k := range kinds {
		out[i] = NoticePreference{Kind: k, Default: domain.DefaultDelivery(k, roles),
			Delivery: domain.EffectiveDelivery(k, roles, prefs)}
	}
	return out
}

// Preferences returns by's notification preferences, one row per kind
// they may receive.
func (s *Notifications) Preferences(ctx context.Context, by domain.Actor) ([]NoticePreference, error) {
	if by.Anonymous() {
		return nil, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	prefs, err := s.store.NotificationPreferences(ctx, by.UserID)
	if err != nil {
		return nil, err
	}
	return preferenceRows(allRoles(by), prefs), nil
}

// SetPreferences changes how by receives the kinds of choices (kinds it
// does not name keep theirs), in one transaction, and returns the
// preferences as they now are. Only choices that differ from the
// default of by's roles are stored, so a default that changes reaches
// everyone who never chose. An unknown or account kind, or an unknown
// delivery, is CodeInvalid and changes nothing.
func (s *Notifications) SetPreferences(ctx context.Context, by domain.Actor, choices map[domain.NoticeKind]domain.Delivery) ([]NoticePreference, error) {
	if by.Anonymous() {
		return nil, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	if err := domain.ValidatePreferences(choices); err != nil {
		return nil, err
	}
	roles := allRoles(by)
	var out []NoticePreference
	err := s.store.InTx(ctx, func(st *store.Store) error {
		prefs, err := st.NotificationPreferences(ctx, by.UserID)
		if err != nil {
			return err
		}
		for k, d := range choices {
			prefs[k] = d
		}
		if err := st.SetNotificationPreferences(ctx, by.UserID, withoutDefaults(prefs, roles), s.now()); err != nil {
			return err
		}
		// What waited for the digest of a kind no longer wanted in one is
		// not sent in it (it stays in-app).
		var undigested []domain.NoticeKind
		for _, a := range domain.NoticeAudiences {
			if domain.EffectiveDelivery(a.Kind, roles, prefs) != domain.DeliveryDigest {
				undigested = append(undigested, a.Kind)
			}
		}
		if err := st.DropDigestItemsOf(ctx, by.UserID, undigested); err != nil {
			return err
		}
		out = preferenceRows(roles, prefs)
		return nil
	})
	return out, err
}

// withoutDefaults returns the choices of prefs that differ from the
// default of roles.
func withoutDefaults(prefs map[domain.NoticeKind]domain.Delivery, roles domain.RoleSet) map[domain.NoticeKind]domain.Delivery {
	out := make(map[domain.NoticeKind]domain.Delivery, len(prefs))
	for k, d := range prefs {
		if k.Configurable() && d != domain.DefaultDelivery(k, roles) {
			out[k] = d
		}
	}
	return out
}

// digestKey returns the installation's key for the digest's unsubscribe
// links (the notifier signs them with the same secret).
func digestKey(ctx context.Context, st *store.Store) ([]byte, error) {
	candidate := make([]byte, 32)
	if _, err := rand.Read(candidate); err != nil {
		return nil, fmt.Errorf("service: digest key: %w", err)
	}
	return st.InstanceSecret(ctx, domain.DigestUnsubscribeSecret, candidate)
}

// CheckUnsubscribe reports whether token is a valid one-click unsubscribe
// token of a digest (CodeNotFound when not), changing nothing: what the
// link's confirmation page asks before the POST. It returns the token's
// user's language ("" when unset), in which the pages of the link speak
// to a visitor who chose none.
func (s *Notifications) CheckUnsubscribe(ctx context.Context, token string) (lang string, err error) {
	key, err := digestKey(ctx, s.store)
	if err != nil {
		return "", err
	}
	id, ok := domain.ParseDigestUnsubscribeToken(key, token)
	if !ok {
		return "", domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	u, err := s.store.GetUser(ctx, id)
	if err != nil {
		return "", err
	}
	return u.Language, nil
}

// UnsubscribeDigest is the digest's one-click unsubscribe (RFC 8058): the
// user token names gets every kind they receive in the digest in-app
// only, and what waited for their next digest is dropped (it stays
// in-app), in one transaction. It needs no session: the token, signed
// by the installation, is the authority, and all it can do is this. It
// returns how many kinds it changed; an invalid token is CodeNotFound.
func (s *Notifications) UnsubscribeDigest(ctx context.Context, token string) (int, error) {
	var changed int
	err := s.store.InTx(ctx, func(st *store.Store) error {
		changed = 0
		key, err := digestKey(ctx, st)
		if err != nil {
			return err
		}
		id, ok := domain.ParseDigestUnsubscribeToken(key, token)
		if !ok {
			return domain.Errorf(domain.CodeNotFound, "error.not_found")
		}
		rs, err := st.ListRecipients(ctx, []int64{id}, s.now())
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return domain.Errorf(domain.CodeNotFound, "error.not_found")
		}
		r := rs[0]
		for _, a := range domain.NoticeAudiences {
			if domain.EffectiveDelivery(a.Kind, r.Roles, r.Prefs) == domain.DeliveryDigest {
				r.Prefs[a.Kind] = domain.DeliveryInApp
				changed++
			}
		}
		if err := st.SetNotificationPreferences(ctx, id, withoutDefaults(r.Prefs, r.Roles), s.now()); err != nil {
			return err
		}
		_, err = st.DeleteDigestItems(ctx, id)
		return err
	})
	return changed, err
}
