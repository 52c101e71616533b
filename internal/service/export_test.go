package service

import "context"

// Subject is subject for the external tests: the facts the services load
// for the rulebook, to compare with what the request page decided on.
var Subject = subject

// CurrentVersion is request id's version now, for the external tests
// (a step that may change the status must be sent with it).
func (s *Requests) CurrentVersion(ctx context.Context, id int64) (int, error) {
	r, err := s.store.GetRequest(ctx, id)
	return r.Version, err
}
