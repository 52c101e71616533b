package store

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// limitLockSpace is the first key of the advisory locks that serialise
// reservations of one bucket (the second is the bucket's hash), apart
// from every other advisory lock.
const limitLockSpace = 7715

// Reserve takes one slot in each of slots at now, atomically: it locks
// the slots' buckets (in a stable order, so two reservations never wait
// on each other in a cycle), reads the events each counts within its
// window and, when every bucket has room, records one event in each. It
// returns the events' IDs (for Succeeded) and the room each bucket has
// left, or the longest wait when a bucket is full, recording nothing.
//
// Outside a transaction it runs in its own, which commits before it
// returns: the reservation is visible to every other attempt before the
// work it guards begins. Inside one, it holds the buckets until that
// transaction ends, and a rollback gives the slots back.
func (s *Store) Reserve(ctx context.Context, now time.Time, slots ...domain.Slot) (res Reservation, err error) {
	if _, inTx := s.db.(pgx.Tx); !inTx {
		err = s.InTx(ctx, func(st *Store) error {
			res, err = st.Reserve(ctx, now, slots...)
			return err
		})
		return res, err
	}
	sorted := slices.Clone(slots)
	slices.SortFunc(sorted, func(a, b domain.Slot) int { return compareStrings(a.Bucket(), b.Bucket()) })
	for _, sl := range sorted {
		if _, err := s.db.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, limitLockSpace, bucketKey(sl)); err != nil {
			return Reservation{}, dbErr(err, "lock limit %s", sl.Limit.Name)
		}
	}
	for _, sl := range slots {
		rows, _ := s.db.Query(ctx, `SELECT at FROM rate_events WHERE bucket = $1 AND at > $2`,
			bucketKey(sl), now.Add(-sl.Limit.Window))
		counted, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
		if err != nil {
			return Reservation{}, dbErr(err, "read limit %s", sl.Limit.Name)
		}
		res.Wait = max(res.Wait, sl.Limit.Wait(counted, now))
		res.Room = append(res.Room, sl.Limit.Max-len(counted)-1)
	}
	if res.Wait > 0 {
		return Reservation{Wait: res.Wait}, nil
	}
	for _, sl := range slots {
		var id int64
		if err := s.db.QueryRow(ctx, `INSERT INTO rate_events (bucket, at) VALUES ($1, $2) RETURNING id`,
			bucketKey(sl), now).Scan(&id); err != nil {
			return Reservation{}, dbErr(err, "reserve limit %s", sl.Limit.Name)
		}
		res.IDs = append(res.IDs, id)
	}
	return res, nil
}

// Reservation is what Reserve took: an event per slot, and the room
// each slot's bucket has left after it (0: this event filled it); or,
// when a bucket was full, only how long to wait.
type Reservation struct {
	IDs  []int64
	Room []int
	Wait time.Duration
}

// Succeeded settles a reservation whose attempt succeeded: on a limit
// that counts failures only, its event is given back, and on one that
// clears on success, the bucket's earlier events go too. ids are
// Reserve's, in the order of its slots.
func (s *Store) Succeeded(ctx context.Context, ids []int64, slots ...domain.Slot) error {
	for i, sl := range slots {
		if i >= len(ids) {
			break
		}
		var err error
		switch {
		case sl.Limit.ClearOnSuccess:
			_, err = s.db.Exec(ctx, `DELETE FROM rate_events WHERE bucket = $1 AND id <= $2`, bucketKey(sl), ids[i])
		case sl.Limit.FailuresOnly:
			_, err = s.db.Exec(ctx, `DELETE FROM rate_events WHERE id = $1`, ids[i])
		}
		if err != nil {
			return dbErr(err, "settle limit %s", sl.Limit.Name)
		}
	}
	return nil
}

// Release deletes the events ids: a reservation whose attempt never
// happened.
func (s *Store) Release(ctx context.Context, ids []int64) error {
	_, err := s.db.Exec(ctx, `DELETE FROM rate_events WHERE id = ANY($1)`, ids)
	return dbErr(err, "release rate events")
}

// PruneRateEvents deletes events older than before (longer ago than any
// limit's window).
func (s *Store) PruneRateEvents(ctx context.Context, before time.Time) error {
	_, err := s.db.Exec(ctx, `DELETE FROM rate_events WHERE at < $1`, before)
	return dbErr(err, "prune rate events")
}

// bucketKey is the slot's bucket as stored: cut to the column's bound
// (an e-mail typed at sign-in can be long).
func bucketKey(sl domain.Slot) string { return truncate(sl.Bucket(), 400) }

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
