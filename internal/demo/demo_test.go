package demo

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
	"github.com/cmcoord/cmcoord/migrations"
)

// TestOrganizationsAsDeclared loads the demo data and finds every
// organisation of its table as declared there, the administrator's own
// included (it is created with the first administrator, not by the loop
// that creates the others, and once came out of that path as type
// "other" without its acronym).
func TestOrganizationsAsDeclared(t *testing.T) {
	ctx := t.Context()
	st := store.New(testdb.New(t))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	access := service.NewAccess(st, time.Now, log)
	dir := service.NewDirectory(st, access, time.Now, log)
	if _, err := Load(ctx, Services{System: service.NewSystem(st, migrations.Latest(), time.Now, log), Access: access,
		Directory: dir, Requests: service.NewRequests(st, time.Now, log)}); err != nil {
		t.Fatal(err)
	}
	// The administrator's password: a token would need their second
	// factor, which the demo leaves them to set up.
	u, err := access.SignIn(ctx, people[0].email, Password, "127.0.0.1", "")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := access.Actor(ctx, u.ID, u.SessionEpoch)
	if err != nil {
		t.Fatal(err)
	}
	if !admin.IsAdmin {
		t.Fatalf("%s is not an administrator", people[0].email)
	}
	got, err := dir.ListOrganizations(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]int{}
	for i, o := range got {
		byName[o.Name] = i
	}
	for _, want := range organizations {
		i, ok := byName[want.Name]
		if !ok {
			t.Errorf("%s: not created", want.Name)
			continue
		}
		o := got[i]
		if o.Acronym != want.Acronym || o.Type != want.Type || o.UNEntity != want.UNEntity {
			t.Errorf("%s: created as %s, %s, UN entity %v; declared %s, %s, %v", want.Name,
				o.Acronym, o.Type, o.UNEntity, want.Acronym, want.Type, want.UNEntity)
		}
	}
	if len(got) != len(organizations) {
		t.Errorf("%d organisations, the demo declares %d", len(got), len(organizations))
	}
	if o := got[byName[organizations[0].Name]]; o.ID != admin.OrganizationID {
		t.Errorf("the administrator belongs to organisation %d, not to %s (%d)", admin.OrganizationID, o.Name, o.ID)
	}
}
