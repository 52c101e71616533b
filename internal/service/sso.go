package service

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// ssoTimeout bounds each call to an identity provider (discovery, token
// exchange, userinfo), so a provider that hangs never holds a page.
const ssoTimeout = 10 * time.Second

// SSO owns single sign-on with organisations' OpenID Connect providers:
// their configuration (administrators) and the authorization code flow
// with PKCE (coreos/go-oidc over x/oauth2). The face keeps the flow's
// SSOPending in the browser's server-side session between Begin and
// Complete and turns the user Complete returns into a session.
type SSO struct {
	store     *store.Store
	directory *Directory
	now       func() time.Time
	log       *slog.Logger

	mu        sync.Mutex
	providers map[string]*oidc.Provider // by issuer: discovery and key cache
}

// NewSSO returns the SSO service; it provisions accounts through
// directory, with its rules and log entries.
func NewSSO(st *store.Store, directory *Directory, now func() time.Time, log *slog.Logger) *SSO {
	return &SSO{store: st, directory: directory, now: now, log: log, providers: map[string]*oidc.Provider{}}
}

// ListProviders returns every provider (administrators).
func (s *SSO) ListProviders(ctx context.Context, by domain.Actor) ([]domain.SSOProvider, error) {
	if err := domain.Can(by, domain.ActionManageUsers, domain.OnInstance()); err != nil {
		return nil, err
	}
	return s.store.ListSSOProviders(ctx, false)
}

// EnabledProviders returns the providers anyone may sign in with, for
// the sign-in page.
func (s *SSO) EnabledProviders(ctx context.Context) ([]domain.SSOProvider, error) {
	return s.store.ListSSOProviders(ctx, true)
}

// GetProvider returns provider id (administrators).
func (s *SSO) GetProvider(ctx context.Context, by domain.Actor, id int64) (domain.SSOProvider, error) {
	if err := domain.Can(by, domain.ActionManageUsers, domain.OnInstance()); err != nil {
		return domain.SSOProvider{}, err
	}
	return s.store.GetSSOProvider(ctx, id)
}

// CreateProvider saves a new provider p with its client secret
// (administrators; who may sign in is theirs to decide, as accounts are).
// The directory log records it, never the secret.
func (s *SSO) CreateProvider(ctx context.Context, by domain.Actor, p domain.SSOProvider, secret string) (domain.SSOProvider, error) {
	if err := domain.Can(by, domain.ActionManageUsers, domain.OnInstance()); err != nil {
		return domain.SSOProvider{}, err
	}
	domain.NormalizeSSOProvider(&p)
	if err := domain.ValidateSSOProvider(p, secret, true); err != nil {
		return domain.SSOProvider{}, err
	}
	if err := s.requireProvisionOrg(ctx, p.ProvisionOrgID); err != nil {
		return domain.SSOProvider{}, err
	}
	var out domain.SSOProvider
	err := s.directory.inLog(ctx, by, func(st *store.Store) (logEntry, error) {
		var err error
		if out, err = st.CreateSSOProvider(ctx, p, secret, s.now()); err != nil {
			return logEntry{}, fieldConflict(err, "slug", "sso.slug_taken")
		}
		return created(domain.DirSSOProviderCreated, domain.TargetSSOProvider, out.ID, out.Name, domain.SSOProviderAudit(out)), nil
	})
	return out, err
}

// UpdateProvider saves an administrator's edit of p (p.UpdatedAt, when
// set, is the version the form was loaded with: a stale edit is refused
// as EditedMeanwhile). An empty secret keeps the stored one; a new one is
// logged as changed, never shown.
func (s *SSO) UpdateProvider(ctx context.Context, by domain.Actor, p domain.SSOProvider, secret string) (domain.SSOProvider, error) {
	if err := domain.Can(by, domain.ActionManageUsers, domain.OnInstance()); err != nil {
		return domain.SSOProvider{}, err
	}
	domain.NormalizeSSOProvider(&p)
	if err := domain.ValidateSSOProvider(p, secret, false); err != nil {
		return domain.SSOProvider{}, err
	}
	if err := s.requireProvisionOrg(ctx, p.ProvisionOrgID); err != nil {
		return domain.SSOProvider{}, err
	}
	var out domain.SSOProvider
	err := s.directory.inLog(ctx, by, func(st *store.Store) (logEntry, error) {
		old, err := st.GetSSOProvider(ctx, p.ID)
		if err != nil {
			return logEntry{}, err
		}
		if stale(p.UpdatedAt, old.UpdatedAt) {
			return logEntry{}, domain.EditedMeanwhile(domain.SSOProviderAudit(old), domain.SSOProviderAudit(p))
		}
		if out, err = st.UpdateSSOProvider(ctx, p, secret, s.now()); err != nil {
			return logEntry{}, fieldConflict(err, "slug", "sso.slug_taken")
		}
		before, after := domain.SSOProviderAudit(old), domain.SSOProviderAudit(out)
		if secret != "" {
			before["client_secret"], after["client_secret"] = "kept", "changed"
		}
		return updated(domain.DirSSOProviderUpdated, domain.TargetSSOProvider, out.ID, out.Name, before, after), nil
	})
	return out, err
}

// requireProvisionOrg returns a field error unless organisation id
// exists (0, no provisioning, is fine).
func (s *SSO) requireProvisionOrg(ctx context.Context, id int64) error {
	if id == 0 {
		return nil
	}
	_, err := s.store.GetOrganization(ctx, id)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return &domain.Error{Code: domain.CodeInvalid, Message: "error.invalid", Fields: map[string]string{"provision_org_id": "field.choose"}}
	}
	return err
}

// SSOPending is a sign-in started at a provider and not yet completed:
// what the callback must match (state), what the ID token must carry
// (nonce), the PKCE code verifier, and where to go afterwards. The face
// keeps it server-side in the browser's session, never in the browser.
type SSOPending struct {
	Provider string `json:"provider"` // the slug
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	Next     string `json:"next"`
	// Started bounds the flow: a callback after SSOPendingLifetime is
	// refused as if no sign-in had been started.
	Started time.Time `json:"started"`
}

// SSOPendingLifetime is how long a sign-in started at a provider may take.
const SSOPendingLifetime = 15 * time.Minute

// SSOCallback is what the provider sent back to the redirect URL.
type SSOCallback struct {
	State, Code string
	Error       string // the provider's "error" parameter (e.g. access_denied)
}

// provider returns the enabled provider slug with its secret and its
// discovered OpenID configuration. A missing or disabled provider is
// CodeNotFound; one that cannot be reached or discovered is refused.
func (s *SSO) provider(ctx context.Context, slug string) (domain.SSOProvider, string, *oidc.Provider, error) {
	p, secret, err := s.store.GetSSOProviderBySlug(ctx, slug)
	if err == nil && !p.Enabled {
		err = domain.Errorf(domain.CodeNotFound, "error.not_found")
	}
	if err != nil {
		return domain.SSOProvider{}, "", nil, err
	}
	s.mu.Lock()
	op := s.providers[p.IssuerURL]
	s.mu.Unlock()
	if op == nil {
		dctx, cancel := context.WithTimeout(ctx, ssoTimeout)
		defer cancel()
		if op, err = oidc.NewProvider(dctx, p.IssuerURL); err != nil {
			s.log.WarnContext(ctx, "sso: discovery failed", "provider", slug, "error", err)
			return domain.SSOProvider{}, "", nil, domain.SSORefusal(domain.SSORefusedProvider)
		}
		s.mu.Lock()
		s.providers[p.IssuerURL] = op
		s.mu.Unlock()
	}
	return p, secret, op, nil
}

// oauthConfig is the OAuth 2.0 client of provider p at redirectURL.
func oauthConfig(p domain.SSOProvider, secret string, op *oidc.Provider, redirectURL string) *oauth2.Config {
	return &oauth2.Config{ClientID: p.ClientID, ClientSecret: secret, Endpoint: op.Endpoint(), RedirectURL: redirectURL,
		Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

// Begin starts a sign-in at provider slug: it returns the provider's
// authorization URL (code flow, PKCE S256, state, nonce) and what the
// face keeps until the callback. next is where to go once signed in.
func (s *SSO) Begin(ctx context.Context, slug, redirectURL, next string) (string, SSOPending, error) {
	p, secret, op, err := s.provider(ctx, slug)
	if err != nil {
		return "", SSOPending{}, err
	}
	pend := SSOPending{Provider: p.Slug, State: newSecret(""), Nonce: newSecret(""), Verifier: oauth2.GenerateVerifier(), Next: next,
		Started: s.now()}
	url := oauthConfig(p, secret, op, redirectURL).AuthCodeURL(pend.State, oauth2.S256ChallengeOption(pend.Verifier), oidc.Nonce(pend.Nonce))
	return url, pend, nil
}

// Complete finishes the sign-in pend at provider slug with the
// provider's answer cb, from address: the state must be pend's, the code
// is exchanged with pend's PKCE verifier, the ID token verified (issuer,
// audience, expiry, signature, pend's nonce), and then SSODecide picks
// the account. It returns the user to sign in; a refusal is
// domain.SSORefusal's error, recorded in the security log
// (DirSignInFailed with the reason); a link or an account it makes is
// logged in its transaction, and the sign-in itself when its session
// opens (Access.StartSession, method "sso").
func (s *SSO) Complete(ctx context.Context, slug, redirectURL string, pend SSOPending, cb SSOCallback, address string) (domain.User, error) {
	// A refusal has no actor, as a failed password sign-in has none:
	// whoever came back from the provider is not known to be the
	// account's owner. The entry's target still names the account.
	refused := func(reason string, u domain.User, err error) (domain.User, error) {
		if err != nil {
			s.log.WarnContext(ctx, "sso: sign-in refused", "provider", slug, "reason", reason, "error", err)
		}
		if u.Email == "" {
			u.Email = slug // no account is known: the entry names the provider
		}
		e := accountEntry(domain.DirSignInFailed, u, map[string]any{"method": "sso", "provider": slug, "reason": "sso.refused." + reason})
		e.actor = 0
		if lerr := logAccount(ctx, s.store, s.now, address, e); lerr != nil {
			return domain.User{}, lerr
		}
		return domain.User{}, domain.SSORefusal(reason)
	}
	if pend.State == "" || pend.Provider != slug || subtle.ConstantTimeCompare([]byte(pend.State), []byte(cb.State)) != 1 ||
		s.now().Sub(pend.Started) > SSOPendingLifetime {
		return refused(domain.SSORefusedState, domain.User{}, nil)
	}
	if cb.Error != "" || cb.Code == "" {
		return refused(domain.SSORefusedProvider, domain.User{}, nil)
	}
	p, secret, op, err := s.provider(ctx, slug)
	if err != nil {
		return domain.User{}, err
	}
	claims, err := s.verify(ctx, p, secret, op, redirectURL, pend, cb.Code)
	if err != nil {
		return refused(domain.SSORefusedProvider, domain.User{}, err)
	}
	// Refusals decided on the claims alone come before any account is
	// looked up, so they say nothing of which accounts exist.
	if outcome, reason := domain.SSODecide(claims, p, nil, nil, false); outcome == domain.SSORefuse &&
		(reason == domain.SSORefusedUnverified || reason == domain.SSORefusedDomain) {
		return refused(reason, domain.User{Email: claims.Email}, nil)
	}
	var (
		out    domain.User
		reason string
	)
	err = inDirectoryLog(ctx, s.store, s.now, func(st *store.Store) ([]logEntry, error) {
		var entries []logEntry
		out, reason, entries, err = s.account(ctx, st, p, claims)
		for i := range entries {
			entries[i].actor, entries[i].address = out.ID, address
		}
		return entries, err
	})
	if err != nil {
		return domain.User{}, err
	}
	if reason != "" {
		return refused(reason, out, nil)
	}
	// Invitations of this address take effect at its first sign-in, as
	// with a password (a provisioned account took them when created).
	if err := takeInvitations(ctx, s.store, out, s.now); err != nil {
		s.log.ErrorContext(ctx, "apply membership invitations at sign-in", "user_id", out.ID, "error", err)
	}
	return out, nil
}

// account finds, links or creates the account of claims at p on st (a
// transaction holding the directory log's lock), as domain.SSODecide
// says, and returns it with its log entries; or the refusal's reason with
// the account it concerns, and no entries.
func (s *SSO) account(ctx context.Context, st *store.Store, p domain.SSOProvider, c domain.SSOClaims) (domain.User, string, []logEntry, error) {
	var linked, byEmail *domain.User
	emailLinkedHere := false
	u, err := st.SSOIdentityUser(ctx, p.ID, c.Subject)
	switch domain.ErrorCode(err) {
	case "":
		linked = &u
	case domain.CodeNotFound:
		e, err := st.GetUserByEmail(ctx, domain.NormalizeEmail(c.Email))
		switch domain.ErrorCode(err) {
		case "":
			byEmail = &e
			if emailLinkedHere, err = st.HasSSOIdentity(ctx, p.ID, e.ID); err != nil {
				return domain.User{}, "", nil, err
			}
		case domain.CodeNotFound:
		default:
			return domain.User{}, "", nil, err
		}
	default:
		return domain.User{}, "", nil, err
	}
	outcome, reason := domain.SSODecide(c, p, linked, byEmail, emailLinkedHere)
	linkedEntry := func(u domain.User) logEntry {
		return accountEntry(domain.DirSSOLinked, u, map[string]any{"provider": p.Slug, "subject": c.Subject})
	}
	switch outcome {
	case domain.SSOSignIn:
		return *linked, "", nil, nil
	case domain.SSOLink:
		if err := st.CreateSSOIdentity(ctx, p.ID, c.Subject, byEmail.ID, s.now()); err != nil {
			return domain.User{}, "", nil, err
		}
		return *byEmail, "", []logEntry{linkedEntry(*byEmail)}, nil
	case domain.SSOProvision:
		nu, _, err := s.directory.prepareUser(ctx, NewUser{User: domain.User{Email: c.Email, Name: domain.SSOAccountName(c),
			OrganizationID: p.ProvisionOrgID}, SSO: p.Slug})
		if err != nil {
			return domain.User{}, "", nil, err
		}
		out, _, entries, err := s.directory.insertUser(ctx, st, nu, "", p.Slug)
		if err != nil {
			return domain.User{}, "", nil, err
		}
		if err := st.CreateSSOIdentity(ctx, p.ID, c.Subject, out.ID, s.now()); err != nil {
			return domain.User{}, "", nil, err
		}
		return out, "", append(entries, linkedEntry(out)), nil
	}
	if linked != nil {
		return *linked, reason, nil, nil
	}
	if byEmail != nil {
		return *byEmail, reason, nil, nil
	}
	return domain.User{Email: c.Email}, reason, nil, nil
}

// verify exchanges code (with pend's PKCE verifier) and verifies the ID
// token: signature, issuer, audience (the client ID), expiry and pend's
// nonce. The e-mail claims come from the ID token or, when it carries
// none, from the userinfo endpoint for the same subject.
func (s *SSO) verify(ctx context.Context, p domain.SSOProvider, secret string, op *oidc.Provider, redirectURL string,
	pend SSOPending, code string) (domain.SSOClaims, error) {
	ctx, cancel := context.WithTimeout(ctx, ssoTimeout)
	defer cancel()
	tok, err := oauthConfig(p, secret, op, redirectURL).Exchange(ctx, code, oauth2.VerifierOption(pend.Verifier))
	if err != nil {
		return domain.SSOClaims{}, err
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return domain.SSOClaims{}, errors.New("no id_token in the token response")
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: p.ClientID}).Verify(ctx, raw)
	if err != nil {
		return domain.SSOClaims{}, err
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pend.Nonce)) != 1 {
		return domain.SSOClaims{}, errors.New("nonce mismatch")
	}
	var ic struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := idt.Claims(&ic); err != nil {
		return domain.SSOClaims{}, err
	}
	c := domain.SSOClaims{Subject: idt.Subject, Email: ic.Email, EmailVerified: truthy(ic.EmailVerified), Name: ic.Name}
	if c.Email == "" || ic.EmailVerified == nil {
		ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return domain.SSOClaims{}, err
		}
		if ui.Subject != idt.Subject {
			return domain.SSOClaims{}, errors.New("userinfo names another subject")
		}
		var uc struct {
			Name string `json:"name"`
		}
		_ = ui.Claims(&uc)
		c.Email, c.EmailVerified, c.Name = ui.Email, ui.EmailVerified, cmp.Or(c.Name, uc.Name)
	}
	c.Email = domain.NormalizeEmail(c.Email)
	return c, nil
}

// truthy reads email_verified, which some providers send as a string.
func truthy(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return strings.EqualFold(b, "true")
	}
	return false
}
