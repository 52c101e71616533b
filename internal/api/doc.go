// Package api is cmcoord's JSON face, mounted at /api/v1 beside the HTML
// face (httpface.Mux) with its own middleware stack: chi routes (one per
// generic transition of the rulebook), request and response DTOs with
// stable snake_case names, and one error envelope. Handlers parse the request, call one
// service method, convert the result to a DTO and write it; rules live in
// domain, transactions in service. The contract is documented in the
// embedded openapi.json, completed when served with what the rulebook
// says (the generic transitions' routes, the status and action enums:
// buildOpenAPI); a test keeps it in step with the routes; every
// API call of the tests is checked against the served document
// (internal/testutil/apicontract, with kin-openapi).
//
// It imports service, domain, httpface, reqctx, metrics and i18n; never
// store (internal/layers tests it).
package api
