package api

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// stepPath is the route of a request step with its own handler: the
// path the rulebook gives it.
func stepPath(action domain.Action) string {
	t, ok := domain.RuleFor(action)
	if !ok || t.Path == "" {
		panic("api: no path for " + string(action)) // a programming error, caught by every test
	}
	return "/requests/{id}/" + t.Path
}

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
		r.Get("/me/notification-preferences", a.handle(a.handleNotificationPrefsShow))
		r.Put("/me/notification-preferences", a.handle(a.handleNotificationPrefsSet))
		r.Get("/me/tokens", a.handle(a.handleTokenList))
		r.Post("/me/tokens", a.handle(a.handleTokenCreate))
		r.Delete("/me/tokens/{id}", a.handle(a.handleTokenRevoke))
		r.Get("/me/sessions", a.handle(a.handleSessionList))
		r.Delete("/me/sessions/{id}", a.handle(a.handleSessionEnd))

		r.Get("/organizations", a.handle(a.handleOrganizationList))
		r.Post("/organizations", a.handle(a.handleOrganizationCreate))
		r.Get("/organizations/{id}", a.handle(a.handleOrganizationShow))
		r.Patch("/organizations/{id}", a.handle(a.handleOrganizationUpdate))

		r.Get("/users", a.handle(a.handleUserList))
		r.Post("/users", a.handle(a.handleUserCreate))
		r.Get("/users/{id}", a.handle(a.handleUserShow))
		r.Patch("/users/{id}", a.handle(a.handleUserUpdate))
		r.Post("/users/{id}/password-link", a.handle(a.handleUserPasswordLink))
		r.Post("/users/{id}/sign-out", a.handle(a.handleUserSignOut))

		r.Get("/audit/directory", a.handle(a.handleDirectoryLog))
		r.Get("/audit/directory.jsonl", a.handle(a.handleDirectoryLogLines))

		r.Get("/operations", a.handle(a.handleOperationList))
		r.Post("/operations", a.handle(a.handleOperationCreate))
		r.Get("/operations/{code}", a.handle(a.handleOperationShow))
		r.Patch("/operations/{code}", a.handle(a.handleOperationUpdate))
		r.Get("/operations/{code}/members", a.handle(a.handleMemberList))
		r.Post("/operations/{code}/members", a.handle(a.handleMemberAdd))
		r.Put("/operations/{code}/members/{user_id}", a.handle(a.handleMemberSet))
		r.Delete("/operations/{code}/members/{user_id}", a.handle(a.handleMemberRemove))
		r.Delete("/operations/{code}/invitations/{invitation_id}", a.handle(a.handleInvitationCancel))
		r.Get("/operations/{code}/acting-hc", a.handle(a.handleActingHCList))
		r.Post("/operations/{code}/acting-hc", a.handle(a.handleActingHCName))
		r.Post("/operations/{code}/acting-hc/{id}/end", a.handle(a.handleActingHCEnd))
		r.Get("/operations/{code}/requests", a.handle(a.handleRequestList))
		r.Post("/operations/{code}/requests", a.handle(a.handleRequestCreate))
		r.Get("/operations/{code}/summary", a.handle(a.handleSummaryShow))

		r.Get("/requests/{id}", a.handle(a.handleRequestShow))
		r.Patch("/requests/{id}", a.handle(a.handleRequestUpdate))
		// One route per generic transition of the rulebook.
		for _, t := range domain.GenericTransitions() {
			r.Post("/requests/{id}/"+t.Path, a.handle(a.handleTransition(t)))
		}
		r.Post("/requests/{id}/briefing", a.handle(a.handleRequestBriefing))
		r.Post("/requests/{id}/extend", a.handle(a.handleRequestExtend))
		r.Get("/requests/{id}/review", a.handle(a.handleReviewShow))
		r.Post(stepPath(domain.ActionOpenReview), a.handle(a.handleReviewOpen))
		r.Post(stepPath(domain.ActionCloseReview), a.handle(a.handleReviewClose))
		r.Post(stepPath(domain.ActionReopenReview), a.handle(a.handleReviewReopen))
		r.Post(stepPath(domain.ActionRemindVoters), a.handle(a.handleReviewRemind))
		r.Put("/requests/{id}/vote", a.handle(a.handleVoteCast))
		r.Post(stepPath(domain.ActionApprove), a.handle(a.handleDecisionCreate)) // approve and reject share it
		r.Get("/requests/{id}/lifecycle", a.handle(a.handleLifecycleShow))
		r.Put("/requests/{id}/consent", a.handle(a.handleConsentRecord))
		r.Post(stepPath(domain.ActionTask), a.handle(a.handleTaskingCreate))
		r.Post("/requests/{id}/reports", a.handle(a.handleReportCreate))
		r.Post(stepPath(domain.ActionHandOver), a.handle(a.handleHandoverCreate))
		r.Get("/requests/{id}/hrddp", a.handle(a.handleAssessmentShow))
		r.Put("/requests/{id}/hrddp", a.handle(a.handleAssessmentPut))
		r.Get("/requests/{id}/comments", a.handle(a.handleCommentList))
		r.Get("/requests/{id}/attachments", a.handle(a.handleAttachmentList))
		r.Post("/requests/{id}/attachments", a.handle(a.handleAttachmentCreate))
		r.Get("/requests/{id}/attachments/{attachment_id}", a.handle(a.handleAttachmentGet))
		r.Get("/requests/{id}/attachments/{attachment_id}/content", a.handle(a.handleAttachmentContent))
		r.Post("/requests/{id}/attachments/{attachment_id}/remove", a.handle(a.handleAttachmentRemove))
		r.Post("/requests/{id}/attachments/{attachment_id}/purge", a.handle(a.handleAttachmentPurge))
		r.Post("/requests/{id}/comments", a.handle(a.handleCommentCreate))
		r.Patch("/requests/{id}/comments/{comment_id}", a.handle(a.handleCommentUpdate))
		r.Get("/requests/{id}/events", a.handle(a.handleEventList))
	})

	// Exports stream for longer than requestTimeout allows: bounded by
	// progress (httpface.ExportStall), not wall time.
	r.With(a.requireUser).
		Get("/operations/{code}/exports/requests.{format}", a.handle(a.handleExportRequests))
	return r
}
