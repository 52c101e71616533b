package api

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/cmcoord/cmcoord/internal/httpface"
)

// requestTimeout bounds one API request, as pageTimeout bounds a page.
const requestTimeout = 10 * time.Second

// Routes returns the handler of every API route, listed here, behind the
// API's own middleware stack (httpface.Stack: request ID, logging,
// security headers, panic recovery, cross-origin protection, compression,
// sessions and authentication by token or session), whose failures are
// answered as the JSON error envelope. httpface.Mux mounts it at /api/v1.
// Every route but GET /openapi.json needs a signed-in caller; each
// handler's service call decides, with domain.Can, what they may do.
func (a *API) Routes() http.Handler {
	r := chi.NewRouter()
	r.Use(a.stack.Middleware(a.WriteError)...)
	r.Use(a.rejectBadToken)
	r.NotFound(a.handle(a.handleNotFound))
	r.MethodNotAllowed(a.handle(a.methodNotAllowed(r)))

	r.Get("/openapi.json", a.handleOpenAPI)

	r.Group(func(r chi.Router) {
		r.Use(a.requireUser, middleware.Timeout(requestTimeout))

		r.Get("/me", a.handle(a.handleMeShow))
		r.Get("/me/tokens", a.handle(a.handleTokenList))
		r.Post("/me/tokens", a.handle(a.handleTokenCreate))
		r.Delete("/me/tokens/{id}", a.handle(a.handleTokenRevoke))

		r.Get("/organizations", a.handle(a.handleOrganizationList))
		r.Post("/organizations", a.handle(a.handleOrganizationCreate))
		r.Get("/organizations/{id}", a.handle(a.handleOrganizationShow))
		r.Patch("/organizations/{id}", a.handle(a.handleOrganizationUpdate))

		r.Get("/users", a.handle(a.handleUserList))
		r.Post("/users", a.handle(a.handleUserCreate))
		r.Get("/users/{id}", a.handle(a.handleUserShow))
		r.Patch("/users/{id}", a.handle(a.handleUserUpdate))
		r.Post("/users/{id}/password-link", a.handle(a.handleUserPasswordLink))

		r.Get("/operations", a.handle(a.handleOperationList))
		r.Post("/operations", a.handle(a.handleOperationCreate))
		r.Get("/operations/{code}", a.handle(a.handleOperationShow))
		r.Patch("/operations/{code}", a.handle(a.handleOperationUpdate))
		r.Get("/operations/{code}/members", a.handle(a.handleMemberList))
		r.Put("/operations/{code}/members/{user_id}", a.handle(a.handleMemberSet))
		r.Delete("/operations/{code}/members/{user_id}", a.handle(a.handleMemberRemove))
		r.Get("/operations/{code}/requests", a.handle(a.handleRequestList))
		r.Post("/operations/{code}/requests", a.handle(a.handleRequestCreate))
		r.Get("/operations/{code}/summary", a.handle(a.handleSummaryShow))

		r.Get("/requests/{id}", a.handle(a.handleRequestShow))
		r.Patch("/requests/{id}", a.handle(a.handleRequestUpdate))
		r.Post("/requests/{id}/submit", a.handle(a.handleRequestSubmit))
		r.Post("/requests/{id}/return", a.handle(a.handleRequestReturn))
		r.Post("/requests/{id}/redirect", a.handle(a.handleRequestRedirect))
		r.Post("/requests/{id}/withdraw", a.handle(a.handleRequestWithdraw))
		r.Post("/requests/{id}/briefing", a.handle(a.handleRequestBriefing))
		r.Get("/requests/{id}/review", a.handle(a.handleReviewShow))
		r.Post("/requests/{id}/review", a.handle(a.handleReviewOpen))
		r.Post("/requests/{id}/review/close", a.handle(a.handleReviewClose))
		r.Post("/requests/{id}/review/reopen", a.handle(a.handleReviewReopen))
		r.Put("/requests/{id}/vote", a.handle(a.handleVoteCast))
		r.Post("/requests/{id}/decision", a.handle(a.handleDecisionCreate))
		r.Get("/requests/{id}/lifecycle", a.handle(a.handleLifecycleShow))
		r.Put("/requests/{id}/consent", a.handle(a.handleConsentRecord))
		r.Post("/requests/{id}/tasking", a.handle(a.handleTaskingCreate))
		r.Post("/requests/{id}/decline", a.handle(a.handleTaskingDecline))
		r.Post("/requests/{id}/execution", a.handle(a.handleExecutionStart))
		r.Post("/requests/{id}/reports", a.handle(a.handleReportCreate))
		r.Post("/requests/{id}/completion", a.handle(a.handleExecutionComplete))
		r.Post("/requests/{id}/handover", a.handle(a.handleHandoverCreate))
		r.Post("/requests/{id}/cancel", a.handle(a.handleRequestCancel))
		r.Get("/requests/{id}/hrddp", a.handle(a.handleAssessmentShow))
		r.Put("/requests/{id}/hrddp", a.handle(a.handleAssessmentPut))
		r.Get("/requests/{id}/comments", a.handle(a.handleCommentList))
		r.Post("/requests/{id}/comments", a.handle(a.handleCommentCreate))
		r.Patch("/requests/{id}/comments/{comment_id}", a.handle(a.handleCommentUpdate))
		r.Get("/requests/{id}/events", a.handle(a.handleEventList))
	})

	// Exports stream for longer than requestTimeout allows.
	r.With(a.requireUser, middleware.Timeout(httpface.ExportTimeout)).
		Get("/operations/{code}/exports/requests.{format}", a.handle(a.handleExportRequests))
	return r
}
