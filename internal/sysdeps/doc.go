// Package sysdeps owns the small amount of host-system plumbing cmcoord's
// developer tooling needs: detecting root, locating one of several
// alternative executables on PATH, and installing missing Debian packages
// with apt-get. It deliberately knows nothing about which packages are
// needed; callers such as internal/pgserver and internal/devtools/testenv
// decide that.
package sysdeps
