package web

import "github.com/go-chi/chi/v5"

// publicAccountRoutes registers account pages that need no sign-in
// (setting a password through a one-time link).
func (s *Server) publicAccountRoutes(r chi.Router) {}

// accountRoutes registers the signed-in user's own pages (profile,
// language, API tokens, password).
func (s *Server) accountRoutes(r chi.Router) {}
