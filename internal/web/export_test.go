package web

import (
	"net/url"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// RequestFormValues is r as the request form posts it, for tests that
// fill the form without a browser.
func RequestFormValues(r domain.Request) url.Values { return requestValues(r) }

// AdminSection is one part of the administration, for tests that walk
// them.
type AdminSection struct {
	ID, URL string
	Action  domain.Action
}

// AdminSections lists the administration's parts, as the pages do.
func AdminSections() []AdminSection {
	out := make([]AdminSection, len(adminSections))
	for i, s := range adminSections {
		out[i] = AdminSection{ID: s.id, URL: s.url, Action: s.action}
	}
	return out
}

// FirstStep is the guided request form's first step.
func FirstStep() string { return requestSteps[0].id }
