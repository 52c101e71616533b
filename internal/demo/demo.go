// Package demo loads cmcoord's demonstration data — organisations, users,
// operations and, as the features that own them arrive, requests in every
// state — through the same services the faces use, never through SQL.
// `cmcoord demo` and `make run` (on first run) call Load.
//
// It imports service and domain; it must not import store, web or api.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
)

// Password is every demo account's password. It is printed by `make run`;
// demo data is for trying cmcoord out, never for a real operation.
const Password = "cmcoord demo pass"

// Login is a demo account printed for the person trying cmcoord out.
type Login struct {
	Email    string
	Password string
	Role     string // what the account can do, in a few words
}

// Result says what Load did.
type Result struct {
	// Loaded is false when demo data was already present and Load did
	// nothing.
	Loaded bool
	// Logins are the demo accounts, whether loaded now or before.
	Logins []Login
}

// Services are the use cases Load drives.
type Services struct {
	System    *service.System
	Access    *service.Access
	Directory *service.Directory
	Requests  *service.Requests
	Reviews   *service.Reviews   // nil: no demo reviews
	Lifecycle *service.Lifecycle // nil: nothing after approval
	// Attachments adds the demo's documents (nil: none).
	Attachments *service.Attachments
	// Now is the clock demo requests are dated from (time.Now when nil).
	Now func() time.Time
}

// Load loads the demo data unless an earlier run did. Concurrent callers
// (two instances starting together) load it once. A failed load releases
// the marker so the next run retries (records created before the failure
// stay; the unique names make a retry fail loudly rather than duplicate).
func Load(ctx context.Context, svc Services) (Result, error) {
	first, err := svc.System.ClaimDemoLoad(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("demo: %w", err)
	}
	res := Result{Loaded: first, Logins: Logins()}
	if !first {
		return res, nil
	}
	if err := load(ctx, svc); err != nil {
		return Result{}, errors.Join(fmt.Errorf("demo: %w", err), svc.System.ReleaseDemoClaim(ctx))
	}
	return res, nil
}

type person struct {
	email, name, org string
	role             domain.Role // "" for the admin
	language         string
	summary          string
}

var organizations = []domain.Organization{
	{Name: "UN Office for the Coordination of Humanitarian Affairs", Acronym: "OCHA", Type: domain.OrgUNAgency, UNEntity: true},
	{Name: "World Food Programme", Acronym: "WFP", Type: domain.OrgUNAgency, UNEntity: true},
	{Name: "Save the Children International", Acronym: "SCI", Type: domain.OrgINGO},
	{Name: "Himalayan Community Action", Acronym: "HCA", Type: domain.OrgNNGO},
	{Name: "Nepal Red Cross Society", Acronym: "NRCS", Type: domain.OrgRedCross},
	{Name: "Multinational Military Coordination Centre liaison", Acronym: "MNMCC", Type: domain.OrgMilitaryCivDef},
}

var people = []person{
	{"admin@example.org", "Aditi Admin", "OCHA", "", "en", "administrator: organisations, users, operations (sets up a second factor, an authenticator app, at first sign-in)"},
	{"requester@example.org", "Ram Requester", "World Food Programme", domain.RoleRequester, "en", "requester: drafts and submits requests for WFP"},
	{"field@example.org", "Fatima Field", "Save the Children International", domain.RoleRequester, "en", "requester for Save the Children (sees only its requests)"},
	{"officer@example.org", "Olivia Officer", "UN Office for the Coordination of Humanitarian Affairs", domain.RoleOfficer, "en", "CMCoord officer: screens, runs reviews, exports"},
	{"hct@example.org", "Hari HCT", "Save the Children International", domain.RoleHCTMember, "fr", "HCT member: votes for Save the Children"},
	{"hct-wfp@example.org", "Wanjiru HCT", "World Food Programme", domain.RoleHCTMember, "en", "HCT member: votes for WFP"},
	{"hct-hca@example.org", "Hasina HCT", "Himalayan Community Action", domain.RoleHCTMember, "en", "HCT member: votes for Himalayan Community Action"},
	{"hc@example.org", "Hannah Coordinator", "UN Office for the Coordination of Humanitarian Affairs", domain.RoleHC, "en", "Humanitarian Coordinator: decides"},
	{"hrddp@example.org", "Hemant HRDDP", "UN Office for the Coordination of Humanitarian Affairs", domain.RoleHRDDPReviewer, "en", "HRDDP reviewer: risk assessments"},
	{"viewer@example.org", "Vera Viewer", "Nepal Red Cross Society", domain.RoleViewer, "es", "viewer: reads"},
}

var operations = []domain.Operation{
	{Code: "NPL-EQ-DEMO", Name: "Nepal earthquake (demo)", CountryISO3: "NPL", GLIDE: "EQ-2015-000048-NPL",
		Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48},
	{Code: "SSD-CE-DEMO", Name: "South Sudan complex emergency (demo)", CountryISO3: "SSD",
		Context: domain.ContextComplexEmergency, LeadTimeHours: 72,
		Policy: domain.ReviewPolicy{QuorumPercent: 60, PassRule: domain.PassConsensus, ReviewHours: 96, UrgentReviewHours: 24, SealedVotes: true}},
	{Code: "MOZ-TC-DEMO", Name: "Mozambique cyclone in a conflict-affected province (demo)", CountryISO3: "MOZ", GLIDE: "TC-2019-000021-MOZ",
		Context: domain.ContextMixed, LeadTimeHours: 48,
		Policy: domain.ReviewPolicy{QuorumPercent: 50, PassRule: domain.PassMajority, ReviewHours: 48, UrgentReviewHours: 12, SealedVotes: false}},
}

// load creates the demo records through the services, as an admin would.
func load(ctx context.Context, svc Services) error {
	admin := people[0]
	u, err := svc.Directory.CreateAdmin(ctx, admin.email, admin.name, Password, organizations[0])
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	by, err := svc.Access.Actor(ctx, u.ID, u.SessionEpoch)
	if err != nil {
		return err
	}
	orgID := map[string]int64{}
	existing, err := svc.Directory.ListOrganizations(ctx, by)
	if err != nil {
		return err
	}
	for _, o := range existing {
		orgID[o.Name] = o.ID
	}
	for _, o := range organizations {
		if _, ok := orgID[o.Name]; ok {
			continue // OCHA, created with the admin
		}
		created, err := svc.Directory.CreateOrganization(ctx, by, o)
		if err != nil {
			return fmt.Errorf("organisation %s: %w", o.Acronym, err)
		}
		orgID[o.Name] = created.ID
	}
	for _, op := range operations {
		if _, err := svc.Directory.CreateOperation(ctx, by, op); err != nil {
			return fmt.Errorf("operation %s: %w", op.Code, err)
		}
	}
	actors := map[string]domain.Actor{}
	for _, p := range people[1:] {
		id, ok := orgID[p.org]
		if !ok {
			return fmt.Errorf("person %s: unknown organisation %q", p.email, p.org)
		}
		u, _, err := svc.Directory.CreateUser(ctx, by, service.NewUser{
			User:     domain.User{Email: p.email, Name: p.name, OrganizationID: id, Language: p.language},
			Password: Password,
		})
		if err != nil {
			return fmt.Errorf("user %s: %w", p.email, err)
		}
		for _, op := range operations {
			if err := svc.Directory.SetMember(ctx, by, op.Code, u.ID, domain.RoleSet{p.role}); err != nil {
				return fmt.Errorf("member %s of %s: %w", p.email, op.Code, err)
			}
		}
		if actors[p.email], err = svc.Access.Actor(ctx, u.ID, u.SessionEpoch); err != nil {
			return err
		}
	}
	now := time.Now
	if svc.Now != nil {
		now = svc.Now
	}
	return loadRequests(ctx, svc, actors, now())
}

// Logins lists the demo accounts.
func Logins() []Login {
	out := make([]Login, len(people))
	for i, p := range people {
		out[i] = Login{Email: p.email, Password: Password, Role: p.summary}
	}
	return out
}
