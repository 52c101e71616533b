package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// tally compares what a load was told with what the database holds.
type tally struct {
	acked      int // writes acknowledged to the client
	lost       int // acknowledged, but their request is not in the database (or not with that id)
	duplicates int // extra requests for one key: a retry that created a second request
	unacked    int // in the database, never acknowledged (the drill ended while it was retried)
	stored     int // keys the database holds a request for
	missing    []string
}

// account is the accounting of acknowledged writes: acked maps each
// acknowledged key to the id the server answered, rows each key found in
// the database to the ids of the requests bearing it.
func account(acked map[string]int64, rows map[string][]int64) tally {
	t := tally{acked: len(acked), stored: len(rows)}
	for key, id := range acked {
		ids := rows[key]
		found := false
		for _, got := range ids {
			found = found || got == id
		}
		if !found {
			t.lost++
			t.missing = append(t.missing, fmt.Sprintf("%s (id %d)", key, id))
		}
	}
	for key, ids := range rows {
		if len(ids) > 1 {
			t.duplicates += len(ids) - 1
		}
		if _, ok := acked[key]; !ok {
			t.unacked++
		}
	}
	sort.Strings(t.missing)
	return t
}

// rowsByTitle reads the requests whose title starts with prefix: title →
// ids.
func rowsByTitle(ctx context.Context, databaseURL, prefix string) (map[string][]int64, error) {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, "SELECT title, id FROM requests WHERE starts_with(title, $1)", prefix+"-")
	if err != nil {
		return nil, err
	}
	out := map[string][]int64{}
	for rows.Next() {
		var title string
		var id int64
		if err := rows.Scan(&title, &id); err != nil {
			return nil, err
		}
		out[title] = append(out[title], id)
	}
	return out, rows.Err()
}

// check accounts for l's writes in the database at databaseURL.
func check(ctx context.Context, databaseURL string, l *load) (tally, error) {
	rows, err := rowsByTitle(ctx, databaseURL, l.prefix)
	if err != nil {
		return tally{}, fmt.Errorf("read the written requests: %w", err)
	}
	return account(l.ackedKeys(), rows), nil
}

// auditVerify runs `cmcoord audit verify` on databaseURL: ok when every
// chain verifies; summary is its first line(s).
func (e *env) auditVerify(ctx context.Context, databaseURL string) (ok bool, summary string) {
	out, err := e.cmcoord(ctx, databaseURL, "audit", "verify")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var kept []string
	for _, l := range lines {
		if strings.HasPrefix(l, "OK") || strings.HasPrefix(l, "BROKEN") {
			kept = append(kept, l)
		}
	}
	if err != nil {
		if len(kept) == 0 {
			kept = append(kept, err.Error())
		}
		return false, strings.Join(kept, " ")
	}
	return true, strings.Join(kept, " ")
}
