// Package service holds cmcoord's use cases. Each exported method is one
// use case and, when it changes data, one transaction: lock, decide with
// the domain rules, save, append the audit event. The HTML face (web) and
// the JSON face (api) both call these methods and nothing below them.
//
// It imports domain and store; it must not import web, api or net/http.
package service

import (
	"errors"

	"github.com/cmcoord/cmcoord/internal/domain"
)

func asErr(err error, target **domain.Error) bool { return errors.As(err, target) }
