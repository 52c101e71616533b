package service

import "github.com/cmcoord/cmcoord/internal/store"

// DatabaseError is err, from code that reaches the database outside the
// services (the session manager's store), as the services would report
// it: the database's absence is CodeUnavailable (503 with Retry-After),
// anything else unchanged.
func DatabaseError(err error) error { return store.Classify(err) }
