// Package domain holds cmcoord's types and rules as plain Go: the request
// and its workflow, the last-resort checklist, review and voting rules,
// access rules, the audit chain and the one error type every layer shares.
//
// Each rule exists once. Who may do what, in which status and on which
// condition is one table, Rules (rules.go), read through one function,
// Can; the statuses, the database's status check, the pages' controls,
// the API's routes and OpenAPI's enums are derived from its rows. Who sees
// what is visibility.go's; who may grant which role is Grants (grants.go);
// the checklist is Checklist (checklist.go).
//
// It is pure: it imports only the standard library, takes time, IDs and
// randomness as arguments, and never touches the network, the database or
// HTTP. imports_test.go enforces this.
package domain
