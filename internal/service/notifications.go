package service

import (
	"context"
	"log/slog"
	"math"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// Notifications is a user's own in-app notifications: the list, the
// unread count and marking them read. Nobody ever sees, counts or marks
// another user's notifications: every method works on by's own.
type Notifications struct {
	store *store.Store
	now   func() time.Time
	log   *slog.Logger
}

// NewNotifications returns the Notifications service.
func NewNotifications(st *store.Store, now func() time.Time, log *slog.Logger) *Notifications {
	return &Notifications{store: st, now: now, log: log}
}

// MaxNotifications is the most List returns.
const MaxNotifications = 200

// List returns by's newest notifications, newest first, at most limit
// (1 to MaxNotifications). Anonymous callers get CodeUnauthorized.
func (s *Notifications) List(ctx context.Context, by domain.Actor, limit int) ([]domain.Notification, error) {
	if by.Anonymous() {
		return nil, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	limit = min(max(limit, 1), MaxNotifications)
	return s.store.ListNotifications(ctx, by.UserID, limit)
}

// UnreadCount returns how many of by's notifications are unread; a count
// over domain.UnreadCounted means "more than that many".
func (s *Notifications) UnreadCount(ctx context.Context, by domain.Actor) (int, error) {
	if by.Anonymous() {
		return 0, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	return s.store.UnreadCount(ctx, by.UserID)
}

// MarkRead marks by's notifications up to and including upToID as read
// (all of them when upToID is 0) and returns how many it marked. Those
// that arrived later stay unread, so a page showing an older list never
// hides a newer notification.
func (s *Notifications) MarkRead(ctx context.Context, by domain.Actor, upToID int64) (int, error) {
	if by.Anonymous() {
		return 0, domain.Errorf(domain.CodeUnauthorized, "error.unauthorized")
	}
	if upToID <= 0 {
		upToID = math.MaxInt64
	}
	return s.store.MarkNotificationsRead(ctx, by.UserID, upToID, s.now())
}
