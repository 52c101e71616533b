package web

import "github.com/go-chi/chi/v5"

// adminRoutes registers the admin and operation-management pages.
func (s *Server) adminRoutes(r chi.Router) {}
