// Package reqctx carries who is asking from the authentication middleware
// to the handlers of both faces (web and api) through the request context.
// Services never read it: handlers pass the actor explicitly.
//
// It imports only domain.
package reqctx

import (
	"context"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// Via says how a request authenticated.
type Via string

// Authentication methods.
const (
	ViaNone    Via = ""
	ViaSession Via = "session" // the browser's session cookie
	ViaToken   Via = "token"   // Authorization: Bearer <API token>
)

// Auth is the outcome of authenticating one request.
type Auth struct {
	Actor domain.Actor
	Via   Via
	// TokenErr is set when a bearer token was presented and refused; the
	// API answers 401 rather than treating the caller as anonymous.
	TokenErr error
}

type key struct{}

// With returns ctx carrying a.
func With(ctx context.Context, a Auth) context.Context { return context.WithValue(ctx, key{}, a) }

// From returns the Auth in ctx (anonymous when there is none).
func From(ctx context.Context) Auth {
	a, _ := ctx.Value(key{}).(Auth)
	return a
}

// Actor returns the actor in ctx (anonymous when there is none).
func Actor(ctx context.Context) domain.Actor { return From(ctx).Actor }
