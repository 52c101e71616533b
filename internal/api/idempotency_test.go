package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/cmcoord/cmcoord/internal/domain"
)

// auditCount is how many entries the audit trails hold: the requests'
// events and the directory log.
func (f *fixture) auditCount(t testing.TB) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(t.Context(),
		`SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM directory_events)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// loseAnswer forgets the answer kept for key, as when the process stopped
// after the change committed and before it answered; the record is made
// old enough that no answer is awaited from another instance.
func (f *fixture) loseAnswer(t testing.TB, key string) (requestID int64) {
	t.Helper()
	var id *int64
	err := f.pool.QueryRow(t.Context(),
		`UPDATE idempotency_records SET status = NULL, content_type = '', location = '', body = NULL,
		        created_at = created_at - interval '1 minute'
		 WHERE key = $1 RETURNING request_id`, key).Scan(&id)
	if err != nil {
		t.Fatalf("lose the answer of %s: %v", key, err)
	}
	if id == nil {
		return 0
	}
	return *id
}

// keyClaimedWithChange reports whether key's record names the request its
// change concerned: it was inserted with the change's audit event, in its
// transaction (a record stored after the answer names none).
func (f *fixture) keyClaimedWithChange(t testing.TB, key string) bool {
	t.Helper()
	var id *int64
	if err := f.pool.QueryRow(t.Context(), `SELECT request_id FROM idempotency_records WHERE key = $1`, key).Scan(&id); err != nil {
		t.Fatalf("record of %s: %v", key, err)
	}
	return id != nil
}

// TestIdempotency_EveryStep walks the rulebook: every step of a request
// (domain.Steps), taken by a caller it is advertised to on a request in a
// state where it is, with an Idempotency-Key; then
//   - the same call again: the same status and body, Idempotent-Replayed:
//     true, and nothing more in the audit trail;
//   - the same key with another body: 422 idempotency.key_reused;
//   - the same call after the answer was lost (the process stopped
//     between the commit and the answer): 200 with the request as it is
//     now, Idempotent-Replayed: true, nothing more in the audit trail —
//     never 409 "wrong state";
//
// and the key was claimed in the change's own transaction. Creating a
// request, the one step on no request, is walked the same way.
func TestIdempotency_EveryStep(t *testing.T) {
	t.Parallel()
	w, callers := newActionWalk(t)
	walked := map[domain.Action]bool{}

	// check is the walk of one keyed call: first, then the retries.
	check := func(t *testing.T, where, key, token, method, path string, body map[string]any) {
		t.Helper()
		before := w.auditCount(t)
		call := req{Method: method, Path: path, Token: token, Body: body, Header: map[string]string{"Idempotency-Key": key}}
		first := w.call(t, call)
		if first.Status < 200 || first.Status > 299 {
			t.Fatalf("%s: %d, want 2xx; %.400s", where, first.Status, first.Body)
		}
		if first.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("%s: the first call is marked replayed", where)
		}
		changed := w.auditCount(t)
		if changed == before {
			t.Fatalf("%s: the change left no audit event", where)
		}
		if !w.keyClaimedWithChange(t, key) {
			t.Errorf("%s: the key was not claimed with the change", where)
		}
		again := w.call(t, call)
		if again.Status != first.Status || !bytes.Equal(again.Body, first.Body) || again.Header.Get("Idempotent-Replayed") != "true" ||
			again.Header.Get("Location") != first.Header.Get("Location") {
			t.Errorf("%s: the retry = %d %q (replayed %q), want %d and the first body replayed; %.300s", where, again.Status,
				again.Header.Get("Location"), again.Header.Get("Idempotent-Replayed"), first.Status, again.Body)
		}
		if n := w.auditCount(t); n != changed {
			t.Errorf("%s: the retry added %d audit events", where, n-changed)
		}
		other := map[string]any{}
		for k, v := range body {
			other[k] = v
		}
		other["version"] = 987654 // any other body
		reused := w.call(t, req{Method: method, Path: path, Token: token, Body: other, Header: call.Header})
		if e := decode[apiError](t, reused); reused.Status != http.StatusUnprocessableEntity || e.Error.MessageID != "idempotency.key_reused" ||
			e.Error.FieldMessageIDs["idempotency_key"] == "" {
			t.Errorf("%s: the key with another body = %d %s, want 422 idempotency.key_reused", where, reused.Status, e.Error.MessageID)
		}
		// The crash window: committed, never answered.
		id := w.loseAnswer(t, key)
		lost := w.call(t, call)
		if id == 0 || lost.Status != http.StatusOK || lost.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("%s: the retry after a lost answer = %d (replayed %q, request %d), want 200 replayed; %.300s", where, lost.Status,
				lost.Header.Get("Idempotent-Replayed"), id, lost.Body)
		}
		// What the operation answers, as it is now: the request, its
		// lifecycle, its review or its HRDDP assessment.
		same := false
		for _, p := range []string{"", "/lifecycle", "/review", "/hrddp"} {
			now := w.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d%s", id, p), Token: token})
			same = same || now.Status == http.StatusOK && bytes.Equal(lost.Body, now.Body)
		}
		if !same {
			t.Errorf("%s: the retry after a lost answer is not what the request is now: %.300s", where, lost.Body)
		}
		if n := w.auditCount(t); n != changed {
			t.Errorf("%s: the retry after a lost answer added %d audit events", where, n-changed)
		}
	}

	for _, s := range w.situations() {
		base := s.build(t)
		for _, c := range callers {
			r := w.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d", base), Token: c.token})
			if r.Status != http.StatusOK {
				continue
			}
			for _, a := range decode[requestJSON](t, r).Actions {
				action := domain.Action(a)
				if walked[action] {
					continue
				}
				walked[action] = true
				id := s.build(t) // a fresh request in the same state
				got := decode[requestJSON](t, w.call(t, req{Method: "GET", Path: fmt.Sprintf("/requests/%d", id), Token: c.token}).want(t, http.StatusOK))
				sc := w.stepFor(t, action, id, got.Version)
				check(t, what(s.name, c.name)+": "+string(action), "walk-"+string(action), c.token, sc.method, sc.path, sc.body)
			}
		}
	}
	for _, s := range domain.Steps() {
		if !walked[s] {
			t.Errorf("%s: never advertised in the walk, so not checked", s)
		}
	}
	check(t, "create", "walk-create", w.requester, "POST", "/operations/NPL-EQ/requests", map[string]any{"title": "Keyed"})
}

// TestIdempotency_Concurrent: the same keyed call sent many times at
// once acts once; every answer is the first's (replayed) or 409
// idempotency.in_progress, never a second execution or a wrong-state 409.
func TestIdempotency_Concurrent(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	r := f.mustCreate(t, f.requester, completeBody("Raced"))
	before := f.auditCount(t)
	const n = 8
	answers := make([]response, n)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/submit", r.ID), Token: f.requester,
				Body: map[string]any{"version": 1}, Header: map[string]string{"Idempotency-Key": "race"}})
		}()
	}
	wg.Wait()
	if got := f.auditCount(t) - before; got != 1 {
		t.Errorf("%d calls with one key appended %d events, want 1", n, got)
	}
	var first []byte
	fresh := 0
	for i, a := range answers {
		switch {
		case a.Status == http.StatusOK && a.Header.Get("Idempotent-Replayed") == "":
			fresh++
			first = a.Body
		case a.Status == http.StatusOK:
		case a.Status == http.StatusConflict && decode[apiError](t, a).Error.MessageID == "idempotency.in_progress" &&
			a.Header.Get("Retry-After") == "1":
		default:
			t.Errorf("answer %d = %d %.300s", i, a.Status, a.Body)
		}
	}
	if fresh != 1 {
		t.Fatalf("%d answers were fresh executions, want 1", fresh)
	}
	for i, a := range answers {
		if a.Status == http.StatusOK && !bytes.Equal(a.Body, first) {
			t.Errorf("answer %d differs from the first: %.300s", i, a.Body)
		}
	}
	var got requestJSON
	if err := json.Unmarshal(first, &got); err != nil || got.Status != string(domain.StatusSubmitted) {
		t.Errorf("the request = %s (%v), want submitted", got.Status, err)
	}
}

// TestIdempotency_Keys: a key is the caller's own (another user's same
// key acts, and never sees the first's answer); a refusal binds nothing
// (the corrected call with the same key acts); a key too long or not
// printable ASCII is 422 naming idempotency_key.
func TestIdempotency_Keys(t *testing.T) {
	t.Parallel()
	f := newRequestsFixture(t)
	key := map[string]string{"Idempotency-Key": "shared-key"}
	mine := f.call(t, req{Method: "POST", Path: "/operations/NPL-EQ/requests", Token: f.requester, Header: key,
		Body: map[string]any{"title": "Mine"}}).want(t, http.StatusCreated)
	theirs := f.call(t, req{Method: "POST", Path: "/operations/NPL-EQ/requests", Token: f.outsider, Header: key,
		Body: map[string]any{"title": "Mine"}}).want(t, http.StatusCreated)
	if theirs.Header.Get("Idempotent-Replayed") != "" || decode[requestJSON](t, theirs).ID == decode[requestJSON](t, mine).ID {
		t.Error("another user's same key was answered the first user's request")
	}

	// Refused (422: no title), then corrected with the same key: acts.
	retry := map[string]string{"Idempotency-Key": "fix-then-retry"}
	f.call(t, req{Method: "POST", Path: "/operations/NPL-EQ/requests", Token: f.requester, Header: retry,
		Body: map[string]any{"title": ""}}).want(t, http.StatusUnprocessableEntity)
	fixed := f.call(t, req{Method: "POST", Path: "/operations/NPL-EQ/requests", Token: f.requester, Header: retry,
		Body: map[string]any{"title": "Fixed"}}).want(t, http.StatusCreated)
	if fixed.Header.Get("Idempotent-Replayed") != "" {
		t.Error("the corrected call was answered as a replay of the refusal")
	}
	// Refused for its state (409), then with the right version: acts.
	id := decode[requestJSON](t, fixed).ID
	state := map[string]string{"Idempotency-Key": "stale-then-fresh"}
	f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/withdraw", id), Token: f.requester, Header: state,
		Body: map[string]any{"version": 7, "reason": "Not needed."}}).want(t, http.StatusConflict)
	f.call(t, req{Method: "POST", Path: fmt.Sprintf("/requests/%d/withdraw", id), Token: f.requester, Header: state,
		Body: map[string]any{"version": 1, "reason": "Not needed."}}).want(t, http.StatusOK)

	for name, bad := range map[string]string{"TooLong": string(bytes.Repeat([]byte("k"), domain.MaxIdempotencyKeyLen+1)), "NotASCII": "clé"} {
		t.Run(name, func(t *testing.T) {
			f.call(t, req{Method: "POST", Path: "/operations/NPL-EQ/requests", Token: f.requester,
				Header: map[string]string{"Idempotency-Key": bad}, Body: map[string]any{"title": "x"}}).
				wantError(t, http.StatusUnprocessableEntity, "invalid", nil)
		})
	}
}

// TestIdempotency_SecretsNotKept: an answer holding a secret (a new API
// token) is never stored for replay: the database holds no copy of the
// token, and the retry makes no second token and is shown the caller's
// tokens, without any secret.
func TestIdempotency_SecretsNotKept(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.mustToken(t, f.mustUser(t, "scripter@example.org"))
	call := req{Method: "POST", Path: "/me/tokens", Token: token, Header: map[string]string{"Idempotency-Key": "token-1"},
		Body: map[string]any{"name": "script", "scope": "read", "current_password": testPassword}}
	created := decode[tokenJSON](t, f.call(t, call).want(t, http.StatusCreated))
	var stored int
	if err := f.pool.QueryRow(t.Context(), `SELECT count(*) FROM idempotency_records WHERE position($1::bytea IN coalesce(body, '')) > 0`,
		[]byte(created.Token)).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Error("the new token's secret is stored with its idempotency key")
	}
	again := f.call(t, call).want(t, http.StatusOK)
	if again.Header.Get("Idempotent-Replayed") != "true" || bytes.Contains(again.Body, []byte(created.Token)) {
		t.Errorf("the retry = replayed %q, body %.300s; want the token list, no secret", again.Header.Get("Idempotent-Replayed"), again.Body)
	}
	list := decode[struct {
		Items []tokenJSON `json:"items"`
	}](t, again)
	n := 0
	for _, tk := range list.Items {
		if tk.Name == "script" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d tokens named script after the retry, want 1", n)
	}
}
