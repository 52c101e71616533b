// Package service holds cmcoord's use cases. Each exported method is one
// use case and, when it changes data, one transaction: lock, decide with
// the domain rules (authorize: the facts a rule's guard reads, loaded by
// subject, then domain.Can), save, append the audit event. The HTML face (web) and
// the JSON face (api) both call these methods and nothing below them.
//
// The faces parse HTTP into typed inputs (domain values, ExportFilter);
// flows of several steps ("save and submit", a PATCH) are one method.
//
// It imports domain, store, export and i18n; it must not import web, api,
// net/http or net/url (internal/layers tests it).
package service

import (
	"errors"

	"github.com/cmcoord/cmcoord/internal/domain"
)

func asErr(err error, target **domain.Error) bool { return errors.As(err, target) }
