// Package pgserver owns finding or starting the PostgreSQL server that
// cmcoord uses during development ("make run") and testing ("make test").
//
// It locates the server binaries (installing Debian's postgresql package
// when allowed), initialises and starts private clusters listening on
// 127.0.0.1 only, reuses a cluster that is already running, creates
// databases, and decides which database a development run should use
// (DATABASE_URL, a local server on port 5432, or a private cluster).
//
// PostgreSQL refuses to run as root, so when the process is root the
// server programs run as the "postgres" OS user (or "nobody" when that user
// does not exist) and the data directory is owned by that user.
//
// pgserver is development tooling: it is not used to manage production
// databases.
package pgserver
