package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/service"
	rfa "github.com/cmcoord/cmcoord/internal/testutil/fixture"
)

// requestJSON mirrors the documented Request (the fields the tests read).
type requestJSON struct {
	ID        int64 `json:"id"`
	Operation struct {
		ID   int64  `json:"id"`
		Code string `json:"code"`
	} `json:"operation"`
	Reference              string `json:"reference"`
	Status                 string `json:"status"`
	StatusReason           string `json:"status_reason"`
	StatusReasonCode       string `json:"status_reason_code"`
	CivilianReference      string `json:"civilian_reference"`
	Version                int    `json:"version"`
	Title                  string `json:"title"`
	RequestingOrganization struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"requesting_organization"`
	Sectors        []string     `json:"sectors"`
	Need           string       `json:"need"`
	PeopleTargeted int          `json:"people_targeted"`
	TaskCategory   string       `json:"task_category"`
	Origin         locationJSON `json:"origin"`
	Destination    locationJSON `json:"destination"`
	RequiredBy     *time.Time   `json:"required_by"`
	StartDate      *string      `json:"start_date"`
	EndDate        *string      `json:"end_date"`
	Priority       string       `json:"priority"`
	ExitStrategy   struct {
		Organization string  `json:"organization"`
		Date         *string `json:"date"`
	} `json:"exit_strategy"`
	POC *struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"poc"`
	ContactHidden bool `json:"contact_hidden"`
	Checklist     map[string]struct {
		Answer string `json:"answer"`
		Note   string `json:"note"`
	} `json:"checklist"`
	Evaluation struct {
		Complete bool `json:"complete"`
		Items    []struct {
			ID              string `json:"id"`
			Status          string `json:"status"`
			Reason          string `json:"reason"`
			ReasonMessageID string `json:"reason_message_id"`
		} `json:"items"`
		Flags []string `json:"flags"`
	} `json:"evaluation"`
	Actions        []string `json:"actions"`
	BlockedActions []struct {
		Action          string `json:"action"`
		Reason          string `json:"reason"`
		ReasonMessageID string `json:"reason_message_id"`
	} `json:"blocked_actions"`
	CanEdit     bool       `json:"can_edit"`
	CanComment  bool       `json:"can_comment"`
	SubmittedAt *time.Time `json:"submitted_at"`
}

type locationJSON struct {
	Name      string   `json:"name"`
	Adm1PCode string   `json:"adm1_pcode"`
	Lat       *float64 `json:"lat"`
	Lon       *float64 `json:"lon"`
}

type pageJSON struct {
	Items []struct {
		ID        int64  `json:"id"`
		Reference string `json:"reference"`
		Title     string `json:"title"`
		Status    string `json:"status"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// requestsFixture is operation NPL-EQ (a natural disaster) with, by API
// token: a requester of Relief NGO, a requester of Other NGO, a CMCoord
// officer and a viewer (who may not see contact details).
type requestsFixture struct {
	*fixture
	op                                     domain.Operation
	requester, outsider, officer, viewer   string
	requesterActor                         domain.Actor
	requesterUser, officerUser, viewerUser domain.User
	target                                 int64 // a request some tests act on
}

func newRequestsFixture(t testing.TB) *requestsFixture {
	t.Helper()
	f := &requestsFixture{fixture: newFixture(t)}
	f.op = f.mustOperation(t, "NPL-EQ")
	ngo := f.mustOrg(t, "Relief NGO", domain.OrgINGO)
	other := f.mustOrg(t, "Other NGO", domain.OrgNNGO)
	f.requesterUser = f.mustUserIn(t, "rita@example.org", ngo.ID)
	outsider := f.mustUserIn(t, "otto@example.org", other.ID)
	f.officerUser = f.mustUser(t, "olga@example.org")
	f.viewerUser = f.mustUser(t, "vera@example.org")
	f.mustMember(t, "NPL-EQ", f.requesterUser, domain.RoleRequester)
	f.mustMember(t, "NPL-EQ", outsider, domain.RoleRequester)
	f.mustMember(t, "NPL-EQ", f.officerUser, domain.RoleOfficer)
	f.mustMember(t, "NPL-EQ", f.viewerUser, domain.RoleViewer)
	f.requesterActor = f.mustActor(t, f.requesterUser)
	f.requester, f.outsider = f.mustToken(t, f.requesterUser), f.mustToken(t, outsider)
	f.officer, f.viewer = f.mustToken(t, f.officerUser), f.mustToken(t, f.viewerUser)
	return f
}

// mustUserIn creates an enabled user with testPassword in organisation orgID.
func (f *fixture) mustUserIn(t testing.TB, email string, orgID int64) domain.User {
	t.Helper()
	u, _, err := f.dir.CreateUser(t.Context(), f.admin, service.NewUser{
		User:     domain.User{Email: email, Name: strings.Split(email, "@")[0], OrganizationID: orgID, Language: "en"},
		Password: testPassword,
	})
	if err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	return u
}

// requestBody is r as the body of POST /operations/{code}/requests.
func requestBody(r domain.Request) map[string]any { return rfa.Body(r) }

// completeBody is a request that passes every checklist item and rule.
func completeBody(title string) map[string]any {
	return requestBody(rfa.Request(title, time.Now()))
}

// mustCreate creates a draft through the API as token.
func (f *requestsFixture) mustCreate(t testing.TB, token string, body map[string]any) requestJSON {
	t.Helper()
	return decode[requestJSON](t, f.call(t, req{Method: "POST", Path: "/operations/NPL-EQ/requests", Token: token, Body: body}).
		want(t, http.StatusCreated))
}

// mustAct takes a workflow action (submit, return, …) through the API.
func (f *requestsFixture) mustAct(t testing.TB, token string, id int64, verb string, body map[string]any) requestJSON {
	t.Helper()
	return decode[requestJSON](t, f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/%s", id, verb), Token: token, Body: body}).
		want(t, http.StatusOK))
}

func TestRequests_Create(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		r := f.call(t, req{Method: "POST", Path: "/operations/NPL-EQ/requests", Token: f.requester, Body: completeBody("Helicopter lift")}).
			want(t, http.StatusCreated)
		got := decode[requestJSON](t, r)
		if loc := r.Header.Get("Location"); loc != fmt.Sprintf("/api/v1/requests/%d", got.ID) {
			t.Errorf("Location = %q, want /api/v1/requests/%d", loc, got.ID)
		}
		if r.Header.Get("Idempotent-Replayed") != "" {
			t.Error("a first creation is marked Idempotent-Replayed")
		}
		if !strings.HasPrefix(got.Reference, "NPL-RFA-") || got.Status != "draft" || got.Version != 1 || got.Title != "Helicopter lift" ||
			got.Operation.Code != "NPL-EQ" || got.RequestingOrganization.Name != "Relief NGO" {
			t.Errorf("request = %+v, want a Relief NGO draft v1 in NPL-EQ", got)
		}
		if got.POC == nil || got.POC.Email != "rita@example.org" || got.ContactHidden {
			t.Errorf("poc = %+v, hidden %v; want the requester to see it", got.POC, got.ContactHidden)
		}
		if got.Checklist["LR4"].Answer != "yes" || got.Checklist["LR4"].Note == "" || got.Destination.Lat == nil {
			t.Errorf("checklist LR4 = %+v, destination = %+v", got.Checklist["LR4"], got.Destination)
		}
		if !got.Evaluation.Complete || len(got.Evaluation.Items) != len(domain.Checklist) {
			t.Errorf("evaluation = %+v, want complete over every item", got.Evaluation)
		}
		if !slices.Equal(got.Actions, []string{"request.edit", "request.comment", "request.submit", "request.withdraw"}) || !got.CanEdit || !got.CanComment {
			t.Errorf("actions = %v, can_edit %v, can_comment %v", got.Actions, got.CanEdit, got.CanComment)
		}
		if got.StartDate == nil || len(*got.StartDate) != len("2006-01-02") || got.SubmittedAt != nil {
			t.Errorf("start_date = %v, submitted_at = %v", got.StartDate, got.SubmittedAt)
		}
	})
	t.Run("OKIdempotent", func(t *testing.T) {
		t.Parallel()
		key := map[string]string{"Idempotency-Key": "b1c1f0a2-retry"}
		first := f.call(t, req{Method: "POST", Path: "/operations/NPL-EQ/requests", Token: f.requester, Header: key,
			Body: map[string]any{"title": "Retried"}}).want(t, http.StatusCreated)
		again := f.call(t, req{Method: "POST", Path: "/operations/NPL-EQ/requests", Token: f.requester, Header: key,
			Body: map[string]any{"title": "Retried"}}).want(t, http.StatusCreated)
		a, b := decode[requestJSON](t, first), decode[requestJSON](t, again)
		if a.ID != b.ID || a.Reference != b.Reference {
			t.Errorf("replay = %d %s, want %d %s", b.ID, b.Reference, a.ID, a.Reference)
		}
		if again.Header.Get("Idempotent-Replayed") != "true" || again.Header.Get("Location") != first.Header.Get("Location") {
			t.Errorf("replay headers = %v", again.Header)
		}
		other := f.mustCreate(t, f.requester, map[string]any{"title": "Retried"})
		if other.ID == a.ID {
			t.Error("a creation without the key returned the keyed request")
		}
		// The key is the caller's: another user's same key is a new request.
		f.call(t, req{Method: "POST", Path: "/operations/NPL-EQ/requests", Token: f.outsider, Header: key,
			Body: map[string]any{"title": "Retried"}}).want(t, http.StatusCreated)
	})
	t.Run("OKEmptyDraft", func(t *testing.T) {
		t.Parallel()
		got := f.mustCreate(t, f.requester, map[string]any{"title": "Just a title", "origin": nil, "checklist": nil})
		if got.Evaluation.Complete || got.Sectors == nil || got.RequiredBy != nil || got.StartDate != nil || got.ExitStrategy.Date != nil {
			t.Errorf("request = %+v, want an incomplete draft with nulls for missing dates", got)
		}
	})

	tests := []struct {
		name   string
		token  string
		path   string
		body   any
		status int
		code   string
		fields map[string]string
	}{
		{"ErrOfficerForbidden", f.officer, "", map[string]any{"title": "Mine"}, http.StatusForbidden, "forbidden", nil},
		{"ErrNotMember", f.adminToken, "", map[string]any{"title": "Mine"}, http.StatusNotFound, "not_found", nil},
		{"ErrNoOperation", f.requester, "/operations/NOPE/requests", map[string]any{"title": "Mine"}, http.StatusNotFound, "not_found", nil},
		{"ErrInvalid", f.requester, "", map[string]any{"title": "", "task_category": "submarine", "start_date": "2026-02-30",
			"required_by": "tomorrow", "exit_strategy": map[string]any{"date": "31/12/2026"}},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"start_date": "field.date", "required_by": "field.rfc3339",
				"exit_strategy.date": "field.date", "task_category": "field.choose", "title": "request.required.title"}},
		{"ErrRules", f.requester, "", map[string]any{"title": "", "task_category": "submarine", "sectors": []string{"XYZ"},
			"poc": map[string]any{"email": "not-an-address"}, "origin": map[string]any{"lat": 95, "lon": 10},
			"checklist": map[string]any{"LR2": map[string]any{"answer": "maybe"}, "LR99": map[string]any{"answer": "yes"}}},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"title": "request.required.title", "task_category": "field.choose",
				"sectors": "field.choose", "poc.email": "field.email", "origin.lat": "request.latitude_range",
				"checklist.LR2": "field.choose", "checklist": "checklist.unknown_item"}},
		{"ErrUnknownField", f.requester, "", map[string]any{"title": "x", "colour": "blue"},
			http.StatusBadRequest, "malformed", map[string]string{"colour": "field.unknown"}},
		{"ErrUnknownNestedField", f.requester, "", map[string]any{"title": "x", "origin": map[string]any{"nmae": "x"}},
			http.StatusBadRequest, "malformed", map[string]string{"origin.nmae": "field.unknown"}},
		{"ErrVersionOnCreate", f.requester, "", map[string]any{"title": "x", "version": 1},
			http.StatusBadRequest, "malformed", map[string]string{"version": "field.unknown"}},
		// A value of the wrong type is a field problem, with every other
		// (here the missing title).
		{"ErrWrongType", f.requester, "", map[string]any{"title": 5}, http.StatusUnprocessableEntity, "invalid", map[string]string{"title": "field.text"}},
		{"ErrWrongNestedType", f.requester, "", map[string]any{"origin": map[string]any{"lat": "north"}},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"origin.lat": "field.float", "title": "request.required.title"}},
		{"ErrWrongChecklistType", f.requester, "", map[string]any{"checklist": map[string]any{"LR4": map[string]any{"note": 4}}},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"checklist.LR4.note": "field.text", "title": "request.required.title"}},
		{"ErrChecklistNotObject", f.requester, "", map[string]any{"checklist": []string{"LR2"}},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"checklist": "field.object", "title": "request.required.title"}},
		{"ErrPeopleFraction", f.requester, "", map[string]any{"people_targeted": 1.5},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"people_targeted": "field.number", "title": "request.required.title"}},
		{"ErrSyntax", f.requester, "", `{"title": "x",`, http.StatusBadRequest, "malformed", map[string]string{"body": "field.invalid"}},
		{"ErrKeyTooLong", f.requester, "", map[string]any{"title": "x"}, http.StatusUnprocessableEntity, "invalid",
			map[string]string{"idempotency_key": "field.too_long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := tt.path
			if path == "" {
				path = "/operations/NPL-EQ/requests"
			}
			rq := req{Method: "POST", Path: path, Token: tt.token, Body: tt.body}
			if tt.name == "ErrKeyTooLong" {
				rq.Header = map[string]string{"Idempotency-Key": strings.Repeat("k", 201)}
			}
			f.call(t, rq).wantError(t, tt.status, tt.code, tt.fields)
		})
	}
}

func TestRequests_List(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	// Five drafts of Relief NGO, one of Other NGO, and two submitted.
	titles := []string{"Helicopter to Upper Valley", "Landing craft for the coast", "Bridge repair at Dhunche",
		"Field hospital support", "Water purification units"}
	var ids []int64
	for i, title := range titles {
		body := completeBody(title)
		if i%2 == 1 {
			body["sectors"], body["priority"] = []string{"HEA"}, "lifesaving"
		}
		ids = append(ids, f.mustCreate(t, f.requester, body).ID)
	}
	f.mustCreate(t, f.outsider, completeBody("Other organisation's helicopter"))
	for _, id := range ids[3:] {
		f.mustAct(t, f.requester, id, "submit", map[string]any{"version": 1})
	}

	list := func(t *testing.T, token, query string) pageJSON {
		t.Helper()
		return decode[pageJSON](t, f.call(t, req{Method: "GET", Path: "/operations/NPL-EQ/requests" + query, Token: token}).want(t, http.StatusOK))
	}
	titlesOf := func(p pageJSON) []string {
		var out []string
		for _, it := range p.Items {
			out = append(out, it.Title)
		}
		slices.Sort(out)
		return out
	}

	t.Run("OKVisibility", func(t *testing.T) {
		t.Parallel()
		if got := list(t, f.requester, ""); len(got.Items) != 5 || got.NextCursor != nil {
			t.Errorf("requester sees %v (next %v), want their organisation's 5", titlesOf(got), got.NextCursor)
		}
		if got := list(t, f.outsider, ""); len(got.Items) != 1 {
			t.Errorf("outsider sees %v, want their one draft", titlesOf(got))
		}
		// Officers see submitted requests only, never another's drafts.
		if got := list(t, f.officer, ""); len(got.Items) != 2 || got.Items[0].Status != "submitted" {
			t.Errorf("officer sees %+v, want the 2 submitted", got.Items)
		}
	})
	t.Run("OKFilters", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			query string
			want  []string
		}{
			{"?status=submitted", []string{"Field hospital support", "Water purification units"}},
			{"?status=draft,returned&status=redirected", []string{"Bridge repair at Dhunche", "Helicopter to Upper Valley", "Landing craft for the coast"}},
			{"?sector=HEA&priority=lifesaving", []string{"Field hospital support", "Landing craft for the coast"}},
			{"?task_category=air_rotary&q=helicopter", []string{"Helicopter to Upper Valley"}},
			{"?q=bridge", []string{"Bridge repair at Dhunche"}},
			{"?q=NPL-RFA-0003", []string{"Bridge repair at Dhunche"}},
			{"?organization_id=999999", titles}, // a requester sees their organisation's only, whatever they ask
		}
		for _, tt := range tests {
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if got := titlesOf(list(t, f.requester, tt.query)); !slices.Equal(got, want) {
				t.Errorf("%s = %v, want %v", tt.query, got, want)
			}
		}
	})
	t.Run("OKPages", func(t *testing.T) {
		t.Parallel()
		for _, sort := range []string{"", "updated", "urgency", "required_by", "reference"} {
			first := list(t, f.requester, "?limit=3&sort="+sort)
			if len(first.Items) != 3 || first.NextCursor == nil {
				t.Fatalf("sort %q page 1 = %d items, next %v; want 3 and a cursor", sort, len(first.Items), first.NextCursor)
			}
			second := list(t, f.requester, "?limit=3&sort="+sort+"&cursor="+*first.NextCursor)
			if len(second.Items) != 2 || second.NextCursor != nil {
				t.Fatalf("sort %q page 2 = %d items, next %v; want the last 2", sort, len(second.Items), second.NextCursor)
			}
			seen := map[int64]bool{}
			for _, it := range append(first.Items, second.Items...) {
				if seen[it.ID] {
					t.Errorf("sort %q: request %d on both pages", sort, it.ID)
				}
				seen[it.ID] = true
			}
			if sort == "reference" && (first.Items[0].Reference != "NPL-RFA-0005" || second.Items[1].Reference != "NPL-RFA-0001") {
				t.Errorf("by reference: first %s, last %s; want newest first", first.Items[0].Reference, second.Items[1].Reference)
			}
		}
	})

	tests := []struct {
		name   string
		token  string
		query  string
		status int
		code   string
		fields map[string]string
	}{
		{"ErrStatus", f.requester, "?status=draft,lost", http.StatusUnprocessableEntity, "invalid", map[string]string{"status": "field.choose"}},
		{"ErrCodes", f.requester, "?sector=XYZ&priority=asap&task_category=boat&sort=random", http.StatusUnprocessableEntity, "invalid",
			map[string]string{"sector": "field.choose", "priority": "field.choose", "task_category": "field.choose", "sort": "field.choose"}},
		{"ErrNumbers", f.requester, "?limit=ten&organization_id=x", http.StatusUnprocessableEntity, "invalid",
			map[string]string{"limit": "field.number", "organization_id": "field.number"}},
		{"ErrLimitRange", f.requester, "?limit=1000", http.StatusUnprocessableEntity, "invalid", map[string]string{"limit": "field.invalid"}},
		{"ErrRepeated", f.requester, "?sector=HEA&sector=LOG", http.StatusUnprocessableEntity, "invalid", map[string]string{"sector": "field.invalid"}},
		{"ErrUnknownParam", f.requester, "?statuses=draft", http.StatusBadRequest, "malformed", map[string]string{"statuses": "field.invalid"}},
		{"ErrBadQuery", f.requester, "?q=%zz", http.StatusBadRequest, "malformed", map[string]string{"query": "field.invalid"}},
		{"ErrNotMember", f.adminToken, "", http.StatusNotFound, "not_found", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f.call(t, req{Method: "GET", Path: "/operations/NPL-EQ/requests" + tt.query, Token: tt.token}).
				wantError(t, tt.status, tt.code, tt.fields)
		})
	}
	// A cursor that is not one, or whose values do not fit the sort.
	// (Checked by message ID only: request.bad_cursor lacks a translation.)
	for _, cursor := range []string{"not-a-cursor", "WyJ4IiwieSJd", "WyJ4Il0"} {
		e := f.call(t, req{Method: "GET", Path: "/operations/NPL-EQ/requests?cursor=" + cursor, Token: f.requester}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", nil)
		if e.Error.FieldMessageIDs["cursor"] != "request.bad_cursor" {
			t.Errorf("cursor %s: field_message_ids = %v, want cursor: request.bad_cursor", cursor, e.Error.FieldMessageIDs)
		}
	}
}

func TestRequests_Update(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	patch := func(t *testing.T, token string, id int64, body any) response {
		t.Helper()
		return f.call(t, req{Method: "PATCH", Path: fmt.Sprintf("/requests/%d", id), Token: token, Body: body})
	}

	t.Run("OKPartialMerge", func(t *testing.T) {
		t.Parallel()
		before := f.mustCreate(t, f.requester, completeBody("Before"))
		got := decode[requestJSON](t, patch(t, f.requester, before.ID, map[string]any{
			"version": 1,
			"title":   "After",
			"origin":  map[string]any{"name": "New airstrip"},
			"checklist": map[string]any{
				"LR4":  map[string]any{"note": "Road closed for three weeks now."},
				"LR16": nil,
				"LR17": map[string]any{"answer": "yes"}, // the officer's: ignored
			},
		}).want(t, http.StatusOK))
		if got.Title != "After" || got.Need != before.Need || got.PeopleTargeted != before.PeopleTargeted ||
			!slices.Equal(got.Sectors, before.Sectors) || got.Priority != before.Priority {
			t.Errorf("request = %+v, want only the title changed", got)
		}
		if got.Origin.Name != "New airstrip" || got.Origin.Adm1PCode != before.Origin.Adm1PCode || got.Origin.Lat == nil ||
			*got.Origin.Lat != *before.Origin.Lat {
			t.Errorf("origin = %+v, want only its name changed from %+v", got.Origin, before.Origin)
		}
		if lr4 := got.Checklist["LR4"]; lr4.Answer != "yes" || lr4.Note != "Road closed for three weeks now." {
			t.Errorf("LR4 = %+v, want the answer kept and the note changed", lr4)
		}
		if _, ok := got.Checklist["LR16"]; ok {
			t.Error("LR16 was given as null but is still there")
		}
		if _, ok := got.Checklist["LR17"]; ok {
			t.Error("a requester set LR17, the officer's item")
		}
		if got.Checklist["LR2"] != before.Checklist["LR2"] || len(got.Checklist) != len(before.Checklist)-1 {
			t.Errorf("checklist = %v, want the other items untouched", got.Checklist)
		}
		if got.Version != 2 || got.Evaluation.Complete {
			t.Errorf("version %d, complete %v; want 2 (a saved edit), and LR16 now missing", got.Version, got.Evaluation.Complete)
		}
	})
	t.Run("OKClear", func(t *testing.T) {
		t.Parallel()
		r := f.mustCreate(t, f.requester, completeBody("Clear"))
		got := decode[requestJSON](t, patch(t, f.requester, r.ID, map[string]any{"version": 1,
			"origin": map[string]any{"lat": nil, "lon": nil}, "start_date": "", "end_date": nil, "exit_strategy": nil,
			"sectors": nil, "people_targeted": nil}).want(t, http.StatusOK))
		if got.Origin.Lat != nil || got.Origin.Lon != nil || got.Origin.Name == "" || got.StartDate != nil || got.EndDate != nil ||
			got.ExitStrategy.Organization != "" || got.ExitStrategy.Date != nil || len(got.Sectors) != 0 || got.PeopleTargeted != 0 {
			t.Errorf("request = %+v, want the named fields cleared", got)
		}
	})
	t.Run("OKNoChange", func(t *testing.T) {
		t.Parallel()
		r := f.mustCreate(t, f.requester, completeBody("Same"))
		got := decode[requestJSON](t, patch(t, f.requester, r.ID, map[string]any{"version": 1}).want(t, http.StatusOK))
		if got.Title != "Same" {
			t.Errorf("title = %q", got.Title)
		}
	})
	t.Run("ErrStale", func(t *testing.T) {
		t.Parallel()
		r := f.mustCreate(t, f.requester, completeBody("Stale"))
		e := patch(t, f.requester, r.ID, map[string]any{"version": 2, "title": "Lost update"}).
			wantError(t, http.StatusConflict, "conflict", nil)
		if e.Error.MessageID != "request.stale" {
			t.Errorf("message_id = %q, want request.stale", e.Error.MessageID)
		}
		got := decode[requestJSON](t, f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d", r.ID), Token: f.requester}).want(t, http.StatusOK))
		if got.Title != "Stale" {
			t.Errorf("title = %q after a refused edit", got.Title)
		}
	})
	t.Run("ErrNotEditable", func(t *testing.T) {
		t.Parallel()
		r := f.mustCreate(t, f.requester, completeBody("Submitted"))
		f.mustAct(t, f.requester, r.ID, "submit", map[string]any{"version": 1})
		e := patch(t, f.requester, r.ID, map[string]any{"version": 1, "title": "Too late"}).wantError(t, http.StatusConflict, "conflict", nil)
		if e.Error.MessageID != "request.not_editable" {
			t.Errorf("message_id = %q, want request.not_editable", e.Error.MessageID)
		}
	})
	r := f.mustCreate(t, f.requester, completeBody("Shared"))
	tests := []struct {
		name   string
		token  string
		body   any
		status int
		code   string
		fields map[string]string
	}{
		// No version: "version required" (400, naming the field, with the
		// current one in the message).
		{"ErrNoVersion", f.requester, map[string]any{"title": "x"}, http.StatusBadRequest, "malformed",
			map[string]string{"version": "field.version_required"}},
		{"ErrZeroVersion", f.requester, map[string]any{"version": 0, "title": "x"}, http.StatusBadRequest, "malformed",
			map[string]string{"version": "field.version_required"}},
		{"ErrNoVersionOutsider", f.outsider, map[string]any{"title": "x"}, http.StatusNotFound, "not_found", nil},
		{"ErrVersionType", f.requester, map[string]any{"version": "1"}, http.StatusBadRequest, "malformed", map[string]string{"version": "field.number"}},
		{"ErrRules", f.requester, map[string]any{"version": 1, "title": "", "poc": map[string]any{"phone": "call me"},
			"end_date": "2020-01-01", "destination": map[string]any{"lat": nil}},
			http.StatusUnprocessableEntity, "invalid", map[string]string{"title": "request.required.title", "poc.phone": "field.phone",
				"end_date": "request.end_before_start", "destination.lat": "request.coordinates_pair"}},
		{"ErrDate", f.requester, map[string]any{"version": 1, "required_by": "2026-01-01"}, http.StatusUnprocessableEntity, "invalid",
			map[string]string{"required_by": "field.rfc3339"}},
		{"ErrUnknownField", f.requester, map[string]any{"version": 1, "status": "approved"}, http.StatusBadRequest, "malformed",
			map[string]string{"status": "field.unknown"}},
		{"ErrOutsider", f.outsider, map[string]any{"version": 1, "title": "Mine"}, http.StatusNotFound, "not_found", nil},
		{"ErrOfficer", f.officer, map[string]any{"version": 1, "title": "Mine"}, http.StatusNotFound, "not_found", nil}, // a draft is private
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			patch(t, tt.token, r.ID, tt.body).wantError(t, tt.status, tt.code, tt.fields)
		})
	}
	t.Run("ErrMissing", func(t *testing.T) {
		t.Parallel()
		patch(t, f.requester, 999999, map[string]any{"version": 1}).wantError(t, http.StatusNotFound, "not_found", nil)
		f.call(t, req{Method: "PATCH", Path: "/requests/abc", Token: f.requester, Body: map[string]any{"version": 1}}).
			wantError(t, http.StatusNotFound, "not_found", nil)
	})
}

func TestRequests_Workflow(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	get := func(t *testing.T, token string, id int64) requestJSON {
		t.Helper()
		return decode[requestJSON](t, f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d", id), Token: token}).want(t, http.StatusOK))
	}
	act := func(t *testing.T, token string, id int64, verb string, body any) response {
		t.Helper()
		return f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/%s", id, verb), Token: token, Body: body})
	}

	t.Run("ErrSubmitIncomplete", func(t *testing.T) {
		t.Parallel()
		body := completeBody("Incomplete")
		body["checklist"] = map[string]any{"LR2": map[string]any{"answer": "no"}, "LR3": map[string]any{"answer": "yes"}}
		delete(body, "need")
		r := f.mustCreate(t, f.requester, body)
		e := act(t, f.requester, r.ID, "submit", map[string]any{"version": 1}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"need": "request.required.need"})
		if e.Error.MessageID != "request.not_submittable" || len(e.Error.Items) == 0 {
			t.Fatalf("error = %+v, want request.not_submittable with items", e.Error)
		}
		byID := map[string]string{}
		for _, it := range e.Error.Items {
			byID[it.ID] = it.Status
			if it.Reason == "" || it.ReasonMessageID == "" || it.Reason == it.ReasonMessageID {
				t.Errorf("item %s reason = %q (%q), want a translated reason", it.ID, it.Reason, it.ReasonMessageID)
			}
		}
		if byID["LR1"] != "missing" || byID["LR2"] != "blocked" || byID["LR4"] != "missing" || byID["LR3"] != "" {
			t.Errorf("items = %v, want LR1 missing, LR2 blocked, LR4 missing, LR3 fine", byID)
		}
		if got := get(t, f.requester, r.ID); got.Status != "draft" {
			t.Errorf("status = %s after a refused submission", got.Status)
		}
	})
	t.Run("OKReturnResubmit", func(t *testing.T) {
		t.Parallel()
		r := f.mustCreate(t, f.requester, completeBody("Returned and resubmitted"))
		got := f.mustAct(t, f.requester, r.ID, "submit", map[string]any{"version": 1})
		if got.Status != "submitted" || got.SubmittedAt == nil || !slices.Equal(got.Actions, []string{"request.comment", "request.withdraw"}) || got.CanEdit {
			t.Errorf("after submit: %s, submitted_at %v, actions %v, can_edit %v", got.Status, got.SubmittedAt, got.Actions, got.CanEdit)
		}
		act(t, f.requester, r.ID, "submit", map[string]any{"version": 1}).wantError(t, http.StatusConflict, "conflict", nil)
		act(t, f.requester, r.ID, "return", map[string]any{"version": 1, "reason": "Mine"}).wantError(t, http.StatusForbidden, "forbidden", nil)
		act(t, f.officer, r.ID, "return", map[string]any{"version": 1}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"reason": "field.required"})
		officerView := f.mustAct(t, f.officer, r.ID, "return", map[string]any{"version": 1, "reason": "Give the landing-site coordinates."})
		if officerView.Status != "returned" || officerView.POC == nil {
			t.Errorf("officer sees %s, poc %v; want returned with the contact", officerView.Status, officerView.POC)
		}

		mine := get(t, f.requester, r.ID)
		if mine.Status != "returned" || mine.StatusReason != "Give the landing-site coordinates." || !mine.CanEdit ||
			!slices.Contains(mine.Actions, "request.submit") {
			t.Errorf("requester sees %s %q, can_edit %v, actions %v", mine.Status, mine.StatusReason, mine.CanEdit, mine.Actions)
		}
		f.call(t, req{Method: "PATCH", Path: fmt.Sprintf("/requests/%d", r.ID), Token: f.requester,
			Body: map[string]any{"version": 1, "destination": map[string]any{"lat": 28.2, "lon": 85.5}}}).want(t, http.StatusOK)
		again := f.mustAct(t, f.requester, r.ID, "submit", map[string]any{"version": 2, "reason": "Coordinates added."})
		if again.Status != "submitted" || again.Version != 3 || again.StatusReason != "" {
			t.Errorf("after resubmission: %s v%d %q, want submitted v3 (edited, then resubmitted) without the return reason", again.Status, again.Version, again.StatusReason)
		}
		e := act(t, f.officer, r.ID, "return", map[string]any{"version": 1, "reason": "Stale view"}).wantError(t, http.StatusConflict, "conflict", nil)
		if e.Error.MessageID != "request.stale" {
			t.Errorf("message_id = %q, want request.stale", e.Error.MessageID)
		}
	})
	t.Run("OKRedirect", func(t *testing.T) {
		t.Parallel()
		r := f.mustCreate(t, f.requester, completeBody("Redirected"))
		f.mustAct(t, f.requester, r.ID, "submit", map[string]any{"version": 1})
		act(t, f.officer, r.ID, "redirect", map[string]any{"version": 1, "reason": "The Logistics Cluster can fly it."}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"civilian_reference": "field.required"})
		got := f.mustAct(t, f.officer, r.ID, "redirect", map[string]any{"version": 1, "reason": "The Logistics Cluster can fly it.",
			"civilian_reference": "LC-SRF-0042"})
		if got.Status != "redirected" || got.CivilianReference != "LC-SRF-0042" || !slices.Equal(got.Actions, []string{"request.comment"}) {
			t.Errorf("after redirect: %s %q, actions %v", got.Status, got.CivilianReference, got.Actions)
		}
		if mine := get(t, f.requester, r.ID); mine.Status != "redirected" || mine.CivilianReference != "LC-SRF-0042" {
			t.Errorf("requester sees %s %q", mine.Status, mine.CivilianReference)
		}
		act(t, f.requester, r.ID, "withdraw", map[string]any{"version": 1, "reason": "x"}).wantError(t, http.StatusConflict, "conflict", nil)
	})
	t.Run("OKWithdraw", func(t *testing.T) {
		t.Parallel()
		// A draft never submitted may be withdrawn.
		r := f.mustCreate(t, f.requester, completeBody("Withdrawn"))
		act(t, f.requester, r.ID, "withdraw", map[string]any{"version": 1}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"reason": "field.required"})
		got := f.mustAct(t, f.requester, r.ID, "withdraw", map[string]any{"version": 1, "reason": "Road reopened."})
		if got.Status != "withdrawn" || got.StatusReason != "Road reopened." {
			t.Errorf("after withdraw: %s %q", got.Status, got.StatusReason)
		}
	})
	t.Run("OKBriefing", func(t *testing.T) {
		t.Parallel()
		r := f.mustCreate(t, f.requester, completeBody("Briefed"))
		// The officer cannot see a draft at all.
		act(t, f.officer, r.ID, "briefing", map[string]any{"answer": "yes"}).wantError(t, http.StatusNotFound, "not_found", nil)
		f.mustAct(t, f.requester, r.ID, "submit", map[string]any{"version": 1})
		act(t, f.requester, r.ID, "briefing", map[string]any{"answer": "yes"}).wantError(t, http.StatusForbidden, "forbidden", nil)
		act(t, f.officer, r.ID, "briefing", map[string]any{"answer": "perhaps"}).
			wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"answer": "field.choose"})
		got := f.mustAct(t, f.officer, r.ID, "briefing", map[string]any{"answer": "yes", "note": "Briefed at the HuMOCC on 3 May."})
		if lr17 := got.Checklist["LR17"]; lr17.Answer != "yes" || lr17.Note != "Briefed at the HuMOCC on 3 May." {
			t.Errorf("LR17 = %+v", lr17)
		}
	})
	t.Run("ErrBodies", func(t *testing.T) {
		t.Parallel()
		r := f.mustCreate(t, f.requester, completeBody("Bodies"))
		e := act(t, f.requester, r.ID, "submit", map[string]any{}).wantError(t, http.StatusBadRequest, "malformed",
			map[string]string{"version": "field.version_required"})
		if e.Error.MessageID != "request.version_missing" {
			t.Errorf("submit without version: message_id = %q, want request.version_missing", e.Error.MessageID)
		}
		act(t, f.viewer, r.ID, "submit", map[string]any{}).wantError(t, http.StatusNotFound, "not_found", nil) // a draft
		act(t, f.requester, r.ID, "submit", map[string]any{"version": 1, "civilian_reference": "x"}).
			wantError(t, http.StatusBadRequest, "malformed", map[string]string{"civilian_reference": "field.unknown"})
		act(t, f.requester, r.ID, "withdraw", map[string]any{"version": 1, "reason": []string{"x"}}).
			wantError(t, http.StatusBadRequest, "malformed", map[string]string{"reason": "field.text"})
		act(t, f.requester, 999999, "submit", map[string]any{"version": 1}).wantError(t, http.StatusNotFound, "not_found", nil)
	})
}

func TestRequests_Visibility(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	draft := f.mustCreate(t, f.requester, completeBody("Private draft"))
	sub := f.mustCreate(t, f.requester, completeBody("Submitted"))
	f.mustAct(t, f.requester, sub.ID, "submit", map[string]any{"version": 1})

	t.Run("ErrOtherOrganization", func(t *testing.T) {
		t.Parallel()
		missing := f.call(t, req{Method: "GET", Path: "/requests/999999", Token: f.outsider}).wantError(t, http.StatusNotFound, "not_found", nil)
		for _, id := range []int64{draft.ID, sub.ID} {
			p := fmt.Sprintf("/requests/%d", id)
			for _, rq := range []req{
				{Method: "GET", Path: p},
				{Method: "PATCH", Path: p, Body: map[string]any{"version": 1, "title": "x"}},
				{Method: "POST", Path: p + "/submit", Body: map[string]any{"version": 1}},
				{Method: "POST", Path: p + "/withdraw", Body: map[string]any{"version": 1, "reason": "x"}},
				{Method: "GET", Path: p + "/comments"},
				{Method: "POST", Path: p + "/comments", Body: map[string]any{"body": "x"}},
				{Method: "GET", Path: p + "/events"},
			} {
				rq.Token = f.outsider
				e := f.call(t, rq).wantError(t, http.StatusNotFound, "not_found", nil)
				if e.Error.Message != missing.Error.Message {
					t.Errorf("%s %s: message %q, want the one of a missing request", rq.Method, rq.Path, e.Error.Message)
				}
			}
		}
	})
	t.Run("OKContactHidden", func(t *testing.T) {
		t.Parallel()
		got := decode[requestJSON](t, f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d", sub.ID), Token: f.viewer}).want(t, http.StatusOK))
		if got.POC != nil || !got.ContactHidden || len(got.Actions) != 0 || got.CanComment {
			t.Errorf("viewer sees poc %v, hidden %v, actions %v, can_comment %v", got.POC, got.ContactHidden, got.Actions, got.CanComment)
		}
		r := f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d/events", sub.ID), Token: f.viewer}).want(t, http.StatusOK)
		if strings.Contains(string(r.Body), "rita@example.org") || !strings.Contains(string(r.Body), `"poc":"(hidden)"`) {
			t.Errorf("viewer's events show the contact: %.400s", r.Body)
		}
		mine := f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d/events", sub.ID), Token: f.officer}).want(t, http.StatusOK)
		if !strings.Contains(string(mine.Body), "rita@example.org") {
			t.Error("the officer's events hide the contact")
		}
	})
	t.Run("ErrViewerCannotAct", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/comments", sub.ID), Token: f.viewer,
			Body: map[string]any{"body": "Looks fine"}}).wantError(t, http.StatusForbidden, "forbidden", nil)
		f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/withdraw", sub.ID), Token: f.viewer,
			Body: map[string]any{"version": 1, "reason": "x"}}).wantError(t, http.StatusForbidden, "forbidden", nil)
	})
	t.Run("ErrAnonymous", func(t *testing.T) {
		t.Parallel()
		f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d", sub.ID)}).wantError(t, http.StatusUnauthorized, "unauthorized", nil)
		f.call(t, req{Method: "GET", Path: "/operations/NPL-EQ/requests"}).wantError(t, http.StatusUnauthorized, "unauthorized", nil)
	})
}

// TestRequests_Malformed sends broken bodies to every request route that
// reads one: each answer is a 4xx error envelope, never a 500.
func TestRequests_Malformed(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	r := f.mustCreate(t, f.requester, completeBody("Target"))
	c := decode[struct {
		ID int64 `json:"id"`
	}](t, f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/comments", r.ID), Token: f.requester,
		Body: map[string]any{"body": "A comment"}}).want(t, http.StatusCreated))
	p := fmt.Sprintf("/requests/%d", r.ID)
	routes := []struct{ method, path, token string }{
		{"POST", "/operations/NPL-EQ/requests", f.requester},
		{"PATCH", p, f.requester},
		{"POST", p + "/submit", f.requester},
		{"POST", p + "/return", f.officer},
		{"POST", p + "/redirect", f.officer},
		{"POST", p + "/withdraw", f.requester},
		{"POST", p + "/briefing", f.officer},
		{"POST", p + "/comments", f.requester},
		{"PATCH", fmt.Sprintf("%s/comments/%d", p, c.ID), f.requester},
	}
	bodies := []string{
		``, `{`, `}`, `null`, `[]`, `[{}]`, `"text"`, `42`, `true`, `{"version": "1"}`, `{"version": 1.5}`,
		`{"version": 1e400}`, `{"version": 99999999999999999999}`, `{"version": -1}`, `{"version": 1, "colour": "blue"}`,
		`{"version": 1, "title": ["a"]}`, `{"version": 1, "origin": "Kathmandu"}`, `{"version": 1, "origin": {"lat": "27"}}`,
		`{"version": 1, "checklist": {"LR2": "yes"}}`, `{"version": 1, "checklist": {"LR2": {"answer": true}}}`,
		`{"version": 1, "checklist": {"": {"answer": "yes"}}}`, `{"version": 1, "checklist": {"LR2": {"value": "yes"}}}`,
		`{"version": 1, "civilian_options": [{"option": "unhas", "result": 3}]}`, `{"version": 1, "civilian_options": {}}`,
		`{"version": 1, "sectors": "LOG"}`, `{"version": 1, "required_by": 1700000000}`, `{"version": 1, "title": "\u0000"}`,
		`{"version": 1, "title": "a"} {"version": 1}`, `{"version": 1, "reason": {"why": 1}}`, `{"body": 7}`, `{"answer": null, "note": []}`,
		`{"version": 1, "people_targeted": -5, "end_date": "2026-99-01", "required_by": "soon"}`,
	}
	for _, rt := range routes {
		for _, body := range bodies {
			got := f.call(t, req{Method: rt.method, Path: rt.path, Token: rt.token, Body: body})
			if got.Status < 400 || got.Status >= 500 {
				if got.Status >= 500 || body == `` || body[0] != '{' {
					t.Errorf("%s %s %s: status %d; body %.300s", rt.method, rt.path, body, got.Status, got.Body)
				}
				continue
			}
			if e := decode[apiError](t, got); e.Error.Code == "" || e.Error.Code == "internal" {
				t.Errorf("%s %s %s: error %+v", rt.method, rt.path, body, e.Error)
			}
		}
	}
}
