package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/httpface"
	"github.com/cmcoord/cmcoord/internal/i18n"
	"github.com/cmcoord/cmcoord/internal/reqctx"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/web/components"
	"github.com/cmcoord/cmcoord/web/pages"
)

// A sign-in whose password (or identity provider) was accepted but whose
// second step was not is pending: its session holds these keys, never
// httpface.SessionUserID, so every page but the second step's sees an
// anonymous visitor (the authentication middleware reads only the user
// ID). It lasts domain.SecondStepLifetime.
const (
	sessionPendingUser  = "pending_user_id"
	sessionPendingEpoch = "pending_epoch"
	sessionPendingUntil = "pending_until" // Unix seconds
	sessionPendingNext  = "pending_next"
	sessionPendingHow   = "pending_how"   // the first factor's service.SignInMethod, as JSON
	sessionPendingEnrol = "pending_enrol" // the user must enrol first
)

// passedKey marks, in one request's context, the user whose second step
// that very request has just passed: startSession then lets them in.
type passedKey struct{}

func withSecondStepPassed(r *http.Request, userID int64) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), passedKey{}, userID))
}

func secondStepPassed(r *http.Request, userID int64) bool {
	id, _ := r.Context().Value(passedKey{}).(int64)
	return id != 0 && id == userID
}

// signInFlash is the message a completed sign-in says on the page it
// lands on.
type signInFlash struct {
	kind components.FlashKind
	id   string
}

// openSession is startSession's work: it signs u in on this browser and
// returns where to go and what to say there — unless u has a second
// factor, or the rule requires one of them, and this request has not
// passed it: then the sign-in is left pending and it returns the second
// step's page (and no message).
func (s *Server) openSession(w http.ResponseWriter, r *http.Request, u domain.User, next string, how service.SignInMethod) (string, *signInFlash, error) {
	ctx := r.Context()
	if !secondStepPassed(r, u.ID) {
		f, err := s.access.SecondFactor(ctx, u.ID)
		if err != nil {
			return "", nil, err
		}
		if f.Enrolled || f.Required {
			if err := s.sessions.RenewToken(ctx); err != nil {
				return "", nil, err
			}
			s.sessions.Remove(ctx, httpface.SessionUserID)
			s.sessions.Remove(ctx, httpface.SessionEpoch)
			s.sessions.Put(ctx, sessionPendingUser, u.ID)
			s.sessions.Put(ctx, sessionPendingEpoch, u.SessionEpoch)
			s.sessions.Put(ctx, sessionPendingUntil, s.now().Add(domain.SecondStepLifetime).Unix())
			s.sessions.Put(ctx, sessionPendingNext, safeNext(next))
			s.sessions.Put(ctx, sessionPendingEnrol, !f.Enrolled)
			if b, err := json.Marshal(how); err == nil {
				s.sessions.Put(ctx, sessionPendingHow, string(b))
			}
			if !f.Enrolled {
				return "/login/enrol", nil, nil
			}
			return "/login/2fa", nil, nil
		}
	}
	s.clearPending(ctx)
	// A new session token on sign-in: a token planted before cannot be
	// ridden afterwards (no session fixation).
	if err := s.sessions.RenewToken(ctx); err != nil {
		return "", nil, err
	}
	s.sessions.Put(ctx, httpface.SessionUserID, u.ID)
	s.sessions.Put(ctx, httpface.SessionEpoch, u.SessionEpoch)
	if err := s.recordSession(r, u, how); err != nil {
		return "", nil, err
	}
	logger(ctx).InfoContext(ctx, "signed in", "user_id", u.ID)
	kept, err := s.afterSignIn(w, r, u.ID)
	if err != nil {
		return "", nil, err
	}
	if kept != "" { // back to the form typed before the session ended
		return kept, &signInFlash{components.FlashInfo, "kept.restored"}, nil
	}
	return safeNext(next), &signInFlash{components.FlashSuccess, "login.welcome"}, nil
}

func (s *Server) clearPending(ctx context.Context) {
	for _, k := range []string{sessionPendingUser, sessionPendingEpoch, sessionPendingUntil, sessionPendingNext, sessionPendingEnrol, sessionPendingHow} {
		s.sessions.Remove(ctx, k)
	}
}

// pendingSignIn is a sign-in waiting for its second step.
type pendingSignIn struct {
	user  domain.User
	next  string
	enrol bool
	how   service.SignInMethod // the first factor; SecondFactor set
}

// pending returns this browser's pending sign-in. None, one past its
// lifetime, or one whose user was disabled or changed password since, is
// false: the visitor is sent back to the sign-in form (done here).
func (s *Server) pending(w http.ResponseWriter, r *http.Request) (pendingSignIn, bool, error) {
	ctx := r.Context()
	id := s.sessions.GetInt64(ctx, sessionPendingUser)
	if id == 0 {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return pendingSignIn{}, false, nil
	}
	if s.now().Unix() > s.sessions.GetInt64(ctx, sessionPendingUntil) {
		s.clearPending(ctx)
		s.setFlash(w, components.FlashInfo, "factor.expired")
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return pendingSignIn{}, false, nil
	}
	u, err := s.access.PendingUser(ctx, id, s.sessions.GetInt64(ctx, sessionPendingEpoch))
	if domain.ErrorCode(err) == domain.CodeUnauthorized {
		s.clearPending(ctx)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return pendingSignIn{}, false, nil
	}
	if err != nil {
		return pendingSignIn{}, false, err
	}
	how := service.SignInMethod{Method: "password"}
	_ = json.Unmarshal([]byte(s.sessions.GetString(ctx, sessionPendingHow)), &how) // written below by openSession
	how.SecondFactor = true
	return pendingSignIn{user: u, next: s.sessions.GetString(ctx, sessionPendingNext),
		enrol: s.sessions.GetBool(ctx, sessionPendingEnrol), how: how}, true, nil
}

// codeField is the one-time code input.
func codeField(f *form, id, labelKey string) components.Field {
	fl := f.field(id, labelKey, "text", true)
	fl.Autocomplete = "one-time-code"
	fl.Maxlength = 24
	fl.Value = "" // a code is never shown back
	return fl
}

func (s *Server) renderSecondStep(w http.ResponseWriter, r *http.Request, status int, err error) error {
	f := newForm(r, err)
	code := codeField(f, "code", "factor.code")
	code.Hint = i18n.T(r.Context(), "factor.code_hint")
	v := pages.SecondStepView{Shell: s.shell(w, r, i18n.T(r.Context(), "factor.step_title")), Code: code}
	v.Shell.SigningIn = true
	v.Errors = f.summary()
	return s.render(w, r, status, pages.SecondStep(v))
}

// handleSecondStepShow asks a pending sign-in for its code.
func (s *Server) handleSecondStepShow(w http.ResponseWriter, r *http.Request) error {
	p, ok, err := s.pending(w, r)
	if !ok || err != nil {
		return err
	}
	if p.enrol {
		http.Redirect(w, r, "/login/enrol", http.StatusSeeOther)
		return nil
	}
	return s.renderSecondStep(w, r, http.StatusOK, nil)
}

// handleSecondStep checks the code (or a recovery code) of a pending
// sign-in and, when right, completes it through startSession.
func (s *Server) handleSecondStep(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, ok, err := s.pending(w, r)
	if !ok || err != nil {
		return err
	}
	if p.enrol {
		http.Redirect(w, r, "/login/enrol", http.StatusSeeOther)
		return nil
	}
	err = s.access.VerifySecondFactor(r.Context(), p.user.ID, r.PostForm.Get("code"), middleware.GetClientIP(r.Context()))
	switch domain.ErrorCode(err) {
	case "":
	case domain.CodeInvalid, domain.CodeRateLimited:
		status := formStatus(w, err)
		return s.renderSecondStep(w, r, status, err)
	case domain.CodeConflict: // the factor was reset meanwhile: start again
		s.clearPending(r.Context())
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	default:
		return err
	}
	return s.startSession(w, withSecondStepPassed(r, p.user.ID), p.user, p.next, p.how)
}

// handleSignInCancel abandons a pending sign-in.
func (s *Server) handleSignInCancel(w http.ResponseWriter, r *http.Request) error {
	s.clearPending(r.Context())
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// groupSecret splits a base32 key into groups of four, easier to type.
func groupSecret(secret string) string {
	var b strings.Builder
	for i, c := range secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (s *Server) renderEnrol(w http.ResponseWriter, r *http.Request, status int, userID int64, required bool, action string, err error) error {
	e, eerr := s.access.Enrolment(r.Context(), userID)
	if eerr != nil {
		return eerr
	}
	f := newForm(r, err)
	v := s.enrolView(w, r, f, e, "factor.enrol_title", action)
	v.Required = required
	v.Shell.SigningIn = required    // the sign-in's enrolment: pending, not signed out
	if !required && e.HasPassword { // from the profile: prove it is them (ConfirmOwnEnrolment)
		pw := passwordField(f, "current_password", "profile.current_password", "current-password")
		pw.Hint = i18n.T(r.Context(), "factor.password_hint")
		v.Password = &pw
	}
	v.Errors = f.summary()
	return s.render(w, r, status, pages.Enrol(v))
}

// enrolView is the page setting up key e (a first enrolment or a
// replacement): the QR code at action's qr.png, the key and its URI, and
// the code field of the form posting to action.
func (s *Server) enrolView(w http.ResponseWriter, r *http.Request, f *form, e domain.Enrolment, title, action string) pages.EnrolView {
	v := pages.EnrolView{
		Shell:  s.shell(w, r, i18n.T(r.Context(), title)),
		QRURL:  action + "/qr.png",
		Secret: groupSecret(e.Secret),
		URI:    e.URI,
		Action: action,
		Code:   codeField(f, "code", "factor.code"),
	}
	v.Code.Inputmode = "numeric"
	return v
}

// writeQR answers user userID's pending enrolment's QR code.
func (s *Server) writeQR(w http.ResponseWriter, r *http.Request, userID int64) error {
	e, err := s.access.Enrolment(r.Context(), userID)
	if err != nil {
		return err
	}
	return writePNG(w, e.QR)
}

// writePNG answers a QR code: an image from this origin (no data: URL,
// no script), never cached.
func writePNG(w http.ResponseWriter, png []byte) error {
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(png)
	return err
}

// handleSignInEnrolShow shows a pending sign-in whose user must have a
// second factor and has none how to set one up; it is the only page
// open to them.
func (s *Server) handleSignInEnrolShow(w http.ResponseWriter, r *http.Request) error {
	p, ok, err := s.pending(w, r)
	if !ok || err != nil {
		return err
	}
	if !p.enrol {
		http.Redirect(w, r, "/login/2fa", http.StatusSeeOther)
		return nil
	}
	return s.renderEnrol(w, r, http.StatusOK, p.user.ID, true, "/login/enrol", nil)
}

func (s *Server) handleSignInEnrolQR(w http.ResponseWriter, r *http.Request) error {
	p, ok, err := s.pending(w, r)
	if !ok || err != nil {
		return err
	}
	if !p.enrol {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	return s.writeQR(w, r, p.user.ID)
}

// handleSignInEnrol confirms the enrolment of a pending sign-in with a
// code, signs the user in (startSession's openSession) and shows the
// recovery codes once.
func (s *Server) handleSignInEnrol(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, ok, err := s.pending(w, r)
	if !ok || err != nil {
		return err
	}
	if !p.enrol {
		http.Redirect(w, r, "/login/2fa", http.StatusSeeOther)
		return nil
	}
	codes, err := s.access.ConfirmEnrolment(r.Context(), p.user.ID, r.PostForm.Get("code"), middleware.GetClientIP(r.Context()))
	switch domain.ErrorCode(err) {
	case "":
	case domain.CodeInvalid, domain.CodeRateLimited:
		status := formStatus(w, err)
		return s.renderEnrol(w, r, status, p.user.ID, true, "/login/enrol", err)
	case domain.CodeConflict:
		s.clearPending(r.Context())
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	default:
		return err
	}
	ctx := r.Context()
	dest, fl, err := s.openSession(w, withSecondStepPassed(r, p.user.ID), p.user, p.next, p.how)
	if err != nil {
		return err
	}
	// The codes page is the first of the session: its header shows the
	// user signed in, and it says the sign-in's welcome itself (a message
	// for the page after, the restored form's, waits for that page).
	a, err := s.access.SessionActor(ctx, p.user.ID, p.user.SessionEpoch, s.sessions.Token(ctx), middleware.GetClientIP(ctx))
	if err != nil {
		return err
	}
	a.Address = middleware.GetClientIP(ctx)
	r = r.WithContext(reqctx.With(ctx, reqctx.Auth{Actor: a, Via: reqctx.ViaSession}))
	var now *components.Flash
	if fl != nil && fl.kind == components.FlashSuccess {
		now = &components.Flash{Kind: fl.kind, Message: i18n.T(ctx, fl.id)}
	} else if fl != nil {
		s.setFlash(w, fl.kind, fl.id)
	}
	return s.renderCodes(w, r, codes, dest, now)
}

// renderCodes shows the recovery codes once; flash, when not nil, is said
// on this page.
func (s *Server) renderCodes(w http.ResponseWriter, r *http.Request, codes []string, next string, flash *components.Flash) error {
	w.Header().Set("Cache-Control", "no-store")
	shell := s.shell(w, r, i18n.T(r.Context(), "factor.codes_title"))
	if flash != nil {
		shell.Flash = flash
	}
	return s.render(w, r, http.StatusOK, pages.RecoveryCodes(pages.RecoveryCodesView{Shell: shell, Codes: codes, Continue: next}))
}

// handleFactorEnrolShow starts (or shows again) a signed-in user's own
// enrolment from the profile.
func (s *Server) handleFactorEnrolShow(w http.ResponseWriter, r *http.Request) error {
	err := s.renderEnrol(w, r, http.StatusOK, actor(r).UserID, false, "/profile/factor", nil)
	if domain.ErrorCode(err) == domain.CodeConflict { // enrolled already
		http.Redirect(w, r, "/profile", http.StatusSeeOther)
		return nil
	}
	return err
}

func (s *Server) handleFactorEnrolQR(w http.ResponseWriter, r *http.Request) error {
	return s.writeQR(w, r, actor(r).UserID)
}

// handleFactorEnrol confirms the profile's enrolment, given the current
// password (or, with none, a recent sign-in), and shows the recovery
// codes once.
func (s *Server) handleFactorEnrol(w http.ResponseWriter, r *http.Request) error {
	service.WithholdAnswer(r.Context()) // the answer holds a secret: never kept for replay
	if err := parseForm(w, r); err != nil {
		return err
	}
	a := actor(r)
	codes, err := s.access.ConfirmOwnEnrolment(r.Context(), a, service.OwnEnrolment{Code: r.PostForm.Get("code"),
		CurrentPassword: r.PostForm.Get("current_password"), SessionToken: s.sessions.Token(r.Context())})
	switch domain.ErrorCode(err) {
	case "":
	case domain.CodeInvalid, domain.CodeRateLimited:
		status := formStatus(w, err)
		return s.renderEnrol(w, r, status, a.UserID, false, "/profile/factor", err)
	default:
		return err
	}
	return s.renderCodes(w, r, codes, "/profile", nil)
}

// factorFormRefused shows the profile again, with the message at field,
// when err refuses one of its second-factor forms, and reports whether
// err was anything but nil (any other error is returned as is).
func (s *Server) factorFormRefused(w http.ResponseWriter, r *http.Request, err error, field string) (bool, error) {
	switch domain.ErrorCode(err) {
	case "":
		return false, nil
	case domain.CodeInvalid, domain.CodeRateLimited, domain.CodeConflict:
		return true, s.renderProfile(w, r, formStatus(w, err), renameField(err, "code", field), nil)
	}
	return true, err
}

// handleRecoveryRegenerate replaces the user's recovery codes, given a
// current code, and shows the new ones once.
func (s *Server) handleRecoveryRegenerate(w http.ResponseWriter, r *http.Request) error {
	service.WithholdAnswer(r.Context()) // the answer holds a secret: never kept for replay
	if err := parseForm(w, r); err != nil {
		return err
	}
	codes, err := s.access.RegenerateRecoveryCodes(r.Context(), actor(r), r.PostForm.Get("regenerate_code"))
	if refused, err := s.factorFormRefused(w, r, err, "regenerate_code"); refused {
		return err
	}
	return s.renderCodes(w, r, codes, "/profile", nil)
}

// handleFactorRemove removes the user's factor, given a code from the
// app or a recovery code (never a factor their roles require: that one is
// replaced, handleFactorReplace).
func (s *Server) handleFactorRemove(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	err := s.access.RemoveSecondFactor(r.Context(), actor(r), r.PostForm.Get("remove_code"))
	if refused, err := s.factorFormRefused(w, r, err, "remove_code"); refused {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "factor.removed")
	http.Redirect(w, r, "/profile", http.StatusSeeOther)
	return nil
}

// The new key of a replacement under way lives in this browser's
// server-side session only (service.StartReplacement), for
// replacementLifetime.
const (
	sessionReplaceKey   = "factor_replace_key"
	sessionReplaceUser  = "factor_replace_user" // whose it is: a sign-in as someone else here does not inherit it
	sessionReplaceUntil = "factor_replace_until"
	replacementLifetime = 10 * time.Minute
)

// handleFactorReplace starts replacing the user's authenticator (a new
// phone, or a lost one), given a code from the current app or a recovery
// code, and shows the new key to set up.
func (s *Server) handleFactorReplace(w http.ResponseWriter, r *http.Request) error {
	service.WithholdAnswer(r.Context()) // the answer holds a secret: never kept for replay
	if err := parseForm(w, r); err != nil {
		return err
	}
	key, err := s.access.StartReplacement(r.Context(), actor(r), r.PostForm.Get("replace_code"))
	if refused, err := s.factorFormRefused(w, r, err, "replace_code"); refused {
		return err
	}
	ctx := r.Context()
	s.sessions.Put(ctx, sessionReplaceKey, key)
	s.sessions.Put(ctx, sessionReplaceUser, actor(r).UserID)
	s.sessions.Put(ctx, sessionReplaceUntil, s.now().Add(replacementLifetime).Unix())
	http.Redirect(w, r, "/profile/factor/replace", http.StatusSeeOther)
	return nil
}

// replacementKey is the new key of the signed-in user's replacement
// under way in this browser, or "" when none: expired, or started by
// someone else who signed in here before.
func (s *Server) replacementKey(r *http.Request) string {
	ctx := r.Context()
	if s.sessions.GetInt64(ctx, sessionReplaceUntil) < s.now().Unix() ||
		s.sessions.GetInt64(ctx, sessionReplaceUser) != actor(r).UserID || actor(r).Anonymous() {
		return ""
	}
	return s.sessions.GetString(ctx, sessionReplaceKey)
}

// handleFactorReplaceShow shows the new key of this browser's replacement
// (QR code, key as text, URI) and asks for a code from the new app.
func (s *Server) handleFactorReplaceShow(w http.ResponseWriter, r *http.Request) error {
	return s.renderReplace(w, r, http.StatusOK, nil)
}

func (s *Server) renderReplace(w http.ResponseWriter, r *http.Request, status int, err error) error {
	key := s.replacementKey(r)
	if key == "" {
		http.Redirect(w, r, "/profile", http.StatusSeeOther)
		return nil
	}
	e, eerr := s.access.Replacement(r.Context(), actor(r), key)
	if eerr != nil {
		return eerr
	}
	f := newForm(r, err)
	v := s.enrolView(w, r, f, e, "factor.replace_title", "/profile/factor/replace/confirm")
	v.QRURL, v.Replacing = "/profile/factor/replace/qr.png", true
	v.Errors = f.summary()
	return s.render(w, r, status, pages.Enrol(v))
}

// handleFactorReplaceQR answers the QR code of this browser's replacement.
func (s *Server) handleFactorReplaceQR(w http.ResponseWriter, r *http.Request) error {
	key := s.replacementKey(r)
	if key == "" {
		return domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	e, err := s.access.Replacement(r.Context(), actor(r), key)
	if err != nil {
		return err
	}
	return writePNG(w, e.QR)
}

// handleFactorReplaceConfirm replaces the factor once a code from the new
// app proves it has the key: other sessions end, this one stays, and the
// new recovery codes are shown once.
func (s *Server) handleFactorReplaceConfirm(w http.ResponseWriter, r *http.Request) error {
	service.WithholdAnswer(r.Context()) // the answer holds a secret: never kept for replay
	if err := parseForm(w, r); err != nil {
		return err
	}
	key := s.replacementKey(r)
	if key == "" {
		http.Redirect(w, r, "/profile", http.StatusSeeOther)
		return nil
	}
	ctx := r.Context()
	codes, err := s.access.ConfirmReplacement(ctx, actor(r), key, r.PostForm.Get("code"), s.sessions.Token(ctx))
	switch domain.ErrorCode(err) {
	case "":
	case domain.CodeInvalid, domain.CodeRateLimited:
		return s.renderReplace(w, r, formStatus(w, err), err)
	default:
		return err
	}
	s.sessions.Remove(ctx, sessionReplaceKey)
	s.sessions.Remove(ctx, sessionReplaceUser)
	s.sessions.Remove(ctx, sessionReplaceUntil)
	return s.renderCodes(w, r, codes, "/profile", &components.Flash{Kind: components.FlashSuccess, Message: i18n.T(ctx, "factor.replaced")})
}

// factorPanel is the profile's second-factor section for the actor.
func (s *Server) factorPanel(r *http.Request, f *form) (pages.FactorPanel, error) {
	a := actor(r)
	sf, err := s.access.SecondFactor(r.Context(), a.UserID)
	if err != nil {
		return pages.FactorPanel{}, err
	}
	p := pages.FactorPanel{Enrolled: sf.Enrolled, Required: sf.Required, RecoveryLeft: sf.RecoveryLeft, NoPassword: !a.HasPassword,
		RegenerateCode: codeField(f, "regenerate_code", "factor.current_or_recovery_code"),
		ReplaceCode:    codeField(f, "replace_code", "factor.current_or_recovery_code"),
		RemoveCode:     codeField(f, "remove_code", "factor.current_or_recovery_code")}
	if sf.Enrolled {
		p.Since = displayTime(r.Context(), sf.ConfirmedAt)
	}
	return p, nil
}

// userFactor is the second-factor part of an administrator's page of
// user userID.
func (s *Server) userFactor(r *http.Request, userID int64) (pages.UserFactorView, error) {
	sf, err := s.access.SecondFactor(r.Context(), userID)
	if err != nil {
		return pages.UserFactorView{}, err
	}
	return pages.UserFactorView{Enrolled: sf.Enrolled, Required: sf.Required,
		ResetURL: "/admin/users/" + strconv.FormatInt(userID, 10) + "/factor-reset"}, nil
}

// handleUserFactorReset resets a user's second factor (administrators).
func (s *Server) handleUserFactorReset(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDParam(r, "id")
	if err != nil {
		return err
	}
	if err := s.directory.ResetSecondFactor(r.Context(), actor(r), id); err != nil {
		return err
	}
	s.setFlash(w, components.FlashSuccess, "factor.reset_done")
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}
