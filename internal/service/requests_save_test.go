package service_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// failSubmitEvents makes the database refuse the audit event of a
// submission: the last write of the second step of "save and submit".
func (f *requestsFixture) failSubmitEvents(t *testing.T) {
	t.Helper()
	_, err := f.pool.Exec(t.Context(), strings.ReplaceAll(`
		CREATE FUNCTION test_refuse_submit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
		CREATE TRIGGER test_refuse_submit BEFORE INSERT ON events
		FOR EACH ROW WHEN (NEW.action = 'ACTION') EXECUTE FUNCTION test_refuse_submit();`, "ACTION", string(domain.ActionSubmit)))
	if err != nil {
		t.Fatal(err)
	}
}

// eventActions lists request id's events, oldest first.
func (f *requestsFixture) eventActions(t *testing.T, id int64) []string {
	t.Helper()
	evs, err := f.reqs.Events(t.Context(), f.requester, id)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Action
	}
	return out
}

// TestSaveAndSubmit walks the outcomes of the form's "Save and submit" on
// a stored draft: submitted, refused by the checklist (the typing kept as
// a draft, nothing of the submission written), a stale version (nothing
// saved), and a failure of the submission's last write (nothing saved).
func TestSaveAndSubmit(t *testing.T) {
	t.Parallel()
	complete := fixture.Request("Airlift", t0)
	blocked := fixture.Request("Airlift", t0)
	blocked.Checklist = map[string]domain.Answer{"LR2": {Value: "no"}} // a civilian alternative exists

	type outcome struct {
		status  domain.Status // the stored status afterwards
		saved   bool          // the typed title was stored
		events  []string      // events after "created"
		errCode domain.Code
	}
	cases := []struct {
		name    string
		typed   domain.Request
		version func(r domain.Request) int
		setup   func(f *requestsFixture, t *testing.T)
		want    outcome
	}{
		{"complete", complete, func(r domain.Request) int { return r.Version }, nil,
			outcome{domain.StatusSubmitted, true, []string{domain.EventEdited, string(domain.ActionSubmit)}, ""}},
		{"refused by the checklist", blocked, func(r domain.Request) int { return r.Version }, nil,
			outcome{domain.StatusDraft, true, []string{domain.EventEdited}, domain.CodeInvalid}},
		{"stale version", complete, func(r domain.Request) int { return r.Version + 1 }, nil,
			outcome{domain.StatusDraft, false, nil, domain.CodeConflict}},
		{"the submission's write fails", complete, func(r domain.Request) int { return r.Version }, (*requestsFixture).failSubmitEvents,
			outcome{domain.StatusDraft, false, nil, domain.CodeInternal}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newRequestsFixture(t)
			r := f.create(t, domain.Request{Title: "Half done"})
			if tc.setup != nil {
				tc.setup(f, t)
			}
			typed := tc.typed
			typed.Title = "Typed " + tc.name
			got, err := f.reqs.SaveAndSubmit(t.Context(), f.requester, r.ID, tc.version(r), func(req *domain.Request) error {
				id, op := req.ID, req.OperationID
				*req = typed
				req.ID, req.OperationID = id, op
				return nil
			})
			if domain.ErrorCode(err) != tc.want.errCode {
				t.Fatalf("err = %v, want code %q", err, tc.want.errCode)
			}
			var ns *service.NotSubmittedError
			if refused := errors.As(err, &ns); refused != (tc.want.errCode == domain.CodeInvalid) {
				t.Errorf("NotSubmittedError = %v for %v", refused, err)
			} else if refused {
				var de *domain.Error
				if ns.Saved.Title != typed.Title || !errors.As(ns.Err, &de) || len(de.Items) == 0 {
					t.Errorf("refused: saved %q, reason %v (want the failing items)", ns.Saved.Title, ns.Err)
				}
			}
			if err == nil && got.Status != tc.want.status {
				t.Errorf("returned status %s, want %s", got.Status, tc.want.status)
			}
			d, gerr := f.reqs.Get(t.Context(), f.requester, r.ID)
			if gerr != nil {
				t.Fatal(gerr)
			}
			if d.Request.Status != tc.want.status || (d.Request.Title == typed.Title) != tc.want.saved {
				t.Errorf("stored: %s %q, want %s, typed title saved %v", d.Request.Status, d.Request.Title, tc.want.status, tc.want.saved)
			}
			if evs := f.eventActions(t, r.ID)[1:]; !slices.Equal(evs, tc.want.events) {
				t.Errorf("events after created = %v, want %v", evs, tc.want.events)
			}
		})
	}
}

// TestCreateAndSubmit: a new request saved and submitted at once is
// either submitted, a draft with the reasons (refused), or nothing at all
// when the submission's write fails; a retry with the same key replays.
func TestCreateAndSubmit(t *testing.T) {
	t.Parallel()
	t.Run("submitted, then replayed", func(t *testing.T) {
		t.Parallel()
		f := newRequestsFixture(t)
		r, created, err := f.reqs.CreateAndSubmit(t.Context(), f.requester, f.op.Code, fixture.Request("Airlift", t0), "k1")
		if err != nil || !created || r.Status != domain.StatusSubmitted {
			t.Fatalf("CreateAndSubmit = %s, %v, %v", r.Status, created, err)
		}
		again, created, err := f.reqs.CreateAndSubmit(t.Context(), f.requester, f.op.Code, fixture.Request("Airlift", t0), "k1")
		if err != nil || created || again.ID != r.ID || again.Status != domain.StatusSubmitted {
			t.Fatalf("replay = %d %s, %v, %v", again.ID, again.Status, created, err)
		}
	})
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		f := newRequestsFixture(t)
		r, created, err := f.reqs.CreateAndSubmit(t.Context(), f.requester, f.op.Code, domain.Request{Title: "Quick ask"}, "")
		var ns *service.NotSubmittedError
		if !errors.As(err, &ns) || !created || r.Status != domain.StatusDraft || ns.Saved.ID != r.ID {
			t.Fatalf("CreateAndSubmit = %s, %v, %v", r.Status, created, err)
		}
		if evs := f.eventActions(t, r.ID); !slices.Equal(evs, []string{domain.EventCreated}) {
			t.Errorf("events = %v, want only created", evs)
		}
	})
	t.Run("the submission's write fails", func(t *testing.T) {
		t.Parallel()
		f := newRequestsFixture(t)
		f.failSubmitEvents(t)
		_, _, err := f.reqs.CreateAndSubmit(t.Context(), f.requester, f.op.Code, fixture.Request("Airlift", t0), "k1")
		if domain.ErrorCode(err) != domain.CodeInternal {
			t.Fatalf("err = %v, want internal", err)
		}
		var n int
		if err := f.pool.QueryRow(context.Background(), `SELECT count(*) FROM requests`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("requests stored after a failed creation: %d, %v", n, err)
		}
	})
}

// TestPatch: the API's read-modify-write answers the request as saved,
// and a refusal at any step (apply, the rules, a stale version) saves
// nothing and records no event.
func TestPatch(t *testing.T) {
	t.Parallel()
	refusedApply := errors.New("refused by apply")
	cases := []struct {
		name    string
		version func(r domain.Request) int
		apply   func(*domain.Request) error
		wantErr bool
	}{
		{"saved", func(r domain.Request) int { return r.Version }, func(r *domain.Request) error { r.Title = "Patched"; return nil }, false},
		{"apply fails", func(r domain.Request) int { return r.Version }, func(r *domain.Request) error { r.Title = "Patched"; return refusedApply }, true},
		{"rules refuse", func(r domain.Request) int { return r.Version }, func(r *domain.Request) error { r.Title = ""; return nil }, true},
		{"stale", func(r domain.Request) int { return r.Version + 1 }, func(r *domain.Request) error { r.Title = "Patched"; return nil }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newRequestsFixture(t)
			r := f.create(t, domain.Request{Title: "Before"})
			d, err := f.reqs.Patch(t.Context(), f.requester, r.ID, tc.version(r), tc.apply)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err == nil && d.Request.Title != "Patched" {
				t.Errorf("answered title %q, want the patched one", d.Request.Title)
			}
			got, gerr := f.reqs.Get(t.Context(), f.requester, r.ID)
			if gerr != nil {
				t.Fatal(gerr)
			}
			events := f.eventActions(t, r.ID)
			if tc.wantErr && (got.Request.Title != "Before" || len(events) != 1) {
				t.Errorf("after a refusal: title %q, events %v", got.Request.Title, events)
			}
		})
	}
}
