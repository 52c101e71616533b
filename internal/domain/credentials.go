package domain

import (
	"time"
)

// TokenScope is what an API token may do.
type TokenScope string

// Token scopes.
const (
	// TokenRead may read what its user may read: GET and HEAD only.
	TokenRead TokenScope = "read"
	// TokenFull may do whatever its user may do.
	TokenFull TokenScope = "full"
)

// TokenScopes lists every scope, narrowest first.
var TokenScopes = []TokenScope{TokenRead, TokenFull}

// TokenLifetimes are the expiries the profile page offers, in days; 0 is
// "never". The API takes any expiry up to MaxTokenLifetime.
var TokenLifetimes = []int{30, 90, 365, 0}

// MaxTokenLifetime is the latest expiry a token may be given.
const MaxTokenLifetime = 5 * 366 * 24 * time.Hour

// SafeMethod reports whether an HTTP method only reads (RFC 9110 §9.2.1):
// all a read-only token may use.
func SafeMethod(method string) bool {
	return method == "GET" || method == "HEAD" || method == "OPTIONS"
}

// NewToken is what a token is asked for with.
type NewToken struct {
	Name      string
	Scope     TokenScope
	ExpiresAt *time.Time // nil: never
}

// CheckNewToken returns the error refusing by the token t at now, or nil.
// A read-only token creates no token (its every write is refused before
// reaching here, so this is the rule's second statement, not its only);
// the scope must be one of TokenScopes and the expiry, when given, after
// now and within MaxTokenLifetime.
func CheckNewToken(by Actor, t NewToken, now time.Time) error {
	if by.Anonymous() {
		return Errorf(CodeUnauthorized, "error.unauthorized")
	}
	if by.ReadOnly {
		return Errorf(CodeForbidden, "token.read_only")
	}
	f := fieldErrors{}
	if err, ok := ValidateTokenName(t.Name).(*Error); ok && err != nil {
		for k, v := range err.Fields {
			f.add(k, v)
		}
	}
	if !oneOf(t.Scope, TokenScopes) {
		f.add("scope", "field.choose")
	}
	if t.ExpiresAt != nil && (!t.ExpiresAt.After(now) || t.ExpiresAt.Sub(now) > MaxTokenLifetime) {
		f.add("expires_at", "token.expiry_range")
	}
	return f.err()
}
