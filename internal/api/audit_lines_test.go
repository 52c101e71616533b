package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

// TestSecurityLogLines: the security log as JSON lines holds every entry,
// oldest first, with the sign-in events (success with the user as actor,
// failure with none) and the client address of each; administrators only.
func TestSecurityLogLines(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.signIn(t, "admin@example.org")
	wrong, err := http.PostForm(f.srv.URL+"/login", url.Values{"email": {"admin@example.org"}, "password": {"not the password"}})
	if err == nil {
		wrong.Body.Close()
	}
	r := f.call(t, req{Method: "GET", Path: "/audit/directory.jsonl", Token: f.adminToken}).want(t, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "application/jsonl; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	type line struct {
		Seq     int64               `json:"seq"`
		Actor   *struct{ ID int64 } `json:"actor"`
		Action  string              `json:"action"`
		Payload map[string]any      `json:"payload"`
		Hash    string              `json:"hash"`
	}
	var lines []line
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", len(lines)+1, err, sc.Bytes())
		}
		lines = append(lines, l)
	}
	seen := map[string]line{}
	for i, l := range lines {
		if l.Seq != int64(i+1) || len(l.Hash) != 64 {
			t.Fatalf("line %d: seq %d, hash %q", i+1, l.Seq, l.Hash)
		}
		seen[l.Action] = l
	}
	in, ok := seen["account.signed_in"]
	if !ok || in.Actor == nil || in.Actor.ID != f.admin.UserID || in.Payload["address"] != "127.0.0.1" || in.Payload["method"] != "password" ||
		in.Payload["second_factor"] != true { // the fixture's admin has a second factor: the sign-in is logged once it is passed
		t.Errorf("sign-in line = %+v", in)
	}
	failed, ok := seen["account.sign_in_failed"]
	if !ok || failed.Actor != nil || failed.Payload["address"] != "127.0.0.1" || failed.Payload["label"] != "admin@example.org" {
		t.Errorf("failed sign-in line = %+v", failed)
	}
	member := f.mustToken(t, f.mustUser(t, "member@example.org"))
	f.call(t, req{Method: "GET", Path: "/audit/directory.jsonl", Token: member}).wantError(t, http.StatusForbidden, "forbidden", nil)
	f.call(t, req{Method: "GET", Path: "/audit/directory.jsonl"}).wantError(t, http.StatusUnauthorized, "unauthorized", nil)
}
