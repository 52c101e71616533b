package web

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/metrics"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web"
)

// pageTimeout bounds an HTML page; exports get their own, longer limit.
const pageTimeout = 10 * time.Second

// Routes returns the HTML face with every page route listed here, behind
// the middleware both faces share (httpface.Stack). The JSON API has its
// own routes and stack (internal/api/routes.go); httpface.Mux puts the two
// side by side.
func (s *Server) Routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.stack.Middleware(s.renderError)...)
	r.NotFound(s.handle(s.handleNotFound))
	r.MethodNotAllowed(s.handle(s.handleMethodNotAllowed))

	// Operations: no page shell, no session.
	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	if s.metricsToken != "" { // else on its own listener, or nowhere
		r.Method(http.MethodGet, metrics.Path, metrics.RequireBearer(s.metricsToken, s.metrics.Handler()))
	}

	// Static files, content-hashed and cached for a year.
	r.Method(http.MethodGet, "/static/*", web.StaticHandler())
	r.Method(http.MethodHead, "/static/*", web.StaticHandler())
	r.Get("/favicon.ico", s.handleFavicon)
	r.Get("/robots.txt", s.handleRobots)
	// The offline script's service worker: at the root, for the whole site.
	r.Get("/sw.js", s.handleServiceWorker)
	// The keys that sign decision records, for anyone to verify them.
	r.Get(service.RecordKeysPath, s.handle(s.handleRecordKeys))

	// Pages anyone may open.
	r.Group(func(r chi.Router) {
		r.Use(middleware.Timeout(pageTimeout))
		r.Get("/", s.handle(s.handleHome))
		r.Get("/login", s.handle(s.handleLoginShow))
		r.Post("/login", s.handle(s.handleLogin))
		// The second step of a sign-in whose password was accepted:
		// open only to that pending sign-in (second_factor.go).
		r.Get("/login/2fa", s.handle(s.handleSecondStepShow))
		r.Post("/login/2fa", s.handle(s.handleSecondStep))
		r.Get("/login/enrol", s.handle(s.handleSignInEnrolShow))
		r.Get("/login/enrol/qr.png", s.handle(s.handleSignInEnrolQR))
		r.Post("/login/enrol", s.handle(s.handleSignInEnrol))
		r.Post("/login/cancel", s.handle(s.handleSignInCancel))
		r.Post("/language", s.handle(s.handleLanguage))

		// Single sign-on: start at a provider, and its way back.
		r.Get("/login/sso/{slug}", s.handle(s.handleSSOBegin))
		r.Get("/login/sso/{slug}/callback", s.handle(s.handleSSOCallback))

		// Setting a password through a one-time link.
		r.Get("/set-password/{secret}", s.handle(s.handleSetPasswordShow))
		r.Post("/set-password/{secret}", s.handle(s.handleSetPassword))

		// Acting from an e-mail: a vote or a decision link opens a page
		// to confirm (the GET changes nothing), whose one POST acts.
		r.Get("/act/{token}", s.handle(s.handleActionLinkShow))
		r.Post("/act/{token}", s.handle(s.handleActionLink))
		// A digest's one-click unsubscribe link (RFC 8058): signed per
		// user, no session; a GET only asks.
		r.Get("/unsubscribe/digest/{token}", s.handle(s.handleUnsubscribeShow))
		r.Post("/unsubscribe/digest/{token}", s.handle(s.handleUnsubscribe))
	})

	// The request form's saves: posted after the session ended, what was
	// typed is kept and comes back after signing in (keepTyping).
	r.Group(func(r chi.Router) {
		r.Use(s.markSaved, s.keepTyping, s.requireUser, middleware.Timeout(pageTimeout))
		r.Post("/operations/{code}/requests/new", s.handle(s.handleRequestCreate))
		r.Post("/requests/{id}/edit", s.handle(s.handleRequestUpdate))
		r.Post("/operations/{code}/requests/new/steps", s.handle(s.handleNewStepsCreate))
		r.Post("/requests/{id}/steps/{step}", s.handle(s.handleStepSave))
	})

	// Pages for signed-in users; each handler's service call decides, with
	// domain.Can, what this user may see and do.
	r.Group(func(r chi.Router) {
		r.Use(s.requireUser, middleware.Timeout(pageTimeout))
		r.Post("/logout", s.handle(s.handleLogout))
		r.Get("/offline-drafts", s.handle(s.handleLocalDrafts))
		r.Get("/operations/{code}", s.handle(s.handleOperationShow))

		// Requests for assistance: list, screening, form, page, actions.
		r.Get("/operations/{code}/requests", s.handle(s.handleRequestList))
		r.Get("/operations/{code}/requests/new", s.handle(s.handleRequestNew))
		r.Get("/operations/{code}/requests/new/steps", s.handle(s.handleNewSteps))
		r.Get("/requests/{id}/steps/{step}", s.handle(s.handleStep))
		r.Get("/operations/{code}/screening", s.handle(s.handleScreening))
		r.Get("/operations/{code}/summary", s.handle(s.handleSummary))
		r.Get("/requests/{id}", s.handle(s.handleRequestShow))
		r.Get("/requests/{id}/edit", s.handle(s.handleRequestEdit))
		r.Get("/requests/{id}/record", s.handle(s.handleRecord))
		// One route per generic transition of the rulebook.
		for _, t := range domain.GenericTransitions() {
			r.Post("/requests/{id}/"+t.Path, s.handle(s.handleRequestAction(t)))
		}
		r.Post("/requests/{id}/briefing", s.handle(s.handleBriefing))
		r.Post("/requests/{id}/extend", s.handle(s.handleExtend))
		r.Post(stepPath(domain.ActionOpenReview), s.handle(s.handleReviewOpen()))
		r.Post(stepPath(domain.ActionCloseReview), s.handle(s.handleReviewClose()))
		r.Post(stepPath(domain.ActionRemindVoters), s.handle(s.handleReviewRemind()))
		r.Post(stepPath(domain.ActionReopenReview), s.handle(s.handleReviewReopen()))
		r.Post("/requests/{id}/vote", s.handle(s.handleVote()))
		r.Post(stepPath(domain.ActionApprove), s.handle(s.handleDecision())) // approve and reject share it
		r.Post("/requests/{id}/consent", s.handle(s.handleConsent()))
		r.Post(stepPath(domain.ActionTask), s.handle(s.handleTasking()))
		r.Post("/requests/{id}/report", s.handle(s.handleReport()))
		r.Post(stepPath(domain.ActionHandOver), s.handle(s.handleHandover()))
		r.Get("/requests/{id}/hrddp", s.handle(s.handleHRDDPShow))
		r.Post("/requests/{id}/hrddp", s.handle(s.handleHRDDPAssess))
		r.Post("/requests/{id}/comments", s.handle(s.handleCommentAdd))
		r.Post("/requests/{id}/attachments", s.handle(s.handleAttachmentAdd))
		r.Get("/requests/{id}/attachments/{attachment_id}", s.handle(s.handleAttachmentDownload))
		r.Post("/requests/{id}/attachments/{attachment_id}/remove", s.handle(s.handleAttachmentRemove))
		r.Post("/requests/{id}/comments/{comment_id}", s.handle(s.handleCommentEdit))

		// The user's own profile: language, password, sessions, API tokens.
		r.Get("/profile", s.handle(s.handleProfileShow))
		r.Post("/profile/language", s.handle(s.handleLanguageUpdate))
		r.Get("/profile/notifications", s.handle(s.handleNotificationPrefsShow))
		r.Post("/profile/notifications", s.handle(s.handleNotificationPrefsSave))
		r.Post("/profile/password", s.handle(s.handlePasswordChange))
		r.Post("/profile/tokens", s.handle(s.handleTokenCreate))
		r.Post("/profile/tokens/{id}/revoke", s.handle(s.handleTokenRevoke))
		r.Get("/profile/factor", s.handle(s.handleFactorEnrolShow))
		r.Get("/profile/factor/qr.png", s.handle(s.handleFactorEnrolQR))
		r.Post("/profile/factor", s.handle(s.handleFactorEnrol))
		r.Post("/profile/factor/recovery-codes", s.handle(s.handleRecoveryRegenerate))
		r.Post("/profile/factor/remove", s.handle(s.handleFactorRemove))
		r.Post("/profile/factor/replace", s.handle(s.handleFactorReplace))
		r.Get("/profile/factor/replace", s.handle(s.handleFactorReplaceShow))
		r.Get("/profile/factor/replace/qr.png", s.handle(s.handleFactorReplaceQR))
		r.Post("/profile/factor/replace/confirm", s.handle(s.handleFactorReplaceConfirm))
		r.Post("/profile/sessions/{id}/end", s.handle(s.handleSessionEnd))
		r.Post("/profile/sessions/end-others", s.handle(s.handleSessionsEndOthers))

		// The user's own notifications.
		r.Get("/notifications", s.handle(s.handleNotificationList))
		r.Post("/notifications/read", s.handle(s.handleNotificationsRead))

		// Administration (global admins) and operation management (admins
		// and, for members, the operation's officers).
		r.Get("/admin", s.handle(s.handleAdminIndex))
		r.Get("/admin/organizations", s.handle(s.handleOrganizationList))
		r.Get("/admin/organizations/new", s.handle(s.handleOrganizationNew))
		r.Post("/admin/organizations/new", s.handle(s.handleOrganizationCreate))
		r.Get("/admin/organizations/{id}", s.handle(s.handleOrganizationEdit))
		r.Post("/admin/organizations/{id}", s.handle(s.handleOrganizationUpdate))
		r.Get("/admin/users", s.handle(s.handleUserList))
		r.Get("/admin/users/new", s.handle(s.handleUserNew))
		r.Post("/admin/users/new", s.handle(s.handleUserCreate))
		r.Get("/admin/users/{id}", s.handle(s.handleUserEdit))
		r.Post("/admin/users/{id}", s.handle(s.handleUserUpdate))
		r.Post("/admin/users/{id}/password-link", s.handle(s.handleUserPasswordLink))
		r.Post("/admin/users/{id}/sign-out", s.handle(s.handleUserSignOut))
		r.Post("/admin/users/{id}/factor-reset", s.handle(s.handleUserFactorReset))
		r.Get("/admin/audit", s.handle(s.handleDirectoryLog))
		r.Get(mailURL, s.handle(s.handleMailQueue))
		r.Post(mailURL+"/{id}/retry", s.handle(s.handleMailRetry))
		r.Get(documentsAdminURL, s.handle(s.handleDocumentPurgeList))
		r.Post(documentsAdminURL+"/{attachment_id}/purge", s.handle(s.handleDocumentPurge))
		r.Get("/admin/sso", s.handle(s.handleSSOProviderList))
		r.Get("/admin/sso/new", s.handle(s.handleSSOProviderNew))
		r.Post("/admin/sso/new", s.handle(s.handleSSOProviderCreate))
		r.Get("/admin/sso/{id}", s.handle(s.handleSSOProviderEdit))
		r.Post("/admin/sso/{id}", s.handle(s.handleSSOProviderUpdate))
		r.Get("/admin/operations", s.handle(s.handleOperationList))
		r.Get("/admin/operations/new", s.handle(s.handleOperationNew))
		r.Post("/admin/operations/new", s.handle(s.handleOperationCreate))
		r.Get("/operations/{code}/edit", s.handle(s.handleOperationEdit))
		r.Post("/operations/{code}/edit", s.handle(s.handleOperationUpdate))
		r.Get("/operations/{code}/members", s.handle(s.handleMemberList))
		r.Post("/operations/{code}/members", s.handle(s.handleMemberAdd))
		r.Post("/operations/{code}/members/{user_id}", s.handle(s.handleMemberUpdate))
		r.Post("/operations/{code}/members/{user_id}/remove", s.handle(s.handleMemberRemove))
		r.Post("/operations/{code}/invitations/{invitation_id}/cancel", s.handle(s.handleInvitationCancel))
		r.Get("/operations/{code}/acting-hc", s.handle(s.handleActingHC))
		r.Post("/operations/{code}/acting-hc", s.handle(s.handleActingHCName))
		r.Post("/operations/{code}/acting-hc/{id}/end", s.handle(s.handleActingHCEnd))
	})

	// Resumable uploads of a request's documents (tus; uploads.go): behind
	// the session like the pages, answering 401 rather than the sign-in
	// page; their bytes bounded by progress, not wall time (httpface.IsUpload).
	if up := s.uploads(); up != nil {
		r.Method(http.MethodPost, httpface.UploadsPath, up)          // creation
		r.Method(http.MethodOptions, httpface.UploadsPath, up)       // discovery
		r.Method(http.MethodHead, httpface.UploadsPath+"{id}", up)   // where it stands
		r.Method(http.MethodPatch, httpface.UploadsPath+"{id}", up)  // bytes
		r.Method(http.MethodDelete, httpface.UploadsPath+"{id}", up) // termination
		r.Method(http.MethodOptions, httpface.UploadsPath+"{id}", up)
	}

	// Downloads of the RFA tracker stream for longer than pageTimeout:
	// bounded by progress (httpface.ExportStall), not wall time.
	r.With(s.requireUser).
		Get("/operations/{code}/exports/requests.{format}", s.handle(s.handleExportRequests))
	// The signed decision record: its lookups bounded as a page's, the
	// documents' files (?files=1) streamed for longer.
	r.With(s.requireUser).Get("/requests/{id}/record/bundle", s.handle(s.handleRecordBundle))
	return r
}

// stepPath is the route of a request step with its own handler: the
// path the rulebook gives it.
func stepPath(action domain.Action) string {
	t, ok := domain.RuleFor(action)
	if !ok || t.Path == "" {
		panic("web: no path for " + string(action)) // a programming error, caught by every test
	}
	return "/requests/{id}/" + t.Path
}
