package main

import (
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/browser"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

// testServices are the services over a test database, for setting up data
// and checking results the way the faces would.
type testServices struct {
	access    *service.Access
	directory *service.Directory
	requests  *service.Requests
	reviews   *service.Reviews
}

func services(t *testing.T, dbURL string) testServices {
	t.Helper()
	st := store.New(testdb.Pool(t, dbURL))
	log := discardLogger()
	access := service.NewAccess(st, time.Now, log)
	return testServices{access: access, directory: service.NewDirectory(st, access, time.Now, log),
		requests: service.NewRequests(st, time.Now, log).WithActionLimits(nil), reviews: service.NewReviews(st, time.Now, log, nil)}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// signIn signs email in through the sign-in form at base and waits for
// the signed-in page.
func signIn(base, email, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		browser.ClickAndLoad(`[data-testid="login-submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-name"]`)),
	)
}

// browserPassword is the password of every user the browser tests make.
const browserPassword = "violet kettle harbour at dawn"

// Organisations of the South Sudan test operation, for ssdOperation's
// members.
const (
	orgOCHA = "ocha" // the administrator's organisation
	orgWFP  = "wfp"  // World Food Programme, a UN entity
	orgNGO  = "ngo"  // Relief NGO
)

// ssdMember is one user ssdOperation makes: its organisation and role.
type ssdMember struct {
	org  string
	role domain.Role
}

// ssdOperation makes, through the services, an administrator, operation
// SSD-CE (mixed context, default review policy), WFP (a UN entity) and
// an NGO, and each member with browserPassword and their role in SSD-CE;
// it returns the members as actors, by e-mail.
func ssdOperation(t *testing.T, svc testServices, members map[string]ssdMember) map[string]domain.Actor {
	t.Helper()
	ctx := t.Context()
	root, err := svc.directory.CreateAdmin(ctx, "admin@example.org", "Ada Admin", browserPassword, domain.Organization{Name: "OCHA"})
	if err != nil {
		t.Fatal(err)
	}
	by, err := svc.access.Actor(ctx, root.ID, root.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.directory.CreateOperation(ctx, by, domain.Operation{Code: "SSD-CE", Name: "South Sudan",
		CountryISO3: "SSD", Context: domain.ContextMixed, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48}); err != nil {
		t.Fatal(err)
	}
	un, err := svc.directory.CreateOrganization(ctx, by, domain.Organization{Name: "World Food Programme", Acronym: "WFP", Type: domain.OrgUNAgency, UNEntity: true})
	if err != nil {
		t.Fatal(err)
	}
	ngo, err := svc.directory.CreateOrganization(ctx, by, domain.Organization{Name: "Relief NGO", Acronym: "RNG", Type: domain.OrgINGO})
	if err != nil {
		t.Fatal(err)
	}
	orgs := map[string]int64{orgOCHA: root.OrganizationID, orgWFP: un.ID, orgNGO: ngo.ID}
	actors := map[string]domain.Actor{}
	for email, m := range members {
		u, _, err := svc.directory.CreateUser(ctx, by, service.NewUser{User: domain.User{Email: email, Name: strings.Split(email, "@")[0],
			OrganizationID: orgs[m.org], Language: "en"}, Password: browserPassword})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.directory.SetMember(ctx, by, "SSD-CE", u.ID, domain.RoleSet{m.role}); err != nil {
			t.Fatal(err)
		}
		if actors[email], err = svc.access.Actor(ctx, u.ID, u.SessionEpoch); err != nil {
			t.Fatal(err)
		}
	}
	return actors
}

// completeRequestFields are the form values, by input name, of a request
// the browser tests complete (all but title, need and capability, which
// each test gives or leaves out); required is its required-by time.
func completeRequestFields(required time.Time) map[string]string {
	start := required.Format(time.DateOnly)
	end := required.AddDate(0, 0, 14).Format(time.DateOnly)
	return map[string]string{
		"task_description":           "Six rotations a day from Dhunche to Upper Rasuwa for two weeks.",
		"destination.name":           "Upper Rasuwa",
		"destination.adm1_pcode":     "NP03",
		"required_by":                required.Format("2006-01-02T15:04"),
		"start_date":                 start,
		"end_date":                   end,
		"complementarity":            "Trucks carry the kits to Dhunche; only the last leg needs air.",
		"exit_strategy.organization": "WFP road convoys",
		"exit_strategy.date":         end,
		"exit_strategy.plan":         "The road reopens within two weeks; convoys take over.",
		"poc.name":                   "Rita Field",
		"poc.role":                   "Logistics officer",
		"poc.phone":                  "+977 1 555 0100",
		"poc.email":                  "rita@example.org",
		"civilian.unhas.note":        "Both UNHAS helicopters are committed for three weeks.",
		"checklist.LR11.note":        "NEOC letter 2026/114",
	}
}

// completeChecklist answers every checklist item of a natural-disaster
// request so that it may be submitted, by item ID: the answer that meets
// each (the checklist's own Meets).
var completeChecklist = func() map[string]string {
	out := map[string]string{}
	for _, it := range domain.Checklist {
		if it.Meets != "" && !it.ByOfficer {
			out[it.ID] = it.Meets
		}
	}
	return out
}()
