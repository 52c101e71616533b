package web

import (
	"context"
	"log/slog"

	"github.com/cmcoord/cmcoord/internal/httpface"
)

// logger returns the request-scoped logger (with request_id), or the
// default logger outside a request.
func logger(ctx context.Context) *slog.Logger { return httpface.Logger(ctx) }

// quietRoutes are probed constantly by orchestrators and scrapers; their
// request lines are logged at debug level only.
var quietRoutes = []string{"/healthz", "/readyz", "/metrics"}

// secretRoutes are routes whose path holds a secret (a one-time link):
// their requests are logged with the route pattern instead of the path.
var secretRoutes = []string{"/set-password/{secret}", "/act/{token}", "/unsubscribe/digest/{token}"}
