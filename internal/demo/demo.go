// Package demo loads cmcoord's demonstration data — organisations, users,
// an operation and requests in every state as the features that own them
// arrive — through the same services the faces use, never through SQL.
// `cmcoord demo` and `make run` (on first run) call Load; test fixtures
// reuse its builders.
//
// It imports service and domain; it must not import store, web or api.
package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/cmcoord/cmcoord/internal/service"
)

// Login is a demo account printed for the person trying cmcoord out.
type Login struct {
	Email    string
	Password string
	Role     string // what the account can do, in a few words
}

// Result says what Load did.
type Result struct {
	// Loaded is false when demo data was already present and Load did
	// nothing.
	Loaded bool
	// Logins are the demo accounts, whether loaded now or before.
	Logins []Login
}

// Services are the use cases Load drives.
type Services struct {
	System *service.System
}

// Load loads the demo data unless an earlier run did. Concurrent callers
// (two instances starting together) load it once. A failed load is rolled
// back from the marker so the next run retries.
func Load(ctx context.Context, svc Services) (Result, error) {
	first, err := svc.System.ClaimDemoLoad(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("demo: %w", err)
	}
	res := Result{Loaded: first, Logins: logins()}
	if !first {
		return res, nil
	}
	if err := load(ctx, svc); err != nil {
		return Result{}, errors.Join(fmt.Errorf("demo: %w", err), svc.System.ReleaseDemoClaim(ctx))
	}
	return res, nil
}

// load creates the demo records. The foundation has no domain records yet;
// the access, request and review features add theirs here.
func load(ctx context.Context, svc Services) error {
	return ctx.Err()
}

// logins lists the demo accounts. Sign-in arrives with the access feature.
func logins() []Login {
	return nil
}
