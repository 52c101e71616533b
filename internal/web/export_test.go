package web

import (
	"net/url"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// RequestFormValues is r as the request form posts it, for tests that
// fill the form without a browser.
func RequestFormValues(r domain.Request) url.Values { return requestValues(r) }
