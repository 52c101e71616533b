package store

import "context"

// InstanceSecret returns the installation's secret called name, storing
// candidate as that secret when there is none yet. Concurrent first
// calls (two instances starting) agree: the first insert wins and every
// caller reads it back.
func (s *Store) InstanceSecret(ctx context.Context, name string, candidate []byte) ([]byte, error) {
	var out []byte
	err := s.db.QueryRow(ctx,
		`WITH ins AS (
		     INSERT INTO instance_secrets (name, secret) VALUES ($1, $2)
		     ON CONFLICT (name) DO NOTHING
		     RETURNING secret
		 )
		 SELECT secret FROM ins
		 UNION ALL
		 SELECT secret FROM instance_secrets WHERE name = $1
		 LIMIT 1`, name, candidate).Scan(&out)
	return out, dbErr(err, "instance secret %q", name)
}
