package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// mustUsers creates an organisation and n users in it, the last one
// disabled when disableLast.
func mustUsers(t *testing.T, st *store.Store, n int, disableLast bool) []domain.User {
	t.Helper()
	ctx := t.Context()
	org, err := st.CreateOrganization(ctx, domain.Organization{Name: "OCHA", Acronym: "OCHA", Type: domain.OrgUNAgency, UNEntity: true}, t0)
	if err != nil {
		t.Fatal(err)
	}
	var out []domain.User
	for i := range n {
		u := domain.User{Email: fmt.Sprintf("user%d@example.org", i), Name: fmt.Sprintf("User %d", i),
			OrganizationID: org.ID, Language: "en", Disabled: disableLast && i == n-1}
		u, err := st.CreateUser(ctx, u, "", t0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

func TestNotifications(t *testing.T) {
	t.Parallel()
	st := store.New(testdb.New(t))
	ctx := t.Context()
	users := mustUsers(t, st, 2, false)
	ana, ben := users[0], users[1]
	var ids []int64
	for i := range 3 {
		n, err := st.InsertNotification(ctx, domain.Notification{UserID: ana.ID, Kind: domain.NoticeReturned,
			Data: map[string]string{"Reference": fmt.Sprintf("NPL-RFA-%04d", i), "Reason": "Ünïcode"}, CreatedAt: t0.Add(time.Duration(i) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, n.ID)
	}
	if _, err := st.InsertNotification(ctx, domain.Notification{UserID: ben.ID, Kind: domain.NoticeDecision, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}

	list, err := st.ListNotifications(ctx, ana.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != ids[2] || list[1].ID != ids[1] {
		t.Fatalf("ListNotifications(limit 2) = %+v, want the newest two, newest first", list)
	}
	if got := list[0]; got.Kind != domain.NoticeReturned || got.RequestID != 0 || got.Data["Reason"] != "Ünïcode" ||
		got.Data["Reference"] != "NPL-RFA-0002" || !got.Unread() || !got.CreatedAt.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("stored notification = %+v", got)
	}

	unread := func(u domain.User) int {
		t.Helper()
		n, err := st.UnreadCount(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := unread(ana); got != 3 {
		t.Fatalf("UnreadCount = %d, want 3", got)
	}
	// Up to the second: the newest stays unread, Ben's are untouched.
	marked, err := st.MarkNotificationsRead(ctx, ana.ID, ids[1], t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if marked != 2 || unread(ana) != 1 || unread(ben) != 1 {
		t.Fatalf("after marking up to %d: marked %d, unread Ana %d, Ben %d; want 2, 1, 1", ids[1], marked, unread(ana), unread(ben))
	}
	// Marking again leaves the read time alone.
	if marked, err := st.MarkNotificationsRead(ctx, ana.ID, ids[2], t0.Add(2*time.Hour)); err != nil || marked != 1 {
		t.Fatalf("second mark = %d, %v; want 1", marked, err)
	}
	list, err = st.ListNotifications(ctx, ana.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !list[2].ReadAt.Equal(t0.Add(time.Hour)) || !list[0].ReadAt.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("read times = %v, %v", list[2].ReadAt, list[0].ReadAt)
	}

	got, err := st.ListUsersByID(ctx, []int64{ben.ID, ana.ID, ben.ID, 999999})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != ana.ID || got[1].Email != ben.Email || got[1].Language != "en" {
		t.Errorf("ListUsersByID = %+v", got)
	}
}

func TestOutbox(t *testing.T) {
	t.Parallel()

	t.Run("ClaimAndMark", func(t *testing.T) {
		t.Parallel()
		st := store.New(testdb.New(t))
		ctx := t.Context()
		var ids []int64
		for i, due := range []time.Time{t0.Add(2 * time.Minute), t0, t0.Add(time.Hour)} {
			m, err := st.InsertOutbox(ctx, domain.OutboxMessage{To: fmt.Sprintf("u%d@example.org", i), Subject: "Subject",
				Body: "Body", CreatedAt: t0, NextAttemptAt: due})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
		}
		if _, err := st.ClaimDueOutbox(ctx, t0, 10); !errors.Is(err, store.ErrNeedsTx) {
			t.Fatalf("ClaimDueOutbox outside a transaction = %v, want ErrNeedsTx", err)
		}
		claim := func(now time.Time) []int64 {
			t.Helper()
			var out []int64
			err := st.InTx(ctx, func(tx *store.Store) error {
				ms, err := tx.ClaimDueOutbox(ctx, now, 10)
				for _, m := range ms {
					out = append(out, m.ID)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		if got := claim(t0.Add(5 * time.Minute)); fmt.Sprint(got) != fmt.Sprint([]int64{ids[1], ids[0]}) {
			t.Fatalf("due at +5m = %v, want %v (earliest first)", got, []int64{ids[1], ids[0]})
		}
		if err := st.MarkOutboxSent(ctx, ids[1], 1, t0.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkOutboxRetry(ctx, ids[0], 1, t0.Add(10*time.Minute), "451 try later"); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkOutboxFailed(ctx, ids[2], 8, t0.Add(5*time.Minute), "550 no such user"); err != nil {
			t.Fatal(err)
		}
		if got := claim(t0.Add(5 * time.Minute)); len(got) != 0 {
			t.Fatalf("due at +5m after marking = %v, want none", got)
		}
		if got := claim(t0.Add(24 * time.Hour)); fmt.Sprint(got) != fmt.Sprint([]int64{ids[0]}) {
			t.Fatalf("due a day later = %v, want only the retried %d", got, ids[0])
		}
		m, err := st.GetOutbox(ctx, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		if m.Attempts != 1 || m.LastError != "451 try later" || !m.NextAttemptAt.Equal(t0.Add(10*time.Minute)) || !m.SentAt.IsZero() {
			t.Errorf("retried message = %+v", m)
		}
		if m, _ := st.GetOutbox(ctx, ids[2]); m.FailedAt.IsZero() || m.Attempts != 8 {
			t.Errorf("failed message = %+v", m)
		}
		if err := st.MarkOutboxSent(ctx, 999999, 1, t0); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("marking a missing message = %v, want not_found", err)
		}
	})

	// Concurrent claimers each get a disjoint share: SKIP LOCKED passes
	// over rows another transaction holds.
	t.Run("SkipLocked", func(t *testing.T) {
		t.Parallel()
		st := store.New(testdb.New(t))
		ctx := t.Context()
		const n = 40
		for i := range n {
			if _, err := st.InsertOutbox(ctx, domain.OutboxMessage{To: fmt.Sprintf("u%d@example.org", i), Subject: "S",
				Body: "B", CreatedAt: t0}); err != nil {
				t.Fatal(err)
			}
		}
		var (
			mu    sync.Mutex
			seen  = map[int64]int{}
			wg    sync.WaitGroup
			start = make(chan struct{})
		)
		for range 4 {
			wg.Go(func() {
				<-start
				for {
					var got int
					err := st.InTx(context.Background(), func(tx *store.Store) error {
						ms, err := tx.ClaimDueOutbox(context.Background(), t0, 3)
						if err != nil {
							return err
						}
						got = len(ms)
						mu.Lock()
						for _, m := range ms {
							seen[m.ID]++
						}
						mu.Unlock()
						time.Sleep(5 * time.Millisecond) // hold the locks a while
						for _, m := range ms {
							if err := tx.MarkOutboxSent(context.Background(), m.ID, 1, t0); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						t.Error(err)
						return
					}
					if got == 0 {
						return
					}
				}
			})
		}
		close(start)
		wg.Wait()
		if len(seen) != n {
			t.Errorf("%d messages claimed, want %d", len(seen), n)
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("message %d claimed %d times", id, c)
			}
		}
	})
}
