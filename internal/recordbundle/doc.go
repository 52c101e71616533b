// Package recordbundle writes and checks the signed decision record: one
// ZIP holding the record (record.html, record.json), the request's
// events with the chain head (events.json), the attachments' hashes
// (attachments.json), a sha256sum manifest of all of it
// (MANIFEST.sha256) and an SSH signature of the manifest
// (MANIFEST.sha256.sig, namespace "cmcoord-record"), which OpenSSH's
// stock `ssh-keygen -Y verify` checks without cmcoord.
//
// It is pure: bytes in, bytes out. It imports domain (the events' hash)
// and the SSH libraries, never SQL or HTTP.
package recordbundle
