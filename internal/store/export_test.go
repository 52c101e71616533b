package store

import "context"

// Exec runs sql on the store's pool or transaction (tests of InTxWith).
func (s *Store) Exec(ctx context.Context, sql string, args ...any) error {
	_, err := s.db.Exec(ctx, sql, args...)
	return err
}
