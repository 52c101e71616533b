package service

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// System answers questions about the running instance itself: is it
// ready to serve, and has the demo data been loaded.
type System struct {
	store         *store.Store
	schemaVersion uint
	now           func() time.Time
	log           *slog.Logger
	// SessionIdle is the browser sessions' idle timeout: housekeeping
	// prunes sessions unused that long (domain.DefaultSessionIdle unless set).
	SessionIdle time.Duration
}

// NewSystem returns a System over st that expects the database schema at
// schemaVersion (the binary's newest migration).
func NewSystem(st *store.Store, schemaVersion uint, now func() time.Time, log *slog.Logger) *System {
	return &System{store: st, schemaVersion: schemaVersion, now: now, log: log, SessionIdle: domain.DefaultSessionIdle}
}

// Ready returns nil when the database answers and its schema is exactly
// the version this binary was built for; otherwise an error saying which.
func (s *System) Ready(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	v, dirty, err := s.store.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	switch {
	case dirty:
		return fmt.Errorf("schema version %d is dirty: a migration failed half-way", v)
	case v < s.schemaVersion:
		return fmt.Errorf("schema version %d is behind this binary's %d: run `cmcoord migrate up`", v, s.schemaVersion)
	case v > s.schemaVersion:
		return fmt.Errorf("schema version %d is ahead of this binary's %d: deploy the newer binary", v, s.schemaVersion)
	}
	return nil
}

// demoLoadedKey is the setting that records when demo data was loaded.
const demoLoadedKey = "demo.loaded_at"

// ClaimDemoLoad records that demo data is being loaded now and reports
// whether this caller is the first; only the first should load it, so two
// instances starting together never load it twice.
func (s *System) ClaimDemoLoad(ctx context.Context) (bool, error) {
	now := s.now().UTC()
	return s.store.InsertSettingOnce(ctx, demoLoadedKey, now.Format(time.RFC3339), now)
}

// DemoLoadedAt returns when demo data was loaded, or the zero time when
// it never was.
func (s *System) DemoLoadedAt(ctx context.Context) (time.Time, error) {
	set, err := s.store.GetSetting(ctx, demoLoadedKey)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return set.UpdatedAt, nil
}

// ReleaseDemoClaim undoes ClaimDemoLoad after a failed load, so the next
// run tries again.
func (s *System) ReleaseDemoClaim(ctx context.Context) error {
	return s.store.DeleteSetting(ctx, demoLoadedKey)
}

// HousekeepingInterval is how often a serving instance prunes expired
// sessions, old sign-in attempts, expired kept forms and idempotency keys.
const HousekeepingInterval = 30 * time.Minute

// Housekeep deletes expired and idle sessions, sign-in attempts too old to count
// towards throttling, expired kept forms and browser markers, and
// idempotency keys older than domain.IdempotencyTTL, expired reply
// tokens (comment by replying), and action links expired longer ago than
// domain.ActionLinkKept. It is safe to run from several instances.
func (s *System) Housekeep(ctx context.Context) error {
	now := s.now()
	if err := s.store.PruneSessions(ctx, now); err != nil {
		return err
	}
	if err := s.store.PruneIdleSessions(ctx, now.Add(-s.SessionIdle)); err != nil {
		return err
	}
	if err := s.store.PruneFormStashes(ctx, now); err != nil {
		return err
	}
	if err := s.store.PruneIdempotencyRecords(ctx, domain.IdempotencyTTL); err != nil {
		return err
	}
	if err := s.store.PruneReplyTokens(ctx, now); err != nil {
		return err
	}
	// An expired action link is kept a while, so that its page still
	// says "expired" rather than "not valid" to someone catching up on
	// old e-mail.
	if _, err := s.store.PruneActionLinks(ctx, now.Add(-domain.ActionLinkKept)); err != nil {
		return err
	}
	// Uploads left unfinished (a form abandoned, a resumable upload
	// never resumed) go after domain.UploadKept.
	stale, err := s.store.StaleFiles(ctx, now.Add(-domain.UploadKept), 100)
	if err != nil {
		return err
	}
	for _, id := range stale {
		if err := s.store.DeleteFile(ctx, id); err != nil {
			return err
		}
	}
	return s.store.PruneRateEvents(ctx, now.Add(-24*time.Hour)) // longer ago than any limit's window
}

// RunHousekeeping calls Housekeep every interval until ctx is done,
// logging failures; it returns when ctx is done.
func (s *System) RunHousekeeping(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Housekeep(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("housekeeping failed", "err", err)
			}
		}
	}
}
