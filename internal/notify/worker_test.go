package notify_test

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/notify"
)

// logBuffer collects log output from concurrent goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newWorker(w *world, d *smtpd, c *clock, logs *logBuffer) *notify.Worker {
	m, err := notify.NewMailer("smtp://" + d.addr + "?from=cmcoord@example.org")
	if err != nil {
		panic(err)
	}
	m.Timeout = 10 * time.Second
	m.BaseURL = "https://cmcoord.example.org"
	wk := notify.NewWorker(w.st, m, slog.New(slog.NewTextHandler(logs, nil)))
	wk.Now = c.Now
	return wk
}

// queue notifies recipients of a returned request with mail enabled.
func queue(t *testing.T, w *world, c *clock, names ...string) {
	t.Helper()
	var ids []int64
	for _, n := range names {
		ids = append(ids, w.id(n))
	}
	n := notify.New(mustCatalog(t), true, "https://cmcoord.example.org", nil).WithClock(c.Now)
	w.notify(t, n, domain.Notice{Kind: domain.NoticeReturned, RequestID: w.request.ID, Reference: w.request.Reference,
		Title: w.request.Title, Data: map[string]string{"Reason": "Too vague."}, Recipients: ids})
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		32 * time.Minute, 64 * time.Minute, 128 * time.Minute, 256 * time.Minute, 6 * time.Hour, 6 * time.Hour}
	for attempts, w := range want {
		if got := notify.Backoff(attempts); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", attempts, got, w)
		}
	}
	if got := notify.Backoff(100); got != 6*time.Hour {
		t.Errorf("Backoff(100) = %v", got)
	}
}

func TestWorker(t *testing.T) {
	t.Parallel()

	// Messages queued while no worker ran are all sent by the next one,
	// with the recipient, subject and link of each.
	t.Run("Delivers", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, "ana:en", "ben:en")
		c := &clock{t: t0}
		queue(t, w, c, "ana", "ben")
		d, _ := newSMTPD(t, smtpdOptions{})
		wk := newWorker(w, d, c, &logBuffer{})
		sent, failed, err := wk.DrainOnce(t.Context())
		if err != nil || sent != 2 || failed != 0 {
			t.Fatalf("DrainOnce = %d sent, %d failed, %v; want 2, 0", sent, failed, err)
		}
		got := d.messages()
		if len(got) != 2 {
			t.Fatalf("server received %d messages, want 2", len(got))
		}
		link := "https://cmcoord.example.org/requests/" + strconv.FormatInt(w.request.ID, 10)
		for i, to := range []string{"ana@example.org", "ben@example.org"} {
			p := parse(t, got[i].Raw)
			if got[i].To[0] != to || p.Header.Get("To") != "<"+to+">" {
				t.Errorf("message %d to %v, header %q; want %s", i, got[i].To, p.Header.Get("To"), to)
			}
			if want := "Request " + w.request.Reference + " returned for changes: Évacuation médicale"; p.Subject != want {
				t.Errorf("Subject = %q, want %q", p.Subject, want)
			}
			if !strings.Contains(p.Body, link) {
				t.Errorf("body lacks %s:\n%s", link, p.Body)
			}
		}
		for _, m := range w.outbox(t) {
			if m.SentAt.IsZero() || m.Attempts != 1 {
				t.Errorf("outbox row %d = %+v, want sent after one attempt", m.ID, m)
			}
		}
		if sent, failed, err := wk.DrainOnce(t.Context()); sent+failed != 0 || err != nil {
			t.Errorf("second DrainOnce = %d, %d, %v; want nothing to do", sent, failed, err)
		}
	})

	// A refusing server, temporary or permanent, gets the message again
	// after 1, 2, 4… minutes, and after the eighth attempt it is given up.
	for _, code := range []int{451, 550} {
		t.Run("Refused"+strconv.Itoa(code), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "ana:en")
			c := &clock{t: t0}
			queue(t, w, c, "ana")
			d, _ := newSMTPD(t, smtpdOptions{})
			d.refuse = func(string) error {
				return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: "Not now"}
			}
			logs := &logBuffer{}
			wk := newWorker(w, d, c, logs)
			for attempt := 1; attempt <= 8; attempt++ {
				sent, failed, err := wk.DrainOnce(t.Context())
				if err != nil || sent != 0 || failed != 1 {
					t.Fatalf("attempt %d: DrainOnce = %d, %d, %v; want one failure", attempt, sent, failed, err)
				}
				m := w.outbox(t)[0]
				if m.Attempts != attempt || !strings.Contains(m.LastError, strconv.Itoa(code)) {
					t.Fatalf("after attempt %d: %+v", attempt, m)
				}
				if attempt == 8 {
					if m.FailedAt.IsZero() {
						t.Fatalf("after the last attempt: %+v, want failed", m)
					}
					break
				}
				if wait := m.NextAttemptAt.Sub(c.Now()); wait != notify.Backoff(attempt-1) {
					t.Fatalf("after attempt %d the next is in %v, want %v", attempt, wait, notify.Backoff(attempt-1))
				}
				// Not due a second early.
				c.Set(m.NextAttemptAt.Add(-time.Second))
				if sent, failed, _ := wk.DrainOnce(t.Context()); sent+failed != 0 {
					t.Fatalf("attempt %d retried before its time", attempt)
				}
				c.Set(m.NextAttemptAt)
			}
			c.Set(c.Now().Add(24 * time.Hour))
			if sent, failed, _ := wk.DrainOnce(t.Context()); sent+failed != 0 {
				t.Error("a failed message was tried again")
			}
			if n := strings.Count(logs.String(), "will retry"); n != 7 {
				t.Errorf("%d retry lines logged, want 7:\n%s", n, logs)
			}
			if !strings.Contains(logs.String(), "e-mail given up") {
				t.Errorf("giving up was not logged:\n%s", logs)
			}
			if len(d.messages()) != 0 {
				t.Errorf("the refusing server received %d messages", len(d.messages()))
			}
		})
	}

	// Two workers draining one outbox at once send each message exactly
	// once: each skips the rows the other holds.
	t.Run("ConcurrentWorkersSendOnce", func(t *testing.T) {
		t.Parallel()
		const n = 30
		var names []string
		for i := range n {
			names = append(names, fmt.Sprintf("u%02d:en", i))
		}
		w := newWorld(t, names...)
		c := &clock{t: t0}
		for i := range n {
			queue(t, w, c, fmt.Sprintf("u%02d", i))
		}
		d, _ := newSMTPD(t, smtpdOptions{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for range 2 {
			wk := newWorker(w, d, c, &logBuffer{})
			wk.BatchSize = 3
			wg.Go(func() {
				for {
					sent, failed, err := wk.DrainOnce(context.Background())
					if err != nil || failed != 0 {
						t.Errorf("DrainOnce = %d, %d, %v", sent, failed, err)
						return
					}
					if sent == 0 {
						return
					}
					mu.Lock()
					total += sent
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		got := map[string]int{}
		for _, m := range d.messages() {
			got[m.To[0]]++
		}
		if len(got) != n || total != n {
			t.Errorf("%d recipients reached, %d counted sent; want %d", len(got), total, n)
		}
		for to, k := range got {
			if k != 1 {
				t.Errorf("%s received %d copies", to, k)
			}
		}
	})

	// Run sends what is queued while it runs and returns when stopped.
	t.Run("Run", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, "ana:en")
		c := &clock{t: t0}
		d, _ := newSMTPD(t, smtpdOptions{})
		wk := newWorker(w, d, c, &logBuffer{})
		wk.PollInterval = 20 * time.Millisecond
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); wk.Run(ctx) }()
		queue(t, w, c, "ana")
		deadline := time.Now().Add(10 * time.Second)
		for len(d.messages()) == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
		if len(d.messages()) != 1 {
			t.Fatalf("received %d messages, want 1", len(d.messages()))
		}
	})

}

// TestWorkerAtMostOnce: while a message is on the wire no database
// transaction of cmcoord is open, and every message sent before it is
// already marked sent — so a crash resends at most the message in
// flight — and a message sent again (its mark lost) carries the same
// Message-ID, derived from its outbox row.
func TestWorkerAtMostOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "ana:en", "ben:en", "cy:en")
	c := &clock{t: t0}
	queue(t, w, c, "ana", "ben", "cy")
	d, _ := newSMTPD(t, smtpdOptions{})
	var (
		mu       sync.Mutex
		problems []string
		rcpts    int
	)
	d.refuse = func(to string) error { // the message is being sent now
		ctx := context.Background()
		var marked, open int
		if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL`).Scan(&marked); err != nil {
			return err
		}
		if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).Scan(&open); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if marked != rcpts {
			problems = append(problems, fmt.Sprintf("sending to %s: %d marked sent, want the %d sent before", to, marked, rcpts))
		}
		if open != 0 {
			problems = append(problems, fmt.Sprintf("sending to %s: %d transactions open", to, open))
		}
		rcpts++
		return nil
	}
	wk := newWorker(w, d, c, &logBuffer{})
	if sent, failed, err := wk.DrainOnce(t.Context()); err != nil || sent != 3 || failed != 0 {
		t.Fatalf("DrainOnce = %d sent, %d failed, %v; want 3, 0", sent, failed, err)
	}
	mu.Lock()
	for _, p := range problems {
		t.Error(p)
	}
	mu.Unlock()

	// The mark of the first message is lost (a crash right after the
	// send): it goes again, as the same message.
	first := w.outbox(t)[0]
	if _, err := w.pool.Exec(t.Context(), `UPDATE outbox SET sent_at = NULL, next_attempt_at = $2 WHERE id = $1`, first.ID, t0); err != nil {
		t.Fatal(err)
	}
	if sent, _, err := wk.DrainOnce(t.Context()); err != nil || sent != 1 {
		t.Fatalf("resend = %d sent, %v", sent, err)
	}
	got := d.messages()
	ids := map[string]int{}
	for _, m := range got {
		ids[parse(t, m.Raw).Header.Get("Message-ID")]++
	}
	want := fmt.Sprintf("<cmcoord.%d.%d@example.org>", first.ID, first.CreatedAt.UnixMicro())
	if len(got) != 4 || len(ids) != 3 || ids[want] != 2 {
		t.Fatalf("Message-IDs %v, want 3 distinct with %s twice", ids, want)
	}
}
