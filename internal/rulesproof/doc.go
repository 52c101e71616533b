// Package rulesproof holds one test, in a process of its own: a row added
// to the rulebook (domain.Rules) appears on the request page, in the API,
// in OpenAPI and in the audit trail with no other edit. It has no code.
package rulesproof
