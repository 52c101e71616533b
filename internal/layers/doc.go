// Package layers holds no code: its test states, once, which cmcoord
// package may import which (STYLE R3) and fails the build's tests when an
// import points the wrong way. Inner layers never import outer ones:
// domain (pure rules) ← store (SQL) ← service (use cases) ← the faces
// (web HTML, api JSON) ← cmd (wiring). Only cmd imports a face.
package layers
