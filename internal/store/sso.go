package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cmcoord/cmcoord/internal/domain"
)

const ssoProviderCols = `id, slug, name, issuer_url, client_id, enabled, coalesce(provision_org_id, 0),
	trusted_domains, client_secret <> '', created_at, updated_at`

func scanSSOProvider(row pgx.CollectableRow) (domain.SSOProvider, error) {
	var p domain.SSOProvider
	err := row.Scan(&p.ID, &p.Slug, &p.Name, &p.IssuerURL, &p.ClientID, &p.Enabled, &p.ProvisionOrgID,
		&p.TrustedDomains, &p.HasSecret, &p.CreatedAt, &p.UpdatedAt)
	return p, err
}

// domains is a provider's trusted domains as the column takes them: never
// NULL (a nil slice would be).
func domains(d []string) []string {
	if d == nil {
		return []string{}
	}
	return d
}

// CreateSSOProvider inserts p with its client secret. A taken slug is
// CodeConflict "conflict.sso_providers_slug_key"; an enabled provider
// with no trusted domain "conflict.sso_providers_trusted_domains_check".
func (s *Store) CreateSSOProvider(ctx context.Context, p domain.SSOProvider, secret string, now time.Time) (domain.SSOProvider, error) {
	rows, _ := s.db.Query(ctx,
		`INSERT INTO sso_providers (slug, name, issuer_url, client_id, client_secret, enabled, provision_org_id, trusted_domains,
		        created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, 0), $8, $9, $9) RETURNING `+ssoProviderCols,
		p.Slug, p.Name, p.IssuerURL, p.ClientID, secret, p.Enabled, p.ProvisionOrgID, domains(p.TrustedDomains), now)
	out, err := pgx.CollectExactlyOneRow(rows, scanSSOProvider)
	return out, dbErr(err, "create sso provider")
}

// UpdateSSOProvider saves p's fields; an empty secret keeps the stored one.
func (s *Store) UpdateSSOProvider(ctx context.Context, p domain.SSOProvider, secret string, now time.Time) (domain.SSOProvider, error) {
	rows, _ := s.db.Query(ctx,
		`UPDATE sso_providers SET slug = $2, name = $3, issuer_url = $4, client_id = $5,
		        client_secret = coalesce(NULLIF($6, ''), client_secret), enabled = $7,
		        provision_org_id = NULLIF($8, 0), trusted_domains = $9, updated_at = $10
		 WHERE id = $1 RETURNING `+ssoProviderCols,
		p.ID, p.Slug, p.Name, p.IssuerURL, p.ClientID, secret, p.Enabled, p.ProvisionOrgID, domains(p.TrustedDomains), now)
	out, err := pgx.CollectExactlyOneRow(rows, scanSSOProvider)
	return out, dbErr(err, "update sso provider %d", p.ID)
}

// GetSSOProvider returns provider id.
func (s *Store) GetSSOProvider(ctx context.Context, id int64) (domain.SSOProvider, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+ssoProviderCols+` FROM sso_providers WHERE id = $1`, id)
	out, err := pgx.CollectExactlyOneRow(rows, scanSSOProvider)
	return out, dbErr(err, "get sso provider %d", id)
}

// GetSSOProviderBySlug returns the provider named slug with its client
// secret, for the sign-in flow.
func (s *Store) GetSSOProviderBySlug(ctx context.Context, slug string) (domain.SSOProvider, string, error) {
	var secret string
	rows, _ := s.db.Query(ctx, `SELECT `+ssoProviderCols+`, client_secret FROM sso_providers WHERE slug = $1`, slug)
	out, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (domain.SSOProvider, error) {
		var p domain.SSOProvider
		err := row.Scan(&p.ID, &p.Slug, &p.Name, &p.IssuerURL, &p.ClientID, &p.Enabled, &p.ProvisionOrgID,
			&p.TrustedDomains, &p.HasSecret, &p.CreatedAt, &p.UpdatedAt, &secret)
		return p, err
	})
	return out, secret, dbErr(err, "get sso provider %q", slug)
}

// ListSSOProviders returns every provider by name; enabledOnly keeps the
// enabled ones (the sign-in page's buttons).
func (s *Store) ListSSOProviders(ctx context.Context, enabledOnly bool) ([]domain.SSOProvider, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+ssoProviderCols+` FROM sso_providers
		WHERE enabled OR NOT $1 ORDER BY lower(name), id`, enabledOnly)
	out, err := pgx.CollectRows(rows, scanSSOProvider)
	return out, dbErr(err, "list sso providers")
}

// SSOIdentityUser returns the account linked to subject at provider.
func (s *Store) SSOIdentityUser(ctx context.Context, providerID int64, subject string) (domain.User, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+prefixed("u.", userCols)+` FROM sso_identities i JOIN users u ON u.id = i.user_id
		WHERE i.provider_id = $1 AND i.subject = $2`, providerID, subject)
	out, err := pgx.CollectExactlyOneRow(rows, scanUser)
	return out, dbErr(err, "sso identity")
}

// HasSSOIdentity reports whether user is linked to any subject at provider.
func (s *Store) HasSSOIdentity(ctx context.Context, providerID, userID int64) (bool, error) {
	var ok bool
	err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sso_identities WHERE provider_id = $1 AND user_id = $2)`,
		providerID, userID).Scan(&ok)
	return ok, dbErr(err, "has sso identity")
}

// CreateSSOIdentity links subject at provider to user. A subject already
// linked is CodeConflict "conflict.sso_identities_pkey"; a user already
// linked to the provider "conflict.sso_identities_provider_user_key".
func (s *Store) CreateSSOIdentity(ctx context.Context, providerID int64, subject string, userID int64, now time.Time) error {
	_, err := s.db.Exec(ctx, `INSERT INTO sso_identities (provider_id, subject, user_id, created_at) VALUES ($1, $2, $3, $4)`,
		providerID, subject, userID, now)
	return dbErr(err, "create sso identity")
}
