package domain

import "time"

// RecordKey is a key that signs decision records (the signed bundle).
// At most one is current (RetiredAt zero); retired ones stay published
// so that records signed with them still verify.
type RecordKey struct {
	ID int64
	// PublicKey is in authorized_keys form ("ssh-ed25519 AAAA…").
	PublicKey   string
	Fingerprint string // SHA256:…
	// InFile: the private key lives in the configured file
	// (-record-key-file), not in the database.
	InFile    bool
	CreatedAt time.Time
	RetiredAt time.Time
}

// Current reports whether k is the key that signs now.
func (k RecordKey) Current() bool { return k.RetiredAt.IsZero() }
