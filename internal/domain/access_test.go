package domain_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

func TestCan(t *testing.T) {
	t.Parallel()
	const op, other = int64(1), int64(2)
	actor := func(admin bool, roles ...domain.Role) domain.Actor {
		a := domain.Actor{UserID: 7, IsAdmin: admin, Roles: map[int64]domain.RoleSet{}}
		if len(roles) > 0 {
			a.Roles[op] = roles
		}
		return a
	}
	ok, notFound, forbidden, unauth := domain.Code(""), domain.CodeNotFound, domain.CodeForbidden, domain.CodeUnauthorized
	tests := []struct {
		name   string
		actor  domain.Actor
		action domain.Action
		opID   int64
		want   domain.Code
	}{
		{"AnonymousAnything", domain.Actor{}, domain.ActionViewOperation, op, unauth},
		{"AnonymousGlobal", domain.Actor{}, domain.ActionManageUsers, 0, unauth},
		{"AdminManagesUsers", actor(true), domain.ActionManageUsers, 0, ok},
		{"AdminCreatesOperation", actor(true), domain.ActionCreateOperation, 0, ok},
		{"AdminEditsAnyOperation", actor(true), domain.ActionEditOperation, other, ok},
		{"AdminManagesAnyMembers", actor(true), domain.ActionManageMembers, other, ok},
		{"OfficerCannotManageUsers", actor(false, domain.RoleOfficer), domain.ActionManageUsers, 0, forbidden},
		{"OfficerManagesOwnMembers", actor(false, domain.RoleOfficer), domain.ActionManageMembers, op, ok},
		{"OfficerOtherOperationHidden", actor(false, domain.RoleOfficer), domain.ActionManageMembers, other, notFound},
		{"OfficerCannotEditOperation", actor(false, domain.RoleOfficer), domain.ActionEditOperation, op, forbidden},
		{"RequesterSeesOperation", actor(false, domain.RoleRequester), domain.ActionViewOperation, op, ok},
		{"RequesterCannotManageMembers", actor(false, domain.RoleRequester), domain.ActionManageMembers, op, forbidden},
		{"ViewerCannotSeeMembers", actor(false, domain.RoleViewer), domain.ActionViewMembers, op, forbidden},
		{"OfficerScreens", actor(false, domain.RoleOfficer), domain.ActionScreenRequests, op, ok},
		{"AdminNonMemberCannotScreen", actor(true), domain.ActionScreenRequests, op, notFound},
		{"HCTMemberCannotScreen", actor(false, domain.RoleHCTMember), domain.ActionScreenRequests, op, forbidden},
		{"NonMemberHidden", actor(false), domain.ActionViewOperation, op, notFound},
		{"OfficerExports", actor(false, domain.RoleOfficer), domain.ActionExportRequests, op, ok},
		{"HCExports", actor(false, domain.RoleHC), domain.ActionExportRequests, op, ok},
		{"ViewerExports", actor(false, domain.RoleViewer), domain.ActionExportRequests, op, ok},
		{"HCTMemberCannotExport", actor(false, domain.RoleHCTMember), domain.ActionExportRequests, op, forbidden},
		{"RequesterCannotExport", actor(false, domain.RoleRequester), domain.ActionExportRequests, op, forbidden},
		{"AdminNonMemberCannotExport", actor(true), domain.ActionExportRequests, op, notFound},
		{"SeveralRolesAnyWins", actor(false, domain.RoleViewer, domain.RoleOfficer), domain.ActionViewMembers, op, ok},
		{"UnknownActionDenied", actor(true), domain.Action("launch.missiles"), op, forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := domain.Can(tt.actor, tt.action, domain.InOperation(tt.opID))
			if got := domain.ErrorCode(err); got != tt.want {
				t.Fatalf("Can = %v (code %q), want code %q", err, got, tt.want)
			}
			if domain.Allowed(tt.actor, tt.action, domain.InOperation(tt.opID)) != (tt.want == ok) {
				t.Fatal("Allowed disagrees with Can")
			}
		})
	}
}

func TestNewRoleSet(t *testing.T) {
	t.Parallel()
	got, err := domain.NewRoleSet("viewer", "requester", "viewer")
	if err != nil || fmt.Sprint(got) != "[requester viewer]" {
		t.Fatalf("NewRoleSet = %v, %v; want [requester viewer]", got, err)
	}
	if _, err := domain.NewRoleSet("general"); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("unknown role: err = %v, want invalid", err)
	}
	if s, err := domain.NewRoleSet(); err != nil || len(s) != 0 {
		t.Fatalf("empty: %v, %v", s, err)
	}
}

// TestLimitWait walks the sliding window of a limit of five in 15 minutes
// (the sign-in limit per account).
func TestLimitWait(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	ago := func(mins ...int) []time.Time {
		var out []time.Time
		for _, m := range mins {
			out = append(out, now.Add(-time.Duration(m)*time.Minute))
		}
		return out
	}
	tests := []struct {
		name     string
		failures []time.Time
		want     time.Duration
	}{
		{"None", nil, 0},
		{"FourFailures", ago(1, 2, 3, 4), 0},
		{"FiveFailuresSixthWaits", ago(1, 2, 3, 4, 10), 5 * time.Minute},
		{"OldFailuresIgnored", ago(1, 2, 3, 4, 15, 20), 0},
		{"SixFailures", ago(1, 2, 3, 4, 5, 14), 10 * time.Minute},
		{"ExactlyAtWindowEdge", ago(0, 1, 2, 3, 15), 0},
		// An event after now (another instance's clock) counts: the wait
		// runs from the oldest of the last five.
		{"FutureCounts", append(ago(1, 2, 3, 4), now.Add(time.Minute)), 11 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := domain.LimitSignInAccount.Wait(tt.failures, now); got != tt.want {
				t.Fatalf("Wait = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidateOperation(t *testing.T) {
	t.Parallel()
	good := domain.Operation{Code: "NPL-EQ-2015", Name: "Nepal earthquake", CountryISO3: "NPL", GLIDE: "EQ-2015-000048-NPL",
		Context: domain.ContextNaturalDisaster, Policy: domain.DefaultReviewPolicy, LeadTimeHours: 48}
	if err := domain.ValidateOperation(good); err != nil {
		t.Fatalf("valid operation: %v", err)
	}
	tests := []struct {
		name  string
		edit  func(*domain.Operation)
		field string
	}{
		{"Code", func(o *domain.Operation) { o.Code = "npl eq" }, "code"},
		{"Name", func(o *domain.Operation) { o.Name = " " }, "name"},
		{"ISO3", func(o *domain.Operation) { o.CountryISO3 = "NP" }, "country_iso3"},
		{"GLIDE", func(o *domain.Operation) { o.GLIDE = "2015" }, "glide"},
		{"Context", func(o *domain.Operation) { o.Context = "war" }, "context"},
		{"Quorum", func(o *domain.Operation) { o.Policy.QuorumPercent = 0 }, "quorum_percent"},
		{"PassRule", func(o *domain.Operation) { o.Policy.PassRule = "vibes" }, "pass_rule"},
		{"ReviewHours", func(o *domain.Operation) { o.Policy.ReviewHours = 0 }, "review_hours"},
		{"UrgentLonger", func(o *domain.Operation) { o.Policy.UrgentReviewHours = 100 }, "urgent_review_hours"},
		{"LeadTime", func(o *domain.Operation) { o.LeadTimeHours = -1 }, "lead_time_hours"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := good
			tt.edit(&o)
			err := domain.ValidateOperation(o)
			var e *domain.Error
			if !asError(err, &e) || e.Fields[tt.field] == "" {
				t.Fatalf("ValidateOperation = %v, want a message on %s", err, tt.field)
			}
		})
	}
}

func TestValidateUser(t *testing.T) {
	t.Parallel()
	good := domain.User{Email: "ana@wfp.org", Name: "Ana", OrganizationID: 1, Language: "fr"}
	if err := domain.ValidateUser(good); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"", "ana", "ana@", "Ana <ana@wfp.org>", "ana@localhost", "a b@wfp.org"} {
		u := good
		u.Email = email
		var e *domain.Error
		if err := domain.ValidateUser(u); !asError(err, &e) || e.Fields["email"] == "" {
			t.Errorf("email %q accepted (err %v)", email, err)
		}
	}
	u := good
	u.Language, u.OrganizationID = "de", 0
	var e *domain.Error
	if err := domain.ValidateUser(u); !asError(err, &e) || e.Fields["language"] == "" || e.Fields["organization_id"] == "" {
		t.Errorf("bad language and organisation accepted: %v", err)
	}
	if err := domain.ValidatePassword("password", "short"); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("short password accepted")
	}
	if err := domain.ValidatePassword("password", "correct horse battery"); err != nil {
		t.Errorf("good password refused: %v", err)
	}
}

func TestValidateOrganization(t *testing.T) {
	t.Parallel()
	if err := domain.ValidateOrganization(domain.Organization{Name: "World Food Programme", Acronym: "WFP", Type: domain.OrgUNAgency}); err != nil {
		t.Fatal(err)
	}
	var e *domain.Error
	err := domain.ValidateOrganization(domain.Organization{Name: "", Acronym: string(make([]byte, 31)), Type: "club"})
	if !asError(err, &e) || len(e.Fields) != 3 {
		t.Fatalf("ValidateOrganization = %v, want name, acronym and type flagged", err)
	}
}

// TestAddressBucket walks every limit counted by client address: two
// addresses of one IPv6 /64 share a bucket (one subscriber can draw any
// number of them), as an IPv4 address written two ways does; other
// networks and other IPv4 hosts do not. Limits of other scopes keep
// their key as given.
func TestAddressBucket(t *testing.T) {
	t.Parallel()
	same := [][2]string{
		{"2001:db8:1:2::1", "2001:db8:1:2::40"},
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"},
		{"2001:DB8:1:2::1", "2001:db8:1:2::1"},
		{"fe80::1%eth0", "fe80::2"},
		{"192.0.2.7", "::ffff:192.0.2.7"},
	}
	different := [][2]string{
		{"2001:db8:1:2::1", "2001:db8:1:3::1"},
		{"192.0.2.7", "192.0.2.8"},
		{"not an address", "192.0.2.7"},
	}
	scoped := 0
	for _, l := range domain.Limits {
		if l.Scope != "address" {
			if got := (domain.Slot{Limit: l, Key: "2001:db8:1:2::1"}).Bucket(); got != l.Name+":2001:db8:1:2::1" {
				t.Errorf("%s (scope %s): bucket %q, want the key as given", l.Name, l.Scope, got)
			}
			continue
		}
		scoped++
		for _, p := range same {
			if a, b := (domain.Slot{Limit: l, Key: p[0]}).Bucket(), (domain.Slot{Limit: l, Key: p[1]}).Bucket(); a != b {
				t.Errorf("%s: %s and %s count apart (%q, %q)", l.Name, p[0], p[1], a, b)
			}
		}
		for _, p := range different {
			if a, b := (domain.Slot{Limit: l, Key: p[0]}).Bucket(), (domain.Slot{Limit: l, Key: p[1]}).Bucket(); a == b {
				t.Errorf("%s: %s and %s count together (%q)", l.Name, p[0], p[1], a)
			}
		}
	}
	if scoped < 2 {
		t.Errorf("%d limits by address, want sign-in's and the set-password link's", scoped)
	}
}
