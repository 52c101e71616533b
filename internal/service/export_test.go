package service

// Subject is subject for the external tests: the facts the services load
// for the rulebook, to compare with what the request page decided on.
var Subject = subject
