// Package store owns every SQL statement cmcoord runs. Its methods take a
// context first, return domain values and translate database errors into
// *domain.Error once, at this boundary.
//
// It imports domain and pgx; it must not import service, web or api.
package store
