// Package httpface holds what cmcoord's two HTTP faces (web, the HTML
// pages, and api, the JSON API) share, so that each exists once: the
// error-code → HTTP status table, the middleware both stacks use
// (request ID, client address, logging, panic recovery, security
// headers, authentication by token or session) and the RFA tracker's
// download handler with its query parser. Each face keeps only how it
// writes a failure (an HTML page, a JSON envelope).
//
// It imports service, domain, reqctx, i18n and metrics; never store.
package httpface
