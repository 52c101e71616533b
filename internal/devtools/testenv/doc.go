// Command testenv prepares the external services cmcoord's tests need and
// runs a command (normally "go test ...") inside that environment:
//
//	go run ./internal/devtools/testenv -- go test -race -count=1 ./...
//
// It owns the test-time environment contract:
//
//   - TEST_DATABASE_URL: an admin URL of a PostgreSQL server. When already
//     set it is pinged and used; otherwise a throwaway cluster (fsync off,
//     127.0.0.1 only) is started in a fresh temporary directory and removed
//     afterwards. Set TESTENV_KEEP=1 to keep the directory for inspection.
//   - CHROMIUM_PATH: a Chromium-compatible browser for browser tests. When
//     not set, chromium, chromium-browser or google-chrome is looked up on
//     PATH and, as root on Debian, the chromium package (with a font
//     package) is installed.
//   - CLAMD_PATH: ClamAV's daemon, which the virus-scanning tests run with
//     a signature database of their own. When not set, clamd is looked up
//     on PATH and in /usr/sbin and, as root on Debian, the clamav-daemon
//     package is installed.
//
// SIGINT and SIGTERM are forwarded to the command, and testenv exits with
// the command's exit status.
package main
