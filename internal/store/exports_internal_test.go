package store

import "context"

// EachRequestRawOnly and EachRequestPgxOnly are EachRequest decoding
// every row one way only: from raw values (a column in another type or
// format is an error, not a fallback) or with pgx's Scan.
func (s *Store) EachRequestRawOnly(ctx context.Context, f ExportFilter, fn func(ExportRecord) error) error {
	return s.eachRequest(ctx, f, fn, scanRawOnly)
}

func (s *Store) EachRequestPgxOnly(ctx context.Context, f ExportFilter, fn func(ExportRecord) error) error {
	return s.eachRequest(ctx, f, fn, scanPgxOnly)
}
