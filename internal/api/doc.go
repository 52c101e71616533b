// Package api is cmcoord's JSON face, mounted by the web server at
// /api/v1: chi routes, request and response DTOs with stable snake_case
// names, and one error envelope. Handlers parse the request, call one
// service method, convert the result to a DTO and write it; rules live in
// domain, transactions in service. The contract is documented in the
// embedded openapi.json, which a test keeps in step with the routes.
//
// It imports service, domain, reqctx and i18n. It imports store only for
// the record types services return (domain.APIToken, domain.Member) and
// never calls it.
package api
