// Package domain holds cmcoord's types and rules as plain Go: the request
// and its workflow, the last-resort checklist, review and voting rules,
// access rules, the audit chain and the one error type every layer shares.
//
// It is pure: it imports only the standard library, takes time, IDs and
// randomness as arguments, and never touches the network, the database or
// HTTP. imports_test.go enforces this.
package domain
