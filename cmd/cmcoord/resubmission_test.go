package main

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// TestResubmissionEveryFace: a request returned and resubmitted with
// every audit field changed (fixture.FieldEdits, walking
// domain.AuditFields) shows every reader the same changes on the request
// page, the decision record and the API — those the service gives that
// reader — and the contact's values only to whoever may see the contact.
// A reader who may not see the request sees none of it.
func TestResubmissionEveryFace(t *testing.T) {
	t.Parallel()
	m := newMatrix(t)
	ctx := t.Context()
	a := m.app
	const oldPhone, newPhone = "555 0100", "555 0199" // fixture.Request's contact, and FieldEdits'
	in := fixture.Request("Resubmitted", m.clock.Now())
	if !strings.Contains(in.POC.Phone, oldPhone) {
		t.Fatalf("fixture contact phone = %q", in.POC.Phone)
	}
	r, _, err := a.requests.Create(ctx, m.owner, m.op.Code, in, "")
	if err != nil {
		t.Fatal(err)
	}
	step := func(by domain.Actor, act domain.Action, reason string) {
		t.Helper()
		cur, err := a.requests.Get(ctx, m.owner, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.requests.Transition(ctx, by, r.ID, act, domain.TransitionInput{Version: cur.Request.Version, Reason: reason}); err != nil {
			t.Fatalf("%s: %v", act, err)
		}
	}
	step(m.owner, domain.ActionSubmit, "")
	step(m.officer, domain.ActionReturn, "Please check every field.")
	for _, f := range domain.AuditFields() {
		cur, err := a.requests.Get(ctx, m.owner, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.requests.Edit(ctx, m.owner, r.ID, cur.Request.Version, func(x *domain.Request) error {
			fixture.FieldEdits[f](x)
			return nil
		}); err != nil {
			t.Fatalf("edit %s: %v", f, err)
		}
	}
	step(m.owner, domain.ActionSubmit, "")
	stored, err := a.requests.Get(ctx, m.officer, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Resubmission == nil || len(stored.Resubmission.Changes) != len(domain.AuditFields()) {
		t.Fatalf("officer: changes = %+v, want one per audit field", stored.Resubmission)
	}

	id := strconv.FormatInt(r.ID, 10)
	for _, v := range m.readers {
		t.Run(v.name, func(t *testing.T) {
			sees := domain.Can(v.actor, domain.ActionViewRequest, domain.OnRequest(stored.Request)) == nil
			page := m.get(t, v.client, "", "/requests/"+id)
			record := m.get(t, v.client, "", "/requests/"+id+"/record")
			apiBody := m.get(t, nil, v.token, "/api/v1/requests/"+id)
			if !sees {
				for face, body := range map[string]string{"page": page, "record": record, "api": apiBody} {
					if strings.Contains(body, newPhone) || strings.Contains(body, "(revised)") {
						t.Errorf("%s: a reader who may not see the request sees its changes", face)
					}
				}
				return
			}
			want, err := a.requests.Get(ctx, v.actor, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			var wantFields []string
			for _, c := range want.Resubmission.Changes {
				wantFields = append(wantFields, c.Field)
			}
			if len(wantFields) != len(domain.AuditFields()) {
				t.Errorf("service: %d changes, want one per audit field (only values are hidden on screen)", len(wantFields))
			}
			seesContact := domain.Sees(v.actor, stored.Request.Ref(), domain.GuardContact, domain.ChannelScreen)
			for face, body := range map[string]string{"page": page, "record": record} {
				d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				sec := d.Find(`[data-testid="resubmission"]`)
				if sec.Length() != 1 || sec.Find("table.table-stack").Length() != 1 {
					t.Fatalf("%s: no stacked table of changes", face)
				}
				var got []string
				sec.Find(`tr[data-testid^="change-"]`).Each(func(_ int, s *goquery.Selection) {
					got = append(got, strings.TrimPrefix(s.AttrOr("data-testid", ""), "change-"))
					hidden := s.AttrOr("data-testid", "") == "change-poc" && !seesContact
					if !hidden && s.Find(`[data-testid="change-before"]`).Text() == s.Find(`[data-testid="change-after"]`).Text() {
						t.Errorf("%s: %s reads the same before and after", face, s.AttrOr("data-testid", ""))
					}
				})
				if !slices.Equal(got, wantFields) {
					t.Errorf("%s: rows = %v, want %v", face, got, wantFields)
				}
				if h := sec.Find(`[data-testid="resubmission-heading"]`).Text(); !strings.Contains(h, strconv.Itoa(len(wantFields))+" fields") {
					t.Errorf("%s: heading = %q, want the count", face, h)
				}
				text := sec.Text()
				if strings.Contains(text, oldPhone) != seesContact || strings.Contains(text, newPhone) != seesContact {
					t.Errorf("%s: contact shown = %v, want %v", face, strings.Contains(text, newPhone), seesContact)
				}
			}
			var dto struct {
				Changes *struct {
					Changes []struct {
						Field    string `json:"field"`
						Old, New any
					} `json:"changes"`
				} `json:"changes_since_previous_submission"`
			}
			if err := json.Unmarshal([]byte(apiBody), &dto); err != nil || dto.Changes == nil {
				t.Fatalf("api: %v, %.200s", err, apiBody)
			}
			var got []string
			for _, c := range dto.Changes.Changes {
				got = append(got, c.Field)
			}
			if !slices.Equal(got, wantFields) {
				t.Errorf("api: fields = %v, want %v", got, wantFields)
			}
			raw, _ := json.Marshal(dto.Changes)
			if strings.Contains(string(raw), newPhone) != seesContact || strings.Contains(string(raw), oldPhone) != seesContact {
				t.Errorf("api: contact shown = %v, want %v", strings.Contains(string(raw), newPhone), seesContact)
			}
		})
	}
}
