package store

import "context"

// Exec runs sql on the store's pool or transaction (tests of InTxWith).
func (s *Store) Exec(ctx context.Context, sql string, args ...any) error {
	_, err := s.db.Exec(ctx, sql, args...)
	return err
}

// On reports whether the cache's entries may be used now.
func (c *Cache) On() bool { return c.on() }

// Entries counts kind name's entries ("user", "token", …).
func (c *Cache) Entries(kind string) int {
	for k, n := range kindNames {
		if n == kind {
			kc := &c.kinds[k]
			kc.mu.Lock()
			defer kc.mu.Unlock()
			return len(kc.entries)
		}
	}
	panic("no cache kind " + kind)
}

// CachedTables are the tables the cache copies.
func CachedTables() []string {
	out := make([]string, 0, len(cachedTables))
	for t := range cachedTables {
		out = append(out, t)
	}
	return out
}

// WriteKinds names the kinds of entry a statement makes stale.
func (c *Cache) WriteKinds(sql string) []string {
	var out []string
	ks := c.writes(sql)
	for k, n := range kindNames {
		if ks&(1<<k) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// HeardSince reports whether the cache has heard a ping of its own sent
// after mark (Clock): every change committed before then has been heard.
func (c *Cache) HeardSince(mark int64) bool { return c.heard.Load()-1 > mark }

// Clock is the cache's monotonic clock now.
func (c *Cache) Clock() int64 { return c.since() }

// Nonce is the cache's ping nonce.
func (c *Cache) Nonce() string { return c.nonce }
