package api_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// commentJSON mirrors the documented Comment.
type commentJSON struct {
	ID        int64 `json:"id"`
	RequestID int64 `json:"request_id"`
	Author    struct {
		ID           int64  `json:"id"`
		Name         string `json:"name"`
		Organization string `json:"organization"`
	} `json:"author"`
	Body      string     `json:"body"`
	CreatedAt time.Time  `json:"created_at"`
	EditedAt  *time.Time `json:"edited_at"`
}

// eventJSON mirrors the documented Event.
type eventJSON struct {
	ID    int64 `json:"id"`
	Seq   int   `json:"seq"`
	Actor *struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"actor"`
	Action   string          `json:"action"`
	Payload  json.RawMessage `json:"payload"`
	At       time.Time       `json:"at"`
	PrevHash *string         `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

func TestComments(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	r := f.mustCreate(t, f.requester, completeBody("Commented"))
	f.mustAct(t, f.requester, r.ID, "submit", map[string]any{"version": 1})
	path := fmt.Sprintf("/requests/%d/comments", r.ID)

	add := func(t *testing.T, token, body string) commentJSON {
		t.Helper()
		return decode[commentJSON](t, f.call(t, req{Method: "POST", Path: path, Token: token, Body: map[string]any{"body": body}}).
			want(t, http.StatusCreated))
	}
	first := add(t, f.officer, "Is the airstrip usable at night?")
	if first.RequestID != r.ID || first.Author.ID != f.officerUser.ID || first.Author.Organization != f.org.Name ||
		first.Body != "Is the airstrip usable at night?" || first.EditedAt != nil || first.CreatedAt.IsZero() {
		t.Errorf("comment = %+v", first)
	}
	second := add(t, f.requester, "Only by day: no runway lights.")

	list := decode[struct {
		Items []commentJSON `json:"items"`
	}](t, f.call(t, req{Method: "GET", Path: path, Token: f.viewer}).want(t, http.StatusOK))
	if len(list.Items) != 2 || list.Items[0].ID != first.ID || list.Items[1].ID != second.ID {
		t.Errorf("comments = %+v, want the two, oldest first", list.Items)
	}

	edit := func(token string, id int64, body any) response {
		return f.call(t, req{Method: "PATCH", Path: fmt.Sprintf("%s/%d", path, id), Token: token, Body: body})
	}
	got := decode[commentJSON](t, edit(f.officer, first.ID, map[string]any{"body": "Is the airstrip lit at night?"}).want(t, http.StatusOK))
	if got.Body != "Is the airstrip lit at night?" || got.EditedAt == nil || got.ID != first.ID {
		t.Errorf("edited comment = %+v", got)
	}
	e := edit(f.requester, first.ID, map[string]any{"body": "hijack"}).wantError(t, http.StatusForbidden, "forbidden", nil)
	if e.Error.MessageID != "comment.not_author" {
		t.Errorf("message_id = %q, want comment.not_author", e.Error.MessageID)
	}
	edit(f.officer, first.ID, map[string]any{"body": "  "}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"body": "field.required"})
	edit(f.officer, first.ID, map[string]any{"text": "x"}).
		wantError(t, http.StatusBadRequest, "malformed", map[string]string{"text": "field.unknown"})
	edit(f.officer, 999999, map[string]any{"body": "x"}).wantError(t, http.StatusNotFound, "not_found", nil)
	// A comment of another request is not found under this one.
	other := f.mustCreate(t, f.requester, completeBody("Other"))
	f.mustAct(t, f.requester, other.ID, "submit", map[string]any{"version": 1})
	f.call(t, req{Method: "PATCH", Path: fmt.Sprintf("/requests/%d/comments/%d", other.ID, first.ID), Token: f.officer,
		Body: map[string]any{"body": "x"}}).wantError(t, http.StatusNotFound, "not_found", nil)

	f.clock.Advance(domain.CommentEditWindow + time.Minute)
	e = edit(f.officer, first.ID, map[string]any{"body": "Too late"}).wantError(t, http.StatusConflict, "conflict", nil)
	if e.Error.MessageID != "comment.locked" {
		t.Errorf("message_id = %q, want comment.locked", e.Error.MessageID)
	}
	f.call(t, req{Method: "POST", Path: path, Token: f.requester, Body: map[string]any{"body": ""}}).
		wantError(t, http.StatusUnprocessableEntity, "invalid", map[string]string{"body": "field.required"})
}

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestEvents(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	r := f.mustCreate(t, f.requester, completeBody("Audited"))
	f.call(t, req{Method: "PATCH", Path: fmt.Sprintf("/requests/%d", r.ID), Token: f.requester,
		Body: map[string]any{"version": 1, "title": "Audited <again> & again"}}).want(t, http.StatusOK)
	f.mustAct(t, f.requester, r.ID, "submit", map[string]any{"version": 2})
	f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/comments", r.ID), Token: f.officer,
		Body: map[string]any{"body": "Checked with the Logistics Cluster."}}).want(t, http.StatusCreated)
	f.mustAct(t, f.officer, r.ID, "return", map[string]any{"version": 2, "reason": "Add the landing site."})

	got := decode[struct {
		Items []eventJSON `json:"items"`
	}](t, f.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d/events", r.ID), Token: f.requester}).want(t, http.StatusOK))
	wantActions := []string{domain.EventCreated, domain.EventEdited, string(domain.ActionSubmit), domain.EventComment, string(domain.ActionReturn)}
	if len(got.Items) != len(wantActions) {
		t.Fatalf("%d events, want %d: %+v", len(got.Items), len(wantActions), got.Items)
	}
	var prev *domain.Event
	for i, e := range got.Items {
		if e.Seq != i+1 || e.Action != wantActions[i] {
			t.Errorf("event %d = seq %d %s, want seq %d %s", i, e.Seq, e.Action, i+1, wantActions[i])
		}
		if !hexHash.MatchString(e.Hash) || (e.PrevHash != nil && !hexHash.MatchString(*e.PrevHash)) {
			t.Errorf("event %d hashes %q, %v: want 64 lowercase hex digits", e.Seq, e.Hash, e.PrevHash)
		}
		var payload map[string]any
		if err := json.Unmarshal(e.Payload, &payload); err != nil {
			t.Errorf("event %d payload %s is not an object: %v", e.Seq, e.Payload, err)
		}
		if e.Actor == nil || e.At.Location() != time.UTC {
			t.Errorf("event %d actor %v, at %v", e.Seq, e.Actor, e.At)
		}
		// The chain verifies from what the API shows: each event's
		// prev_hash is the hash before it, and each hash is that of its
		// content, the payload byte for byte as shown.
		ev := domain.Event{ID: e.ID, RequestID: r.ID, Seq: e.Seq, ActorID: e.Actor.ID, Action: e.Action,
			Payload: e.Payload, At: e.At, Hash: mustHex(t, e.Hash)}
		if e.PrevHash != nil {
			ev.PrevHash = mustHex(t, *e.PrevHash)
		}
		if brk := domain.VerifyNext(prev, ev); brk != nil {
			t.Errorf("event %d does not verify: %s", e.Seq, brk.Problem)
		}
		prev = &ev
	}
	if got.Items[0].PrevHash != nil {
		t.Errorf("first event prev_hash = %v, want null", *got.Items[0].PrevHash)
	}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return b
}
