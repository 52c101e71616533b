package store_test

import (
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// TestPriorityRankMatchesDomain: the stored priority_rank that the list
// sorts and indexes use orders priorities exactly as domain.Priority.Rank.
// It evaluates the column's own generation expression from the catalogue.
func TestPriorityRankMatchesDomain(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	var expr string
	err := pool.QueryRow(t.Context(), `SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
		JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
		WHERE d.adrelid = 'requests'::regclass AND a.attname = 'priority_rank'`).Scan(&expr)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append(domain.Priorities, "") {
		var got int
		if err := pool.QueryRow(t.Context(), `SELECT `+expr+` FROM (SELECT $1::text AS priority) AS r`, string(p)).Scan(&got); err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		if got != p.Rank() {
			t.Errorf("priority %q: rank %d in the database, %d in the domain", p, got, p.Rank())
		}
	}
}
