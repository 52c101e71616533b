package api

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes every route of Routes; openapi_test.go fails
// when the two drift apart, and every API call of the tests is checked
// against it (internal/testutil/apicontract).
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the embedded OpenAPI 3.1 document of the API.
func OpenAPI() []byte { return append([]byte(nil), openAPIDocument...) }

// handleOpenAPI serves the API's description to anyone: it holds no data,
// and clients need it before they have a token.
func (a *API) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(openAPIDocument)
}
