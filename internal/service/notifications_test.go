package service_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/store"
	"github.com/cmcoord/cmcoord/internal/testutil/testdb"
)

func TestNotifications(t *testing.T) {
	t.Parallel()
	st := store.New(testdb.New(t))
	ctx := t.Context()
	org, err := st.CreateOrganization(ctx, domain.Organization{Name: "OCHA", Acronym: "OCHA", Type: domain.OrgUNAgency, UNEntity: true}, t0)
	if err != nil {
		t.Fatal(err)
	}
	actors := map[string]domain.Actor{}
	for _, name := range []string{"ana", "ben"} {
		u, err := st.CreateUser(ctx, domain.User{Email: name + "@example.org", Name: name, OrganizationID: org.ID, Language: "en"}, "", t0)
		if err != nil {
			t.Fatal(err)
		}
		actors[name] = domain.Actor{UserID: u.ID, OrganizationID: org.ID, Name: name}
		for i := range 3 {
			if _, err := st.InsertNotification(ctx, domain.Notification{UserID: u.ID, Kind: domain.NoticeReturned,
				CreatedAt: t0.Add(time.Duration(i) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	svc := service.NewNotifications(st, func() time.Time { return t0.Add(time.Hour) }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ana, ben := actors["ana"], actors["ben"]

	list, err := svc.List(ctx, ana, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].UserID != ana.UserID || list[1].UserID != ana.UserID || list[0].ID < list[1].ID {
		t.Fatalf("List = %+v, want Ana's newest two, newest first", list)
	}
	// Ana marks up to the second newest: hers only, the newest stays unread.
	if n, err := svc.MarkRead(ctx, ana, list[1].ID); err != nil || n != 2 {
		t.Fatalf("MarkRead = %d, %v; want 2", n, err)
	}
	for who, want := range map[string]int{"ana": 1, "ben": 3} {
		if got, err := svc.UnreadCount(ctx, actors[who]); err != nil || got != want {
			t.Errorf("UnreadCount(%s) = %d, %v; want %d", who, got, err, want)
		}
	}
	if n, err := svc.MarkRead(ctx, ben, 0); err != nil || n != 3 {
		t.Errorf("MarkRead(all) = %d, %v; want 3", n, err)
	}
	anon := domain.Actor{}
	_, lerr := svc.List(ctx, anon, 10)
	_, cerr := svc.UnreadCount(ctx, anon)
	_, merr := svc.MarkRead(ctx, anon, 0)
	for _, err := range []error{lerr, cerr, merr} {
		if domain.ErrorCode(err) != domain.CodeUnauthorized {
			t.Errorf("anonymous call = %v, want unauthorized", err)
		}
	}
}
