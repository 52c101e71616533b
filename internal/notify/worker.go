package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// Worker drains the outbox: it sends due messages and records the
// outcome. Run it once per serving instance; any number may run at once.
type Worker struct {
	store  *store.Store
	mailer *Mailer
	log    *slog.Logger

	// BatchSize is how many messages one DrainOnce claims (10).
	BatchSize int
	// PollInterval is the pause after a round that found less than a
	// full batch (10 s).
	PollInterval time.Duration
	// MaxAttempts is how many attempts a message gets before it is marked
	// failed (8).
	MaxAttempts int
	// Now is the clock that decides what is due (time.Now).
	Now func() time.Time
}

// NewWorker returns a Worker sending st's outbox through m, with the
// defaults above.
func NewWorker(st *store.Store, m *Mailer, log *slog.Logger) *Worker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{store: st, mailer: m, log: log, BatchSize: 10, PollInterval: 10 * time.Second,
		MaxAttempts: 8, Now: time.Now}
}

// shutdownGrace is how long a round may go on recording what it did
// after its context ended.
const shutdownGrace = 10 * time.Second

// Backoff is the wait before the next attempt of a message that has now
// failed after attempts earlier attempts: one minute doubled per earlier
// attempt (1m, 2m, 4m…), at most six hours.
func Backoff(attempts int) time.Duration {
	const limit = 6 * time.Hour
	if attempts < 0 {
		attempts = 0
	}
	if attempts >= 9 { // 2^9 minutes is past the limit already
		return limit
	}
	return min(time.Minute<<attempts, limit)
}

// Run drains the outbox until ctx is done: straight on while rounds find
// full batches, otherwise every PollInterval. Failures are logged.
func (w *Worker) Run(ctx context.Context) {
	w.log.Info("e-mail worker started", "smtp", w.mailer.String())
	for {
		sent, failed, err := w.DrainOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			w.log.Error("outbox drain failed", "err", err)
		}
		if err == nil && sent+failed >= w.BatchSize {
			continue // there may be more due right now
		}
		t := time.NewTimer(w.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// DrainOnce sends up to BatchSize due messages, one at a time: it
// leases a message (store.LeaseOutbox, committed at once), sends it, and
// marks it sent, due again after Backoff, or failed after MaxAttempts,
// each in its own statement — no database transaction stays open across
// the network call, and each message is marked sent right after it is
// sent, so a crash resends at most the one message in flight, with the
// same Message-ID (its outbox row's). It returns how many were sent and
// how many failed this round (rescheduled or given up). When ctx ends
// mid-round it stops; a message cut off by ctx is due again, without an
// attempt counted.
func (w *Worker) DrainOnce(ctx context.Context) (sent, failed int, err error) {
	// The database work outlives ctx by a grace period, so that a message
	// delivered just before a shutdown is still recorded as sent.
	dbCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	defer context.AfterFunc(ctx, func() { time.AfterFunc(shutdownGrace, cancel) })()
	for range w.BatchSize {
		if ctx.Err() != nil {
			return sent, failed, nil
		}
		now := w.Now()
		// The lease outlasts the send (its timeout) by a margin: only a
		// worker that died mid-send leaves a message to its end.
		m, ok, err := w.store.LeaseOutbox(dbCtx, now, now.Add(w.mailer.Timeout+time.Minute))
		if err != nil || !ok {
			return sent, failed, err
		}
		serr := w.mailer.Send(ctx, Message{ID: outboxMessageID(m), To: m.To, Subject: m.Subject, Body: m.Body, ReplyTo: m.ReplyTo,
			ListUnsubscribe: m.ListUnsubscribe, Language: m.Language})
		if serr != nil && ctx.Err() != nil {
			// Cut off by the shutdown: due again at once, no attempt counted.
			return sent, failed, w.store.MarkOutboxRetry(dbCtx, m.ID, m.Attempts, now, m.LastError)
		}
		if err := w.record(dbCtx, w.store, m, serr); err != nil {
			return sent, failed, err
		}
		if serr == nil {
			sent++
		} else {
			failed++
		}
	}
	return sent, failed, nil
}

// outboxMessageID is message m's stable Message-ID key: the same row
// always gives the same one, so a resend after a crash is recognisably
// the same message; the creation time keeps it unique across databases.
func outboxMessageID(m domain.OutboxMessage) string {
	return fmt.Sprintf("cmcoord.%d.%d", m.ID, m.CreatedAt.UnixMicro())
}

// record marks m after one attempt that ended with serr.
func (w *Worker) record(ctx context.Context, tx *store.Store, m domain.OutboxMessage, serr error) error {
	attempts := m.Attempts + 1
	now := w.Now()
	if serr == nil {
		return tx.MarkOutboxSent(ctx, m.ID, attempts, now)
	}
	text := errorText(serr)
	if attempts >= w.MaxAttempts {
		w.log.Error("e-mail given up", "outbox_id", m.ID, "attempts", attempts, "err", text)
		return tx.MarkOutboxFailed(ctx, m.ID, attempts, now, text)
	}
	next := now.Add(Backoff(m.Attempts))
	w.log.Warn("e-mail not sent, will retry", "outbox_id", m.ID, "attempts", attempts,
		"next_attempt_at", next.UTC().Format(time.RFC3339), "err", text)
	return tx.MarkOutboxRetry(ctx, m.ID, attempts, next, text)
}

// errorText makes err storable: valid UTF-8, no NUL, at most 1000
// characters.
func errorText(err error) string {
	s := strings.ReplaceAll(strings.ToValidUTF8(err.Error(), "?"), "\x00", "")
	if utf8.RuneCountInString(s) > 1000 {
		s = string([]rune(s)[:1000])
	}
	return s
}
