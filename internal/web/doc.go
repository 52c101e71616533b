// Package web is cmcoord's HTML face: chi routes, middleware, form
// handling and the view models handed to the templ pages in web/pages.
// Handlers parse the request, call one service method, build a view model
// and render it or redirect; rules live in domain, transactions in service.
//
// Its middleware is httpface.Stack's, shared with the JSON API; cmd puts
// the two faces side by side (httpface.Mux).
//
// It imports service, domain, httpface, reqctx, i18n, metrics and the
// web/... templ packages; it must not import store or run SQL
// (internal/layers tests it).
package web
